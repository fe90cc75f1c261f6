import type { Edge, Element, ParseIssue, Severity, StrideLetter, SourceLocation, FindingStatus } from './types.js';

/** Well-known zone ids; Kubernetes namespaces add `k8s:<namespace>`. */
export const ZONES = {
  internet: 'internet',
  edge: 'edge',
  thirdParty: 'third-party',
  vpcPublic: 'vpc-public',
  vpcPrivate: 'vpc-private',
  data: 'data',
  cloudIam: 'cloud-iam',
  cluster: 'k8s-cluster',
  unzoned: 'unzoned',
} as const;

export interface Zone {
  id: string;
  name: string;
  /** 0 = untrusted (internet) ... 3 = most trusted (control plane, data). */
  trust: number;
}

/** A linked model: elements with zones, and edges between existing elements. */
export interface Graph {
  elements: Map<string, Element>;
  /** Element id -> zone id (a lookup: its key order means nothing). */
  zoneOf: Map<string, string>;
  /** Zones in use, by id. */
  zones: Map<string, Zone>;
  edges: Edge[];
  /** Outgoing and incoming adjacency, by element id; each list in `edges` order (lookups: key order means nothing). */
  out: Map<string, Edge[]>;
  in: Map<string, Edge[]>;
  /** Problems found while reading and linking (duplicates, dangling refs...). */
  issues: ParseIssue[];
  /** Files that contributed, with their format, for coverage. */
  files: Map<string, string>;
}

export interface Crossing {
  /** Stable fingerprint: `crossing@<kind>@<from>@<to>`. */
  id: string;
  from: string;
  to: string;
  fromZone: string;
  toZone: string;
  kind: string;
  protocol?: string;
  port?: number;
  authenticated: boolean | 'unknown';
  encrypted: boolean | 'unknown';
  location: SourceLocation;
  evidence: string;
}

export interface RuleMeta {
  id: string;
  title: string;
  stride: StrideLetter[];
  severity: Severity;
  /** Why this matters (threat description). */
  rationale: string;
  mitigation: string;
  /** `CWE-306`, `OWASP-API2:2023`, `CAPEC-...`, URLs. */
  references: string[];
  /** Which inputs it reads: k8s, openapi, terraform, graph. */
  inputs: string[];
  /** How it decides, and its known false positives (for the rule docs). */
  detection?: string;
  falsePositives?: string;
}

/** What a rule returns: the element, optional peer, and why. */
export interface RuleHit {
  element: string;
  /** Second element for edge/path findings; part of the fingerprint. */
  peer?: string;
  /** Extra discriminator when one element yields several hits (e.g. container name). */
  qualifier?: string;
  location: SourceLocation;
  evidence: string;
  /** Overrides the rule's default severity (e.g. internet-facing raises it). */
  severity?: Severity;
  /** For attack paths: the chain of element ids. */
  path?: string[];
  /** For attack paths: the edges of the chain, in order. */
  chain?: ChainLink[];
}

export interface ChainLink {
  from: string;
  to: string;
  kind: string;
  evidence: string;
  location: SourceLocation;
  /** Set in a diff: this link does not exist at the base, so the change opened it. */
  opened?: boolean;
}

export interface RiskRating {
  /** 1 (internal only) .. 3 (internet, unauthenticated). */
  likelihood: number;
  /** 1 (low) .. 4 (critical data or privilege). */
  impact: number;
  score: number;
  reasons: string[];
}

export type Sensitivity = 'public' | 'internal' | 'pii' | 'payment' | 'credentials';

/** A chain from an internet entry point to something worth protecting. */
export interface AttackPath {
  entry: string;
  target: string;
  sensitivity: Sensitivity | 'privilege';
  chain: ChainLink[];
}

export interface RuleContext {
  graph: Graph;
  /** Data sensitivity overrides from the config (element-id glob -> sensitivity). */
  sensitivity: Record<string, Sensitivity>;
  /** Attack paths from the internet (computed once, shared; bounded). */
  attackPaths: AttackPath[];
  /** Crossings of this graph (computed once, shared). */
  crossings: Crossing[];
  /** Elements reachable from the internet (computed once, shared). */
  internetReachable: Set<string>;
}

export interface Rule {
  meta: RuleMeta;
  check(ctx: RuleContext): RuleHit[];
}

export interface Threat {
  /** Stable fingerprint: short hash of `ruleId@element@peer@qualifier`. */
  id: string;
  /** The unhashed key, for people and for acceptances. */
  key: string;
  ruleId: string;
  title: string;
  stride: StrideLetter[];
  severity: Severity;
  status: FindingStatus;
  element: string;
  peer?: string;
  location: SourceLocation;
  evidence: string;
  mitigation: string;
  references: string[];
  path?: string[];
  chain?: ChainLink[];
  risk?: RiskRating;
  accepted?: { by: string; at: string; reason: string };
}

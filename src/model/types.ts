/**
 * The threat model's vocabulary. Everything downstream of ingest (graph,
 * analysis, report, github) speaks only these types, never a parser's AST.
 *
 * Identity rule: an element's `id` is its *logical* identity
 * (`k8s:Service/shop/frontend`, `openapi:Orders API#POST /orders`,
 * `tf:module.net.aws_security_group.db`). It never contains a file name or a
 * line, so moving or reformatting a file does not change any fingerprint.
 */

export interface SourceLocation {
  /** Repository-relative path, forward slashes. */
  file: string;
  /** 1-based line. */
  line: number;
}

export type ElementKind =
  | 'actor' // internet, authenticated user, third party
  | 'gateway' // Ingress, Gateway API route, LoadBalancer Service, ALB, API Gateway, CloudFront
  | 'service' // workloads: Deployment, StatefulSet, Lambda, ECS service, EC2 instance, k8s Service (as a virtual IP)
  | 'api' // an OpenAPI document
  | 'operation' // one OpenAPI method + path
  | 'datastore' // RDS, DynamoDB, S3, PVC, database StatefulSet
  | 'queue' // SQS, SNS, Kinesis, Kafka, EventBridge
  | 'identity' // ServiceAccount, IAM role/user, GCP service account
  | 'capability' // Role/ClusterRole, IAM policy: a set of permissions
  | 'secret' // k8s Secret, Secrets Manager, SSM parameter
  | 'policy' // NetworkPolicy, PeerAuthentication, AuthorizationPolicy, security group
  | 'config' // ConfigMap, other configuration carriers
  | 'other'; // anything recognised but not modelled (kept so users see it was read)

/** JSON-serialisable attribute bag. Each source type documents its own keys. */
export type Attrs = Record<string, unknown>;

export interface Element {
  /** Logical identity, stable across files and formatting. */
  id: string;
  kind: ElementKind;
  /** Source type, e.g. `k8s:Deployment`, `tf:aws_s3_bucket`, `openapi:operation`. */
  type: string;
  /** Short human name (`frontend`, `POST /orders`). */
  name: string;
  location: SourceLocation;
  /**
   * Trust-zone hint set by the parser (`k8s-namespace:shop`, `internet`,
   * `data`, `cloud-iam`, ...). The graph builder turns hints into zones;
   * config overrides win.
   */
  zoneHint?: string;
  /** Facts rules read. Keys are documented per source type in the ingest folder. */
  attrs: Attrs;
  /** Lines of notable attributes, keyed by a dotted path (`spec.containers.0.securityContext.privileged`). */
  lines?: Record<string, number>;
}

export type EdgeKind =
  | 'routes' // gateway -> service/backend
  | 'selects' // k8s Service -> workload (selector)
  | 'exposes' // internet actor -> gateway/service (public exposure)
  | 'calls' // service -> service/host (env vars, config)
  | 'serves' // service -> operation / api (implements)
  | 'uses-identity' // workload -> ServiceAccount / IAM role
  | 'grants' // identity -> capability (binding, attachment)
  | 'can-access' // identity/capability -> resource it may act on (reads/writes in attrs.actions)
  | 'reads' // workload -> datastore / secret / config
  | 'writes' // workload -> datastore
  | 'publishes' // producer -> queue
  | 'subscribes' // queue -> consumer
  | 'triggers' // event source -> function
  | 'network' // security-group style reachability
  | 'mounts' // workload -> volume / secret / pvc
  | 'references'; // generic IaC reference

export type TriState = boolean | 'unknown';

export interface Edge {
  from: string;
  to: string;
  kind: EdgeKind;
  protocol?: string;
  port?: number;
  authenticated?: TriState;
  encrypted?: TriState;
  location: SourceLocation;
  /** Why the edge exists, in words (`env ORDERS_ADDR=orders:8080`). */
  evidence: string;
  attrs?: Attrs;
}

/**
 * A reference a fragment cannot resolve alone; the linker resolves it
 * against all fragments. Keeping refs separate from edges is what lets the
 * incremental engine re-link only what a change can touch.
 */
export type Ref =
  | {
      /** Match workloads (pod templates) by labels in a namespace. */
      type: 'k8s-selector';
      from: string;
      namespace: string;
      selector: Record<string, string>;
      edge: EdgeTemplate;
    }
  | {
      /**
       * A reference to an element that may be declared in another file
       * (k8s object by name, Terraform address). `candidates` are full
       * element ids, tried in order; the first that exists wins. Unresolved
       * refs are dropped unless `onMissing` says otherwise.
       */
      type: 'element';
      from: string;
      candidates: string[];
      edge: EdgeTemplate;
      /** When true the edge runs target -> from. */
      reverse?: boolean;
      onMissing?: 'ignore' | 'warn';
    }
  | {
      /** A host name or URL seen in config: a k8s Service, an Ingress host, or an external (third-party) host. */
      type: 'host';
      from: string;
      namespace: string;
      host: string;
      port?: number;
      scheme?: string;
      edge: EdgeTemplate;
    }
  | {
      /** Ask the linker to attach an API to the service that implements it. */
      type: 'api-attach';
      from: string; // the api element
      serviceName?: string; // x-threatdiff-service or config mapping
      hosts: string[]; // server hosts
      directory: string; // folder the spec lives in
      edge: EdgeTemplate;
    };

export type EdgeTemplate = Omit<Edge, 'from' | 'to'>;

export interface ParseIssue {
  file: string;
  line?: number;
  /** `error`: the file (or part of it) could not be modelled. `warning`: modelled with caveats. `skipped`: deliberately not modelled (Helm template...). */
  level: 'error' | 'warning' | 'skipped';
  code: string;
  message: string;
}

export type FragmentFormat = 'k8s' | 'openapi' | 'terraform' | 'config';

/**
 * What one file declares. A pure function of (path, bytes, parser version),
 * which is why it can be cached by git blob SHA. `path` matters only for
 * locations and spec-to-folder attachment, never for identities.
 */
export interface Fragment {
  file: string;
  format: FragmentFormat;
  elements: Element[];
  edges: Edge[];
  refs: Ref[];
  issues: ParseIssue[];
}

/** Reads other files of the same tree at the same ref (for `$ref`), never outside it. */
export interface TreeReader {
  /** Returns the file's text, or undefined when it does not exist in the tree. */
  read(path: string): Promise<string | undefined>;
}

export interface ParseContext {
  /** Other files of the tree, for multi-file specs. */
  tree: TreeReader;
  limits: Limits;
}

export interface Limits {
  /** Largest file parsed, in bytes. */
  maxFileBytes: number;
  /** YAML alias expansions allowed per document. */
  maxYamlAliases: number;
  /** Depth of `$ref` chains followed. */
  maxRefDepth: number;
  /** Milliseconds one file may take to parse. */
  parseTimeoutMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxFileBytes: 2 * 1024 * 1024,
  maxYamlAliases: 100,
  maxRefDepth: 32,
  parseTimeoutMs: 10_000,
};

/** A parser for one input format (Renovate-style: `null` means "not my file"). */
export interface Parser {
  id: FragmentFormat;
  /** Bumped whenever output for the same bytes can change; part of the cache key. */
  version: string;
  /** Cheap test on path and content. */
  detect(path: string, content: string): boolean;
  parse(path: string, content: string, ctx: ParseContext): Promise<Fragment>;
}

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
export const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
export type StrideLetter = 'S' | 'T' | 'R' | 'I' | 'D' | 'E';

/** STRIDE category names, as OTM and Threat Dragon spell them. */
export const STRIDE_NAMES: Record<StrideLetter, string> = {
  S: 'Spoofing',
  T: 'Tampering',
  R: 'Repudiation',
  I: 'Information disclosure',
  D: 'Denial of service',
  E: 'Elevation of privilege',
};

export type FindingStatus = 'new' | 'resolved' | 'unchanged';

import type { Edge, Element, EdgeKind, ParseIssue } from '../model/types.js';
import type { AttackPath, ChainLink, Graph, Sensitivity } from '../model/graph.js';
import { INTERNET } from '../graph/build.js';
import { isWorkload } from '../graph/link.js';
import { NetworkPolicies } from './netpol.js';
import { isSensitive, sensitivityOf } from './sensitivity.js';

/** Edges an attacker can follow once they control the element at the tail. */
const ATTACK_KINDS: ReadonlySet<EdgeKind> = new Set<EdgeKind>([
  'exposes', 'routes', 'selects', 'serves', 'network', 'triggers', // reach
  'calls', 'publishes', 'subscribes', // lateral movement
  'uses-identity', 'grants', 'can-access', // identity: a compromised workload uses its credentials
  'reads', 'writes', 'mounts', // data
]);

/** Edges that need a foothold first: a path made only of ingress edges is an exposure, not an attack path. */
const LATERAL_KINDS: ReadonlySet<EdgeKind> = new Set<EdgeKind>(['calls', 'publishes', 'subscribes', 'uses-identity', 'grants', 'can-access', 'reads', 'writes', 'mounts']);

export interface PathBounds {
  maxDepth: number;
  maxPathsPerEntry: number;
}

export const DEFAULT_BOUNDS: PathBounds = { maxDepth: 10, maxPathsPerEntry: 200 };

/** Is this element worth protecting: sensitive data, secrets, or privilege over the platform? */
export function targetKind(el: Element, sensitivity: Record<string, Sensitivity>): Sensitivity | 'privilege' | null {
  if (el.kind === 'identity' || el.kind === 'capability') return isPrivileged(el) ? 'privilege' : null;
  if (el.kind !== 'datastore' && el.kind !== 'secret' && el.kind !== 'queue') return null;
  const s = sensitivityOf(el, sensitivity);
  if (isSensitive(s)) return s;
  return el.kind === 'datastore' || el.kind === 'secret' ? 'internal' : null;
}

function isPrivileged(el: Element): boolean {
  if (el.attrs.privileged === true || el.attrs.admin === true) return true;
  if (/^(cluster-admin|admin)$/.test(el.name) || /AdministratorAccess|PowerUserAccess/.test(JSON.stringify(el.attrs.policyArns ?? ''))) return true;
  const rules = el.attrs.rules;
  if (Array.isArray(rules) && rules.some((r) => wildcard((r as { verbs?: unknown }).verbs) && wildcard((r as { resources?: unknown }).resources))) return true;
  const statements = el.attrs.statements;
  return Array.isArray(statements) && statements.some((s) => (s as { effect?: string }).effect !== 'Deny' && wildcard((s as { actions?: unknown }).actions));
}

function wildcard(list: unknown): boolean {
  return Array.isArray(list) && list.some((v) => v === '*' || (typeof v === 'string' && v.endsWith(':*') && v.length <= 2));
}

/**
 * Every shortest path from each internet entry point to each sensitive
 * element, through network reach (narrowed by NetworkPolicies) and
 * identity capabilities. Bounded in depth and count; hitting a bound is
 * reported, never silent.
 */
export function findAttackPaths(graph: Graph, sensitivity: Record<string, Sensitivity> = {}, bounds: PathBounds = DEFAULT_BOUNDS): { paths: AttackPath[]; issues: ParseIssue[] } {
  const paths: AttackPath[] = [];
  const issues: ParseIssue[] = [];
  if (!graph.elements.has(INTERNET.id)) return { paths, issues };
  const policies = new NetworkPolicies(graph);
  const entries = (graph.out.get(INTERNET.id) ?? []).filter((e) => ATTACK_KINDS.has(e.kind)).sort((a, b) => a.to.localeCompare(b.to));
  for (const entryEdge of entries) {
    const found = bfs(graph, entryEdge, policies, sensitivity, bounds);
    paths.push(...found.paths);
    if (found.truncated) {
      issues.push({ file: entryEdge.location.file, line: entryEdge.location.line, level: 'warning', code: 'path-bound', message: `attack-path search from ${entryEdge.to} stopped at ${found.truncated}; some paths may not be reported` });
    }
  }
  return { paths, issues };
}

function bfs(graph: Graph, entryEdge: Edge, policies: NetworkPolicies, sensitivity: Record<string, Sensitivity>, bounds: PathBounds): { paths: AttackPath[]; truncated?: string } {
  const entry = entryEdge.to;
  const prev = new Map<string, { edge: Edge; via?: Edge }>();
  const depth = new Map<string, number>([[entry, 1]]);
  /** The workload an attacker controls when standing on a node: what NetworkPolicies judge. */
  const foothold = new Map<string, string | undefined>([[entry, isWorkload(graph.elements.get(entry)!) ? entry : undefined]]);
  const queue = [entry];
  const paths: AttackPath[] = [];
  let truncated: string | undefined;
  while (queue.length > 0) {
    const id = queue.shift()!;
    const d = depth.get(id)!;
    if (d >= bounds.maxDepth) {
      if ((graph.out.get(id) ?? []).some((e) => ATTACK_KINDS.has(e.kind) && !depth.has(e.to))) truncated = `depth ${bounds.maxDepth}`;
      continue;
    }
    for (const edge of graph.out.get(id) ?? []) {
      if (!ATTACK_KINDS.has(edge.kind) || depth.has(edge.to) || edge.to === INTERNET.id) continue;
      const target = graph.elements.get(edge.to)!;
      const src = foothold.get(id);
      // A Service forwards to the workloads it selects: the connection is judged from the caller's workload.
      if (isWorkload(target) && src && (edge.kind === 'selects' || edge.kind === 'calls') && !policies.allows(graph.elements.get(src)!, target)) continue;
      depth.set(edge.to, d + 1);
      prev.set(edge.to, { edge });
      foothold.set(edge.to, isWorkload(target) ? edge.to : src);
      queue.push(edge.to);
      const kind = targetKind(target, sensitivity);
      if (kind) {
        const chain = chainTo(edge.to, prev, entryEdge);
        if (chain.some((l) => LATERAL_KINDS.has(l.kind as EdgeKind))) {
          if (paths.length >= bounds.maxPathsPerEntry) {
            truncated = `${bounds.maxPathsPerEntry} paths`;
            return { paths, truncated };
          }
          paths.push({ entry, target: edge.to, sensitivity: kind, chain });
        }
      }
    }
  }
  return truncated ? { paths, truncated } : { paths };
}

function chainTo(target: string, prev: Map<string, { edge: Edge }>, entryEdge: Edge): ChainLink[] {
  const links: ChainLink[] = [];
  let cur = target;
  while (prev.has(cur)) {
    const { edge } = prev.get(cur)!;
    links.push(link(edge));
    cur = edge.from;
  }
  links.push(link(entryEdge));
  return links.reverse();
}

function link(e: Edge): ChainLink {
  return { from: e.from, to: e.to, kind: e.kind, evidence: e.evidence, location: e.location };
}

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

/** One entry point's search result. */
export interface EntrySearch {
  paths: AttackPath[];
  truncated?: string;
}

/**
 * Incremental analysis (src/engine/findings.ts): `previous` answers an entry
 * whose search cannot have changed with the base's result, `record` sees
 * every entry's result so the next derivation can reuse it.
 */
export interface EntrySearches {
  previous?(entry: Edge): EntrySearch | undefined;
  record?(entry: Edge, found: EntrySearch): void;
}

/**
 * Every shortest path from each internet entry point to each sensitive
 * element, through network reach (narrowed by NetworkPolicies) and
 * identity capabilities. Bounded in depth and count; hitting a bound is
 * reported, never silent.
 */
export function findAttackPaths(graph: Graph, sensitivity: Record<string, Sensitivity> = {}, bounds: PathBounds = DEFAULT_BOUNDS, searches?: EntrySearches): { paths: AttackPath[]; issues: ParseIssue[] } {
  const paths: AttackPath[] = [];
  const issues: ParseIssue[] = [];
  if (!graph.elements.has(INTERNET.id)) return { paths, issues };
  let memo: SearchMemo | undefined;
  const entries = (graph.out.get(INTERNET.id) ?? []).filter((e) => ATTACK_KINDS.has(e.kind)).sort((a, b) => a.to.localeCompare(b.to));
  for (const entryEdge of entries) {
    const found = searches?.previous?.(entryEdge) ?? bfs(graph, entryEdge, (memo ??= searchMemo(graph, sensitivity)), bounds);
    searches?.record?.(entryEdge, found);
    paths.push(...found.paths);
    if (found.truncated) {
      issues.push({ file: entryEdge.location.file, line: entryEdge.location.line, level: 'warning', code: 'path-bound', message: `attack-path search from ${entryEdge.to} stopped at ${found.truncated}; some paths may not be reported` });
    }
  }
  return { paths, issues };
}

/**
 * The attack graph with elements numbered, for searches: one search per
 * internet entry point, hundreds of entry points each visiting thousands of
 * elements, so a visit must cost array reads, not string-keyed Map
 * operations. Elements are numbered, and their adjacency (attack edges in
 * `graph.out` order) read, on first sight; both are kept for the graph's
 * lifetime.
 */
interface AttackGraph {
  ids: string[];
  els: Element[];
  workload: boolean[];
  index: Map<string, number>;
  /** Attack edges of element i and their targets' numbers, same order; undefined until first read. */
  out: (Edge[] | undefined)[];
  outTo: (number[] | undefined)[];
}

/** Per graph, apart from the rules' indexes: an incremental analysis searches from a few entries and runs no rule. */
const ATTACK_GRAPHS = new WeakMap<Graph, AttackGraph>();

function attackGraph(graph: Graph): AttackGraph {
  let g = ATTACK_GRAPHS.get(graph);
  if (!g) {
    // Numbered on first sight: searches reach a part of the graph only.
    g = { ids: [], els: [], workload: [], index: new Map(), out: [], outTo: [] };
    ATTACK_GRAPHS.set(graph, g);
  }
  return g;
}

function number(g: AttackGraph, el: Element): number {
  const i = g.ids.length;
  g.index.set(el.id, i);
  g.ids.push(el.id);
  g.els.push(el);
  g.workload.push(isWorkload(el));
  g.out.push(undefined);
  g.outTo.push(undefined);
  return i;
}

function expand(graph: Graph, g: AttackGraph, i: number): void {
  const edges = (graph.out.get(g.ids[i]!) ?? []).filter((e) => ATTACK_KINDS.has(e.kind));
  g.outTo[i] = edges.map((e) => g.index.get(e.to) ?? number(g, graph.elements.get(e.to)!));
  g.out[i] = edges;
}

/**
 * What every search of one `findAttackPaths` call shares: target kinds and
 * NetworkPolicy decisions are the same from every entry point. Per-search
 * state lives in arrays indexed by element number, valid where `stamp`
 * equals the current search's number (no clearing between searches).
 */
interface SearchMemo {
  graph: Graph;
  g: AttackGraph;
  sensitivity: Record<string, Sensitivity>;
  policies?: NetworkPolicies;
  /** Element number -> target kind; undefined until computed. */
  kinds: (Sensitivity | 'privilege' | null | undefined)[];
  /** Source workload number -> destination workload number -> allowed. */
  decided: (Map<number, boolean> | undefined)[];
  search: number;
  /** Per element number, sized to the numbering (typed arrays: dense, no per-search allocation). */
  stamp: Int32Array;
  depth: Int32Array;
  /** The workload an attacker controls when standing on an element (-1: none yet): what NetworkPolicies judge. */
  foothold: Int32Array;
  /** Whether the chain to an element has a lateral link (a chain of ingress hops only is an exposure, not a path). */
  lateral: Uint8Array;
  prev: (Edge | undefined)[];
  /** The search queue, reused: hundreds of searches would otherwise each allocate one as large as what they reach. */
  queue: Int32Array;
}

/** Grows the per-element arrays to the numbering (which grows as searches see new elements). */
function fit(m: SearchMemo): void {
  const n = m.g.ids.length;
  if (m.stamp.length >= n) return;
  const size = Math.max(n, 2 * m.stamp.length, 1024);
  const grow = <T extends Int32Array | Uint8Array>(a: T, make: (k: number) => T): T => {
    const b = make(size);
    b.set(a);
    return b;
  };
  m.stamp = grow(m.stamp, (k) => new Int32Array(k));
  m.depth = grow(m.depth, (k) => new Int32Array(k));
  m.foothold = grow(m.foothold, (k) => new Int32Array(k));
  m.lateral = grow(m.lateral, (k) => new Uint8Array(k));
  m.queue = grow(m.queue, (k) => new Int32Array(k));
  while (m.prev.length < size) m.prev.push(undefined);
}

function searchMemo(graph: Graph, sensitivity: Record<string, Sensitivity>): SearchMemo {
  const empty = () => new Int32Array(0);
  return { graph, g: attackGraph(graph), sensitivity, kinds: [], decided: [], search: 0, stamp: empty(), depth: empty(), foothold: empty(), lateral: new Uint8Array(0), prev: [], queue: empty() };
}

function kindOf(m: SearchMemo, i: number): Sensitivity | 'privilege' | null {
  let k = m.kinds[i];
  if (k === undefined) {
    k = targetKind(m.g.els[i]!, m.sensitivity);
    m.kinds[i] = k;
  }
  return k;
}

function allows(m: SearchMemo, src: number, dst: number): boolean {
  let bySrc = m.decided[src];
  if (!bySrc) m.decided[src] = bySrc = new Map();
  let ok = bySrc.get(dst);
  if (ok === undefined) {
    ok = (m.policies ??= new NetworkPolicies(m.graph)).allows(m.g.els[src]!, m.g.els[dst]!);
    bySrc.set(dst, ok);
  }
  return ok;
}

function bfs(graph: Graph, entryEdge: Edge, m: SearchMemo, bounds: PathBounds): { paths: AttackPath[]; truncated?: string } {
  const { g } = m;
  const search = ++m.search;
  const entry = entryEdge.to;
  const internet = g.index.get(INTERNET.id) ?? number(g, graph.elements.get(INTERNET.id)!);
  const start = g.index.get(entry) ?? number(g, graph.elements.get(entry)!);
  fit(m);
  m.stamp[start] = search;
  m.depth[start] = 1;
  m.foothold[start] = g.workload[start] ? start : -1;
  m.lateral[start] = LATERAL_KINDS.has(entryEdge.kind) ? 1 : 0;
  m.prev[start] = undefined;
  // Each element enters the queue at most once per search: the numbering bounds the queue.
  m.queue[0] = start;
  let head = 0;
  let tail = 1;
  const paths: AttackPath[] = [];
  let truncated: string | undefined;
  while (head < tail) {
    const i = m.queue[head++]!;
    if (g.out[i] === undefined) {
      expand(graph, g, i);
      fit(m);
    }
    const { stamp, depth, foothold, lateral, prev, queue } = m;
    const edges = g.out[i]!;
    const targets = g.outTo[i]!;
    const d = depth[i]!;
    if (d >= bounds.maxDepth) {
      if (targets.some((t) => stamp[t] !== search)) truncated = `depth ${bounds.maxDepth}`;
      continue;
    }
    for (let k = 0; k < edges.length; k++) {
      const t = targets[k]!;
      if (stamp[t] === search || t === internet) continue;
      const edge = edges[k]!;
      const src = foothold[i]!;
      // A Service forwards to the workloads it selects: the connection is judged from the caller's workload.
      if (g.workload[t] && src >= 0 && (edge.kind === 'selects' || edge.kind === 'calls') && !allows(m, src, t)) continue;
      stamp[t] = search;
      depth[t] = d + 1;
      prev[t] = edge;
      foothold[t] = g.workload[t] ? t : src;
      const isLateral = lateral[i] === 1 || LATERAL_KINDS.has(edge.kind);
      lateral[t] = isLateral ? 1 : 0;
      queue[tail++] = t;
      const kind = isLateral ? kindOf(m, t) : null;
      if (kind) {
        if (paths.length >= bounds.maxPathsPerEntry) {
          truncated = `${bounds.maxPathsPerEntry} paths`;
          return { paths, truncated };
        }
        paths.push({ entry, target: edge.to, sensitivity: kind, chain: chainTo(t, m, entryEdge) });
      }
    }
  }
  return truncated ? { paths, truncated } : { paths };
}

/** The chain to element number `target` in the current search: its `prev` edges back to the entry, then the entry edge. */
function chainTo(target: number, m: SearchMemo, entryEdge: Edge): ChainLink[] {
  const links: ChainLink[] = [];
  let cur = target;
  for (let edge = m.prev[cur]; edge; edge = m.prev[cur]) {
    links.push(link(edge));
    cur = m.g.index.get(edge.from)!;
  }
  links.push(link(entryEdge));
  return links.reverse();
}

function link(e: Edge): ChainLink {
  return { from: e.from, to: e.to, kind: e.kind, evidence: e.evidence, location: e.location };
}

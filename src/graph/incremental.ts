import type { Edge, Element, Fragment, ParseIssue, Ref } from '../model/types.js';
import type { Config } from '../config/config.js';
import { apiOverrides, duplicateIssue, edgeKey } from './build.js';
import { isWorkload, linkRefs, type LinkIndex } from './link.js';
import { OverlayMap, plainMap } from './overlay.js';

/**
 * Incremental graph building. A `GraphState` is everything `buildGraph`
 * computes on the way to a Graph, kept per file and per ref, plus the keys
 * each ref resolution looked up in the link index. A change set (fragments
 * added, replaced, removed) then costs:
 *
 * - the changed files' contributions (and those of files whose duplicate
 *   definitions change owner),
 * - re-resolving only the refs whose recorded lookups can answer differently
 *   (selectors in namespaces whose workloads changed, hosts naming changed
 *   Services or gateway hosts, element refs whose candidates appeared or
 *   disappeared, API attachment to changed names),
 * - assembling the Graph: `graphOf` (src/graph/assemble.ts) in one linear
 *   pass that reuses `finishGraph`, or `deriveGraph` by patching the base's
 *   Graph where the changed files contribute; both equal `buildGraph`
 *   element for element and edge for edge (the property tests in test/engine
 *   check exactly that).
 *
 * States are persistent: `applyChanges` never mutates its input (inner
 * arrays and sets are replaced, never edited), so one base state serves any
 * number of pull requests.
 */

export type GraphConfig = Pick<Config, 'zones' | 'apis'>;

/** Bump when the state layout changes: persisted states of another version are rebuilt. */
export const GRAPH_STATE_VERSION = 4;

/** One ref with its resolution and the index keys the resolution read. */
export interface RefSlot {
  readonly file: string;
  readonly ref: Ref;
  readonly edges: Edge[];
  /** `edgeKey` of each edge, computed once. */
  readonly keys: string[];
  /** The external-host element this ref would create (first creator in path order wins). */
  readonly created: Element[];
  readonly issues: ParseIssue[];
  readonly deps: string[];
}

/** What one file contributes, given which file owns each element id. */
export interface FileState {
  readonly fragment: Fragment;
  readonly accepted: Element[];
  /** Fragment issues, then duplicate-definition warnings, in buildGraph's order. */
  readonly issues: ParseIssue[];
  readonly rawEdges: Edge[];
  readonly rawKeys: string[];
  readonly slots: RefSlot[];
}

interface IndexEntry {
  id: string;
  file: string;
  idx: number;
}
interface WorkloadEntry extends IndexEntry {
  labels: Record<string, string>;
}

export interface GraphState {
  readonly version: number;
  readonly config: GraphConfig;
  /** File paths in build order (plain string order, as buildGraph sorts). */
  readonly order: string[];
  readonly files: ReadonlyMap<string, FileState>;
  /** Element id -> sorted paths of the files defining it; the first wins. */
  readonly definers: ReadonlyMap<string, string[]>;
  /** Element id -> the winning definition (the linker's `index.elements`). */
  readonly accepted: ReadonlyMap<string, Element>;
  /** The link index, each list in element order (owner path, position in file). */
  readonly ns: ReadonlyMap<string, WorkloadEntry[]>;
  readonly gh: ReadonlyMap<string, IndexEntry[]>;
  readonly bn: ReadonlyMap<string, IndexEntry[]>;
  /** Index key -> the ref slots whose resolution read it. */
  readonly dependents: ReadonlyMap<string, Set<RefSlot>>;
  /**
   * Edge key -> the files with a candidate edge of that key, as sorted tokens
   * (`0<path>` for a fragment edge, `1<path>` for a linked one): the first is
   * the one a graph keeps (src/graph/derive.ts).
   */
  readonly edgeOwners: ReadonlyMap<string, string[]>;
  /** Created element id (external host) -> sorted paths of the files whose refs create it. */
  readonly creators: ReadonlyMap<string, string[]>;
  /** Number of ref slots, for statistics. */
  readonly refCount: number;
}

/** The state with plain Maps only (for serialisation: overlays are a process-local optimisation). */
export function materialize(s: GraphState): GraphState {
  return {
    ...s,
    files: plainMap(s.files),
    definers: plainMap(s.definers),
    accepted: plainMap(s.accepted),
    ns: plainMap(s.ns),
    gh: plainMap(s.gh),
    bn: plainMap(s.bn),
    dependents: plainMap(s.dependents),
    edgeOwners: plainMap(s.edgeOwners),
    creators: plainMap(s.creators),
  };
}

/** What one `applyChanges` did, for --verbose and benchmarks. */
export interface ApplyStats {
  filesChanged: number;
  filesRecomputed: number;
  refsRelinked: number;
  refsTotal: number;
}

/** What `applyChanges` returns: the new state, statistics, and the paths whose contribution changed. */
export interface Applied {
  state: GraphState;
  stats: ApplyStats;
  /** Files whose `FileState` differs from the base's (added, removed, re-parsed, recomputed or re-linked), sorted. */
  changed: string[];
}

const BY_NAME_KINDS = new Set(['service', 'gateway', 'datastore']);

export function emptyState(config: GraphConfig): GraphState {
  return {
    version: GRAPH_STATE_VERSION,
    config: { zones: { ...config.zones }, apis: { ...config.apis } },
    order: [],
    files: new Map(),
    definers: new Map(),
    accepted: new Map(),
    ns: new Map(),
    gh: new Map(),
    bn: new Map(),
    dependents: new Map(),
    edgeOwners: new Map(),
    creators: new Map(),
    refCount: 0,
  };
}

/** A state from scratch: the same as applying every fragment to an empty state. */
export function createState(fragments: readonly Fragment[], config: GraphConfig): GraphState {
  return applyChanges(emptyState(config), fragments, []).state;
}

/** Index keys an element answers to: any change to it may change refs that looked these up. */
function keysOf(el: Element, out: Set<string>): void {
  out.add(`e:${el.id}`);
  if (isWorkload(el)) out.add(`ns:${String(el.attrs.namespace ?? 'default')}`);
  const hosts = el.attrs.hosts;
  if (el.kind === 'gateway' && Array.isArray(hosts)) for (const h of hosts) out.add(`gh:${String(h).toLowerCase()}`);
  if (BY_NAME_KINDS.has(el.kind)) out.add(`bn:${el.name.toLowerCase()}`);
}

function compareEntries(a: IndexEntry, b: IndexEntry): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.idx - b.idx;
}

function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Position of `value` in the sorted array, or where it would go. */
export function bisect(list: readonly string[], value: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Applies a change set: `upserts` are the new fragments of added or changed
 * files, `removals` the paths of files that are gone (or no longer yield a
 * fragment). Returns a new state; `base` is left as it was.
 */
export function applyChanges(
  base: GraphState,
  upserts: readonly Fragment[],
  removals: readonly string[],
  /** `layer`/`copy` force a strategy (tests); `auto` overlays small change sets on the base. */
  mode: 'auto' | 'layer' | 'copy' = 'auto',
): Applied {
  // A cold build writes every key: plain Maps. A derivation writes a few: overlays on the base
  // (copying its maps would cost O(repository) per pull request).
  const bulk = mode === 'copy' || (mode === 'auto' && (base.order.length === 0 || upserts.length + removals.length > base.order.length / 4));
  const fork = <K, V>(m: ReadonlyMap<K, V>): Map<K, V> => (bulk ? new Map(m) : OverlayMap.over(m));
  const s = {
    ...base,
    files: fork(base.files),
    definers: fork(base.definers),
    accepted: fork(base.accepted),
    ns: fork(base.ns),
    gh: fork(base.gh),
    bn: fork(base.bn),
    dependents: fork(base.dependents),
    edgeOwners: fork(base.edgeOwners),
    creators: fork(base.creators),
  };
  let refCount = base.refCount;
  let order = base.order;
  const ownedDeps = new Set<string>();
  const depSet = (key: string): Set<RefSlot> => {
    let set = s.dependents.get(key);
    if (!set || !ownedDeps.has(key)) {
      set = new Set(set);
      s.dependents.set(key, set);
      ownedDeps.add(key);
    }
    return set;
  };
  const dropSlots = (slots: readonly RefSlot[]): void => {
    for (const slot of slots) {
      for (const key of slot.deps) {
        const set = depSet(key);
        set.delete(slot);
        if (set.size === 0) s.dependents.delete(key);
      }
    }
    refCount -= slots.length;
  };
  const fresh = new Set<RefSlot>();
  const linker = new Linker(s);
  const link = (file: string, ref: Ref): RefSlot => {
    const slot = linker.link(file, ref);
    for (const key of slot.deps) depSet(key).add(slot);
    fresh.add(slot);
    refCount++;
    return slot;
  };

  // 1. Take out every file that changes, and put the new fragments in.
  const touchedIds = new Set<string>();
  const recompute = new Set<string>();
  const upsertPaths = new Set(upserts.map((f) => f.file));
  const gone: string[] = [];
  for (const path of [...removals, ...upsertPaths]) {
    const old = s.files.get(path);
    if (!old) continue;
    for (const el of old.fragment.elements) {
      touchedIds.add(el.id);
      const defs = s.definers.get(el.id);
      if (!defs) continue;
      const rest = defs.filter((p) => p !== path);
      if (rest.length > 0) s.definers.set(el.id, rest);
      else s.definers.delete(el.id);
    }
    dropSlots(old.slots);
    s.files.delete(path);
    if (!upsertPaths.has(path)) gone.push(path);
  }
  for (const fragment of upserts) {
    s.files.set(fragment.file, { fragment, accepted: [], issues: [], rawEdges: [], rawKeys: [], slots: [] });
    recompute.add(fragment.file);
    for (const el of fragment.elements) {
      touchedIds.add(el.id);
      const defs = s.definers.get(el.id);
      if (!defs) s.definers.set(el.id, [fragment.file]);
      else if (!defs.includes(fragment.file)) {
        const next = [...defs];
        next.splice(bisect(next, fragment.file), 0, fragment.file);
        s.definers.set(el.id, next);
      }
    }
  }
  const newPaths = upserts.map((f) => f.file).filter((p) => !base.files.has(p));
  if (gone.length + newPaths.length > 64) {
    order = [...s.files.keys()].sort(comparePaths);
  } else if (gone.length + newPaths.length > 0) {
    order = [...order];
    for (const p of gone) order.splice(bisect(order, p), 1);
    for (const p of newPaths) order.splice(bisect(order, p), 0, p);
  }

  // 2. New owners: update the linker's view and note every index key that changed.
  const changedKeys = new Set<string>();
  const dirty = { ns: new Set<string>(), gh: new Set<string>(), bn: new Set<string>() };
  const unindex = (el: Element): void => {
    const drop = <T extends IndexEntry>(map: Map<string, T[]>, key: string, set: Set<string>): void => {
      const list = map.get(key);
      if (!list) return;
      const next = list.filter((x) => x.id !== el.id);
      if (next.length > 0) map.set(key, next);
      else map.delete(key);
      set.add(key);
    };
    if (isWorkload(el)) drop(s.ns, String(el.attrs.namespace ?? 'default'), dirty.ns);
    const hosts = el.attrs.hosts;
    if (el.kind === 'gateway' && Array.isArray(hosts)) for (const h of new Set(hosts.map((x) => String(x).toLowerCase()))) drop(s.gh, h, dirty.gh);
    if (BY_NAME_KINDS.has(el.kind)) drop(s.bn, el.name.toLowerCase(), dirty.bn);
  };
  const index = (el: Element, file: string, idx: number): void => {
    const add = <T extends IndexEntry>(map: Map<string, T[]>, key: string, entry: T, set: Set<string>): void => {
      map.set(key, [...(map.get(key) ?? []), entry]);
      set.add(key);
    };
    if (isWorkload(el)) add(s.ns, String(el.attrs.namespace ?? 'default'), { id: el.id, file, idx, labels: (el.attrs.podLabels as Record<string, string>) ?? {} }, dirty.ns);
    const hosts = el.attrs.hosts;
    if (el.kind === 'gateway' && Array.isArray(hosts)) for (const h of hosts) add(s.gh, String(h).toLowerCase(), { id: el.id, file, idx }, dirty.gh);
    if (BY_NAME_KINDS.has(el.kind)) add(s.bn, el.name.toLowerCase(), { id: el.id, file, idx }, dirty.bn);
  };
  for (const id of touchedIds) {
    const before = s.accepted.get(id);
    const defs = s.definers.get(id);
    let after: Element | undefined;
    let idx = -1;
    if (defs) {
      const els = s.files.get(defs[0]!)!.fragment.elements;
      idx = els.findIndex((e) => e.id === id);
      after = els[idx];
    }
    if (before === after) continue;
    // Another owner changes every definer's duplicate warning and what it may contribute.
    for (const p of defs ?? []) recompute.add(p);
    if (before) {
      keysOf(before, changedKeys);
      unindex(before);
    }
    if (after) {
      s.accepted.set(id, after);
      keysOf(after, changedKeys);
      index(after, defs![0]!, idx);
    } else {
      s.accepted.delete(id);
    }
  }
  for (const [map, keys] of [[s.ns, dirty.ns], [s.gh, dirty.gh], [s.bn, dirty.bn]] as [Map<string, IndexEntry[]>, Set<string>][]) {
    for (const key of keys) {
      const list = map.get(key);
      if (list) map.set(key, [...list].sort(compareEntries));
    }
  }

  // 3. Contributions of changed files and of files whose duplicates changed owner.
  for (const path of recompute) {
    const st = s.files.get(path);
    if (!st) continue;
    dropSlots(st.slots);
    s.files.set(path, contribution(s, st.fragment, link));
  }

  // 4. Re-resolve only the refs whose lookups can now answer differently.
  const stale = new Map<string, Set<RefSlot>>();
  for (const key of changedKeys) {
    for (const slot of s.dependents.get(key) ?? []) {
      if (fresh.has(slot)) continue;
      (stale.get(slot.file) ?? stale.set(slot.file, new Set()).get(slot.file)!).add(slot);
    }
  }
  for (const [file, slots] of stale) {
    const st = s.files.get(file)!;
    dropSlots([...slots]);
    s.files.set(file, { ...st, slots: st.slots.map((slot) => (slots.has(slot) ? link(file, slot.ref) : slot)) });
  }

  // 5. Who owns each edge key and creates each external host, for the files whose contribution changed.
  const changed: string[] = [];
  for (const path of new Set([...gone, ...upsertPaths, ...recompute, ...stale.keys()])) {
    const before = base.files.get(path);
    const after = s.files.get(path);
    if (before === after) continue;
    changed.push(path);
    if (before) {
      for (const [key, token] of tokensOf(before)) unlist(s.edgeOwners, key, token);
      for (const id of createdBy(before)) unlist(s.creators, id, path);
    }
    if (after) {
      for (const [key, token] of tokensOf(after)) enlist(s.edgeOwners, key, token);
      for (const id of createdBy(after)) enlist(s.creators, id, path);
    }
  }
  changed.sort(comparePaths);

  const state: GraphState = { ...s, order, refCount };
  return { state, changed, stats: { filesChanged: upsertPaths.size + gone.length, filesRecomputed: recompute.size, refsRelinked: fresh.size, refsTotal: refCount } };
}

/** The token of a file's fragment edges (`0`) or linked edges (`1`) in `edgeOwners`: sorts by section, then path. */
export function ownerToken(section: 0 | 1, path: string): string {
  return `${section}${path}`;
}

/** Each edge key a file has a candidate for, once, with its token. */
function tokensOf(st: FileState): Map<string, string> {
  const out = new Map<string, string>();
  const raw = ownerToken(0, st.fragment.file);
  for (const key of st.rawKeys) if (!out.has(key)) out.set(key, raw);
  const linked = ownerToken(1, st.fragment.file);
  for (const slot of st.slots) for (const key of slot.keys) if (!out.has(key)) out.set(key, linked);
  return out;
}

/** Ids of the elements a file's refs create, once each. */
function createdBy(st: FileState): Set<string> {
  const ids = new Set<string>();
  for (const slot of st.slots) for (const c of slot.created) ids.add(c.id);
  return ids;
}

function enlist(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (!list) map.set(key, [value]);
  else {
    const i = bisect(list, value);
    if (list[i] !== value) map.set(key, [...list.slice(0, i), value, ...list.slice(i)]);
  }
}

function unlist(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (!list) return;
  const next = list.filter((x) => x !== value);
  if (next.length > 0) map.set(key, next);
  else map.delete(key);
}

function contribution(s: GraphState, fragment: Fragment, link: (file: string, ref: Ref) => RefSlot): FileState {
  const path = fragment.file;
  const issues: ParseIssue[] = [...fragment.issues];
  const accepted: Element[] = [];
  const rejected = new Set<string>();
  const seen = new Set<string>();
  for (const el of fragment.elements) {
    if (s.definers.get(el.id)![0] !== path || seen.has(el.id)) {
      rejected.add(el.id);
      issues.push(duplicateIssue(el, s.accepted.get(el.id)!));
      continue;
    }
    seen.add(el.id);
    accepted.push(el);
  }
  const rawEdges = rejected.size === 0 ? fragment.edges : fragment.edges.filter((e) => !rejected.has(e.from) && !rejected.has(e.to));
  const slots: RefSlot[] = [];
  for (const ref of fragment.refs) if (!rejected.has(ref.from)) slots.push(link(path, ref));
  return { fragment, accepted, issues, rawEdges, rawKeys: rawEdges.map(edgeKey), slots };
}

/**
 * Resolves one ref with the real linker (`linkRefs`), through an index that
 * records every key it reads: the recorded keys are exactly what can make the
 * same ref resolve differently later.
 */
class Linker {
  private deps = new Set<string>();
  private readonly index: LinkIndex;
  private readonly override: (apiId: string, file: string) => string | undefined;

  constructor(s: GraphState) {
    const deps = () => this.deps;
    const elements = {
      has: (id: string) => (deps().add(`e:${id}`), s.accepted.has(id)),
      get: (id: string) => (deps().add(`e:${id}`), s.accepted.get(id)),
    } as unknown as Map<string, Element>;
    const ids = (list: IndexEntry[] | undefined) => list?.map((x) => x.id);
    this.index = {
      elements,
      workloadsByNamespace: {
        get: (ns: string) => (deps().add(`ns:${ns}`), s.ns.get(ns)),
        has: (ns: string) => (deps().add(`ns:${ns}`), s.ns.has(ns)),
      } as unknown as LinkIndex['workloadsByNamespace'],
      gatewayHosts: { get: (h: string) => (deps().add(`gh:${h}`), ids(s.gh.get(h))) } as unknown as LinkIndex['gatewayHosts'],
      byName: { get: (n: string) => (deps().add(`bn:${n}`), ids(s.bn.get(n))) } as unknown as LinkIndex['byName'],
    };
    this.override = apiOverrides(s.config.apis, elements);
  }

  link(file: string, ref: Ref): RefSlot {
    this.deps = new Set();
    const result = linkRefs([ref], this.index, this.override);
    return { file, ref, edges: result.edges, keys: result.edges.map(edgeKey), created: result.created, issues: result.issues, deps: [...this.deps] };
  }
}

/** The fragments of a state, in path order. */
export function fragmentsOf(s: GraphState): Fragment[] {
  return s.order.map((p) => s.files.get(p)!.fragment);
}

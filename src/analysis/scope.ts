import type { Edge, Element } from '../model/types.js';
import type { Graph } from '../model/graph.js';
import { bisect, type FileState, type GraphState, type RefSlot } from '../graph/incremental.js';
import { INTERNET } from '../graph/build.js';
import type { ElementClass, Grouping, RuleScope } from './rule-scopes.js';
import { pathKey, VERSION_SEGMENT } from '../../rules/openapi/openapi-inconsistent-security.js';
import { AUDIT_AGENT } from '../../rules/k8s/k8s-no-audit-trail-privileged-workload.js';

/**
 * The affected part of a derived graph: which elements changed between a
 * base and a head derived from it, which elements a rule must look at again,
 * and restricted views of the head graph to run rules over.
 *
 * Everything starts from the incremental state rather than from a diff of the
 * two graphs: a file whose contribution is the same object in both states
 * contributed the same elements and edges, and a ref slot that is the same
 * object resolved to the same edges. Only the files whose state changed are
 * looked at in detail.
 */

export interface Side {
  graph: Graph;
  state: GraphState;
}

/** Element kinds that inherit their zone along `serves` edges (src/graph/zones.ts). */
const INHERITING = new Set(['api', 'operation']);

/** What changed between a base and a head derived from it. */
export interface ChangeSet {
  /**
   * Every element whose object, zone or incident edges (set, content or
   * order) may differ — a superset, never a subset.
   */
  all: Set<string>;
  /** The part of `all` whose own object or zone may differ, or that appeared or disappeared. */
  objects: Set<string>;
}

/**
 * What changed, from the states' changed files only:
 *
 * - elements of a changed file whose content (including location) or
 *   acceptance differs, and elements appearing in or leaving it;
 * - endpoints of its raw edges and of its refs' edges that appeared,
 *   disappeared or moved (content compared, so re-parsing a file or
 *   re-resolving a ref to the same edges changes nothing), and external
 *   hosts those refs create;
 * - for an element that appeared or disappeared, its neighbours (edges of
 *   unchanged files to it come and go with it);
 * - APIs and operations whose inherited zone changed (`serves` chains).
 *
 * Costs one identity check per file plus the changed files' contents.
 */
export function changedElements(base: Side, head: Side): ChangeSet {
  const all = new Set<string>();
  const objects = new Set<string>();
  const object = (id: string): void => {
    objects.add(id);
    all.add(id);
  };
  const ends = (e: Edge): void => {
    all.add(e.from);
    all.add(e.to);
  };
  const visit = (before: FileState | undefined, after: FileState | undefined): void => {
    if (before && after && before.fragment === after.fragment) {
      // Same file, re-linked or re-arbitrated: elements whose acceptance changed, edges by identity.
      const was = new Set(before.accepted);
      for (const el of after.accepted) if (!was.delete(el)) object(el.id);
      for (const el of was) object(el.id);
      edgeChanges(before.rawEdges, after.rawEdges, ends, true);
      // A ref resolved again is the same ref object; resolved to equal edges, nothing changed.
      const oldSlots = new Map<object, RefSlot>();
      for (const slot of before.slots) oldSlots.set(slot.ref, slot);
      for (const slot of after.slots) {
        const old = oldSlots.get(slot.ref);
        oldSlots.delete(slot.ref);
        if (old === slot || (old && sameResolution(old, slot))) continue;
        if (old) slotChanges(old, ends, object);
        slotChanges(slot, ends, object);
      }
      for (const slot of oldSlots.values()) slotChanges(slot, ends, object);
      return;
    }
    // Re-parsed (or added, or removed): compare contents.
    const old = new Map<string, string>();
    for (const el of before?.fragment.elements ?? []) if (!old.has(el.id)) old.set(el.id, JSON.stringify(el));
    for (const el of after?.fragment.elements ?? []) {
      const was = old.get(el.id);
      if (was === undefined || was !== JSON.stringify(el)) object(el.id);
      old.delete(el.id);
    }
    for (const id of old.keys()) object(id);
    const acceptedBefore = new Set((before?.accepted ?? []).map((e) => e.id));
    const acceptedAfter = new Set((after?.accepted ?? []).map((e) => e.id));
    for (const id of acceptedAfter) if (!acceptedBefore.has(id)) object(id);
    for (const id of acceptedBefore) if (!acceptedAfter.has(id)) object(id);
    // Reordered documents reorder the graph's elements, which rules aggregating a group see.
    const kept = (list: readonly Element[] | undefined, other: Set<string>) => (list ?? []).map((e) => e.id).filter((id) => other.has(id));
    const keptBefore = kept(before?.accepted, acceptedAfter);
    const keptAfter = kept(after?.accepted, acceptedBefore);
    if (keptBefore.some((id, i) => id !== keptAfter[i])) for (const id of keptBefore) object(id);
    edgeChanges(before?.rawEdges ?? [], after?.rawEdges ?? [], ends, false);
    edgeChanges(
      (before?.slots ?? []).flatMap((slot) => slot.edges),
      (after?.slots ?? []).flatMap((slot) => slot.edges),
      ends,
      false,
    );
    const created = new Map<string, string>();
    for (const c of (before?.slots ?? []).flatMap((slot) => slot.created)) created.set(c.id, JSON.stringify(c));
    for (const c of (after?.slots ?? []).flatMap((slot) => slot.created)) {
      if (created.get(c.id) !== JSON.stringify(c)) object(c.id);
      created.delete(c.id);
    }
    for (const id of created.keys()) object(id);
  };
  for (const path of head.state.order) {
    const after = head.state.files.get(path);
    const before = base.state.files.get(path);
    if (after !== before) visit(before, after);
  }
  if (head.state.order !== base.state.order) {
    for (const path of base.state.order) if (!head.state.files.has(path)) visit(base.state.files.get(path), undefined);
  }
  if (base.graph.elements.has(INTERNET.id) !== head.graph.elements.has(INTERNET.id)) object(INTERNET.id);

  // Appearing or disappearing takes the element's edges from unchanged files with it.
  for (const id of objects) {
    const b = base.graph.elements.has(id);
    const h = head.graph.elements.has(id);
    if (b === h) continue;
    const g = b ? base.graph : head.graph;
    for (const e of g.out.get(id) ?? []) all.add(e.to);
    for (const e of g.in.get(id) ?? []) all.add(e.from);
  }

  // Zones are inherited along `serves` edges: follow them from everything changed.
  const queue = [...all];
  while (queue.length > 0) {
    const id = queue.pop()!;
    for (const g of [head.graph, base.graph]) {
      for (const e of g.out.get(id) ?? []) {
        if (e.kind !== 'serves' || objects.has(e.to)) continue;
        const el = g.elements.get(e.to);
        if (!el || !INHERITING.has(el.kind)) continue;
        if (base.graph.zoneOf.get(e.to) === head.graph.zoneOf.get(e.to)) continue;
        object(e.to);
        queue.push(e.to);
      }
    }
  }
  return { all, objects };
}

/**
 * Endpoints of edges that differ between two sequences of one file's edges:
 * present in one only, or in another relative order (in/out lists follow
 * file order). By identity for a file that was not re-parsed, else by content.
 */
function edgeChanges(before: readonly Edge[], after: readonly Edge[], ends: (e: Edge) => void, byIdentity: boolean): void {
  if (before === after) return;
  const key: (e: Edge) => unknown = byIdentity ? (e) => e : (e) => JSON.stringify(e);
  const pending = new Map<unknown, number>();
  for (const e of before) {
    const k = key(e);
    pending.set(k, (pending.get(k) ?? 0) + 1);
  }
  const commonAfter: unknown[] = [];
  for (const e of after) {
    const k = key(e);
    const n = pending.get(k) ?? 0;
    if (n > 0) {
      pending.set(k, n - 1);
      commonAfter.push(k);
    } else ends(e);
  }
  const commonBefore: unknown[] = [];
  const left = new Map(pending);
  for (const e of before) {
    const k = key(e);
    const n = left.get(k) ?? 0;
    if (n > 0) {
      left.set(k, n - 1);
      ends(e);
    } else commonBefore.push(k);
  }
  if (commonBefore.length !== commonAfter.length || commonBefore.some((k, i) => k !== commonAfter[i])) {
    for (const e of before) ends(e);
    for (const e of after) ends(e);
  }
}

function slotChanges(slot: RefSlot, ends: (e: Edge) => void, object: (id: string) => void): void {
  for (const e of slot.edges) ends(e);
  for (const c of slot.created) object(c.id);
}

/** Two resolutions of one ref with field-for-field equal edges and created elements. */
function sameResolution(a: RefSlot, b: RefSlot): boolean {
  return a.edges.length === b.edges.length && a.created.length === b.created.length && a.edges.every((e, i) => shallowEqual(e, b.edges[i]!)) && a.created.every((c, i) => shallowEqual(c, b.created[i]!));
}

/** Same keys with identical values (nested objects compared by identity: a ref's edges share its template's). */
function shallowEqual(a: object, b: object): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && (a as Record<string, unknown>)[k] === (b as Record<string, unknown>)[k]);
}

/** The namespace Kubernetes rules use for an element (rules/k8s/helpers.ts `namespaceOf`). */
function namespaceKey(el: Element): string {
  return typeof el.attrs.namespace === 'string' ? el.attrs.namespace : 'default';
}

const isK8s = (el: Element) => el.type.startsWith('k8s:');

export function inClass(el: Element, c: ElementClass): boolean {
  switch (c) {
    case 'k8s':
      return el.id.startsWith('k8s:') || isK8s(el);
    case 'openapi':
      return el.id.startsWith('openapi:') || el.type.startsWith('openapi:');
    case 'terraform':
      return el.id.startsWith('tf:') || el.type.startsWith('tf:');
    case 'k8s-binding':
      return isK8s(el) && el.attrs.binding === true;
    case 'k8s-role':
      return el.type === 'k8s:Role' || el.type === 'k8s:ClusterRole';
    case 'k8s-mtls':
      return isK8s(el) && el.kind === 'policy' && el.attrs.policyKind === 'mtls';
    case 'tf-cloudtrail':
      return el.id.startsWith('tf:') && el.attrs.tfType === 'aws_cloudtrail';
    case 'tf-ebs-default':
      return el.id.startsWith('tf:') && el.attrs.tfType === 'aws_ebs_encryption_by_default';
    case 'tf-s3-account-block':
      return el.id.startsWith('tf:') && el.attrs.tfType === 'aws_s3_account_public_access_block';
    case 'k8s-audit':
      return isK8s(el) && (el.type === 'k8s:Policy' || MIRRORED.auditAgent.test(el.name) || (Array.isArray(el.attrs.containers) && (el.attrs.containers as { image?: unknown }[]).some((c) => typeof c?.image === 'string' && MIRRORED.auditAgent.test(c.image))));
  }
}

/** Every class, for `seedClasses`. */
const CLASSES: readonly ElementClass[] = ['k8s', 'openapi', 'terraform', 'k8s-binding', 'k8s-role', 'k8s-mtls', 'tf-cloudtrail', 'tf-ebs-default', 'tf-s3-account-block', 'k8s-audit'];

/**
 * Rule internals a group or class must agree with exactly (a group keyed
 * differently from what the rule compares drops findings): the rules' own
 * `VERSION_SEGMENT` and `pathKey` (openapi-inconsistent-security) and
 * `AUDIT_AGENT` (k8s-no-audit-trail-privileged-workload), and a copy of the
 * account key of k8s-cluster-admin-binding, which builds it inline.
 * test/engine/rule-scopes.test.ts fails when a rule's source stops matching.
 */
export const MIRRORED = {
  versionSegment: VERSION_SEGMENT,
  auditAgent: AUDIT_AGENT,
  /** The account a workload runs as, as k8s-cluster-admin-binding matches it against a binding's `serviceAccounts`. */
  accountOf(w: Element): string {
    return `${String(w.attrs.namespace)}/${String(w.attrs.serviceAccount)}`;
  },
  pathKey,
};

/**
 * A Terraform element's literal string `attribute` (`bucket = "logs"`), the
 * key `satellites()` (rules/terraform/tf-helpers.ts) matches a subject and
 * its satellites by. Any type: a superset of the rules' types only widens
 * the group.
 */
function literalOf(el: Element, attribute: string): string | undefined {
  if (!el.id.startsWith('tf:')) return undefined;
  const values = el.attrs.values;
  const v = typeof values === 'object' && values !== null ? (values as Record<string, unknown>)[attribute] : undefined;
  return typeof v === 'string' ? v : undefined;
}

type IndexKind = Grouping | ElementClass;

/** The groups an element belongs to (a binding naming several ServiceAccounts: several keys). */
function keysOf(kind: IndexKind, el: Element): readonly string[] {
  if (kind === 'k8s-service-account') {
    if (!isK8s(el)) return [];
    // The rule's own strings: `${namespace}/${serviceAccount}` of a workload, `attrs.serviceAccounts` of a binding.
    if (el.attrs.workload === true) return [MIRRORED.accountOf(el)];
    const named = el.attrs.serviceAccounts;
    return Array.isArray(named) ? named.filter((x): x is string => typeof x === 'string') : [];
  }
  const k = keyOf(kind, el);
  return k === undefined ? [] : [k];
}

/** The group an element belongs to (one key), or none. Classes are one group keyed ''. */
function keyOf(kind: Exclude<IndexKind, 'k8s-service-account'>, el: Element): string | undefined {
  switch (kind) {
    case 'namespace':
      return isK8s(el) ? namespaceKey(el) : undefined;
    case 'api':
      if (el.type === 'openapi:api') return el.id;
      return el.type === 'openapi:operation' && typeof el.attrs.api === 'string' ? el.attrs.api : undefined;
    case 'tf-directory':
      return el.id.startsWith('tf:') && typeof el.attrs.directory === 'string' ? el.attrs.directory : undefined;
    case 'tf-bucket-name':
      return literalOf(el, 'bucket');
    case 'tf-stage-name':
      return literalOf(el, 'stage_name');
    case 'openapi-path':
      return el.type === 'openapi:operation' ? MIRRORED.pathKey(String(el.attrs.path ?? '')) : undefined;
    default:
      return inClass(el, kind) ? '' : undefined;
  }
}

type GroupIndex = Map<string, Set<string>>;

/** Group indexes per graph: built once for a base, patched for each head derived from it. */
const INDEXES = new WeakMap<Graph, Map<IndexKind, GroupIndex>>();

function buildIndex(graph: Graph, kind: IndexKind): GroupIndex {
  const index: GroupIndex = new Map();
  for (const el of graph.elements.values()) {
    for (const k of keysOf(kind, el)) {
      const set = index.get(k);
      if (set) set.add(el.id);
      else index.set(k, new Set([el.id]));
    }
  }
  return index;
}

function indexOf(graph: Graph, kind: IndexKind, from?: { base: Graph; changed: ReadonlySet<string> }): GroupIndex {
  let perGraph = INDEXES.get(graph);
  if (!perGraph) INDEXES.set(graph, (perGraph = new Map()));
  const cached = perGraph.get(kind);
  if (cached) return cached;
  let index: GroupIndex;
  if (from) {
    // Only changed elements can change group: copy the map, copy-on-write the touched groups.
    index = new Map(indexOf(from.base, kind));
    const copied = new Set<string>();
    const own = (k: string): Set<string> => {
      if (!copied.has(k)) {
        index.set(k, new Set(index.get(k) ?? []));
        copied.add(k);
      }
      return index.get(k)!;
    };
    for (const id of from.changed) {
      const b = from.base.elements.get(id);
      const h = graph.elements.get(id);
      const kh = h ? keysOf(kind, h) : [];
      for (const k of b ? keysOf(kind, b) : []) if (!kh.includes(k)) own(k).delete(id);
      for (const k of kh) own(k).add(id);
    }
    for (const k of copied) if (index.get(k)!.size === 0) index.delete(k);
  } else {
    index = buildIndex(graph, kind);
  }
  perGraph.set(kind, index);
  return index;
}

export type LocalScope = Extract<RuleScope, { kind: 'local' }>;

/** What a derivation knows when it scopes rules. */
export interface ScopeInput {
  base: Graph;
  head: Graph;
  /** `changedElements(...).all`. */
  changed: ReadonlySet<string>;
  /** Changed elements plus elements whose rating inputs (reachability, exposure) changed: each is re-checked. */
  seeds: ReadonlySet<string>;
  /**
   * The seeds others may depend on: changed objects or zones, changed
   * reachability or exposure (an element whose only change is an edge to
   * or from it — a hub many workloads call — is re-checked itself, but its
   * neighbours and groups read nothing that changed).
   */
  objectSeeds: ReadonlySet<string>;
}

/** Classes the seeds (before or after the change) belong to. */
export function seedClasses(input: ScopeInput): Set<ElementClass> {
  const hit = new Set<ElementClass>();
  for (const id of input.seeds) {
    for (const el of [input.base.elements.get(id), input.head.elements.get(id)]) {
      if (!el) continue;
      for (const c of CLASSES) if (!hit.has(c) && inClass(el, c)) hit.add(c);
    }
  }
  return hit;
}

/**
 * For a local scope: `recheck`, the elements whose findings may differ from
 * the base's (findings on any other element carry over), and `iterate`, the
 * elements the rule must see to compute them (recheck plus context).
 */
export function recheckSets(scope: LocalScope, input: ScopeInput): { recheck: Set<string>; iterate: Set<string> } {
  const { base, head } = input;
  const from = { base, changed: input.changed };
  const recheck = new Set(input.seeds);
  // Elements whose change others read, and through them (neighbours, groups) who reads it.
  const readers = new Set(input.objectSeeds);
  if (scope.neighbours) {
    // Neighbours before the change too: a satellite whose policy document disappeared reads
    // something that changed, and its group (buckets naming it) must hear of it.
    for (const id of input.objectSeeds) {
      for (const g of [head, base]) {
        for (const e of g.out.get(id) ?? []) readers.add(e.to);
        for (const e of g.in.get(id) ?? []) readers.add(e.from);
      }
    }
    for (const id of readers) recheck.add(id);
  }
  const groupsOf = (ids: Iterable<string>, versions: (id: string) => (Element | undefined)[], into: Set<string>): void => {
    for (const g of scope.groups ?? []) {
      const index = indexOf(head, g, from);
      const keys = new Set<string>();
      for (const id of ids) {
        for (const el of versions(id)) {
          for (const k of el ? keysOf(g, el) : []) keys.add(k);
        }
      }
      for (const k of keys) for (const id of index.get(k) ?? []) into.add(id);
    }
  };
  // A member's finding reads its whole group: every member of a group something changed in.
  groupsOf(readers, (id) => [base.elements.get(id), head.elements.get(id)], recheck);
  // Computing a re-checked element's finding needs its group (an element re-checked for its own edges only).
  const iterate = new Set(recheck);
  groupsOf(recheck, (id) => [head.elements.get(id)], iterate);
  for (const c of scope.include ?? []) for (const id of indexOf(head, c, from).get('') ?? []) iterate.add(id);
  return { recheck, iterate };
}

/** Members of the head's namespace groups, for attack-path seeds when NetworkPolicies changed. */
export function namespaceMembers(input: ScopeInput, namespaces: Iterable<string>): Set<string> {
  const index = indexOf(input.head, 'namespace', { base: input.base, changed: input.changed });
  const out = new Set<string>();
  for (const ns of namespaces) for (const id of index.get(ns) ?? []) out.add(id);
  return out;
}

/** Elements from which `seeds` can be reached in at most `hops` edges (any kind), seeds included. */
export function reverseReach(graph: Graph, seeds: Iterable<string>, hops: number): Set<string> {
  const seen = new Set<string>(seeds);
  let frontier = [...seen];
  for (let d = 0; d < hops && frontier.length > 0; d++) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const e of graph.in.get(id) ?? []) {
        if (seen.has(e.from)) continue;
        seen.add(e.from);
        next.push(e.from);
      }
    }
    frontier = next;
  }
  return seen;
}

const POSITIONS = new WeakMap<FileState, Map<string, number>>();

/**
 * The given elements of the head in the graph's element order (what a full
 * pass iterates), without walking the graph: a graph lists accepted
 * fragment elements file by file in path order (`graphOf`), so an element's
 * place is its file's place in `state.order` and its place in the file.
 * Elements no file defines (external hosts the linker creates, the internet
 * actor) come last, by id: no rule groups or aggregates them.
 */
export function inGraphOrder(head: Side, ids: ReadonlySet<string>): Element[] {
  const placed: { el: Element; file: number; idx: number }[] = [];
  const rest: Element[] = [];
  for (const id of ids) {
    const el = head.graph.elements.get(id);
    if (!el) continue;
    const owner = head.state.definers.get(id)?.[0];
    const fs = owner !== undefined ? head.state.files.get(owner) : undefined;
    let positions = fs ? POSITIONS.get(fs) : undefined;
    if (fs && !positions) {
      positions = new Map(fs.accepted.map((e, i) => [e.id, i]));
      POSITIONS.set(fs, positions);
    }
    const idx = positions?.get(id);
    if (idx === undefined || fs!.accepted[idx] !== el) rest.push(el);
    else placed.push({ el, file: bisect(head.state.order, owner!), idx });
  }
  placed.sort((a, b) => a.file - b.file || a.idx - b.idx);
  rest.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return [...placed.map((p) => p.el), ...rest];
}

/**
 * Iterates only the given elements; `get`/`has` answer for the whole graph,
 * so lookups by id (a workload's ServiceAccount, an operation's API) see
 * everything.
 */
class ElementView extends Map<string, Element> {
  readonly #all: Map<string, Element>;
  constructor(all: Map<string, Element>, members: readonly Element[]) {
    super();
    this.#all = all;
    for (const el of members) super.set(el.id, el);
  }
  override get(id: string): Element | undefined {
    return this.#all.get(id);
  }
  override has(id: string): boolean {
    return this.#all.has(id);
  }
}

/**
 * The head graph as a rule sees it when it only needs `members`: iteration
 * over elements is restricted, adjacency, zones and lookups are the whole
 * graph's. `edges` (lazily) holds the edges touching a member, from the
 * members' adjacency lists in member order — not the graph's edge order: a
 * scoped rule iterating edges must not depend on their order (the only one,
 * k8s-no-mtls-cross-namespace, reports each edge on its own key). A new
 * object, so per-graph indexes (src/analysis/indexes.ts) are built over the
 * members only.
 */
export function viewGraph(graph: Graph, members: readonly Element[]): Graph {
  let edges: Edge[] | undefined;
  const touching = (): Edge[] => {
    const seen = new Set<Edge>();
    for (const el of members) {
      for (const e of graph.out.get(el.id) ?? []) seen.add(e);
      for (const e of graph.in.get(el.id) ?? []) seen.add(e);
    }
    return [...seen];
  };
  return {
    elements: new ElementView(graph.elements, members),
    zoneOf: graph.zoneOf,
    zones: graph.zones,
    get edges(): Edge[] {
      return (edges ??= touching());
    },
    out: graph.out,
    in: graph.in,
    issues: graph.issues,
    files: graph.files,
  };
}

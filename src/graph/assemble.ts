import type { Edge, Element, ParseIssue } from '../model/types.js';
import type { Graph } from '../model/graph.js';
import { edgeKey, finishGraph, INTERNET } from './build.js';
import { ownerToken, type FileState, type GraphState } from './incremental.js';
import { zoneResolver, zonesIn } from './zones.js';
import { OverlayMap, plainMap } from './overlay.js';

/**
 * Graphs of incremental states. `graphOf` assembles one in a linear pass
 * (the same `finishGraph` as `buildGraph`); `deriveGraph` patches the base's
 * Graph where the changed files contribute, so a one-file pull request on a
 * large repository does not pay for the whole graph again (at 5,000
 * services a full assembly is 0.5-1 s on a 2-core machine). Both give the
 * same Graph as `buildGraph`: elements, edges and issues in the same order,
 * the same adjacency lists and zones (test/engine/incremental.property.test.ts).
 *
 * How a Graph was assembled is kept beside it (`Assembly`, in a WeakMap,
 * never serialised): which file and position each kept edge came from,
 * candidate edges dropped for a missing element, created hosts, zone counts
 * and issue owners. A Graph without one (read from the graph cache) is
 * assembled in full once.
 */

interface Assembly {
  /** Per edge of `graph.edges`: owner token (`ownerToken`) and position of the candidate in that file's section. */
  tokens: string[];
  positions: number[];
  /** Missing element id -> keys of candidate edges dropped because that element does not exist. */
  dangling: Map<string, Set<string>>;
  /** Candidate edges leaving the internet actor (it is added when there is one). */
  internetEdges: number;
  /** Element ids after the files' own, in order: created external hosts, then the internet actor. */
  tail: string[];
  /** Number of elements per zone id. */
  zoneCount: Map<string, number>;
  /** File of each issue; the first `fileIssues` come from files, the others from linking. */
  issueOwners: string[];
  fileIssues: number;
}

const ASSEMBLIES = new WeakMap<Graph, Assembly>();

/** The Graph of a state; equal to `buildGraph` over the state's fragments. */
export function graphOf(s: GraphState): Graph {
  const elements = new Map<string, Element>();
  const issues: ParseIssue[] = [];
  const issueOwners: string[] = [];
  const files = new Map<string, string>();
  const raw = candidates();
  const linked = candidates();
  const linkIssues: ParseIssue[] = [];
  const linkIssueOwners: string[] = [];
  const created = new Map<string, Element>();
  const states = s.order.map((p) => s.files.get(p)!);
  for (const st of states) {
    const path = st.fragment.file;
    files.set(path, st.fragment.format);
    for (const i of st.issues) {
      issues.push(i);
      issueOwners.push(path);
    }
    for (const el of st.accepted) elements.set(el.id, el);
    const token = ownerToken(0, path);
    for (let i = 0; i < st.rawEdges.length; i++) raw.push(st.rawEdges[i]!, st.rawKeys[i]!, token, i);
  }
  const fileIssues = issues.length;
  for (const st of states) {
    const path = st.fragment.file;
    const token = ownerToken(1, path);
    let pos = 0;
    for (const slot of st.slots) {
      for (let i = 0; i < slot.edges.length; i++) linked.push(slot.edges[i]!, slot.keys[i]!, token, pos++);
      for (const i of slot.issues) {
        linkIssues.push(i);
        linkIssueOwners.push(path);
      }
      for (const c of slot.created) if (!created.has(c.id) && !elements.has(c.id)) created.set(c.id, c);
    }
  }
  const internetAccepted = elements.has(INTERNET.id);
  const tokens: string[] = [];
  const positions: number[] = [];
  const dangling = new Map<string, Set<string>>();
  const graph = finishGraph(
    {
      elements,
      rawEdges: raw.edges,
      rawKeys: raw.keys,
      linked: { edges: linked.edges, created: [...created.values()], issues: linkIssues },
      linkedKeys: linked.keys,
      issues,
      files,
      trace: {
        kept(list, i) {
          const from = list === 0 ? raw : linked;
          tokens.push(from.tokens[i]!);
          positions.push(from.positions[i]!);
        },
        dangling: (key, missing) => addKey(dangling, missing, key),
      },
    },
    s.config,
  );
  const tail = [...created.keys()];
  if (!internetAccepted && graph.elements.has(INTERNET.id)) tail.push(INTERNET.id);
  const zoneCount = new Map<string, number>();
  for (const z of graph.zoneOf.values()) zoneCount.set(z, (zoneCount.get(z) ?? 0) + 1);
  ASSEMBLIES.set(graph, {
    tokens,
    positions,
    dangling,
    internetEdges: raw.internet + linked.internet,
    tail,
    zoneCount,
    issueOwners: [...issueOwners, ...linkIssueOwners],
    fileIssues,
  });
  return graph;
}

function candidates() {
  const c = {
    edges: [] as Edge[],
    keys: [] as string[],
    tokens: [] as string[],
    positions: [] as number[],
    internet: 0,
    push(e: Edge, key: string, token: string, pos: number) {
      c.edges.push(e);
      c.keys.push(key);
      c.tokens.push(token);
      c.positions.push(pos);
      if (e.from === INTERNET.id) c.internet++;
    },
  };
  return c;
}

function addKey(map: Map<string, Set<string>>, id: string, key: string): void {
  const set = map.get(id);
  if (set) set.add(key);
  else map.set(id, new Set([key]));
}

/** A file section's candidate edges: the first position and edge of each key (memoised: FileStates never change). */
const FIRST = new WeakMap<FileState, [Map<string, { pos: number; edge: Edge }>?, Map<string, { pos: number; edge: Edge }>?]>();

function firstOf(st: FileState, section: 0 | 1): Map<string, { pos: number; edge: Edge }> {
  let memo = FIRST.get(st);
  if (!memo) FIRST.set(st, (memo = []));
  let map = memo[section];
  if (map) return map;
  map = new Map();
  if (section === 0) {
    for (let i = 0; i < st.rawEdges.length; i++) if (!map.has(st.rawKeys[i]!)) map.set(st.rawKeys[i]!, { pos: i, edge: st.rawEdges[i]! });
  } else {
    let pos = 0;
    for (const slot of st.slots) for (let i = 0; i < slot.edges.length; i++, pos++) if (!map.has(slot.keys[i]!)) map.set(slot.keys[i]!, { pos, edge: slot.edges[i]! });
  }
  memo[section] = map;
  return map;
}


function compareAt(tokenA: string, posA: number, tokenB: string, posB: number): number {
  return tokenA < tokenB ? -1 : tokenA > tokenB ? 1 : posA - posB;
}

interface Placed {
  token: string;
  pos: number;
  edge: Edge;
}

/**
 * The Graph of `head`, patched from `baseGraph` (the Graph of `base`), given
 * the files whose contribution changed (`applyChanges`' `changed`). Costs
 * copies of the graph's maps and arrays (cheap, no hashing of new keys) plus
 * work proportional to the change; falls back to `graphOf` when the base
 * Graph has no assembly record or the configuration differs.
 */
export function deriveGraph(baseGraph: Graph, base: GraphState, head: GraphState, changed: readonly string[]): Graph {
  const aux = ASSEMBLIES.get(baseGraph);
  if (!aux || JSON.stringify(base.config) !== JSON.stringify(head.config)) return graphOf(head);
  if (changed.length === 0) return baseGraph;
  const before = (p: string) => base.files.get(p);
  const after = (p: string) => head.files.get(p);

  // 1. The files' own elements: patched in place when the changed files only
  //    replace or drop elements; rebuilt in order when one gains an element.
  let inPlace = true;
  const removed = new Set<string>();
  const replaced: Element[] = [];
  for (const p of changed) {
    const b = before(p)?.accepted ?? [];
    const h = after(p)?.accepted ?? [];
    let j = 0;
    for (const el of h) {
      while (j < b.length && b[j]!.id !== el.id) removed.add(b[j++]!.id);
      if (j === b.length) {
        inPlace = false;
        break;
      }
      if (b[j] !== el) replaced.push(el);
      j++;
    }
    if (!inPlace) break;
    while (j < b.length) removed.add(b[j++]!.id);
  }

  // 2. What the changed files contributed before and after: elements whose
  //    existence may change, edge keys whose kept edge may change, hosts
  //    their refs create, edges leaving the internet actor.
  let internetEdges = aux.internetEdges;
  const createdTouched = new Set<string>();
  const maybe = new Set<string>(aux.tail);
  const affected = new Set<string>();
  for (const p of changed) {
    for (const [st, sign] of [[before(p), -1], [after(p), 1]] as const) {
      if (!st) continue;
      for (const el of st.accepted) maybe.add(el.id);
      for (let i = 0; i < st.rawEdges.length; i++) {
        affected.add(st.rawKeys[i]!);
        if (st.rawEdges[i]!.from === INTERNET.id) internetEdges += sign;
      }
      for (const slot of st.slots) {
        for (const c of slot.created) createdTouched.add(c.id);
        for (let i = 0; i < slot.edges.length; i++) {
          affected.add(slot.keys[i]!);
          if (slot.edges[i]!.from === INTERNET.id) internetEdges += sign;
        }
      }
    }
  }

  // Created hosts and the internet actor come after the files' elements.
  const baseInternetInTail = aux.tail.length > 0 && aux.tail[aux.tail.length - 1] === INTERNET.id;
  let elements: Map<string, Element>;
  let tail = aux.tail;
  const rebuildTail = !inPlace || createdTouched.size > 0 || removed.has(INTERNET.id) || (internetEdges > 0) !== (baseInternetInTail || baseGraph.elements.has(INTERNET.id));
  if (inPlace) {
    // Shared with the base (copying 90,000 entries costs more, with its garbage collection, than slower iteration).
    elements = OverlayMap.over(baseGraph.elements);
    for (const id of removed) elements.delete(id);
    for (const el of replaced) elements.set(el.id, el);
    if (rebuildTail) for (const id of aux.tail) elements.delete(id);
  } else {
    elements = new Map();
    for (const p of head.order) for (const el of after(p)!.accepted) elements.set(el.id, el);
  }
  if (rebuildTail) {
    const hosts: { id: string; path: string; slot: number; index: number; el: Element }[] = [];
    for (const id of new Set([...aux.tail, ...createdTouched])) {
      if (id === INTERNET.id || elements.has(id)) continue;
      const path = head.creators.get(id)?.[0];
      if (path === undefined) continue;
      const slots = after(path)!.slots;
      found: for (let k = 0; k < slots.length; k++) {
        const made = slots[k]!.created;
        for (let m = 0; m < made.length; m++) {
          if (made[m]!.id === id) {
            hosts.push({ id, path, slot: k, index: m, el: made[m]! });
            break found;
          }
        }
      }
    }
    hosts.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.slot - b.slot || a.index - b.index));
    tail = hosts.map((h) => h.id);
    for (const h of hosts) elements.set(h.id, h.el);
    if (internetEdges > 0 && !elements.has(INTERNET.id)) {
      elements.set(INTERNET.id, INTERNET);
      tail.push(INTERNET.id);
    }
  }

  // 3. Elements that appeared or disappeared.
  for (const id of tail) maybe.add(id);
  const appeared: string[] = [];
  const disappeared: string[] = [];
  for (const id of maybe) {
    const was = baseGraph.elements.has(id);
    const is = elements.has(id);
    if (was && !is) disappeared.push(id);
    else if (is && !was) appeared.push(id);
  }

  // 4. Edge keys whose kept edge may change: besides the changed files' candidates,
  //    edges of elements that disappeared and candidates waiting for one that appeared.
  for (const id of disappeared) for (const list of [baseGraph.out.get(id), baseGraph.in.get(id)]) for (const e of list ?? []) affected.add(edgeKey(e));
  for (const id of appeared) for (const key of aux.dangling.get(id) ?? []) affected.add(key);

  // 5. Per key, the kept edge of each side: the first owner's first candidate, when both ends exist.
  const winner = (state: GraphState, els: ReadonlyMap<string, Element>, key: string, from: string, to: string): Placed | undefined => {
    if (from === to || !els.has(from) || !els.has(to)) return undefined;
    const token = state.edgeOwners.get(key)?.[0];
    if (token === undefined) return undefined;
    const first = firstOf(state.files.get(token.slice(1))!, token[0] === '0' ? 0 : 1).get(key)!;
    return { token, pos: first.pos, edge: first.edge };
  };
  const drop: Placed[] = [];
  const add: Placed[] = [];
  const dangling = new Map(aux.dangling);
  const ownDangling = new Set<string>();
  const danglingSet = (id: string): Set<string> => {
    let set = dangling.get(id);
    if (!set || !ownDangling.has(id)) {
      set = new Set(set);
      dangling.set(id, set);
      ownDangling.add(id);
    }
    return set;
  };
  for (const key of affected) {
    const [, from, to] = key.split('\u0000') as [string, string, string];
    const was = winner(base, baseGraph.elements, key, from, to);
    const is = winner(head, elements, key, from, to);
    if (was && is && was.token === is.token && was.pos === is.pos && was.edge === is.edge) continue;
    if (was) drop.push(was);
    if (is) add.push(is);
    for (const id of [from, to]) {
      if (dangling.get(id)?.has(key)) danglingSet(id).delete(key);
    }
    if (from !== to && head.edgeOwners.has(key)) for (const id of [from, to]) if (!elements.has(id)) danglingSet(id).add(key);
  }
  for (const [id, set] of dangling) if (set.size === 0) dangling.delete(id);

  // 6. The edge list, patched: drop and insert by (owner token, position).
  const byPlace = (a: Placed, b: Placed) => compareAt(a.token, a.pos, b.token, b.pos);
  drop.sort(byPlace);
  add.sort(byPlace);
  const n = baseGraph.edges.length;
  const at = (p: Placed): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareAt(aux.tokens[mid]!, aux.positions[mid]!, p.token, p.pos) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const dropAt = new Set<number>();
  for (const p of drop) {
    const i = at(p);
    // A base Graph that does not match its state would be patched wrongly: assemble in full instead.
    if (i >= n || baseGraph.edges[i] !== p.edge) return graphOf(head);
    dropAt.add(i);
  }
  // Runs between the places that change are copied as they are (no insertion falls inside one).
  const size = n - dropAt.size + add.length;
  const edges: Edge[] = new Array<Edge>(size);
  const tokens: string[] = new Array<string>(size);
  const positions: number[] = new Array<number>(size);
  let o = 0;
  const copy = (k: number) => {
    edges[o] = baseGraph.edges[k]!;
    tokens[o] = aux.tokens[k]!;
    positions[o++] = aux.positions[k]!;
  };
  const insert = (p: Placed) => {
    edges[o] = p.edge;
    tokens[o] = p.token;
    positions[o++] = p.pos;
  };
  let next = 0;
  let i = 0;
  const bounds = [...new Set([...dropAt, ...add.map(at)])].sort((a, b) => a - b);
  for (const bound of [...bounds, n]) {
    for (; i < bound; i++) copy(i);
    if (i === n) break;
    // Insertions before base edge i (one at the very place of a dropped edge takes that place).
    for (; next < add.length; next++) {
      const c = compareAt(add[next]!.token, add[next]!.pos, aux.tokens[i]!, aux.positions[i]!);
      if (c > 0 || (c === 0 && !dropAt.has(i))) break;
      insert(add[next]!);
    }
    if (!dropAt.has(i)) copy(i);
    i++;
  }
  while (next < add.length) insert(add[next++]!);

  // 7. Adjacency of the ends of edges that went or came: re-listed in edge order.
  const out = OverlayMap.over(baseGraph.out);
  const inn = OverlayMap.over(baseGraph.in);
  const ends = new Set<string>();
  for (const p of [...drop, ...add]) {
    ends.add(p.edge.from);
    ends.add(p.edge.to);
  }
  if (ends.size > 0) {
    for (const id of ends) {
      out.delete(id);
      inn.delete(id);
    }
    for (const e of edges) {
      if (ends.has(e.from)) {
        const list = out.get(e.from);
        if (list) list.push(e);
        else out.set(e.from, [e]);
      }
      if (ends.has(e.to)) {
        const list = inn.get(e.to);
        if (list) list.push(e);
        else inn.set(e.to, [e]);
      }
    }
  }

  // 8. Zones of elements that changed, whose serving edge changed, and what inherits from them.
  const zoneOf = OverlayMap.over(baseGraph.zoneOf);
  const zoneCount = new Map(aux.zoneCount);
  const count = (zone: string, by: number) => {
    const c = (zoneCount.get(zone) ?? 0) + by;
    if (c > 0) zoneCount.set(zone, c);
    else zoneCount.delete(zone);
  };
  const rezone = new Set<string>([...maybe, ...replaced.map((el) => el.id)]);
  for (const p of [...drop, ...add]) if (p.edge.kind === 'serves') rezone.add(p.edge.to);
  const queue = [...rezone];
  while (queue.length > 0) {
    for (const e of out.get(queue.pop()!) ?? []) {
      if (e.kind === 'serves' && !rezone.has(e.to)) {
        rezone.add(e.to);
        queue.push(e.to);
      }
    }
  }
  for (const id of rezone) {
    const old = zoneOf.get(id);
    if (old !== undefined) {
      count(old, -1);
      zoneOf.delete(id);
    }
  }
  const servedBy = (id: string) => inn.get(id)?.find((e) => e.kind === 'serves')?.from;
  const resolve = zoneResolver(elements, servedBy, head.config.zones, zoneOf);
  for (const id of rezone) {
    const el = elements.get(id);
    if (el) count(resolve(el), 1);
  }
  const sameZones = zoneCount.size === baseGraph.zones.size && [...zoneCount.keys()].every((z) => baseGraph.zones.has(z));
  const zones = sameZones ? baseGraph.zones : zonesIn(zoneCount.keys());

  // 9. Files and issues, in path order.
  const changedSet = new Set(changed);
  let files = baseGraph.files;
  if (changed.some((p) => before(p)?.fragment.format !== after(p)?.fragment.format)) {
    files = new Map();
    for (const p of head.order) files.set(p, after(p)!.fragment.format);
  }
  const fileSide = spliceIssues(baseGraph.issues, aux.issueOwners, 0, aux.fileIssues, changed, changedSet, (p) => after(p)?.issues ?? []);
  const linkSide = spliceIssues(baseGraph.issues, aux.issueOwners, aux.fileIssues, baseGraph.issues.length, changed, changedSet, (p) => after(p)?.slots.flatMap((s) => s.issues) ?? []);

  const graph: Graph = { elements, zoneOf, zones, edges, out, in: inn, issues: [...fileSide.issues, ...linkSide.issues], files };
  ASSEMBLIES.set(graph, {
    tokens,
    positions,
    dangling,
    internetEdges,
    tail,
    zoneCount,
    issueOwners: [...fileSide.owners, ...linkSide.owners],
    fileIssues: fileSide.issues.length,
  });
  return graph;
}

/** One section of the issue list with the changed files' issues replaced, in path order. */
function spliceIssues(
  issues: readonly ParseIssue[],
  owners: readonly string[],
  start: number,
  end: number,
  changed: readonly string[],
  changedSet: ReadonlySet<string>,
  issuesOf: (path: string) => readonly ParseIssue[],
): { issues: ParseIssue[]; owners: string[] } {
  const out: ParseIssue[] = [];
  const outOwners: string[] = [];
  let c = 0;
  const flush = (upTo: string | undefined) => {
    for (; c < changed.length && (upTo === undefined || changed[c]! < upTo); c++) {
      for (const issue of issuesOf(changed[c]!)) {
        out.push(issue);
        outOwners.push(changed[c]!);
      }
    }
  };
  for (let i = start; i < end; i++) {
    const owner = owners[i]!;
    flush(owner);
    if (changedSet.has(owner)) continue;
    out.push(issues[i]!);
    outOwners.push(owner);
  }
  flush(undefined);
  return { issues: out, owners: outOwners };
}

/** A Graph whose maps are plain Maps (derived graphs share their base's through overlays): for V8 serialisation. */
export function storableGraph(g: Graph): Graph {
  return { ...g, elements: plainMap(g.elements), zoneOf: plainMap(g.zoneOf), out: plainMap(g.out), in: plainMap(g.in), zones: plainMap(g.zones), files: plainMap(g.files) };
}

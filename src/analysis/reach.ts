import type { Graph } from '../model/graph.js';
import type { EdgeKind } from '../model/types.js';
import { INTERNET } from '../graph/build.js';

/** Edges an outside request can follow without compromising anything first. */
const INGRESS_KINDS: ReadonlySet<EdgeKind> = new Set<EdgeKind>(['exposes', 'routes', 'selects', 'serves', 'network', 'triggers']);

/** Elements a request from the internet can reach directly (through gateways, Services and published APIs). */
export function internetReachable(graph: Graph): Set<string> {
  const seen = new Set<string>();
  if (!graph.elements.has(INTERNET.id)) return seen;
  // Read by index: Array#shift is linear on large arrays.
  const queue = [INTERNET.id];
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head]!;
    for (const e of graph.out.get(id) ?? []) {
      if (!INGRESS_KINDS.has(e.kind) || seen.has(e.to)) continue;
      seen.add(e.to);
      queue.push(e.to);
    }
  }
  return seen;
}

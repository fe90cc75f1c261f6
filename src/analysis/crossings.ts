import type { Crossing, Graph } from '../model/graph.js';
import type { EdgeKind } from '../model/types.js';
import { fingerprint } from './fingerprint.js';

/** Edge kinds that carry data or requests; identity and bookkeeping edges are not boundary crossings. */
export const FLOW_KINDS: ReadonlySet<EdgeKind> = new Set<EdgeKind>(['exposes', 'routes', 'selects', 'calls', 'reads', 'writes', 'publishes', 'subscribes', 'triggers', 'network']);

export function crossingKey(kind: string, from: string, to: string): string {
  return `crossing@${kind}@${from}@${to}`;
}

/** Every flow edge whose ends lie in different trust zones, sorted for deterministic output. */
export function findCrossings(graph: Graph): Crossing[] {
  const crossings: Crossing[] = [];
  for (const e of graph.edges) {
    if (!FLOW_KINDS.has(e.kind)) continue;
    const fromZone = graph.zoneOf.get(e.from)!;
    const toZone = graph.zoneOf.get(e.to)!;
    if (fromZone === toZone) continue;
    // Field by field in the serialised order (no conditional spreads: tens of thousands of edges).
    const c = { id: fingerprint('XB', crossingKey(e.kind, e.from, e.to)), from: e.from, to: e.to, fromZone, toZone, kind: e.kind } as Crossing;
    if (e.protocol !== undefined) c.protocol = e.protocol;
    if (e.port !== undefined) c.port = e.port;
    c.authenticated = e.authenticated ?? 'unknown';
    c.encrypted = e.encrypted ?? 'unknown';
    c.location = e.location;
    c.evidence = e.evidence;
    crossings.push(c);
  }
  return crossings.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

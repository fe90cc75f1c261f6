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
    crossings.push({
      id: fingerprint('XB', crossingKey(e.kind, e.from, e.to)),
      from: e.from,
      to: e.to,
      fromZone,
      toZone,
      kind: e.kind,
      ...(e.protocol !== undefined ? { protocol: e.protocol } : {}),
      ...(e.port !== undefined ? { port: e.port } : {}),
      authenticated: e.authenticated ?? 'unknown',
      encrypted: e.encrypted ?? 'unknown',
      location: e.location,
      evidence: e.evidence,
    });
  }
  return crossings.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

import picomatch from 'picomatch';
import type { Edge, Element } from '../model/types.js';
import { ZONES, type Zone } from '../model/graph.js';

const WELL_KNOWN: Record<string, Omit<Zone, 'id'>> = {
  [ZONES.internet]: { name: 'Internet', trust: 0 },
  [ZONES.thirdParty]: { name: 'Third parties', trust: 0 },
  [ZONES.edge]: { name: 'Edge', trust: 1 },
  [ZONES.vpcPublic]: { name: 'VPC public subnets', trust: 1 },
  [ZONES.vpcPrivate]: { name: 'VPC private subnets', trust: 2 },
  [ZONES.cluster]: { name: 'Kubernetes cluster', trust: 2 },
  [ZONES.unzoned]: { name: 'Unattached', trust: 2 },
  [ZONES.data]: { name: 'Data tier', trust: 3 },
  [ZONES.cloudIam]: { name: 'Cloud control plane (IAM)', trust: 3 },
};

export function zoneInfo(id: string): Zone {
  const known = WELL_KNOWN[id];
  if (known) return { id, ...known };
  if (id.startsWith('k8s:')) return { id, name: `Namespace ${id.slice(4)}`, trust: 2 };
  return { id, name: id, trust: 2 };
}

const INHERITING = new Set(['api', 'operation']);

/**
 * Assigns a zone to every element: config override, then the parser's hint,
 * then inheritance (APIs and operations take the zone of what serves them,
 * through the first `serves` edge to them). The result does not depend on
 * element order (a `serves` cycle without a hint ends `unzoned` whatever the
 * start), which lets a derived graph recompute only some elements
 * (`zoneResolver`). `zones` lists the zones in use, by id.
 */
export function assignZones(elements: Map<string, Element>, edges: readonly Edge[], overrides: Record<string, string>): { zoneOf: Map<string, string>; zones: Map<string, Zone> } {
  const servedBy = new Map<string, string>();
  for (const e of edges) if (e.kind === 'serves' && !servedBy.has(e.to)) servedBy.set(e.to, e.from);
  const zoneOf = new Map<string, string>();
  const resolve = zoneResolver(elements, (id) => servedBy.get(id), overrides, zoneOf);
  for (const el of elements.values()) resolve(el);
  return { zoneOf, zones: zonesIn(zoneOf.values()) };
}

/** The zones of these ids, keyed and ordered by id. */
export function zonesIn(ids: Iterable<string>): Map<string, Zone> {
  return new Map([...new Set(ids)].sort().map((id) => [id, zoneInfo(id)]));
}

/**
 * Zone of one element, memoised in `zoneOf` (entries there are trusted:
 * a derivation pre-fills the zones it keeps).
 */
export function zoneResolver(elements: ReadonlyMap<string, Element>, servedBy: (id: string) => string | undefined, overrides: Record<string, string>, zoneOf: Map<string, string>): (el: Element) => string {
  const matchers = Object.entries(overrides).map(([glob, zone]) => ({ match: picomatch(glob, { dot: true }), zone }));
  const resolve = (el: Element, seen: Set<string> | undefined): string => {
    const cached = zoneOf.get(el.id);
    if (cached) return cached;
    const override = matchers.length > 0 ? matchers.find((m) => m.match(el.id)) : undefined;
    let zone = override?.zone ?? el.zoneHint;
    if (!zone && INHERITING.has(el.kind)) {
      const parent = servedBy(el.id);
      const parentEl = parent ? elements.get(parent) : undefined;
      // The set of elements on the way is needed only when inheriting; most elements have a hint.
      const path = seen ?? new Set<string>();
      zone = parentEl && !path.has(parentEl.id) ? resolve(parentEl, path.add(el.id)) : undefined;
    }
    if (!zone) zone = el.kind === 'actor' ? ZONES.internet : ZONES.unzoned;
    zoneOf.set(el.id, zone);
    return zone;
  };
  return (el) => resolve(el, undefined);
}

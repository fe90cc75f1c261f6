import type { Crossing, RuleContext } from '../../src/model/graph.js';
import { ZONES } from '../../src/model/graph.js';

/** Zones nobody in the organisation controls. */
export function isUntrustedZone(zone: string): boolean {
  return zone === ZONES.internet || zone === ZONES.thirdParty;
}

export function describeCrossing(ctx: RuleContext, c: Crossing): string {
  const name = (id: string) => ctx.graph.elements.get(id)?.name ?? id;
  const proto = c.protocol ? ` over ${c.protocol}${c.port ? `:${c.port}` : ''}` : '';
  return `${name(c.from)} (${c.fromZone}) → ${name(c.to)} (${c.toZone})${proto}: ${c.evidence}`;
}

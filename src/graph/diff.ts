import type { Crossing, Threat } from '../model/graph.js';
import type { ReportCrossing } from '../model/report.js';

/**
 * New / resolved / unchanged by fingerprint. Head items keep their head
 * locations; resolved items keep their base locations (where they were).
 */
export function diffThreats(base: readonly Threat[] | null, head: readonly Threat[]): Threat[] {
  if (base === null) return head.map((t) => ({ ...t, status: 'new' as const }));
  const baseIds = new Set(base.map((t) => t.id));
  const headIds = new Set(head.map((t) => t.id));
  return [
    ...head.map((t) => ({ ...t, status: baseIds.has(t.id) ? ('unchanged' as const) : ('new' as const) })),
    ...base.filter((t) => !headIds.has(t.id)).map((t) => ({ ...t, status: 'resolved' as const })),
  ];
}

/**
 * A crossing is new when it exists only at head, or exists at both and
 * lost authentication or encryption on the way.
 */
export function diffCrossings(base: readonly Crossing[] | null, head: readonly Crossing[]): ReportCrossing[] {
  if (base === null) return head.map((c) => ({ ...c, status: 'new' as const, change: 'added' as const }));
  const byId = new Map(base.map((c) => [c.id, c]));
  const headIds = new Set(head.map((c) => c.id));
  const out: ReportCrossing[] = [];
  for (const c of head) {
    const before = byId.get(c.id);
    if (!before) out.push({ ...c, status: 'new', change: 'added' });
    else if (before.authenticated === true && c.authenticated !== true) out.push({ ...c, status: 'new', change: 'lost-authentication' });
    else if (before.encrypted === true && c.encrypted !== true) out.push({ ...c, status: 'new', change: 'lost-encryption' });
    else out.push({ ...c, status: 'unchanged' });
  }
  for (const c of base) if (!headIds.has(c.id)) out.push({ ...c, status: 'resolved' });
  return out;
}

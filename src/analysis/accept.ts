import type { Threat } from '../model/graph.js';
import type { AcceptedRisk } from '../config/config.js';

/** Marks threats that a maintainer accepted (by finding id or key); accepted findings never fail the check. */
export function applyAcceptances(threats: Threat[], accepted: readonly AcceptedRisk[]): Threat[] {
  if (accepted.length === 0) return threats;
  const byRef = new Map<string, AcceptedRisk>();
  for (const a of accepted) byRef.set(a.id, a);
  return threats.map((t) => {
    const a = byRef.get(t.id) ?? byRef.get(t.key);
    return a ? { ...t, accepted: { by: a.by ?? 'config', at: a.at ?? '', reason: a.reason } } : t;
  });
}

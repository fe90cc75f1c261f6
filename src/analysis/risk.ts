import type { RiskRating, RuleContext, RuleHit } from '../model/graph.js';
import type { Severity } from '../model/types.js';
import { isSensitive, sensitivityOf } from './sensitivity.js';

const IMPACT: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 1 };

/** Who can reach what: computed once per analysis, shared by every hit. */
export interface Exposure {
  /** Elements on some attack path, with the entry point that reaches them. */
  onPath: Map<string, string>;
}

export function exposureOf(ctx: RuleContext): Exposure {
  const onPath = new Map<string, string>();
  for (const p of ctx.attackPaths) for (const l of p.chain) if (!onPath.has(l.to)) onPath.set(l.to, p.entry);
  return { onPath };
}

/**
 * Likelihood × impact, with the reasons a reviewer needs. Likelihood comes
 * from exposure (internet-facing, reachable through an attack path, internal
 * only) and authentication on the way in; impact from the rule's severity
 * and the data sensitivity or privilege of what is hit.
 */
export function rate(ctx: RuleContext, exposure: Exposure, hit: RuleHit, baseSeverity: Severity): { severity: Severity; risk: RiskRating } {
  const reasons: string[] = [];
  const el = ctx.graph.elements.get(hit.element);
  const name = (id: string) => ctx.graph.elements.get(id)?.name ?? id;
  let likelihood: number;
  if (hit.chain || ctx.internetReachable.has(hit.element) || hit.peer === 'actor:internet') {
    likelihood = 3;
    reasons.push(hit.chain ? `reachable from the internet through ${name(hit.peer ?? hit.element)}` : 'internet-facing');
    const authenticated = (ctx.graph.in.get(hit.element) ?? []).some((e) => e.authenticated === true);
    if (authenticated && !hit.chain) {
      likelihood = 2;
      reasons.push('callers must authenticate');
    }
  } else if (exposure.onPath.has(hit.element)) {
    likelihood = 2;
    reasons.push(`on an attack path from ${name(exposure.onPath.get(hit.element)!)}`);
  } else {
    likelihood = 1;
    reasons.push('not reachable from the internet in the model');
  }
  let impact = IMPACT[baseSeverity];
  reasons.push(`${baseSeverity} impact by rule`);
  const target = hit.chain ? ctx.graph.elements.get(hit.chain[hit.chain.length - 1]!.to) : el;
  if (target) {
    const s = sensitivityOf(target, ctx.sensitivity);
    if (isSensitive(s) && impact < 4) {
      impact += 1;
      reasons.push(`${s} data (${target.name})`);
    }
  }
  const score = likelihood * impact;
  return { severity: atMostOneBelow(severityFor(score), baseSeverity), risk: { likelihood, impact, score, reasons } };
}

const LEVELS: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** Low exposure may lower a rule's severity by one level, never more: a weakness stays visible where the model cannot see every path. */
function atMostOneBelow(rated: Severity, base: Severity): Severity {
  const floor = Math.min(LEVELS.indexOf(base) + 1, LEVELS.length - 1);
  return LEVELS.indexOf(rated) > floor ? LEVELS[floor]! : rated;
}

export function severityFor(score: number): Severity {
  if (score >= 10) return 'critical';
  if (score >= 6) return 'high';
  if (score >= 3) return 'medium';
  if (score >= 2) return 'low';
  return 'info';
}

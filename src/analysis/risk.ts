import type { RiskRating, RuleContext, RuleHit, Sensitivity } from '../model/graph.js';
import type { Element, Severity, StrideLetter } from '../model/types.js';
import { isSensitive, sensitivityOf } from './sensitivity.js';

/** Who can reach what: computed once per analysis, shared by every hit. */
export interface Exposure {
  /** Elements on some attack path, with the entry point that reaches them. */
  onPath: Map<string, string>;
  /**
   * Per-element answers filled in as hits are rated (several hits share an
   * element): whether some incoming edge is authenticated, and the element's
   * data sensitivity. Optional so a hand-made Exposure still works.
   */
  authenticatedIn?: Map<string, boolean>;
  sensitivity?: Map<string, Sensitivity>;
}

export function exposureOf(ctx: RuleContext): Exposure {
  const onPath = new Map<string, string>();
  for (const p of ctx.attackPaths) for (const l of p.chain) if (!onPath.has(l.to)) onPath.set(l.to, p.entry);
  return { onPath, authenticatedIn: new Map(), sensitivity: new Map() };
}

function authenticatedIn(ctx: RuleContext, exposure: Exposure, id: string): boolean {
  let v = exposure.authenticatedIn?.get(id);
  if (v === undefined) {
    v = (ctx.graph.in.get(id) ?? []).some((e) => e.authenticated === true);
    exposure.authenticatedIn?.set(id, v);
  }
  return v;
}

function sensitivityIn(ctx: RuleContext, exposure: Exposure, el: Element): Sensitivity {
  let v = exposure.sensitivity?.get(el.id);
  if (v === undefined) {
    v = sensitivityOf(el, ctx.sensitivity);
    exposure.sensitivity?.set(el.id, v);
  }
  return v;
}

/**
 * Likelihood × impact, with the reasons a reviewer needs. Impact starts at
 * the rule's severity and rises one level for sensitive data (PII, payment,
 * credentials) behind the element; likelihood comes from exposure
 * (internet-facing, on an attack path, internal only) and authentication on
 * the way in. An element nobody outside can reach is one level lower, except
 * high-impact elevation of privilege. The reported severity is that level;
 * the score (likelihood × impact, 1..12) orders findings of one severity.
 */
export function rate(ctx: RuleContext, exposure: Exposure, hit: RuleHit, baseSeverity: Severity, stride: readonly StrideLetter[] = []): { severity: Severity; risk: RiskRating } {
  const reasons: string[] = [];
  const el = ctx.graph.elements.get(hit.element);
  const name = (id: string) => ctx.graph.elements.get(id)?.name ?? id;
  let likelihood: number;
  if (hit.chain || ctx.internetReachable.has(hit.element) || hit.peer === 'actor:internet') {
    likelihood = 3;
    reasons.push(hit.chain ? `reachable from the internet through ${name(hit.peer ?? hit.element)}` : 'internet-facing');
    const authenticated = authenticatedIn(ctx, exposure, hit.element);
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
  let level = LEVELS.indexOf(baseSeverity);
  reasons.push(`${baseSeverity} impact by rule`);
  const target = hit.chain ? ctx.graph.elements.get(hit.chain[hit.chain.length - 1]!.to) : el;
  if (target) {
    const s = sensitivityIn(ctx, exposure, target);
    if (isSensitive(s) && level > 0) {
      level -= 1;
      reasons.push(`${s} data (${target.name})`);
    }
  }
  if (likelihood === 1) {
    // Whoever compromises the element by any route gets the privilege: exposure does not lower it.
    if (stride.includes('E') && level <= LEVELS.indexOf('high')) reasons.push('privilege gained by any compromise, whatever the exposure');
    else level = Math.min(level + 1, LEVELS.length - 1);
  }
  const impact = 4 - Math.min(level, 3);
  return { severity: LEVELS[level]!, risk: { likelihood, impact, score: likelihood * impact, reasons } };
}

const LEVELS: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

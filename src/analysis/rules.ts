import type { Graph, Rule, RuleContext, Threat } from '../model/graph.js';
import type { ParseIssue } from '../model/types.js';
import type { Config } from '../config/config.js';
import { findCrossings } from './crossings.js';
import { internetReachable } from './reach.js';
import { findAttackPaths } from './paths.js';
import { exposureOf, rate } from './risk.js';
import { fingerprint, threatKey } from './fingerprint.js';

export function ruleContext(graph: Graph, config: Pick<Config, 'sensitivity'> = { sensitivity: {} }): RuleContext & { pathIssues: ParseIssue[] } {
  const { paths, issues } = findAttackPaths(graph, config.sensitivity);
  return { graph, sensitivity: config.sensitivity, attackPaths: paths, crossings: findCrossings(graph), internetReachable: internetReachable(graph), pathIssues: issues };
}

/**
 * Runs every enabled rule over the graph. A rule that throws is reported as
 * an issue and the others still run: one bad rule must not hide findings.
 */
export function runRules(ctx: RuleContext, rules: readonly Rule[], config: Pick<Config, 'rules'>): { threats: Threat[]; issues: ParseIssue[] } {
  const threats = new Map<string, Threat>();
  const issues: ParseIssue[] = [];
  const exposure = exposureOf(ctx);
  for (const rule of rules) {
    const override = config.rules[rule.meta.id];
    if (override?.enabled === false) continue;
    let hits;
    try {
      hits = rule.check(ctx);
    } catch (err) {
      issues.push({ file: '', level: 'error', code: 'rule-failed', message: `rule ${rule.meta.id} failed: ${(err as Error).message}` });
      continue;
    }
    const { id: ruleId, title, stride, mitigation, references } = rule.meta;
    for (const hit of hits) {
      const key = threatKey(ruleId, hit.element, hit.peer, hit.qualifier);
      if (threats.has(key)) continue;
      const ranked = override?.severity ? undefined : rate(ctx, exposure, hit, hit.severity ?? rule.meta.severity, stride);
      // Built field by field, in the order the reports serialise (no conditional spreads: tens of thousands of hits).
      const threat: Threat = { id: fingerprint('TD', key), key, ruleId, title, stride, severity: override?.severity ?? ranked!.severity, status: 'unchanged', element: hit.element } as Threat;
      if (hit.peer !== undefined) threat.peer = hit.peer;
      threat.location = hit.location;
      threat.evidence = hit.evidence;
      threat.mitigation = mitigation;
      threat.references = references;
      if (hit.path) threat.path = hit.path;
      if (hit.chain) threat.chain = hit.chain;
      if (ranked) threat.risk = ranked.risk;
      threats.set(key, threat);
    }
  }
  return { threats: sortThreats([...threats.values()]), issues };
}

/**
 * `list.sort(compareThreats)`, with each threat's severity rank and score
 * read once instead of once per comparison (tens of thousands of threats).
 * Same comparisons, same stable sort: the same order.
 */
function sortThreats(list: Threat[]): Threat[] {
  const rank = list.map((t) => ORDER.indexOf(t.severity));
  const score = list.map((t) => t.risk?.score ?? 0);
  const order = list.map((_, i) => i);
  order.sort((i, j) => rank[i]! - rank[j]! || score[j]! - score[i]! || list[i]!.ruleId.localeCompare(list[j]!.ruleId) || list[i]!.key.localeCompare(list[j]!.key));
  return order.map((i) => list[i]!);
}

const ORDER = ['critical', 'high', 'medium', 'low', 'info'];

/** Most severe first, then highest risk score, then by rule and key for a stable order. */
export function compareThreats(a: Threat, b: Threat): number {
  return ORDER.indexOf(a.severity) - ORDER.indexOf(b.severity) || (b.risk?.score ?? 0) - (a.risk?.score ?? 0) || a.ruleId.localeCompare(b.ruleId) || a.key.localeCompare(b.key);
}

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
    for (const hit of hits) {
      const key = threatKey(rule.meta.id, hit.element, hit.peer, hit.qualifier);
      if (threats.has(key)) continue;
      const ranked = override?.severity ? undefined : rate(ctx, exposure, hit, hit.severity ?? rule.meta.severity, rule.meta.stride);
      threats.set(key, {
        id: fingerprint('TD', key),
        key,
        ruleId: rule.meta.id,
        title: rule.meta.title,
        stride: rule.meta.stride,
        severity: override?.severity ?? ranked!.severity,
        status: 'unchanged',
        element: hit.element,
        ...(hit.peer !== undefined ? { peer: hit.peer } : {}),
        location: hit.location,
        evidence: hit.evidence,
        mitigation: rule.meta.mitigation,
        references: rule.meta.references,
        ...(hit.path ? { path: hit.path } : {}),
        ...(hit.chain ? { chain: hit.chain } : {}),
        ...(ranked ? { risk: ranked.risk } : {}),
      });
    }
  }
  return { threats: [...threats.values()].sort(compareThreats), issues };
}

const ORDER = ['critical', 'high', 'medium', 'low', 'info'];

/** Most severe first, then highest risk score, then by rule and key for a stable order. */
export function compareThreats(a: Threat, b: Threat): number {
  return ORDER.indexOf(a.severity) - ORDER.indexOf(b.severity) || (b.risk?.score ?? 0) - (a.risk?.score ?? 0) || a.ruleId.localeCompare(b.ruleId) || a.key.localeCompare(b.key);
}

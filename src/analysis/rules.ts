import type { Graph, Rule, RuleContext, Threat } from '../model/graph.js';
import type { ParseIssue } from '../model/types.js';
import type { Config } from '../config/config.js';
import { findCrossings } from './crossings.js';
import { internetReachable } from './reach.js';
import { fingerprint, threatKey } from './fingerprint.js';

export function ruleContext(graph: Graph): RuleContext {
  return { graph, crossings: findCrossings(graph), internetReachable: internetReachable(graph) };
}

/**
 * Runs every enabled rule over the graph. A rule that throws is reported as
 * an issue and the others still run: one bad rule must not hide findings.
 */
export function runRules(ctx: RuleContext, rules: readonly Rule[], config: Pick<Config, 'rules'>): { threats: Threat[]; issues: ParseIssue[] } {
  const threats = new Map<string, Threat>();
  const issues: ParseIssue[] = [];
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
      threats.set(key, {
        id: fingerprint('TD', key),
        key,
        ruleId: rule.meta.id,
        title: rule.meta.title,
        stride: rule.meta.stride,
        severity: override?.severity ?? hit.severity ?? rule.meta.severity,
        status: 'unchanged',
        element: hit.element,
        ...(hit.peer !== undefined ? { peer: hit.peer } : {}),
        location: hit.location,
        evidence: hit.evidence,
        mitigation: rule.meta.mitigation,
        references: rule.meta.references,
        ...(hit.path ? { path: hit.path } : {}),
      });
    }
  }
  return { threats: [...threats.values()].sort(compareThreats), issues };
}

const ORDER = ['critical', 'high', 'medium', 'low', 'info'];

export function compareThreats(a: Threat, b: Threat): number {
  return ORDER.indexOf(a.severity) - ORDER.indexOf(b.severity) || a.ruleId.localeCompare(b.ruleId) || a.key.localeCompare(b.key);
}

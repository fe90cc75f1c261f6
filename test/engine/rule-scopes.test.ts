import { ALL_RULES } from '../../rules/index.js';
import { RULE_SCOPES, scopeOf } from '../../src/analysis/rule-scopes.js';

/**
 * The scope table is the incremental engine's claim about what each rule
 * reads (src/analysis/rule-scopes.ts). A built-in rule without an entry would
 * silently run in full on every derived analysis; an entry for a rule that
 * no longer exists hides a rename.
 */
describe('rule scopes', () => {
  test('every built-in rule is classified, and nothing else', () => {
    expect(Object.keys(RULE_SCOPES).sort()).toEqual(ALL_RULES.map((r) => r.meta.id).sort());
  });

  test('rules outside the table run over the whole graph', () => {
    expect(scopeOf('plugin-rule')).toEqual({ kind: 'graph' });
    expect(scopeOf('toString')).toEqual({ kind: 'graph' });
    expect(scopeOf('k8s-run-as-root')).toEqual({ kind: 'local' });
  });

  test('global reasoning is not scoped', () => {
    expect(scopeOf('graph-attack-path')).toEqual({ kind: 'graph' });
    expect(scopeOf('k8s-no-audit-trail-privileged-workload')).toEqual({ kind: 'domain', domains: ['k8s'] });
    expect(scopeOf('openapi-inconsistent-security')).toEqual({ kind: 'domain', domains: ['openapi'] });
    expect(scopeOf('tf-aws-cloudtrail-missing-or-no-validation')).toEqual({ kind: 'local', include: ['tf-cloudtrail'], fullWhen: ['tf-cloudtrail'] });
  });
});

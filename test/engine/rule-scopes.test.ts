import { readFileSync } from 'node:fs';
import { ALL_RULES } from '../../rules/index.js';
import { RULE_SCOPES, scopeOf } from '../../src/analysis/rule-scopes.js';
import { inClass, MIRRORED } from '../../src/analysis/scope.js';
import type { Element } from '../../src/model/types.js';

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

  test('only attack paths are global', () => {
    expect(scopeOf('graph-attack-path')).toEqual({ kind: 'graph' });
    expect(scopeOf('k8s-cluster-admin-binding')).toEqual({ kind: 'local', groups: ['k8s-service-account'] });
    expect(scopeOf('k8s-no-audit-trail-privileged-workload')).toEqual({ kind: 'local', include: ['k8s-audit'], fullWhen: ['k8s-audit'] });
    expect(scopeOf('tf-aws-cloudtrail-missing-or-no-validation')).toEqual({ kind: 'local', include: ['tf-cloudtrail'], fullWhen: ['tf-cloudtrail'] });
    expect(Object.entries(RULE_SCOPES).filter(([, s]) => s.kind !== 'local').map(([id]) => id)).toEqual(['graph-attack-path']);
  });

  test('satellites by literal name, subjects in their directory', () => {
    const s3 = { kind: 'local', neighbours: true, groups: ['tf-directory', 'tf-bucket-name'] };
    expect(scopeOf('tf-aws-s3-unencrypted')).toEqual(s3);
    expect(scopeOf('tf-aws-s3-public-access')).toEqual({ ...s3, include: ['tf-s3-account-block'], fullWhen: ['tf-s3-account-block'] });
    expect(scopeOf('tf-aws-apigw-stage-no-logging-or-throttling')).toEqual({ kind: 'local', neighbours: true, groups: ['tf-stage-name'] });
    expect(scopeOf('tf-aws-queue-policy-open')).toEqual({ kind: 'local', groups: ['tf-directory'] });
    expect(scopeOf('openapi-inconsistent-security')).toEqual({ kind: 'local', neighbours: true, groups: ['openapi-path'] });
  });

  // Groups and classes copying a rule's own comparison must copy it exactly: fail when the rule changes.
  const source = (path: string) => readFileSync(new URL(`../../rules/${path}`, import.meta.url), 'utf8');
  test('openapi-path groups what openapi-inconsistent-security compares', () => {
    const rule = source('openapi/openapi-inconsistent-security.ts');
    expect(rule).toContain(`const VERSION_SEGMENT = ${String(MIRRORED.versionSegment)};`);
    expect(rule).toContain(".filter((seg) => seg !== '' && !VERSION_SEGMENT.test(seg))\n    .map((seg) => (seg.startsWith('{') ? '{}' : seg.toLowerCase()))\n    .join('/');");
    expect(rule).toContain('path = pathKey(op.path)');
    expect(rule).toContain('const key = `${title}|${path}`;');
    expect(['/api/v2/users/{userId}', '/api/V1.2/Users/{id}/', 'users', '/v1'].map(MIRRORED.pathKey)).toEqual(['api/users/{}', 'api/users/{}', 'users', '']);
  });

  test('k8s-service-account keys workloads as k8s-cluster-admin-binding matches them', () => {
    const rule = source('k8s/k8s-cluster-admin-binding.ts');
    expect(rule).toContain('const exposedAccounts = new Set(workloads(ctx).filter((w) => ctx.internetReachable.has(w.id)).map((w) => `${String(w.attrs.namespace)}/${String(w.attrs.serviceAccount)}`));');
    expect(rule).toContain('const exposed = ((b.attrs.serviceAccounts as string[]) ?? []).filter((s) => exposedAccounts.has(s));');
    const w: Element = { id: 'k8s:Deployment/shop/api', kind: 'service', type: 'k8s:Deployment', name: 'api', location: { file: 'a.yaml', line: 1 }, attrs: { workload: true, namespace: 'shop', serviceAccount: 'api' } };
    expect(MIRRORED.accountOf(w)).toBe('shop/api');
  });

  test('k8s-audit holds whatever silences k8s-no-audit-trail-privileged-workload', () => {
    const rule = source('k8s/k8s-no-audit-trail-privileged-workload.ts');
    expect(rule).toContain(`const AUDIT_AGENT = ${String(MIRRORED.auditAgent)};`);
    expect(rule).toContain('const agent = workloads(ctx).some((w) => AUDIT_AGENT.test(w.name) || ((w.attrs.containers as { image: string }[]) ?? []).some((c) => AUDIT_AGENT.test(c.image)));');
    expect(rule).toContain("const auditPolicy = ofType(ctx, 'Policy').some(");
    const el = (type: string, name: string, attrs: Record<string, unknown> = {}): Element => ({ id: `k8s:${type}/ops/${name}`, kind: 'service', type: `k8s:${type}`, name, location: { file: 'a.yaml', line: 1 }, attrs });
    expect(inClass(el('DaemonSet', 'falco'), 'k8s-audit')).toBe(true);
    expect(inClass(el('DaemonSet', 'agent', { containers: [{ name: 'a', image: 'quay.io/cilium/tetragon:v1.0' }] }), 'k8s-audit')).toBe(true);
    expect(inClass(el('Policy', 'audit', { apiVersion: 'audit.k8s.io/v1' }), 'k8s-audit')).toBe(true);
    expect(inClass(el('Deployment', 'api', { containers: [{ name: 'a', image: 'registry.example.com/api:1' }] }), 'k8s-audit')).toBe(false);
  });
});

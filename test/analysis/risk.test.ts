import { rate, exposureOf } from '../../src/analysis/risk.js';
import { ruleContext } from '../../src/analysis/rules.js';
import { buildGraph } from '../../src/graph/build.js';
import type { Fragment } from '../../src/model/types.js';

const loc = { file: 'a.yaml', line: 3 };
const fragment: Fragment = {
  file: 'a.yaml',
  format: 'k8s',
  elements: [
    { id: 'k8s:Service/shop/web', kind: 'gateway', type: 'k8s:Service', name: 'web', location: loc, zoneHint: 'edge', attrs: {} },
    { id: 'k8s:Deployment/shop/batch', kind: 'service', type: 'k8s:Deployment', name: 'batch', location: loc, zoneHint: 'k8s:shop', attrs: { namespace: 'shop', podLabels: {} } },
    { id: 'k8s:Service/shop/login', kind: 'gateway', type: 'k8s:Service', name: 'login', location: loc, zoneHint: 'edge', attrs: {} },
    { id: 'tf:aws_db_instance.customers', kind: 'datastore', type: 'tf:aws_db_instance', name: 'customers', location: loc, zoneHint: 'data', attrs: {} },
  ],
  edges: [
    { from: 'actor:internet', to: 'k8s:Service/shop/web', kind: 'exposes', authenticated: false, location: loc, evidence: '' },
    { from: 'actor:internet', to: 'k8s:Service/shop/login', kind: 'exposes', authenticated: true, location: loc, evidence: '' },
    { from: 'actor:internet', to: 'tf:aws_db_instance.customers', kind: 'exposes', location: loc, evidence: '' },
  ],
  refs: [],
  issues: [],
};

describe('risk ranking', () => {
  const ctx = ruleContext(buildGraph([fragment], { zones: {}, apis: {} }));
  const exposure = exposureOf(ctx);
  const hit = (element: string) => ({ element, location: loc, evidence: '' });

  test('internet-facing keeps a high rule high, with the reason', () => {
    const r = rate(ctx, exposure, hit('k8s:Service/shop/web'), 'high');
    expect(r.severity).toBe('high');
    expect(r.risk).toEqual({ likelihood: 3, impact: 3, score: 9, reasons: ['internet-facing', 'high impact by rule'] });
  });

  test('authentication on the way in lowers likelihood', () => {
    expect(rate(ctx, exposure, hit('k8s:Service/shop/login'), 'high').risk.likelihood).toBe(2);
  });

  test('sensitive data raises impact; internet exposure of PII is critical', () => {
    const r = rate(ctx, exposure, hit('tf:aws_db_instance.customers'), 'high');
    expect(r.risk.impact).toBe(4);
    expect(r.risk.reasons).toContain('pii data (customers)');
    expect(r.severity).toBe('critical');
  });

  test('an internal finding drops at most one level below the rule', () => {
    expect(rate(ctx, exposure, hit('k8s:Deployment/shop/batch'), 'high').severity).toBe('medium');
    expect(rate(ctx, exposure, hit('k8s:Deployment/shop/batch'), 'critical').severity).toBe('high');
    expect(rate(ctx, exposure, hit('k8s:Deployment/shop/batch'), 'low').severity).toBe('info');
  });

  test('high-impact elevation of privilege is not lowered for internal elements', () => {
    const r = rate(ctx, exposure, hit('k8s:Deployment/shop/batch'), 'high', ['E']);
    expect(r.severity).toBe('high');
    expect(r.risk.reasons).toContain('privilege gained by any compromise, whatever the exposure');
    expect(rate(ctx, exposure, hit('k8s:Deployment/shop/batch'), 'medium', ['E']).severity).toBe('low');
  });

  test('a medium rule on an internet-facing element stays medium', () => {
    expect(rate(ctx, exposure, hit('k8s:Service/shop/web'), 'medium').severity).toBe('medium');
  });
});

import { buildGraph } from '../../src/graph/build.js';
import { findCrossings } from '../../src/analysis/crossings.js';
import { internetReachable } from '../../src/analysis/reach.js';
import { diffCrossings, diffThreats } from '../../src/graph/diff.js';
import { resolveHost, buildLinkIndex, normaliseHost } from '../../src/graph/link.js';
import type { Element, Fragment } from '../../src/model/types.js';
import type { Threat } from '../../src/model/graph.js';

const loc = (file: string, line = 1) => ({ file, line });

function workload(ns: string, name: string, labels: Record<string, string>, file = `${name}.yaml`): Element {
  return { id: `k8s:Deployment/${ns}/${name}`, kind: 'service', type: 'k8s:Deployment', name, location: loc(file, 2), zoneHint: `k8s:${ns}`, attrs: { namespace: ns, podLabels: labels } };
}
function service(ns: string, name: string, selector: Record<string, string>, file = `${name}.yaml`): Fragment['elements'][number] {
  return { id: `k8s:Service/${ns}/${name}`, kind: 'service', type: 'k8s:Service', name, location: loc(file, 20), zoneHint: `k8s:${ns}`, attrs: { namespace: ns, selector } };
}
function fragment(file: string, parts: Partial<Fragment>): Fragment {
  return { file, format: 'k8s', elements: [], edges: [], refs: [], issues: [], ...parts };
}

const shop = [
  fragment('frontend.yaml', {
    elements: [
      workload('shop', 'frontend', { app: 'frontend' }, 'frontend.yaml'),
      { ...service('shop', 'frontend-external', { app: 'frontend' }, 'frontend.yaml'), kind: 'gateway', zoneHint: 'edge' },
    ],
    edges: [{ from: 'actor:internet', to: 'k8s:Service/shop/frontend-external', kind: 'exposes', authenticated: false, encrypted: false, location: loc('frontend.yaml', 22), evidence: 'type: LoadBalancer' }],
    refs: [
      { type: 'k8s-selector', from: 'k8s:Service/shop/frontend-external', namespace: 'shop', selector: { app: 'frontend' }, edge: { kind: 'selects', location: loc('frontend.yaml', 25), evidence: 'selector app=frontend' } },
      { type: 'host', from: 'k8s:Deployment/shop/frontend', namespace: 'shop', host: 'orders:8080', edge: { kind: 'calls', protocol: 'http', encrypted: false, location: loc('frontend.yaml', 9), evidence: 'env ORDERS_ADDR=orders:8080' } },
      { type: 'host', from: 'k8s:Deployment/shop/frontend', namespace: 'shop', host: 'https://api.stripe.com/v1', edge: { kind: 'calls', protocol: 'https', encrypted: true, location: loc('frontend.yaml', 10), evidence: 'env STRIPE_URL' } },
      { type: 'host', from: 'k8s:Deployment/shop/frontend', namespace: 'shop', host: 'localhost:9090', edge: { kind: 'calls', location: loc('frontend.yaml', 11), evidence: 'env METRICS' } },
    ],
  }),
  fragment('orders.yaml', {
    elements: [workload('shop', 'orders', { app: 'orders' }, 'orders.yaml'), service('shop', 'orders', { app: 'orders' }, 'orders.yaml')],
    refs: [{ type: 'k8s-selector', from: 'k8s:Service/shop/orders', namespace: 'shop', selector: { app: 'orders' }, edge: { kind: 'selects', location: loc('orders.yaml', 25), evidence: 'selector app=orders' } }],
  }),
];

describe('buildGraph', () => {
  test('links selectors and hosts across files, creates external hosts, drops loopback', () => {
    const g = buildGraph(shop, { zones: {}, apis: {} });
    const edges = g.edges.map((e) => `${e.kind} ${e.from} -> ${e.to}`).sort();
    expect(edges).toEqual([
      'calls k8s:Deployment/shop/frontend -> external:api.stripe.com',
      'calls k8s:Deployment/shop/frontend -> k8s:Service/shop/orders',
      'exposes actor:internet -> k8s:Service/shop/frontend-external',
      'selects k8s:Service/shop/frontend-external -> k8s:Deployment/shop/frontend',
      'selects k8s:Service/shop/orders -> k8s:Deployment/shop/orders',
    ]);
    expect(g.zoneOf.get('external:api.stripe.com')).toBe('third-party');
    expect(g.zoneOf.get('actor:internet')).toBe('internet');
    expect(g.zoneOf.get('k8s:Deployment/shop/orders')).toBe('k8s:shop');
  });

  test('is independent of fragment order', () => {
    const a = buildGraph(shop, { zones: {}, apis: {} });
    const b = buildGraph([...shop].reverse(), { zones: {}, apis: {} });
    expect(b.edges).toEqual(a.edges);
    expect([...b.elements.keys()].sort()).toEqual([...a.elements.keys()].sort());
  });

  test('reports an object defined twice and keeps the first by path', () => {
    const dup = fragment('overlay/orders.yaml', { elements: [{ ...workload('shop', 'orders', { app: 'other' }), location: loc('overlay/orders.yaml', 3) }] });
    const g = buildGraph([...shop, dup], { zones: {}, apis: {} });
    expect(g.elements.get('k8s:Deployment/shop/orders')!.location.file).toBe('orders.yaml');
    expect(g.issues).toEqual([expect.objectContaining({ code: 'duplicate-definition', file: 'overlay/orders.yaml', line: 3, level: 'warning' })]);
  });

  test('config zones override hints', () => {
    const g = buildGraph(shop, { zones: { 'k8s:*/shop/orders': 'payments' }, apis: {} });
    expect(g.zoneOf.get('k8s:Deployment/shop/orders')).toBe('payments');
    expect(g.zoneOf.get('k8s:Deployment/shop/frontend')).toBe('k8s:shop');
  });

  test('crossings are flow edges between zones; reachability follows ingress edges only', () => {
    const g = buildGraph(shop, { zones: {}, apis: {} });
    const crossings = findCrossings(g);
    expect(crossings.map((c) => `${c.fromZone}->${c.toZone} ${c.kind}`).sort()).toEqual([
      'edge->k8s:shop selects',
      'internet->edge exposes',
      'k8s:shop->third-party calls',
    ]);
    expect(crossings.every((c) => /^XB-[0-9a-f]{12}$/.test(c.id))).toBe(true);
    expect([...internetReachable(g)].sort()).toEqual(['k8s:Deployment/shop/frontend', 'k8s:Service/shop/frontend-external']);
  });
});

describe('host resolution', () => {
  const g = buildGraph(shop, { zones: {}, apis: {} });
  const index = buildLinkIndex(g.elements);
  test.each([
    ['orders', 'k8s:Service/shop/orders'],
    ['orders:8080', 'k8s:Service/shop/orders'],
    ['orders.shop', 'k8s:Service/shop/orders'],
    ['http://orders.shop.svc.cluster.local:80/api', 'k8s:Service/shop/orders'],
    ['payments.other.svc.cluster.local', null],
    ['unknownname', null],
    ['10.0.0.4:5432', null],
    ['example.com', undefined],
    ['https://hooks.slack.com/services/x', undefined],
  ])('%s', (host, expected) => {
    expect(resolveHost(host, 'shop', index)).toBe(expected);
  });
  test('normaliseHost strips scheme, credentials, port and path', () => {
    expect(normaliseHost('postgres://user:pw@DB.example.com:5432/app?x=1')).toBe('db.example.com');
  });
});

describe('diff', () => {
  const threat = (id: string, severity: Threat['severity'] = 'high'): Threat => ({ id, key: id, ruleId: 'r', title: 't', stride: ['S'], severity, status: 'unchanged', element: 'e', location: loc('a', 1), evidence: '', mitigation: '', references: [] });
  test('labels threats new, resolved and unchanged by fingerprint', () => {
    const out = diffThreats([threat('A'), threat('B')], [threat('B'), threat('C')]);
    expect(out.map((t) => `${t.id}:${t.status}`)).toEqual(['B:unchanged', 'C:new', 'A:resolved']);
  });
  test('a crossing that loses authentication is new', () => {
    const g = buildGraph(shop, { zones: {}, apis: {} });
    const head = findCrossings(g);
    const base = head.map((c) => (c.kind === 'exposes' ? { ...c, authenticated: true as const } : c));
    const out = diffCrossings(base, head);
    expect(out.filter((c) => c.status === 'new')).toEqual([expect.objectContaining({ kind: 'exposes', change: 'lost-authentication' })]);
  });
});

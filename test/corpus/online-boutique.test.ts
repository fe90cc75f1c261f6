import { join } from 'node:path';
import { analyzeFiles, FIXTURES, readTree } from '../helpers/analyze.js';

/**
 * Online Boutique's kubernetes-manifests/ (test/fixtures/k8s/online-boutique,
 * see its NOTICE), checked by hand against the manifests: the facts
 * docs/corpus-results.md reports for this corpus.
 */
const files = readTree(join(FIXTURES, 'k8s', 'online-boutique'));

const callsFrom = (edges: { kind: string; from: string; to: string; evidence: string }[], from: string) =>
  edges
    .filter((e) => e.kind === 'calls' && e.from === from)
    .map((e) => `${e.to} | ${e.evidence}`)
    .sort();

describe('Online Boutique (kubernetes-manifests/)', () => {
  let analysis: Awaited<ReturnType<typeof analyzeFiles>>;
  beforeAll(async () => {
    analysis = await analyzeFiles(files);
  });

  test('the frontend is reachable from the internet only through the LoadBalancer Service frontend-external', () => {
    const { graph } = analysis;
    const exposures = graph.edges.filter((e) => e.from === 'actor:internet').map((e) => `${e.kind} ${e.to} ${e.evidence}`);
    expect(exposures).toEqual(['exposes k8s:Service/default/frontend-external Service type LoadBalancer, ports 80']);
    expect(graph.zoneOf.get('k8s:Service/default/frontend-external')).toBe('edge');
    const behind = graph.edges.filter((e) => e.from === 'k8s:Service/default/frontend-external').map((e) => `${e.kind} ${e.to}`);
    expect(behind).toEqual(['selects k8s:Deployment/default/frontend']);
    // frontend.yaml:124 `kind: Service`, :130 `type: LoadBalancer`, port 80 -> targetPort 8080.
    const lb = graph.elements.get('k8s:Service/default/frontend-external')!;
    expect(lb.attrs.type).toBe('LoadBalancer');
    expect(lb.location).toEqual({ file: 'frontend.yaml', line: 124 });
  });

  test('the frontend calls exactly the seven services its env vars name (frontend.yaml:69-82)', () => {
    expect(callsFrom(analysis.graph.edges, 'k8s:Deployment/default/frontend')).toEqual([
      'k8s:Service/default/adservice | env AD_SERVICE_ADDR=adservice:9555',
      'k8s:Service/default/cartservice | env CART_SERVICE_ADDR=cartservice:7070',
      'k8s:Service/default/checkoutservice | env CHECKOUT_SERVICE_ADDR=checkoutservice:5050',
      'k8s:Service/default/currencyservice | env CURRENCY_SERVICE_ADDR=currencyservice:7000',
      'k8s:Service/default/productcatalogservice | env PRODUCT_CATALOG_SERVICE_ADDR=productcatalogservice:3550',
      'k8s:Service/default/recommendationservice | env RECOMMENDATION_SERVICE_ADDR=recommendationservice:8080',
      'k8s:Service/default/shippingservice | env SHIPPING_SERVICE_ADDR=shippingservice:50051',
    ]);
    // SHOPPING_ASSISTANT_SERVICE_ADDR (frontend.yaml:83) names a Service that only the
    // shopping-assistant Kustomize component defines: no edge to a Service that does not exist.
    expect(analysis.graph.elements.has('k8s:Service/default/shoppingassistantservice')).toBe(false);
  });

  test('every other call edge matches an *_ADDR env var of the manifests', () => {
    const calls = analysis.graph.edges
      .filter((e) => e.kind === 'calls' && e.from !== 'k8s:Deployment/default/frontend')
      .map((e) => `${e.from.replace('k8s:Deployment/default/', '')} -> ${e.to.replace('k8s:Service/default/', '')}`)
      .sort();
    expect(calls).toEqual([
      'cartservice -> redis-cart', // cartservice.yaml:50 REDIS_ADDR
      'checkoutservice -> cartservice', // checkoutservice.yaml:57-68
      'checkoutservice -> currencyservice',
      'checkoutservice -> emailservice',
      'checkoutservice -> paymentservice',
      'checkoutservice -> productcatalogservice',
      'checkoutservice -> shippingservice',
      'loadgenerator -> frontend', // loadgenerator.yaml:69 and :82 (init container and main), one edge
      'recommendationservice -> productcatalogservice', // recommendationservice.yaml:60
    ]);
  });

  test('two crossings, both at the internet edge, and one attack path: internet to the cart data in Redis', () => {
    expect(analysis.crossings.map((c) => `${c.kind} ${c.from} -> ${c.to}`).sort()).toEqual([
      'exposes actor:internet -> k8s:Service/default/frontend-external',
      'selects k8s:Service/default/frontend-external -> k8s:Deployment/default/frontend',
    ]);
    const paths = analysis.threats.filter((t) => t.ruleId === 'graph-attack-path');
    expect(paths.map((t) => [t.element, t.peer, t.path])).toEqual([
      [
        'k8s:Deployment/default/redis-cart',
        'k8s:Service/default/frontend-external',
        [
          'actor:internet',
          'k8s:Service/default/frontend-external',
          'k8s:Deployment/default/frontend',
          'k8s:Service/default/cartservice',
          'k8s:Deployment/default/cartservice',
          'k8s:Service/default/redis-cart',
          'k8s:Deployment/default/redis-cart',
        ],
      ],
    ]);
  });

  test('findings by rule (the figures of docs/corpus-results.md)', () => {
    const byRule: Record<string, number> = {};
    for (const t of analysis.threats) byRule[t.ruleId] = (byRule[t.ruleId] ?? 0) + 1;
    expect(byRule).toEqual({
      'graph-attack-path': 1,
      'graph-plaintext-crossing': 1,
      'graph-unauthenticated-crossing': 1,
      // The 11 Skaffold placeholders (`image: frontend`...): the documented false positive.
      'k8s-image-without-digest-untrusted-registry': 11,
      'k8s-no-networkpolicy-datastore-namespace': 1,
      'k8s-single-replica-internet-facing': 1,
    });
  });
});

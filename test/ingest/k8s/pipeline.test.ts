import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildGraph } from '../../../src/graph/build.js';
import { internetReachable } from '../../../src/analysis/reach.js';
import { fixtureFiles, K8S_FIXTURES, parseFixture } from './helpers.js';

/** The parser's refs, linked by the real graph builder: what the analysis layer will see. */
async function graphOf(dirs: string[]) {
  const files = dirs.flatMap((d) => fixtureFiles(d));
  const fragments = await Promise.all(files.map((p) => parseFixture(p)));
  return buildGraph(fragments, { zones: {}, apis: {} });
}

const edgesOf = (g: Awaited<ReturnType<typeof graphOf>>, kind: string, from?: string) =>
  g.edges
    .filter((e) => e.kind === kind && (from === undefined || e.from === from))
    .map((e) => `${e.from} -> ${e.to}`)
    .sort();

describe('linked graph', () => {
  test('Online Boutique: internet → frontend-external → frontend → the other Services', async () => {
    const g = await graphOf(['online-boutique']);
    expect(g.issues.filter((i) => i.level !== 'skipped')).toEqual([]);
    expect(edgesOf(g, 'selects', 'k8s:Service/default/frontend-external')).toEqual(['k8s:Service/default/frontend-external -> k8s:Deployment/default/frontend']);
    expect(edgesOf(g, 'calls', 'k8s:Deployment/default/frontend')).toEqual(
      ['adservice', 'cartservice', 'checkoutservice', 'currencyservice', 'productcatalogservice', 'recommendationservice', 'shippingservice'].map((s) => `k8s:Deployment/default/frontend -> k8s:Service/default/${s}`),
    );
    expect(edgesOf(g, 'calls', 'k8s:Deployment/default/cartservice')).toEqual(['k8s:Deployment/default/cartservice -> k8s:Service/default/redis-cart']);
    expect(edgesOf(g, 'uses-identity', 'k8s:Deployment/default/frontend')).toEqual(['k8s:Deployment/default/frontend -> k8s:ServiceAccount/default/frontend']);
    const reach = internetReachable(g);
    expect(reach.has('k8s:Deployment/default/frontend')).toBe(true);
    expect(reach.has('k8s:Deployment/default/cartservice')).toBe(false);
  });

  test('crAPI: ConfigMap calls resolve to the Services of other files; RBAC links the namespace default SA only when declared', async () => {
    const g = await graphOf(['crapi']);
    expect(edgesOf(g, 'calls', 'k8s:ConfigMap/default/crapi-identity-configmap')).toEqual([
      'k8s:ConfigMap/default/crapi-identity-configmap -> external:smtp.example.com',
      'k8s:ConfigMap/default/crapi-identity-configmap -> k8s:Service/default/postgresdb',
    ]);
    expect(edgesOf(g, 'reads', 'k8s:Deployment/default/crapi-identity')).toEqual(['k8s:Deployment/default/crapi-identity -> k8s:ConfigMap/default/crapi-identity-configmap']);
    expect(edgesOf(g, 'selects', 'k8s:Service/default/postgresdb')).toEqual(['k8s:Service/default/postgresdb -> k8s:StatefulSet/default/postgresdb']);
    expect(edgesOf(g, 'mounts', 'k8s:StatefulSet/default/postgresdb')).toEqual(['k8s:StatefulSet/default/postgresdb -> k8s:PersistentVolumeClaim/default/postgres-pv-claim']);
    expect(edgesOf(g, 'grants')).toEqual([]);
    expect(g.zoneOf.get('external:smtp.example.com')).toBe('third-party');
  });

  test('Kubernetes Goat hunger-check: SA → Role grant, workload → SA', async () => {
    const g = await graphOf(['kubernetes-goat/scenarios/hunger-check']);
    expect(edgesOf(g, 'grants')).toEqual(['k8s:ServiceAccount/big-monolith/big-monolith-sa -> k8s:Role/big-monolith/secret-reader']);
    expect(edgesOf(g, 'uses-identity')).toEqual(['k8s:Deployment/big-monolith/hunger-check-deployment -> k8s:ServiceAccount/big-monolith/big-monolith-sa']);
  });

  test('Istio bookinfo: internet → Gateway → VirtualService (productpage is in another file, so the route stops there)', async () => {
    const g = await graphOf(['istio-bookinfo']);
    expect(edgesOf(g, 'routes')).toEqual(['k8s:Gateway/default/bookinfo-gateway -> k8s:HTTPRoute/default/bookinfo', 'k8s:Gateway/default/bookinfo-gateway -> k8s:VirtualService/default/bookinfo']);
    // Both files declare k8s:Gateway/default/bookinfo-gateway (Istio and Gateway API): the builder keeps one.
    expect(g.issues.map((i) => i.code)).toContain('duplicate-definition');
    expect(readFileSync(join(K8S_FIXTURES, 'istio-bookinfo/gateway-api.yaml'), 'utf8')).toContain('gateway.networking.k8s.io');
  });
});

import { diffFiles } from '../helpers/analyze.js';

/** Online-Boutique-like shop: a public frontend, an orders service holding a database credential. */
const frontend = (env: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: frontend, namespace: shop }
spec:
  replicas: 2
  selector: { matchLabels: { app: frontend } }
  template:
    metadata: { labels: { app: frontend } }
    spec:
      containers:
        - name: server
          image: registry.example.com/frontend@sha256:2222222222222222222222222222222222222222222222222222222222222222
          env:
            - name: PRODUCT_CATALOG_SERVICE_ADDR
              value: "catalog:3550"
${env}---
apiVersion: v1
kind: Service
metadata: { name: frontend-external, namespace: shop }
spec:
  type: LoadBalancer
  selector: { app: frontend }
  ports: [{ name: http, port: 80, targetPort: 8080 }]
`;

const backends = `apiVersion: apps/v1
kind: Deployment
metadata: { name: orders, namespace: shop }
spec:
  replicas: 2
  selector: { matchLabels: { app: orders } }
  template:
    metadata: { labels: { app: orders } }
    spec:
      containers:
        - name: server
          image: registry.example.com/orders@sha256:3333333333333333333333333333333333333333333333333333333333333333
          env:
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef: { name: orders-db-credentials, key: password }
---
apiVersion: v1
kind: Service
metadata: { name: orders, namespace: shop }
spec:
  selector: { app: orders }
  ports: [{ port: 8080, targetPort: 8080 }]
---
apiVersion: v1
kind: Secret
metadata: { name: orders-db-credentials, namespace: shop }
type: Opaque
data: { password: cGFzc3dvcmQ= }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: catalog, namespace: shop }
spec:
  replicas: 2
  selector: { matchLabels: { app: catalog } }
  template:
    metadata: { labels: { app: catalog } }
    spec:
      containers:
        - name: server
          image: registry.example.com/catalog@sha256:4444444444444444444444444444444444444444444444444444444444444444
---
apiVersion: v1
kind: Service
metadata: { name: catalog, namespace: shop }
spec:
  selector: { app: catalog }
  ports: [{ port: 3550, targetPort: 3550 }]
`;

const ordersOnlyFromCheckout = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: orders-ingress, namespace: shop }
spec:
  podSelector: { matchLabels: { app: orders } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector: { matchLabels: { app: checkout } }
`;

const callOrders = `            - name: ORDERS_ADDR
              value: "orders:8080"
`;

describe('attack paths', () => {
  test('one env var that makes the public frontend call orders opens one path to the database credential', async () => {
    const base = { 'k8s/frontend.yaml': frontend(''), 'k8s/backends.yaml': backends };
    const head = { 'k8s/frontend.yaml': frontend(callOrders), 'k8s/backends.yaml': backends };
    const { report } = await diffFiles(base, head);
    const paths = report.threats.filter((t) => t.ruleId === 'graph-attack-path');
    expect(paths.map((p) => [p.status, p.element])).toEqual([['new', 'k8s:Secret/shop/orders-db-credentials']]);
    const path = paths[0]!;
    expect(path.path).toEqual([
      'actor:internet',
      'k8s:Service/shop/frontend-external',
      'k8s:Deployment/shop/frontend',
      'k8s:Service/shop/orders',
      'k8s:Deployment/shop/orders',
      'k8s:Secret/shop/orders-db-credentials',
    ]);
    // The link the PR added is marked as the one that opened the path.
    expect(path.chain!.filter((l) => l.opened).map((l) => `${l.from} -> ${l.to}`)).toEqual(['k8s:Deployment/shop/frontend -> k8s:Service/shop/orders']);
    expect(path.chain!.find((l) => l.opened)!.location).toEqual({ file: 'k8s/frontend.yaml', line: 17 });
    expect(['high', 'critical']).toContain(path.severity);
    expect(path.risk!.reasons.join(' ')).toContain('credentials');
  });

  test('the same change with a NetworkPolicy that forbids the call opens no path', async () => {
    const base = { 'k8s/frontend.yaml': frontend(''), 'k8s/backends.yaml': backends, 'k8s/netpol.yaml': ordersOnlyFromCheckout };
    const head = { 'k8s/frontend.yaml': frontend(callOrders), 'k8s/backends.yaml': backends, 'k8s/netpol.yaml': ordersOnlyFromCheckout };
    const { report } = await diffFiles(base, head);
    expect(report.threats.filter((t) => t.ruleId === 'graph-attack-path')).toEqual([]);
  });

  test('removing the call resolves the path', async () => {
    const head = { 'k8s/frontend.yaml': frontend(''), 'k8s/backends.yaml': backends };
    const base = { 'k8s/frontend.yaml': frontend(callOrders), 'k8s/backends.yaml': backends };
    const { report } = await diffFiles(base, head);
    expect(report.threats.filter((t) => t.ruleId === 'graph-attack-path').map((t) => t.status)).toEqual(['resolved']);
  });
});

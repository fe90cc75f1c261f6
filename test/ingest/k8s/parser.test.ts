import fc from 'fast-check';
import { kubernetesParser } from '../../../src/ingest/k8s/index.js';
import { isHelmTemplate, looksLikeKubernetes } from '../../../src/ingest/k8s/detect.js';
import { DEFAULT_LIMITS } from '../../../src/model/types.js';
import { el, elementRefs, hostRefs, parseText, type Any } from './helpers.js';

const sa = (name: string, ns?: string) => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ''}`;

describe('detect', () => {
  test.each([
    ['k8s/app.yaml', sa('a'), true],
    ['k8s/app.yml', sa('a'), true],
    ['k8s/app.json', '{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "a"}}', true],
    ['k8s/kustomization.yaml', 'resources:\n- app.yaml\n', true],
    ['k8s/app.txt', sa('a'), false],
    ['api/openapi.yaml', 'openapi: 3.0.0\ninfo:\n  title: x\n  version: "1"\npaths: {}\n# kind: and apiVersion: in a comment\napiVersion: x\nkind: y\n', false],
    ['api/swagger.json', '{"swagger": "2.0", "apiVersion": "1", "kind": "x"}', false],
    ['.github/workflows/ci.yml', 'on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n', false],
    ['package.json', '{"name": "x", "version": "1.0.0"}', false],
  ])('%s', (path, content, expected) => {
    expect(kubernetesParser.detect(path, content)).toBe(expected);
    expect(looksLikeKubernetes(path, content)).toBe(expected);
  });

  test('Helm: chart templates and structural directives, not Go templates inside strings or block scalars', () => {
    expect(isHelmTemplate('chart/templates/deploy.yaml', sa('a'))).toBe(true);
    expect(isHelmTemplate('k8s/deploy.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ include "x.fullname" . }}\n')).toBe(true);
    expect(isHelmTemplate('k8s/deploy.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: "{{ .Release.Name }}-svc"\n')).toBe(true);
    expect(isHelmTemplate('k8s/deploy.yaml', '{{- if .Values.enabled }}\napiVersion: v1\nkind: Service\n{{- end }}\n')).toBe(true);
    expect(isHelmTemplate('k8s/rules.yaml', 'apiVersion: v1\nkind: PrometheusRule\nspec:\n  description: "value {{ $value }}"\n')).toBe(false);
    expect(isHelmTemplate('k8s/am.yaml', 'apiVersion: v1\nkind: ConfigMap\ndata:\n  config.yml: |\n    text: {{ range .Alerts }}{{ end }}\n    title: {{ template "x" . }}\nmetadata:\n  name: am\n')).toBe(false);
  });
});

describe('robustness', () => {
  test('a malformed document gives an error with its line; the other documents are still parsed', async () => {
    const text = `${sa('a')}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: b\n  labels: {app: [x\nspec:\n  type: ClusterIP\n---\n${sa('c')}`;
    const f = await parseText('bad.yaml', text);
    expect(f.elements.map((e) => [e.id, e.location.line])).toEqual([
      ['k8s:ServiceAccount/default/a', 2],
      ['k8s:ServiceAccount/default/c', 15],
    ]);
    expect(f.issues).toEqual([{ file: 'bad.yaml', line: 11, level: 'error', code: 'yaml-syntax', message: expect.stringMatching(/^YAML syntax error: /) }]);
  });

  test('an alias bomb is rejected, not expanded', async () => {
    const bomb = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: lol',
      'data:',
      '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      '  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      '  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      '  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      '  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      '  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
      '  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
      '---',
      sa('ok'),
    ].join('\n');
    const f = await parseText('bomb.yaml', bomb);
    expect(f.elements.map((e) => e.id)).toEqual(['k8s:ServiceAccount/default/ok']);
    expect(f.issues).toEqual([{ file: 'bomb.yaml', line: 1, level: 'error', code: 'yaml-aliases', message: expect.stringMatching(/^YAML document rejected: /) }]);
  });

  test('files over maxFileBytes are not parsed', async () => {
    const f = await parseText('big.yaml', sa('a'), { ...DEFAULT_LIMITS, maxFileBytes: 10 });
    expect(f.elements).toEqual([]);
    expect(f.issues).toEqual([{ file: 'big.yaml', level: 'error', code: 'file-too-large', message: 'File is larger than the 10-byte limit; not parsed' }]);
  });

  test('the same object twice in a file: the first is kept, a warning names both lines', async () => {
    const f = await parseText('dup.yaml', `${sa('a')}automountServiceAccountToken: false\n---\n${sa('a')}`);
    expect(f.elements.map((e) => [e.id, e.attrs.automountServiceAccountToken])).toEqual([['k8s:ServiceAccount/default/a', false]]);
    expect(f.issues).toEqual([{ file: 'dup.yaml', line: 8, level: 'warning', code: 'duplicate-object', message: 'k8s:ServiceAccount/default/a is defined twice in this file (first at line 2); keeping the first' }]);
  });

  test('objects without kind or name, and non-objects, are warnings', async () => {
    const f = await parseText('odd.yaml', 'apiVersion: v1\nmetadata:\n  name: x\n---\napiVersion: v1\nkind: Service\n---\n- a\n- b\n---\nplain\n');
    expect(f.elements).toEqual([]);
    expect(f.issues.map((i) => [i.code, i.line])).toEqual([
      ['missing-kind', 1],
      ['missing-name', 6],
      ['not-an-object', 8],
      ['not-an-object', 11],
    ]);
  });

  test('Kustomization documents and $patch documents are skipped', async () => {
    const f = await parseText('k/overlay.yaml', `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: lg\n$patch: delete\n---\n${sa('a')}`);
    expect(f.elements.map((e) => e.id)).toEqual(['k8s:ServiceAccount/default/a']);
    expect(f.issues.map((i) => [i.level, i.code, i.line])).toEqual([
      ['skipped', 'kustomization', 2],
      ['skipped', 'kustomize-patch', 6],
    ]);
    const patch = await parseText('k/delete-x.patch.yaml', sa('a'));
    expect(patch.issues.map((i) => i.code)).toEqual(['kustomize-patch']);
  });

  test('Helm template outside templates/ is skipped at the first directive line', async () => {
    const f = await parseText('chart/deploy.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n');
    expect(f.issues).toEqual([{ file: 'chart/deploy.yaml', line: 4, level: 'skipped', code: 'helm-template', message: 'Helm template: not modelled until rendered' }]);
  });

  test('never throws, whatever the bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 400 }), async (s) => {
        const f = await parseText('fuzz.yaml', `apiVersion: v1\nkind: Pod\n${s}`);
        expect(Array.isArray(f.elements)).toBe(true);
      }),
      { numRuns: 200 },
    );
    // Wrong types everywhere.
    const f = await parseText(
      'types.yaml',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w\n  labels: [1, 2]\nspec:\n  replicas: many\n  template:\n    metadata: 3\n    spec:\n      containers: {a: 1}\n      volumes: "x"\n      initContainers: [1, null, {name: 2, env: 7, securityContext: [], ports: "p"}]\n',
    );
    expect(f.issues).toEqual([]);
    expect(el(f, 'k8s:Deployment/default/w').attrs).toMatchObject({ replicas: 1, podLabels: {}, volumes: [] });
  });
});

describe('modelling', () => {
  test('List and JSON', async () => {
    const json = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'a', namespace: 'shop' } }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }] }, null, 2);
    const f = await parseText('list.json', json);
    expect(f.elements.map((e) => [e.id, e.location.line])).toEqual([
      ['k8s:ServiceAccount/shop/a', 7],
      ['k8s:Namespace/shop', 15],
    ]);
  });

  test('CronJob and Pod pod specs; workload with a ConfigMap in the same file gets its calls', async () => {
    const text = `apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  namespace: shop
data:
  ORDERS_URL: http://orders.shop.svc.cluster.local:8080/api
  PAYMENT_HOST: payments
  PAYMENT_PORT: "9000"
  DB_PASSWORD: hunter2
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
  namespace: shop
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          automountServiceAccountToken: false
          containers:
          - name: job
            image: registry.example.com/report:1.0
            envFrom:
            - configMapRef:
                name: cfg
            args: ["--upstream=https://api.partner.example/v2"]
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: shop
spec:
  containers:
  - name: sh
    image: busybox
    securityContext:
      runAsUser: 0
      capabilities:
        add: ["cap_net_admin", "SYS_ADMIN"]
`;
    const f = await parseText('jobs.yaml', text);
    const cron = el(f, 'k8s:CronJob/shop/report');
    expect(cron.attrs).toMatchObject({ podSpecPath: 'spec.jobTemplate.spec.template.spec', schedule: '0 * * * *', automountServiceAccountToken: false, replicas: 1 });
    expect(cron.lines?.['spec.jobTemplate.spec.template.spec.automountServiceAccountToken']).toBe(23);
    expect(hostRefs(f, cron.id).map((r) => [r.host, r.port, r.edge.protocol, r.edge.encrypted, r.edge.location.line, r.edge.evidence])).toEqual([
      ['orders.shop.svc.cluster.local', 8080, 'http', false, 7, 'envFrom configmap cfg: ORDERS_URL=http://orders.shop.svc.cluster.local:8080/api'],
      ['payments', 9000, 'tcp', false, 8, 'envFrom configmap cfg: PAYMENT_HOST=payments'],
      ['api.partner.example', 443, 'https', true, 30, 'args --upstream=https://api.partner.example/v2'],
    ]);
    // The ConfigMap still carries its own calls, for readers in other files.
    expect(hostRefs(f, 'k8s:ConfigMap/shop/cfg').map((r) => r.host)).toEqual(['orders.shop.svc.cluster.local', 'payments']);
    const pod = el(f, 'k8s:Pod/shop/debug');
    expect(pod.attrs).toMatchObject({ podSpecPath: 'spec', replicas: 1 });
    expect((pod.attrs.containers as Any[])[0]).toMatchObject({ runAsUser: 0, capabilitiesAdd: ['NET_ADMIN', 'SYS_ADMIN'] });
    expect(pod.lines?.['spec.containers.0.securityContext.capabilities.add']).toBe(44);
  });

  test('Ingress: TLS coverage, auth annotations, v1beta1 backends, internal class', async () => {
    const text = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/auth-url: "https://auth.shop.example/oauth2/auth"
    nginx.ingress.kubernetes.io/auth-signin: "https://auth.shop.example/oauth2/start"
spec:
  ingressClassName: nginx
  tls:
  - hosts: ["*.shop.example"]
    secretName: shop-tls
  rules:
  - host: www.shop.example
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: frontend
            port:
              name: http
  - host: api.other.example
    http:
      paths:
      - path: /api
        pathType: Prefix
        backend:
          service:
            name: api
            port:
              number: 8080
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: legacy
  annotations:
    kubernetes.io/ingress.class: gce-internal
spec:
  backend:
    serviceName: admin
    servicePort: 80
`;
    const f = await parseText('ing.yaml', text);
    const shop = el(f, 'k8s:Ingress/shop/shop');
    expect(shop.attrs).toMatchObject({
      ingressClassName: 'nginx',
      hosts: ['www.shop.example', 'api.other.example'],
      tlsHosts: ['*.shop.example'],
      tlsCoversAll: false,
      uncoveredHosts: ['api.other.example'],
      authAnnotations: { 'nginx.ingress.kubernetes.io/auth-url': 'https://auth.shop.example/oauth2/auth', 'nginx.ingress.kubernetes.io/auth-signin': 'https://auth.shop.example/oauth2/start' },
      exposure: 'internet',
    });
    expect(shop.lines?.['metadata.annotations.nginx.ingress.kubernetes.io/auth-url']).toBe(7);
    expect(f.edges.map((e) => [e.to, e.protocol, e.port, e.encrypted, e.authenticated, e.location.line])).toEqual([['k8s:Ingress/shop/shop', 'http', 80, false, true, 11]]);
    expect(elementRefs(f, shop.id).map((r) => [r.candidates[0], r.edge.port ?? null, r.edge.attrs?.portName ?? null, r.edge.location.line])).toEqual([
      ['k8s:Service/shop/frontend', null, 'http', 20],
      ['k8s:Service/shop/api', 8080, null, 30],
    ]);
    const legacy = el(f, 'k8s:Ingress/default/legacy');
    expect(legacy).toMatchObject({ zoneHint: 'vpc-private', attrs: { exposure: 'internal' } });
    expect(elementRefs(f, legacy.id).map((r) => [r.candidates[0], r.edge.port])).toEqual([['k8s:Service/default/admin', 80]]);
  });

  test('Services: internal LB, TLS LB, ExternalName, headless', async () => {
    const text = `apiVersion: v1
kind: Service
metadata:
  name: internal
  annotations:
    networking.gke.io/load-balancer-type: Internal
spec:
  type: LoadBalancer
  selector: {app: a}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: tls
  annotations:
    service.beta.kubernetes.io/aws-load-balancer-ssl-cert: arn:aws:acm:eu-west-1:1:certificate/x
spec:
  type: LoadBalancer
  loadBalancerSourceRanges: [203.0.113.0/24]
  selector: {app: a}
  ports: [{port: 443, targetPort: 8443}]
---
apiVersion: v1
kind: Service
metadata:
  name: stripe
spec:
  type: ExternalName
  externalName: api.stripe.com
`;
    const f = await parseText('svc.yaml', text);
    expect(el(f, 'k8s:Service/default/internal')).toMatchObject({ kind: 'gateway', zoneHint: 'vpc-private', attrs: { exposure: 'internal' } });
    expect(f.edges.map((e) => [e.to, e.protocol, e.port, e.encrypted, e.attrs])).toEqual([['k8s:Service/default/tls', 'https', 443, true, { via: 'LoadBalancer', ports: [443], sourceRanges: ['203.0.113.0/24'] }]]);
    expect(hostRefs(f, 'k8s:Service/default/stripe').map((r) => [r.host, r.edge.kind])).toEqual([['api.stripe.com', 'routes']]);
  });

  test('Istio security policies are normalised', async () => {
    const text = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: istio-system
spec:
  mtls:
    mode: STRICT
---
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: legacy
  namespace: shop
spec:
  selector:
    matchLabels: {app: legacy}
  mtls: {mode: PERMISSIVE}
  portLevelMtls:
    8080: {mode: DISABLE}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-nothing
  namespace: shop
spec: {}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: orders
  namespace: shop
spec:
  selector:
    matchLabels: {app: orders}
  action: ALLOW
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/shop/sa/frontend"]
    to:
    - operation:
        methods: ["GET"]
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: jwt
  namespace: shop
spec:
  jwtRules:
  - issuer: https://accounts.example
    jwksUri: https://accounts.example/jwks
`;
    const f = await parseText('istio.yaml', text);
    expect(el(f, 'k8s:PeerAuthentication/istio-system/default').attrs).toMatchObject({ policyKind: 'mtls', scope: 'mesh', selector: null, mtlsMode: 'STRICT', portLevelMtls: {} });
    expect(el(f, 'k8s:PeerAuthentication/shop/legacy').attrs).toMatchObject({ scope: 'workload', selector: { app: 'legacy' }, mtlsMode: 'PERMISSIVE', portLevelMtls: { '8080': 'DISABLE' } });
    expect(el(f, 'k8s:AuthorizationPolicy/shop/allow-nothing').attrs).toMatchObject({ scope: 'namespace', action: 'ALLOW', rules: [], denyAll: true, allowAll: false });
    const orders = el(f, 'k8s:AuthorizationPolicy/shop/orders');
    expect(orders.attrs).toMatchObject({ scope: 'workload', denyAll: false, allowAll: false, requiresPrincipal: true });
    expect((orders.attrs.rules as Any[])[0].from[0].principals).toEqual(['cluster.local/ns/shop/sa/frontend']);
    expect((orders.attrs.rules as Any[])[0].to[0].methods).toEqual(['GET']);
    expect(el(f, 'k8s:RequestAuthentication/shop/jwt').attrs.jwtRules).toEqual([{ issuer: 'https://accounts.example', jwksUri: 'https://accounts.example/jwks', audiences: [], forwardOriginalToken: false }]);
  });

  test('NetworkPolicy defaults and peers', async () => {
    const text = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db
  namespace: data
spec:
  podSelector:
    matchExpressions:
    - {key: tier, operator: In, values: [db]}
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {team: shop}
      podSelector:
        matchLabels: {app: orders}
    - ipBlock:
        cidr: 10.0.0.0/8
        except: [10.1.0.0/16]
    ports:
    - port: 5432
  - from:
    - namespaceSelector: {}
`;
    const np = el(await parseText('np.yaml', text), 'k8s:NetworkPolicy/data/db');
    expect(np.attrs).toMatchObject({
      podSelector: { matchLabels: {}, matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] },
      selectsAllPods: false,
      policyTypes: ['Ingress'],
      isolatesIngress: true,
      isolatesEgress: false,
      allowAllIngress: true,
      denyAllIngress: false,
    });
    expect(np.attrs.ingress).toEqual([
      {
        peers: [
          { namespaceSelector: { matchLabels: { team: 'shop' }, matchExpressions: [] }, podSelector: { matchLabels: { app: 'orders' }, matchExpressions: [] } },
          { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } },
        ],
        ports: [{ protocol: 'TCP', port: 5432 }],
        anyPeer: false,
        anyPort: false,
        peerMatchesAll: false,
      },
      { peers: [{ namespaceSelector: { matchLabels: {}, matchExpressions: [] } }], ports: [], anyPeer: false, anyPort: true, peerMatchesAll: true },
    ]);
  });

  test('RoleBinding to a ClusterRole, with users and broad groups', async () => {
    const text = `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: readers
  namespace: shop
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: view
subjects:
- kind: ServiceAccount
  name: ci
- kind: User
  name: alice@example.com
- kind: Group
  name: system:serviceaccounts:shop
`;
    const f = await parseText('rb.yaml', text);
    expect(el(f, 'k8s:RoleBinding/shop/readers')).toMatchObject({
      zoneHint: 'k8s:shop',
      attrs: {
        roleId: 'k8s:ClusterRole/view',
        builtinRole: true,
        serviceAccounts: ['shop/ci'],
        nonServiceAccountSubjects: [
          { kind: 'User', name: 'alice@example.com' },
          { kind: 'Group', name: 'system:serviceaccounts:shop' },
        ],
        broadGroups: ['system:serviceaccounts:shop'],
      },
    });
    expect(f.refs.map((r) => [r.from, (r as Any).candidates])).toEqual([['k8s:ServiceAccount/shop/ci', ['k8s:ClusterRole/view']]]);
  });

  test('annotations never carry last-applied-configuration', async () => {
    const text = `apiVersion: v1
kind: Secret
metadata:
  name: s
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"data":{"password":"c2VjcmV0"}}'
stringData:
  password: s3cr3t-value
`;
    const f = await parseText('s.yaml', text);
    expect(el(f, 'k8s:Secret/default/s').attrs).toMatchObject({ keys: ['password'], stringDataKeys: ['password'], annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '[omitted]' } });
    expect(JSON.stringify(f)).not.toMatch(/c2VjcmV0|s3cr3t-value/);
  });
});

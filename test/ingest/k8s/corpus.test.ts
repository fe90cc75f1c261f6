import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubernetesParser } from '../../../src/ingest/k8s/index.js';
import { el, elementRefs, fixtureFiles, hostRefs, K8S_FIXTURES, parseFixture, type Any } from './helpers.js';

/** Real manifests (see test/fixtures/k8s/NOTICE). */

describe('Online Boutique', () => {
  test('frontend.yaml: one element per object, in document order, at the kind: line', async () => {
    const f = await parseFixture('online-boutique/frontend.yaml');
    expect(f.format).toBe('k8s');
    expect(f.issues).toEqual([]);
    expect(f.elements.map((e) => [e.id, e.kind, e.zoneHint, e.location.line])).toEqual([
      ['k8s:Deployment/default/frontend', 'service', 'k8s:default', 16],
      ['k8s:Service/default/frontend', 'service', 'k8s:default', 109],
      ['k8s:Service/default/frontend-external', 'gateway', 'edge', 124],
      ['k8s:ServiceAccount/default/frontend', 'identity', 'k8s:default', 139],
    ]);
    expect(f.elements.every((e) => e.location.file === 'online-boutique/frontend.yaml')).toBe(true);
  });

  test('frontend-external is a LoadBalancer gateway exposed to the internet over plain HTTP', async () => {
    const f = await parseFixture('online-boutique/frontend.yaml');
    const gw = el(f, 'k8s:Service/default/frontend-external');
    expect(gw.attrs).toMatchObject({ type: 'LoadBalancer', exposure: 'internet', selector: { app: 'frontend' }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] });
    expect(gw.lines?.['spec.type']).toBe(130);
    expect(f.edges).toEqual([
      {
        from: 'actor:internet',
        to: 'k8s:Service/default/frontend-external',
        kind: 'exposes',
        protocol: 'http',
        port: 80,
        authenticated: 'unknown',
        encrypted: false,
        location: { file: 'online-boutique/frontend.yaml', line: 130 },
        evidence: 'Service type LoadBalancer, ports 80',
        attrs: { via: 'LoadBalancer', ports: [80] },
      },
    ]);
    // The ClusterIP Service is not exposed.
    expect(el(f, 'k8s:Service/default/frontend').attrs.exposure).toBe('cluster');
  });

  test("frontend's env values become host refs to the other services", async () => {
    const f = await parseFixture('online-boutique/frontend.yaml');
    const refs = hostRefs(f, 'k8s:Deployment/default/frontend');
    expect(refs.map((r) => `${r.host}:${r.port}`)).toEqual([
      'productcatalogservice:3550',
      'currencyservice:7000',
      'cartservice:7070',
      'recommendationservice:8080',
      'shippingservice:50051',
      'checkoutservice:5050',
      'adservice:9555',
      'shoppingassistantservice:80',
    ]);
    expect(refs[0]).toEqual({
      type: 'host',
      from: 'k8s:Deployment/default/frontend',
      namespace: 'default',
      host: 'productcatalogservice',
      port: 3550,
      edge: {
        kind: 'calls',
        protocol: 'tcp',
        port: 3550,
        authenticated: 'unknown',
        encrypted: false,
        location: { file: 'online-boutique/frontend.yaml', line: 70 },
        evidence: 'env PRODUCT_CATALOG_SERVICE_ADDR=productcatalogservice:3550',
        attrs: { container: 'server', protocolGuessed: true },
      },
    });
    expect(refs.find((r) => r.host === 'shippingservice')!.edge.protocol).toBe('grpc');
    expect(refs.find((r) => r.host === 'shoppingassistantservice')!.edge.protocol).toBe('http');
  });

  test('Service selectors become k8s-selector refs', async () => {
    const f = await parseFixture('online-boutique/frontend.yaml');
    const selectors = f.refs.filter((r) => r.type === 'k8s-selector');
    expect(selectors).toEqual([
      {
        type: 'k8s-selector',
        from: 'k8s:Service/default/frontend',
        namespace: 'default',
        selector: { app: 'frontend' },
        edge: { kind: 'selects', protocol: 'http', port: 8080, location: { file: 'online-boutique/frontend.yaml', line: 116 }, evidence: 'selector app=frontend' },
      },
      {
        type: 'k8s-selector',
        from: 'k8s:Service/default/frontend-external',
        namespace: 'default',
        selector: { app: 'frontend' },
        edge: { kind: 'selects', protocol: 'http', port: 8080, location: { file: 'online-boutique/frontend.yaml', line: 131 }, evidence: 'selector app=frontend' },
      },
    ]);
  });

  test('frontend workload attributes: identity, effective security context, resources, lines', async () => {
    const f = await parseFixture('online-boutique/frontend.yaml');
    const w = el(f, 'k8s:Deployment/default/frontend');
    expect(w.attrs).toMatchObject({
      workload: true,
      namespace: 'default',
      podSpecPath: 'spec.template.spec',
      podLabels: { app: 'frontend' },
      serviceAccount: 'frontend',
      serviceAccountExplicit: true,
      automountServiceAccountToken: null,
      hostNetwork: false,
      hostPID: false,
      hostIPC: false,
      replicas: 1,
      replicasDefaulted: true,
      securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, runAsNonRoot: true },
    });
    const c = (w.attrs.containers as Any[])[0];
    expect(c).toMatchObject({
      name: 'server',
      image: 'frontend',
      path: 'spec.template.spec.containers.0',
      privileged: false,
      allowPrivilegeEscalation: false,
      runAsNonRoot: true,
      runAsUser: 1000,
      readOnlyRootFilesystem: true,
      capabilitiesAdd: [],
      capabilitiesDrop: ['ALL'],
      resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
      ports: [{ containerPort: 8080, protocol: 'TCP' }],
    });
    expect(c.env[1]).toEqual({ name: 'PRODUCT_CATALOG_SERVICE_ADDR', value: 'productcatalogservice:3550' });
    expect(w.lines).toMatchObject({
      'spec.template.spec.serviceAccountName': 32,
      'spec.template.spec.containers.0.securityContext.privileged': 45,
      'spec.template.spec.containers.0.securityContext.readOnlyRootFilesystem': 46,
      'spec.template.spec.containers.0.env.1.value': 70,
      'spec.template.spec.containers.0.resources.limits': 104,
    });
    expect(elementRefs(f, w.id)).toEqual([
      {
        type: 'element',
        from: 'k8s:Deployment/default/frontend',
        candidates: ['k8s:ServiceAccount/default/frontend'],
        onMissing: 'warn',
        edge: { kind: 'uses-identity', location: { file: 'online-boutique/frontend.yaml', line: 32 }, evidence: 'serviceAccountName: frontend' },
      },
    ]);
  });

  test('redis-cart is a redis datastore that cartservice calls', async () => {
    const f = await parseFixture('online-boutique/cartservice.yaml');
    const redis = el(f, 'k8s:Deployment/default/redis-cart');
    expect(redis.kind).toBe('datastore');
    expect(redis.attrs).toMatchObject({ workload: true, engine: 'redis', engineEvidence: 'image redis:alpine', serviceAccount: 'default', serviceAccountExplicit: false });
    expect(hostRefs(f, 'k8s:Deployment/default/cartservice').map((r) => [r.host, r.port, r.edge.evidence, r.edge.attrs])).toEqual([
      ['redis-cart', 6379, 'env REDIS_ADDR=redis-cart:6379', { container: 'server', appProtocol: 'redis', protocolGuessed: true }],
    ]);
    expect(el(f, 'k8s:Deployment/default/cartservice').kind).toBe('service');
  });

  test('the whole folder parses without errors, kustomization.yaml is skipped, ids are unique', async () => {
    const files = fixtureFiles('online-boutique');
    expect(files).toHaveLength(12);
    const fragments = await Promise.all(files.map((p) => parseFixture(p)));
    const issues = fragments.flatMap((f) => f.issues);
    expect(issues).toEqual([{ file: 'online-boutique/kustomization.yaml', level: 'skipped', code: 'kustomization', message: 'Kustomization: not modelled; the manifests it lists are read as plain files' }]);
    const ids = fragments.flatMap((f) => f.elements.map((e) => e.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => id.startsWith('k8s:Deployment/')).sort()).toEqual(
      ['adservice', 'cartservice', 'checkoutservice', 'currencyservice', 'emailservice', 'frontend', 'loadgenerator', 'paymentservice', 'productcatalogservice', 'recommendationservice', 'redis-cart', 'shippingservice'].map((n) => `k8s:Deployment/default/${n}`),
    );
    // Exactly one thing is internet-facing in the plain manifests.
    expect(fragments.flatMap((f) => f.edges).map((e) => `${e.kind} ${e.from} -> ${e.to}`)).toEqual(['exposes actor:internet -> k8s:Service/default/frontend-external']);
  });

  test('network policies are normalised', async () => {
    const deny = el(await parseFixture('online-boutique-network-policies/network-policy-deny-all.yaml'), 'k8s:NetworkPolicy/default/deny-all');
    expect(deny.kind).toBe('policy');
    expect(deny.attrs).toMatchObject({
      policyKind: 'network',
      podSelector: { matchLabels: {}, matchExpressions: [] },
      selectsAllPods: true,
      policyTypes: ['Ingress', 'Egress'],
      isolatesIngress: true,
      isolatesEgress: true,
      ingress: [],
      egress: [],
      denyAllIngress: true,
      denyAllEgress: true,
      allowAllIngress: false,
      allowAllEgress: false,
    });
    const redis = el(await parseFixture('online-boutique-network-policies/network-policy-redis.yaml'), 'k8s:NetworkPolicy/default/redis-cart');
    expect(redis.attrs.ingress).toEqual([
      { peers: [{ podSelector: { matchLabels: { app: 'cartservice' }, matchExpressions: [] } }], ports: [{ protocol: 'TCP', port: 6379 }], anyPeer: false, anyPort: false, peerMatchesAll: false },
    ]);
    expect(redis.attrs).toMatchObject({ selectsAllPods: false, allowAllIngress: false, allowAllEgress: true, denyAllIngress: false });
    expect(redis.lines).toMatchObject({ 'spec.podSelector': 20, 'spec.ingress.0': 27 });
    const frontend = el(await parseFixture('online-boutique-network-policies/network-policy-frontend.yaml'), 'k8s:NetworkPolicy/default/frontend');
    expect(frontend.attrs).toMatchObject({ allowAllIngress: true, allowAllEgress: true });
  });
});

describe('Kubernetes Goat', () => {
  test('system-monitor: privileged, host namespaces and a hostPath of / are in attrs, with lines', async () => {
    const f = await parseFixture('kubernetes-goat/scenarios/system-monitor/deployment.yaml');
    const w = el(f, 'k8s:Deployment/default/system-monitor-deployment');
    expect(w.attrs).toMatchObject({ hostPID: true, hostIPC: true, hostNetwork: false });
    expect(w.attrs.volumes).toEqual([{ name: 'host-filesystem', path: 'spec.template.spec.volumes.0', hostPath: '/' }]);
    const c = (w.attrs.containers as Any[])[0];
    expect(c).toMatchObject({ name: 'system-monitor', privileged: true, allowPrivilegeEscalation: true, readOnlyRootFilesystem: false, runAsUser: null, runAsNonRoot: null });
    expect(c.mounts).toEqual([{ name: 'host-filesystem', mountPath: '/host-system', readOnly: false }]);
    expect(c.env).toEqual([{ name: 'K8S_GOAT_VAULT_KEY', valueFrom: { secretKeyRef: { name: 'goatvault', key: 'k8sgoatvaultkey' } } }]);
    expect(w.lines).toMatchObject({
      'spec.template.spec.hostPID': 25,
      'spec.template.spec.hostIPC': 26,
      'spec.template.spec.volumes.0.hostPath': 30,
      'spec.template.spec.containers.0.securityContext.privileged': 41,
      'spec.template.spec.containers.0.securityContext.allowPrivilegeEscalation': 40,
    });
    const reads = elementRefs(f, w.id).filter((r) => r.edge.kind === 'reads');
    expect(reads.map((r) => [r.candidates, r.edge.evidence, r.edge.attrs])).toEqual([[['k8s:Secret/default/goatvault'], 'env K8S_GOAT_VAULT_KEY from secret goatvault', { keys: ['k8sgoatvaultkey'] }]]);
  });

  test('Secrets keep key names only: the value appears nowhere in the fragment', async () => {
    const f = await parseFixture('kubernetes-goat/scenarios/system-monitor/deployment.yaml');
    expect(el(f, 'k8s:Secret/default/goatvault').attrs).toMatchObject({ secretType: 'Opaque', keys: ['k8sgoatvaultkey'], valuesInManifest: true });
    expect(JSON.stringify(f)).not.toContain('azhzLWdvYXQt');
  });

  test('docker-bench DaemonSet: host namespaces, root, added capability, docker socket', async () => {
    const f = await parseFixture('kubernetes-goat/scenarios/docker-bench-security/deployment.yaml');
    const w = el(f, 'k8s:DaemonSet/default/docker-bench-security');
    expect(w.kind).toBe('service');
    expect(w.attrs).toMatchObject({ hostPID: true, hostIPC: true, hostNetwork: true, replicas: null, perNode: true, securityContext: { runAsUser: 0 } });
    expect((w.attrs.containers as Any[])[0]).toMatchObject({ privileged: true, runAsUser: 0, capabilitiesAdd: ['AUDIT_CONTROL'], command: ['/bin/sh', '-c', 'sleep infinity'] });
    expect((w.attrs.volumes as Any[]).map((v) => v.hostPath)).toEqual(['/var/lib', '/usr/lib/systemd', '/etc', '/lib/systemd/system', '/usr/bin/containerd', '/usr/bin/runc', '/var/run/docker.sock']);
    expect(hostRefs(f, w.id)).toEqual([]);
  });

  test('health-check: privileged container mounting the containerd socket', async () => {
    const w = el(await parseFixture('kubernetes-goat/scenarios/health-check/deployment.yaml'), 'k8s:Deployment/default/health-check-deployment');
    expect((w.attrs.containers as Any[])[0].privileged).toBe(true);
    expect(w.attrs.volumes).toEqual([{ name: 'containerd-sock-volume', path: 'spec.template.spec.volumes.0', hostPath: '/run/containerd/containerd.sock', hostPathType: 'Socket' }]);
  });

  test('insecure-rbac: cluster-admin binding for a kube-system ServiceAccount', async () => {
    const f = await parseFixture('kubernetes-goat/scenarios/insecure-rbac/setup.yaml');
    const b = el(f, 'k8s:ClusterRoleBinding/superadmin');
    expect(b.kind).toBe('capability');
    expect(b.zoneHint).toBe('cloud-iam');
    expect(b.attrs).toMatchObject({
      binding: true,
      scope: 'cluster',
      roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
      roleId: 'k8s:ClusterRole/cluster-admin',
      builtinRole: true,
      subjects: [{ kind: 'ServiceAccount', name: 'superadmin', namespace: 'kube-system' }],
      serviceAccounts: ['kube-system/superadmin'],
      nonServiceAccountSubjects: [],
    });
    expect(elementRefs(f, 'k8s:ServiceAccount/kube-system/superadmin')).toEqual([
      {
        type: 'element',
        from: 'k8s:ServiceAccount/kube-system/superadmin',
        candidates: ['k8s:ClusterRole/cluster-admin'],
        onMissing: 'ignore',
        edge: { kind: 'grants', location: { file: 'kubernetes-goat/scenarios/insecure-rbac/setup.yaml', line: 16 }, evidence: 'ClusterRoleBinding superadmin binds ServiceAccount kube-system/superadmin to ClusterRole cluster-admin', attrs: { binding: 'k8s:ClusterRoleBinding/superadmin' } },
      },
    ]);
  });

  test('hunger-check: namespaced Role with wildcard resources, Namespace is cluster-scoped', async () => {
    const f = await parseFixture('kubernetes-goat/scenarios/hunger-check/deployment.yaml');
    expect(f.elements.map((e) => e.id)).toEqual([
      'k8s:Namespace/big-monolith',
      'k8s:Role/big-monolith/secret-reader',
      'k8s:RoleBinding/big-monolith/secret-reader-binding',
      'k8s:ServiceAccount/big-monolith/big-monolith-sa',
      'k8s:Secret/big-monolith/vaultapikey',
      'k8s:Secret/big-monolith/webhookapikey',
      'k8s:Deployment/big-monolith/hunger-check-deployment',
      'k8s:Service/big-monolith/hunger-check-service',
    ]);
    const role = el(f, 'k8s:Role/big-monolith/secret-reader');
    expect(role.attrs.rules).toEqual([{ apiGroups: [''], resources: ['*'], verbs: ['get', 'watch', 'list'], resourceNames: [], nonResourceURLs: [] }]);
    expect(role.lines).toMatchObject({ rules: 12, 'rules.0': 13, 'rules.0.resources': 14, 'rules.0.verbs': 15 });
    expect(elementRefs(f, 'k8s:ServiceAccount/big-monolith/big-monolith-sa').map((r) => r.candidates)).toEqual([['k8s:Role/big-monolith/secret-reader']]);
  });

  test('NodePort service is an internet-facing gateway on its node port', async () => {
    const f = await parseFixture('kubernetes-goat/scenarios/internal-proxy/deployment.yaml');
    expect(el(f, 'k8s:Service/default/internal-proxy-info-app-service')).toMatchObject({ kind: 'gateway', zoneHint: 'edge' });
    expect(f.edges.map((e) => [e.to, e.port, e.attrs])).toEqual([['k8s:Service/default/internal-proxy-info-app-service', 30003, { via: 'NodePort', ports: [5000] }]]);
  });

  test('cache-store is recognised as redis by its port', async () => {
    const w = el(await parseFixture('kubernetes-goat/scenarios/cache-store/deployment.yaml'), 'k8s:Deployment/secure-middleware/cache-store-deployment');
    expect(w.kind).toBe('datastore');
    expect(w.attrs).toMatchObject({ engine: 'redis', engineEvidence: 'containerPort 6379' });
  });

  test('a Kyverno policy with {{ }} in quoted strings is parsed, not taken for Helm', async () => {
    const f = await parseFixture('kubernetes-goat/scenarios/kyverno-namespace-exec-block/kyverno-block-pod-exec-by-namespace.yaml');
    expect(f.issues).toEqual([]);
    expect(f.elements.map((e) => [e.id, e.kind])).toEqual([['k8s:ClusterPolicy/deny-exec-in-vault-namespace', 'other']]);
  });

  test('a chart template is skipped with one helm-template issue', async () => {
    const path = 'kubernetes-goat/infrastructure/helm-tiller/pwnchart/templates/clusterrole.yaml';
    const content = readFileSync(join(K8S_FIXTURES, path), 'utf8');
    expect(kubernetesParser.detect(path, content)).toBe(true);
    const f = await parseFixture(path);
    expect(f.elements).toEqual([]);
    expect(f.issues).toEqual([{ file: path, level: 'skipped', code: 'helm-template', message: 'Helm template: not modelled until rendered' }]);
  });
});

describe('crAPI', () => {
  test('ConfigMap host values become calls from the ConfigMap; domains, e-mails and flags do not', async () => {
    const f = await parseFixture('crapi/identity/config.yaml');
    const cm = el(f, 'k8s:ConfigMap/default/crapi-identity-configmap');
    expect(cm.kind).toBe('config');
    expect((cm.attrs.data as Any).DB_PASSWORD).toBe('crapisecretpassword');
    expect(cm.lines?.['data.DB_PASSWORD']).toBe(12);
    expect(hostRefs(f, cm.id).map((r) => [r.host, r.port, r.edge.kind, r.edge.location.line, r.edge.evidence, r.edge.attrs])).toEqual([
      ['postgresdb', 5432, 'calls', 8, 'configmap crapi-identity-configmap: DB_HOST=postgresdb', { key: 'DB_HOST', viaConfigMap: true, appProtocol: 'postgres', protocolGuessed: true }],
      ['mailhog', 1025, 'calls', 18, 'configmap crapi-identity-configmap: MAILHOG_HOST=mailhog', { key: 'MAILHOG_HOST', viaConfigMap: true, appProtocol: 'smtp', protocolGuessed: true }],
      ['smtp.example.com', 587, 'calls', 21, 'configmap crapi-identity-configmap: SMTP_HOST=smtp.example.com', { key: 'SMTP_HOST', viaConfigMap: true, appProtocol: 'smtp', protocolGuessed: true }],
    ]);
  });

  test('the identity Deployment reads its ConfigMap and mounts its Secret (declared elsewhere)', async () => {
    const f = await parseFixture('crapi/identity/deployment.yaml');
    const w = el(f, 'k8s:Deployment/default/crapi-identity');
    expect(elementRefs(f, w.id).map((r) => [r.edge.kind, r.candidates[0], r.edge.location.line])).toEqual([
      ['uses-identity', 'k8s:ServiceAccount/default/default', 2],
      ['mounts', 'k8s:Secret/default/jwt-key-secret', 23],
      ['reads', 'k8s:ConfigMap/default/crapi-identity-configmap', 37],
    ]);
    const init = (w.attrs.containers as Any[])[0];
    expect(init).toMatchObject({ name: 'wait-for-postgres', init: true, args: ['service', 'postgresdb'] });
    expect(hostRefs(f, w.id)).toEqual([]);
  });

  test('postgres StatefulSet is a datastore that mounts its PVC', async () => {
    const f = await parseFixture('crapi/postgres/statefulset.yaml');
    const db = el(f, 'k8s:StatefulSet/default/postgresdb');
    expect(db.kind).toBe('datastore');
    expect(db.attrs).toMatchObject({ engine: 'postgres', engineEvidence: 'image postgres:14', replicas: 1 });
    expect(elementRefs(f, db.id).map((r) => [r.edge.kind, r.candidates[0]])).toContainEqual(['mounts', 'k8s:PersistentVolumeClaim/default/postgres-pv-claim']);
    expect(el(await parseFixture('crapi/postgres/storage.yaml'), 'k8s:PersistentVolumeClaim/default/postgres-pv-claim')).toMatchObject({ kind: 'datastore', attrs: { engine: 'volume', accessModes: ['ReadWriteOnce'], storage: '1000Mi' } });
  });

  test('a ClusterRole with a metadata.namespace keeps a cluster-scoped id', async () => {
    const role = await parseFixture('crapi/rbac/role.yaml');
    expect(role.elements.map((e) => e.id)).toEqual(['k8s:ClusterRole/waitfor-reader']);
    expect(role.elements[0]!.attrs.namespace).toBeUndefined();
    const binding = await parseFixture('crapi/rbac/rolebinding.yaml');
    expect(binding.refs.map((r) => [r.from, (r as Any).candidates])).toEqual([['k8s:ServiceAccount/crapi/default', ['k8s:ClusterRole/waitfor-reader']]]);
  });

  test('LoadBalancer web Service and mailhog UI are exposed', async () => {
    expect((await parseFixture('crapi/web/ingress.yaml')).edges.map((e) => [e.to, e.port, e.protocol])).toEqual([['k8s:Service/default/crapi-web', 80, 'http']]);
    expect((await parseFixture('crapi/mailhog/ingress.yaml')).edges.map((e) => [e.to, e.port, e.protocol])).toEqual([['k8s:Service/crapi/mailhog-web', 8025, 'tcp']]);
  });
});

describe('Bank of Anthos', () => {
  test('URLs with credentials: host ref with userinfo redacted; a database does not call its own Service', async () => {
    const f = await parseFixture('bank-of-anthos/accounts-db.yaml');
    expect(el(f, 'k8s:StatefulSet/default/accounts-db')).toMatchObject({ kind: 'datastore', attrs: { engine: 'postgres', serviceAccount: 'default', serviceAccountExplicit: true } });
    expect(hostRefs(f, 'k8s:StatefulSet/default/accounts-db')).toEqual([]);
    const [ref, ...rest] = hostRefs(f, 'k8s:ConfigMap/default/accounts-db-config');
    expect(rest).toEqual([]);
    expect(ref).toMatchObject({ host: 'accounts-db', port: 5432, scheme: 'postgresql', edge: { protocol: 'tcp', encrypted: false, evidence: 'configmap accounts-db-config: ACCOUNTS_DB_URI=postgresql://***@accounts-db:5432/accounts-db' } });
    expect(JSON.stringify(f.refs)).not.toContain('accounts-pwd');
  });

  test('configMapKeyRef env reads are refs with their keys; digests are kept in the image', async () => {
    const f = await parseFixture('bank-of-anthos/frontend.yaml');
    const w = el(f, 'k8s:Deployment/default/frontend');
    expect((w.attrs.containers as Any[])[0].image).toMatch(/@sha256:076294ce/);
    const reads = elementRefs(f, w.id).filter((r) => r.edge.kind === 'reads');
    expect(reads.map((r) => [r.candidates[0], r.edge.attrs?.keys ?? null])).toEqual([
      ['k8s:ConfigMap/default/demo-data-config', ['DEMO_LOGIN_PASSWORD', 'DEMO_LOGIN_USERNAME']],
      ['k8s:ConfigMap/default/oauth-config', ['DEMO_OAUTH_CLIENT_ID', 'DEMO_OAUTH_REDIRECT_URI']],
      ['k8s:ConfigMap/default/environment-config', null],
      ['k8s:ConfigMap/default/service-api-config', null],
    ]);
    expect(el(f, 'k8s:Service/default/frontend').kind).toBe('gateway');
  });

  test('GKE Ingress with a managed certificate routes to the frontend Service', async () => {
    const f = await parseFixture('bank-of-anthos/frontend-ingress.yaml');
    const ing = el(f, 'k8s:Ingress/default/frontend-ingress');
    expect(ing).toMatchObject({ kind: 'gateway', zoneHint: 'edge' });
    expect(ing.attrs).toMatchObject({ hosts: [], tls: [], tlsCoversAll: true, tlsAnnotation: 'networking.gke.io/managed-certificates', authAnnotations: {} });
    expect(f.edges.map((e) => [e.kind, e.to, e.encrypted, e.authenticated, e.evidence])).toEqual([
      ['exposes', ing.id, true, 'unknown', 'Ingress (any host), tls via networking.gke.io/managed-certificates'],
    ]);
    expect(elementRefs(f, ing.id)).toEqual([
      {
        type: 'element',
        from: ing.id,
        candidates: ['k8s:Service/default/frontend'],
        onMissing: 'warn',
        edge: {
          kind: 'routes',
          protocol: 'http',
          port: 80,
          encrypted: false,
          location: { file: 'bank-of-anthos/frontend-ingress.yaml', line: 33 },
          evidence: '* /*, default backend → service frontend:80',
          attrs: { paths: [{ host: null, path: '/*' }, { host: null, path: null }] },
        },
      },
    ]);
  });
});

describe('Istio bookinfo', () => {
  test('Istio Gateway + VirtualService: internet → gateway → VS → productpage', async () => {
    const f = await parseFixture('istio-bookinfo/istio-gateway.yaml');
    expect(f.elements.map((e) => [e.id, e.kind])).toEqual([
      ['k8s:Gateway/default/bookinfo-gateway', 'gateway'],
      ['k8s:VirtualService/default/bookinfo', 'gateway'],
    ]);
    expect(f.edges.map((e) => [e.from, e.to, e.port, e.encrypted])).toEqual([['actor:internet', 'k8s:Gateway/default/bookinfo-gateway', 8080, false]]);
    expect(f.refs.map((r) => [r.type, (r as Any).candidates ?? (r as Any).host, (r as Any).reverse ?? false, r.edge.kind])).toEqual([
      ['element', ['k8s:Gateway/default/bookinfo-gateway'], true, 'routes'],
      ['host', 'productpage', false, 'routes'],
    ]);
  });

  test('Gateway API Gateway + HTTPRoute', async () => {
    const f = await parseFixture('istio-bookinfo/gateway-api.yaml');
    expect(f.elements.map((e) => [e.id, e.kind])).toEqual([
      ['k8s:Gateway/default/bookinfo-gateway', 'gateway'],
      ['k8s:HTTPRoute/default/bookinfo', 'gateway'],
    ]);
    expect(f.refs.map((r) => [(r as Any).candidates, (r as Any).reverse ?? false, r.edge.port ?? null])).toEqual([
      [['k8s:Gateway/default/bookinfo-gateway'], true, null],
      [['k8s:Service/default/productpage'], false, 9080],
    ]);
  });

  test('DestinationRules carry their TLS mode', async () => {
    const f = await parseFixture('istio-bookinfo/destination-rule-all-mtls.yaml');
    expect(f.elements.map((e) => [e.id, e.attrs.policyKind, e.attrs.host, e.attrs.tlsMode])).toEqual([
      ['k8s:DestinationRule/default/productpage', 'destination', 'productpage', 'ISTIO_MUTUAL'],
      ['k8s:DestinationRule/default/reviews', 'destination', 'reviews', 'ISTIO_MUTUAL'],
      ['k8s:DestinationRule/default/ratings', 'destination', 'ratings', 'ISTIO_MUTUAL'],
      ['k8s:DestinationRule/default/details', 'destination', 'details', 'ISTIO_MUTUAL'],
    ]);
  });
});

import { join } from 'node:path';
import { k8sRules } from '../../../rules/k8s/index.js';
import { credentialReason } from '../../../rules/k8s/k8s-literal-credential-env.js';
import { parseImage } from '../../../rules/k8s/k8s-image-without-digest-untrusted-registry.js';
import { analyzeFiles, FIXTURES, readTree } from '../../helpers/analyze.js';

/** Real manifests from test/fixtures/k8s (see its NOTICE), several folders merged as one repository. */
function corpus(...dirs: string[]): Record<string, string> {
  return Object.fromEntries(dirs.flatMap((d) => Object.entries(readTree(join(FIXTURES, 'k8s', d))).map(([p, c]) => [`${d}/${p}`, c])));
}

async function keys(files: Record<string, string>, ruleId: string): Promise<string[]> {
  const a = await analyzeFiles(files, { rules: k8sRules.filter((r) => r.meta.id === ruleId) });
  return a.threats.map((t) => t.key).sort();
}

describe('k8s rules: metadata', () => {
  test.each(k8sRules.map((r) => [r.meta.id, r] as const))('%s documents detection and false positives', (id, rule) => {
    expect(id).toMatch(/^k8s-[a-z0-9-]+$/);
    expect(rule.meta.inputs).toContain('k8s');
    expect(rule.meta.detection?.length ?? 0).toBeGreaterThan(40);
    expect(rule.meta.falsePositives?.length ?? 0).toBeGreaterThan(20);
  });

  test('22 rules', () => {
    expect(k8sRules.map((r) => r.meta.id).sort()).toEqual([
      'k8s-added-capabilities',
      'k8s-automount-token-with-rbac',
      'k8s-cluster-admin-binding',
      'k8s-host-namespace',
      'k8s-hostpath-mount',
      'k8s-image-without-digest-untrusted-registry',
      'k8s-ingress-without-tls',
      'k8s-literal-credential-env',
      'k8s-networkpolicy-allow-all',
      'k8s-networkpolicy-selects-nothing',
      'k8s-no-audit-trail-privileged-workload',
      'k8s-no-mtls-cross-namespace',
      'k8s-no-networkpolicy-datastore-namespace',
      'k8s-no-resource-limits',
      'k8s-privileged-container',
      'k8s-rbac-pod-exec',
      'k8s-rbac-secrets-read',
      'k8s-rbac-wildcard',
      'k8s-run-as-root',
      'k8s-shared-service-account',
      'k8s-single-replica-internet-facing',
      'k8s-writable-root-fs',
    ]);
  });
});

describe('k8s rules on Kubernetes Goat', () => {
  const goat = corpus('kubernetes-goat');

  test('privileged containers and host namespaces', async () => {
    expect(await keys(goat, 'k8s-privileged-container')).toEqual([
      'k8s-privileged-container@k8s:DaemonSet/default/docker-bench-security@@docker-bench',
      'k8s-privileged-container@k8s:Deployment/default/health-check-deployment@@health-check',
      'k8s-privileged-container@k8s:Deployment/default/system-monitor-deployment@@system-monitor',
    ]);
    expect(await keys(goat, 'k8s-host-namespace')).toEqual([
      'k8s-host-namespace@k8s:DaemonSet/default/docker-bench-security@@hostIPC',
      'k8s-host-namespace@k8s:DaemonSet/default/docker-bench-security@@hostNetwork',
      'k8s-host-namespace@k8s:DaemonSet/default/docker-bench-security@@hostPID',
      'k8s-host-namespace@k8s:Deployment/default/system-monitor-deployment@@hostIPC',
      'k8s-host-namespace@k8s:Deployment/default/system-monitor-deployment@@hostPID',
    ]);
  });

  test('hostPath: the node root and runtime sockets are the worst, read-only system dirs the least', async () => {
    const a = await analyzeFiles(goat, { rules: k8sRules.filter((r) => r.meta.id === 'k8s-hostpath-mount') });
    const byVolume = Object.fromEntries(a.threats.map((t) => [t.key.split('@').pop(), t]));
    expect(Object.keys(byVolume).sort()).toEqual(['containerd-sock-volume', 'docker-sock-volume', 'etc-vol', 'host-filesystem', 'lib-systemd-system-vol', 'usr-bin-contained-vol', 'usr-bin-runc-vol', 'usr-lib-systemd-vol', 'var-lib-vol']);
    expect(byVolume['host-filesystem']!.location).toEqual({ file: 'kubernetes-goat/scenarios/system-monitor/deployment.yaml', line: 30 });
    expect(byVolume['host-filesystem']!.evidence).toBe('Deployment default/system-monitor-deployment mounts host path / as volume host-filesystem: system-monitor:/host-system');
  });

  test('RBAC: cluster-admin binding, wildcard and secret-reading role, token mounted with those rights', async () => {
    expect(await keys(goat, 'k8s-cluster-admin-binding')).toEqual(['k8s-cluster-admin-binding@k8s:ClusterRoleBinding/superadmin']);
    expect(await keys(goat, 'k8s-rbac-wildcard')).toEqual(['k8s-rbac-wildcard@k8s:Role/big-monolith/secret-reader@@rule-0']);
    expect(await keys(goat, 'k8s-rbac-secrets-read')).toEqual(['k8s-rbac-secrets-read@k8s:Role/big-monolith/secret-reader@@rule-0']);
    expect(await keys(goat, 'k8s-automount-token-with-rbac')).toEqual(['k8s-automount-token-with-rbac@k8s:Deployment/big-monolith/hunger-check-deployment@k8s:ServiceAccount/big-monolith/big-monolith-sa']);
  });

  test('docker-bench adds AUDIT_CONTROL and runs as root', async () => {
    expect(await keys(goat, 'k8s-added-capabilities')).toEqual(['k8s-added-capabilities@k8s:DaemonSet/default/docker-bench-security@@docker-bench']);
    expect(await keys(goat, 'k8s-run-as-root')).toContain('k8s-run-as-root@k8s:DaemonSet/default/docker-bench-security@@docker-bench');
  });
});

describe('k8s rules on the other corpora', () => {
  test('crAPI: literal credentials in ConfigMaps, never echoed', async () => {
    const files = corpus('crapi');
    const a = await analyzeFiles(files, { rules: k8sRules.filter((r) => r.meta.id === 'k8s-literal-credential-env') });
    expect(a.threats.map((t) => t.key).sort()).toEqual([
      'k8s-literal-credential-env@k8s:ConfigMap/default/crapi-identity-configmap@@DB_PASSWORD',
      'k8s-literal-credential-env@k8s:ConfigMap/default/crapi-identity-configmap@@JWT_SECRET',
      'k8s-literal-credential-env@k8s:ConfigMap/default/crapi-identity-configmap@@SMTP_PASS',
      // MH_MONGO_URI: admin:<password>@mongodb:27017, a connection string without a scheme.
      'k8s-literal-credential-env@k8s:ConfigMap/default/mailhog-configmap@@MH_MONGO_URI',
      'k8s-literal-credential-env@k8s:ConfigMap/default/postgres-config@@POSTGRES_PASSWORD',
    ]);
    expect(JSON.stringify(a.threats)).not.toMatch(/crapisecretpassword|xxxxxxxxxxxxxx/);
  });

  test('Online Boutique: redis-cart is isolated once the network-policies component is included', async () => {
    expect(await keys(corpus('online-boutique'), 'k8s-no-networkpolicy-datastore-namespace')).toEqual(['k8s-no-networkpolicy-datastore-namespace@k8s:Deployment/default/redis-cart']);
    expect(await keys(corpus('online-boutique', 'online-boutique-network-policies'), 'k8s-no-networkpolicy-datastore-namespace')).toEqual([]);
    // Every policy of the component selects a real workload.
    expect(await keys(corpus('online-boutique', 'online-boutique-network-policies'), 'k8s-networkpolicy-selects-nothing')).toEqual([]);
    expect(await keys(corpus('online-boutique', 'online-boutique-network-policies'), 'k8s-networkpolicy-allow-all')).toEqual(['k8s-networkpolicy-allow-all@k8s:NetworkPolicy/default/frontend@@ingress']);
  });

  test('Online Boutique: only the frontend is internet-facing with one replica; all pods run as non-root', async () => {
    const files = corpus('online-boutique');
    expect(await keys(files, 'k8s-single-replica-internet-facing')).toEqual(['k8s-single-replica-internet-facing@k8s:Deployment/default/frontend']);
    expect(await keys(files, 'k8s-run-as-root')).toEqual([]);
    expect(await keys(files, 'k8s-privileged-container')).toEqual([]);
  });

  test('Bank of Anthos: the URL password in a ConfigMap, and the shared workload-identity ServiceAccount', async () => {
    const files = corpus('bank-of-anthos');
    expect(await keys(files, 'k8s-literal-credential-env')).toEqual([
      'k8s-literal-credential-env@k8s:ConfigMap/default/accounts-db-config@@ACCOUNTS_DB_URI',
      'k8s-literal-credential-env@k8s:ConfigMap/default/accounts-db-config@@POSTGRES_PASSWORD',
      'k8s-literal-credential-env@k8s:ConfigMap/default/demo-data-config@@DEMO_LOGIN_PASSWORD',
    ]);
    expect(await keys(files, 'k8s-shared-service-account')).toEqual([
      'k8s-shared-service-account@k8s:Deployment/default/frontend@k8s:ServiceAccount/default/bank-of-anthos',
      'k8s-shared-service-account@k8s:Deployment/default/userservice@k8s:ServiceAccount/default/bank-of-anthos',
    ]);
    // Pinned by digest: nothing to report.
    expect(await keys(files, 'k8s-image-without-digest-untrusted-registry')).toEqual([]);
  });
});

describe('k8s rules: decisions', () => {
  const deploy = (extra = '', annotations = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: agent
  namespace: ops
${annotations}spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: agent
        image: registry.example.com/agent:1.0
        securityContext:
          privileged: true
${extra}`;

  test('audit trail: an audit annotation, or a Falco DaemonSet in the files, clears privileged workloads', async () => {
    const id = 'k8s-no-audit-trail-privileged-workload';
    expect(await keys({ 'a.yaml': deploy() }, id)).toEqual([`${id}@k8s:Deployment/ops/agent`]);
    expect(await keys({ 'a.yaml': deploy('', '  annotations:\n    threatdiff.io/audit-trail: falco\n') }, id)).toEqual([]);
    const falco = 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: falco\n  namespace: falco\nspec:\n  selector: {matchLabels: {app: falco}}\n  template:\n    metadata:\n      labels: {app: falco}\n    spec:\n      containers:\n      - name: falco\n        image: falcosecurity/falco:0.38.0\n';
    expect(await keys({ 'a.yaml': deploy(), 'falco.yaml': falco }, id)).toEqual([]);
  });

  test('mTLS: a workload PeerAuthentication wins over the namespace, and a port-level DISABLE reopens one port', async () => {
    const id = 'k8s-no-mtls-cross-namespace';
    const files = (pa: string) => ({
      'caller.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: caller\n  namespace: a\nspec:\n  template:\n    metadata:\n      labels: {app: caller}\n    spec:\n      containers:\n      - name: c\n        image: x\n        env:\n        - name: TARGET_ADDR\n          value: target.b:9000\n',
      'target.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: target\n  namespace: b\nspec:\n  template:\n    metadata:\n      labels: {app: target}\n    spec:\n      containers:\n      - name: t\n        image: x\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: target\n  namespace: b\nspec:\n  selector: {app: target}\n  ports:\n  - port: 9000\n    targetPort: 8080\n',
      'pa.yaml': pa,
    });
    const ns = (mode: string) => `apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: ns\n  namespace: b\nspec:\n  mtls: {mode: ${mode}}\n`;
    const wl = (mode: string, port = '') => `apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: wl\n  namespace: b\nspec:\n  selector:\n    matchLabels: {app: target}\n  mtls: {mode: ${mode}}\n${port}`;
    const hit = [`${id}@k8s:Service/b/target@k8s:Deployment/a/caller`];
    expect(await keys(files(ns('STRICT')), id)).toEqual([]);
    expect(await keys(files(ns('PERMISSIVE')), id)).toEqual(hit);
    expect(await keys(files(`${ns('PERMISSIVE')}---\n${wl('STRICT')}`), id)).toEqual([]);
    expect(await keys(files(`${ns('STRICT')}---\n${wl('UNSET', '  portLevelMtls:\n    8080: {mode: DISABLE}\n')}`), id)).toEqual(hit);
    expect(await keys(files(`${ns('STRICT')}---\n${wl('UNSET', '  portLevelMtls:\n    9999: {mode: DISABLE}\n')}`), id)).toEqual([]);
  });

  test('parseImage', () => {
    expect(parseImage('redis:alpine')).toEqual({ registry: 'docker.io', repository: 'library/redis', tag: 'alpine' });
    expect(parseImage('madhuakula/k8s-goat-home')).toEqual({ registry: 'docker.io', repository: 'madhuakula/k8s-goat-home' });
    expect(parseImage('localhost:5000/app:1.0')).toEqual({ registry: 'localhost:5000', repository: 'app', tag: '1.0' });
    expect(parseImage('gcr.io/p/app@sha256:abc')).toEqual({ registry: 'gcr.io', repository: 'p/app', digest: 'sha256:abc' });
  });

  test('credentialReason', () => {
    expect(credentialReason('DB_PASSWORD', 'hunter2')).toBe('a literal value for a credential-like name (7 characters)');
    expect(credentialReason('stripeApiKey', 'sk_live_x')).toBe('a literal value for a credential-like name (9 characters)');
    expect(credentialReason('DATABASE_URL', 'postgres://u:p@db/x')).toBe('a URL with an embedded password');
    expect(credentialReason('DATABASE_URL', 'postgres://u@db/x')).toBeUndefined();
    expect(credentialReason('MH_MONGO_URI', 'admin:pw@mongodb:27017')).toBe('a connection string with an embedded password');
    expect(credentialReason('SMTP_FROM', 'no-reply@example.com')).toBeUndefined();
    expect(credentialReason('REPO', 'git@github.com:org/repo.git')).toBeUndefined();
    for (const [n, v] of [
      ['PASSWORD_FILE', '/run/secrets/pw'],
      ['TOKEN_URL', 'https://a/token'],
      ['SECRET_NAME', 'app'],
      ['ACCESS_KEY_ID', 'AKIA...'],
      ['DB_PASSWORD', ''],
      ['DB_PASSWORD', '$(DB_PASSWORD)'],
      ['API_KEY', '${API_KEY}'],
      ['SMTP_AUTH', 'true'],
      ['TOKEN_TTL', '3600'],
    ] as const) {
      expect([n, credentialReason(n, v)]).toEqual([n, undefined]);
    }
  });
});

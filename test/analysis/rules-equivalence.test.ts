import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateRepo, namespaceOf, serviceName } from '../../bench/generate.js';
import type { Config } from '../../src/config/config.js';
import { analyzeFiles, FIXTURES, readTree } from '../helpers/analyze.js';

/**
 * The rule phase (shared analysis, every rule, risk rating) must report
 * exactly what it reported before it was made linear-time: findings with
 * their ids, severity, location, evidence, chains and risk, crossings and
 * rule issues, over a generated 300-service repository, the real-world
 * fixtures and every rule's own fixtures. The snapshot
 * (test/fixtures/analysis/rules-equivalence.json) was written before the
 * rules were changed; regenerate it only for an intended change in what
 * rules report: `THREATDIFF_UPDATE_SNAPSHOT=1 node --experimental-vm-modules
 * node_modules/jest/bin/jest.js test/analysis/rules-equivalence.test.ts`.
 */

const SNAPSHOT = join(FIXTURES, 'analysis', 'rules-equivalence.json');

interface Case {
  name: string;
  files: () => Record<string, string>;
  config?: Partial<Config>;
}

const prefixed = (dir: string, prefix: string) => Object.fromEntries(Object.entries(readTree(dir)).map(([p, c]) => [`${prefix}${p}`, c]));
const subdirs = (dir: string) => readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

/**
 * The generated repository is uniform: most rules that scan per API,
 * per policy or per account find nothing there. These edits make them fire
 * at scale (correlation ids, verbose errors, inconsistent security,
 * policies selecting nothing or everything, shared and bound accounts,
 * PeerAuthentications, secrets behind internet-facing services, S3
 * satellites by name and by reference), so their output is compared too.
 */
function variants(n: number): Record<string, string> {
  const files = Object.fromEntries(generateRepo(n));
  const edit = (path: string, from: string, to: string) => {
    const before = files[path]!;
    files[path] = before.replace(from, to);
    if (files[path] === before) throw new Error(`variant edit did not apply to ${path}: ${from}`);
  };
  for (let i = 0; i < n; i++) {
    const name = serviceName(i);
    const ns = namespaceOf(i);
    const dir = `services/${name}`;
    if (i % 4 === 1) edit(`${dir}/api/openapi.yaml`, '        - name: limit\n', '        - name: X-Request-Id\n          in: header\n          schema:\n            type: string\n        - name: limit\n');
    if (i % 5 === 2) edit(`${dir}/api/openapi.yaml`, "        '404':\n          description: not found\n", "        '404':\n          description: not found\n        '500':\n          description: error\n          content:\n            application/json:\n              schema:\n                type: object\n                properties:\n                  stackTrace:\n                    type: string\n                  message:\n                    type: string\n");
    if (i % 6 === 3) edit(`${dir}/api/openapi.yaml`, '      operationId: get', '      security: []\n      operationId: get');
    if (i % 6 === 4) edit(`${dir}/api/openapi.yaml`, '      operationId: list', '      security:\n        - bearerAuth: [read]\n      operationId: list');
    if (i % 6 === 5) edit(`${dir}/api/openapi.yaml`, '      operationId: create', '      security: []\n      operationId: create');
    if (i % 10 === 7) edit(`${dir}/k8s/networkpolicy.yaml`, `  podSelector:\n    matchLabels:\n      app: ${name}\n`, `  podSelector:\n    matchExpressions:\n      - key: app\n        operator: In\n        values: [${name}, ${serviceName(i + 1)}]\n`);
    if (i % 10 === 9) edit(`${dir}/k8s/networkpolicy.yaml`, `  podSelector:\n    matchLabels:\n      app: ${name}\n`, `  podSelector:\n    matchLabels:\n      tier: backend\n    matchExpressions:\n      - key: app\n        operator: NotIn\n        values: [${name}]\n`);
    if (i % 7 === 4 && i % 10 !== 7 && i % 10 !== 9) edit(`${dir}/k8s/networkpolicy.yaml`, `      app: ${name}\n  policyTypes`, `      app: ${name}-old\n  policyTypes`);
    if (i % 8 === 5) edit(`${dir}/k8s/networkpolicy.yaml`, '  ingress:\n    - from:', '  ingress:\n    - {}\n    - from:');
    if (i % 9 === 0) edit(`${dir}/k8s/deployment.yaml`, `serviceAccountName: ${name}`, 'serviceAccountName: shared');
    if (i % 11 === 1) edit(`${dir}/k8s/service.yaml`, 'automountServiceAccountToken: false', 'automountServiceAccountToken: true');
    if (i % 3 === 0) {
      edit(`${dir}/k8s/deployment.yaml`, '          envFrom:\n', `          envFrom:\n            - secretRef:\n                name: ${name}-db\n`);
      files[`${dir}/k8s/secret.yaml`] = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}-db\n  namespace: ${ns}\ntype: Opaque\nstringData:\n  DB_PASSWORD: hunter2-${i}\n`;
    }
    if (i % 13 === 0) {
      files[`${dir}/terraform/s3.tf`] = [
        `resource "aws_s3_bucket" "files" {\n  bucket = "${name}-files"\n}\n`,
        i % 2 === 0 ? `resource "aws_s3_bucket_public_access_block" "files" {\n  bucket = "${name}-files"\n  block_public_acls = true\n  block_public_policy = true\n  ignore_public_acls = true\n  restrict_public_buckets = true\n}\n` : '',
        i % 3 === 0 ? `resource "aws_s3_bucket_acl" "files" {\n  bucket = aws_s3_bucket.files.id\n  acl = "public-read"\n}\n` : '',
        i % 5 === 0 ? `resource "aws_s3_bucket_server_side_encryption_configuration" "files" {\n  bucket = "${name}-files"\n  rule {\n    apply_server_side_encryption_by_default {\n      sse_algorithm = "aws:kms"\n    }\n  }\n}\n` : '',
      ].join('\n');
    }
  }
  const nss = [...new Set(Array.from({ length: n }, (_, i) => namespaceOf(i)))];
  files['platform/rbac.yaml'] = [
    `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: secrets-reader\nrules:\n  - apiGroups: [""]\n    resources: [secrets, pods/exec]\n    verbs: [get, list, create]\n`,
    `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: all-accounts-of-${nss[1] ?? nss[0]}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: secrets-reader\nsubjects:\n  - kind: Group\n    name: system:serviceaccounts:${nss[1] ?? nss[0]}\n    apiGroup: rbac.authorization.k8s.io\n`,
    ...nss.map((ns, k) => `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: shared-reader\n  namespace: ${ns}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: ${k % 2 ? 'secrets-reader' : 'cluster-admin'}\nsubjects:\n  - kind: ServiceAccount\n    name: ${k % 3 ? 'shared' : serviceName(k * 50 + 1)}\n    namespace: ${ns}\n`),
    `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: everyone-views\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: view\nsubjects:\n  - kind: Group\n    name: system:authenticated\n    apiGroup: rbac.authorization.k8s.io\n`,
    `apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: default\n  namespace: istio-system\nspec:\n  mtls:\n    mode: PERMISSIVE\n`,
    ...nss.map((ns, k) => `apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: ${k % 2 ? 'default' : 'strict-one'}\n  namespace: ${ns}\nspec:\n${k % 2 ? '' : `  selector:\n    matchLabels:\n      app: ${serviceName(k * 50 + 2)}\n`}  mtls:\n    mode: ${k % 3 ? 'STRICT' : 'PERMISSIVE'}\n`),
  ].join('---\n');
  return files;
}

const CASES: Case[] = [
  { name: 'bench-300', files: () => Object.fromEntries(generateRepo(300)) },
  { name: 'bench-150-variants', files: () => variants(150), config: { sensitivity: { 'k8s:Secret/ns-001/**': 'payment', 'tf:**': 'pii' } } },
  { name: 'online-boutique', files: () => readTree(join(FIXTURES, 'k8s', 'online-boutique')) },
  {
    name: 'online-boutique+network-policies',
    files: () => ({ ...readTree(join(FIXTURES, 'k8s', 'online-boutique')), ...prefixed(join(FIXTURES, 'k8s', 'online-boutique-network-policies'), 'netpol/') }),
  },
  {
    name: 'crapi',
    files: () => ({
      ...prefixed(join(FIXTURES, 'k8s', 'crapi'), 'deploy/k8s/base/'),
      'openapi-spec/crapi-openapi-spec.json': readTree(join(FIXTURES, 'openapi', 'crapi'))['crapi-openapi-spec.json']!,
    }),
    config: { apis: { 'openapi-spec/crapi-openapi-spec.json': 'crapi-web' } },
  },
  {
    // Sensitivity overrides change targets and risk: the glob path of sensitivityOf.
    name: 'crapi+sensitivity',
    files: () => ({
      ...prefixed(join(FIXTURES, 'k8s', 'crapi'), 'deploy/k8s/base/'),
      'openapi-spec/crapi-openapi-spec.json': readTree(join(FIXTURES, 'openapi', 'crapi'))['crapi-openapi-spec.json']!,
    }),
    config: { apis: { 'openapi-spec/crapi-openapi-spec.json': 'crapi-web' }, sensitivity: { 'k8s:ConfigMap/**': 'credentials', 'openapi:**': 'pii' } },
  },
  ...['bank-of-anthos', 'istio-bookinfo', 'kubernetes-goat'].map((d): Case => ({ name: `k8s/${d}`, files: () => readTree(join(FIXTURES, 'k8s', d)) })),
  { name: 'openapi', files: () => readTree(join(FIXTURES, 'openapi')) },
  { name: 'terraform', files: () => readTree(join(FIXTURES, 'terraform')) },
  ...subdirs(join(FIXTURES, 'rules')).flatMap((id) =>
    ['positive', 'negative'].filter((side) => existsSync(join(FIXTURES, 'rules', id, side))).map((side): Case => ({ name: `rules/${id}/${side}`, files: () => readTree(join(FIXTURES, 'rules', id, side)) })),
  ),
];

/** Everything a rule decides, without the rule's fixed metadata texts (title, mitigation, references). */
async function findingsOf(c: Case): Promise<unknown[]> {
  const a = await analyzeFiles(c.files(), c.config ? { config: c.config } : {});
  return [
    ...a.threats.map((t) => ({
      threat: t.key,
      id: t.id,
      severity: t.severity,
      location: t.location,
      evidence: t.evidence,
      ...(t.peer !== undefined ? { peer: t.peer } : {}),
      ...(t.path ? { path: t.path } : {}),
      ...(t.chain ? { chain: t.chain } : {}),
      ...(t.risk ? { risk: t.risk } : {}),
    })),
    ...a.crossings.map((x) => ({ crossing: x.id, ...x })),
    ...a.ruleIssues.map((i) => ({ issue: i.code, ...i })),
  ];
}

/** One finding per line: a change shows as a readable diff. */
function serialise(all: Record<string, unknown[]>): string {
  const parts = Object.entries(all).map(([name, items]) => `${JSON.stringify(name)}: [\n${items.map((i) => `  ${JSON.stringify(i)}`).join(',\n')}\n]`);
  return `{\n${parts.join(',\n')}\n}\n`;
}

describe('rule phase output is unchanged (snapshot written before the rules were made linear)', () => {
  const update = process.env.THREATDIFF_UPDATE_SNAPSHOT === '1';
  const actual: Record<string, unknown[]> = {};
  const expected = existsSync(SNAPSHOT) ? (JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as Record<string, unknown[]>) : {};

  test('the snapshot covers every case', () => {
    if (update) return;
    expect(Object.keys(expected).sort()).toEqual(CASES.map((c) => c.name).sort());
    // The bench repository is the large case: hundreds of findings, so an empty result cannot pass.
    expect(expected['bench-300']!.length).toBeGreaterThan(1000);
  });

  test.each(CASES.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const got = await findingsOf(c);
    // Byte-identical: compare the serialised form, not just deep equality.
    if (!update) expect(serialise({ [name]: got })).toEqual(serialise({ [name]: expected[name] ?? [] }));
    actual[name] = got;
  }, 120_000);

  test('is deterministic: a second run of the variants (attack paths, overrides) gives the same bytes', async () => {
    const c = CASES[1]!;
    expect(serialise({ [c.name]: await findingsOf(c) })).toEqual(serialise({ [c.name]: actual[c.name] ?? (await findingsOf(c)) }));
  }, 120_000);

  afterAll(() => {
    if (update) writeFileSync(SNAPSHOT, serialise(Object.fromEntries(CASES.map((c) => [c.name, actual[c.name] ?? []]))));
  });
});

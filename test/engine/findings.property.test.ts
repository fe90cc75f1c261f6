import fc from 'fast-check';
import { join } from 'node:path';
import { analyseSnapshot, deriveAnalysis, type AnalyseOptions, type Analysis } from '../../src/engine/analyze.js';
import { memorySnapshot } from '../../src/engine/memory.js';
import { memoryCache } from '../../src/cache/memory.js';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { RULE_SCOPES } from '../../src/analysis/rule-scopes.js';
import { FIXTURES, readTree } from '../helpers/analyze.js';
import { plainGraph } from './graph-model.js';

/**
 * Scoped rule evaluation: a head derived from a base (only the affected part
 * re-checked, the rest carried over) must have exactly the findings of a
 * from-scratch analysis — every threat with its id, severity, risk,
 * location and evidence, every crossing, every issue, in order.
 *
 * Repositories are random mixes of the rules' own fixture files (real
 * Kubernetes, OpenAPI and Terraform through the real parsers), placed in a
 * few shared folders so they interact: most manifests share namespace
 * `shop`, Terraform files of one folder form one module, the same file in
 * two places defines the same elements twice. Change chains add, remove and
 * replace files and move manifests to another namespace; each derived head is
 * the base of the next step.
 */

const config = DEFAULT_CONFIG;
const fixtures = readTree(join(FIXTURES, 'rules'));
const POOL: Record<'yaml' | 'tf', string[]> = {
  yaml: [...new Set(Object.entries(fixtures).filter(([p]) => /\.ya?ml$/.test(p)).map(([, c]) => c))],
  tf: [...new Set(Object.entries(fixtures).filter(([p]) => p.endsWith('.tf')).map(([, c]) => c))],
};
const DIRS = ['', 'a/', 'shop/', 'infra/', 'infra/net/', 'services/web/'];
const PATHS = DIRS.flatMap((d) => [0, 1, 2].flatMap((i) => [`${d}m${i}.yaml`, `${d}m${i}.tf`]));
/** Whole fixture folders (several files that only together raise a rule, e.g. an attack path) under `x/`. */
const BUNDLES = [...new Set(Object.keys(fixtures).filter((p) => /\.(ya?ml|tf)$/.test(p)).map((p) => p.slice(0, p.lastIndexOf('/'))))];
const BUNDLE_PATHS = Object.keys(fixtures).filter((p) => /\.(ya?ml|tf)$/.test(p)).map((p) => `x/${p}`);

/** A file: which fixture of the path's format (`own`: a bundle file's own), and whether its manifests move to another namespace. */
const content = fc.record({ pick: fc.oneof(fc.nat({ max: 10_000 }), fc.constant('own' as const)), ns: fc.constantFrom(undefined, undefined, 'swap', 'ops') });
type Content = { pick: number | 'own'; ns: string | undefined };

function materialise(path: string, c: Content): string {
  const pool = POOL[path.endsWith('.tf') ? 'tf' : 'yaml'];
  const own = path.startsWith('x/') ? fixtures[path.slice(2)] : undefined;
  const text = c.pick === 'own' ? (own ?? pool[0]!) : pool[c.pick % pool.length]!;
  if (c.ns === 'swap') return text.replace(/namespace: (shop|billing)\b/g, (_m, ns: string) => `namespace: ${ns === 'shop' ? 'billing' : 'shop'}`);
  if (c.ns === 'ops') return text.replace(/namespace: shop\b/g, 'namespace: ops');
  return text;
}

const repository = fc
  .record({ files: fc.dictionary(fc.constantFrom(...PATHS), content, { minKeys: 2, maxKeys: 18 }), bundles: fc.subarray(BUNDLES, { maxLength: 3 }) })
  .map(({ files, bundles }) => {
    const repo: Record<string, Content> = { ...files };
    for (const b of bundles) for (const p of BUNDLE_PATHS) if (p.startsWith(`x/${b}/`)) repo[p] = { pick: 'own', ns: undefined };
    return repo;
  });
const changeSet = fc.dictionary(fc.oneof(fc.constantFrom(...PATHS), fc.constantFrom(...BUNDLE_PATHS)), fc.option(content, { nil: null, freq: 3 }), { minKeys: 1, maxKeys: 4 });
const chain = fc.array(fc.record({ change: changeSet, fromCache: fc.boolean() }), { minLength: 1, maxLength: 3 });

// Fragments are parsed once per blob and folder across all runs; no graph cache, so every scratch analysis is built.
const cache = memoryCache({ maxFragments: 1_000_000 });
const fragments = { get: cache.get.bind(cache), set: cache.set.bind(cache) };

async function scratch(files: Record<string, string>): Promise<Analysis> {
  return analyseSnapshot(memorySnapshot(files, 'scratch'), { config, cache: fragments });
}

function findingsOf(a: Analysis) {
  return { threats: a.threats, crossings: a.crossings, issues: a.issues, ruleIssues: a.ruleIssues };
}

/** Runs one repository through a chain of derivations; returns the first step whose findings differ, or undefined. */
async function run(repo: Record<string, Content>, steps: { change: Record<string, Content | null>; fromCache: boolean }[], extra: Partial<AnalyseOptions> = {}): Promise<string | undefined> {
  let files: Record<string, string> = Object.fromEntries(Object.entries(repo).map(([p, c]) => [p, materialise(p, c)]));
  let prev = await scratch(files);
  for (const [n, { change, fromCache }] of steps.entries()) {
    const next = { ...files };
    for (const [p, c] of Object.entries(change)) {
      if (c === null) delete next[p];
      else next[p] = materialise(p, c);
    }
    // As read back from the graph cache: no in-memory findings context.
    const base = fromCache ? { ...prev, findingsContext: undefined } : prev;
    const derived = await deriveAnalysis(base, memorySnapshot(next, `head-${n}`), { config, cache: fragments, maxIncrementalShare: 1, ...extra });
    // Only an empty head is rebuilt (every file changed); everything else must really be derived.
    if (derived.source !== 'derived' && Object.keys(next).length > 0) return `step ${n}: not derived`;
    const expected = await scratch(next);
    try {
      expect(findingsOf(derived)).toEqual(findingsOf(expected));
      expect(plainGraph(derived.graph)).toEqual(plainGraph(expected.graph));
    } catch (err) {
      return `step ${n}: ${(err as Error).message.slice(0, 2000)}`;
    }
    prev = derived;
    files = next;
  }
  return undefined;
}

const scoped = (kind: (s: (typeof RULE_SCOPES)[string]) => boolean) => new Set(Object.entries(RULE_SCOPES).filter(([, s]) => kind(s)).map(([id]) => id));

describe('derived findings == from-scratch findings (real files)', () => {
  test('random fixture repositories and change chains', async () => {
    await fc.assert(
      fc.asyncProperty(repository, chain, async (repo, steps) => {
        const diff = await run(repo, steps);
        expect(diff).toBeUndefined();
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) },
    );
  }, 600_000);

  // The equality above must be able to fail: re-checking too little is caught.
  const mutations: [string, (id: string, rule: string, seeds: ReadonlySet<string>) => boolean][] = [
    ['changed elements are not re-checked', (id, _rule, seeds) => seeds.has(id)],
    ['namespace groups are not expanded', (id, rule, seeds) => !seeds.has(id) && scoped((s) => s.kind === 'local' && !!s.groups?.includes('namespace')).has(rule)],
  ];
  test.each(mutations)('fails when %s', async (_name, drop) => {
    const result = await fc.check(
      fc.asyncProperty(repository, chain, async (repo, steps) => {
        expect(await run(repo, steps, { dropFromRecheck: drop })).toBeUndefined();
      }),
      { numRuns: 300, seed: 20261125 },
    );
    expect(result.failed).toBe(true);
  }, 600_000);
  // Neighbours: test/engine/incremental.property.test.ts (zones inherited by APIs, the internet actor's name).
});

describe('scopes the random repositories rarely need', () => {
  const mtlsFixture = readTree(join(FIXTURES, 'rules', 'k8s-no-mtls-cross-namespace', 'positive'));
  // Context a re-checked element's finding reads from elsewhere in the repository (`include` in the scope table).
  const scenarios: [string, Record<string, string>, Record<string, string>, (a: Analysis) => unknown, unknown][] = [
    [
      'a trail in another folder keeps a changed provider quiet',
      { 'audit/main.tf': 'provider "aws" {\n  region = "eu-west-1"\n}\n\nresource "aws_cloudtrail" "main" {\n  name = "main"\n  s3_bucket_name = "logs"\n  enable_log_file_validation = true\n}\n', 'app/main.tf': 'provider "aws" {\n  region = "eu-west-1"\n}\n' },
      { 'app/main.tf': '# moved\nprovider "aws" {\n  region = "eu-west-1"\n}\n' },
      (a) => a.threats.filter((t) => t.ruleId === 'tf-aws-cloudtrail-missing-or-no-validation').map((t) => t.key),
      [],
    ],
    [
      'account-wide EBS encryption elsewhere covers a changed volume',
      { 'account/main.tf': 'resource "aws_ebs_encryption_by_default" "on" {\n  enabled = true\n}\n', 'app/main.tf': 'resource "aws_ebs_volume" "data" {\n  availability_zone = "eu-west-1a"\n  size = 10\n}\n' },
      { 'app/main.tf': 'resource "aws_ebs_volume" "data" {\n  availability_zone = "eu-west-1a"\n  size = 20\n}\n' },
      (a) => a.threats.filter((t) => t.ruleId === 'tf-aws-storage-unencrypted').map((t) => t.key),
      [],
    ],
    [
      'a mesh-wide STRICT PeerAuthentication covers a changed cross-namespace call',
      { ...mtlsFixture, 'mesh.yaml': 'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: default\n  namespace: istio-system\nspec:\n  mtls:\n    mode: STRICT\n' },
      { 'checkout.yaml': `# moved\n${mtlsFixture['checkout.yaml']}` },
      (a) => a.threats.filter((t) => t.ruleId === 'k8s-no-mtls-cross-namespace').map((t) => t.key),
      [],
    ],
    [
      'a binding in another namespace grants the account of a changed workload',
      {
        'rbac.yaml': 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}\nrules:\n- apiGroups: [""]\n  resources: ["configmaps"]\n  verbs: ["get"]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: api-reader, namespace: ops}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}\nsubjects:\n- {kind: ServiceAccount, name: api, namespace: shop}\n',
        'app.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: api\n      containers:\n      - {name: api, image: registry.example.com/api:1}\n',
      },
      { 'app.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: api\n      containers:\n      - {name: api, image: registry.example.com/api:2}\n' },
      (a) => a.threats.filter((t) => t.ruleId === 'k8s-automount-token-with-rbac').map((t) => t.key),
      ['k8s-automount-token-with-rbac@k8s:Deployment/shop/api@k8s:ServiceAccount/shop/api'],
    ],
  ];
  test.each(scenarios)('%s', async (_name, base, change, pick, expected) => {
    const head = { ...base, ...change };
    const derived = await deriveAnalysis(await scratch(base), memorySnapshot(head, 'head'), { config, cache: fragments, maxIncrementalShare: 1 });
    expect(derived.source).toBe('derived');
    const fromScratch = await scratch(head);
    expect(pick(fromScratch)).toEqual(expected);
    expect(findingsOf(derived)).toEqual(findingsOf(fromScratch));
  });

  // One API in two files (the same title): the second file's operations count for the first file's.
  const spec = (dir: string, ops: string) => `openapi: 3.0.3\ninfo: {title: Shop API, version: "1"}\npaths:\n${ops}`;
  const plain = (path: string) => `  ${path}:\n    post:\n      responses: {"201": {description: created}}\n`;
  const traced = (path: string) => `  ${path}:\n    post:\n      parameters: [{name: X-Request-Id, in: header, schema: {type: string}}]\n      responses: {"201": {description: created}}\n`;
  const base = { 'a/openapi.yaml': spec('a', plain('/orders') + plain('/carts')), 'b/openapi.yaml': spec('b', plain('/users')) };
  const head = { ...base, 'b/openapi.yaml': spec('b', traced('/users')) };
  const apiRules = scoped((s) => s.kind === 'local' && !!s.groups?.includes('api'));

  test.each([
    ['with the API group', undefined],
    ['without it (mutation)', (id: string, rule: string, seeds: ReadonlySet<string>) => !seeds.has(id) && apiRules.has(rule)],
  ] as const)('operations of one API in two files, %s', async (_name, drop) => {
    const before = await scratch(base);
    const derived = await deriveAnalysis(before, memorySnapshot(head, 'head'), { config, cache: fragments, maxIncrementalShare: 1, ...(drop ? { dropFromRecheck: drop } : {}) });
    expect(derived.source).toBe('derived');
    const expected = await scratch(head);
    const hits = (a: Analysis) => a.threats.filter((t) => t.ruleId === 'openapi-no-correlation-id').map((t) => t.element);
    expect(hits(expected)).toEqual(['openapi:Shop API#POST /carts', 'openapi:Shop API#POST /orders']);
    if (drop) expect(hits(derived)).toEqual([]);
    else expect(findingsOf(derived)).toEqual(findingsOf(expected));
  });
});

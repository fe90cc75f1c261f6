import fc from 'fast-check';
import { analyseSnapshot, deriveAnalysis, diffSnapshots, type Analysis } from '../../src/engine/analyze.js';
import { memorySnapshot } from '../../src/engine/memory.js';
import { memoryCache } from '../../src/cache/memory.js';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { configMapYaml, deploymentYaml, ingressYaml, namespaceYaml, networkPolicyYaml, openapiYaml, serviceYaml, terraformMain, serviceName } from '../../bench/generate.js';
import { plainGraph } from './graph-model.js';

const config = DEFAULT_CONFIG;

/** A small real repository: every file goes through the real parsers. */
function repo(n: number, variants: Record<number, number> = {}): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const d = `services/${serviceName(i)}`;
    files[`${d}/k8s/deployment.yaml`] = deploymentYaml(i, n, variants[i] ?? 0);
    files[`${d}/k8s/service.yaml`] = serviceYaml(i);
    files[`${d}/k8s/configmap.yaml`] = configMapYaml(i);
    files[`${d}/k8s/networkpolicy.yaml`] = networkPolicyYaml(i, i > 0 ? [i - 1] : []);
    if (i % 2 === 0) files[`${d}/k8s/ingress.yaml`] = ingressYaml(i);
    files[`${d}/api/openapi.yaml`] = openapiYaml(i);
    files[`${d}/terraform/main.tf`] = terraformMain(i);
  }
  files['platform/namespaces/ns-000.yaml'] = namespaceYaml('ns-000');
  return files;
}

function same(a: Analysis, b: Analysis): void {
  expect(plainGraph(a.graph)).toEqual(plainGraph(b.graph));
  expect(a.threats).toEqual(b.threats);
  expect(a.crossings).toEqual(b.crossings);
  expect(a.issues).toEqual(b.issues);
  expect(a.fragments.map((f) => f.file)).toEqual(b.fragments.map((f) => f.file));
}

describe('engine with caches', () => {
  const base = repo(4);
  const head = { ...base, [`services/${serviceName(2)}/k8s/deployment.yaml`]: deploymentYaml(2, 4, 1) };

  test('scan then diff: the base graph comes from the cache and only the changed blob is parsed', async () => {
    const cache = memoryCache();
    const scan = await analyseSnapshot(memorySnapshot(base, 'main'), { config, cache });
    expect(scan.source).toBe('built');
    expect(scan.stats.parsed).toBe(Object.keys(base).length);
    expect(scan.graph.elements.size).toBeGreaterThan(40);

    const { base: b, head: h, report } = await diffSnapshots(memorySnapshot(base, 'main'), memorySnapshot(head, 'feature'), { config, cache });
    expect(b.source).toBe('cache');
    expect(b.stats.parsed).toBe(0);
    expect(h.source).toBe('derived');
    expect(h.stats).toMatchObject({ parsed: 1, cached: 0, reused: scan.fragments.length - 1 });
    expect(h.incremental).toMatchObject({ filesChanged: 1, filesRecomputed: 1 });
    expect(h.incremental!.refsRelinked).toBeLessThan(h.incremental!.refsTotal);
    same(b, scan);

    const scratch = await analyseSnapshot(memorySnapshot(head, 'feature'), { config });
    same(h, scratch);
    const reference = await diffSnapshots(memorySnapshot(base, 'main'), memorySnapshot(head, 'feature'), { config, maxIncrementalShare: 0 });
    expect(reference.head.source).toBe('built');
    expect({ ...report, summary: { ...report.summary, files: { ...report.summary.files, parsed: 0, cached: 0 } } }).toEqual({
      ...reference.report,
      summary: { ...reference.report.summary, files: { ...reference.report.summary.files, parsed: 0, cached: 0 } },
    });
  });

  test('a spec whose $ref target changed is parsed again; its unchanged blob is not trusted from the cache', async () => {
    const spec = (title: string) => `openapi: 3.0.3
info:
  title: ${title}
  version: '1'
paths:
  /a:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                $ref: './schemas.yaml#/Thing'
`;
    const files = { 'api/openapi.yaml': spec('Things'), 'api/schemas.yaml': 'Thing:\n  type: object\n' };
    const changed = { ...files, 'api/schemas.yaml': 'Thing:\n  type: string\n' };
    const cache = memoryCache();
    const a = await analyseSnapshot(memorySnapshot(files, 'main'), { config, cache });
    expect(a.deps.get('api/openapi.yaml')).toEqual([{ path: 'api/schemas.yaml', sha: expect.stringMatching(/^[0-9a-f]{40}$/) }]);
    const h = await deriveAnalysis(a, memorySnapshot(changed, 'feature'), { config, cache });
    // schemas.yaml itself changed, and openapi.yaml read it: both parsed, neither from the cache.
    expect(h.stats).toMatchObject({ parsed: 2, cached: 0 });
    same(h, await analyseSnapshot(memorySnapshot(changed, 'x'), { config }));
    // A full analysis with a warm fragment cache checks the recorded blob too.
    const full = await analyseSnapshot(memorySnapshot(changed, 'feature'), { config, cache: { get: cache.get, set: cache.set } });
    expect(full.stats).toMatchObject({ parsed: 0, cached: 2 });
    const stale = await analyseSnapshot(memorySnapshot({ ...changed, 'api/schemas.yaml': 'Thing:\n  type: integer\n' }, 'y'), { config, cache: { get: cache.get, set: cache.set } });
    expect(stale.stats).toMatchObject({ parsed: 2, cached: 0 });
  });

  test('a derived analysis stored with storeDerived is read back whole, and derives further', async () => {
    const cache = memoryCache();
    const a = await analyseSnapshot(memorySnapshot(base, 'main'), { config, cache });
    const h = await deriveAnalysis(a, memorySnapshot(head, 'feature'), { config, cache, storeDerived: true });
    const back = await analyseSnapshot(memorySnapshot(head, 'feature'), { config, cache });
    expect(back.source).toBe('cache');
    same(back, h);
    const next = { ...head, [`services/${serviceName(0)}/k8s/service.yaml`]: serviceYaml(0).replace('port: 8080', 'port: 8081') };
    const d = await deriveAnalysis(back, memorySnapshot(next, 'next'), { config });
    expect(d.stats.parsed).toBe(1);
    same(d, await analyseSnapshot(memorySnapshot(next, 'x'), { config }));
  });

  test('the same tree under another name reuses the whole analysis', async () => {
    const cache = memoryCache();
    const a = await analyseSnapshot(memorySnapshot(base, 'main'), { config, cache });
    const h = await deriveAnalysis(a, memorySnapshot(base, 'copy'), { config, cache });
    expect(h.incremental).toMatchObject({ filesChanged: 0 });
    expect(h.stats.parsed).toBe(0);
    same(h, a);
  });

  test('a graph-cache entry for another key or in another format is ignored', async () => {
    const cache = memoryCache();
    const a = await analyseSnapshot(memorySnapshot(base, 'main'), { config, cache });
    const data = await cache.getGraph(a.key);
    expect(data).toBeDefined();
    await cache.setGraph(a.key, new Uint8Array([1, 2, 3]));
    const again = await analyseSnapshot(memorySnapshot(base, 'main'), { config, cache });
    expect(again.source).toBe('built');
    expect(again.stats.cached).toBe(Object.keys(base).length);
    same(again, a);
  });

  test('real files through the parsers: random edits, incremental head == from scratch', async () => {
    const n = 5;
    const start = repo(n);
    const scratchCache = memoryCache();
    const baseAnalysis = await analyseSnapshot(memorySnapshot(start, 'main'), { config, cache: scratchCache });
    const paths = Object.keys(start);
    const edit = fc.record({
      variants: fc.dictionary(fc.constantFrom('0', '1', '2', '3', '4'), fc.integer({ min: 0, max: 2 }), { maxKeys: 3 }),
      removed: fc.subarray(paths, { maxLength: 3 }),
      netpolVariant: fc.boolean(),
      extraIngress: fc.option(fc.integer({ min: 0, max: n - 1 }), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(edit, async ({ variants, removed, netpolVariant, extraIngress }) => {
        const files = repo(n, Object.fromEntries(Object.entries(variants).map(([k, v]) => [Number(k), v])));
        for (const p of removed) delete files[p];
        if (netpolVariant) files['platform/namespaces/ns-000.yaml'] = namespaceYaml('ns-000', 1);
        if (extraIngress !== undefined) files[`services/${serviceName(extraIngress)}/k8s/ingress-2.yaml`] = ingressYaml(extraIngress).replace(/name: svc-(\d+)\n  namespace/, 'name: svc-$1-b\n  namespace');
        const derived = await deriveAnalysis(baseAnalysis, memorySnapshot(files, 'head'), { config, cache: scratchCache, maxIncrementalShare: 1 });
        expect(derived.source).toBe('derived');
        same(derived, await analyseSnapshot(memorySnapshot(files, 'head'), { config, cache: scratchCache }));
      }),
      { numRuns: 25 },
    );
  });
});

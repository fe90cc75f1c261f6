import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitRepo, generateRepo, pullRequests, serviceName } from '../../bench/generate.js';
import { analyseSnapshot, deriveAnalysis } from '../../src/engine/analyze.js';
import { gitSnapshot } from '../../src/engine/git.js';
import { DEFAULT_CONFIG } from '../../src/config/config.js';

/** Smoke test of the benchmark generator at 10 services: realistic files the parsers model, committed with PR branches. Not timed. */
describe('benchmark generator', () => {
  const files = generateRepo(10);
  const prs = pullRequests(10);

  test('per service: 4 manifests (+ an Ingress for every tenth), a spec, Terraform, a README; one namespace file per 50 services', () => {
    expect(files.size).toBe(10 * 7 + 1 + 1);
    expect([...files.keys()].filter((p) => p.startsWith(`services/${serviceName(3)}/`)).sort()).toEqual([
      'services/svc-00003/README.md',
      'services/svc-00003/api/openapi.yaml',
      'services/svc-00003/k8s/configmap.yaml',
      'services/svc-00003/k8s/deployment.yaml',
      'services/svc-00003/k8s/networkpolicy.yaml',
      'services/svc-00003/k8s/service.yaml',
      'services/svc-00003/terraform/main.tf',
    ]);
    expect(generateRepo(10)).toEqual(files); // deterministic
    expect([...prs['pr-1'].keys()]).toEqual(['services/svc-00003/k8s/deployment.yaml']);
    expect(prs['pr-10'].size).toBe(10);
    expect([...prs['pr-netpol'].keys()]).toEqual(['platform/namespaces/ns-000.yaml']);
  });

  test('committed with git fast-import; the PR branches differ from main by their files only; the pipeline models it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'td-bench-'));
    try {
      await commitRepo(dir, files, prs);
      const diff = (b: string) => execFileSync('git', ['-C', dir, 'diff', '--name-only', 'main', b], { encoding: 'utf8' }).trim().split('\n');
      expect(diff('pr-10').sort()).toEqual([...prs['pr-10'].keys()].sort());
      expect(diff('pr-netpol')).toEqual(['platform/namespaces/ns-000.yaml']);

      const main = await gitSnapshot(dir, 'main');
      const head = await gitSnapshot(dir, 'pr-1');
      const base = await analyseSnapshot(main, { config: DEFAULT_CONFIG, workers: 0 });
      expect(base.stats).toMatchObject({ candidates: 62, parsed: 62, ignored: 0 });
      const g = base.graph;
      const kinds = (type: string) => [...g.elements.values()].filter((e) => e.type === type).length;
      expect(kinds('k8s:Deployment')).toBe(10);
      expect(kinds('k8s:Service')).toBe(10);
      expect(kinds('k8s:NetworkPolicy')).toBe(11);
      expect(kinds('openapi:operation') + kinds('openapi:document')).toBeGreaterThanOrEqual(10);
      expect([...g.elements.keys()].filter((id) => id.startsWith('tf:')).length).toBeGreaterThanOrEqual(50);
      // Cross-service calls through env vars resolve to Services.
      const calls = g.edges.filter((e) => e.kind === 'calls' && e.to.startsWith('k8s:Service/'));
      expect(calls.length).toBeGreaterThanOrEqual(10);
      expect(g.edges.some((e) => e.kind === 'calls' && e.to === 'external:api.payments-provider.example.com')).toBe(true);

      const pr = await deriveAnalysis(base, head, { config: DEFAULT_CONFIG });
      expect(pr.stats.parsed).toBe(1);
      main.close();
      head.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

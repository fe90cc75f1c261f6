import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/main.js';

// Keep the CLI's persistent cache inside the test: never the user's ~/.cache.
const cacheHome = mkdtempSync(join(tmpdir(), 'threatdiff-cli-cache-'));
const savedCacheHome = process.env.XDG_CACHE_HOME;
process.env.XDG_CACHE_HOME = cacheHome;
afterAll(() => {
  if (savedCacheHome === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = savedCacheHome;
  rmSync(cacheHome, { recursive: true, force: true });
});
import { TempRepo } from '../helpers/git-repo.js';
import type { Report } from '../../src/model/report.js';

const deployment = (name: string, env = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name} }
    spec:
      containers:
        - name: ${name}
          image: registry.example.com/${name}@sha256:1111111111111111111111111111111111111111111111111111111111111111
${env}`;

const service = (name: string, type = 'ClusterIP') => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: shop
spec:
  type: ${type}
  selector: { app: ${name} }
  ports:
    - port: 80
      targetPort: 8080
`;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), isTTY: false });
  return { code, stdout, stderr };
}

describe('threatdiff CLI on a git repository', () => {
  const repo = new TempRepo();
  let base: string;
  let exposed: string;
  let reformatted: string;
  afterAll(() => repo.remove());

  beforeAll(() => {
    base = repo.commit({ 'k8s/web.yaml': `${deployment('web')}---\n${service('web')}`, 'README.md': '# shop\n' }, 'base');
    exposed = repo.commit({ 'k8s/web-public.yaml': service('web-public', 'LoadBalancer').replace('app: web-public', 'app: web') }, 'expose web');
    // Same objects, other formatting and key order, moved to another file.
    reformatted = repo.commit(
      {
        'k8s/web-public.yaml': null,
        'deploy/public.yaml': `kind: Service\napiVersion: v1\nmetadata: {namespace: shop, name: web-public}\nspec:\n  ports: [{targetPort: 8080, port: 80}]\n  selector: {app: web}\n  type: LoadBalancer\n`,
      },
      'move',
    );
  });

  test('diff reports the new internet exposure as JSON with stable fields', async () => {
    const { code, stdout, stderr } = await cli(['diff', '--repo', repo.dir, '--base', base, '--head', exposed, '--format', 'json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Report;
    expect(report.schemaVersion).toBe(1);
    expect(report.base).toEqual({ ref: base, commit: base });
    expect(report.head.commit).toBe(exposed);
    const crossing = report.crossings.find((c) => c.status === 'new' && c.to === 'k8s:Service/shop/web-public');
    expect(crossing).toEqual(expect.objectContaining({ from: 'actor:internet', fromZone: 'internet', toZone: 'edge', location: { file: 'k8s/web-public.yaml', line: expect.any(Number) } }));
    const threat = report.threats.find((t) => t.ruleId === 'graph-unauthenticated-crossing');
    expect(threat).toEqual(expect.objectContaining({ status: 'new', severity: 'high', element: 'k8s:Service/shop/web-public', stride: ['S'] }));
    expect(threat!.id).toMatch(/^TD-[0-9a-f]{12}$/);
    expect(report.summary.files.changed).toBe(1);
  });

  test('--fail-on exits 1 when a new finding reaches it, 0 otherwise', async () => {
    expect((await cli(['diff', '--repo', repo.dir, '--base', base, '--head', exposed, '--fail-on', 'high', '--format', 'json'])).code).toBe(1);
    expect((await cli(['diff', '--repo', repo.dir, '--base', base, '--head', exposed, '--fail-on', 'critical', '--format', 'json'])).code).toBe(0);
  });

  test('reformatting and moving a manifest yields nothing new or resolved', async () => {
    const { code, stdout } = await cli(['diff', '--repo', repo.dir, '--base', exposed, '--head', reformatted, '--format', 'json', '--fail-on', 'info']);
    const report = JSON.parse(stdout) as Report;
    expect(report.threats.filter((t) => t.status !== 'unchanged')).toEqual([]);
    expect(report.crossings.filter((c) => c.status !== 'unchanged')).toEqual([]);
    expect(code).toBe(0);
  });

  test('the reverse diff shows the exposure resolved', async () => {
    const { stdout } = await cli(['diff', '--repo', repo.dir, '--base', exposed, '--head', base, '--format', 'json']);
    const report = JSON.parse(stdout) as Report;
    expect(report.threats.filter((t) => t.status === 'resolved').map((t) => t.ruleId)).toContain('graph-unauthenticated-crossing');
    expect(report.threats.filter((t) => t.status === 'new')).toEqual([]);
  });

  test('a README-only change reports nothing', async () => {
    const head = repo.commit({ 'README.md': '# shop\n\nmore words\n' }, 'docs');
    const { stdout } = await cli(['diff', '--repo', repo.dir, '--base', reformatted, '--head', head, '--format', 'json']);
    const report = JSON.parse(stdout) as Report;
    expect(report.summary.threats.new + report.summary.threats.resolved + report.summary.crossings.new + report.summary.crossings.resolved).toBe(0);
    expect(report.summary.files.changed).toBe(0);
  });

  test('markdown is the default format', async () => {
    const { stdout, code } = await cli(['diff', '--repo', repo.dir, '--base', base, '--head', exposed]);
    expect(code).toBe(0);
    expect(stdout).toContain('web-public');
  });

  test('scan models one ref; mermaid draws it', async () => {
    const { stdout, code } = await cli(['scan', '--repo', repo.dir, '--ref', exposed, '--format', 'mermaid']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^flowchart/);
  });

  test('usage and repository errors exit 2 with a one-line message', async () => {
    const unknownRef = await cli(['diff', '--repo', repo.dir, '--base', 'no-such-branch', '--head', 'HEAD']);
    expect(unknownRef.code).toBe(2);
    expect(unknownRef.stderr).toBe(`threatdiff: unknown revision "no-such-branch" in ${repo.dir}\n`);
    const notRepo = await cli(['diff', '--repo', '/', '--base', 'main']);
    expect(notRepo.code).toBe(2);
    expect(notRepo.stderr).toMatch(/^threatdiff: .*not a git repository\n$/);
    const badFormat = await cli(['diff', '--repo', repo.dir, '--base', 'main', '--format', 'pdf']);
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain('pdf');
    const missingBase = await cli(['diff', '--repo', repo.dir]);
    expect(missingBase.code).toBe(2);
  });

  test('an invalid config file is a usage error naming the problem', async () => {
    const head = repo.commit({ '.github/threatdiff.yml': 'fail_on: sometimes\nwhatever: 1\n' }, 'bad config');
    const { code, stderr } = await cli(['scan', '--repo', repo.dir, '--ref', head]);
    expect(code).toBe(2);
    expect(stderr).toContain('fail_on: must be one of critical, high, medium, low, info, none');
    expect(stderr).toContain('unknown key "whatever"');
  });

  test('the work tree is never touched', async () => {
    repo.write({ 'k8s/uncommitted.yaml': service('scratch', 'LoadBalancer') });
    const status = repo.git('status', '--porcelain');
    await cli(['diff', '--repo', repo.dir, '--base', base, '--head', exposed, '--format', 'json']);
    expect(repo.git('status', '--porcelain')).toBe(status);
  });
});

describe('JSON report schema', () => {
  test('diff output validates against schema/report-v1.schema.json', async () => {
    const { readFileSync } = await import('node:fs');
    const { Ajv2020 } = await import('ajv/dist/2020.js');
    const schema = JSON.parse(readFileSync(new URL('../../schema/report-v1.schema.json', import.meta.url), 'utf8'));
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);
    const repo = new TempRepo();
    try {
      const base = repo.commit({ 'a.yaml': service('a') });
      const head = repo.commit({ 'b.yaml': service('b', 'LoadBalancer'), 'broken.yaml': 'kind: Service\napiVersion: v1\nmetadata: [unclosed\n' });
      const { stdout } = await cli(['diff', '--repo', repo.dir, '--base', base, '--head', head, '--format', 'json']);
      const report = JSON.parse(stdout);
      const ok = validate(report);
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
      expect(report.errors).toEqual([expect.objectContaining({ file: 'broken.yaml', level: 'error', line: expect.any(Number) })]);
    } finally {
      repo.remove();
    }
  });
});

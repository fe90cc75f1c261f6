import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/main.js';
import { commitRepo, generateRepo, pullRequests } from '../../bench/generate.js';

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), isTTY: false });
  return { code, stdout, stderr };
}

describe('CLI cache: scan then diff', () => {
  let dir: string;
  let repo: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'td-cli-cache-'));
    repo = join(dir, 'repo');
    await commitRepo(repo, generateRepo(6), pullRequests(6));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('diff after scan reads the base graph from the cache and parses only the changed blob', async () => {
    const cache = join(dir, 'cache');
    const scan = await cli(['scan', '--repo', repo, '--ref', 'main', '--cache-dir', cache, '--format', 'json', '--verbose']);
    expect(scan.code).toBe(0);
    expect(scan.stderr).toMatch(/^main \([0-9a-f]{12}\): built; 38 candidate files, 38 parsed, 0 from fragment cache, 0 reused/m);
    expect(scan.stderr).toMatch(/time: list \d+ ms, load \d+ ms, ingest \d+ ms, link \d+ ms, rules \d+ ms, store \d+ ms/);

    const diff = await cli(['diff', '--repo', repo, '--base', 'main', '--head', 'pr-1', '--cache-dir', cache, '--format', 'json', '--verbose']);
    expect(diff.code).toBe(0);
    expect(diff.stderr).toMatch(/^main \([0-9a-f]{12}\): graph from cache; 38 candidate files, 0 parsed/m);
    expect(diff.stderr).toMatch(/^pr-1 \([0-9a-f]{12}\): derived from [0-9a-f]{12}: 1 files changed, \d+ of \d+ refs re-linked; 38 candidate files, 1 parsed, 0 from fragment cache, 37 reused/m);
    expect(diff.stderr).toMatch(/cache \((sqlite|memory)\): fragments \d+ hits \/ \d+ misses, graphs 1 hits \/ 0 misses/);
    const report = JSON.parse(diff.stdout) as { summary: { files: { changed: number; parsed: number } } };
    expect(report.summary.files).toMatchObject({ changed: 1, parsed: 1 });

    // The same diff without the cache gives the same findings.
    const plain = await cli(['diff', '--repo', repo, '--base', 'main', '--head', 'pr-1', '--no-cache', '--format', 'json']);
    const strip = (s: string) => {
      const r = JSON.parse(s) as { summary: { files: Record<string, number> } };
      r.summary.files = { ...r.summary.files, parsed: 0, cached: 0 };
      return r;
    };
    expect(strip(plain.stdout)).toEqual(strip(diff.stdout));
  });

  test('--no-cache writes nothing', async () => {
    const cache = join(dir, 'unused');
    const r = await cli(['scan', '--repo', repo, '--ref', 'main', '--no-cache', '--cache-dir', cache, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(existsSync(cache)).toBe(false);
  });
});

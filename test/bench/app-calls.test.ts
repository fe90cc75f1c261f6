import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCalls, closeAppCalls, type AppCallFigures } from '../../bench/app-calls.js';
import { commitRepo, generateRepo, pullRequests } from '../../bench/generate.js';

/**
 * API calls per PR on the app path (issue #5), through the real Probot app
 * and a simulated GitHub served from generated repositories of 10 and 30
 * services. Counts, not timings.
 */
const work = mkdtempSync(join(tmpdir(), 'threatdiff-app-calls-'));
const figures = new Map<number, AppCallFigures>();

async function measure(services: number): Promise<AppCallFigures> {
  const repo = join(work, `repo-${services}`);
  await commitRepo(repo, generateRepo(services), pullRequests(services));
  return apiCalls(repo, 'pr-1');
}

beforeAll(async () => {
  for (const n of [10, 30]) figures.set(n, await measure(n));
}, 120_000);

afterAll(async () => {
  await closeAppCalls();
  rmSync(work, { recursive: true, force: true });
});

/** Every read a warm 1-file PR needs: the PR, its check runs, its files, the base config, the merge base, the head tree (the base's listing is remembered), the changed blob. */
const WARM_READS = {
  'checks.listForRef': 1,
  'git.getBlob': 1,
  'git.getTree': 1,
  'pulls.get': 1,
  'pulls.listFiles': 1,
  'repos.compareCommits': 1,
  'repos.getContent': 1,
};

test('a warm 1-file PR makes fewer than 10 calls: the PR, its files, config, merge base, the head tree and the one changed blob, then the check run', () => {
  const warm = figures.get(10)!.warm;
  expect(warm.reads).toBeLessThan(10);
  expect(warm.byEndpoint).toEqual({ ...WARM_READS, 'checks.create': 1, 'checks.update': 1 });
  expect(warm).toMatchObject({ reads: 7, writes: 2, auth: 0, conclusion: 'success' });
  expect(warm.reads + warm.writes).toBeLessThan(10);
  // The app's own count in the check summary: every request before the completing PATCH.
  expect(warm.appReported).toBe(warm.total - 1);
});

test('the warm count does not grow with the repository: 10 and 30 services make the same calls', () => {
  expect(figures.get(30)!.warm.byEndpoint).toEqual(figures.get(10)!.warm.byEndpoint);
  expect(figures.get(30)!.changedFiles).toBe(1);
});

test('after main moved on, the new base is listed and rebuilt from cached fragments: no blob but the PR\'s', () => {
  for (const n of [10, 30]) expect(figures.get(n)!.moved!.byEndpoint).toEqual({ ...WARM_READS, 'git.getTree': 2, 'checks.create': 1, 'checks.update': 1 });
});

test('cold, the base is read blob by blob under the tarball threshold (100 blobs), from one tarball over it', () => {
  // Per service 6 model files (+ an Ingress for every tenth), one namespace file, plus the changed blob.
  const cold = (n: number) => figures.get(n)!.cold!;
  expect(cold(10).byEndpoint['git.getBlob']).toBe(10 * 6 + 1 + 1 + 1);
  expect(cold(10).byEndpoint['repos.downloadTarballArchive']).toBeUndefined();
  // 30 services: 30 * 6 + 3 + 1 base blobs, over the threshold: one tarball, then the PR's changed blob.
  expect(cold(30).byEndpoint['repos.downloadTarballArchive']).toBe(1);
  expect(cold(30).byEndpoint['git.getBlob']).toBe(1);
  expect(cold(10)).toMatchObject({ auth: 1, writes: 2 });
  expect(cold(10).reads - cold(10).byEndpoint['git.getBlob']!).toBe(7);
  expect(cold(30).reads).toBe(7 + 1 + 1);
  expect(cold(30).conclusion).toBe(cold(10).conclusion);
});

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { memorySnapshot } from '../../src/engine/memory.js';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { generateRepo } from '../../bench/generate.js';

/**
 * Worker threads need the compiled entry point (dist/, built by `npm test`
 * before jest runs); the in-thread path is what every other test uses.
 */
const built = new URL('../../dist/src/engine/ingest.js', import.meta.url);
const hasBuild = existsSync(fileURLToPath(built)) && existsSync(fileURLToPath(new URL('../../dist/src/engine/parse-worker.js', import.meta.url)));

(hasBuild ? test : test.skip)('parsing in worker threads gives the same fragments and $ref dependencies as in this thread', async () => {
  const { ingestSnapshot } = (await import(built.href)) as typeof import('../../src/engine/ingest.js');
  const files = Object.fromEntries(generateRepo(50));
  files['specs/a.yaml'] = "openapi: 3.0.3\ninfo: {title: A, version: '1'}\npaths:\n  /x:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: './s.yaml#/T'}\n";
  files['specs/s.yaml'] = 'T:\n  type: object\n';
  const snap = memorySnapshot(files, 'main');
  const inThread = await ingestSnapshot(snap, { config: DEFAULT_CONFIG, workers: 0 });
  const pooled = await ingestSnapshot(snap, { config: DEFAULT_CONFIG, workers: 2 });
  expect(pooled.stats).toEqual(inThread.stats);
  expect(pooled.stats.parsed).toBeGreaterThanOrEqual(300);
  expect(pooled.fragments).toEqual(inThread.fragments);
  expect([...pooled.deps]).toEqual([['specs/a.yaml', [{ path: 'specs/s.yaml', sha: expect.stringMatching(/^[0-9a-f]{40}$/) }]]]);
  expect([...pooled.deps]).toEqual([...inThread.deps]);
});

import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CACHE_FILE, sqliteCache } from '../../src/cache/sqlite.js';
import { memoryCache } from '../../src/cache/memory.js';
import { openCache, defaultCacheDir } from '../../src/cache/open.js';
import type { CachedFragment } from '../../src/cache/types.js';

const hasSqlite = (() => {
  try {
    createRequire(import.meta.url)('better-sqlite3');
    return true;
  } catch {
    return false;
  }
})();

const entry = (file: string, n = 1): CachedFragment => ({
  fragment: {
    file,
    format: 'k8s',
    elements: [{ id: `k8s:Deployment/shop/x${n}`, kind: 'service', type: 'k8s:Deployment', name: `x${n}`, location: { file, line: 2 }, attrs: { namespace: 'shop', blob: 'y'.repeat(1000) } }],
    edges: [],
    refs: [],
    issues: [],
  },
  deps: [{ path: 'common.yaml', sha: 'a'.repeat(40) }],
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'td-cache-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('default folder follows XDG_CACHE_HOME, else ~/.cache', () => {
  expect(defaultCacheDir({ XDG_CACHE_HOME: '/var/cache/me' })).toBe('/var/cache/me/threatdiff');
  expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative/ignored' })).toMatch(/\/\.cache\/threatdiff$/);
  expect(defaultCacheDir({})).toMatch(/\/\.cache\/threatdiff$/);
});

test('memory cache evicts least recently used entries', async () => {
  const c = memoryCache({ maxFragments: 2 });
  await c.set('a', entry('a.yaml'));
  await c.set('b', entry('b.yaml'));
  await c.get('a');
  await c.set('c', entry('c.yaml'));
  expect(await c.get('b')).toBeUndefined();
  expect((await c.get('a'))?.fragment?.file).toBe('a.yaml');
  expect(c.stats).toMatchObject({ fragmentHits: 1 + 1, fragmentMisses: 1, evicted: 1 });
});

(hasSqlite ? describe : describe.skip)('sqlite cache', () => {
  test('fragments and graphs survive close and reopen', async () => {
    const c = sqliteCache({ dir });
    await c.set('k1', entry('a.yaml'));
    await c.set('k2', { fragment: null, deps: [] });
    await c.setGraph('g1', new Uint8Array([1, 2, 3, 4]));
    await c.close();
    const d = sqliteCache({ dir });
    expect(await d.get('k1')).toEqual(entry('a.yaml'));
    expect(await d.get('k2')).toEqual({ fragment: null, deps: [] });
    expect(await d.get('nope')).toBeUndefined();
    expect([...(await d.getGraph('g1'))!]).toEqual([1, 2, 3, 4]);
    expect(d.stats).toMatchObject({ fragmentHits: 2, fragmentMisses: 1, graphHits: 1, corrupt: 0 });
    await d.close();
  });

  test('a row whose bytes no longer match its checksum is dropped, not trusted', async () => {
    const c = sqliteCache({ dir });
    await c.set('k1', entry('a.yaml'));
    await c.setGraph('g1', new Uint8Array([9, 9, 9]));
    await c.close();
    const Db = createRequire(import.meta.url)('better-sqlite3');
    const db = new Db(join(dir, CACHE_FILE));
    db.prepare(`UPDATE fragments SET data = ? WHERE key = 'k1'`).run(Buffer.from(JSON.stringify(entry('evil.yaml'))));
    db.prepare(`UPDATE graphs SET data = ? WHERE key = 'g1'`).run(Buffer.from([9, 9, 8]));
    db.close();
    const d = sqliteCache({ dir });
    expect(await d.get('k1')).toBeUndefined();
    expect(await d.getGraph('g1')).toBeUndefined();
    expect(d.stats.corrupt).toBe(2);
    // Dropped: a second read is a plain miss.
    expect(await d.get('k1')).toBeUndefined();
    expect(d.stats.corrupt).toBe(2);
    await d.close();
  });

  test('a well-checksummed row of the wrong shape is a miss', async () => {
    const c = sqliteCache({ dir });
    await c.close();
    const Db = createRequire(import.meta.url)('better-sqlite3');
    const db = new Db(join(dir, CACHE_FILE));
    const { crc32 } = await import('node:zlib');
    const bad = Buffer.from(JSON.stringify({ fragment: { file: 'x', elements: 'no' }, deps: [] }));
    db.prepare('INSERT INTO fragments (key, data, sum, size, used) VALUES (?, ?, ?, ?, 1)').run('k', bad, crc32(bad), bad.length);
    db.close();
    const d = sqliteCache({ dir });
    expect(await d.get('k')).toBeUndefined();
    expect(d.stats.corrupt).toBe(1);
    await d.close();
  });

  test('a file that is not a SQLite database is replaced by an empty cache', async () => {
    writeFileSync(join(dir, CACHE_FILE), 'this is not a database'.repeat(500));
    const c = sqliteCache({ dir });
    expect(c.stats.corrupt).toBe(1);
    expect(await c.get('k1')).toBeUndefined();
    await c.set('k1', entry('a.yaml'));
    await c.close();
    const d = sqliteCache({ dir });
    expect((await d.get('k1'))?.fragment?.file).toBe('a.yaml');
    await d.close();
  });

  test('another schema version starts over', async () => {
    const c = sqliteCache({ dir });
    await c.set('k1', entry('a.yaml'));
    await c.close();
    const Db = createRequire(import.meta.url)('better-sqlite3');
    const db = new Db(join(dir, CACHE_FILE));
    db.prepare(`UPDATE meta SET value = '0' WHERE key = 'schema'`).run();
    db.close();
    const d = sqliteCache({ dir });
    expect(await d.get('k1')).toBeUndefined();
    await d.close();
  });

  test('size bound: least recently used fragments are evicted first, down to 90% of the bound', async () => {
    const size = Buffer.byteLength(JSON.stringify(entry('old0.yaml', 0)));
    const maxBytes = size * 16; // 20 entries go over it; eviction goes down to 14.4 entries' worth
    const c = sqliteCache({ dir, maxBytes });
    for (let i = 0; i < 10; i++) await c.set(`old${i}`, entry(`old${i}.yaml`, i));
    await c.close();
    const d = sqliteCache({ dir, maxBytes });
    for (let i = 0; i < 5; i++) await d.get(`old${i}`); // used again: newer than old5..old9
    for (let i = 0; i < 10; i++) await d.set(`new${i}`, entry(`new${i}.yaml`, i));
    await d.flush();
    expect(d.stats.evicted).toBe(6);
    const present: string[] = [];
    for (const k of [...Array(10).keys()].flatMap((i) => [`old${i}`, `new${i}`])) if (await d.get(k)) present.push(k);
    expect(present.sort()).toEqual(['new0', 'new1', 'new2', 'new3', 'new4', 'new5', 'new6', 'new7', 'new8', 'new9', 'old1', 'old2', 'old3', 'old4']);
    await d.close();
  });

  test('graphs beyond maxGraphs are evicted oldest first', async () => {
    const c = sqliteCache({ dir, maxGraphs: 2 });
    await c.setGraph('g1', new Uint8Array([1]));
    await c.flush();
    await c.setGraph('g2', new Uint8Array([2]));
    await c.flush();
    await c.getGraph('g1');
    await c.flush();
    await c.setGraph('g3', new Uint8Array([3]));
    await c.flush();
    expect(await c.getGraph('g2')).toBeUndefined();
    expect(await c.getGraph('g1')).toBeDefined();
    expect(await c.getGraph('g3')).toBeDefined();
    await c.close();
  });

  test('openCache uses SQLite in the folder', () => {
    const { cache, warning } = openCache({ dir: join(dir, 'nested') });
    expect(warning).toBeUndefined();
    expect(cache.kind).toBe('sqlite');
    expect(existsSync(join(dir, 'nested', CACHE_FILE))).toBe(true);
    return cache.close();
  });
});

test('openCache falls back to memory with a warning when the folder cannot be used', async () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const { cache, warning } = openCache({ dir: join(file, 'sub') });
  expect(cache.kind).toBe('memory');
  expect(warning).toMatch(/^cache in .*a-file\/sub not used: /);
});

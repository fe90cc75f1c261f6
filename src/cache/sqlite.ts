import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { CachedFragment, EngineCache } from './types.js';
import { emptyStats, isCachedFragment } from './types.js';

/**
 * The embedded cache: one SQLite file (better-sqlite3, 12.x: 13.x crashes on
 * Node 20) under the user's cache folder. Rows carry a CRC-32 of their bytes
 * and the file a schema version; a row that fails either is deleted and
 * treated as a miss, and a file SQLite cannot read is removed and rebuilt.
 *
 * Writes are buffered and committed in one transaction by `flush()` (also
 * every 1,000 writes), which then evicts least-recently-used rows past the
 * size bound.
 */

/** Bump when the table layout or the encodings change. */
export const SQLITE_SCHEMA = 1;
export const CACHE_FILE = 'cache.sqlite';

/** The part of better-sqlite3's API used here (it is loaded at run time, so its types are not required). */
interface Statement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}
interface Database {
  prepare(sql: string): Statement;
  exec(sql: string): void;
  pragma(sql: string): unknown;
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
  close(): void;
}
type DatabaseConstructor = new (file: string) => Database;

export class CacheUnavailableError extends Error {}

let driver: DatabaseConstructor | undefined;
function loadDriver(): DatabaseConstructor {
  if (driver) return driver;
  try {
    const require = createRequire(import.meta.url);
    driver = require('better-sqlite3') as DatabaseConstructor;
    return driver;
  } catch (err) {
    throw new CacheUnavailableError(`better-sqlite3 is not installed (${(err as Error).message.split('\n')[0]})`);
  }
}

export interface SqliteCacheOptions {
  /** Folder holding the cache file; created when missing. */
  dir: string;
  /** Upper bound on stored bytes (fragments and graphs together). Default 1 GiB. */
  maxBytes?: number;
  /** Graph rows kept at most (each is a whole linked repository). Default 8. */
  maxGraphs?: number;
}

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fragments (key TEXT PRIMARY KEY, data BLOB NOT NULL, sum INTEGER NOT NULL, size INTEGER NOT NULL, used INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS graphs (key TEXT PRIMARY KEY, data BLOB NOT NULL, sum INTEGER NOT NULL, size INTEGER NOT NULL, used INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS fragments_used ON fragments (used);
CREATE INDEX IF NOT EXISTS graphs_used ON graphs (used);
`;

function open(file: string): Database {
  const Db = loadDriver();
  const db = new Db(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const ok = db.pragma('quick_check') as { quick_check: string }[];
    if (ok[0]?.quick_check !== 'ok') throw new Error('quick_check failed');
    db.exec(SCHEMA_SQL);
    const row = db.prepare(`SELECT value FROM meta WHERE key = 'schema'`).get() as { value: string } | undefined;
    if (row && row.value !== String(SQLITE_SCHEMA)) {
      // Another layout: nothing in it can be read safely, start over.
      db.exec('DROP TABLE fragments; DROP TABLE graphs; DELETE FROM meta;');
      db.exec(SCHEMA_SQL);
    }
    db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)`).run(String(SQLITE_SCHEMA));
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Opens (or creates, or rebuilds when unreadable) the cache in `dir`. Throws CacheUnavailableError when SQLite cannot be loaded. */
export function sqliteCache(options: SqliteCacheOptions): EngineCache {
  mkdirSync(options.dir, { recursive: true });
  const file = join(options.dir, CACHE_FILE);
  let db: Database;
  let rebuilt = false;
  try {
    db = open(file);
  } catch (err) {
    if (err instanceof CacheUnavailableError) throw err;
    // Corrupt or foreign file: a cache is only ever a copy, so rebuild it.
    for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
    db = open(file);
    rebuilt = true;
  }
  const maxBytes = options.maxBytes ?? 1024 ** 3;
  const maxGraphs = options.maxGraphs ?? 8;
  const stats = emptyStats();
  if (rebuilt) stats.corrupt++;

  const q = {
    getFragment: db.prepare('SELECT data, sum FROM fragments WHERE key = ?'),
    putFragment: db.prepare('INSERT OR REPLACE INTO fragments (key, data, sum, size, used) VALUES (?, ?, ?, ?, ?)'),
    touchFragment: db.prepare('UPDATE fragments SET used = ? WHERE key = ?'),
    dropFragment: db.prepare('DELETE FROM fragments WHERE key = ?'),
    getGraph: db.prepare('SELECT data, sum FROM graphs WHERE key = ?'),
    putGraph: db.prepare('INSERT OR REPLACE INTO graphs (key, data, sum, size, used) VALUES (?, ?, ?, ?, ?)'),
    touchGraph: db.prepare('UPDATE graphs SET used = ? WHERE key = ?'),
    dropGraph: db.prepare('DELETE FROM graphs WHERE key = ?'),
    fragmentBytes: db.prepare('SELECT COALESCE(SUM(size), 0) AS n FROM fragments'),
    graphBytes: db.prepare('SELECT COALESCE(SUM(size), 0) AS n FROM graphs'),
    graphCount: db.prepare('SELECT COUNT(*) AS n FROM graphs'),
    oldestGraph: db.prepare('SELECT key, size FROM graphs ORDER BY used ASC LIMIT 1'),
    oldestFragments: db.prepare('SELECT key, size FROM fragments ORDER BY used ASC LIMIT ?'),
  };

  // `used` is a logical clock (wall time is not needed, only order), persisted across runs.
  let clock = Number((db.prepare(`SELECT value FROM meta WHERE key = 'clock'`).get() as { value: string } | undefined)?.value ?? 0);
  const tick = () => ++clock;
  const pending = new Map<string, { data: Buffer; used: number }>();
  const touched = new Map<string, number>();
  const touchedGraphs = new Map<string, number>();

  const decodeFragment = (key: string, row: { data: Buffer; sum: number } | undefined): CachedFragment | undefined => {
    if (!row) return undefined;
    try {
      if (crc32(row.data) !== row.sum) throw new Error('checksum');
      const value: unknown = JSON.parse(row.data.toString('utf8'));
      if (!isCachedFragment(value)) throw new Error('shape');
      return value;
    } catch {
      stats.corrupt++;
      q.dropFragment.run(key);
      return undefined;
    }
  };

  const commit = db.transaction(() => {
    for (const [key, { data, used }] of pending) q.putFragment.run(key, data, crc32(data), data.length, used);
    for (const [key, used] of touched) q.touchFragment.run(used, key);
    for (const [key, used] of touchedGraphs) q.touchGraph.run(used, key);
    db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('clock', ?)`).run(String(clock));
  });
  const writePending = (): void => {
    if (pending.size === 0 && touched.size === 0 && touchedGraphs.size === 0) return;
    commit();
    pending.clear();
    touched.clear();
    touchedGraphs.clear();
  };

  const evict = db.transaction(() => {
    while ((q.graphCount.get() as { n: number }).n > maxGraphs) {
      const old = q.oldestGraph.get() as { key: string } | undefined;
      if (!old) break;
      q.dropGraph.run(old.key);
      stats.evicted++;
    }
    let total = (q.fragmentBytes.get() as { n: number }).n + (q.graphBytes.get() as { n: number }).n;
    if (total <= maxBytes) return;
    // Past the bound, go down to 90% so the next runs do not evict again at once.
    // Graphs are few and expensive to rebuild: old fragments go first.
    const target = maxBytes * 0.9;
    while (total > target) {
      const batch = q.oldestFragments.all(500) as { key: string; size: number }[];
      if (batch.length === 0) {
        const old = q.oldestGraph.get() as { key: string; size: number } | undefined;
        if (!old) break;
        q.dropGraph.run(old.key);
        total -= old.size;
        stats.evicted++;
        continue;
      }
      for (const row of batch) {
        q.dropFragment.run(row.key);
        total -= row.size;
        stats.evicted++;
        if (total <= target) break;
      }
    }
  });

  let closed = false;
  return {
    kind: 'sqlite',
    stats,
    async get(key) {
      const buffered = pending.get(key);
      const hit = buffered ? (JSON.parse(buffered.data.toString('utf8')) as CachedFragment) : decodeFragment(key, q.getFragment.get(key) as { data: Buffer; sum: number } | undefined);
      if (hit) {
        stats.fragmentHits++;
        if (buffered) buffered.used = tick();
        else touched.set(key, tick());
      } else stats.fragmentMisses++;
      return hit;
    },
    async getMany(keys) {
      const out = new Map<string, CachedFragment>();
      for (const key of keys) {
        const hit = await this.get(key);
        if (hit) out.set(key, hit);
      }
      return out;
    },
    async set(key, entry) {
      pending.set(key, { data: Buffer.from(JSON.stringify(entry), 'utf8'), used: tick() });
      if (pending.size >= 1000) writePending();
    },
    async getGraph(key) {
      const row = q.getGraph.get(key) as { data: Buffer; sum: number } | undefined;
      if (!row) {
        stats.graphMisses++;
        return undefined;
      }
      if (crc32(row.data) !== row.sum) {
        stats.corrupt++;
        stats.graphMisses++;
        q.dropGraph.run(key);
        return undefined;
      }
      stats.graphHits++;
      touchedGraphs.set(key, tick());
      return row.data;
    },
    async setGraph(key, data) {
      const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      q.putGraph.run(key, buf, crc32(buf), buf.length, tick());
    },
    async flush() {
      writePending();
      evict();
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        writePending();
        evict();
      } finally {
        db.close();
      }
    },
  };
}

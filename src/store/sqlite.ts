import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { memoryCache } from '../cache/memory.js';
import { sqliteCache } from '../cache/sqlite.js';
import type { CachedFragment, CacheStats, EngineCache } from '../cache/types.js';
import type { Acceptance, PullFindings, PullKey, StickyComment, Store, Story } from './types.js';
import {
  DELIVERY_TTL_MS,
  StoreSchemaError,
  StoreUnavailableError,
  clip,
  decodeAcceptance,
  decodePullFindings,
  decodeSticky,
  decodeStory,
  encodeAcceptance,
  encodePullFindings,
  type Migration,
  type StoreCache,
} from './rows.js';

/**
 * The embedded store: one SQLite file (better-sqlite3 12.x; 13.x crashes on
 * Node 20) for one app instance, no set-up. PR bookkeeping lives in
 * `threatdiff.db`; parsed fragments and analyses live next to it in the
 * engine's own cache file (src/cache/sqlite.ts, `cache.sqlite`), so the big,
 * disposable part can be deleted or evicted without touching acceptances.
 *
 * Never trusted: a file that is not SQLite, fails `quick_check`, or belongs
 * to another program (PRAGMA application_id) is moved aside to
 * `<file>.corrupt` and a new one is created; a row of the wrong shape reads
 * as absent. A file written by a newer threatdiff (user_version above ours)
 * is refused with StoreSchemaError rather than rebuilt, since it is not
 * damaged, only newer.
 */

/** 'TDST' (threatdiff store): tells our files from any other SQLite file. */
export const APPLICATION_ID = 0x54445354;

/** The schema, one step per version (PRAGMA user_version). Append; never edit a released step. */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'PR bookkeeping tables',
    sql: `
CREATE TABLE acceptances (repo TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (repo, id));
CREATE TABLE commented (repo TEXT NOT NULL, pull INTEGER NOT NULL, finding TEXT NOT NULL, PRIMARY KEY (repo, pull, finding));
CREATE TABLE sticky (repo TEXT NOT NULL, pull INTEGER NOT NULL, comment_id INTEGER NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (repo, pull));
CREATE TABLE heads (repo TEXT NOT NULL, pull INTEGER NOT NULL, sha TEXT NOT NULL, PRIMARY KEY (repo, pull));
CREATE TABLE pull_findings (repo TEXT NOT NULL, pull INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (repo, pull));
CREATE TABLE stories (repo TEXT NOT NULL, fingerprint TEXT NOT NULL, issue_number INTEGER NOT NULL, pull INTEGER NOT NULL, PRIMARY KEY (repo, fingerprint));
CREATE TABLE deliveries (id TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE INDEX deliveries_at ON deliveries (at);
`,
  },
];

type Database = BetterSqlite3.Database;
type DatabaseConstructor = new (file: string, options?: BetterSqlite3.Options) => Database;

let driver: DatabaseConstructor | undefined;
function loadDriver(): DatabaseConstructor {
  if (driver) return driver;
  try {
    // Loaded at run time so a missing native build degrades to the memory store instead of failing the import.
    driver = createRequire(import.meta.url)('better-sqlite3') as DatabaseConstructor;
    return driver;
  } catch (err) {
    throw new StoreUnavailableError(`better-sqlite3 cannot be loaded (${(err as Error).message.split('\n')[0]})`);
  }
}

/** Why a file cannot be trusted (it is moved aside and rebuilt). */
class UntrustedFile extends Error {}

/** Applies the steps above `user_version`, each in its own transaction. Exported for the migration tests. */
export function migrateSqlite(db: Database, migrations: readonly Migration[] = SQLITE_MIGRATIONS): number {
  const latest = migrations.length > 0 ? migrations[migrations.length - 1]!.version : 0;
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > latest) throw new StoreSchemaError(`the store was written by a newer threatdiff (schema ${current}, this one knows ${latest}); upgrade threatdiff or point THREATDIFF_DB elsewhere`);
  for (const step of migrations) {
    if (step.version <= current) continue;
    db.transaction(() => {
      db.exec(step.sql);
      db.pragma(`user_version = ${step.version}`);
    })();
  }
  return latest;
}

function isCorruption(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

function openTrusted(Db: DatabaseConstructor, file: string, migrations: readonly Migration[]): Database {
  let db: Database;
  try {
    db = new Db(file);
  } catch (err) {
    if (isCorruption(err)) throw new UntrustedFile((err as Error).message);
    throw err;
  }
  try {
    db.pragma('journal_mode = WAL'); // throws SQLITE_NOTADB on a file that is not SQLite
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    const appId = db.pragma('application_id', { simple: true }) as number;
    if (appId !== APPLICATION_ID) {
      const tables = db.prepare(`SELECT COUNT(*) AS n FROM sqlite_master`).get() as { n: number };
      if (tables.n > 0) throw new UntrustedFile(`not a threatdiff store (application_id ${appId})`);
      db.pragma(`application_id = ${APPLICATION_ID}`);
    }
    const check = db.pragma('quick_check') as { quick_check: string }[];
    if (check.length !== 1 || check[0]?.quick_check !== 'ok') throw new UntrustedFile(`integrity check failed: ${String(check[0]?.quick_check).slice(0, 120)}`);
    migrateSqlite(db, migrations);
    return db;
  } catch (err) {
    db.close();
    if (isCorruption(err)) throw new UntrustedFile((err as Error).message);
    throw err;
  }
}

export interface SqliteStoreOptions {
  /** The store file; its folder is created when missing. */
  file: string;
  /** The engine cache next to the file (`cache.sqlite`): its bound, or false for a process-local memory cache. */
  cache?: false | { maxBytes?: number; maxGraphs?: number };
  /** Buffered cache writes are committed this long after the last one (the app never calls flush). Default 1 s. */
  cacheFlushMs?: number;
  /** Test hook: the schema steps (default SQLITE_MIGRATIONS). */
  migrations?: readonly Migration[];
}

/** The SQLite store; also the engine's fragment/graph cache (delegating to src/cache/sqlite.ts). */
export class SqliteStore implements Store, StoreCache {
  private db: Database;
  private readonly engine: EngineCache;
  private flushTimer: NodeJS.Timeout | undefined;
  private claims = 0;
  private closed = false;
  /** Set when the file could not be trusted and was rebuilt: why (for the log). */
  recovered: string | undefined;

  constructor(private readonly options: SqliteStoreOptions) {
    const Db = loadDriver();
    mkdirSync(dirname(options.file), { recursive: true });
    this.db = this.openOrRebuild(Db);
    let engine: EngineCache;
    try {
      engine = options.cache === false ? memoryCache({ maxFragments: 20_000, maxGraphs: 16 }) : sqliteCache({ dir: dirname(options.file), ...(options.cache ?? {}) });
    } catch {
      engine = memoryCache({ maxFragments: 20_000, maxGraphs: 16 });
    }
    this.engine = engine;
  }

  private openOrRebuild(Db: DatabaseConstructor): Database {
    const migrations = this.options.migrations ?? SQLITE_MIGRATIONS;
    try {
      return openTrusted(Db, this.options.file, migrations);
    } catch (err) {
      if (!(err instanceof UntrustedFile)) throw err;
      this.recovered = err.message;
      this.moveAside();
      return openTrusted(Db, this.options.file, migrations);
    }
  }

  /** Keeps the last untrusted file for inspection (one copy, overwritten) and removes its journal. */
  private moveAside(): void {
    const file = this.options.file;
    if (existsSync(file)) renameSync(file, `${file}.corrupt`);
    for (const f of [`${file}-wal`, `${file}-shm`, `${file}-journal`]) rmSync(f, { force: true });
  }

  /** Runs a statement; corruption found at run time rebuilds the file once and retries. */
  private run<R>(fn: (db: Database) => R): R {
    if (this.closed) throw new Error('store is closed');
    try {
      return fn(this.db);
    } catch (err) {
      if (!isCorruption(err)) throw err;
      try {
        this.db.close();
      } catch {
        /* already unusable */
      }
      this.recovered = (err as Error).message;
      this.moveAside();
      this.db = openTrusted(loadDriver(), this.options.file, this.options.migrations ?? SQLITE_MIGRATIONS);
      return fn(this.db);
    }
  }

  async listAcceptances(repo: string): Promise<Acceptance[]> {
    const rows = this.run((db) => db.prepare('SELECT data FROM acceptances WHERE repo = ? ORDER BY seq').all(repo) as { data: string }[]);
    return rows.map((r) => decodeAcceptance(r.data)).filter((a): a is Acceptance => a !== undefined);
  }

  async putAcceptance(repo: string, acceptance: Acceptance): Promise<void> {
    this.run((db) =>
      db
        .prepare(
          `INSERT INTO acceptances (repo, id, data, seq) VALUES (?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM acceptances))
           ON CONFLICT (repo, id) DO UPDATE SET data = excluded.data, seq = excluded.seq`,
        )
        .run(repo, clip(acceptance.id), encodeAcceptance(acceptance)),
    );
  }

  async removeAcceptance(repo: string, id: string): Promise<boolean> {
    return this.run((db) => db.prepare('DELETE FROM acceptances WHERE repo = ? AND id = ?').run(repo, id).changes > 0);
  }

  async listCommentedFindings(pr: PullKey): Promise<string[]> {
    const rows = this.run((db) => db.prepare('SELECT finding FROM commented WHERE repo = ? AND pull = ? ORDER BY rowid').all(pr.repo, pr.pull) as { finding: string }[]);
    return rows.map((r) => r.finding);
  }

  async addCommentedFindings(pr: PullKey, ids: readonly string[]): Promise<void> {
    this.run((db) => {
      const insert = db.prepare('INSERT OR IGNORE INTO commented (repo, pull, finding) VALUES (?, ?, ?)');
      db.transaction(() => {
        for (const id of ids) insert.run(pr.repo, pr.pull, clip(id));
      })();
    });
  }

  async getStickyComment(pr: PullKey): Promise<StickyComment | undefined> {
    return decodeSticky(this.run((db) => db.prepare('SELECT comment_id, digest FROM sticky WHERE repo = ? AND pull = ?').get(pr.repo, pr.pull) as { comment_id: unknown; digest: unknown } | undefined));
  }

  async setStickyComment(pr: PullKey, sticky: StickyComment): Promise<void> {
    this.run((db) => db.prepare('INSERT OR REPLACE INTO sticky (repo, pull, comment_id, digest) VALUES (?, ?, ?, ?)').run(pr.repo, pr.pull, sticky.commentId, clip(sticky.digest)));
  }

  async getLatestHead(pr: PullKey): Promise<string | undefined> {
    const row = this.run((db) => db.prepare('SELECT sha FROM heads WHERE repo = ? AND pull = ?').get(pr.repo, pr.pull) as { sha: unknown } | undefined);
    return typeof row?.sha === 'string' ? row.sha : undefined;
  }

  async setLatestHead(pr: PullKey, sha: string): Promise<void> {
    this.run((db) => db.prepare('INSERT OR REPLACE INTO heads (repo, pull, sha) VALUES (?, ?, ?)').run(pr.repo, pr.pull, clip(sha)));
  }

  async getPullFindings(pr: PullKey): Promise<PullFindings | undefined> {
    const row = this.run((db) => db.prepare('SELECT data FROM pull_findings WHERE repo = ? AND pull = ?').get(pr.repo, pr.pull) as { data: unknown } | undefined);
    return row ? decodePullFindings(row.data) : undefined;
  }

  async setPullFindings(pr: PullKey, findings: PullFindings): Promise<void> {
    this.run((db) => db.prepare('INSERT OR REPLACE INTO pull_findings (repo, pull, data) VALUES (?, ?, ?)').run(pr.repo, pr.pull, encodePullFindings(findings)));
  }

  async getStory(repo: string, fingerprint: string): Promise<Story | undefined> {
    return decodeStory(this.run((db) => db.prepare('SELECT issue_number, pull FROM stories WHERE repo = ? AND fingerprint = ?').get(repo, fingerprint) as { issue_number: unknown; pull: unknown } | undefined));
  }

  async putStory(repo: string, fingerprint: string, story: Story): Promise<void> {
    this.run((db) => db.prepare('INSERT OR REPLACE INTO stories (repo, fingerprint, issue_number, pull) VALUES (?, ?, ?, ?)').run(repo, clip(fingerprint), story.issueNumber, story.pull));
  }

  async claimDelivery(id: string): Promise<boolean> {
    const now = Date.now();
    return this.run((db) => {
      // Forgetting old ids now and then keeps the table at about a day of deliveries.
      if (++this.claims % 256 === 1) db.prepare('DELETE FROM deliveries WHERE at < ?').run(now - DELIVERY_TTL_MS);
      const row = db.prepare('SELECT at FROM deliveries WHERE id = ?').get(clip(id)) as { at: number } | undefined;
      if (row && row.at >= now - DELIVERY_TTL_MS) return false;
      db.prepare('INSERT OR REPLACE INTO deliveries (id, at) VALUES (?, ?)').run(clip(id), now);
      return true;
    });
  }

  async releaseDelivery(id: string): Promise<void> {
    await this.run((db) => db.prepare('DELETE FROM deliveries WHERE id = ?').run(clip(id)));
  }

  // --- the engine cache (FragmentCache & GraphCache)

  get stats(): CacheStats {
    return this.engine.stats;
  }

  get(key: string): Promise<CachedFragment | undefined> {
    return this.engine.get(key);
  }

  async getMany(keys: readonly string[]): Promise<Map<string, CachedFragment>> {
    if (this.engine.getMany) return this.engine.getMany(keys);
    const out = new Map<string, CachedFragment>();
    for (const key of keys) {
      const hit = await this.engine.get(key);
      if (hit) out.set(key, hit);
    }
    return out;
  }

  async set(key: string, entry: CachedFragment): Promise<void> {
    await this.engine.set(key, entry);
    this.scheduleFlush();
  }

  getGraph(key: string): Promise<Uint8Array | undefined> {
    return this.engine.getGraph(key);
  }

  setGraph(key: string, data: Uint8Array): Promise<void> {
    return this.engine.setGraph(key, data);
  }

  async flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    await this.engine.flush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.closed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.engine.flush().catch(() => {
        /* a cache write that fails is a later miss, nothing more */
      });
    }, this.options.cacheFlushMs ?? 1000);
    this.flushTimer.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.closed = true;
    try {
      await this.engine.close();
    } finally {
      this.db.close();
    }
  }

  /** Test hook: the open database (to damage rows on purpose). */
  get database(): Database {
    return this.db;
  }
}

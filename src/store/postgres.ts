import { crc32 } from 'node:zlib';
import pg from 'pg';
import type { CachedFragment, CacheStats } from '../cache/types.js';
import { emptyStats, isCachedFragment } from '../cache/types.js';
import type { Acceptance, PullFindings, PullKey, StickyComment, Store, Story } from './types.js';
import {
  DELIVERY_TTL_MS,
  StoreSchemaError,
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
 * The shared store: PostgreSQL, for several app instances behind a load
 * balancer (DATABASE_URL). It holds the PR bookkeeping and, in the same
 * database, the engine's fragment and analysis cache, so a blob parsed by
 * one instance is a cache hit for all of them.
 *
 * Tables live in their own schema (default `threatdiff`). The schema is
 * versioned in `meta`: each instance applies missing migrations at start
 * under an advisory lock (several instances may start at once), and refuses
 * a database a newer threatdiff changed incompatibly (`compat` above ours).
 *
 * Cache rows carry a CRC-32 and are shape-checked when read: anything wrong
 * is deleted and read as a miss. Cache writes are buffered briefly and sent
 * in one statement; the size bound is applied by whichever instance gets
 * the eviction lock, oldest-used fragments first.
 */

/** Schema steps; append, never edit a released one. */
export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'PR bookkeeping and the shared engine cache',
    sql: `
CREATE TABLE acceptances (repo TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, seq BIGSERIAL, PRIMARY KEY (repo, id));
CREATE TABLE commented (repo TEXT NOT NULL, pull INTEGER NOT NULL, finding TEXT NOT NULL, seq BIGSERIAL, PRIMARY KEY (repo, pull, finding));
CREATE TABLE sticky (repo TEXT NOT NULL, pull INTEGER NOT NULL, comment_id BIGINT NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (repo, pull));
CREATE TABLE heads (repo TEXT NOT NULL, pull INTEGER NOT NULL, sha TEXT NOT NULL, PRIMARY KEY (repo, pull));
CREATE TABLE pull_findings (repo TEXT NOT NULL, pull INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (repo, pull));
CREATE TABLE stories (repo TEXT NOT NULL, fingerprint TEXT NOT NULL, issue_number INTEGER NOT NULL, pull INTEGER NOT NULL, PRIMARY KEY (repo, fingerprint));
CREATE TABLE deliveries (id TEXT PRIMARY KEY, at BIGINT NOT NULL);
CREATE INDEX deliveries_at ON deliveries (at);
CREATE TABLE fragments (key TEXT PRIMARY KEY, data BYTEA NOT NULL, sum BIGINT NOT NULL, size INTEGER NOT NULL, used BIGINT NOT NULL);
CREATE INDEX fragments_used ON fragments (used);
CREATE TABLE graphs (key TEXT PRIMARY KEY, data BYTEA NOT NULL, sum BIGINT NOT NULL, size INTEGER NOT NULL, used BIGINT NOT NULL);
`,
  },
];

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresStoreOptions {
  connectionString: string;
  /** Schema holding the tables (created when missing). Default `threatdiff`. */
  schema?: string;
  /** Connections per instance. Default 10. */
  poolSize?: number;
  /** Upper bound on cached bytes (fragments and analyses). Default 2 GiB. */
  maxCacheBytes?: number;
  /** Analyses (whole linked graphs) kept at most. Default 64. */
  maxGraphs?: number;
  /** Buffered fragment writes are sent this long after the first one. Default 50 ms. */
  flushDelayMs?: number;
  /** The size bound is checked at most this often per instance (0: at every flush). Default 60 s. */
  evictIntervalMs?: number;
  /** Test hook: the schema steps (default PG_MIGRATIONS). */
  migrations?: readonly Migration[];
  /** Test hook: the clock for cache recency and delivery age (default Date.now). */
  now?: () => number;
  /** Called when a background cache write fails (the entry is simply not cached). */
  onCacheError?: (err: unknown) => void;
}

interface Row {
  [column: string]: unknown;
}

function toBuffer(v: unknown): Buffer | undefined {
  return Buffer.isBuffer(v) ? v : undefined;
}

/** Applies missing migrations under an advisory lock; returns the version in the database. Exported for the tests. */
export async function migratePostgres(pool: pg.Pool, schema: string, migrations: readonly Migration[] = PG_MIGRATIONS): Promise<number> {
  const latest = migrations.length > 0 ? migrations[migrations.length - 1]!.version : 0;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // One instance migrates at a time; the others wait here and then find nothing to do.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`threatdiff-migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(`CREATE TABLE IF NOT EXISTS "${schema}".meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    const meta = new Map((await client.query<{ key: string; value: string }>(`SELECT key, value FROM "${schema}".meta`)).rows.map((r) => [r.key, r.value]));
    const current = Number(meta.get('schema') ?? 0);
    const compat = Number(meta.get('compat') ?? 0);
    if (!Number.isSafeInteger(current) || !Number.isSafeInteger(compat)) throw new StoreSchemaError(`schema "${schema}" has an unreadable version (${meta.get('schema')})`);
    if (compat > latest) throw new StoreSchemaError(`schema "${schema}" was changed by a newer threatdiff (schema ${current}, needs at least ${compat}; this one knows ${latest}): upgrade threatdiff`);
    let version = current;
    let newCompat = compat;
    for (const step of migrations) {
      if (step.version <= version) continue;
      await client.query(`SET LOCAL search_path TO "${schema}"`);
      await client.query(step.sql);
      version = step.version;
      if (step.breaking) newCompat = step.version;
    }
    if (version !== current) {
      await client.query(`INSERT INTO "${schema}".meta (key, value) VALUES ('schema', $1), ('compat', $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, [String(version), String(newCompat)]);
    }
    await client.query('COMMIT');
    return version;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** The PostgreSQL store; also the engine's fragment/graph cache, shared by every instance on the database. */
export class PostgresStore implements Store, StoreCache {
  readonly stats: CacheStats = emptyStats();
  private readonly pool: pg.Pool;
  private readonly s: string;
  private ready: Promise<void> | undefined;
  private readonly pending = new Map<string, Buffer>();
  private readonly touched = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private lastEvict = 0;
  private writtenSinceEvict = 0;
  private claims = 0;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly options: PostgresStoreOptions) {
    this.now = options.now ?? Date.now;
    const schema = options.schema ?? 'threatdiff';
    if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid PostgreSQL schema name "${schema}" (lower-case letters, digits, _)`);
    this.s = `"${schema}"`;
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      application_name: 'threatdiff',
      // A stuck query must not hold a webhook or an analysis forever.
      statement_timeout: 30_000,
      connectionTimeoutMillis: 10_000,
    });
    // An idle connection dropped by the server is replaced on next use; without a listener it would crash the process.
    this.pool.on('error', () => undefined);
  }

  /** Connects and migrates once; a failure is retried by the next call (the database may come up later). */
  init(): Promise<void> {
    if (!this.ready) {
      this.ready = migratePostgres(this.pool, this.options.schema ?? 'threatdiff', this.options.migrations ?? PG_MIGRATIONS).then(
        () => undefined,
        (err: unknown) => {
          this.ready = undefined;
          throw err;
        },
      );
    }
    return this.ready;
  }

  private async q<R extends Row = Row>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    if (this.closed) throw new Error('store is closed');
    await this.init();
    return this.pool.query<R>(sql, params);
  }

  async listAcceptances(repo: string): Promise<Acceptance[]> {
    const { rows } = await this.q(`SELECT data FROM ${this.s}.acceptances WHERE repo = $1 ORDER BY seq`, [repo]);
    return rows.map((r) => decodeAcceptance(r.data)).filter((a): a is Acceptance => a !== undefined);
  }

  async putAcceptance(repo: string, acceptance: Acceptance): Promise<void> {
    // EXCLUDED.seq is a fresh sequence value: a replaced acceptance moves to the end, like the memory store.
    await this.q(`INSERT INTO ${this.s}.acceptances (repo, id, data) VALUES ($1, $2, $3) ON CONFLICT (repo, id) DO UPDATE SET data = EXCLUDED.data, seq = EXCLUDED.seq`, [repo, clip(acceptance.id), encodeAcceptance(acceptance)]);
  }

  async removeAcceptance(repo: string, id: string): Promise<boolean> {
    return ((await this.q(`DELETE FROM ${this.s}.acceptances WHERE repo = $1 AND id = $2`, [repo, id])).rowCount ?? 0) > 0;
  }

  async listCommentedFindings(pr: PullKey): Promise<string[]> {
    const { rows } = await this.q(`SELECT finding FROM ${this.s}.commented WHERE repo = $1 AND pull = $2 ORDER BY seq`, [pr.repo, pr.pull]);
    return rows.map((r) => r.finding).filter((f): f is string => typeof f === 'string');
  }

  async addCommentedFindings(pr: PullKey, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.q(`INSERT INTO ${this.s}.commented (repo, pull, finding) SELECT $1, $2, f FROM unnest($3::text[]) WITH ORDINALITY AS t(f, n) ORDER BY n ON CONFLICT DO NOTHING`, [pr.repo, pr.pull, ids.map(clip)]);
  }

  async getStickyComment(pr: PullKey): Promise<StickyComment | undefined> {
    const { rows } = await this.q<{ comment_id: unknown; digest: unknown }>(`SELECT comment_id, digest FROM ${this.s}.sticky WHERE repo = $1 AND pull = $2`, [pr.repo, pr.pull]);
    return decodeSticky(rows[0]);
  }

  async setStickyComment(pr: PullKey, sticky: StickyComment): Promise<void> {
    await this.q(`INSERT INTO ${this.s}.sticky (repo, pull, comment_id, digest) VALUES ($1, $2, $3, $4) ON CONFLICT (repo, pull) DO UPDATE SET comment_id = EXCLUDED.comment_id, digest = EXCLUDED.digest`, [pr.repo, pr.pull, sticky.commentId, clip(sticky.digest)]);
  }

  async getLatestHead(pr: PullKey): Promise<string | undefined> {
    const { rows } = await this.q(`SELECT sha FROM ${this.s}.heads WHERE repo = $1 AND pull = $2`, [pr.repo, pr.pull]);
    const sha = rows[0]?.sha;
    return typeof sha === 'string' ? sha : undefined;
  }

  async setLatestHead(pr: PullKey, sha: string): Promise<void> {
    await this.q(`INSERT INTO ${this.s}.heads (repo, pull, sha) VALUES ($1, $2, $3) ON CONFLICT (repo, pull) DO UPDATE SET sha = EXCLUDED.sha`, [pr.repo, pr.pull, clip(sha)]);
  }

  async getPullFindings(pr: PullKey): Promise<PullFindings | undefined> {
    const { rows } = await this.q(`SELECT data FROM ${this.s}.pull_findings WHERE repo = $1 AND pull = $2`, [pr.repo, pr.pull]);
    return rows[0] ? decodePullFindings(rows[0].data) : undefined;
  }

  async setPullFindings(pr: PullKey, findings: PullFindings): Promise<void> {
    await this.q(`INSERT INTO ${this.s}.pull_findings (repo, pull, data) VALUES ($1, $2, $3) ON CONFLICT (repo, pull) DO UPDATE SET data = EXCLUDED.data`, [pr.repo, pr.pull, encodePullFindings(findings)]);
  }

  async getStory(repo: string, fingerprint: string): Promise<Story | undefined> {
    const { rows } = await this.q<{ issue_number: unknown; pull: unknown }>(`SELECT issue_number, pull FROM ${this.s}.stories WHERE repo = $1 AND fingerprint = $2`, [repo, fingerprint]);
    return decodeStory(rows[0]);
  }

  async putStory(repo: string, fingerprint: string, story: Story): Promise<void> {
    await this.q(`INSERT INTO ${this.s}.stories (repo, fingerprint, issue_number, pull) VALUES ($1, $2, $3, $4) ON CONFLICT (repo, fingerprint) DO UPDATE SET issue_number = EXCLUDED.issue_number, pull = EXCLUDED.pull`, [repo, clip(fingerprint), story.issueNumber, story.pull]);
  }

  async claimDelivery(id: string): Promise<boolean> {
    const now = this.now();
    if (++this.claims % 256 === 1) await this.q(`DELETE FROM ${this.s}.deliveries WHERE at < $1`, [now - DELIVERY_TTL_MS]);
    // One statement, so two instances receiving the same delivery cannot both claim it.
    const res = await this.q(`INSERT INTO ${this.s}.deliveries (id, at) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET at = EXCLUDED.at WHERE ${this.s}.deliveries.at < $3`, [clip(id), now, now - DELIVERY_TTL_MS]);
    return res.rowCount === 1;
  }

  async releaseDelivery(id: string): Promise<void> {
    await this.q(`DELETE FROM ${this.s}.deliveries WHERE id = $1`, [clip(id)]);
  }

  // --- the engine cache (FragmentCache & GraphCache)

  private decodeFragment(row: Row | undefined): CachedFragment | undefined {
    if (!row) return undefined;
    const data = toBuffer(row.data);
    try {
      if (!data || crc32(data) !== Number(row.sum)) throw new Error('checksum');
      const value: unknown = JSON.parse(data.toString('utf8'));
      if (!isCachedFragment(value)) throw new Error('shape');
      return value;
    } catch {
      this.stats.corrupt++;
      return undefined;
    }
  }

  async get(key: string): Promise<CachedFragment | undefined> {
    return (await this.getMany([key])).get(key);
  }

  async getMany(keys: readonly string[]): Promise<Map<string, CachedFragment>> {
    const out = new Map<string, CachedFragment>();
    const wanted: string[] = [];
    for (const key of keys) {
      const buffered = this.pending.get(key);
      if (buffered) out.set(key, JSON.parse(buffered.toString('utf8')) as CachedFragment);
      else if (!out.has(key)) wanted.push(key);
    }
    for (let i = 0; i < wanted.length; i += 1000) {
      const chunk = [...new Set(wanted.slice(i, i + 1000))];
      const { rows } = await this.q(`SELECT key, data, sum FROM ${this.s}.fragments WHERE key = ANY($1::text[])`, [chunk]);
      const bad: string[] = [];
      for (const row of rows) {
        const hit = this.decodeFragment(row);
        if (hit) {
          out.set(row.key as string, hit);
          this.touched.add(row.key as string);
        } else bad.push(row.key as string);
      }
      // Never trusted again: a damaged row is deleted, so the blob is parsed and stored afresh.
      if (bad.length > 0) await this.q(`DELETE FROM ${this.s}.fragments WHERE key = ANY($1::text[])`, [bad]);
    }
    for (const key of keys) {
      if (out.has(key)) this.stats.fragmentHits++;
      else this.stats.fragmentMisses++;
    }
    if (this.touched.size > 0) this.scheduleFlush();
    return out;
  }

  async set(key: string, entry: CachedFragment): Promise<void> {
    this.pending.set(key, Buffer.from(JSON.stringify(entry), 'utf8'));
    this.touched.delete(key);
    // Back-pressure: a cold build of a large repository must not buffer everything in memory.
    if (this.pending.size >= 500) await this.flush();
    else this.scheduleFlush();
  }

  async getGraph(key: string): Promise<Uint8Array | undefined> {
    const { rows } = await this.q(`SELECT data, sum FROM ${this.s}.graphs WHERE key = $1`, [key]);
    const data = toBuffer(rows[0]?.data);
    if (!rows[0]) {
      this.stats.graphMisses++;
      return undefined;
    }
    if (!data || crc32(data) !== Number(rows[0].sum)) {
      this.stats.corrupt++;
      this.stats.graphMisses++;
      await this.q(`DELETE FROM ${this.s}.graphs WHERE key = $1`, [key]);
      return undefined;
    }
    this.stats.graphHits++;
    await this.q(`UPDATE ${this.s}.graphs SET used = $2 WHERE key = $1`, [key, this.now()]);
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }

  async setGraph(key: string, data: Uint8Array): Promise<void> {
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    await this.q(
      `INSERT INTO ${this.s}.graphs (key, data, sum, size, used) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data, sum = EXCLUDED.sum, size = EXCLUDED.size, used = EXCLUDED.used`,
      [key, buf, crc32(buf), buf.length, this.now()],
    );
    this.writtenSinceEvict += buf.length;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.closed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flush().catch((err: unknown) => this.options.onCacheError?.(err));
    }, this.options.flushDelayMs ?? 50);
    this.flushTimer.unref();
  }

  /** Sends buffered fragments and recency updates, then applies the size bound when due. Calls are serialised. */
  flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const run = this.flushing.then(() => this.writeBuffered());
    this.flushing = run.catch(() => undefined);
    return run;
  }

  private async writeBuffered(): Promise<void> {
    const now = this.now();
    if (this.pending.size > 0) {
      const entries = [...this.pending];
      this.pending.clear();
      const keys = entries.map(([k]) => k);
      const data = entries.map(([, d]) => d);
      await this.q(
        `INSERT INTO ${this.s}.fragments (key, data, sum, size, used)
         SELECT k, d, s, z, $5 FROM unnest($1::text[], $2::bytea[], $3::bigint[], $4::int[]) AS t(k, d, s, z)
         ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data, sum = EXCLUDED.sum, size = EXCLUDED.size, used = EXCLUDED.used`,
        [keys, data, data.map((d) => crc32(d)), data.map((d) => d.length), now],
      );
      for (const d of data) this.writtenSinceEvict += d.length;
    }
    if (this.touched.size > 0) {
      const keys = [...this.touched];
      this.touched.clear();
      await this.q(`UPDATE ${this.s}.fragments SET used = $2 WHERE key = ANY($1::text[])`, [keys, now]);
    }
    const maxBytes = this.options.maxCacheBytes ?? 2 * 1024 ** 3;
    const interval = this.options.evictIntervalMs ?? 60_000;
    if (this.writtenSinceEvict > 0 && (now - this.lastEvict >= interval || this.writtenSinceEvict > maxBytes / 10)) await this.evict(maxBytes);
  }

  /** Keeps the newest graphs and the most recently used fragments under the bound (down to 90%, so it does not run again at once). */
  private async evict(maxBytes: number): Promise<void> {
    await this.init();
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // One instance evicts at a time; the others skip (their next check comes soon enough).
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok', [`threatdiff-evict:${this.s}`]);
      if (!rows[0]?.ok) {
        await client.query('COMMIT');
        return;
      }
      let evicted = (await client.query(`DELETE FROM ${this.s}.graphs WHERE key IN (SELECT key FROM ${this.s}.graphs ORDER BY used DESC, key OFFSET $1)`, [this.options.maxGraphs ?? 64])).rowCount ?? 0;
      const sizes = (await client.query<{ f: string; g: string }>(`SELECT (SELECT COALESCE(SUM(size), 0) FROM ${this.s}.fragments) AS f, (SELECT COALESCE(SUM(size), 0) FROM ${this.s}.graphs) AS g`)).rows[0]!;
      const f = Number(sizes.f);
      const g = Number(sizes.g);
      if (f + g > maxBytes) {
        const target = Math.floor(maxBytes * 0.9);
        // Graphs are few and costly to rebuild: fragments go first; graphs only if they alone exceed the target.
        const keepFragments = Math.max(0, target - g);
        const keep = `SELECT key FROM (SELECT key, SUM(size) OVER (ORDER BY used DESC, key ROWS UNBOUNDED PRECEDING) AS acc FROM ${this.s}.%T) t WHERE acc > $1`;
        evicted += (await client.query(`DELETE FROM ${this.s}.fragments WHERE key IN (${keep.replace('%T', 'fragments')})`, [keepFragments])).rowCount ?? 0;
        if (g > target) evicted += (await client.query(`DELETE FROM ${this.s}.graphs WHERE key IN (${keep.replace('%T', 'graphs')})`, [target])).rowCount ?? 0;
      }
      await client.query('COMMIT');
      this.stats.evicted += evicted;
      this.lastEvict = this.now();
      this.writtenSinceEvict = 0;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.pending.size > 0 || this.touched.size > 0 || this.ready) await this.flush().catch((err: unknown) => this.options.onCacheError?.(err));
    } finally {
      this.closed = true;
      if (this.flushTimer) clearTimeout(this.flushTimer);
      await this.pool.end();
    }
  }

  /** Test hook: a raw query on the store's schema (to damage rows on purpose). */
  async raw(sql: string, params: unknown[] = []): Promise<Row[]> {
    return (await this.q(sql.replaceAll('$schema', this.s), params)).rows;
  }
}

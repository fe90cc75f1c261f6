import { isAbsolute, resolve } from 'node:path';
import { memoryCache } from '../cache/memory.js';
import type { CacheStats } from '../cache/types.js';
import { MemoryStore } from './memory.js';
import { PostgresStore } from './postgres.js';
import { StoreSchemaError, type StoreCache } from './rows.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './types.js';

export type { StoreCache } from './rows.js';
export { StoreSchemaError, StoreUnavailableError } from './rows.js';
export { MemoryStore } from './memory.js';
export { PostgresStore } from './postgres.js';
export { SqliteStore } from './sqlite.js';

/** Where the embedded store lives when THREATDIFF_DB is not set (relative to the working directory). */
export const DEFAULT_DB_PATH = '.threatdiff/threatdiff.db';

export interface StoreBackend {
  kind: 'memory' | 'sqlite' | 'postgres';
  /** PR bookkeeping (acceptances, comments, heads, stories, deliveries). */
  store: Store;
  /** The engine's fragment and analysis cache on the same backend (for the app's `cache` option). */
  cache: StoreCache;
  /** Something the operator should know (a fallback, a rebuilt file): log it at start. */
  warning?: string;
  /** Flushes the cache and closes connections (graceful shutdown). */
  close(): Promise<void>;
}

function megabytes(value: string | undefined): number | undefined {
  const n = Number(value);
  return value && Number.isFinite(n) && n > 0 ? Math.floor(n * 1024 * 1024) : undefined;
}

function memoryBackend(warning?: string): StoreBackend {
  const engine = memoryCache({ maxFragments: 100_000, maxGraphs: 16 });
  const cache: StoreCache = {
    get stats(): CacheStats {
      return engine.stats;
    },
    get: (key) => engine.get(key),
    set: (key, entry) => engine.set(key, entry),
    getGraph: (key) => engine.getGraph(key),
    setGraph: (key, data) => engine.setGraph(key, data),
    flush: () => engine.flush(),
  };
  return { kind: 'memory', store: new MemoryStore(), cache, ...(warning ? { warning } : {}), close: () => engine.close() };
}

/**
 * The app's store, chosen by the environment:
 * - `DATABASE_URL` set: PostgreSQL (schema `THREATDIFF_PG_SCHEMA`, default
 *   `threatdiff`), shared by every instance, fragments and analyses included;
 * - else `THREATDIFF_STORE=memory`: process memory (tests, throwaway runs);
 * - else SQLite at `THREATDIFF_DB` (default `.threatdiff/threatdiff.db`),
 *   falling back to memory with a warning when SQLite cannot be used.
 * `THREATDIFF_CACHE_MAX_MB` bounds the cached fragments and analyses.
 *
 * Synchronous: PostgreSQL connects and migrates on first use (and the app
 * can await `PostgresStore.init()` to fail fast). A store written by a newer
 * threatdiff throws StoreSchemaError rather than being rebuilt.
 */
export function createStore(env: NodeJS.ProcessEnv = process.env): StoreBackend {
  const maxBytes = megabytes(env.THREATDIFF_CACHE_MAX_MB);
  if (env.DATABASE_URL) {
    const store = new PostgresStore({
      connectionString: env.DATABASE_URL,
      ...(env.THREATDIFF_PG_SCHEMA ? { schema: env.THREATDIFF_PG_SCHEMA } : {}),
      ...(maxBytes ? { maxCacheBytes: maxBytes } : {}),
    });
    return { kind: 'postgres', store, cache: store, close: () => store.close() };
  }
  if (env.THREATDIFF_STORE === 'memory') return memoryBackend();
  const file = env.THREATDIFF_DB ? (isAbsolute(env.THREATDIFF_DB) ? env.THREATDIFF_DB : resolve(env.THREATDIFF_DB)) : resolve(DEFAULT_DB_PATH);
  try {
    const store = new SqliteStore({ file, ...(maxBytes ? { cache: { maxBytes } } : {}) });
    return {
      kind: 'sqlite',
      store,
      cache: store,
      ...(store.recovered ? { warning: `the store at ${file} could not be trusted (${store.recovered}); it was moved to ${file}.corrupt and a new one created` } : {}),
      close: () => store.close(),
    };
  } catch (err) {
    if (err instanceof StoreSchemaError) throw err;
    return memoryBackend(`the SQLite store at ${file} cannot be used (${(err as Error).message.split('\n')[0]}); state is kept in memory and lost on restart`);
  }
}

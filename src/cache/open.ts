import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { EngineCache } from './types.js';
import { memoryCache } from './memory.js';
import { sqliteCache } from './sqlite.js';

/** `$XDG_CACHE_HOME/threatdiff`, else `~/.cache/threatdiff` (the XDG base-directory default). */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'threatdiff');
}

export interface OpenedCache {
  cache: EngineCache;
  /** Why the persistent cache is not used, when it is not (shown with --verbose). */
  warning?: string;
}

/**
 * The CLI's cache: SQLite in `dir`; when SQLite cannot be loaded or the folder
 * cannot be written, a process-local memory cache (so a run still parses
 * each blob once) and a warning.
 */
export function openCache(options: { dir: string; maxBytes?: number }): OpenedCache {
  try {
    return { cache: sqliteCache({ dir: options.dir, ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}) }) };
  } catch (err) {
    return { cache: memoryCache(), warning: `cache in ${options.dir} not used: ${(err as Error).message.split('\n')[0]}` };
  }
}

import type { Fragment } from '../model/types.js';

/**
 * The engine's cache: parsed fragments by blob, linked graphs by tree.
 * Separate from the app's `Store` (src/store/types.ts), which holds PR
 * bookkeeping; an app store may implement this too.
 *
 * Nothing read back is trusted: implementations verify a checksum and the
 * engine checks versions and shapes, and anything wrong is a miss.
 */

/** Another file a parse read (OpenAPI `$ref`), with the blob it had then; `null` = absent or unreadable. */
export interface FileDep {
  path: string;
  sha: string | null;
}

/** A parse result: a fragment, or `null` when no parser claims the blob. */
export interface CachedFragment {
  fragment: Fragment | null;
  /** Other files the parse read; the entry is valid only while they are unchanged. */
  deps: FileDep[];
}

export interface FragmentCache {
  get(key: string): Promise<CachedFragment | undefined>;
  set(key: string, entry: CachedFragment): Promise<void>;
  /** Many lookups in one round trip (optional; `get` is used otherwise). */
  getMany?(keys: readonly string[]): Promise<Map<string, CachedFragment>>;
}

export interface GraphCache {
  /** An encoded analysis (see src/engine/analysis-codec.ts), or undefined. */
  getGraph(key: string): Promise<Uint8Array | undefined>;
  setGraph(key: string, data: Uint8Array): Promise<void>;
}

export interface CacheStats {
  fragmentHits: number;
  fragmentMisses: number;
  graphHits: number;
  graphMisses: number;
  /** Entries dropped because their checksum or encoding was wrong. */
  corrupt: number;
  evicted: number;
}

export interface EngineCache extends FragmentCache, GraphCache {
  readonly kind: 'sqlite' | 'memory';
  readonly stats: CacheStats;
  /** Writes buffered entries and applies the size bound. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function emptyStats(): CacheStats {
  return { fragmentHits: 0, fragmentMisses: 0, graphHits: 0, graphMisses: 0, corrupt: 0, evicted: 0 };
}

/** Cheap structural check of a decoded fragment entry: a wrong shape is a miss, never a crash downstream. */
export function isCachedFragment(value: unknown): value is CachedFragment {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { fragment?: unknown; deps?: unknown };
  if (!Array.isArray(v.deps) || !v.deps.every((d) => typeof d === 'object' && d !== null && typeof (d as FileDep).path === 'string' && ((d as FileDep).sha === null || typeof (d as FileDep).sha === 'string'))) return false;
  if (v.fragment === null) return true;
  const f = v.fragment as Partial<Fragment> | undefined;
  return (
    typeof f === 'object' &&
    f !== null &&
    typeof f.file === 'string' &&
    typeof f.format === 'string' &&
    Array.isArray(f.elements) &&
    Array.isArray(f.edges) &&
    Array.isArray(f.refs) &&
    Array.isArray(f.issues) &&
    f.elements.every((e) => typeof e === 'object' && e !== null && typeof e.id === 'string' && typeof e.kind === 'string' && typeof e.name === 'string' && typeof e.attrs === 'object' && e.attrs !== null && typeof e.location === 'object')
  );
}

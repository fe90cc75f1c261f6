import type { CachedFragment, EngineCache } from './types.js';
import { emptyStats } from './types.js';

/**
 * A process-local cache (tests, `--no-cache` runs that still want scan →
 * diff reuse within one process, and the app without a persistent store).
 * Bounded: least recently used entries go first.
 */
export function memoryCache(options: { maxFragments?: number; maxGraphs?: number } = {}): EngineCache {
  const maxFragments = options.maxFragments ?? 200_000;
  const maxGraphs = options.maxGraphs ?? 4;
  const fragments = new Map<string, CachedFragment>();
  const graphs = new Map<string, Uint8Array>();
  const stats = emptyStats();
  const touch = <V>(map: Map<string, V>, key: string, value: V, max: number): void => {
    map.delete(key);
    map.set(key, value);
    while (map.size > max) {
      map.delete(map.keys().next().value!);
      stats.evicted++;
    }
  };
  return {
    kind: 'memory',
    stats,
    async get(key) {
      const hit = fragments.get(key);
      if (hit) {
        stats.fragmentHits++;
        touch(fragments, key, hit, maxFragments);
      } else stats.fragmentMisses++;
      return hit;
    },
    async set(key, entry) {
      touch(fragments, key, entry, maxFragments);
    },
    async getGraph(key) {
      const hit = graphs.get(key);
      if (hit) {
        stats.graphHits++;
        touch(graphs, key, hit, maxGraphs);
      } else stats.graphMisses++;
      return hit;
    },
    async setGraph(key, data) {
      touch(graphs, key, data, maxGraphs);
    },
    async flush() {},
    async close() {},
  };
}

import { createHash } from 'node:crypto';
import type { FileEntry, Snapshot } from './snapshot.js';

/** Git's blob SHA-1 of some bytes, so in-memory snapshots share cache keys with real repositories. */
export function blobSha(content: string): string {
  const bytes = Buffer.from(content, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** A snapshot of files held in memory (tests, benchmarks, tools that already have the bytes). */
export function memorySnapshot(files: Record<string, string>, ref = 'memory', commit?: string): Snapshot {
  const entries: FileEntry[] = Object.entries(files).map(([path, content]) => ({ path, sha: blobSha(content), size: Buffer.byteLength(content) }));
  const byPath = new Map(Object.entries(files));
  return {
    ref,
    commit: commit ?? blobSha(JSON.stringify(entries)),
    list: async () => entries,
    read: async (entry) => byPath.get(entry.path) ?? '',
    readPath: async (path) => byPath.get(path),
  };
}

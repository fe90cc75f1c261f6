import picomatch from 'picomatch';
import pLimit from 'p-limit';
import type { Fragment, Limits, ParseContext, Parser, TreeReader } from '../model/types.js';
import type { CachedFragment, FileDep, FragmentCache } from '../cache/types.js';
import { parsePool, WORKER_MIN_FILES } from './workers.js';
import { DEFAULT_LIMITS } from '../model/types.js';
import { PARSERS } from '../ingest/registry.js';
import type { Config } from '../config/config.js';
import type { FileEntry, Snapshot } from './snapshot.js';

/** File endings any parser may claim; everything else is never read. */
const CANDIDATE = /\.(ya?ml|json|tf)$/i;

/** Changes whenever any parser's output can change for the same bytes. */
export const ENGINE_FINGERPRINT = `threatdiff-1:${PARSERS.map((p) => `${p.id}@${p.version}`).join(',')}`;

export type { CachedFragment, FileDep, FragmentCache } from '../cache/types.js';

export interface IngestStats {
  /** Files that passed the path filters and could be model files. */
  candidates: number;
  /** Files parsed in this run (cache misses). */
  parsed: number;
  /** Files whose fragment came from the fragment cache. */
  cached: number;
  /** Candidate files no parser claimed. */
  ignored: number;
  /** Files whose fragment was reused from a cached or base graph without any lookup. */
  reused?: number;
}

export interface IngestOptions {
  config: Config;
  cache?: FragmentCache;
  limits?: Limits;
  /** Called after each file, for progress bars. */
  onProgress?: (done: number, total: number) => void;
  /** Parse cache misses in this many worker threads (0: in this thread). Default: one per spare core on hosts with 3+ cores, for large cold runs. */
  workers?: number;
}

export function pathFilter(config: Config): (path: string) => boolean {
  const include = config.include.length > 0 ? picomatch(config.include, { dot: true }) : () => true;
  const exclude = config.exclude.length > 0 ? picomatch(config.exclude, { dot: true }) : () => false;
  return (path) => CANDIDATE.test(path) && include(path) && !exclude(path);
}

/** Files a parser may read through `ctx.tree` (for `$ref`): any candidate file of the tree, filtered or not. */
export function treeReadable(path: string): boolean {
  return CANDIDATE.test(path);
}

/** The cache key of a blob at a path: the directory matters for Terraform module identity and spec attachment. */
export function fragmentKey(entry: FileEntry): string {
  const dir = entry.path.includes('/') ? entry.path.slice(0, entry.path.lastIndexOf('/')) : '';
  return `${ENGINE_FINGERPRINT}:${entry.sha}:${dir}`;
}

/** Path -> blob SHA of every file a parser may read, for recording and checking `$ref` dependencies. */
export function readableShas(listing: readonly FileEntry[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const e of listing) if (treeReadable(e.path)) map.set(e.path, e.sha);
  return map;
}

/** Blob SHA by path, for `$ref` targets. */
export type ShaLookup = Pick<ReadonlyMap<string, string>, 'get'>;

/** `readableShas`, built on first use: most pull requests touch no file that reads another. */
export function lazyShas(listing: readonly FileEntry[]): ShaLookup {
  let map: Map<string, string> | undefined;
  return { get: (path) => (map ??= readableShas(listing)).get(path) };
}

/** The list itself when already sorted by path (git lists trees sorted), else a sorted copy. */
export function sortedByPath<T extends { path: string }>(list: readonly T[]): readonly T[] {
  for (let i = 1; i < list.length; i++) if (list[i - 1]!.path > list[i]!.path) return [...list].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return list;
}

/** True when every file a cached parse read still has the blob it had. */
export function depsValid(deps: readonly FileDep[], shas: ShaLookup): boolean {
  for (const d of deps) if ((shas.get(d.path) ?? null) !== d.sha) return false;
  return true;
}

/** The candidate entries of a listing, in path order. */
export function candidateEntries(listing: readonly FileEntry[], config: Config): FileEntry[] {
  const accept = pathFilter(config);
  return sortedByPath(listing.filter((e) => accept(e.path))) as FileEntry[];
}

export interface IngestResult {
  fragments: Fragment[];
  stats: IngestStats;
  entries: FileEntry[];
  /** Files whose parse read other files, with what they read. */
  deps: Map<string, FileDep[]>;
}

/** Parses every model file of a snapshot into fragments, reusing cached fragments by blob SHA. */
export async function ingestSnapshot(snapshot: Snapshot, options: IngestOptions): Promise<IngestResult> {
  const listing = await snapshot.list();
  const entries = candidateEntries(listing, options.config);
  const stats: IngestStats = { candidates: entries.length, parsed: 0, cached: 0, ignored: 0 };
  const results = await ingestEntries(entries, snapshot, readableShas(listing), options, stats);
  const fragments: Fragment[] = [];
  const deps = new Map<string, FileDep[]>();
  for (const r of results) {
    if (r.fragment) fragments.push(r.fragment);
    if (r.deps.length > 0) deps.set(r.path, r.deps);
  }
  stats.ignored = entries.length - fragments.length;
  return { fragments, stats, entries, deps };
}

/**
 * Fragments for some entries of a snapshot: from the cache when the blob (and
 * every file its parse read) is unchanged, else parsed, each distinct blob
 * once. Results are in the order of `entries`.
 */
export async function ingestEntries(
  entries: readonly FileEntry[],
  snapshot: Snapshot,
  shas: ShaLookup,
  options: IngestOptions,
  stats: IngestStats,
): Promise<{ path: string; fragment: Fragment | null; deps: FileDep[] }[]> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const cache = options.cache;
  const keys = entries.map(fragmentKey);
  const hits = cache?.getMany ? await cache.getMany(keys) : undefined;
  const inflight = new Map<string, Promise<CachedFragment>>();
  const out: { path: string; fragment: Fragment | null; deps: FileDep[] }[] = new Array(entries.length);
  const misses: number[] = [];
  let done = 0;
  const progress = () => options.onProgress?.(++done, entries.length);

  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const hit = hits ? hits.get(keys[i]!) : await cache?.get(keys[i]!);
    if (hit && depsValid(hit.deps, shas)) {
      stats.cached++;
      out[i] = { path: entry.path, fragment: hit.fragment === null ? null : relocate(hit.fragment, entry.path), deps: hit.deps };
      progress();
    } else misses.push(i);
  }

  const parseOne = (entry: FileEntry): Promise<CachedFragment> => {
    const deps: FileDep[] = [];
    const tree: TreeReader = {
      read: (path) => {
        const ok = treeReadable(path);
        if (!deps.some((d) => d.path === path)) deps.push({ path, sha: ok ? (shas.get(path) ?? null) : null });
        return ok ? snapshot.readPath(path) : Promise.resolve(undefined);
      },
    };
    return parseEntry(entry, snapshot, { tree, limits }, pool ? (path, content) => pool.parse(path, content, tree).catch((err: Error) => issueFragment(path, 'k8s', 'parser-failed', `parser failed: ${err.message}`)) : undefined).then((fragment) => ({ fragment, deps }));
  };
  if (snapshot.prefetch && misses.length > 0) {
    // Files over the size limit are never read (parseEntry reports them).
    const toRead = misses.map((i) => entries[i]!).filter((e) => e.size <= limits.maxFileBytes);
    await snapshot.prefetch(toRead).catch(() => undefined); // a failed bulk read leaves the files to be read one by one
  }
  const pool = misses.length >= WORKER_MIN_FILES ? await parsePool(options.workers, limits) : undefined;
  const limit = pLimit(pool ? pool.size * 4 : 8);
  try {
    await Promise.all(
      misses.map((i) =>
        limit(async () => {
          const entry = entries[i]!;
          const key = keys[i]!;
          let job = inflight.get(key);
          const first = !job;
          if (!job) {
            job = parseOne(entry);
            inflight.set(key, job);
            stats.parsed++;
          } else stats.cached++;
          const result = await job;
          if (first) await cache?.set(key, result);
          out[i] = { path: entry.path, fragment: result.fragment === null ? null : relocate(result.fragment, entry.path), deps: result.deps };
          progress();
        }),
      ),
    );
  } finally {
    await pool?.close();
  }
  return out;
}

/** Reads and parses one file; never throws. */
export async function parseEntry(
  entry: FileEntry,
  snapshot: Snapshot,
  ctx: ParseContext,
  parse: (path: string, content: string) => Promise<Fragment | null> = (path, content) => parseContent(path, content, ctx),
): Promise<Fragment | null> {
  if (entry.size > ctx.limits.maxFileBytes) {
    if (!/\.(ya?ml|tf)$/i.test(entry.path)) return null; // large JSON is usually data, not a model file
    return issueFragment(entry.path, entry.path.endsWith('.tf') ? 'terraform' : 'k8s', 'file-too-large', `file is ${entry.size} bytes, over the ${ctx.limits.maxFileBytes}-byte limit: not analysed`);
  }
  let content: string;
  try {
    content = await snapshot.read(entry);
  } catch (err) {
    return issueFragment(entry.path, 'k8s', 'read-failed', `could not read the file: ${(err as Error).message}`);
  }
  return parse(entry.path, content);
}

/** Detects the format and parses; a parser failure becomes an error entry, never an exception. */
export async function parseContent(path: string, content: string, ctx: ParseContext, parsers: readonly Parser[] = PARSERS): Promise<Fragment | null> {
  const parser = parsers.find((p) => safeDetect(p, path, content));
  if (!parser) return null;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`parsing took longer than ${ctx.limits.parseTimeoutMs} ms`)), ctx.limits.parseTimeoutMs);
    });
    return await Promise.race([parser.parse(path, content, ctx), timeout]);
  } catch (err) {
    return issueFragment(path, parser.id, 'parser-failed', `${parser.id} parser failed: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

function safeDetect(parser: Parser, path: string, content: string): boolean {
  try {
    return parser.detect(path, content);
  } catch {
    return false;
  }
}

export function issueFragment(file: string, format: Fragment['format'], code: string, message: string): Fragment {
  return { file, format, elements: [], edges: [], refs: [], issues: [{ file, level: 'error', code, message }] };
}

/** A cached fragment parsed at another path (same blob, same directory): point its locations at this path. */
function relocate(fragment: Fragment, path: string): Fragment {
  if (fragment.file === path) return fragment;
  const from = fragment.file;
  const fix = <T extends { file: string }>(loc: T): T => (loc.file === from ? { ...loc, file: path } : loc);
  return {
    ...fragment,
    file: path,
    elements: fragment.elements.map((e) => ({ ...e, location: fix(e.location) })),
    edges: fragment.edges.map((e) => ({ ...e, location: fix(e.location) })),
    refs: fragment.refs.map((r) => ({ ...r, edge: { ...r.edge, location: fix(r.edge.location) } })) as Fragment['refs'],
    issues: fragment.issues.map(fix),
  };
}

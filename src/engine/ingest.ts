import picomatch from 'picomatch';
import pLimit from 'p-limit';
import type { Fragment, Limits, ParseContext, Parser, TreeReader } from '../model/types.js';
import { DEFAULT_LIMITS } from '../model/types.js';
import { PARSERS } from '../ingest/registry.js';
import type { Config } from '../config/config.js';
import type { FileEntry, Snapshot } from './snapshot.js';

/** File endings any parser may claim; everything else is never read. */
const CANDIDATE = /\.(ya?ml|json|tf)$/i;

/** Changes whenever any parser's output can change for the same bytes. */
export const ENGINE_FINGERPRINT = `threatdiff-1:${PARSERS.map((p) => `${p.id}@${p.version}`).join(',')}`;

/** Cached parse result: a fragment, or `null` when no parser claims the blob. */
export interface FragmentCache {
  get(key: string): Promise<Fragment | null | undefined>;
  set(key: string, fragment: Fragment | null): Promise<void>;
}

export interface IngestStats {
  /** Files that passed the path filters and could be model files. */
  candidates: number;
  /** Files parsed in this run (cache misses). */
  parsed: number;
  /** Files whose fragment came from the cache. */
  cached: number;
  /** Candidate files no parser claimed. */
  ignored: number;
}

export interface IngestOptions {
  config: Config;
  cache?: FragmentCache;
  limits?: Limits;
  /** Called after each file, for progress bars. */
  onProgress?: (done: number, total: number) => void;
}

export function pathFilter(config: Config): (path: string) => boolean {
  const include = config.include.length > 0 ? picomatch(config.include, { dot: true }) : () => true;
  const exclude = config.exclude.length > 0 ? picomatch(config.exclude, { dot: true }) : () => false;
  return (path) => CANDIDATE.test(path) && include(path) && !exclude(path);
}

/** The cache key of a blob at a path: the directory matters for Terraform module identity and spec attachment. */
export function fragmentKey(entry: FileEntry): string {
  const dir = entry.path.includes('/') ? entry.path.slice(0, entry.path.lastIndexOf('/')) : '';
  return `${ENGINE_FINGERPRINT}:${entry.sha}:${dir}`;
}

/** Parses every model file of a snapshot into fragments, reusing cached fragments by blob SHA. */
export async function ingestSnapshot(snapshot: Snapshot, options: IngestOptions): Promise<{ fragments: Fragment[]; stats: IngestStats; entries: FileEntry[] }> {
  const accept = pathFilter(options.config);
  const entries = (await snapshot.list()).filter((e) => accept(e.path)).sort((a, b) => (a.path < b.path ? -1 : 1));
  const limits = options.limits ?? DEFAULT_LIMITS;
  const tree: TreeReader = { read: (path) => (accept(path) || CANDIDATE.test(path) ? snapshot.readPath(path) : Promise.resolve(undefined)) };
  const ctx: ParseContext = { tree, limits };
  const stats: IngestStats = { candidates: entries.length, parsed: 0, cached: 0, ignored: 0 };
  const limit = pLimit(8);
  let done = 0;
  const results = await Promise.all(
    entries.map((entry) =>
      limit(async () => {
        const fragment = await fragmentFor(entry, snapshot, ctx, options.cache, stats);
        options.onProgress?.(++done, entries.length);
        return fragment;
      }),
    ),
  );
  const fragments = results.filter((f): f is Fragment => f !== null);
  stats.ignored = entries.length - fragments.length;
  return { fragments, stats, entries };
}

async function fragmentFor(entry: FileEntry, snapshot: Snapshot, ctx: ParseContext, cache: FragmentCache | undefined, stats: IngestStats): Promise<Fragment | null> {
  const key = fragmentKey(entry);
  const hit = await cache?.get(key);
  if (hit !== undefined) {
    stats.cached++;
    return hit === null ? null : relocate(hit, entry.path);
  }
  stats.parsed++;
  const fragment = await parseEntry(entry, snapshot, ctx);
  await cache?.set(key, fragment);
  return fragment;
}

/** Reads and parses one file; never throws. */
export async function parseEntry(entry: FileEntry, snapshot: Snapshot, ctx: ParseContext): Promise<Fragment | null> {
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
  return parseContent(entry.path, content, ctx);
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

function issueFragment(file: string, format: Fragment['format'], code: string, message: string): Fragment {
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

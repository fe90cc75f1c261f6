import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract } from 'tar-stream';
import { DEFAULT_LIMITS } from '../model/types.js';
import type { Octokit } from './octokit.js';
import type { RepoRef } from './snapshot.js';

/**
 * A commit's files from one tarball request (`GET /repos/{owner}/{repo}/tarball/{ref}`)
 * instead of one git-data request per blob. GitHub answers 302 to codeload
 * (github.com) or its own host (GHES); fetch follows it, and Octokit counts
 * one request. The archive is streamed: gunzip → tar entries, each hashed as
 * git hashes a blob, only the contents asked for are kept.
 */

/** More blobs to fetch than this for one snapshot: read the commit's tarball instead. */
export const DEFAULT_TARBALL_THRESHOLD = 100;
/** Uncompressed bytes read from one archive at most (a repository bigger than this is read blob by blob). */
export const DEFAULT_TARBALL_MAX_BYTES = 1024 ** 3;
/** Contents kept from one archive at most: past it, files are read blob by blob. */
export const DEFAULT_TARBALL_MAX_KEPT_BYTES = 256 * 1024 ** 2;
/** One archive download may take this long, body included. */
export const TARBALL_TIMEOUT_MS = 10 * 60 * 1000;

export interface TarballSettings {
  /** Blobs missing for one snapshot above which the tarball is read; 0: never read a tarball. */
  threshold: number;
  /** Uncompressed bytes read from one archive at most. */
  maxBytes: number;
  /** Largest file whose content is kept (the engine does not read bigger files). */
  maxFileBytes: number;
  /** Kept contents, in bytes, at most. */
  maxKeptBytes: number;
}

/** Defaults, with `THREATDIFF_TARBALL_THRESHOLD` and `THREATDIFF_TARBALL_MAX_BYTES` from the environment (non-negative integers). */
export function tarballSettings(env: NodeJS.ProcessEnv = process.env): TarballSettings {
  return {
    threshold: count(env.THREATDIFF_TARBALL_THRESHOLD, DEFAULT_TARBALL_THRESHOLD),
    maxBytes: count(env.THREATDIFF_TARBALL_MAX_BYTES, DEFAULT_TARBALL_MAX_BYTES),
    maxFileBytes: DEFAULT_LIMITS.maxFileBytes,
    maxKeptBytes: DEFAULT_TARBALL_MAX_KEPT_BYTES,
  };
}

function count(text: string | undefined, fallback: number): number {
  if (text === undefined || !/^\s*\d+\s*$/.test(text)) return fallback;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : fallback;
}

/** A regular file of the archive, named as in the repository (top directory stripped). */
export interface ArchiveFile {
  path: string;
  /** Git blob SHA of the bytes in the archive. */
  sha: string;
  size: number;
}

export interface ScanOptions {
  /** List every regular file (hashing each); otherwise only the files `keep` accepts are hashed. */
  list: boolean;
  /** Whether to keep a file's content (files over `maxFileBytes`, or past `maxKeptBytes`, never are). */
  keep(path: string): boolean;
  /** The blob SHA a kept file must have (the listing's); undefined: any. A mismatch is not kept. */
  expected(path: string): string | undefined;
  maxBytes: number;
  maxFileBytes: number;
  maxKeptBytes: number;
}

export interface ArchiveScan {
  /** Every regular file, when listing. */
  files: ArchiveFile[];
  /** Kept contents by blob SHA. */
  contents: Map<string, string>;
  /** Files wanted whose bytes did not hash to the expected SHA (export-subst, eol conversion, LFS). */
  mismatched: number;
  /** Entries that are not regular files under the top directory (directories excluded): links, devices, odd paths. */
  skipped: number;
  /** Uncompressed bytes read. */
  bytes: number;
  /** Why the scan stopped early; what was read before stays valid (every kept content is verified by its SHA). */
  error?: string;
}

class ArchiveTooLarge extends Error {}

/**
 * Reads a gzipped tar archive as GitHub serves it (`owner-repo-sha7/` top
 * directory). Never throws: a corrupt, truncated or oversized archive ends
 * the scan with `error` set.
 */
export async function scanTarball(source: AsyncIterable<Uint8Array> | Readable, options: ScanOptions): Promise<ArchiveScan> {
  const scan: ArchiveScan = { files: [], contents: new Map(), mismatched: 0, skipped: 0, bytes: 0 };
  let kept = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      scan.bytes += chunk.length;
      if (scan.bytes > options.maxBytes) done(new ArchiveTooLarge(`the archive is over ${options.maxBytes} bytes uncompressed`));
      else done(null, chunk);
    },
  });
  const extract = tarExtract();
  const input = source instanceof Readable ? source : Readable.from(source);
  // Errors anywhere in the chain end the iteration below with that error.
  const piping = pipeline(input, createGunzip(), counter, extract as unknown as NodeJS.WritableStream);
  piping.catch(() => undefined); // reported through the iteration
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const path = h.type === 'file' ? repoPath(h.name) : undefined;
      if (path === undefined) {
        if (h.type !== 'directory') scan.skipped++;
        entry.resume();
        continue;
      }
      const size = h.size ?? 0;
      const keep = size <= options.maxFileBytes && kept + size <= options.maxKeptBytes && options.keep(path);
      if (!keep && !options.list) {
        entry.resume();
        continue;
      }
      const hash = createHash('sha1').update(`blob ${size}\0`);
      const chunks: Buffer[] = [];
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        hash.update(chunk);
        if (keep) chunks.push(chunk);
      }
      const sha = hash.digest('hex');
      if (options.list) scan.files.push({ path, sha, size });
      if (!keep) continue;
      const want = options.expected(path);
      if (want !== undefined && want !== sha) {
        scan.mismatched++;
        continue;
      }
      kept += size;
      scan.contents.set(sha, Buffer.concat(chunks).toString('utf8'));
    }
    await piping;
  } catch (err) {
    scan.error = err instanceof ArchiveTooLarge ? err.message : `the archive could not be read: ${(err as Error)?.message ?? String(err)}`;
    input.destroy();
  }
  return scan;
}

/** The path inside the repository: the top directory stripped; undefined for the top directory itself or a path that could escape it. */
export function repoPath(name: string): string | undefined {
  const slash = name.indexOf('/');
  if (slash < 0) return undefined;
  const path = name.slice(slash + 1);
  if (path === '' || path.startsWith('/')) return undefined;
  const parts = path.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return undefined;
  return path;
}

/**
 * The commit's gzipped tarball, as a stream. One API request; the redirect
 * to codeload (or GHES's own host) is followed by fetch.
 */
export async function downloadTarball(octokit: Octokit, at: RepoRef, commit: string, timeoutMs = TARBALL_TIMEOUT_MS): Promise<Readable> {
  const { data } = await octokit.rest.repos.downloadTarballArchive({
    ...at,
    ref: commit,
    // Keep the body a stream: Octokit would otherwise buffer the whole archive.
    request: { parseSuccessResponseBody: false, signal: AbortSignal.timeout(timeoutMs) },
  });
  const body = data as unknown;
  if (body instanceof ReadableStream) return Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>);
  // A custom fetch may have answered with bytes already.
  if (body instanceof ArrayBuffer) return Readable.from([Buffer.from(body)]);
  if (Buffer.isBuffer(body)) return Readable.from([body]);
  throw new Error('GitHub answered the tarball request without a body');
}

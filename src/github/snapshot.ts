import type { Logger } from 'probot';
import type { FileEntry, Snapshot } from '../engine/snapshot.js';
import { treeReadable } from '../engine/ingest.js';
import type { ParseIssue } from '../model/types.js';
import { downloadTarball, scanTarball, tarballSettings, type ArchiveScan, type ScanOptions, type TarballSettings } from './archive.js';
import type { Octokit } from './octokit.js';

export interface RepoRef {
  owner: string;
  repo: string;
}

export interface BlobReaderOptions {
  /** Structured log of tarball reads (counts and timings, never contents). */
  log?: Pick<Logger, 'info' | 'warn'>;
  /** When to read a commit's tarball instead of its blobs (default: `tarballSettings()`, from the environment). */
  tarball?: Partial<TarballSettings>;
}

/**
 * Reads git blobs by SHA through the git data API, each at most once per
 * run: base and head share one reader, so a file unchanged by the PR costs
 * one request, and a file read twice (config, `$ref`) costs nothing more.
 * When a snapshot needs many blobs (a cold first analysis), one tarball
 * request replaces them (`prefetch`).
 */
export class BlobReader {
  private readonly memo = new Map<string, Promise<string>>();
  /** Blobs seeded from a tarball and not read yet: their first read is the tarball's, not a reuse. */
  private readonly fromTarball = new Set<string>();
  private readonly settings: TarballSettings;
  private readonly log: Pick<Logger, 'info' | 'warn'> | undefined;
  /** Blobs requested from GitHub, reads answered from memory, tarballs downloaded and the files they supplied. */
  readonly stats = { fetched: 0, reused: 0, tarballs: 0, tarballFiles: 0 };

  constructor(private readonly octokit: Octokit, private readonly at: RepoRef, options: BlobReaderOptions = {}) {
    this.settings = { ...tarballSettings(), ...options.tarball };
    this.log = options.log;
  }

  read(sha: string): Promise<string> {
    const known = this.memo.get(sha);
    if (known) {
      if (!this.fromTarball.delete(sha)) this.stats.reused++;
      return known;
    }
    this.stats.fetched++;
    const pending = this.octokit.rest.git.getBlob({ ...this.at, file_sha: sha }).then(({ data }) => decode(data.content, data.encoding));
    // A failed read may succeed later (another run); do not memoise the failure.
    pending.catch(() => this.memo.delete(sha));
    this.memo.set(sha, pending);
    return pending;
  }

  /** Content already fetched another way (the contents API), keyed by its blob SHA. */
  seed(sha: string, content: string): void {
    if (!this.memo.has(sha)) this.memo.set(sha, Promise.resolve(content));
  }

  /**
   * Before a snapshot reads `entries`: when more of their blobs than the
   * threshold are not in memory, reads them all from the commit's tarball
   * (one request). Never throws; a failed tarball leaves the blobs to be read
   * one by one and returns a warning for the report.
   */
  async prefetch(commit: string, entries: readonly FileEntry[]): Promise<ParseIssue | undefined> {
    const wanted = new Map<string, string>();
    for (const e of entries) if (!this.memo.has(e.sha) && e.size <= this.settings.maxFileBytes) wanted.set(e.path, e.sha);
    const missing = new Set(wanted.values()).size;
    if (this.settings.threshold === 0 || missing <= this.settings.threshold) return undefined;
    const scan = await this.readTarball(commit, 'prefetch', { list: false, keep: (path) => wanted.has(path), expected: (path) => wanted.get(path) }, missing);
    if (!scan.error) return undefined;
    return {
      file: '',
      level: 'warning',
      code: 'tarball-failed',
      message: `could not read ${missing} files of ${commit.slice(0, 12)} from its tarball (${scan.error}): ${Math.max(0, missing - scan.contents.size)} of them are read one by one instead, one API call each`,
    };
  }

  /**
   * Lists a commit from its tarball (paths, blob SHAs computed from the bytes,
   * sizes) when its tree listing was truncated, keeping the contents of the
   * files a parser may read. `partial`: the truncated listing, whose SHAs win
   * where both name a path. Undefined when tarballs are off; `error` when the
   * tarball failed.
   */
  async listFromTarball(commit: string, partial: readonly FileEntry[]): Promise<{ entries: FileEntry[] } | { error: string } | undefined> {
    if (this.settings.threshold === 0) return undefined;
    const known = new Map(partial.map((e) => [e.path, e.sha]));
    const scan = await this.readTarball(commit, 'listing', { list: true, keep: treeReadable, expected: (path) => known.get(path) });
    if (scan.error) return { error: scan.error };
    // Files the archive leaves out (`export-ignore`) but the partial listing names stay listed.
    const byPath = new Map(partial.map((e) => [e.path, e]));
    for (const f of scan.files) if (!byPath.has(f.path)) byPath.set(f.path, f);
    return { entries: [...byPath.values()] };
  }

  private async readTarball(commit: string, purpose: 'prefetch' | 'listing', options: Pick<ScanOptions, 'list' | 'keep' | 'expected'>, wanted?: number): Promise<ArchiveScan> {
    const started = performance.now();
    const where = { owner: this.at.owner, repo: this.at.repo, commit, purpose, ...(wanted !== undefined ? { wanted } : {}) };
    this.stats.tarballs++;
    let scan: ArchiveScan;
    try {
      const body = await downloadTarball(this.octokit, this.at, commit);
      scan = await scanTarball(body, { ...options, maxBytes: this.settings.maxBytes, maxFileBytes: this.settings.maxFileBytes, maxKeptBytes: this.settings.maxKeptBytes });
    } catch (err) {
      const status = (err as { status?: unknown })?.status;
      scan = { files: [], contents: new Map(), mismatched: 0, skipped: 0, bytes: 0, error: `${typeof status === 'number' ? `GitHub answered ${status}: ` : ''}${String((err as Error)?.message ?? err).split('\n')[0]!.slice(0, 200)}` };
    }
    // Every kept content hashed to its SHA: valid even when the scan stopped early.
    for (const [sha, content] of scan.contents) {
      if (this.memo.has(sha)) continue;
      this.memo.set(sha, Promise.resolve(content));
      this.fromTarball.add(sha);
    }
    this.stats.tarballFiles += scan.contents.size;
    const figures = { ...where, kept: scan.contents.size, listed: scan.files.length, mismatched: scan.mismatched, skipped: scan.skipped, bytes: scan.bytes, ms: Math.round(performance.now() - started) };
    if (scan.error) this.log?.warn({ ...figures, reason: scan.error }, `tarball of ${commit.slice(0, 12)} failed: reading blobs one by one`);
    else this.log?.info(figures, `read ${scan.contents.size} files of ${commit.slice(0, 12)} from its tarball`);
    return scan;
  }
}

export function decode(content: string, encoding: string): string {
  return encoding === 'base64' ? Buffer.from(content, 'base64').toString('utf8') : content;
}

/** A tree at one commit, listed with one recursive tree request (remembered by commit). `issues` says when the listing, or a bulk read, fell short. */
export interface GitHubSnapshot extends Snapshot {
  issues: ParseIssue[];
  prefetch(entries: readonly FileEntry[]): Promise<void>;
}

interface Listing {
  entries: FileEntry[];
  byPath: Map<string, FileEntry>;
  issues: ParseIssue[];
}

/** Listings kept per owner (the app's cache): enough for the bases of the PRs being worked on. */
const LISTINGS_KEPT = 8;
/** A commit's tree never changes: listed once per owner, a PR's base costs no tree request after the first PR on it. */
const listings = new WeakMap<object, Map<string, Promise<Listing>>>();

function remembered(owner: object | undefined, key: string, fetch: () => Promise<Listing>): Promise<Listing> {
  if (!owner) return fetch();
  let memo = listings.get(owner);
  if (!memo) listings.set(owner, (memo = new Map()));
  const known = memo.get(key);
  if (known) {
    memo.delete(key);
    memo.set(key, known);
    return known;
  }
  const pending = fetch();
  const forget = () => {
    if (memo.get(key) === pending) memo.delete(key);
  };
  // A failed or incomplete listing (truncated, tarball failed too) may succeed later.
  pending.then((l) => l.issues.length > 0 && forget(), forget);
  memo.set(key, pending);
  while (memo.size > LISTINGS_KEPT) memo.delete(memo.keys().next().value!);
  return pending;
}

/**
 * `memo`: an object whose lifetime bounds the remembered listings (the app's
 * engine cache); without it every snapshot lists its tree. A truncated tree
 * (over 100,000 entries or 7 MB) is listed from the commit's tarball instead.
 */
export function githubSnapshot(octokit: Octokit, at: RepoRef, ref: string, commit: string, blobs: BlobReader, memo?: object): GitHubSnapshot {
  let listing: Promise<Listing> | undefined;
  const issues: ParseIssue[] = [];
  const fetch = () =>
    octokit.rest.git.getTree({ ...at, tree_sha: commit, recursive: '1' }).then(async ({ data }) => {
      const found: ParseIssue[] = [];
      let entries: FileEntry[] = [];
      for (const item of data.tree) {
        // Submodules (commit) are not ours to read; symlinks (120000) hold a path, not a model.
        if (item.type !== 'blob' || item.mode === '120000' || !item.path || !item.sha) continue;
        entries.push({ path: item.path, sha: item.sha, size: item.size ?? 0 });
      }
      if (data.truncated) {
        const full = await blobs.listFromTarball(commit, entries);
        if (full && 'entries' in full) entries = full.entries;
        else {
          const why = full ? `; reading its tarball instead failed too (${full.error})` : '';
          found.push({
            file: '',
            level: 'error',
            code: 'tree-truncated',
            message: `GitHub truncated the file listing of ${commit.slice(0, 12)} (over 100,000 entries or 7 MB)${why}: files past the cut were not analysed; narrow the analysis with include/exclude in .github/threatdiff.yml`,
          });
        }
      }
      return { entries, byPath: new Map(entries.map((e) => [e.path, e])), issues: found };
    });
  const load = () =>
    (listing ??= remembered(memo, `${at.owner}/${at.repo}@${commit}`, fetch).then((l) => {
      issues.push(...l.issues);
      return l;
    }));
  return {
    ref,
    commit,
    issues,
    async list() {
      return (await load()).entries;
    },
    read(entry) {
      return blobs.read(entry.sha);
    },
    async readPath(path) {
      const entry = (await load()).byPath.get(path);
      return entry ? blobs.read(entry.sha) : undefined;
    },
    async prefetch(entries) {
      const issue = await blobs.prefetch(commit, entries);
      if (issue) issues.push(issue);
    },
  };
}

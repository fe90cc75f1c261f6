import type { FileEntry, Snapshot } from '../engine/snapshot.js';
import type { ParseIssue } from '../model/types.js';
import type { Octokit } from './octokit.js';

export interface RepoRef {
  owner: string;
  repo: string;
}

/**
 * Reads git blobs by SHA through the git data API, each at most once per
 * run: base and head share one reader, so a file unchanged by the PR costs
 * one request, and a file read twice (config, `$ref`) costs nothing more.
 */
export class BlobReader {
  private readonly memo = new Map<string, Promise<string>>();
  /** Blobs requested from GitHub, and reads answered from memory. */
  readonly stats = { fetched: 0, reused: 0 };

  constructor(private readonly octokit: Octokit, private readonly at: RepoRef) {}

  read(sha: string): Promise<string> {
    const known = this.memo.get(sha);
    if (known) {
      this.stats.reused++;
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
}

export function decode(content: string, encoding: string): string {
  return encoding === 'base64' ? Buffer.from(content, 'base64').toString('utf8') : content;
}

/** A tree at one commit, listed with one recursive tree request (remembered by commit). `issues` says when the listing is incomplete. */
export interface GitHubSnapshot extends Snapshot {
  issues: ParseIssue[];
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
  pending.catch(() => memo.delete(key)); // a failed listing may succeed later
  memo.set(key, pending);
  while (memo.size > LISTINGS_KEPT) memo.delete(memo.keys().next().value!);
  return pending;
}

/**
 * `memo`: an object whose lifetime bounds the remembered listings (the app's
 * engine cache); without it every snapshot lists its tree.
 */
export function githubSnapshot(octokit: Octokit, at: RepoRef, ref: string, commit: string, blobs: BlobReader, memo?: object): GitHubSnapshot {
  let listing: Promise<Listing> | undefined;
  const issues: ParseIssue[] = [];
  const fetch = () =>
    octokit.rest.git.getTree({ ...at, tree_sha: commit, recursive: '1' }).then(({ data }) => {
      const found: ParseIssue[] = [];
      if (data.truncated) {
        found.push({
          file: '',
          level: 'error',
          code: 'tree-truncated',
          message: `GitHub truncated the file listing of ${commit.slice(0, 12)} (over 100,000 entries or 7 MB): files past the cut were not analysed; narrow the analysis with include/exclude in .github/threatdiff.yml`,
        });
      }
      const entries: FileEntry[] = [];
      for (const item of data.tree) {
        // Submodules (commit) are not ours to read; symlinks (120000) hold a path, not a model.
        if (item.type !== 'blob' || item.mode === '120000' || !item.path || !item.sha) continue;
        entries.push({ path: item.path, sha: item.sha, size: item.size ?? 0 });
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
  };
}

import type { AcceptedRisk } from '../config/config.js';

/**
 * What the GitHub App remembers between webhooks. Small on purpose: an
 * in-memory implementation (memory.ts) for one process and tests, and
 * SQL-backed ones (SQLite, PostgreSQL) for several instances or restarts.
 *
 * Conventions every implementation follows:
 * - `repo` is the repository's full name, lower-cased by the caller (`octo/shop`).
 * - A pull request is `{ repo, pull }` (its number).
 * - Every method is async and idempotent; writes replace, never append twice.
 * - Nothing here holds file contents: only ids, SHAs, numbers and short texts.
 */
export interface PullKey {
  repo: string;
  pull: number;
}

/** A risk accepted by a slash command (`/threatdiff accept TD-… <reason>`). */
export interface Acceptance extends AcceptedRisk {
  /** Who accepted (GitHub login) and when (ISO 8601): always set for slash-command acceptances. */
  by: string;
  at: string;
}

/** The sticky summary comment of a PR and a digest of what it last said. */
export interface StickyComment {
  commentId: number;
  /** Digest of the findings the comment describes; unchanged digest = no edit. */
  digest: string;
}

/** A security-story issue opened for one finding fingerprint. */
export interface Story {
  issueNumber: number;
  /** The PR whose analysis opened it. */
  pull: number;
  /** Set when the app closed it because a merge into the default branch resolved the finding. */
  closedBy?: number;
}

/** The last published analysis of a PR, in brief: what a later push may resolve, and what merging it resolves. */
export interface PullFindings {
  head: string;
  /** New findings at that head. */
  findings: { id: string; title: string; severity: string }[];
  /** Ids of findings of the base that this head no longer has (merging the PR resolves them). Optional: stores written before it existed. */
  resolved?: string[];
}

export interface Store {
  /** Acceptances recorded for a repository, oldest first. */
  listAcceptances(repo: string): Promise<Acceptance[]>;
  /** Records an acceptance; replaces an earlier one with the same `id`. */
  putAcceptance(repo: string, acceptance: Acceptance): Promise<void>;
  /** Withdraws an acceptance; false when there was none with that id. */
  removeAcceptance(repo: string, id: string): Promise<boolean>;

  /** Finding ids (`TD-…`) already posted as review comments on this PR, on any commit. */
  listCommentedFindings(pr: PullKey): Promise<string[]>;
  addCommentedFindings(pr: PullKey, ids: readonly string[]): Promise<void>;

  getStickyComment(pr: PullKey): Promise<StickyComment | undefined>;
  setStickyComment(pr: PullKey, sticky: StickyComment): Promise<void>;

  /** The newest head SHA seen for a PR (from webhooks or the API): older analyses must not publish. */
  getLatestHead(pr: PullKey): Promise<string | undefined>;
  setLatestHead(pr: PullKey, sha: string): Promise<void>;

  /** New findings of the PR's last published analysis (at most a few hundred). */
  getPullFindings(pr: PullKey): Promise<PullFindings | undefined>;
  setPullFindings(pr: PullKey, findings: PullFindings): Promise<void>;

  /** The story issue opened for a finding fingerprint in a repository, if any. */
  getStory(repo: string, fingerprint: string): Promise<Story | undefined>;
  putStory(repo: string, fingerprint: string, story: Story): Promise<void>;

  /**
   * Claims a webhook delivery id (`X-GitHub-Delivery`): true the first time,
   * false for a redelivery. Implementations may forget ids after a day.
   */
  claimDelivery(id: string): Promise<boolean>;
  /** Gives a claimed delivery back (its work could not be queued), so a redelivery is handled. */
  releaseDelivery(id: string): Promise<void>;
}

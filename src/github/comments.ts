import type { Graph, Threat } from '../model/graph.js';
import type { Report } from '../model/report.js';
import { atLeast, type Config } from '../config/config.js';
import type { PullKey, Store } from '../store/types.js';
import { findingMarkersIn, reviewBody, reviewCommentBody, STICKY_MARKER } from './messages.js';
import { isHttpError, type Octokit } from './octokit.js';
import type { ChangedFile } from './pr-files.js';
import type { RepoRef } from './snapshot.js';

/** Review comments per run; the summary lists every finding anyway. */
export const MAX_REVIEW_COMMENTS = 20;

export type StickyResult = 'created' | 'edited' | 'unchanged' | 'skipped';

/**
 * Creates or edits the PR's one summary comment. Found by the store's id or,
 * when the store has none (new store, another instance), by the hidden
 * marker in a comment the app wrote. Never a second comment; no edit when
 * the digest is unchanged; no new comment in `on-change` mode when there is
 * nothing to say (and then no search either: a lost store may leave an old
 * comment unedited until there is news).
 */
export async function upsertStickyComment(
  octokit: Octokit,
  at: RepoRef,
  pr: PullKey,
  store: Store,
  input: { mode: Config['comments']; body: string; digest: string; hasNews: boolean },
): Promise<StickyResult> {
  if (input.mode === 'off') return 'skipped';
  let known = await store.getStickyComment(pr);
  // Nothing to say and, as far as the store knows, nothing said before: no need to look.
  if (!known && input.mode === 'on-change' && !input.hasNews) return 'skipped';
  if (!known) {
    const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...at, issue_number: pr.pull, per_page: 100 });
    const mine = comments.find((c) => c.user?.type === 'Bot' && c.body?.includes(STICKY_MARKER));
    if (mine) known = { commentId: mine.id, digest: /<!-- threatdiff:digest ([0-9a-f]+) -->/.exec(mine.body ?? '')?.[1] ?? '' };
  }
  if (known && known.digest === input.digest) {
    await store.setStickyComment(pr, known);
    return 'unchanged';
  }
  if (known) {
    try {
      await octokit.rest.issues.updateComment({ ...at, comment_id: known.commentId, body: input.body });
      await store.setStickyComment(pr, { commentId: known.commentId, digest: input.digest });
      return 'edited';
    } catch (err) {
      if (!isHttpError(err, 404)) throw err; // deleted by someone: post a new one below
    }
  }
  if (input.mode === 'on-change' && !input.hasNews) return 'skipped';
  const { data } = await octokit.rest.issues.createComment({ ...at, issue_number: pr.pull, body: input.body });
  await store.setStickyComment(pr, { commentId: data.id, digest: input.digest });
  return 'created';
}

export interface ReviewCandidate {
  threat: Threat;
  path: string;
  line: number;
}

/** New, unaccepted high or critical findings on a head line inside the diff: the only ones worth interrupting a reviewer for. */
export function reviewCandidates(report: Report, files: readonly ChangedFile[]): ReviewCandidate[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const out: ReviewCandidate[] = [];
  for (const t of report.threats) {
    if (t.status !== 'new' || t.accepted || !atLeast(t.severity, 'high')) continue;
    const file = byPath.get(t.location.file);
    if (file && file.diffLines.has(t.location.line)) out.push({ threat: t, path: t.location.file, line: t.location.line });
  }
  return out;
}

/**
 * Posts one review with a comment per candidate not commented on before in
 * this PR (store, then markers in the PR's review comments). A position
 * GitHub rejects (422) degrades: the finding stays in the summary only.
 */
export async function postReview(
  octokit: Octokit,
  at: RepoRef,
  pr: PullKey,
  headSha: string,
  candidates: readonly ReviewCandidate[],
  head: Graph,
  store: Store,
): Promise<{ posted: string[]; degraded: string[] }> {
  const done = new Set(await store.listCommentedFindings(pr));
  let todo = candidates.filter((c) => !done.has(c.threat.id));
  if (todo.length === 0) return { posted: [], degraded: [] };
  const existing = await octokit.paginate(octokit.rest.pulls.listReviewComments, { ...at, pull_number: pr.pull, per_page: 100 });
  const marked = existing.flatMap((c) => findingMarkersIn(c.body));
  if (marked.length > 0) await store.addCommentedFindings(pr, marked);
  todo = todo.filter((c) => !marked.includes(c.threat.id)).slice(0, MAX_REVIEW_COMMENTS);
  if (todo.length === 0) return { posted: [], degraded: [] };

  const send = (batch: readonly ReviewCandidate[]) =>
    octokit.rest.pulls.createReview({
      ...at,
      pull_number: pr.pull,
      commit_id: headSha,
      event: 'COMMENT',
      body: reviewBody(batch.length, headSha),
      comments: batch.map((c) => ({ path: c.path, line: c.line, side: 'RIGHT', body: reviewCommentBody(c.threat, head) })),
    });
  const posted: string[] = [];
  const degraded: string[] = [];
  try {
    await send(todo);
    posted.push(...todo.map((c) => c.threat.id));
  } catch (err) {
    if (!isHttpError(err, 422)) throw err;
    // One bad position fails the whole review: try each comment alone, keep what GitHub takes.
    for (const c of todo.length > 1 ? todo : []) {
      try {
        await send([c]);
        posted.push(c.threat.id);
      } catch (e) {
        if (!isHttpError(e, 422)) throw e;
        degraded.push(c.threat.id);
      }
    }
    if (todo.length === 1) degraded.push(todo[0]!.threat.id);
  }
  if (posted.length > 0) await store.addCommentedFindings(pr, posted);
  return { posted, degraded };
}

/** Adds or removes the review-depth label; adding creates the label when the repository lacks it. */
export async function syncLabel(octokit: Octokit, at: RepoRef, pull: number, label: string, current: readonly string[], wanted: boolean): Promise<'added' | 'removed' | 'unchanged'> {
  if (!label) return 'unchanged';
  const has = current.includes(label);
  if (wanted && !has) {
    await octokit.rest.issues.addLabels({ ...at, issue_number: pull, labels: [label] });
    return 'added';
  }
  if (!wanted && has) {
    try {
      await octokit.rest.issues.removeLabel({ ...at, issue_number: pull, name: label });
    } catch (err) {
      if (!isHttpError(err, 404)) throw err; // already gone
    }
    return 'removed';
  }
  return 'unchanged';
}

export async function reply(octokit: Octokit, at: RepoRef, pull: number, body: string): Promise<void> {
  await octokit.rest.issues.createComment({ ...at, issue_number: pull, body });
}

export type Reaction = '+1' | 'eyes' | 'confused';

export async function react(octokit: Octokit, at: RepoRef, commentId: number, content: Reaction): Promise<void> {
  await octokit.rest.reactions.createForIssueComment({ ...at, comment_id: commentId, content });
}

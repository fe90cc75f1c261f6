import type { Command } from './commands.js';
import type { QueuedJob } from './queue.js';

/** What every job names: plain JSON, so a Redis-backed queue can carry it. */
interface JobBase {
  /** Unique per request (webhook delivery id, plus a suffix for follow-ups). */
  id: string;
  installationId: number;
  owner: string;
  repo: string;
  pull: number;
}

/** Analyse a PR and publish the check run, comments, label and stories. */
export interface AnalyseJob extends JobBase {
  kind: 'analyse';
  /** The head SHA the event named; undefined = whatever the PR's head is when the job runs. */
  headSha?: string;
  /** Came from a push (opened, synchronize...): supersedes analyses of older heads of the PR. */
  push: boolean;
  /** Analyse even when a completed check run exists for the head (Re-run buttons, commands, acceptances). */
  force: boolean;
  /** `/threatdiff full`: no fragment cache. */
  noCache: boolean;
}

/** A slash command from a PR comment. */
export interface CommandJob extends JobBase {
  kind: 'command';
  command: Command;
  commentId: number;
  login: string;
}

/** A PR merged into the default branch: close the security stories of the findings it resolved. */
export interface MergedJob extends JobBase {
  kind: 'merged';
  /** The head that was merged. */
  headSha: string;
}

export type Job = AnalyseJob | CommandJob | MergedJob;

/** `owner/name`, lower-cased: the store's repository key. */
export function repoKey(owner: string, repo: string): string {
  return `${owner}/${repo}`.toLowerCase();
}

/** Queue identity: group = the PR; key = `repo#pr@headSha` for pushes, unique for everything else. */
export function toQueued(job: Job): QueuedJob<Job> {
  const group = `${repoKey(job.owner, job.repo)}#${job.pull}`;
  if (job.kind === 'analyse' && job.push && job.headSha) {
    // A forced push event (ready_for_review, reopened) must not be dropped as a duplicate of the plain analysis of the same head.
    const key = job.force ? `${group}@${job.headSha}:${job.id}` : `${group}@${job.headSha}`;
    return { key, group, version: job.headSha, data: job };
  }
  return { key: `${group}@${job.kind}:${job.id}`, group, data: job };
}

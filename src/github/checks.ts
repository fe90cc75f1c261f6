import type { Annotation } from '../report/annotations.js';
import { CHECK_NAME, type Conclusion } from './messages.js';
import type { Octokit } from './octokit.js';
import type { RepoRef } from './snapshot.js';

/** GitHub takes at most 50 annotations per request. */
export const ANNOTATIONS_PER_REQUEST = 50;
/** Annotations beyond this are left to the summary: 10 requests is enough for a reviewer. */
export const MAX_ANNOTATIONS = 500;

export interface CheckRun {
  id: number;
  status: string;
  htmlUrl?: string;
}

export interface Completion {
  conclusion: Conclusion;
  title: string;
  summary: string;
  annotations?: Annotation[];
}

/** The newest `threatdiff` check run on a commit made by this app (any app when its id is unknown). */
export async function findCheckRun(octokit: Octokit, at: RepoRef, headSha: string, appId?: number): Promise<CheckRun | undefined> {
  const { data } = await octokit.rest.checks.listForRef({ ...at, ref: headSha, check_name: CHECK_NAME, filter: 'latest', per_page: 20 });
  const run = data.check_runs.find((r) => appId === undefined || r.app?.id === appId);
  return run && { id: run.id, status: run.status, htmlUrl: run.html_url ?? undefined };
}

export async function createCheckRun(octokit: Octokit, at: RepoRef, headSha: string, pull: number): Promise<CheckRun> {
  const { data } = await octokit.rest.checks.create({
    ...at,
    name: CHECK_NAME,
    head_sha: headSha,
    status: 'in_progress',
    started_at: new Date().toISOString(),
    external_id: String(pull),
    output: { title: 'Analysing…', summary: 'threatdiff is comparing the threat model of this pull request with its base.' },
  });
  return { id: data.id, status: data.status, htmlUrl: data.html_url ?? undefined };
}

/**
 * Completes a check run: conclusion, title, summary and the first 50
 * annotations in one request, then the rest 50 at a time (GitHub appends).
 */
export async function completeCheckRun(octokit: Octokit, at: RepoRef, checkRunId: number, completion: Completion): Promise<void> {
  const annotations = (completion.annotations ?? []).slice(0, MAX_ANNOTATIONS);
  const batches: Annotation[][] = [];
  for (let i = 0; i < annotations.length; i += ANNOTATIONS_PER_REQUEST) batches.push(annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
  const output = (batch: Annotation[] | undefined) => ({ title: completion.title, summary: completion.summary, ...(batch ? { annotations: batch } : {}) });
  await octokit.rest.checks.update({
    ...at,
    check_run_id: checkRunId,
    status: 'completed',
    conclusion: completion.conclusion,
    completed_at: new Date().toISOString(),
    output: output(batches[0]),
  });
  for (const batch of batches.slice(1)) await octokit.rest.checks.update({ ...at, check_run_id: checkRunId, output: output(batch) });
}

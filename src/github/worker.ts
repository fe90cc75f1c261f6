import type { Logger } from 'probot';
import type { DiffOptions } from '../engine/analyze.js';
import type { Store } from '../store/types.js';
import { runCommand } from './command-runner.js';
import { repoKey, type Job } from './jobs.js';
import { countCalls, withRateLimitRetry, type Octokit, type RateLimitPolicy } from './octokit.js';
import { analysePullRequest } from './pipeline.js';
import { closeResolvedStories } from './stories.js';
import type { JobWorker } from './queue.js';

export interface WorkerDeps {
  /** An installation client (Probot: `app.auth(installationId)`), fetched when the job starts so its token is fresh. */
  auth: (installationId: number) => Promise<Octokit>;
  store: Store;
  log: Logger;
  rateLimit: RateLimitPolicy;
  cache?: DiffOptions['cache'];
  appId?: number;
  /** Follow-up work (a command's re-run) goes back through the queue. */
  enqueue: (job: Job) => Promise<unknown>;
}

/** Turns a queued job into a call of the domain code with a client and plain parameters. */
export function createWorker(deps: WorkerDeps): JobWorker<Job> {
  return async (job, signal) => {
    const octokit = withRateLimitRetry(await deps.auth(job.installationId), deps.rateLimit);
    const ctx = {
      octokit,
      at: { owner: job.owner, repo: job.repo },
      pr: { repo: repoKey(job.owner, job.repo), pull: job.pull },
      store: deps.store,
      log: deps.log.child({ job: job.id, pr: `${job.owner}/${job.repo}#${job.pull}` }),
      calls: countCalls(octokit),
      ...(deps.cache ? { cache: deps.cache } : {}),
      ...(deps.appId ? { appId: deps.appId } : {}),
    };
    if (job.kind === 'analyse') await analysePullRequest(ctx, job, signal);
    else if (job.kind === 'command') await runCommand(ctx, job, deps.enqueue);
    else await closeResolvedStories(octokit, ctx.at, ctx.pr, job.headSha, deps.store);
  };
}

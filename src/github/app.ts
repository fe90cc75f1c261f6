import type { ApplicationFunction, Probot } from 'probot';
import type { DiffOptions } from '../engine/analyze.js';
import { memoryCache } from '../cache/memory.js';
import { createStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { webhookHandlers } from './handlers.js';
import { toQueued, type Job } from './jobs.js';
import { DEFAULT_RATE_LIMIT_POLICY, type Octokit, type RateLimitPolicy } from './octokit.js';
import type { JobQueue, JobWorker } from './queue.js';
import { createQueue } from './queue-factory.js';
import { createWorker } from './worker.js';

export interface AppOptions {
  /** Default: chosen by the environment (DATABASE_URL, THREATDIFF_DB, THREATDIFF_STORE; see src/store/index.ts). */
  store?: Store;
  /** Builds the job queue around the worker (default: in-process, THREATDIFF_CONCURRENCY analyses at once). */
  createQueue?: (worker: JobWorker<Job>) => JobQueue<Job>;
  rateLimit?: RateLimitPolicy;
  /** Parsed-fragment cache shared by all analyses (`/threatdiff full` bypasses it). */
  cache?: DiffOptions['cache'];
  /** This app's id, to recognise its own check runs (default: APP_ID). */
  appId?: number;
}

/**
 * The Probot app. Handlers only record work; a queue runs the analyses
 * after the webhook is answered.
 */
export function threatdiffApp(options: AppOptions = {}): ApplicationFunction {
  return (app: Probot) => {
    // A given store comes without the backend's cache; otherwise the backend provides both.
    const backend = options.store ? undefined : createStore();
    if (backend?.warning) app.log.warn(backend.warning);
    const store = options.store ?? backend!.store;
    const appId = options.appId ?? (Number(process.env.APP_ID) || undefined);
    let queue: JobQueue<Job> | undefined;
    const enqueue = (job: Job) => queue!.enqueue(toQueued(job));
    const worker = createWorker({
      auth: (id) => app.auth(id) as Promise<Octokit>,
      store,
      log: app.log,
      rateLimit: options.rateLimit ?? DEFAULT_RATE_LIMIT_POLICY,
      // Bounded: fragments by blob and whole analyses by tree, so a follow-up push re-reads only what changed.
      cache: options.cache ?? backend?.cache ?? memoryCache({ maxFragments: 100_000, maxGraphs: 16 }),
      ...(appId ? { appId } : {}),
      enqueue,
    });
    // REDIS_URL: a shared BullMQ queue across instances; otherwise in-process (THREATDIFF_CONCURRENCY at once).
    const appQueue =
      options.createQueue?.(worker) ??
      createQueue(worker, process.env, {
        onError: (err, job) => app.log.error({ err, job: job.key }, 'threatdiff job failed'),
        onQueueError: (err) => app.log.error({ err }, 'threatdiff queue error'),
      });
    queue = appQueue;
    const closable = appQueue as JobQueue<Job> & { close?: () => Promise<void> };
    // Graceful stop: let running analyses finish their check runs, then close the store (bounded wait).
    if (!options.createQueue) process.once('SIGTERM', () => {
      const stop = Promise.allSettled([closable.close?.()]).then(() => backend?.close());
      void Promise.race([stop, new Promise((resolve) => setTimeout(resolve, 25_000))]).finally(() => process.exit(0));
    });

    const on = webhookHandlers({ store, enqueue });
    app.on(['pull_request.opened', 'pull_request.synchronize', 'pull_request.reopened', 'pull_request.ready_for_review'], (c) => on.pullRequest(c.id, c.payload));
    app.on('pull_request.closed', (c) => on.pullRequestClosed(c.id, c.payload));
    app.on(['check_run.rerequested', 'check_suite.rerequested'], (c) => on.rerequested(c.id, c.payload));
    app.on('issue_comment.created', (c) => on.issueComment(c.id, c.payload));
  };
}

export default threatdiffApp();

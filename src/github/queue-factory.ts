import type { Job } from './jobs.js';
import { MemoryJobQueue, type JobQueue, type JobWorker, type QueuedJob } from './queue.js';
import { RedisJobQueue } from './queue-redis.js';

export interface QueueFactoryOptions {
  /** A job's worker threw. */
  onError?: (err: unknown, job: QueuedJob<unknown>) => void;
  /** Redis or BullMQ trouble (connection lost, a job that could not be released). */
  onQueueError?: (err: unknown) => void;
}

export type AppQueue = JobQueue<Job> & {
  readonly kind: 'memory' | 'redis';
  /** Stops taking jobs and waits for the running ones (graceful shutdown). */
  close(): Promise<void>;
};

function positive(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isSafeInteger(n) && n >= 0 ? n : fallback;
}

/**
 * The app's job queue, chosen by the environment:
 * - `REDIS_URL` set: BullMQ on Redis, shared by every instance;
 *   `THREATDIFF_INSTALLATION_CONCURRENCY` (default 2, 0 = no limit) analyses
 *   of one installation at once across all instances, `THREATDIFF_QUEUE_PREFIX`
 *   (default `threatdiff`) for the Redis keys, `THREATDIFF_QUEUE_LOCK_MS`
 *   (default 30000) before a silent worker's job is given to another,
 *   `THREATDIFF_WORKER=0` for an instance that only receives webhooks;
 * - else the in-process queue.
 * Either way `THREATDIFF_CONCURRENCY` (default 4) analyses run at once in this instance.
 */
export function createQueue(worker: JobWorker<Job>, env: NodeJS.ProcessEnv = process.env, options: QueueFactoryOptions = {}): AppQueue {
  const concurrency = positive(env.THREATDIFF_CONCURRENCY, 4) || 4;
  if (env.REDIS_URL) {
    const queue = new RedisJobQueue<Job>(worker, {
      connection: env.REDIS_URL,
      concurrency,
      partition: (job) => String(job.installationId),
      perPartition: positive(env.THREATDIFF_INSTALLATION_CONCURRENCY, 2),
      prefix: env.THREATDIFF_QUEUE_PREFIX || 'threatdiff',
      lockMs: positive(env.THREATDIFF_QUEUE_LOCK_MS, 30_000) || 30_000,
      consume: env.THREATDIFF_WORKER !== '0',
      ...(options.onError ? { onError: options.onError } : {}),
      ...(options.onQueueError ? { onQueueError: options.onQueueError } : {}),
    });
    return Object.assign(queue, { kind: 'redis' as const });
  }
  const queue = new MemoryJobQueue<Job>(worker, { concurrency, ...(options.onError ? { onError: options.onError } : {}) });
  return Object.assign(queue, { kind: 'memory' as const, close: () => queue.onIdle() });
}

import pLimit, { type LimitFunction } from 'p-limit';

/**
 * Work the webhook handlers hand off so GitHub gets its answer at once
 * (it gives up after 10 s). The in-memory queue below runs jobs in this
 * process; a Redis/BullMQ queue can implement the same interface for
 * several instances (job `data` is plain JSON for that reason).
 */
export interface QueuedJob<T> {
  /** Dedupe key: a job whose key is already waiting or running is dropped (`repo#pr@headSha`). */
  key: string;
  /** Jobs of one group (one PR) run one at a time, in order. */
  group: string;
  /**
   * The head SHA the job is about, when it came from a push. Enqueuing a job
   * with a version supersedes the group's jobs that have another version:
   * waiting ones are dropped, the running one's signal is aborted with
   * `Superseded`. Jobs without a version (slash commands) are never superseded.
   */
  version?: string;
  data: T;
}

/** Runs one job. `signal` is aborted (reason: Superseded) when a newer push makes it moot. */
export type JobWorker<T> = (data: T, signal: AbortSignal) => Promise<void>;

export type EnqueueResult = 'queued' | 'duplicate';

export interface JobQueue<T> {
  enqueue(job: QueuedJob<T>): Promise<EnqueueResult>;
  /** Resolves when nothing is waiting or running (tests, graceful shutdown). */
  onIdle(): Promise<void>;
}

/** The abort reason of a superseded job: which version replaced it. */
export class Superseded extends Error {
  constructor(readonly by: string) {
    super(`superseded by ${by}`);
  }
}

interface Entry<T> {
  job: QueuedJob<T>;
  controller: AbortController;
}

interface Group<T> {
  running?: Entry<T>;
  waiting: Entry<T>[];
}

export interface MemoryQueueOptions {
  /** Analyses at once across all PRs. */
  concurrency: number;
  onError?: (err: unknown, job: QueuedJob<unknown>) => void;
}

/** In-process queue: bounded concurrency (p-limit), one job per PR at a time, dedupe and supersede. */
export class MemoryJobQueue<T> implements JobQueue<T> {
  private readonly groups = new Map<string, Group<T>>();
  private readonly limit: LimitFunction;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly worker: JobWorker<T>, private readonly options: MemoryQueueOptions) {
    this.limit = pLimit(Math.max(1, options.concurrency));
  }

  async enqueue(job: QueuedJob<T>): Promise<EnqueueResult> {
    let group = this.groups.get(job.group);
    if (!group) this.groups.set(job.group, (group = { waiting: [] }));
    const live = (e: Entry<T> | undefined) => e !== undefined && !e.controller.signal.aborted && e.job.key === job.key;
    if (live(group.running) || group.waiting.some(live)) return 'duplicate';
    if (job.version !== undefined) {
      const stale = (e: Entry<T>) => e.job.version !== undefined && e.job.version !== job.version;
      group.waiting = group.waiting.filter((e) => !stale(e));
      if (group.running && stale(group.running)) group.running.controller.abort(new Superseded(job.version));
    }
    group.waiting.push({ job, controller: new AbortController() });
    this.pump(job.group);
    return 'queued';
  }

  onIdle(): Promise<void> {
    if (this.groups.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(name: string): void {
    const group = this.groups.get(name);
    if (!group || group.running) return;
    const next = group.waiting.shift();
    if (!next) {
      this.groups.delete(name);
      if (this.groups.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
      return;
    }
    group.running = next;
    void this.limit(() => this.worker(next.job.data, next.controller.signal))
      .catch((err: unknown) => this.options.onError?.(err, next.job))
      .finally(() => {
        group.running = undefined;
        this.pump(name);
      });
  }
}

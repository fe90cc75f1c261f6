import { randomUUID } from 'node:crypto';
import { DelayedError, Queue, Worker, type Job as BullJob } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { Superseded, type EnqueueResult, type JobQueue, type JobWorker, type QueuedJob } from './queue.js';

/**
 * The job queue shared by several app instances: BullMQ on Redis.
 *
 * Any instance enqueues (so whichever one receives a webhook acknowledges
 * it at once) and any instance runs jobs. BullMQ gives at-least-once
 * delivery: a worker that dies mid-job stops renewing its lock, another
 * worker's stalled-job check puts the job back in the queue, and it runs
 * again elsewhere. What open-source BullMQ lacks (groups are a Pro feature)
 * is done here with a few Redis keys per PR group, changed only by Lua
 * scripts so every step is atomic across instances:
 *
 * - `jobs` (hash key → jobId, version): the live job of each dedupe key.
 *   Enqueuing a key that is live is a duplicate; a versioned enqueue removes
 *   the group's entries of other versions (they are superseded).
 * - `order` (sorted set jobId by enqueue sequence): a job starts only when it
 *   is the oldest live job of its group, so a PR's jobs run in order.
 * - `lock` (sorted set token → expiry): at most one running job per group,
 *   so two analyses of the same PR never run at once, not even when BullMQ
 *   re-delivers a job whose worker only seemed dead.
 * - `slots` per partition (installation): a counting semaphore of expiring
 *   tokens; at most `perPartition` jobs of one installation run at once
 *   across all instances. Chosen over one queue per installation because
 *   installations come and go by the thousand and each BullMQ queue needs its
 *   own workers and connections.
 *
 * Lock and slot tokens expire after `lockMs` unless their worker renews them
 * (every lockMs/3), so a killed worker frees them by itself. A job that finds
 * its gate closed goes back to BullMQ's delayed set and is promoted as soon
 * as the holder releases (or after `retryDelayMs` at the latest). A running
 * job whose group gets a newer version is aborted (signal reason
 * `Superseded`) through Redis pub/sub, and by its heartbeat if the message is
 * lost; a superseded job that has not started is removed or skipped when it
 * starts. A running job whose lock was taken over is aborted with LockLost.
 */

/** The abort reason when this worker lost the group lock (it stalled longer than lockMs): another may now run the group. */
export class LockLost extends Error {
  constructor() {
    super('the group lock expired while the job was running');
  }
}

export interface RedisQueueOptions<T> {
  /** `redis://` URL (REDIS_URL) or ioredis options. */
  connection: string | RedisOptions;
  /** Jobs this instance runs at once. */
  concurrency: number;
  /** The partition of a job (the installation id) for `perPartition`. Default: one partition. */
  partition?: (data: T) => string;
  /** Jobs of one partition running at once across all instances; 0 = no limit. Default 0. */
  perPartition?: number;
  /** Redis key prefix (BullMQ's and ours). Default `threatdiff`. */
  prefix?: string;
  /** Queue name. Default `analyses`. */
  name?: string;
  /** How long a silent worker keeps its job, group lock and slot (BullMQ lockDuration). Default 30 s. */
  lockMs?: number;
  /** How often workers look for jobs whose worker died (BullMQ stalledInterval). Default lockMs. */
  stalledIntervalMs?: number;
  /** Times a job is re-run after its worker died before it is failed (a job that kills every worker must stop). Default 2. */
  maxStalled?: number;
  /** A job whose group or partition is busy is retried after this at the latest (earlier when woken). Default 2 s. */
  retryDelayMs?: number;
  /** false: only enqueue (a webhook-only instance). Default true. */
  consume?: boolean;
  /** A job's worker threw (the job is not retried: like MemoryJobQueue). */
  onError?: (err: unknown, job: QueuedJob<unknown>) => void;
  /** Queue machinery problems (Redis errors, a job that could not be released). */
  onQueueError?: (err: unknown) => void;
}

/** What a BullMQ job carries: the QueuedJob plus where it stands. Plain JSON. */
interface Payload<T> {
  key: string;
  group: string;
  version?: string;
  partition: string;
  seq: number;
  data: T;
}

interface Running {
  group: string;
  version: string | undefined;
  controller: AbortController;
}

/** Not yet added by the instance that created its entry, or really gone: entries younger than this are left alone. */
const ADD_GRACE_MS = 10_000;
/** Group bookkeeping outlives its last enqueue by this much, then Redis drops it. */
const GROUP_TTL_MS = 7 * 24 * 3600_000;

const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
const OWNS = `local function owns(v, id) return v and string.sub(v, 1, #id + 1) == id .. '\\n' end`;

/** KEYS jobs, ver, order, seq · ARGV key, version ('' none), id prefix, ttl → {created, jobId, superseded ids, seq} */
const ENQUEUE = `${NOW}
local superseded = {}
if ARGV[2] ~= '' then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    local id, ver = string.match(all[i + 1], '^([^\\n]*)\\n(.*)$')
    if ver ~= '' and ver ~= ARGV[2] then
      redis.call('HDEL', KEYS[1], all[i])
      redis.call('ZREM', KEYS[3], id)
      superseded[#superseded + 1] = id
    end
  end
end
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then return {0, string.match(existing, '^([^\\n]*)'), superseded, 0} end
local n = redis.call('INCR', KEYS[4])
local id = ARGV[3] .. n .. '-' .. now
redis.call('HSET', KEYS[1], ARGV[1], id .. '\\n' .. ARGV[2])
redis.call('ZADD', KEYS[3], n, id)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
return {1, id, superseded, n}`;

/** KEYS jobs, order, lock, slots · ARGV key, jobId, seq, token, ttl, limit → {'ok'|'stale'|'order'|'group'|'partition', head} */
const ACQUIRE = `${NOW} ${OWNS}
if not owns(redis.call('HGET', KEYS[1], ARGV[1]), ARGV[2]) then return {'stale', ''} end
redis.call('ZADD', KEYS[2], 'NX', ARGV[3], ARGV[2])
local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
if head ~= ARGV[2] then return {'order', head} end
local ttl = tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if redis.call('ZCARD', KEYS[3]) > 0 then return {'group', ''} end
local limit = tonumber(ARGV[6])
if limit > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
  if redis.call('ZCARD', KEYS[4]) >= limit then return {'partition', ''} end
  redis.call('ZADD', KEYS[4], now + ttl, ARGV[4])
  redis.call('PEXPIRE', KEYS[4], ttl * 4)
end
redis.call('ZADD', KEYS[3], now + ttl, ARGV[4])
redis.call('PEXPIRE', KEYS[3], ttl * 4)
return {'ok', ''}`;

/** KEYS jobs, lock, slots · ARGV key, jobId, token, ttl, limit → 'ok' | 'lost' | 'stale' */
const RENEW = `${NOW} ${OWNS}
if not redis.call('ZSCORE', KEYS[2], ARGV[3]) then return 'lost' end
local ttl = tonumber(ARGV[4])
redis.call('ZADD', KEYS[2], now + ttl, ARGV[3])
redis.call('PEXPIRE', KEYS[2], ttl * 4)
if tonumber(ARGV[5]) > 0 then
  redis.call('ZADD', KEYS[3], now + ttl, ARGV[3])
  redis.call('PEXPIRE', KEYS[3], ttl * 4)
end
if not owns(redis.call('HGET', KEYS[1], ARGV[1]), ARGV[2]) then return 'stale' end
return 'ok'`;

/** KEYS jobs, order, lock, slots · ARGV key, jobId, token ('' none) */
const RELEASE = `${OWNS}
if owns(redis.call('HGET', KEYS[1], ARGV[1]), ARGV[2]) then redis.call('HDEL', KEYS[1], ARGV[1]) end
redis.call('ZREM', KEYS[2], ARGV[2])
if ARGV[3] ~= '' then
  redis.call('ZREM', KEYS[3], ARGV[3])
  redis.call('ZREM', KEYS[4], ARGV[3])
end
return 1`;

/** KEYS waiter sets → their members, emptied */
const TAKE_WAITERS = `local out = {}
for _, k in ipairs(KEYS) do
  for _, id in ipairs(redis.call('SMEMBERS', k)) do out[#out + 1] = id end
  redis.call('DEL', k)
end
return out`;

type Commands = {
  tdEnqueue(...args: (string | number)[]): Promise<[number, string, string[], number]>;
  tdAcquire(...args: (string | number)[]): Promise<[string, string]>;
  tdRenew(...args: (string | number)[]): Promise<string>;
  tdRelease(...args: (string | number)[]): Promise<number>;
  tdTakeWaiters(...args: (string | number)[]): Promise<string[]>;
};

function connect(connection: string | RedisOptions): Redis {
  // BullMQ needs maxRetriesPerRequest null: its blocking commands must wait out reconnections.
  const options: RedisOptions = { maxRetriesPerRequest: null };
  const redis = typeof connection === 'string' ? new Redis(connection, options) : new Redis({ ...connection, ...options });
  redis.defineCommand('tdEnqueue', { numberOfKeys: 4, lua: ENQUEUE });
  redis.defineCommand('tdAcquire', { numberOfKeys: 4, lua: ACQUIRE });
  redis.defineCommand('tdRenew', { numberOfKeys: 3, lua: RENEW });
  redis.defineCommand('tdRelease', { numberOfKeys: 4, lua: RELEASE });
  redis.defineCommand('tdTakeWaiters', { numberOfKeys: 2, lua: TAKE_WAITERS });
  return redis;
}

/** The enqueue time encoded in our job ids (`td<seq>-<ms>`). */
function idTime(id: string): number {
  const m = /^td\d+-(\d+)$/.exec(id);
  return m ? Number(m[1]) : 0;
}

export class RedisJobQueue<T> implements JobQueue<T> {
  private readonly redis: Redis;
  private readonly cmd: Commands;
  private readonly sub: Redis;
  private readonly queue: Queue<Payload<T>>;
  private readonly worker: Worker<Payload<T>> | undefined;
  private readonly workerConnection: Redis | undefined;
  private readonly running = new Set<Running>();
  private readonly ns: string;
  private readonly channel: string;
  private readonly lockMs: number;
  private readonly retryDelayMs: number;
  private readonly perPartition: number;
  private readonly subscribed: Promise<unknown>;
  private closed = false;

  constructor(private readonly run: JobWorker<T>, private readonly options: RedisQueueOptions<T>) {
    const prefix = options.prefix ?? 'threatdiff';
    const name = options.name ?? 'analyses';
    this.ns = `${prefix}:${name}-gates`;
    this.channel = `${this.ns}:supersede`;
    this.lockMs = options.lockMs ?? 30_000;
    this.retryDelayMs = options.retryDelayMs ?? 2_000;
    this.perPartition = Math.max(0, options.perPartition ?? 0);
    const report = (err: unknown) => options.onQueueError?.(err);

    this.redis = connect(options.connection);
    this.redis.on('error', report);
    this.cmd = this.redis as unknown as Commands;
    this.queue = new Queue<Payload<T>>(name, { connection: this.redis, prefix });
    this.queue.on('error', report);

    this.sub = this.redis.duplicate();
    this.sub.on('error', report);
    this.sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.onSupersede(message);
    });
    this.subscribed = this.sub.subscribe(this.channel).catch(report);

    if (options.consume !== false) {
      this.workerConnection = connect(options.connection);
      this.workerConnection.on('error', report);
      this.worker = new Worker<Payload<T>>(name, (job, token) => this.process(job, token), {
        connection: this.workerConnection,
        prefix,
        concurrency: Math.max(1, options.concurrency),
        lockDuration: this.lockMs,
        stalledInterval: options.stalledIntervalMs ?? this.lockMs,
        maxStalledCount: options.maxStalled ?? 2,
      });
      this.worker.on('error', report);
    }
  }

  /** Resolves once this instance listens for supersede messages (tests; enqueue works before). */
  async ready(): Promise<void> {
    await this.subscribed;
    await this.worker?.waitUntilReady();
  }

  private keys(group: string, partition: string) {
    return {
      jobs: `${this.ns}:g:${group}:jobs`,
      ver: `${this.ns}:g:${group}:ver`,
      order: `${this.ns}:g:${group}:order`,
      lock: `${this.ns}:g:${group}:lock`,
      slots: `${this.ns}:p:${partition}:slots`,
      groupWaiters: `${this.ns}:g:${group}:waiters`,
      partitionWaiters: `${this.ns}:p:${partition}:waiters`,
      seq: `${this.ns}:seq`,
    };
  }

  async enqueue(job: QueuedJob<T>): Promise<EnqueueResult> {
    const partition = this.perPartition > 0 && this.options.partition ? this.options.partition(job.data) : '';
    const k = this.keys(job.group, partition);
    for (let attempt = 0; attempt < 3; attempt++) {
      const [created, id, superseded, seq] = await this.cmd.tdEnqueue(k.jobs, k.ver, k.order, k.seq, job.key, job.version ?? '', 'td', GROUP_TTL_MS);
      if (superseded.length > 0) {
        // Running ones are told to stop; waiting ones are removed (or skipped when they start, if removal races).
        await this.redis.publish(this.channel, JSON.stringify({ group: job.group, version: job.version }));
        for (const old of superseded) await this.queue.remove(old).catch(() => 0);
        await this.wake(job.group, partition);
      }
      if (created === 0) {
        if (await this.isLive(id)) return 'duplicate';
        // An entry whose job finished without releasing it (it failed after too many stalls): forget it.
        await this.cmd.tdRelease(k.jobs, k.order, k.lock, k.slots, job.key, id, '');
        continue;
      }
      const payload: Payload<T> = { key: job.key, group: job.group, partition, seq, data: job.data, ...(job.version !== undefined ? { version: job.version } : {}) };
      try {
        await this.queue.add('job', payload, {
          jobId: id,
          // Only machinery failures (Redis) retry: the worker's own errors are caught and reported, like MemoryJobQueue.
          attempts: 3,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: { count: 100 },
          removeOnFail: { count: 500 },
        });
      } catch (err) {
        await this.cmd.tdRelease(k.jobs, k.order, k.lock, k.slots, job.key, id, '').catch(() => undefined);
        throw err;
      }
      return 'queued';
    }
    throw new Error(`could not enqueue ${job.key}: its dedupe entry keeps coming back`);
  }

  /** A job id that is still waiting, delayed or running (or just being added by another instance). */
  private async isLive(id: string): Promise<boolean> {
    const state = await this.queue.getJobState(id);
    if (state === 'completed' || state === 'failed') return false;
    if (state === 'unknown') return Date.now() - idTime(id) < ADD_GRACE_MS;
    return true;
  }

  private onSupersede(message: string): void {
    let msg: { group?: unknown; version?: unknown };
    try {
      msg = JSON.parse(message) as typeof msg;
    } catch {
      return;
    }
    if (typeof msg.group !== 'string' || typeof msg.version !== 'string') return;
    for (const r of this.running) {
      if (r.group === msg.group && r.version !== undefined && r.version !== msg.version && !r.controller.signal.aborted) r.controller.abort(new Superseded(msg.version));
    }
  }

  private async process(job: BullJob<Payload<T>>, token: string | undefined): Promise<void> {
    const p = job.data;
    const id = job.id;
    if (!id || typeof p?.key !== 'string' || typeof p.group !== 'string' || typeof p.seq !== 'number' || typeof p.partition !== 'string') return;
    const k = this.keys(p.group, p.partition);
    const running: Running = { group: p.group, version: p.version, controller: new AbortController() };
    // Listening before the gate is checked: a supersede message cannot fall between the two.
    this.running.add(running);
    const attempt = randomUUID();
    let held = false;
    let delayed = false;
    let beat: NodeJS.Timeout | undefined;
    try {
      let gate = await this.cmd.tdAcquire(k.jobs, k.order, k.lock, k.slots, p.key, id, p.seq, attempt, this.lockMs, this.perPartition);
      // The oldest job of the group may be gone without releasing its place (it failed after too many stalls).
      for (let i = 0; gate[0] === 'order' && i < 3 && (await this.dropIfGone(k.order, gate[1])); i++) {
        gate = await this.cmd.tdAcquire(k.jobs, k.order, k.lock, k.slots, p.key, id, p.seq, attempt, this.lockMs, this.perPartition);
      }
      if (gate[0] === 'stale') return; // superseded or forgotten before it started: skipped
      if (gate[0] !== 'ok') {
        delayed = true;
        await job.moveToDelayed(Date.now() + this.retryDelayMs, token);
        await this.redis.multi().sadd(gate[0] === 'partition' ? k.partitionWaiters : k.groupWaiters, id).pexpire(gate[0] === 'partition' ? k.partitionWaiters : k.groupWaiters, GROUP_TTL_MS).exec();
        throw new DelayedError();
      }
      held = true;
      beat = setInterval(() => void this.heartbeat(p, id, attempt, running.controller), Math.max(10, Math.floor(this.lockMs / 3)));
      if (running.controller.signal.aborted) return;
      try {
        await this.run(p.data, running.controller.signal);
      } catch (err) {
        this.options.onError?.(err, { key: p.key, group: p.group, data: p.data, ...(p.version !== undefined ? { version: p.version } : {}) });
      }
    } finally {
      if (beat) clearInterval(beat);
      this.running.delete(running);
      if (!delayed) {
        await this.cmd.tdRelease(k.jobs, k.order, k.lock, k.slots, p.key, id, held ? attempt : '');
        await this.wake(p.group, p.partition);
      }
    }
  }

  private async heartbeat(p: Payload<T>, id: string, attempt: string, controller: AbortController): Promise<void> {
    if (controller.signal.aborted) return;
    const k = this.keys(p.group, p.partition);
    try {
      const state = await this.cmd.tdRenew(k.jobs, k.lock, k.slots, p.key, id, attempt, this.lockMs, this.perPartition);
      if (state === 'lost') controller.abort(new LockLost());
      else if (state === 'stale') controller.abort(new Superseded((await this.redis.get(k.ver)) ?? 'a newer job'));
    } catch (err) {
      this.options.onQueueError?.(err);
    }
  }

  private async dropIfGone(order: string, head: string): Promise<boolean> {
    if (!head || (await this.isLive(head))) return false;
    await this.redis.zrem(order, head);
    return true;
  }

  /** Promotes the delayed jobs that wait for this group or partition, so they do not sit out their retry delay. */
  private async wake(group: string, partition: string): Promise<void> {
    const k = this.keys(group, partition);
    const ids = await this.cmd.tdTakeWaiters(k.groupWaiters, k.partitionWaiters);
    for (const id of new Set(ids)) {
      const job = await this.queue.getJob(id);
      await job?.promote().catch(() => undefined); // not delayed any more: nothing to do
    }
  }

  /** Jobs by state across all instances (`delayed` includes jobs waiting for their PR or installation): for metrics and tests. */
  async counts(): Promise<{ active: number; waiting: number; delayed: number }> {
    const c = await this.queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized', 'waiting-children');
    return { active: c.active ?? 0, waiting: (c.waiting ?? 0) + (c.prioritized ?? 0) + (c['waiting-children'] ?? 0), delayed: c.delayed ?? 0 };
  }

  /** Resolves when no job is waiting, delayed or running in the queue, on any instance. */
  async onIdle(): Promise<void> {
    for (;;) {
      const c = await this.counts();
      if (c.active + c.waiting + c.delayed === 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Stops taking jobs, waits for the running ones, and closes the connections (graceful shutdown). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.worker?.close();
    await this.queue.close();
    await this.sub.quit().catch(() => undefined);
    await this.workerConnection?.quit().catch(() => undefined);
    await this.redis.quit().catch(() => undefined);
  }
}

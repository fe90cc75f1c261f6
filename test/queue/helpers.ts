import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import ts from 'typescript';
import { RedisJobQueue, type RedisQueueOptions } from '../../src/github/queue-redis.js';
import type { QueuedJob } from '../../src/github/queue.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Test data: which job, and whether it runs until released (or aborted). */
export interface TestJob {
  name: string;
  inst: number;
  hold?: boolean;
}

/** Polls until `check` is true; fails after `ms` with `what`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A worker shared by several queue "instances" that records what ran where, and how many ran at once. */
export class Recorder {
  readonly events: string[] = [];
  readonly reasons = new Map<string, unknown>();
  private readonly releases = new Map<string, () => void>();
  private readonly perGroup = new Map<string, number>();
  private readonly perInst = new Map<number, number>();
  maxPerGroup = 0;
  maxPerInst = new Map<number, number>();
  maxTotal = 0;
  private total = 0;

  worker(instance: string, groupOf: (job: TestJob) => string) {
    return async (job: TestJob, signal: AbortSignal): Promise<void> => {
      const group = groupOf(job);
      const bump = (d: number) => {
        this.perGroup.set(group, (this.perGroup.get(group) ?? 0) + d);
        this.perInst.set(job.inst, (this.perInst.get(job.inst) ?? 0) + d);
        this.total += d;
        this.maxPerGroup = Math.max(this.maxPerGroup, this.perGroup.get(group)!);
        this.maxPerInst.set(job.inst, Math.max(this.maxPerInst.get(job.inst) ?? 0, this.perInst.get(job.inst)!));
        this.maxTotal = Math.max(this.maxTotal, this.total);
      };
      bump(1);
      this.events.push(`start ${job.name}@${instance}`);
      try {
        if (job.hold) {
          await new Promise<void>((resolve) => {
            this.releases.set(job.name, resolve);
            if (signal.aborted || this.draining) resolve();
            signal.addEventListener('abort', () => resolve(), { once: true });
          });
        } else {
          await new Promise((r) => setTimeout(r, 20));
        }
        if (signal.aborted) {
          this.reasons.set(job.name, signal.reason);
          this.events.push(`abort ${job.name}`);
        } else this.events.push(`end ${job.name}`);
      } finally {
        bump(-1);
      }
    };
  }

  started(name: string): boolean {
    return this.events.some((e) => e.startsWith(`start ${name}@`));
  }

  finished(name: string): boolean {
    return this.events.includes(`end ${name}`) || this.events.includes(`abort ${name}`);
  }

  private draining = false;

  /** Lets every held job finish, now and later (so a failed test's clean-up cannot hang on a held job). */
  releaseAll(): void {
    this.draining = true;
    for (const r of this.releases.values()) r();
  }

  release(name: string): void {
    const r = this.releases.get(name);
    if (!r) throw new Error(`${name} is not running`);
    r();
  }

  /** Start/end events only, without the instance. */
  get plain(): string[] {
    return this.events.map((e) => e.replace(/@.*$/, ''));
  }
}

export const FAST = { lockMs: 1000, stalledIntervalMs: 300, retryDelayMs: 150 } as const;

/** Queues of one test share a prefix; `cleanup` closes them and deletes every key under it. */
export class Instances {
  readonly prefix: string;
  private readonly queues: RedisJobQueue<TestJob>[] = [];
  readonly errors: unknown[] = [];

  constructor(readonly url: string, name: string) {
    this.prefix = `tdtest-${name}-${process.pid}-${Date.now().toString(36)}`;
  }

  async start(worker: (job: TestJob, signal: AbortSignal) => Promise<void>, options: Partial<RedisQueueOptions<TestJob>> = {}): Promise<RedisJobQueue<TestJob>> {
    const q = new RedisJobQueue<TestJob>(worker, {
      connection: this.url,
      prefix: this.prefix,
      concurrency: 4,
      partition: (job) => String(job.inst),
      ...FAST,
      onError: (err) => this.errors.push(err),
      ...options,
    });
    this.queues.push(q);
    await q.ready();
    return q;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.close()));
    const redis = new Redis(this.url);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await redis.quit();
  }
}

export function job(name: string, group: string, inst = 1, extra: Partial<QueuedJob<TestJob>> & { hold?: boolean } = {}): QueuedJob<TestJob> {
  const { hold, ...rest } = extra;
  return { key: `${group}@${name}`, group, data: { name, inst, ...(hold ? { hold } : {}) }, ...rest };
}

/**
 * A copy of the queue modules runnable by plain node in a child process (the
 * tests run from TypeScript sources, and `npm test` must not depend on a
 * previous build): transpiled into a temp folder whose node_modules links to
 * the repository's.
 */
export function buildChildRunner(): string {
  const dir = mkdtempSync(join(tmpdir(), 'td-queue-child-'));
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  mkdirSync(join(dir, 'github'));
  for (const f of ['queue.ts', 'queue-redis.ts']) {
    const source = readFileSync(join(REPO, 'src', 'github', f), 'utf8');
    const out = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
    writeFileSync(join(dir, 'github', f.replace(/\.ts$/, '.js')), out);
  }
  // The child runs every job it gets until it is killed, saying so on stdout.
  writeFileSync(
    join(dir, 'worker.mjs'),
    `import { RedisJobQueue } from './github/queue-redis.js';
const [url, prefix, options] = process.argv.slice(2);
const q = new RedisJobQueue(async (job) => {
  process.stdout.write('started ' + job.name + '\\n');
  await new Promise(() => {});
}, { connection: url, prefix, concurrency: 2, partition: (job) => String(job.inst), ...JSON.parse(options) });
await q.ready();
process.stdout.write('ready\\n');
`,
  );
  return dir;
}

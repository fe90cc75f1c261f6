import { Redis } from 'ioredis';
import { toQueued, type AnalyseJob, type Job } from '../../src/github/jobs.js';
import { createQueue } from '../../src/github/queue-factory.js';
import { describeWithService } from '../store/services.js';
import { waitFor } from './helpers.js';

const analyse = (installationId: number, pull: number, headSha: string): AnalyseJob => ({
  kind: 'analyse',
  id: `delivery-${installationId}-${pull}-${headSha}`,
  installationId,
  owner: 'Octo',
  repo: 'Shop',
  pull,
  headSha,
  push: true,
  force: false,
  noCache: false,
});

test('without REDIS_URL: the in-process queue', async () => {
  const ran: number[] = [];
  const queue = createQueue(async (job) => void ran.push(job.pull), {});
  expect(queue.kind).toBe('memory');
  expect(await queue.enqueue(toQueued(analyse(1, 5, 'a'.repeat(40))))).toBe('queued');
  await queue.close();
  expect(ran).toEqual([5]);
});

describeWithService('createQueue with REDIS_URL', 'REDIS_URL_TEST', (url) => {
  const prefix = `tdtest-factory-${process.pid}-${Date.now().toString(36)}`;
  afterAll(async () => {
    const redis = new Redis(url);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  test('BullMQ, partitioned by installation: THREATDIFF_INSTALLATION_CONCURRENCY jobs of one installation at once', async () => {
    const running = new Map<number, number>();
    const max = new Map<number, number>();
    const order: string[] = [];
    let open: (() => void) | undefined;
    const gate = new Promise<void>((r) => (open = r));
    const worker = async (job: Job) => {
      running.set(job.installationId, (running.get(job.installationId) ?? 0) + 1);
      max.set(job.installationId, Math.max(max.get(job.installationId) ?? 0, running.get(job.installationId)!));
      order.push(`${job.installationId}#${job.pull}`);
      if (job.pull === 1) await gate;
      running.set(job.installationId, running.get(job.installationId)! - 1);
    };
    const env = { REDIS_URL: url, THREATDIFF_QUEUE_PREFIX: prefix, THREATDIFF_INSTALLATION_CONCURRENCY: '1', THREATDIFF_CONCURRENCY: '4' };
    const queue = createQueue(worker, env);
    expect(queue.kind).toBe('redis');
    await queue.enqueue(toQueued(analyse(10, 1, 'a'.repeat(40))));
    await queue.enqueue(toQueued(analyse(10, 2, 'b'.repeat(40))));
    await queue.enqueue(toQueued(analyse(20, 3, 'c'.repeat(40))));
    await waitFor('installation 20 to run while 10 is busy', () => order.includes('20#3'));
    expect(order).toEqual(['10#1', '20#3']);
    open!();
    await queue.onIdle();
    expect(order).toEqual(['10#1', '20#3', '10#2']);
    expect(max.get(10)).toBe(1);
    await queue.close();
  });

  test('THREATDIFF_WORKER=0: an instance that only enqueues', async () => {
    const ran: number[] = [];
    const web = createQueue(async (job) => void ran.push(job.pull), { REDIS_URL: url, THREATDIFF_QUEUE_PREFIX: `${prefix}-web`, THREATDIFF_WORKER: '0' });
    await web.enqueue(toQueued(analyse(1, 9, 'd'.repeat(40))));
    await new Promise((r) => setTimeout(r, 200));
    expect(ran).toEqual([]);
    const worker = createQueue(async (job) => void ran.push(job.pull), { REDIS_URL: url, THREATDIFF_QUEUE_PREFIX: `${prefix}-web` });
    await worker.onIdle();
    expect(ran).toEqual([9]);
    await Promise.all([web.close(), worker.close()]);
  });
});

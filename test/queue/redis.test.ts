import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Superseded } from '../../src/github/queue.js';
import { describeWithService } from '../store/services.js';
import { buildChildRunner, FAST, Instances, job, Recorder, waitFor } from './helpers.js';

const groupOf = (name: string) => name.replace(/-.*$/, '');

describeWithService('Redis job queue (BullMQ)', 'REDIS_URL_TEST', (url) => {
  let inst: Instances;
  let rec: Recorder;
  // Test jobs are named `<group>-<n>`: the recorder derives the group from the name.
  const worker = (name: string) => rec.worker(name, (j) => groupOf(j.name));
  beforeEach(() => {
    rec = new Recorder();
  });
  afterEach(async () => {
    rec.releaseAll();
    await inst.cleanup();
  });

  test('a job enqueued on one instance runs on a worker; onIdle waits for it', async () => {
    inst = new Instances(url, 'basic');
    const web = await inst.start(worker('web'), { consume: false });
    await inst.start(worker('w1'));
    expect(await web.enqueue(job('pr1-a', 'pr1'))).toBe('queued');
    await web.onIdle();
    expect(rec.events).toEqual(['start pr1-a@w1', 'end pr1-a']);
    expect(inst.errors).toEqual([]);
  });

  test('dedupe: a key that is waiting or running is a duplicate; once done it can be queued again', async () => {
    inst = new Instances(url, 'dedupe');
    const a = await inst.start(worker('a'));
    const b = await inst.start(worker('b'));
    expect(await a.enqueue(job('pr1-a', 'pr1', 1, { hold: true }))).toBe('queued');
    await waitFor('pr1-a to start', () => rec.started('pr1-a'));
    expect(await b.enqueue(job('pr1-a', 'pr1', 1, { hold: true }))).toBe('duplicate');
    expect(await a.enqueue(job('pr1-b', 'pr1'))).toBe('queued');
    await waitFor('pr1-b to be held back by pr1-a', async () => (await a.counts()).delayed === 1);
    expect(await b.enqueue(job('pr1-b', 'pr1'))).toBe('duplicate');
    expect(rec.started('pr1-b')).toBe(false);
    rec.release('pr1-a');
    await a.onIdle();
    expect(rec.plain).toEqual(['start pr1-a', 'end pr1-a', 'start pr1-b', 'end pr1-b']);
    expect(await b.enqueue(job('pr1-a', 'pr1'))).toBe('queued');
    await b.onIdle();
    expect(rec.plain.filter((e) => e === 'start pr1-a')).toHaveLength(2);
  });

  test('per PR: one job at a time across instances, in enqueue order; other PRs run in parallel', async () => {
    inst = new Instances(url, 'mutex');
    const a = await inst.start(worker('a'), { concurrency: 3 });
    const b = await inst.start(worker('b'), { concurrency: 3 });
    for (let i = 1; i <= 4; i++) await (i % 2 ? a : b).enqueue(job(`pr1-${i}`, 'pr1'));
    for (const g of ['pr2', 'pr3', 'pr4']) await a.enqueue(job(`${g}-1`, g, 1, { hold: true }));
    await waitFor('three PRs to run at once', () => ['pr2-1', 'pr3-1', 'pr4-1'].every((n) => rec.started(n)));
    for (const g of ['pr2', 'pr3', 'pr4']) rec.release(`${g}-1`);
    await a.onIdle();
    expect(rec.maxPerGroup).toBe(1);
    expect(rec.maxTotal).toBeGreaterThanOrEqual(3);
    expect(rec.plain.filter((e) => e.startsWith('start pr1'))).toEqual(['start pr1-1', 'start pr1-2', 'start pr1-3', 'start pr1-4']);
    expect(rec.plain.filter((e) => e.includes('pr1'))).toEqual(['start pr1-1', 'end pr1-1', 'start pr1-2', 'end pr1-2', 'start pr1-3', 'end pr1-3', 'start pr1-4', 'end pr1-4']);
  });

  test('per installation: at most perPartition jobs of one installation at once, across instances', async () => {
    inst = new Instances(url, 'partition');
    const a = await inst.start(worker('a'), { perPartition: 1 });
    const b = await inst.start(worker('b'), { perPartition: 1 });
    await a.enqueue(job('pr1-1', 'pr1', 7, { hold: true }));
    await b.enqueue(job('pr2-1', 'pr2', 7));
    await a.enqueue(job('pr3-1', 'pr3', 7));
    await b.enqueue(job('pr4-1', 'pr4', 8, { hold: true }));
    await waitFor('the other installation to run alongside', () => rec.started('pr1-1') && rec.started('pr4-1'));
    await waitFor('both other jobs of installation 7 to be held back', async () => (await a.counts()).delayed === 2);
    expect(rec.started('pr2-1') || rec.started('pr3-1')).toBe(false);
    rec.release('pr1-1');
    rec.release('pr4-1');
    await a.onIdle();
    expect(rec.maxPerInst.get(7)).toBe(1);
    expect(rec.maxTotal).toBe(2);
    expect(['pr2-1', 'pr3-1'].every((n) => rec.finished(n))).toBe(true);
  });

  test('supersede: a newer head aborts the running analysis on another instance and drops the waiting one', async () => {
    inst = new Instances(url, 'supersede');
    const a = await inst.start(worker('a'));
    const b = await inst.start(worker('b'));
    const push = (head: string, hold = false) => job(`pr1-${head}`, 'pr1', 1, { key: `pr1@${head}`, version: head, hold });
    // A command (no version) holds the PR, so the first push waits behind it.
    await a.enqueue(job('pr1-cmd', 'pr1', 1, { hold: true }));
    await waitFor('the command to start', () => rec.started('pr1-cmd'));
    expect(await a.enqueue(push('v1'))).toBe('queued');
    await waitFor('v1 to be held back by the command', async () => (await a.counts()).delayed === 1);
    expect(await b.enqueue(push('v2', true))).toBe('queued'); // v1 is removed: it never runs
    // v1 is removed, or (if it was being retried just then) skipped when it starts: either way only the command and v2 remain.
    await waitFor('v1 to be gone', async () => Object.values(await a.counts()).reduce((x, y) => x + y) === 2);
    rec.release('pr1-cmd');
    await waitFor('v2 to start', () => rec.started('pr1-v2'));
    expect(await a.enqueue(push('v3'))).toBe('queued');
    await a.onIdle();
    expect(rec.plain).toEqual(['start pr1-cmd', 'end pr1-cmd', 'start pr1-v2', 'abort pr1-v2', 'start pr1-v3', 'end pr1-v3']);
    expect(rec.reasons.get('pr1-v2')).toBeInstanceOf(Superseded);
    expect((rec.reasons.get('pr1-v2') as Superseded).by).toBe('v3');
    expect(rec.maxPerGroup).toBe(1);
  });

  test('supersede then revert: the older head queued again runs again, the one in between is skipped', async () => {
    inst = new Instances(url, 'revert');
    const a = await inst.start(worker('a'));
    const push = (head: string, hold = false) => job(`pr1-${head}`, 'pr1', 1, { key: `pr1@${head}`, version: head, hold });
    await a.enqueue(push('v1', true));
    await waitFor('v1 to start', () => rec.started('pr1-v1'));
    await a.enqueue(push('v2'));
    expect(await a.enqueue(push('v1'))).toBe('queued'); // not a duplicate of the aborted run
    await a.onIdle();
    expect(rec.plain).toEqual(['start pr1-v1', 'abort pr1-v1', 'start pr1-v1', 'end pr1-v1']);
  });

  test("a worker's error is reported and not retried; the PR's next job still runs", async () => {
    inst = new Instances(url, 'errors');
    let calls = 0;
    const a = await inst.start(async (j) => {
      calls++;
      if (j.name === 'pr1-bad') throw new Error('boom');
    });
    await a.enqueue(job('pr1-bad', 'pr1'));
    await a.enqueue(job('pr1-good', 'pr1'));
    await a.onIdle();
    expect(calls).toBe(2);
    expect(inst.errors.map((e) => (e as Error).message)).toEqual(['boom']);
  });

  describe('a worker killed mid-job (SIGKILL, another process)', () => {
    let runner: string;
    let child: ChildProcess | undefined;
    beforeAll(() => {
      runner = buildChildRunner();
    });
    afterAll(() => rmSync(runner, { recursive: true, force: true }));
    afterEach(() => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });

    test('its job is retried and completed by another instance, and the PR keeps its order', async () => {
      inst = new Instances(url, 'kill');
      const web = await inst.start(worker('web'), { consume: false });
      child = spawn(process.execPath, [join(runner, 'worker.mjs'), url, inst.prefix, JSON.stringify(FAST)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor('the child worker to be ready', () => out.includes('ready\n'));
      await web.enqueue(job('pr1-1', 'pr1'));
      await web.enqueue(job('pr1-2', 'pr1'));
      await waitFor('the child to start pr1-1', () => out.includes('started pr1-1\n'));
      const killedAt = Date.now();
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));

      await inst.start(worker('survivor'));
      await waitFor('pr1-1 and pr1-2 to complete on the survivor', () => rec.finished('pr1-2'), 15_000);
      const recovery = Date.now() - killedAt;
      await web.onIdle();
      expect(out).toBe('ready\nstarted pr1-1\n'); // the child never got to pr1-2: the PR was busy
      expect(rec.events).toEqual(['start pr1-1@survivor', 'end pr1-1', 'start pr1-2@survivor', 'end pr1-2']);
      // Not before the dead worker's PR lock expired (renewed every lockMs/3, so at least 2/3 lockMs after the kill), and without waiting much longer.
      expect(recovery).toBeGreaterThanOrEqual(FAST.lockMs / 2);
      expect(recovery).toBeLessThan(FAST.lockMs * 8);
    });

    test('a job failed for stalling too often does not block its PR or its dedupe key', async () => {
      inst = new Instances(url, 'poison');
      const web = await inst.start(worker('web'), { consume: false });
      const noRetry = { ...FAST, maxStalled: 0 };
      child = spawn(process.execPath, [join(runner, 'worker.mjs'), url, inst.prefix, JSON.stringify(noRetry)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor('the child worker to be ready', () => out.includes('ready\n'));
      await web.enqueue(job('pr1-1', 'pr1'));
      await web.enqueue(job('pr1-2', 'pr1'));
      await waitFor('the child to start pr1-1', () => out.includes('started pr1-1\n'));
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));

      await inst.start(worker('survivor'), noRetry);
      await waitFor('pr1-2 to run after the failed pr1-1', () => rec.finished('pr1-2'), 15_000);
      expect(await web.enqueue(job('pr1-1', 'pr1'))).toBe('queued');
      await web.onIdle();
      expect(rec.events).toEqual(['start pr1-2@survivor', 'end pr1-2', 'start pr1-1@survivor', 'end pr1-1']);
    });
  });
});

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Fragment, Limits, TreeReader } from '../model/types.js';

/**
 * Cold parsing in worker threads. Parsing is CPU-bound (YAML ~1 s/MB), so on
 * a host with spare cores N workers parse N files at once while this thread reads
 * blobs and answers `$ref` reads (parsers never touch the file system, so a
 * worker asks back here for every other file of the tree it needs).
 *
 * Used only for large cold runs and only from the compiled build (a worker
 * needs a .js entry point); otherwise parsing stays in this thread.
 */

/** Fewer cache misses than this are parsed in this thread: starting workers costs ~100 ms. */
export const WORKER_MIN_FILES = 300;

export interface ParsePool {
  size: number;
  parse(path: string, content: string, tree: TreeReader): Promise<Fragment | null>;
  close(): Promise<void>;
}

type FromWorker = { t: 'read'; id: number; req: number; path: string } | { t: 'done'; id: number; fragment: Fragment | null } | { t: 'failed'; id: number; message: string };

/**
 * Default: with 3 or more cores, one worker per core but one (this thread
 * reads blobs and decodes results), at most 8. On 2 cores the pool measured
 * no faster than parsing in this thread (docs/performance.md), so none.
 */
export function defaultWorkers(): number {
  const cores = availableParallelism();
  return cores >= 3 ? Math.min(cores - 1, 8) : 0;
}

export async function parsePool(workers: number | undefined, limits: Limits): Promise<ParsePool | undefined> {
  const n = workers ?? defaultWorkers();
  if (n <= 0) return undefined;
  const script = new URL('./parse-worker.js', import.meta.url);
  if (script.protocol !== 'file:' || !existsSync(fileURLToPath(script))) return undefined;

  let nextId = 0;
  const jobs = new Map<number, { resolve: (f: Fragment | null) => void; reject: (e: Error) => void; tree: TreeReader; worker: Worker }>();
  const load = new Map<Worker, number>();
  const threads: Worker[] = [];
  for (let i = 0; i < n; i++) {
    const w = new Worker(script, { workerData: { limits } });
    load.set(w, 0);
    w.on('message', (msg: FromWorker) => {
      const job = jobs.get(msg.id);
      if (!job) return;
      if (msg.t === 'read') {
        job.tree.read(msg.path).then(
          (text) => w.postMessage({ t: 'read', req: msg.req, text }),
          () => w.postMessage({ t: 'read', req: msg.req, text: undefined }),
        );
        return;
      }
      jobs.delete(msg.id);
      load.set(w, load.get(w)! - 1);
      if (msg.t === 'done') job.resolve(msg.fragment);
      else job.reject(new Error(msg.message));
    });
    w.on('error', (err) => {
      for (const [id, job] of jobs) {
        if (job.worker !== w) continue;
        jobs.delete(id);
        job.reject(err);
      }
    });
    threads.push(w);
  }
  return {
    size: n,
    parse(path, content, tree) {
      // Least-loaded worker: files vary a lot in size.
      let w = threads[0]!;
      for (const t of threads) if (load.get(t)! < load.get(w)!) w = t;
      load.set(w, load.get(w)! + 1);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        jobs.set(id, { resolve, reject, tree, worker: w });
        w.postMessage({ t: 'parse', id, path, content });
      });
    },
    async close() {
      await Promise.all(threads.map((t) => t.terminate()));
    },
  };
}

import { parentPort, workerData } from 'node:worker_threads';
import type { Limits, TreeReader } from '../model/types.js';
import { issueFragment, parseContent } from './ingest.js';

/** Worker side of src/engine/workers.ts: parses one file per message; `$ref` reads go back to the main thread. */

const port = parentPort!;
const limits = (workerData as { limits: Limits }).limits;
let nextReq = 0;
const reads = new Map<number, (text: string | undefined) => void>();

type ToWorker = { t: 'parse'; id: number; path: string; content: string } | { t: 'read'; req: number; text: string | undefined };

port.on('message', (msg: ToWorker) => {
  if (msg.t === 'read') {
    reads.get(msg.req)?.(msg.text);
    reads.delete(msg.req);
    return;
  }
  const { id, path, content } = msg;
  const tree: TreeReader = {
    read: (p) =>
      new Promise((resolve) => {
        const req = nextReq++;
        reads.set(req, resolve);
        port.postMessage({ t: 'read', id, req, path: p });
      }),
  };
  parseContent(path, content, { tree, limits }).then(
    (fragment) => {
      try {
        port.postMessage({ t: 'done', id, fragment });
      } catch (err) {
        // A fragment that cannot be cloned is a parser bug: report it as a failed parse of this file.
        port.postMessage({ t: 'done', id, fragment: issueFragment(path, 'k8s', 'parser-failed', `parser output could not be transferred: ${(err as Error).message}`) });
      }
    },
    (err: Error) => port.postMessage({ t: 'failed', id, message: err.message }),
  );
});

import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { promisify } from 'node:util';
import type { FileEntry, Snapshot } from './snapshot.js';

const execFileAsync = promisify(execFile);

export class GitError extends Error {}

async function git(repo: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('git', ['-C', repo, ...args], { maxBuffer: 512 * 1024 * 1024, encoding: 'utf8' });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string; code?: string };
    if (e.code === 'ENOENT') throw new GitError('git is not installed or not on PATH');
    throw new GitError((e.stderr || e.message).trim().split('\n')[0] ?? 'git failed');
  }
}

/** Resolves a ref to a commit SHA, with a one-line error a user can act on. */
export async function resolveCommit(repo: string, ref: string): Promise<string> {
  if (ref.startsWith('-')) throw new GitError(`not a git ref: ${ref}`);
  try {
    return (await git(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])).trim();
  } catch {
    const inRepo = await git(repo, ['rev-parse', '--git-dir']).then(() => true, () => false);
    if (!inRepo) throw new GitError(`${repo} is not a git repository`);
    throw new GitError(`unknown revision "${ref}" in ${repo}`);
  }
}

/**
 * Reads blobs through one long-lived `git cat-file --batch` process:
 * objects come straight from the object store, the work tree is never touched.
 */
class BlobReader {
  private proc: ChildProcessWithoutNullStreams | undefined;
  private buffer = Buffer.alloc(0);
  private queue: { sha: string; resolve: (b: Buffer) => void; reject: (e: Error) => void }[] = [];

  constructor(private readonly repo: string) {}

  read(sha: string): Promise<Buffer> {
    const proc = this.start();
    if (this.queue.length === 0) this.hold(proc, true);
    return new Promise((resolve, reject) => {
      this.queue.push({ sha, resolve, reject });
      proc.stdin.write(`${sha}\n`);
    });
  }

  /**
   * The idle process must not keep Node alive (callers may forget close()),
   * but while a read is pending it must: otherwise a program whose only work
   * left is that read exits with the promise unsettled.
   */
  private hold(proc: ChildProcessWithoutNullStreams, on: boolean): void {
    for (const h of [proc, proc.stdout, proc.stdin, proc.stderr] as unknown as { ref?: () => void; unref?: () => void }[]) {
      if (on) h.ref?.();
      else h.unref?.();
    }
  }

  close(): void {
    this.proc?.stdin.end();
    this.proc = undefined;
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.proc) return this.proc;
    const proc = spawn('git', ['-C', this.repo, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'pipe'] });
    proc.stdout.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    const fail = (err: Error) => {
      for (const q of this.queue.splice(0)) q.reject(err);
      this.proc = undefined;
    };
    proc.on('error', fail);
    proc.on('exit', () => fail(new GitError('git cat-file exited')));
    this.hold(proc, false);
    this.proc = proc;
    return proc;
  }

  private drain(): void {
    while (this.queue.length > 0) {
      const nl = this.buffer.indexOf(10);
      if (nl < 0) return;
      const header = this.buffer.subarray(0, nl).toString('utf8');
      const head = this.queue[0]!;
      if (header.endsWith(' missing')) {
        this.buffer = this.buffer.subarray(nl + 1);
        this.queue.shift();
        head.reject(new GitError(`object ${head.sha} is missing`));
        continue;
      }
      const size = Number(header.split(' ')[2]);
      if (this.buffer.length < nl + 1 + size + 1) return;
      const body = this.buffer.subarray(nl + 1, nl + 1 + size);
      this.buffer = this.buffer.subarray(nl + 1 + size + 1);
      this.queue.shift();
      head.resolve(Buffer.from(body));
    }
    if (this.queue.length === 0 && this.proc) this.hold(this.proc, false);
  }
}

/** A snapshot of a local repository at a ref, read from git objects (no checkout). */
export async function gitSnapshot(repo: string, ref: string): Promise<Snapshot & { close(): void }> {
  const commit = await resolveCommit(repo, ref);
  const reader = new BlobReader(repo);
  let listing: Promise<FileEntry[]> | undefined;
  let byPath: Promise<Map<string, FileEntry>> | undefined;
  const list = (): Promise<FileEntry[]> =>
    (listing ??= git(repo, ['ls-tree', '-r', '-z', '--long', '--full-tree', commit]).then(parseLsTree));
  return {
    ref,
    commit,
    list,
    async read(entry) {
      return (await reader.read(entry.sha)).toString('utf8');
    },
    async readPath(path) {
      byPath ??= list().then((entries) => new Map(entries.map((e) => [e.path, e])));
      const entry = (await byPath).get(path);
      return entry ? (await reader.read(entry.sha)).toString('utf8') : undefined;
    },
    close: () => reader.close(),
  };
}

function parseLsTree(out: string): FileEntry[] {
  const entries: FileEntry[] = [];
  for (const record of out.split('\0')) {
    if (!record) continue;
    // "<mode> <type> <sha> <size>\t<path>"
    const tab = record.indexOf('\t');
    const [, type, sha, size] = record.slice(0, tab).split(/\s+/);
    if (type !== 'blob') continue; // submodules (commit) are not ours to read
    entries.push({ path: record.slice(tab + 1), sha: sha!, size: Number(size) });
  }
  return entries;
}

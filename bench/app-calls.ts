import { execFile, spawn } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { Probot, ProbotOctokit } from 'probot';
import { memoryCache } from '../src/cache/memory.js';
import type { EngineCache } from '../src/cache/types.js';
import { gitSnapshot } from '../src/engine/git.js';
import { threatdiffApp, type AppOptions } from '../src/github/app.js';
import type { Job } from '../src/github/jobs.js';
import { DEFAULT_RATE_LIMIT_POLICY } from '../src/github/octokit.js';
import { MemoryJobQueue } from '../src/github/queue.js';
import { MemoryStore } from '../src/store/memory.js';
import type { ApiCallFigures } from './figures.js';

/**
 * API calls per pull request on the app path (issue #5). The real Probot app
 * receives `pull_request.opened` webhooks and runs its real worker, with a
 * real Octokit, against a simulated GitHub: a small HTTP server on 127.0.0.1
 * that answers the REST endpoints the app uses from `git` plumbing on the
 * benchmark repository (PR = `main...branch`). Every request is counted by
 * endpoint on the server side.
 *
 * - cold: a fresh app (empty cache and store) analyses the PR;
 * - warm: a long-lived app whose cache already holds the base: it first
 *   analysed a warm-up PR on `main` (one ConfigMap added, a file no measured
 *   PR touches), then analyses the measured PR. Each measured PR sees the
 *   primed cache only, not what earlier measured PRs added to it;
 * - moved: the warm app once the warm-up PR is squash-merged into `main`.
 *
 * The warm-up and rebased commits are written into the repository's object
 * store (`hash-object`, `commit-tree`); no ref, index or work tree changes.
 */

/** GitHub's documented limits of a recursive tree listing: beyond either, `truncated` is true. */
export const TREE_MAX_ENTRIES = 100_000;
export const TREE_MAX_BYTES = 7 * 1024 * 1024;

const OWNER = 'bench-org';
const REPO = 'monorepo';
const INSTALLATION = 77;
const APP_ID = 5;
const BASE_BRANCH = 'main';

export interface CallCount {
  /** Every request, the installation token included. */
  total: number;
  /** GET requests. */
  reads: number;
  /** POST, PATCH, PUT, DELETE requests other than the token. */
  writes: number;
  /** Installation-token requests (Probot caches the token for an hour). */
  auth: number;
  /** Requests by endpoint (Octokit method names), sorted by name. */
  byEndpoint: Record<string, number>;
  /** What the app itself reported in the check run ("GitHub API calls: N": requests before the completing PATCH). */
  appReported?: number;
  conclusion?: string;
  /** Wall-clock milliseconds from webhook to idle queue (not a benchmark figure: the simulated GitHub shares the process). */
  ms: number;
}

export interface AppCallFigures extends ApiCallFigures {
  branch: string;
  changedFiles: number;
  cold?: CallCount;
  warm: CallCount;
  /** Warm app, but `main` moved on since (a new merge base whose analysis is not cached). */
  moved?: CallCount;
  /** The warm-up PR that primed the warm app's cache (itself a cold 1-file PR). */
  warmUp: CallCount;
  /** Size of the recursive tree answer for the head: entries (blobs and trees) and JSON bytes, against GitHub's limits. */
  tree: { entries: number; bytes: number; overGitHubLimits: boolean };
}

// --- git plumbing -----------------------------------------------------------

function git(repo: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile('git', ['-C', repo, ...args], { maxBuffer: 1024 * 1024 * 1024, encoding: 'utf8', env: env ? { ...process.env, ...env } : process.env }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args[0]} failed: ${String(stderr).trim().split('\n')[0] ?? err.message}`));
      else resolvePromise(stdout);
    });
  });
}

interface TreeItem {
  path: string;
  mode: string;
  type: string;
  sha: string;
  size?: number;
  url: string;
}

interface ChangedEntry {
  filename: string;
  status: string;
  sha: string;
  patch?: string;
}

const STATUS: Record<string, string> = { A: 'added', M: 'modified', D: 'removed', T: 'changed' };

/**
 * The state a GitHub repository would hold: git objects from `repoDir`,
 * pull requests, check runs, comments, labels. Answers over HTTP.
 */
class SimulatedGitHub {
  readonly requests: { method: string; endpoint: string; path: string; status: number }[] = [];
  private server: Server | undefined;
  private baseUrl = '';
  private readonly snapshot: Promise<Awaited<ReturnType<typeof gitSnapshot>>>;
  private readonly trees = new Map<string, { body: string; entries: number }>();
  private readonly diffs = new Map<string, ChangedEntry[]>();
  private readonly pulls = new Map<number, { base: string; head: string; headRef: string; labels: string[] }>();
  private checkRuns: { id: number; head_sha: string; name: string; status: string; conclusion: string | null; summary?: string }[] = [];
  private comments = new Map<number, { id: number; body: string }[]>();
  private reviewComments = new Map<number, { id: number; body: string }[]>();
  private nextId = 1000;

  constructor(readonly repoDir: string) {
    this.snapshot = gitSnapshot(repoDir, BASE_BRANCH);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    // The app and the server share one process: keep-alive sockets must not hold it open.
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    this.server.unref();
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async close(): Promise<void> {
    (await this.snapshot).close();
    this.server?.closeAllConnections();
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
  }

  /**
   * A new PR. Each measurement stands for its own repository on GitHub: check
   * runs and comments of earlier measurements (the cold run on the same head)
   * are forgotten, or the app would find the head already checked.
   */
  openPull(number: number, base: string, head: string, headRef: string): void {
    this.checkRuns = [];
    this.comments = new Map();
    this.reviewComments = new Map();
    this.pulls.set(number, { base, head, headRef, labels: [] });
  }

  /** Completed summary of the check run last updated for a head. */
  checkRunOf(head: string): { conclusion: string | null; summary?: string } | undefined {
    return [...this.checkRuns].reverse().find((r) => r.head_sha === head);
  }

  async treeSize(commit: string): Promise<{ entries: number; bytes: number }> {
    const t = await this.tree(commit);
    return { entries: t.entries, bytes: Buffer.byteLength(t.body) };
  }

  async changed(base: string, head: string): Promise<ChangedEntry[]> {
    const key = `${base}...${head}`;
    const known = this.diffs.get(key);
    if (known) return known;
    const mergeBase = (await git(this.repoDir, ['merge-base', base, head])).trim();
    // ":<old mode> <new mode> <old sha> <new sha> <status>\0<path>\0"
    const raw = (await git(this.repoDir, ['diff', '--raw', '-z', '--no-abbrev', '--no-renames', mergeBase, head])).split('\0');
    const out: ChangedEntry[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const meta = raw[i]!.split(' ');
      const status = STATUS[meta[4]![0]!] ?? 'changed';
      out.push({ filename: raw[i + 1]!, status, sha: status === 'removed' ? meta[2]! : meta[3]! });
    }
    // GitHub's `patch`: the unified diff from the first hunk on.
    const patches = (await git(this.repoDir, ['diff', '-U3', '--no-color', '--no-renames', mergeBase, head])).split(/^diff --git /m).slice(1);
    for (const section of patches) {
      const path = /^\+\+\+ b\/(.*)$/m.exec(section)?.[1] ?? /^--- a\/(.*)$/m.exec(section)?.[1];
      const at = section.indexOf('\n@@');
      const entry = out.find((e) => e.filename === path);
      if (entry && at >= 0) entry.patch = section.slice(at + 1).replace(/\n$/, '');
    }
    this.diffs.set(key, out);
    return out;
  }

  private async tree(commit: string): Promise<{ body: string; entries: number }> {
    const known = this.trees.get(commit);
    if (known) return known;
    // "<mode> <type> <sha> <size or ->\t<path>", trees included as GitHub lists them.
    const out = await git(this.repoDir, ['ls-tree', '-r', '-t', '-z', '--long', commit]);
    const tree: TreeItem[] = [];
    for (const record of out.split('\0')) {
      if (!record) continue;
      const tab = record.indexOf('\t');
      const [mode, type, sha, size] = record.slice(0, tab).split(/\s+/) as [string, string, string, string];
      const item: TreeItem = { path: record.slice(tab + 1), mode, type, sha, url: `https://api.github.com/repos/${OWNER}/${REPO}/git/${type}s/${sha}` };
      if (type === 'blob') item.size = Number(size);
      tree.push(item);
    }
    // Not truncated here even past GitHub's limits, so the analysis is complete; `treeSize` reports the size.
    const body = JSON.stringify({ sha: commit, url: '', tree, truncated: false });
    const t = { body, entries: tree.length };
    this.trees.set(commit, t);
    return t;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.baseUrl);
    const method = req.method ?? 'GET';
    if (method === 'GET' && (await this.archive(url, res))) return;
    let endpoint = `unknown ${method} ${url.pathname}`;
    let status = 200;
    let payload: unknown;
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    try {
      const body = text ? (JSON.parse(text) as Record<string, any>) : {};
      const answer = await this.route(method, url, body, headers);
      endpoint = answer.endpoint;
      status = answer.status;
      payload = answer.payload;
    } catch (err) {
      status = 500;
      payload = { message: (err as Error).message };
    }
    this.requests.push({ method, endpoint, path: url.pathname + url.search, status });
    res.writeHead(status, headers);
    res.end(typeof payload === 'string' ? payload : JSON.stringify(payload ?? {}));
  }

  /**
   * `GET /repos/:owner/:repo/tarball/:ref`: a 302 to a codeload-like URL on
   * this server, as GitHub does; the archive itself is `git archive` with
   * GitHub's `owner-repo-sha7/` prefix. Only the API request is counted: the
   * download from codeload is not a REST call and costs no rate limit.
   */
  private async archive(url: URL, res: ServerResponse): Promise<boolean> {
    const api = new RegExp(`^/repos/${OWNER}/${REPO}/tarball/(.+)$`).exec(url.pathname);
    if (api) {
      const ref = decodeURIComponent(api[1]!);
      const sha = (await git(this.repoDir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).catch(() => '')).trim();
      const status = sha ? 302 : 404;
      this.requests.push({ method: 'GET', endpoint: 'repos.downloadTarballArchive', path: url.pathname, status });
      if (sha) res.writeHead(302, { location: `${this.baseUrl}/_codeload/${OWNER}/${REPO}/legacy.tar.gz/${sha}` }).end();
      else res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ message: 'Not Found' }));
      return true;
    }
    const codeload = new RegExp(`^/_codeload/${OWNER}/${REPO}/legacy\\.tar\\.gz/([0-9a-f]{40})$`).exec(url.pathname);
    if (!codeload) return false;
    const sha = codeload[1]!;
    const child = spawn('git', ['-C', this.repoDir, 'archive', '--format=tar.gz', `--prefix=${OWNER}-${REPO}-${sha.slice(0, 7)}/`, sha], { stdio: ['ignore', 'pipe', 'ignore'] });
    res.writeHead(200, { 'content-type': 'application/x-gzip' });
    child.stdout.pipe(res);
    // A failed archive ends the body early: the app sees a cut archive.
    child.on('close', (code) => {
      if (code !== 0) res.destroy();
    });
    return true;
  }

  private async route(method: string, url: URL, body: Record<string, any>, headers: Record<string, string>): Promise<{ endpoint: string; status: number; payload: unknown }> {
    const path = url.pathname;
    const q = url.searchParams;
    let m: RegExpExecArray | null;
    const ok = (endpoint: string, payload: unknown, status = 200) => ({ endpoint, status, payload });
    if (method === 'POST' && /^\/app\/installations\/\d+\/access_tokens$/.test(path)) {
      return ok('apps.createInstallationAccessToken', { token: 'ghs_simulated', expires_at: '2099-01-01T00:00:00Z', permissions: { checks: 'write', pull_requests: 'write', issues: 'write', contents: 'read', metadata: 'read' }, repository_selection: 'all' }, 201);
    }
    const prefix = `/repos/${OWNER}/${REPO}`;
    if (!path.startsWith(prefix)) return { endpoint: `unknown ${method} ${path}`, status: 404, payload: { message: 'Not Found' } };
    const rest = path.slice(prefix.length);
    const html = `https://github.com/${OWNER}/${REPO}`;

    if (method === 'GET' && (m = /^\/pulls\/(\d+)$/.exec(rest))) {
      const pr = this.pulls.get(Number(m[1]));
      if (!pr) return { endpoint: 'pulls.get', status: 404, payload: { message: 'Not Found' } };
      return ok('pulls.get', {
        number: Number(m[1]),
        state: 'open',
        draft: false,
        changed_files: (await this.changed(pr.base, pr.head)).length,
        labels: pr.labels.map((name, i) => ({ id: i + 1, name })),
        html_url: `${html}/pull/${m[1]}`,
        head: { sha: pr.head, ref: pr.headRef, repo: { html_url: html } },
        base: { sha: pr.base, ref: BASE_BRANCH, repo: { html_url: html } },
      });
    }
    if (method === 'GET' && (m = /^\/pulls\/(\d+)\/files$/.exec(rest))) {
      const pr = this.pulls.get(Number(m[1]))!;
      // GitHub lists at most 3,000 files, 100 a page at most.
      const all = (await this.changed(pr.base, pr.head)).slice(0, 3000);
      const perPage = Math.min(100, Number(q.get('per_page') ?? 30));
      const page = Number(q.get('page') ?? 1);
      if (page * perPage < all.length) headers.link = `<${this.baseUrl}${path}?per_page=${perPage}&page=${page + 1}>; rel="next"`;
      return ok('pulls.listFiles', all.slice((page - 1) * perPage, page * perPage).map((f) => ({ ...f, additions: 1, deletions: 1, changes: 2, blob_url: '', raw_url: '', contents_url: '' })));
    }
    if (method === 'GET' && (m = /^\/commits\/([^/]+)\/check-runs$/.exec(rest))) {
      const runs = this.checkRuns.filter((r) => r.head_sha === m![1] && r.name === (q.get('check_name') ?? r.name)).reverse();
      return ok('checks.listForRef', { total_count: runs.length, check_runs: runs.map((r) => ({ id: r.id, name: r.name, head_sha: r.head_sha, status: r.status, conclusion: r.conclusion, html_url: `${html}/runs/${r.id}`, app: { id: APP_ID, slug: 'threatdiff' } })) });
    }
    if (method === 'POST' && rest === '/check-runs') {
      const run = { id: ++this.nextId, head_sha: String(body.head_sha), name: String(body.name), status: String(body.status ?? 'queued'), conclusion: null };
      this.checkRuns.push(run);
      return ok('checks.create', { ...run, html_url: `${html}/runs/${run.id}` }, 201);
    }
    if (method === 'PATCH' && (m = /^\/check-runs\/(\d+)$/.exec(rest))) {
      const run = this.checkRuns.find((r) => r.id === Number(m![1]));
      if (!run) return { endpoint: 'checks.update', status: 404, payload: { message: 'Not Found' } };
      if (body.status) run.status = String(body.status);
      if (body.conclusion) run.conclusion = String(body.conclusion);
      if (body.output?.summary) run.summary = String(body.output.summary);
      return ok('checks.update', { id: run.id, status: run.status, conclusion: run.conclusion });
    }
    if (method === 'GET' && (m = /^\/contents\/(.+)$/.exec(rest))) {
      const file = decodeURIComponent(m[1]!);
      const ref = q.get('ref') ?? BASE_BRANCH;
      const sha = (await git(this.repoDir, ['rev-parse', '--verify', '--quiet', `${ref}:${file}`]).catch(() => '')).trim();
      if (!sha) return { endpoint: 'repos.getContent', status: 404, payload: { message: 'Not Found' } };
      const content = await (await this.snapshot).read({ path: file, sha, size: 0 });
      return ok('repos.getContent', { type: 'file', encoding: 'base64', size: Buffer.byteLength(content), name: file.split('/').pop(), path: file, sha, content: Buffer.from(content).toString('base64') });
    }
    if (method === 'GET' && (m = /^\/compare\/([0-9a-f]+)\.\.\.([0-9a-f]+)$/.exec(rest))) {
      const mergeBase = (await git(this.repoDir, ['merge-base', m[1]!, m[2]!])).trim();
      return ok('repos.compareCommits', { status: 'ahead', merge_base_commit: { sha: mergeBase }, base_commit: { sha: m[1] }, commits: [], files: [] });
    }
    if (method === 'GET' && (m = /^\/git\/trees\/([0-9a-f]+)$/.exec(rest))) {
      return ok('git.getTree', (await this.tree(m[1]!)).body);
    }
    if (method === 'GET' && (m = /^\/git\/blobs\/([0-9a-f]{40})$/.exec(rest))) {
      const content = await (await this.snapshot).read({ path: '', sha: m[1]!, size: 0 });
      return ok('git.getBlob', { sha: m[1], node_id: '', size: Buffer.byteLength(content), url: '', encoding: 'base64', content: Buffer.from(content).toString('base64') });
    }
    if ((m = /^\/issues\/(\d+)\/comments$/.exec(rest))) {
      const list = this.comments.get(Number(m[1])) ?? [];
      if (method === 'GET') return ok('issues.listComments', list.map((c) => ({ ...c, user: { login: 'threatdiff[bot]', type: 'Bot' } })));
      const comment = { id: ++this.nextId, body: String(body.body) };
      this.comments.set(Number(m[1]), [...list, comment]);
      return ok('issues.createComment', comment, 201);
    }
    if (method === 'PATCH' && (m = /^\/issues\/comments\/(\d+)$/.exec(rest))) {
      for (const list of this.comments.values()) for (const c of list) if (c.id === Number(m[1])) c.body = String(body.body);
      return ok('issues.updateComment', { id: Number(m[1]), body: body.body });
    }
    if (method === 'GET' && (m = /^\/pulls\/(\d+)\/comments$/.exec(rest))) {
      return ok('pulls.listReviewComments', this.reviewComments.get(Number(m[1])) ?? []);
    }
    if (method === 'POST' && (m = /^\/pulls\/(\d+)\/reviews$/.exec(rest))) {
      const list = this.reviewComments.get(Number(m[1])) ?? [];
      for (const c of (body.comments ?? []) as { body: string }[]) list.push({ id: ++this.nextId, body: c.body });
      this.reviewComments.set(Number(m[1]), list);
      return ok('pulls.createReview', { id: ++this.nextId, state: 'COMMENTED' });
    }
    if ((m = /^\/issues\/(\d+)\/labels(?:\/(.+))?$/.exec(rest))) {
      const pr = this.pulls.get(Number(m[1]));
      if (method === 'POST') {
        if (pr) pr.labels = [...new Set([...pr.labels, ...((body.labels ?? []) as string[])])];
        return ok('issues.addLabels', (pr?.labels ?? []).map((name, i) => ({ id: i + 1, name })));
      }
      if (method === 'DELETE' && m[2]) {
        if (pr) pr.labels = pr.labels.filter((l) => l !== decodeURIComponent(m![2]!));
        return ok('issues.removeLabel', []);
      }
    }
    if (method === 'POST' && rest === '/issues') return ok('issues.create', { number: ++this.nextId, title: body.title }, 201);
    if (method === 'PATCH' && (m = /^\/issues\/(\d+)$/.exec(rest))) return ok('issues.update', { number: Number(m[1]), state: body.state });
    return { endpoint: `unknown ${method} ${rest}`, status: 404, payload: { message: 'Not Found' } };
  }
}

// --- the app ------------------------------------------------------------------

/** Probot signs its app JWT with this key; the simulated GitHub does not check it. */
let privateKey: string | undefined;
const key = () => (privateKey ??= generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey);

type AppCache = NonNullable<AppOptions['cache']>;

/**
 * A cache that reads a primed layer and writes to its own: each measured PR
 * starts from the same cache (the base analysed once), whatever PRs were
 * measured before it.
 */
function layeredCache(primed: EngineCache): { reset(): void; cache: AppCache } {
  let own = memoryCache({ maxFragments: 20_000, maxGraphs: 16 });
  return {
    reset: () => void (own = memoryCache({ maxFragments: 20_000, maxGraphs: 16 })),
    cache: {
      get: async (k) => (await own.get(k)) ?? primed.get(k),
      set: (k, v) => own.set(k, v),
      getGraph: async (k) => (await own.getGraph(k)) ?? primed.getGraph(k),
      setGraph: (k, v) => own.setGraph(k, v),
    },
  };
}

class AppUnderTest {
  private queue: MemoryJobQueue<Job> | undefined;
  private readonly probot: Probot;
  private readonly ready: Promise<void>;
  private nextPull = 1;

  constructor(private readonly gh: SimulatedGitHub, baseUrl: string, cache?: AppCache) {
    this.probot = new Probot({
      appId: APP_ID,
      privateKey: key(),
      secret: 'bench',
      baseUrl,
      log: pino({ level: 'silent' }),
      // Throttling only spaces requests out in time; the count is the same without it.
      Octokit: ProbotOctokit.defaults((o: any) => ({ ...o, throttle: { ...o.throttle, enabled: false } })) as typeof ProbotOctokit,
    });
    this.ready = this.probot.load(
      threatdiffApp({
        store: new MemoryStore(),
        appId: APP_ID,
        rateLimit: { ...DEFAULT_RATE_LIMIT_POLICY, msPerSecond: 0 },
        createQueue: (worker) => (this.queue = new MemoryJobQueue(worker, { concurrency: 2 })),
        ...(cache ? { cache } : {}),
      }),
    );
  }

  /** One `pull_request.opened` delivery for a new PR `base...head`, counted until the queue is idle. */
  async analyse(base: string, head: string, headRef: string): Promise<CallCount> {
    await this.ready;
    const number = this.nextPull++;
    this.gh.openPull(number, base, head, headRef);
    const from = this.gh.requests.length;
    const t = performance.now();
    const payload = {
      action: 'opened',
      number,
      installation: { id: INSTALLATION },
      repository: { name: REPO, full_name: `${OWNER}/${REPO}`, owner: { login: OWNER }, default_branch: BASE_BRANCH },
      pull_request: { number, state: 'open', draft: false, merged: false, head: { sha: head, ref: headRef }, base: { sha: base, ref: BASE_BRANCH } },
      sender: { login: 'bench', type: 'User' },
    };
    await this.probot.receive({ id: randomUUID(), name: 'pull_request', payload } as unknown as Parameters<Probot['receive']>[0]);
    await this.queue!.onIdle();
    const ms = performance.now() - t;
    const run = this.gh.checkRunOf(head);
    const reported = /GitHub API calls: (\d+)/.exec(run?.summary ?? '')?.[1];
    return { ...count(this.gh.requests.slice(from)), ms, ...(reported ? { appReported: Number(reported) } : {}), ...(run?.conclusion ? { conclusion: run.conclusion } : {}) };
  }
}

function count(requests: readonly { method: string; endpoint: string }[]): Omit<CallCount, 'ms'> {
  const byEndpoint: Record<string, number> = {};
  let reads = 0;
  let writes = 0;
  let auth = 0;
  for (const r of requests) {
    byEndpoint[r.endpoint] = (byEndpoint[r.endpoint] ?? 0) + 1;
    if (r.endpoint === 'apps.createInstallationAccessToken') auth++;
    else if (r.method === 'GET') reads++;
    else writes++;
  }
  const sorted = Object.fromEntries(Object.entries(byEndpoint).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { total: requests.length, reads, writes, auth, byEndpoint: sorted };
}

const WARM_UP_FILE = 'platform/bench-warm-up/configmap.yaml';
const WARM_UP_CONTENT = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bench-warm-up\n  namespace: bench-warm-up\ndata:\n  purpose: primes the app cache with the base\n';

/**
 * A commit on `parent` with some paths set to blobs (or removed: null),
 * through a private index: the repository's index, refs and work tree stay
 * as they are. Fixed dates, so the same inputs give the same SHA.
 */
async function commitOnto(repoDir: string, parent: string, changes: readonly { path: string; sha: string | null }[], message: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'threatdiff-app-calls-'));
  const env = { GIT_INDEX_FILE: join(dir, 'index'), GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.com', GIT_AUTHOR_DATE: '1700000000 +0000', GIT_COMMITTER_DATE: '1700000000 +0000' };
  try {
    await git(repoDir, ['read-tree', parent], env);
    for (const c of changes) await git(repoDir, c.sha ? ['update-index', '--add', '--cacheinfo', `100644,${c.sha},${c.path}`] : ['update-index', '--force-remove', '--', c.path], env);
    const tree = (await git(repoDir, ['write-tree'], env)).trim();
    return (await git(repoDir, ['commit-tree', tree, '-p', parent, '-m', message], env)).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function hashObject(repoDir: string, content: string): Promise<string> {
  return new Promise((done, reject) => {
    const p = execFile('git', ['-C', repoDir, 'hash-object', '-w', '--stdin'], (err, out) => (err ? reject(err) : done(out.trim())));
    p.stdin!.end(content);
  });
}

interface Session {
  gh: SimulatedGitHub;
  baseUrl: string;
  base: string;
  /** Where `main` is after the warm-up PR is squash-merged. */
  moved: string;
  warm: AppUnderTest;
  layers: ReturnType<typeof layeredCache>;
  warmUp: CallCount;
}

const sessions = new Map<string, Promise<Session>>();

/** Per repository: the simulated GitHub and a warm app primed once with the warm-up PR. */
function session(repoDir: string): Promise<Session> {
  const dir = resolve(repoDir);
  let s = sessions.get(dir);
  if (!s) {
    s = (async () => {
      const gh = new SimulatedGitHub(dir);
      const baseUrl = await gh.start();
      const base = (await git(dir, ['rev-parse', `${BASE_BRANCH}^{commit}`])).trim();
      // The app's default cache bounds (src/github/app.ts).
      const primed = memoryCache({ maxFragments: 20_000, maxGraphs: 16 });
      const layers = layeredCache(primed);
      // The warm-up writes into `primed`; measured PRs then write only to their own layer.
      let current: AppCache = primed;
      const warm = new AppUnderTest(gh, baseUrl, {
        get: (k) => current.get(k),
        set: (k, v) => current.set(k, v),
        getGraph: (k) => current.getGraph!(k),
        setGraph: (k, v) => current.setGraph!(k, v),
      });
      // `main` plus one ConfigMap in a folder of its own, a file no measured PR touches.
      const added = [{ path: WARM_UP_FILE, sha: await hashObject(dir, WARM_UP_CONTENT) }];
      const warmUp = await warm.analyse(base, await commitOnto(dir, base, added, 'bench warm-up'), 'bench-warm-up');
      // The warm-up PR squash-merged: `main` moves on to a new commit with the PR's tree.
      const moved = await commitOnto(dir, base, added, 'bench warm-up (squashed)');
      current = layers.cache;
      return { gh, baseUrl, base, moved, warm, layers, warmUp };
    })();
    sessions.set(dir, s);
  }
  return s;
}

/** Which measurements to make (`THREATDIFF_APP_CALLS=warm,moved` skips the cold runs, the slow part at 5,000 services). */
function scenarios(): Set<string> {
  return new Set((process.env.THREATDIFF_APP_CALLS ?? 'cold,warm,moved').split(',').map((x) => x.trim()));
}

/**
 * The hook `bench/run.ts` calls per PR branch: API calls of one analysis of
 * `main...branch` through the app, by kind and endpoint:
 * - cold: a new app, empty cache and store;
 * - warm: the app analysed the base before (the warm-up PR);
 * - moved: the same app after the warm-up PR was squash-merged into `main`,
 *   the PR's changes rebased onto it: no analysis of the new base is cached,
 *   its fragments are (the warm-up PR parsed the one new file).
 */
export async function apiCalls(repoDir: string, branch: string): Promise<AppCallFigures> {
  const s = await session(repoDir);
  const which = scenarios();
  const head = (await git(s.gh.repoDir, ['rev-parse', `${branch}^{commit}`])).trim();
  const changes = await s.gh.changed(s.base, head);
  const cold = which.has('cold') ? await new AppUnderTest(s.gh, s.baseUrl).analyse(s.base, head, branch) : undefined;
  s.layers.reset();
  const warm = await s.warm.analyse(s.base, head, branch);
  let moved: CallCount | undefined;
  if (which.has('moved')) {
    const rebased = await commitOnto(s.gh.repoDir, s.moved, changes.map((c) => ({ path: c.filename, sha: c.status === 'removed' ? null : c.sha })), `${branch} on the moved main`);
    s.layers.reset();
    moved = await s.warm.analyse(s.moved, rebased, `${branch}-moved`);
  }
  const size = await s.gh.treeSize(head);
  return {
    branch,
    changedFiles: changes.length,
    ...(cold ? { cold } : {}),
    warm,
    ...(moved ? { moved } : {}),
    warmUp: s.warmUp,
    tree: { ...size, overGitHubLimits: size.entries > TREE_MAX_ENTRIES || size.bytes > TREE_MAX_BYTES },
  };
}

/** Stops the simulated GitHub servers (tests; the benchmark's child process just exits). */
export async function closeAppCalls(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  for (const s of all) await (await s).gh.close();
}

import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import nock from 'nock';
import { pino } from 'pino';
import { Probot, ProbotOctokit } from 'probot';
import { blobSha } from '../../../src/engine/memory.js';
import { threatdiffApp, type AppOptions } from '../../../src/github/app.js';
import type { Job } from '../../../src/github/jobs.js';
import { DEFAULT_RATE_LIMIT_POLICY } from '../../../src/github/octokit.js';
import { MemoryJobQueue } from '../../../src/github/queue.js';
import { MemoryStore } from '../../../src/store/memory.js';
import { OpenApiValidator } from './openapi-validator.js';

export const API = 'https://api.github.com';
export const APP_ID = 1;

/** One RSA key per test file: Probot signs its app JWT with it (nock answers the token request). */
const PRIVATE_KEY = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;

export type Files = Record<string, string>;

export interface Recorded {
  method: string;
  path: string;
  body: any;
}

/**
 * A simulated repository on GitHub: commits as file maps, and nock
 * interceptors answering the REST calls the app makes about them, each
 * expected exactly once unless said otherwise. Every request is recorded
 * and validated against GitHub's REST description.
 */
export class FakeGitHub {
  readonly owner = 'octo-org';
  readonly repo = 'shop';
  readonly installationId = 4242;
  readonly scope: nock.Scope;
  readonly requests: Recorded[] = [];
  readonly problems: string[] = [];
  readonly unmatched: string[] = [];
  private readonly commits = new Map<string, Files>();
  private readonly validator = OpenApiValidator.github();
  private readonly onNoMatch = (req: { method?: string; path?: string }) => this.unmatched.push(`${req.method} ${req.path}`);

  constructor() {
    nock.disableNetConnect();
    this.scope = nock(API);
    this.scope.on('request', (req: { method: string; path: string }, _interceptor: unknown, body: string) => {
      const parsed = body ? safeJson(body) : undefined;
      this.requests.push({ method: req.method, path: req.path, body: parsed });
      this.problems.push(...this.validator.check(req.method, req.path, body));
    });
    nock.emitter.on('no match', this.onNoMatch);
  }

  get ids() {
    return { owner: this.owner, repo: this.repo, installationId: this.installationId };
  }

  get base(): string {
    return `/repos/${this.owner}/${this.repo}`;
  }

  /** Records a commit; its SHA is derived from the label so runs are reproducible. */
  commit(label: string, files: Files): string {
    const sha = createHash('sha1').update(`commit ${label}`).digest('hex');
    this.commits.set(sha, files);
    return sha;
  }

  files(sha: string): Files {
    const f = this.commits.get(sha);
    if (!f) throw new Error(`unknown commit ${sha}`);
    return f;
  }

  /** Requests made so far, as `METHOD /path` lines (query strings kept). */
  calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  /** Bodies sent to one repository path (`/check-runs/101`), query strings ignored. */
  bodiesOf(method: string, path: string): any[] {
    return this.requests.filter((r) => r.method === method && r.path.split('?')[0] === this.base + path).map((r) => r.body);
  }

  done(): void {
    nock.emitter.removeListener('no match', this.onNoMatch);
    nock.cleanAll();
  }

  // --- interceptors -------------------------------------------------------

  token(): this {
    this.scope.post(`/app/installations/${this.installationId}/access_tokens`).reply(201, { token: 'ghs_test', expires_at: '2099-01-01T00:00:00Z', permissions: { checks: 'write', pull_requests: 'write', issues: 'write', contents: 'read', metadata: 'read' }, repository_selection: 'all' });
    return this;
  }

  pull(number: number, pr: { head: string; base: string; draft?: boolean; labels?: string[]; state?: string }): this {
    this.scope.get(`${this.base}/pulls/${number}`).reply(200, {
      number,
      state: pr.state ?? 'open',
      draft: pr.draft ?? false,
      changed_files: this.changedFiles(pr.base, pr.head).length,
      labels: (pr.labels ?? []).map((name, i) => ({ id: i + 1, name })),
      head: { sha: pr.head, ref: 'feature', repo: { html_url: `https://github.com/${this.owner}/${this.repo}` } },
      base: { sha: pr.base, ref: 'main', repo: { html_url: `https://github.com/${this.owner}/${this.repo}` } },
    });
    return this;
  }

  checkRuns(head: string, runs: { id: number; status: string; conclusion?: string | null }[] = []): this {
    this.scope
      .get(`${this.base}/commits/${head}/check-runs`)
      .query({ check_name: 'threatdiff', filter: 'latest', per_page: '20' })
      .reply(200, { total_count: runs.length, check_runs: runs.map((r) => ({ ...r, name: 'threatdiff', head_sha: head, html_url: `https://github.com/${this.owner}/${this.repo}/runs/${r.id}`, app: { id: APP_ID, slug: 'threatdiff' } })) });
    return this;
  }

  createCheckRun(id: number): this {
    this.scope.post(`${this.base}/check-runs`).reply(201, (_uri, body: any) => ({ id, name: body.name, head_sha: body.head_sha, status: body.status, html_url: `https://github.com/${this.owner}/${this.repo}/runs/${id}` }));
    return this;
  }

  updateCheckRun(id: number, times = 1): this {
    this.scope.patch(`${this.base}/check-runs/${id}`).times(times).reply(200, (_uri, body: any) => ({ id, status: body.status ?? 'completed', conclusion: body.conclusion ?? null }));
    return this;
  }

  changedFiles(base: string, head: string): { filename: string; status: string; patch?: string }[] {
    const a = this.files(base);
    const b = this.files(head);
    const out: { filename: string; status: string; patch?: string }[] = [];
    for (const path of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (a[path] === b[path]) continue;
      const status = a[path] === undefined ? 'added' : b[path] === undefined ? 'removed' : 'modified';
      out.push({ filename: path, status, patch: patchFor(a[path], b[path]) });
    }
    return out;
  }

  prFiles(number: number, base: string, head: string): this {
    const files = this.changedFiles(base, head).map((f) => ({ sha: blobSha(this.files(head)[f.filename] ?? ''), additions: 1, deletions: 0, changes: 1, blob_url: '', raw_url: '', contents_url: '', ...f }));
    this.scope.get(`${this.base}/pulls/${number}/files`).query({ per_page: '100' }).reply(200, files);
    return this;
  }

  /** The config file at a ref through the contents API (404 when the commit has none). */
  config(ref: string): this {
    const text = this.files(ref)['.github/threatdiff.yml'];
    const route = this.scope.get(`${this.base}/contents/.github%2Fthreatdiff.yml`).query({ ref });
    if (text === undefined) route.reply(404, { message: 'Not Found' });
    else route.reply(200, { type: 'file', encoding: 'base64', size: Buffer.byteLength(text), name: 'threatdiff.yml', path: '.github/threatdiff.yml', content: Buffer.from(text).toString('base64'), sha: blobSha(text) });
    return this;
  }

  compare(base: string, head: string, mergeBase = base): this {
    this.scope.get(`${this.base}/compare/${base}...${head}`).query({ per_page: '1' }).reply(200, { status: 'ahead', merge_base_commit: { sha: mergeBase }, base_commit: { sha: base }, commits: [], files: [] });
    return this;
  }

  /** A failing answer for the next matching request (register before the good one: nock answers in order). */
  fail(method: 'GET' | 'POST' | 'PATCH', path: string, status: number, options: { headers?: Record<string, string>; message?: string; query?: Record<string, string>; times?: number } = {}): this {
    const route = this.scope.intercept(`${this.base}${path}`, method);
    (options.query ? route.query(options.query) : route).times(options.times ?? 1).reply(status, { message: options.message ?? 'Server Error' }, options.headers ?? {});
    return this;
  }

  tree(sha: string, options: { truncated?: boolean; beforeReply?: () => Promise<unknown> } = {}): this {
    const files = this.files(sha);
    const dirs = new Set<string>();
    for (const p of Object.keys(files)) p.split('/').slice(0, -1).forEach((_, i, parts) => dirs.add(parts.slice(0, i + 1).join('/')));
    const tree = [
      ...[...dirs].map((path) => ({ path, mode: '040000', type: 'tree', sha: createHash('sha1').update(`tree ${sha} ${path}`).digest('hex') })),
      ...Object.entries(files).map(([path, content]) => ({ path, mode: '100644', type: 'blob', sha: blobSha(content), size: Buffer.byteLength(content) })),
    ];
    const body = { sha, url: '', tree, truncated: options.truncated ?? false };
    // Optional: the app remembers a commit's listing, so a re-analysis of the same commits lists no tree
    // (test/bench/app-calls.test.ts counts tree requests exactly).
    const route = this.scope.get(`${this.base}/git/trees/${sha}`).query({ recursive: '1' }).optionally();
    // A hook lets a test act (deliver a newer push) while this request is in flight.
    if (options.beforeReply) {
      const before = options.beforeReply;
      route.reply((_uri, _body, cb) => void before().then(() => cb(null, [200, body]), (err: Error) => cb(err, [500, {}])));
    } else route.reply(200, body);
    return this;
  }

  blob(content: string): this {
    const sha = blobSha(content);
    this.scope.get(`${this.base}/git/blobs/${sha}`).reply(200, { sha, size: Buffer.byteLength(content), encoding: 'base64', content: Buffer.from(content).toString('base64'), url: '', node_id: '' });
    return this;
  }

  issueComments(pull: number, comments: { id: number; body: string; type?: string }[] = []): this {
    this.scope
      .get(`${this.base}/issues/${pull}/comments`)
      .query({ per_page: '100' })
      .reply(200, comments.map((c) => ({ id: c.id, body: c.body, user: { login: 'threatdiff[bot]', type: c.type ?? 'Bot' } })));
    return this;
  }

  createComment(pull: number, id: number): this {
    this.scope.post(`${this.base}/issues/${pull}/comments`).reply(201, (_uri, body: any) => ({ id, body: body.body }));
    return this;
  }

  updateComment(id: number): this {
    this.scope.patch(`${this.base}/issues/comments/${id}`).reply(200, (_uri, body: any) => ({ id, body: body.body }));
    return this;
  }

  reviewComments(pull: number, bodies: string[] = []): this {
    this.scope
      .get(`${this.base}/pulls/${pull}/comments`)
      .query({ per_page: '100' })
      .reply(200, bodies.map((body, i) => ({ id: 900 + i, body })));
    return this;
  }

  createReview(pull: number, status = 200): this {
    this.scope.post(`${this.base}/pulls/${pull}/reviews`).reply(status, status === 200 ? { id: 77, state: 'COMMENTED' } : { message: 'Unprocessable Entity', errors: ['Line could not be resolved'] });
    return this;
  }

  addLabels(pull: number): this {
    this.scope.post(`${this.base}/issues/${pull}/labels`).reply(200, (_uri, body: any) => body.labels.map((name: string, i: number) => ({ id: i + 1, name })));
    return this;
  }

  removeLabel(pull: number, name: string): this {
    this.scope.delete(`${this.base}/issues/${pull}/labels/${encodeURIComponent(name)}`).reply(200, []);
    return this;
  }

  reaction(commentId: number): this {
    this.scope.post(`${this.base}/issues/comments/${commentId}/reactions`).reply(201, (_uri, body: any) => ({ id: 1, content: body.content }));
    return this;
  }

  permission(login: string, permission: string, roleName: string): this {
    this.scope.get(`${this.base}/collaborators/${login}/permission`).reply(200, { permission, role_name: roleName, user: { login } });
    return this;
  }

  updateIssue(number: number): this {
    this.scope.patch(`${this.base}/issues/${number}`).reply(200, (_uri, body: any) => ({ number, state: body.state }));
    return this;
  }

  createIssue(number: number): this {
    this.scope.post(`${this.base}/issues`).reply(201, (_uri, body: any) => ({ number, title: body.title }));
    return this;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function lines(text: string | undefined): string[] {
  if (text === undefined) return [];
  const l = text.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}

/** A unified-diff hunk like GitHub's `patch`: shared leading and trailing lines as context, the middle replaced. */
export function patchFor(before: string | undefined, after: string | undefined): string {
  const a = lines(before);
  const b = lines(after);
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let post = 0;
  while (post < a.length - pre && post < b.length - pre && a[a.length - 1 - post] === b[b.length - 1 - post]) post++;
  const body = [...a.slice(0, pre).map((l) => ` ${l}`), ...a.slice(pre, a.length - post).map((l) => `-${l}`), ...b.slice(pre, b.length - post).map((l) => `+${l}`), ...a.slice(a.length - post).map((l) => ` ${l}`)];
  return `@@ -${a.length ? 1 : 0},${a.length} +${b.length ? 1 : 0},${b.length} @@\n${body.join('\n')}`;
}

export interface RunningApp {
  probot: Probot;
  store: MemoryStore;
  receive(name: string, payload: Record<string, any>, id?: string): Promise<string>;
  idle(): Promise<void>;
}

/**
 * Probot with the app loaded, as `probot run` would, except: retries and
 * rate-limit waits take no time, and the queue is reachable for `idle()`.
 */
export async function startApp(options: Partial<AppOptions> = {}): Promise<RunningApp> {
  const store = new MemoryStore();
  let queue: MemoryJobQueue<Job> | undefined;
  const probot = new Probot({
    appId: APP_ID,
    privateKey: PRIVATE_KEY,
    secret: 'test',
    log: pino({ level: 'silent' }),
    // Probot's own plugins stay on (plugin-retry retries 5xx); only their waits shrink.
    Octokit: ProbotOctokit.defaults((o: any) => ({ ...o, retry: { ...o.retry, retryAfterBaseValue: 0 }, throttle: { ...o.throttle, enabled: false } })) as typeof ProbotOctokit,
  });
  await probot.load(
    threatdiffApp({
      store,
      appId: APP_ID,
      rateLimit: { ...DEFAULT_RATE_LIMIT_POLICY, msPerSecond: 0 },
      createQueue: (worker) => (queue = new MemoryJobQueue(worker, { concurrency: 2 })),
      ...options,
    }),
  );
  return {
    probot,
    store,
    async receive(name, payload, id = randomUUID()) {
      await probot.receive({ id, name, payload } as Parameters<Probot['receive']>[0]);
      return id;
    },
    idle: () => queue!.onIdle(),
  };
}

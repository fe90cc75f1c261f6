import nock from 'nock';
import { ProbotOctokit } from 'probot';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { diffSnapshots } from '../../src/engine/analyze.js';
import { memorySnapshot } from '../../src/engine/memory.js';
import { completeCheckRun } from '../../src/github/checks.js';
import { parseCommand } from '../../src/github/commands.js';
import { DEFAULT_RATE_LIMIT_POLICY, rateLimitWait, type Octokit } from '../../src/github/octokit.js';
import { headLinesInPatch } from '../../src/github/pr-files.js';
import { MemoryJobQueue, Superseded } from '../../src/github/queue.js';
import { reviewTriggers } from '../../src/github/triggers.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Annotation } from '../../src/report/annotations.js';
import type { Threat } from '../../src/model/graph.js';
import { checkSummary, reviewCommentBody, STICKY_MARKER, stickyBody, SUMMARY_LIMIT, type RunNotes } from '../../src/github/messages.js';
import { OpenApiValidator } from './helpers/openapi-validator.js';

describe('parseCommand', () => {
  test.each([
    ['/threatdiff help', { name: 'help' }],
    ['/threatdiff', { name: 'help' }],
    ['Thanks!\n/threatdiff rerun\n', { name: 'rerun' }],
    ['/THREATDIFF Full', { name: 'full' }],
    ['/threatdiff stories', { name: 'stories' }],
    ['/threatdiff explain TD-B7130299EEA8', { name: 'explain', id: 'TD-b7130299eea8' }],
    ['/threatdiff accept TD-b7130299eea8   public  site, by design ', { name: 'accept', id: 'TD-b7130299eea8', reason: 'public site, by design' }],
    ['/threatdiff unaccept td-b7130299eea8', { name: 'unaccept', id: 'TD-b7130299eea8' }],
    ['/threatdiff accept TD-b7130299eea8', { name: 'unknown', text: '/threatdiff accept TD-b7130299eea8' }],
    ['/threatdiff explain k8s:Service/shop/web', { name: 'unknown', text: '/threatdiff explain k8s:Service/shop/web' }],
    ['/threatdiff deploy', { name: 'unknown', text: '/threatdiff deploy' }],
  ])('%j', (body, expected) => {
    expect(parseCommand(body)).toEqual(expected);
  });

  test('ordinary, quoted and fenced mentions are not commands', () => {
    expect(parseCommand('what does /threatdiff say?')).toBeNull();
    expect(parseCommand('> /threatdiff rerun\nno')).toBeNull();
    expect(parseCommand('```\n/threatdiff rerun\n```')).toBeNull();
    expect(parseCommand('/threatdiffs rerun')).toBeNull();
  });
});

test('headLinesInPatch: added and context lines of every hunk, never removed ones', () => {
  const patch = ['@@ -1,3 +1,4 @@', ' a', '-b', '+B', '+B2', ' c', '@@ -10,2 +11,2 @@', ' x', '-y', '+Y', '\\ No newline at end of file'].join('\n');
  expect([...headLinesInPatch(patch)]).toEqual([1, 2, 3, 4, 11, 12]);
  expect([...headLinesInPatch('@@ -0,0 +1,2 @@\n+one\n+two')]).toEqual([1, 2]);
});

describe('rateLimitWait', () => {
  const err = (status: number, message: string, headers: Record<string, string>) => Object.assign(new Error(message), { status, response: { headers } });
  test('secondary limits wait as long as retry-after says, or a minute', () => {
    expect(rateLimitWait(err(403, 'You have exceeded a secondary rate limit', { 'retry-after': '7' }), DEFAULT_RATE_LIMIT_POLICY)).toBe(7);
    expect(rateLimitWait(err(403, 'You have exceeded a secondary rate limit', {}), DEFAULT_RATE_LIMIT_POLICY)).toBe(60);
    expect(rateLimitWait(err(429, 'Too many requests', { 'retry-after': '3' }), DEFAULT_RATE_LIMIT_POLICY)).toBe(3);
  });
  test('the primary limit waits until the reset', () => {
    expect(rateLimitWait(err(403, 'API rate limit exceeded', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1000' }), DEFAULT_RATE_LIMIT_POLICY, 990_000)).toBe(11);
  });
  test('other errors are not rate limits', () => {
    expect(rateLimitWait(err(403, 'Resource not accessible by integration', {}), DEFAULT_RATE_LIMIT_POLICY)).toBeUndefined();
    expect(rateLimitWait(err(502, 'Bad Gateway', { 'retry-after': '1' }), DEFAULT_RATE_LIMIT_POLICY)).toBeUndefined();
    expect(rateLimitWait(new Error('socket hang up'), DEFAULT_RATE_LIMIT_POLICY)).toBeUndefined();
  });
});

describe('MemoryJobQueue', () => {
  function deferred() {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  }

  test('drops a job whose key is waiting or running, runs one job per group at a time, and reports idleness', async () => {
    const log: string[] = [];
    const gate = deferred();
    const queue = new MemoryJobQueue<string>(
      async (data) => {
        log.push(`start ${data}`);
        if (data === 'a1') await gate.promise;
        log.push(`end ${data}`);
      },
      { concurrency: 4 },
    );
    expect(await queue.enqueue({ key: 'pr1@a', group: 'pr1', data: 'a1' })).toBe('queued');
    expect(await queue.enqueue({ key: 'pr1@a', group: 'pr1', data: 'a1-again' })).toBe('duplicate');
    expect(await queue.enqueue({ key: 'pr1@cmd', group: 'pr1', data: 'cmd' })).toBe('queued');
    expect(await queue.enqueue({ key: 'pr2@x', group: 'pr2', data: 'x' })).toBe('queued');
    expect(await queue.enqueue({ key: 'pr1@cmd', group: 'pr1', data: 'cmd-again' })).toBe('duplicate');
    let idle = false;
    const idlePromise = queue.onIdle().then(() => (idle = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(log).toEqual(['start a1', 'start x', 'end x']);
    expect(idle).toBe(false);
    gate.resolve();
    await idlePromise;
    expect(log).toEqual(['start a1', 'start x', 'end x', 'end a1', 'start cmd', 'end cmd']);
  });

  test('a newer version supersedes: waiting older versions are dropped, the running one is aborted', async () => {
    const log: string[] = [];
    const gate = deferred();
    const queue = new MemoryJobQueue<string>(
      async (data, signal) => {
        log.push(`start ${data}`);
        if (data === 'A') await gate.promise;
        log.push(`end ${data}${signal.aborted ? ` (aborted: ${(signal.reason as Superseded).by})` : ''}`);
      },
      { concurrency: 1 },
    );
    await queue.enqueue({ key: 'pr@A', group: 'pr', version: 'A', data: 'A' });
    await queue.enqueue({ key: 'pr@B', group: 'pr', version: 'B', data: 'B' });
    await queue.enqueue({ key: 'pr@cmd', group: 'pr', data: 'cmd' });
    await queue.enqueue({ key: 'pr@C', group: 'pr', version: 'C', data: 'C' });
    gate.resolve();
    await queue.onIdle();
    expect(log).toEqual(['start A', 'end A (aborted: B)', 'start cmd', 'end cmd', 'start C', 'end C']);
    // The same head again after it was aborted is a new job, not a duplicate.
    expect(await queue.enqueue({ key: 'pr@A', group: 'pr', version: 'A', data: 'A2' })).toBe('queued');
    await queue.onIdle();
  });

  test('bounded concurrency across groups', async () => {
    let running = 0;
    let peak = 0;
    const queue = new MemoryJobQueue<number>(
      async () => {
        peak = Math.max(peak, ++running);
        await new Promise((r) => setTimeout(r, 2));
        running--;
      },
      { concurrency: 2 },
    );
    for (let i = 0; i < 6; i++) await queue.enqueue({ key: `k${i}`, group: `g${i}`, data: i });
    await queue.onIdle();
    expect(peak).toBe(2);
  });
});

test('MemoryStore claims a delivery once', async () => {
  const store = new MemoryStore();
  expect(await store.claimDelivery('d1')).toBe(true);
  expect(await store.claimDelivery('d1')).toBe(false);
  expect(await store.claimDelivery('d2')).toBe(true);
});

describe('OpenApiValidator', () => {
  const v = OpenApiValidator.github();
  test('accepts a body GitHub documents', () => {
    expect(v.check('POST', '/repos/o/r/check-runs', JSON.stringify({ name: 'threatdiff', head_sha: 'abc', status: 'in_progress' }))).toEqual([]);
    expect(v.check('GET', '/repos/o/r/pulls/7/files?per_page=100', undefined)).toEqual([]);
  });
  test('rejects what GitHub would reject', () => {
    expect(v.check('PATCH', '/repos/o/r/check-runs/1', JSON.stringify({ conclusion: 'passed' }))).toEqual([expect.stringContaining('body/conclusion must be equal to one of the allowed values')]);
    const annotation = { path: 'a', start_line: 1, end_line: 1, annotation_level: 'failure', message: 'm' };
    expect(v.check('PATCH', '/repos/o/r/check-runs/1', JSON.stringify({ output: { title: 't', summary: 's', annotations: Array(51).fill(annotation) } }))).toEqual([expect.stringContaining('must NOT have more than 50 items')]);
    expect(v.check('POST', '/repos/o/r/issues/comments/1/reactions', JSON.stringify({ content: 'thumbsup' }))).toHaveLength(1);
    expect(v.check('GET', '/repos/o/r/pulls/7/files?page_size=100', undefined)).toEqual([expect.stringContaining('query parameter "page_size" is not declared')]);
    expect(v.check('GET', '/repos/o/r/threat-models', undefined)).toEqual(["GET /repos/o/r/threat-models: no such operation in GitHub's REST description"]);
  });
});

test('completeCheckRun sends 120 annotations as 50 + 50 + 20, the first with the conclusion', async () => {
  nock.disableNetConnect();
  const v = OpenApiValidator.github();
  const bodies: any[] = [];
  const problems: string[] = [];
  const scope = nock('https://api.github.com')
    .patch('/repos/o/r/check-runs/5')
    .times(3)
    .reply(200, (uri, body) => {
      bodies.push(body);
      problems.push(...v.check('PATCH', uri, JSON.stringify(body)));
      return { id: 5 };
    });
  const octokit = new ProbotOctokit({ auth: { token: 'test' }, retry: { enabled: false }, throttle: { enabled: false } }) as Octokit;
  const annotations: Annotation[] = Array.from({ length: 120 }, (_, i) => ({ path: 'k8s/a.yaml', start_line: i + 1, end_line: i + 1, annotation_level: 'warning', title: `t${i}`, message: 'm' }));
  await completeCheckRun(octokit, { owner: 'o', repo: 'r' }, 5, { conclusion: 'failure', title: 'T', summary: 'S', annotations });
  expect(problems).toEqual([]);
  expect(bodies.map((b) => [b.conclusion, b.output.annotations.length, b.output.annotations[0].title])).toEqual([
    ['failure', 50, 't0'],
    [undefined, 50, 't50'],
    [undefined, 20, 't100'],
  ]);
  expect(scope.isDone()).toBe(true);
  nock.cleanAll();
});

test('review triggers: new permissions, a new data store, and a new identity bound to a role that can write', async () => {
  const sa = 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: writer\n  namespace: shop\n';
  const role = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: edit-orders\n  namespace: shop\nrules:\n  - apiGroups: [""]\n    resources: ["configmaps"]\n    verbs: ["get", "update"]\n';
  const binding =
    'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: writer-edit\n  namespace: shop\nsubjects:\n  - kind: ServiceAccount\n    name: writer\n    namespace: shop\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: edit-orders\n';
  const pvc = 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: orders-data\n  namespace: shop\nspec:\n  accessModes: ["ReadWriteOnce"]\n  resources:\n    requests:\n      storage: 1Gi\n';
  const { report, base, head } = await diffSnapshots(memorySnapshot({}), memorySnapshot({ 'k8s/sa.yaml': sa, 'k8s/role.yaml': role, 'k8s/binding.yaml': binding, 'k8s/pvc.yaml': pvc }), { config: DEFAULT_CONFIG });
  expect(reviewTriggers(report, head.graph, base.graph).map((t) => [t.kind, t.element, t.detail])).toEqual([
    ['auth-change', 'k8s:Role/shop/edit-orders', 'new permissions edit-orders (k8s/role.yaml:2)'],
    ['auth-change', 'k8s:RoleBinding/shop/writer-edit', 'new permissions writer-edit (k8s/binding.yaml:2)'],
    ['data-store', 'k8s:PersistentVolumeClaim/shop/orders-data', 'datastore orders-data (k8s/pvc.yaml:2)'],
    ['identity-write', 'k8s:ServiceAccount/shop/writer', 'writer can write (k8s/sa.yaml:2)'],
  ]);
  // A role that only reads gives its new identity no write trigger.
  const readOnly = await diffSnapshots(memorySnapshot({}), memorySnapshot({ 'k8s/sa.yaml': sa, 'k8s/role.yaml': role.replace('"update"', '"list"'), 'k8s/binding.yaml': binding }), { config: DEFAULT_CONFIG });
  expect(reviewTriggers(readOnly.report, readOnly.head.graph, readOnly.base.graph).map((t) => t.kind)).toEqual(['auth-change', 'auth-change']);
  expect(reviewTriggers(report, head.graph, head.graph)).toEqual([]);
});

describe('messages', () => {
  const serviceYaml = (i: number) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: web-${i}\n  namespace: shop\nspec:\n  type: LoadBalancer\n  selector:\n    app: web-${i}\n  ports:\n    - port: 80\n`;

  test('summaries of a huge change stay within GitHub limits, with a note', async () => {
    const head: Record<string, string> = {};
    for (let i = 0; i < 400; i++) head[`k8s/svc-${i}.yaml`] = serviceYaml(i);
    const { report, base: b, head: h } = await diffSnapshots(memorySnapshot({}), memorySnapshot(head), { config: DEFAULT_CONFIG });
    expect(report.summary.threats.new).toBeGreaterThanOrEqual(400);
    const notes: RunNotes = { triggers: reviewTriggers(report, h.graph, b.graph), fullReviewLabel: 'threat-model: full review', draft: false, filesTruncated: false, reviewDegraded: [], publishProblems: [], baseCommit: 'a'.repeat(40), headCommit: 'b'.repeat(40) };
    const summary = checkSummary(report, { head: h.graph, base: b.graph }, notes);
    expect(summary.length).toBeLessThanOrEqual(SUMMARY_LIMIT);
    expect(summary).toContain('not shown');
    expect(summary.endsWith('</sub>\n')).toBe(true);
    const sticky = stickyBody(report, { head: h.graph, base: b.graph }, notes, 'failure', 'digest');
    expect(sticky.length).toBeLessThanOrEqual(65_536);
    expect(sticky.startsWith(STICKY_MARKER)).toBe(true);
  });

  test('text from files cannot mention, link or render in a review comment', () => {
    const { head } = { head: { elements: new Map() } as never };
    const threat = {
      id: 'TD-0123456789ab', key: 'k', ruleId: 'graph-unauthenticated-crossing', title: 'Unauthenticated flow', stride: ['S'], severity: 'high', status: 'new',
      element: '@org/team <img src=x>', location: { file: 'k8s/a.yaml', line: 3 }, evidence: 'ping @org/team <img src=x onerror=alert(1)> see #12 http://evil.example', mitigation: 'Add auth.', references: [],
    } as unknown as Threat;
    const body = reviewCommentBody(threat, head);
    // Outside code spans (which render literally) nothing is live; inside them, mentions are still broken.
    expect(body.replace(/`[^`\n]*`/g, '')).not.toMatch(/<img|@org|(^|[^\\])#12|http:\/\//);
    expect(body).toContain('`@\u200borg/team <img src=x>`');
    expect(body).toContain('&lt;img src=x onerror=alert\\(1\\)&gt;');
    expect(body.startsWith('<!-- threatdiff:finding TD-0123456789ab -->\n')).toBe(true);
  });
});

describe('webhook handlers when the queue is down', () => {
  test('the delivery is given back so a redelivery is handled', async () => {
    const { webhookHandlers } = await import('../../src/github/handlers.js');
    const { MemoryStore } = await import('../../src/store/memory.js');
    const store = new MemoryStore();
    let fail = true;
    const queued: unknown[] = [];
    const on = webhookHandlers({ store, enqueue: async (job) => { if (fail) throw new Error('redis down'); queued.push(job); } });
    const payload = {
      action: 'opened',
      installation: { id: 1 },
      repository: { owner: { login: 'octo' }, name: 'shop', full_name: 'octo/shop', default_branch: 'main' },
      pull_request: { number: 7, state: 'open', draft: false, merged: false, head: { sha: 'a'.repeat(40), ref: 'f' }, base: { sha: 'b'.repeat(40), ref: 'main' } },
      sender: { login: 'dev', type: 'User' },
    };
    await expect(on.pullRequest('delivery-1', payload as never)).rejects.toThrow('redis down');
    fail = false;
    await on.pullRequest('delivery-1', payload as never);
    expect(queued).toHaveLength(1);
  });
});

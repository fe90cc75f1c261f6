import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import nock from 'nock';
import { pack } from 'tar-stream';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { diffSnapshots } from '../../src/engine/analyze.js';
import { blobSha, memorySnapshot } from '../../src/engine/memory.js';
import type { Threat } from '../../src/model/graph.js';
import { FakeGitHub, startApp, type Files, type RunningApp } from './helpers/fake-github.js';
import { checkRunRerequestedEvent, pullRequestEvent } from './helpers/payloads.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/github/${name}`, import.meta.url), 'utf8');
const DEPLOYMENT = fixture('deployment.yaml');
const SERVICE_LB = fixture('service-loadbalancer.yaml');
const SERVICE_INTERNAL = fixture('service-clusterip.yaml');
const LABEL = 'threat-model: full review';
const PR = { repo: 'octo-org/shop', pull: 7 };

/** What the engine itself says about a change: the app's output is checked against it. */
async function engineFindings(base: Files, head: Files): Promise<Threat[]> {
  const { report } = await diffSnapshots(memorySnapshot(base), memorySnapshot(head), { config: DEFAULT_CONFIG });
  return report.threats.filter((t) => t.status === 'new');
}

let gh: FakeGitHub;
let app: RunningApp;
let base: string;
let exposed: string;

beforeEach(async () => {
  gh = new FakeGitHub();
  app = await startApp();
  base = gh.commit('base', { 'README.md': '# shop\n', 'k8s/deployment.yaml': DEPLOYMENT });
  exposed = gh.commit('exposed', { ...gh.files(base), 'k8s/service.yaml': SERVICE_LB });
});

afterEach(() => gh.done());

function expectAllConsumedAndValid(): void {
  expect(gh.problems).toEqual([]);
  expect(gh.unmatched).toEqual([]);
  expect(gh.scope.pendingMocks()).toEqual([]);
}

/** The reads every full analysis makes, in order: PR, check run, files, base config, merge base, both trees. */
function analysisReads(pull: number, head: string, checkRunId: number, options: { labels?: string[]; runs?: { id: number; status: string; conclusion?: string }[] } = {}): FakeGitHub {
  return gh
    .pull(pull, { head, base, labels: options.labels ?? [] })
    .checkRuns(head, options.runs ?? [])
    .createCheckRun(checkRunId)
    .prFiles(pull, base, head)
    .config(base)
    .compare(base, head)
    .tree(base)
    .tree(head);
}

/** The first run on the exposed head: check failure, review, label, sticky comment. */
async function analyseExposed(): Promise<Threat> {
  analysisReads(7, exposed, 101).blob(DEPLOYMENT).blob(SERVICE_LB).reviewComments(7).createReview(7).addLabels(7).issueComments(7).createComment(7, 5001).updateCheckRun(101);
  await app.receive('pull_request', pullRequestEvent('opened', gh.ids, { number: 7, head: exposed, base }));
  await app.idle();
  expectAllConsumedAndValid();
  const [finding] = await engineFindings(gh.files(base), gh.files(exposed));
  return finding!;
}

test('a PR adding a LoadBalancer Service fails the check, with an annotation, a review comment, the label and a sticky comment', async () => {
  const expected = await engineFindings(gh.files(base), gh.files(exposed));
  expect(expected.map((t) => [t.ruleId, t.severity, t.element, t.location])).toEqual([['graph-unauthenticated-crossing', 'high', 'k8s:Service/shop/web', { file: 'k8s/service.yaml', line: 7 }]]);
  const finding = expected[0]!;
  gh.token();
  await analyseExposed();

  const [created] = gh.bodiesOf('POST', '/check-runs');
  expect(created).toMatchObject({ name: 'threatdiff', head_sha: exposed, status: 'in_progress', external_id: '7' });
  const completions = gh.bodiesOf('PATCH', '/check-runs/101');
  expect(completions).toHaveLength(1);
  const [completed] = completions;
  expect(completed.conclusion).toBe('failure');
  expect(completed.status).toBe('completed');
  expect(completed.output.title).toBe('New threats: 1 high · 2 new crossings');
  expect(completed.output.summary).toContain(finding.id);
  expect(completed.output.summary).toContain('new internet exposure: web is reachable from the internet');
  // Every request before the final PATCH, the installation token included.
  expect(completed.output.summary).toContain('1 changed file, 1 model file · GitHub API calls: 16 · blobs fetched 2, reused 0');
  expect(completed.output.annotations).toContainEqual({
    path: 'k8s/service.yaml',
    start_line: 7,
    end_line: 7,
    annotation_level: 'failure',
    title: `HIGH Unauthenticated flow across a trust boundary (${finding.id})`,
    message: expect.stringContaining('Mitigation: Put an authenticating layer'),
    raw_details: expect.stringContaining(`Finding: ${finding.id}`),
  });

  const reviews = gh.bodiesOf('POST', '/pulls/7/reviews');
  expect(reviews).toHaveLength(1);
  expect(reviews[0]).toMatchObject({ commit_id: exposed, event: 'COMMENT' });
  expect(reviews[0].comments.map((c: any) => [c.path, c.line, c.side])).toEqual([['k8s/service.yaml', 7, 'RIGHT']]);
  expect(reviews[0].comments[0].body).toContain(`<!-- threatdiff:finding ${finding.id} -->`);
  expect(await app.store.listCommentedFindings(PR)).toEqual([finding.id]);

  expect(gh.bodiesOf('POST', '/issues/7/labels')).toEqual([{ labels: [LABEL] }]);

  const [sticky] = gh.bodiesOf('POST', '/issues/7/comments');
  expect(sticky.body.startsWith('<!-- threatdiff:summary -->\n### threatdiff: ❌ new findings fail the check')).toBe(true);
  expect(sticky.body).toContain(`Describes commit \`${exposed}\``);
  expect(await app.store.getStickyComment(PR)).toMatchObject({ commentId: 5001 });
});

test('a follow-up push fixing the exposure passes, edits the sticky comment, shows the finding resolved and removes the label', async () => {
  gh.token();
  const finding = await analyseExposed();
  const fixed = gh.commit('fixed', { ...gh.files(base), 'k8s/service.yaml': SERVICE_INTERNAL });
  gh.requests.length = 0;
  // The base tree's analysis and the Deployment's fragment come from the cache: only the changed blob is read.
  analysisReads(7, fixed, 102, { labels: [LABEL] }).blob(SERVICE_INTERNAL).removeLabel(7, LABEL).updateComment(5001).updateCheckRun(102);

  await app.receive('pull_request', pullRequestEvent('synchronize', gh.ids, { number: 7, head: fixed, base }));
  await app.idle();
  expectAllConsumedAndValid();

  const [completed] = gh.bodiesOf('PATCH', '/check-runs/102');
  expect(completed.conclusion).toBe('success');
  expect(completed.output.title).toBe('No new threats');
  expect(completed.output.summary).toContain(`**Resolved since \`${exposed.slice(0, 7)}\`:**\n- ✅ high Unauthenticated flow across a trust boundary (\`${finding.id}\`)`);
  const [edited] = gh.bodiesOf('PATCH', '/issues/comments/5001');
  expect(edited.body).toContain('### threatdiff: ✅ no new finding fails the check');
  expect(edited.body).toContain(`Describes commit \`${fixed}\``);
  expect(edited.body).toContain(finding.id);
  expect(gh.bodiesOf('POST', '/pulls/7/reviews')).toEqual([]);
  expect(gh.bodiesOf('POST', '/issues/7/comments')).toEqual([]);
});

test('a PR touching only docs gets a quick success without reading any file, tree or config', async () => {
  const docs = gh.commit('docs', { ...gh.files(base), 'README.md': '# shop\n\nNow with docs.\n', 'docs/guide.md': '# Guide\n' });
  gh.token().pull(8, { head: docs, base }).checkRuns(docs).createCheckRun(201).prFiles(8, base, docs).updateCheckRun(201);

  await app.receive('pull_request', pullRequestEvent('opened', gh.ids, { number: 8, head: docs, base }));
  await app.idle();
  expectAllConsumedAndValid();

  expect(gh.calls().filter((c) => /\/(contents|git|compare)\//.test(c))).toEqual([]);
  const [completed] = gh.bodiesOf('PATCH', '/check-runs/201');
  expect(completed).toMatchObject({ conclusion: 'success', output: { title: 'No model files changed' } });
  expect(completed.output.summary).toContain('changes 2 files, none of them an OpenAPI, Kubernetes or Terraform file');
});

test('a redelivered webhook creates no second check run, review or comment', async () => {
  gh.token();
  analysisReads(7, exposed, 101).blob(DEPLOYMENT).blob(SERVICE_LB).reviewComments(7).createReview(7).addLabels(7).issueComments(7).createComment(7, 5001).updateCheckRun(101);
  const event = pullRequestEvent('opened', gh.ids, { number: 7, head: exposed, base });
  await app.receive('pull_request', event, 'delivery-1');
  await app.idle();
  expectAllConsumedAndValid();
  const before = gh.requests.length;

  // The same delivery again (GitHub's "Redeliver"): not even read.
  await app.receive('pull_request', event, 'delivery-1');
  await app.idle();
  expect(gh.requests.length).toBe(before);

  // Another delivery about the same head: the completed check run on that SHA ends it.
  gh.pull(7, { head: exposed, base, labels: [LABEL] }).checkRuns(exposed, [{ id: 101, status: 'completed', conclusion: 'failure' }]);
  await app.receive('pull_request', event, 'delivery-2');
  await app.idle();
  expectAllConsumedAndValid();
  expect(gh.calls().slice(before)).toEqual([`GET ${gh.base}/pulls/7`, `GET ${gh.base}/commits/${exposed}/check-runs?check_name=threatdiff&filter=latest&per_page=20`]);
  expect(gh.bodiesOf('POST', '/check-runs')).toHaveLength(1);
  expect(gh.bodiesOf('POST', '/pulls/7/reviews')).toHaveLength(1);
  expect(gh.bodiesOf('POST', '/issues/7/comments')).toHaveLength(1);
});

test('the Re-run button analyses the head again in a new check run, without repeating comments', async () => {
  gh.token();
  await analyseExposed();
  gh.requests.length = 0;
  analysisReads(7, exposed, 102, { labels: [LABEL], runs: [{ id: 101, status: 'completed', conclusion: 'failure' }] }).updateCheckRun(102);
  await app.receive('check_run', checkRunRerequestedEvent(gh.ids, { pull: 7, head: exposed, base }));
  await app.idle();
  expectAllConsumedAndValid();
  expect(gh.bodiesOf('POST', '/check-runs')).toEqual([expect.objectContaining({ head_sha: exposed, status: 'in_progress' })]);
  expect(gh.bodiesOf('PATCH', '/check-runs/102')[0].conclusion).toBe('failure');
  // Same findings: no review (already commented), no label change, no comment edit.
  expect(gh.calls().filter((c) => c.startsWith('POST') || c.startsWith('PATCH') || c.startsWith('DELETE'))).toEqual([`POST ${gh.base}/check-runs`, `PATCH ${gh.base}/check-runs/102`]);
});

test('two deliveries of the same push arriving together run one analysis', async () => {
  const docs = gh.commit('docs', { ...gh.files(base), 'docs/guide.md': '# Guide\n' });
  gh.token().pull(8, { head: docs, base }).checkRuns(docs).createCheckRun(201).prFiles(8, base, docs).updateCheckRun(201);
  await app.receive('pull_request', pullRequestEvent('opened', gh.ids, { number: 8, head: docs, base }), 'a');
  await app.receive('pull_request', pullRequestEvent('opened', gh.ids, { number: 8, head: docs, base }), 'b');
  await app.idle();
  expectAllConsumedAndValid();
  expect(gh.bodiesOf('POST', '/check-runs')).toHaveLength(1);
});

test('a webhook for an outdated head SHA posts nothing', async () => {
  const newer = gh.commit('newer', { ...gh.files(base), 'k8s/service.yaml': SERVICE_INTERNAL });
  // GitHub already has a newer head than the event names (a late or reordered delivery).
  gh.token().pull(7, { head: newer, base });
  await app.receive('pull_request', pullRequestEvent('synchronize', gh.ids, { number: 7, head: exposed, base }));
  await app.idle();
  expectAllConsumedAndValid();
  expect(gh.calls()).toEqual([`POST /app/installations/${gh.installationId}/access_tokens`, `GET ${gh.base}/pulls/7`]);
  expect(await app.store.getLatestHead(PR)).toBe(newer);
});

test('an analysis overtaken by a newer push completes as neutral and publishes nothing; the newer one publishes', async () => {
  const fixed = gh.commit('fixed', { ...gh.files(base), 'k8s/service.yaml': SERVICE_INTERNAL });
  gh.token()
    .pull(7, { head: exposed, base })
    .checkRuns(exposed)
    .createCheckRun(301)
    .prFiles(7, base, exposed)
    .config(base)
    .compare(base, exposed)
    .tree(base)
    // While the old head's tree is being read, the author pushes again.
    .tree(exposed, { beforeReply: () => app.receive('pull_request', pullRequestEvent('synchronize', gh.ids, { number: 7, head: fixed, base })) })
    .blob(DEPLOYMENT)
    .blob(SERVICE_LB)
    .updateCheckRun(301);
  analysisReads(7, fixed, 302).blob(SERVICE_INTERNAL).updateCheckRun(302);

  await app.receive('pull_request', pullRequestEvent('opened', gh.ids, { number: 7, head: exposed, base }));
  await app.idle();
  expectAllConsumedAndValid();

  const [old] = gh.bodiesOf('PATCH', '/check-runs/301');
  expect(old).toMatchObject({ conclusion: 'neutral', output: { title: `Superseded by ${fixed.slice(0, 7)}` } });
  expect(old.output.annotations).toBeUndefined();
  const [current] = gh.bodiesOf('PATCH', '/check-runs/302');
  expect(current.conclusion).toBe('success');
  // Nothing from the old head reached the PR.
  expect(gh.bodiesOf('POST', '/pulls/7/reviews')).toEqual([]);
  expect(gh.bodiesOf('POST', '/issues/7/labels')).toEqual([]);
  expect(gh.bodiesOf('POST', '/issues/7/comments')).toEqual([]);
  // The newer run started only after the old one finished (one analysis per PR at a time).
  expect(gh.calls().indexOf(`PATCH ${gh.base}/check-runs/301`)).toBeLessThan(gh.calls().indexOf(`POST ${gh.base}/check-runs`, gh.calls().indexOf(`PATCH ${gh.base}/check-runs/301`)));
});

test('a 502 and rate limits on the way are retried and the check completes', async () => {
  const reset = String(Math.floor(Date.now() / 1000));
  gh.token()
    .pull(7, { head: exposed, base })
    .checkRuns(exposed)
    .createCheckRun(101)
    .fail('GET', '/pulls/7/files', 502, { query: { per_page: '100' }, message: 'Bad Gateway' })
    .prFiles(7, base, exposed)
    .config(base)
    .compare(base, exposed)
    .tree(base)
    .fail('GET', `/git/trees/${exposed}`, 403, { query: { recursive: '1' }, message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', headers: { 'retry-after': '1' } })
    .tree(exposed)
    .blob(DEPLOYMENT)
    .fail('GET', `/git/blobs/${blobSha(SERVICE_LB)}`, 403, { message: 'API rate limit exceeded', headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset } })
    .blob(SERVICE_LB)
    .reviewComments(7)
    .createReview(7)
    .addLabels(7)
    .issueComments(7)
    .createComment(7, 5001)
    .fail('PATCH', '/check-runs/101', 502, { message: 'Bad Gateway' })
    .updateCheckRun(101);

  await app.receive('pull_request', pullRequestEvent('opened', gh.ids, { number: 7, head: exposed, base }));
  await app.idle();
  expectAllConsumedAndValid();
  const completions = gh.bodiesOf('PATCH', '/check-runs/101');
  expect(completions).toHaveLength(2); // the 502 and its retry
  expect(completions[1]).toMatchObject({ conclusion: 'failure', output: { title: 'New threats: 1 high · 2 new crossings' } });
});

test('when GitHub keeps failing, the check run still ends with a conclusion and a message', async () => {
  gh.token()
    .pull(7, { head: exposed, base })
    .checkRuns(exposed)
    .createCheckRun(101)
    // plugin-retry tries 4 times in all.
    .fail('GET', '/pulls/7/files', 502, { query: { per_page: '100' }, message: 'Bad Gateway', times: 4 })
    .updateCheckRun(101);

  await app.receive('pull_request', pullRequestEvent('opened', gh.ids, { number: 7, head: exposed, base }));
  await app.idle();
  expectAllConsumedAndValid();
  const [completed] = gh.bodiesOf('PATCH', '/check-runs/101');
  expect(completed.conclusion).toBe('failure');
  expect(completed.output.title).toBe('threatdiff could not finish');
  expect(completed.output.summary).toContain('GitHub answered 502');
  expect(completed.output.summary).toContain('/threatdiff rerun');
});

test('a review comment GitHub rejects (422) degrades to the summary', async () => {
  gh.token();
  analysisReads(7, exposed, 101).blob(DEPLOYMENT).blob(SERVICE_LB).reviewComments(7).createReview(7, 422).addLabels(7).issueComments(7).createComment(7, 5001).updateCheckRun(101);
  await app.receive('pull_request', pullRequestEvent('opened', gh.ids, { number: 7, head: exposed, base }));
  await app.idle();
  expectAllConsumedAndValid();
  const [finding] = await engineFindings(gh.files(base), gh.files(exposed));
  const [completed] = gh.bodiesOf('PATCH', '/check-runs/101');
  expect(completed.conclusion).toBe('failure');
  expect(completed.output.summary).toContain(`GitHub rejected the review-comment position of \`${finding!.id}\``);
  expect(await app.store.listCommentedFindings(PR)).toEqual([]);
});

test('an invalid config on the base branch fails the check with every problem named, and a config change is called out', async () => {
  const badBase = gh.commit('bad-base', { ...gh.files(base), '.github/threatdiff.yml': 'fail_on: severe\ncomment: off\n' });
  const head = gh.commit('bad-head', { ...gh.files(badBase), 'k8s/service.yaml': SERVICE_LB, '.github/threatdiff.yml': 'fail_on: none\n' });
  gh.token().pull(9, { head, base: badBase }).checkRuns(head).createCheckRun(401).prFiles(9, badBase, head).config(badBase).updateCheckRun(401);
  await app.receive('pull_request', pullRequestEvent('opened', gh.ids, { number: 9, head, base: badBase }));
  await app.idle();
  expectAllConsumedAndValid();
  const [completed] = gh.bodiesOf('PATCH', '/check-runs/401');
  expect(completed.conclusion).toBe('failure');
  expect(completed.output.title).toBe('Invalid .github/threatdiff.yml');
  expect(completed.output.summary).toContain('fail\\_on: must be one of critical, high, medium, low, info, none');
  expect(completed.output.summary).toContain('\\(top level\\): unknown key "comment"');
  expect(completed.output.summary).toContain("This pull request changes `.github/threatdiff.yml`; the base branch's configuration applies");
});

test('a draft PR is analysed but never fails', async () => {
  gh.token()
    .pull(7, { head: exposed, base, draft: true })
    .checkRuns(exposed)
    .createCheckRun(101)
    .prFiles(7, base, exposed)
    .config(base)
    .compare(base, exposed)
    .tree(base)
    .tree(exposed)
    .blob(DEPLOYMENT)
    .blob(SERVICE_LB)
    .reviewComments(7)
    .createReview(7)
    .addLabels(7)
    .issueComments(7)
    .createComment(7, 5001)
    .updateCheckRun(101);
  await app.receive('pull_request', pullRequestEvent('opened', gh.ids, { number: 7, head: exposed, base, draft: true }));
  await app.idle();
  expectAllConsumedAndValid();
  const [completed] = gh.bodiesOf('PATCH', '/check-runs/101');
  expect(completed.conclusion).toBe('neutral');
  expect(completed.output.summary).toContain('Draft pull request: findings are reported but do not fail the check.');
});

// --- reading a commit from its tarball ------------------------------------------

/** A gzipped tarball of a commit as GitHub serves it: a pax global header, then every file under `owner-repo-sha7/`. */
async function tarballOf(files: Files, sha: string): Promise<Buffer> {
  const p = pack();
  const top = `${gh.owner}-${gh.repo}-${sha.slice(0, 7)}/`;
  p.entry({ name: top, type: 'directory' });
  for (const [path, content] of Object.entries(files)) p.entry({ name: top + path }, content);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c);
  return gzipSync(Buffer.concat(chunks));
}

/** `GET /repos/{owner}/{repo}/tarball/{sha}`: GitHub's 302 to codeload, and codeload's answer. */
function tarballRoute(sha: string, body: Buffer): nock.Scope {
  const location = `https://codeload.github.com/${gh.owner}/${gh.repo}/legacy.tar.gz/${sha}?token=short-lived`;
  gh.scope.get(`${gh.base}/tarball/${sha}`).reply(302, '', { location });
  return nock('https://codeload.github.com').get(`/${gh.owner}/${gh.repo}/legacy.tar.gz/${sha}`).query({ token: 'short-lived' }).reply(200, body, { 'content-type': 'application/x-gzip' });
}

/** A truncated recursive tree that lists only some of the commit's files. */
function truncatedTree(sha: string, paths: string[]): void {
  const tree = paths.map((path) => ({ path, mode: '100644', type: 'blob', sha: blobSha(gh.files(sha)[path]!), size: Buffer.byteLength(gh.files(sha)[path]!) }));
  gh.scope.get(`${gh.base}/git/trees/${sha}`).query({ recursive: '1' }).reply(200, { sha, url: '', tree, truncated: true });
}

/** Everything a full analysis of PR 7 reads and writes around the file reads, for a PR adding the LoadBalancer Service. */
function aroundReads(baseSha: string, head: string, run: number, trees: { base?: 'truncated'; baseListed?: string[] } = {}): void {
  gh.token().pull(7, { head, base: baseSha }).checkRuns(head).createCheckRun(run).prFiles(7, baseSha, head).config(baseSha);
  gh.scope.get(`${gh.base}/compare/${baseSha}...${head}`).query({ per_page: '1' }).reply(200, { status: 'ahead', merge_base_commit: { sha: baseSha }, base_commit: { sha: baseSha }, commits: [], files: [] });
  if (trees.base === 'truncated') truncatedTree(baseSha, trees.baseListed ?? []);
  else gh.tree(baseSha);
  gh.tree(head).reviewComments(7).createReview(7).addLabels(7).issueComments(7).createComment(7, 5001).updateCheckRun(run);
}

const blobCalls = () => gh.calls().filter((c) => c.includes('/git/blobs/'));

const SETTINGS = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata:\n  mode: quiet\n';

describe('reading files from the tarball', () => {
  let wide: string;
  let wideExposed: string;
  beforeEach(() => {
    wide = gh.commit('wide', { ...gh.files(base), 'k8s/settings.yaml': SETTINGS });
    wideExposed = gh.commit('wide-exposed', { ...gh.files(wide), 'k8s/service.yaml': SERVICE_LB });
  });
  afterEach(() => {
    delete process.env.THREATDIFF_TARBALL_THRESHOLD;
  });

  test('a cold analysis needing more blobs than the threshold reads the base from one tarball, not blob by blob', async () => {
    process.env.THREATDIFF_TARBALL_THRESHOLD = '1';
    aroundReads(wide, wideExposed, 601);
    const codeload = tarballRoute(wide, await tarballOf(gh.files(wide), wide));
    gh.blob(SERVICE_LB); // the head's one new blob: under the threshold
    await app.receive('pull_request', pullRequestEvent('opened', gh.ids, { number: 7, head: wideExposed, base: wide }));
    await app.idle();
    expectAllConsumedAndValid();
    expect(codeload.isDone()).toBe(true);
    expect(gh.calls().filter((c) => c.includes('/tarball/'))).toEqual([`GET ${gh.base}/tarball/${wide}`]);
    expect(blobCalls()).toEqual([`GET ${gh.base}/git/blobs/${blobSha(SERVICE_LB)}`]);
    const [completed] = gh.bodiesOf('PATCH', '/check-runs/601');
    const expected = await engineFindings(gh.files(wide), gh.files(wideExposed));
    expect(expected).toHaveLength(1);
    expect(completed.conclusion).toBe('failure');
    expect(completed.output.summary).toContain(expected[0]!.id);
    expect(completed.output.summary).toContain('GitHub API calls: 16 · blobs fetched 1, reused 0 · 1 tarball (2 files)'); // 17 blob by blob
  });

  test('a truncated tree is listed from the tarball: the analysis is complete and says nothing is missing', async () => {
    aroundReads(wide, wideExposed, 602, { base: 'truncated', baseListed: ['README.md'] });
    const codeload = tarballRoute(wide, await tarballOf(gh.files(wide), wide));
    gh.blob(SERVICE_LB);
    await app.receive('pull_request', pullRequestEvent('opened', gh.ids, { number: 7, head: wideExposed, base: wide }));
    await app.idle();
    expectAllConsumedAndValid();
    expect(codeload.isDone()).toBe(true);
    // The listing's tarball also supplied the base's model files.
    expect(blobCalls()).toEqual([`GET ${gh.base}/git/blobs/${blobSha(SERVICE_LB)}`]);
    const [completed] = gh.bodiesOf('PATCH', '/check-runs/602');
    const expected = await engineFindings(gh.files(wide), gh.files(wideExposed));
    expect(completed.conclusion).toBe('failure');
    expect(completed.output.summary).toContain(expected[0]!.id);
    expect(completed.output.summary).not.toContain('tree-truncated');
    expect(completed.output.summary).toContain('blobs fetched 1, reused 0 · 1 tarball (2 files)');
  });

  test('a truncated tree whose tarball fails too keeps the tree-truncated error, with why', async () => {
    aroundReads(wide, wideExposed, 603, { base: 'truncated', baseListed: ['README.md', 'k8s/deployment.yaml'] });
    gh.fail('GET', `/tarball/${wide}`, 404, { message: 'Not Found' });
    gh.blob(DEPLOYMENT).blob(SETTINGS).blob(SERVICE_LB);
    await app.receive('pull_request', pullRequestEvent('opened', gh.ids, { number: 7, head: wideExposed, base: wide }));
    await app.idle();
    expectAllConsumedAndValid();
    const [completed] = gh.bodiesOf('PATCH', '/check-runs/603');
    expect(completed.output.summary).toContain(`| — | error | \`tree-truncated\` | GitHub truncated the file listing of ${wide.slice(0, 12)} \\(over 100,000 entries or 7 MB\\); reading its tarball instead failed too \\(GitHub answered 404: Not Found\\): files past the cut were not analysed;`);
    expect(completed.output.summary).toContain('blobs fetched 3, reused 0 · 1 tarball (0 files)');
  });

  test('a corrupt tarball falls back to one read per blob and says so in a warning; findings are unchanged', async () => {
    process.env.THREATDIFF_TARBALL_THRESHOLD = '1';
    aroundReads(wide, wideExposed, 604);
    const codeload = tarballRoute(wide, Buffer.from('\u001f\u008b this is no gzip stream'));
    gh.blob(DEPLOYMENT).blob(SETTINGS).blob(SERVICE_LB);
    await app.receive('pull_request', pullRequestEvent('opened', gh.ids, { number: 7, head: wideExposed, base: wide }));
    await app.idle();
    expectAllConsumedAndValid();
    expect(codeload.isDone()).toBe(true);
    expect(blobCalls()).toHaveLength(3);
    const [completed] = gh.bodiesOf('PATCH', '/check-runs/604');
    const expected = await engineFindings(gh.files(wide), gh.files(wideExposed));
    expect(completed.conclusion).toBe('failure');
    expect(completed.output.summary).toContain(expected[0]!.id);
    expect(completed.output.summary).toContain(`| — | warning | \`tarball-failed\` | could not read 2 files of ${wide.slice(0, 12)} from its tarball \\(the archive could not be read: incorrect header check\\): 2 of them are read one by one instead, one API call each |`);
    expect(completed.output.summary).toContain('blobs fetched 3, reused 0 · 1 tarball (0 files)');
  });
});

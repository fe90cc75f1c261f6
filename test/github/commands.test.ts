import { readFileSync } from 'node:fs';
import { FakeGitHub, startApp, type RunningApp } from './helpers/fake-github.js';
import { issueCommentEvent, pullRequestEvent } from './helpers/payloads.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/github/${name}`, import.meta.url), 'utf8');
const DEPLOYMENT = fixture('deployment.yaml');
const SERVICE_LB = fixture('service-loadbalancer.yaml');
const LABEL = 'threat-model: full review';
const REPO = 'octo-org/shop';
/** The unauthenticated internet exposure of k8s:Service/shop/web (see app.test.ts). */
const FINDING = 'TD-b7130299eea8';

let gh: FakeGitHub;
let app: RunningApp;
let base: string;
let exposed: string;

beforeEach(async () => {
  gh = new FakeGitHub();
  app = await startApp();
  base = gh.commit('base', { 'README.md': '# shop\n', 'k8s/deployment.yaml': DEPLOYMENT });
  exposed = gh.commit('exposed', { ...gh.files(base), 'k8s/service.yaml': SERVICE_LB });
  // Every test starts from the failing analysis of the exposed Service.
  gh.token()
    .pull(7, { head: exposed, base })
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
  await app.receive('pull_request', pullRequestEvent('opened', gh.ids, { number: 7, head: exposed, base }));
  await app.idle();
  expectAllConsumedAndValid();
  expect(gh.bodiesOf('PATCH', '/check-runs/101')[0].conclusion).toBe('failure');
  gh.requests.length = 0;
});

afterEach(() => gh.done());

function expectAllConsumedAndValid(): void {
  expect(gh.problems).toEqual([]);
  expect(gh.unmatched).toEqual([]);
  expect(gh.scope.pendingMocks()).toEqual([]);
}

async function comment(body: string, login = 'maintainer', commentId = 9001, userType: 'User' | 'Bot' = 'User'): Promise<void> {
  await app.receive('issue_comment', issueCommentEvent(gh.ids, { pull: 7, commentId, body, login, userType }));
  await app.idle();
}

/** Reads of a re-analysis of the same head: trees listed again, blobs all from the cache. */
function reanalysis(checkRunId: number): FakeGitHub {
  return gh
    .pull(7, { head: exposed, base, labels: [LABEL] })
    .checkRuns(exposed, [{ id: 101, status: 'completed', conclusion: 'failure' }])
    .createCheckRun(checkRunId)
    .prFiles(7, base, exposed)
    .config(base)
    .compare(base, exposed)
    .tree(base)
    .tree(exposed);
}

test('accept from a user with read permission is refused politely and changes nothing', async () => {
  gh.permission('reader', 'read', 'read').reaction(9001).createComment(7, 6001);
  await comment(`/threatdiff accept ${FINDING} it is a public website`, 'reader');
  expectAllConsumedAndValid();
  expect(gh.bodiesOf('POST', '/issues/comments/9001/reactions')).toEqual([{ content: 'confused' }]);
  const [refusal] = gh.bodiesOf('POST', '/issues/7/comments');
  expect(refusal.body).toBe(`Sorry @reader, accepting or withdrawing a risk needs write, maintain or admin permission on this repository. A maintainer can run \`/threatdiff accept ${FINDING} <reason>\`.`);
  expect(await app.store.listAcceptances(REPO)).toEqual([]);
  expect(gh.bodiesOf('POST', '/check-runs')).toEqual([]);
});

test('accept from a maintainer is recorded and the re-run check passes, listing the acceptance', async () => {
  gh.permission('maintainer', 'write', 'maintain').reaction(9001).createComment(7, 6001);
  reanalysis(102).updateComment(5001).updateCheckRun(102);
  await comment(`/threatdiff accept ${FINDING} public website <img src=x> behind the CDN`);
  expectAllConsumedAndValid();

  expect(await app.store.listAcceptances(REPO)).toEqual([{ id: FINDING, reason: 'public website <img src=x> behind the CDN', by: 'maintainer', at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }]);
  expect(gh.bodiesOf('POST', '/issues/comments/9001/reactions')).toEqual([{ content: '+1' }]);
  const [ack] = gh.bodiesOf('POST', '/issues/7/comments');
  // The reason is escaped: no HTML from a comment renders in ours.
  expect(ack.body).toContain('public website &lt;img src=x&gt; behind the CDN');
  expect(ack.body).not.toContain('<img');

  const [completed] = gh.bodiesOf('PATCH', '/check-runs/102');
  expect(completed.conclusion).toBe('success');
  expect(completed.output.title).toBe('No new threats · 1 accepted · 2 new crossings');
  expect(completed.output.annotations).toContainEqual(expect.objectContaining({ path: 'k8s/service.yaml', start_line: 7, annotation_level: 'notice', message: expect.stringContaining('Accepted by maintainer') }));
  const [sticky] = gh.bodiesOf('PATCH', '/issues/comments/5001');
  expect(sticky.body).toContain('### threatdiff: ✅ no new finding fails the check');
  // No review comment about an accepted finding.
  expect(gh.bodiesOf('POST', '/pulls/7/reviews')).toEqual([]);
});

test('unaccept withdraws the acceptance and re-runs', async () => {
  await app.store.putAcceptance(REPO, { id: FINDING, reason: 'ok', by: 'maintainer', at: '2025-01-01T00:00:00Z' });
  gh.permission('maintainer', 'admin', 'admin').reaction(9001).createComment(7, 6001);
  reanalysis(102).updateCheckRun(102);
  await comment(`/threatdiff unaccept ${FINDING}`);
  expectAllConsumedAndValid();
  expect(await app.store.listAcceptances(REPO)).toEqual([]);
  expect(gh.bodiesOf('PATCH', '/check-runs/102')[0].conclusion).toBe('failure');
});

test('help, unknown commands, bots and ordinary comments', async () => {
  gh.reaction(9001).createComment(7, 6001);
  await comment('/threatdiff help');
  expect(gh.bodiesOf('POST', '/issues/comments/9001/reactions')).toEqual([{ content: '+1' }]);
  expect(gh.bodiesOf('POST', '/issues/7/comments')[0].body).toContain('`/threatdiff accept TD-… <reason>`');

  gh.reaction(9002).createComment(7, 6002);
  await comment('/threatdiff frobnicate now', 'maintainer', 9002);
  expect(gh.bodiesOf('POST', '/issues/comments/9002/reactions')).toEqual([{ content: 'confused' }]);
  expect(gh.bodiesOf('POST', '/issues/7/comments')[1].body).toMatch(/^threatdiff did not understand `\/threatdiff frobnicate now`\.\n\n\*\*threatdiff commands\*\*/);

  const before = gh.requests.length;
  await comment('/threatdiff rerun', 'dependabot[bot]', 9003, 'Bot');
  await comment('Looks good to me, but what does /threatdiff think?', 'maintainer', 9004);
  expect(gh.requests.length).toBe(before);
  expectAllConsumedAndValid();
});

test('explain replies with the rule, evidence and mitigation of a finding', async () => {
  gh.reaction(9001).pull(7, { head: exposed, base, labels: [LABEL] }).prFiles(7, base, exposed).config(base).compare(base, exposed).tree(base).tree(exposed).createComment(7, 6001);
  await comment(`/threatdiff explain ${FINDING.toUpperCase().replace('TD-', 'td-')}`);
  expectAllConsumedAndValid();
  expect(gh.bodiesOf('POST', '/issues/comments/9001/reactions')).toEqual([{ content: 'eyes' }]);
  const [reply] = gh.bodiesOf('POST', '/issues/7/comments');
  expect(reply.body).toContain(`### \`${FINDING}\`: Unauthenticated flow across a trust boundary`);
  expect(reply.body).toContain('- **Rule:** `graph-unauthenticated-crossing` · severity **high** · STRIDE S');
  expect(reply.body).toContain('at `k8s/service.yaml:7`');
  expect(reply.body).toContain('**Mitigation:** Put an authenticating layer on the boundary');
  expect(reply.body).toContain('**Why it matters:**');
});

test('stories opens one issue per new high finding, never twice for the same fingerprint', async () => {
  const reads = () => gh.pull(7, { head: exposed, base, labels: [LABEL] }).prFiles(7, base, exposed).config(base).compare(base, exposed).tree(base).tree(exposed);
  gh.reaction(9001);
  reads().createIssue(31).createComment(7, 6001);
  await comment('/threatdiff stories');
  expectAllConsumedAndValid();
  const [issue] = gh.bodiesOf('POST', '/issues');
  expect(issue.title).toBe('Security story: Unauthenticated flow across a trust boundary — web');
  expect(issue.labels).toEqual(['security', 'threatdiff', 'severity:high']);
  expect(issue.body).toContain(`Found by threatdiff in #7: finding \`${FINDING}\``);
  expect(issue.body).toContain('### Acceptance criteria\n- [ ] Put an authenticating layer on the boundary');
  expect(gh.bodiesOf('POST', '/issues/7/comments')[0].body).toContain(`- \`${FINDING}\`: #31 (new)`);
  expect(await app.store.getStory(REPO, FINDING)).toEqual({ issueNumber: 31, pull: 7 });

  gh.reaction(9002);
  reads().createComment(7, 6002);
  await comment('/threatdiff stories', 'maintainer', 9002);
  expectAllConsumedAndValid();
  expect(gh.bodiesOf('POST', '/issues')).toHaveLength(1);
  expect(gh.bodiesOf('POST', '/issues/7/comments')[1].body).toContain(`- \`${FINDING}\`: #31 (already open)`);
});

test('merging a PR that resolves a finding closes its story with a comment', async () => {
  await app.store.putStory(REPO, FINDING, { issueNumber: 31, pull: 7 });
  const SERVICE_INTERNAL = fixture('service-clusterip.yaml');
  // The exposure reached main; PR 8 takes it back inside the cluster.
  const main = gh.commit('main-with-lb', gh.files(exposed));
  const fix = gh.commit('fix', { ...gh.files(main), 'k8s/service.yaml': SERVICE_INTERNAL });
  gh.pull(8, { head: fix, base: main })
    .checkRuns(fix)
    .createCheckRun(201)
    .prFiles(8, main, fix)
    .config(main)
    .compare(main, fix)
    .tree(main)
    .tree(fix)
    .blob(SERVICE_INTERNAL)
    .issueComments(8)
    .createComment(8, 7001)
    .updateCheckRun(201);
  await app.receive('pull_request', pullRequestEvent('opened', gh.ids, { number: 8, head: fix, base: main }));
  await app.idle();
  expectAllConsumedAndValid();
  expect(gh.bodiesOf('PATCH', '/check-runs/201')[0]).toMatchObject({ conclusion: 'success', output: { title: 'No new threats · 1 resolved' } });

  gh.createComment(31, 7002).updateIssue(31);
  await app.receive('pull_request', pullRequestEvent('closed', gh.ids, { number: 8, head: fix, base: main, merged: true }));
  await app.idle();
  expectAllConsumedAndValid();
  expect(gh.bodiesOf('POST', '/issues/31/comments')[0].body).toBe(`Resolved: #8 was merged into the default branch and threatdiff no longer reports \`${FINDING}\`.`);
  expect(gh.bodiesOf('PATCH', '/issues/31')).toEqual([{ state: 'closed', state_reason: 'completed' }]);
  expect(await app.store.getStory(REPO, FINDING)).toEqual({ issueNumber: 31, pull: 7, closedBy: 8 });

  // A PR closed without merging closes nothing.
  const before = gh.requests.length;
  await app.receive('pull_request', pullRequestEvent('closed', gh.ids, { number: 7, head: exposed, base, merged: false }));
  await app.idle();
  expect(gh.requests.length).toBe(before);
});

import { createRequire } from 'node:module';

/**
 * Real webhook payloads from @octokit/webhooks-examples, adapted to the
 * simulated repository (owner, name, PR number, SHAs, installation).
 */
const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples') as { name: string; examples: Record<string, any>[] }[];

function example(event: string, pick: (e: Record<string, any>) => boolean): Record<string, any> {
  const found = examples.find((d) => d.name === event)?.examples.find(pick);
  if (!found) throw new Error(`no ${event} example matches`);
  return structuredClone(found);
}

export interface RepoIds {
  owner: string;
  repo: string;
  installationId: number;
}

function adaptRepo(p: Record<string, any>, ids: RepoIds): void {
  p.repository.name = ids.repo;
  p.repository.full_name = `${ids.owner}/${ids.repo}`;
  p.repository.owner.login = ids.owner;
  p.repository.default_branch = 'main';
  p.installation = { id: ids.installationId, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==' };
}

export function pullRequestEvent(action: 'opened' | 'synchronize' | 'reopened' | 'ready_for_review' | 'closed', ids: RepoIds, pr: { number: number; head: string; base: string; draft?: boolean; merged?: boolean }): Record<string, any> {
  const p = example('pull_request', (e) => e.action === action);
  adaptRepo(p, ids);
  p.number = pr.number;
  Object.assign(p.pull_request, { number: pr.number, state: action === 'closed' ? 'closed' : 'open', draft: pr.draft ?? false, merged: pr.merged ?? false });
  p.pull_request.head.sha = pr.head;
  p.pull_request.head.ref = 'feature';
  p.pull_request.base.sha = pr.base;
  p.pull_request.base.ref = 'main';
  if (action === 'synchronize') p.after = pr.head;
  return p;
}

export function issueCommentEvent(ids: RepoIds, c: { pull: number; commentId: number; body: string; login: string; userType?: 'User' | 'Bot' }): Record<string, any> {
  const p = example('issue_comment', (e) => e.action === 'created' && e.installation !== undefined);
  adaptRepo(p, ids);
  p.issue.number = c.pull;
  p.issue.pull_request = { url: `https://api.github.com/repos/${ids.owner}/${ids.repo}/pulls/${c.pull}`, html_url: `https://github.com/${ids.owner}/${ids.repo}/pull/${c.pull}`, diff_url: '', patch_url: '' };
  Object.assign(p.comment, { id: c.commentId, body: c.body });
  p.comment.user.login = c.login;
  p.comment.user.type = c.userType ?? 'User';
  p.sender.login = c.login;
  p.sender.type = c.userType ?? 'User';
  return p;
}

export function checkRunRerequestedEvent(ids: RepoIds, c: { pull: number; head: string; base: string }): Record<string, any> {
  const p = example('check_run', (e) => e.action === 'rerequested');
  adaptRepo(p, ids);
  p.check_run.name = 'threatdiff';
  p.check_run.head_sha = c.head;
  p.check_run.pull_requests = [{ url: '', id: 1, number: c.pull, head: { ref: 'feature', sha: c.head, repo: { id: 1, url: '', name: ids.repo } }, base: { ref: 'main', sha: c.base, repo: { id: 1, url: '', name: ids.repo } } }];
  return p;
}

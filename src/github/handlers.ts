import type { Store } from '../store/types.js';
import { parseCommand } from './commands.js';
import { repoKey, type Job } from './jobs.js';
import { CHECK_NAME } from './messages.js';

/** The few webhook fields the handlers read (payloads carry much more). */
interface Repository {
  name: string;
  owner: { login: string };
}
interface Installation {
  id: number;
}
interface PullRef {
  number: number;
}

export interface PullRequestPayload {
  action: string;
  installation?: Installation;
  repository: Repository & { default_branch?: string };
  pull_request: PullRef & { state: string; merged?: boolean | null; head: { sha: string }; base: { ref: string } };
}

export interface RerequestPayload {
  installation?: Installation;
  repository: Repository;
  check_run?: { name: string; head_sha: string; pull_requests: PullRef[] };
  check_suite?: { head_sha: string; pull_requests: PullRef[] };
}

export interface IssueCommentPayload {
  installation?: Installation;
  repository: Repository;
  issue: PullRef & { pull_request?: unknown };
  comment: { id: number; body: string; user: { login: string; type?: string } | null };
  sender: { type: string };
}

/**
 * Webhook handlers: guard clauses, a note in the store, one job on the
 * queue. They never call GitHub, so the webhook is answered at once.
 */
export function webhookHandlers(deps: { store: Store; enqueue: (job: Job) => Promise<unknown> }) {
  const { store, enqueue } = deps;
  /** Queues the work; when the queue is down, gives the delivery back so GitHub's redelivery is not ignored. */
  const queueOrRelease = async (deliveryId: string, job: Job): Promise<void> => {
    try {
      await enqueue(job);
    } catch (err) {
      await store.releaseDelivery(deliveryId).catch(() => undefined);
      throw err;
    }
  };
  const base = (p: { installation?: Installation; repository: Repository }, id: string) => ({ id, installationId: p.installation!.id, owner: p.repository.owner.login, repo: p.repository.name });

  return {
    /** opened, synchronize, reopened, ready_for_review. */
    async pullRequest(deliveryId: string, p: PullRequestPayload): Promise<void> {
      if (!p.installation || p.pull_request.state !== 'open') return;
      if (!(await store.claimDelivery(deliveryId))) return;
      const pull = p.pull_request.number;
      await store.setLatestHead({ repo: repoKey(p.repository.owner.login, p.repository.name), pull }, p.pull_request.head.sha);
      // A new head is analysed once; reopening or leaving draft asks for a fresh verdict on the same head.
      const force = p.action === 'reopened' || p.action === 'ready_for_review';
      await queueOrRelease(deliveryId, { ...base(p, deliveryId), kind: 'analyse', pull, headSha: p.pull_request.head.sha, push: true, force, noCache: false });
    },

    /** closed: a merge into the default branch closes the stories of the findings it resolved. */
    async pullRequestClosed(deliveryId: string, p: PullRequestPayload): Promise<void> {
      if (!p.installation || !p.pull_request.merged || p.pull_request.base.ref !== p.repository.default_branch) return;
      if (!(await store.claimDelivery(deliveryId))) return;
      await queueOrRelease(deliveryId, { ...base(p, deliveryId), kind: 'merged', pull: p.pull_request.number, headSha: p.pull_request.head.sha });
    },

    /** check_run.rerequested and check_suite.rerequested: the Re-run buttons. */
    async rerequested(deliveryId: string, p: RerequestPayload): Promise<void> {
      if (!p.installation) return;
      if (p.check_run && p.check_run.name !== CHECK_NAME) return;
      const target = p.check_run ?? p.check_suite;
      // Empty for PRs from forks: GitHub does not link their checks to the PR in these events.
      if (!target || target.pull_requests.length === 0) return;
      if (!(await store.claimDelivery(deliveryId))) return;
      for (const pr of target.pull_requests) {
        await queueOrRelease(deliveryId, { ...base(p, `${deliveryId}:${pr.number}`), kind: 'analyse', pull: pr.number, headSha: target.head_sha, push: false, force: true, noCache: false });
      }
    },

    /** issue_comment.created on a pull request: slash commands. Bots and ordinary comments are ignored. */
    async issueComment(deliveryId: string, p: IssueCommentPayload): Promise<void> {
      if (!p.installation || !p.issue.pull_request || p.sender.type === 'Bot' || !p.comment.user || p.comment.user.type === 'Bot') return;
      const command = parseCommand(p.comment.body ?? '');
      if (!command) return;
      if (!(await store.claimDelivery(deliveryId))) return;
      await queueOrRelease(deliveryId, { ...base(p, deliveryId), kind: 'command', pull: p.issue.number, command, commentId: p.comment.id, login: p.comment.user.login });
    },
  };
}

import { code, escapeMarkdown } from '../report/escape.js';
import { HELP_TEXT } from './commands.js';
import { react, reply } from './comments.js';
import type { CommandJob, Job } from './jobs.js';
import { explainBody } from './messages.js';
import { isHttpError } from './octokit.js';
import { prepare, type Prepared, type RunContext } from './pipeline.js';
import { openStories } from './stories.js';

/** Roles that may accept risks for a repository. */
const ACCEPTING_ROLES = new Set(['admin', 'maintain', 'write']);

/** Asks GitHub, not the payload, whether the commenter may accept risks here. */
export async function canAccept(ctx: RunContext, login: string): Promise<boolean> {
  try {
    const { data } = await ctx.octokit.rest.repos.getCollaboratorPermissionLevel({ ...ctx.at, username: login });
    return ACCEPTING_ROLES.has(data.role_name) || data.permission === 'admin' || data.permission === 'write';
  } catch (err) {
    if (isHttpError(err, 404)) return false; // not a collaborator
    throw err;
  }
}

function notAnalysed(p: Exclude<Prepared, { kind: 'analysed' }>): string {
  if (p.kind === 'no-model-files') return 'This pull request changes no model files, so there is nothing to explain or turn into stories.';
  if (p.kind === 'config-error') return `The configuration on the base branch is invalid (${escapeMarkdown(p.error.message)}), so nothing was analysed.`;
  return 'This draft pull request is not analysed (`drafts: skip`).';
}

/** Runs one slash command; analyses it asks for go back on the queue as their own jobs. */
export async function runCommand(ctx: RunContext, job: CommandJob, enqueue: (job: Job) => Promise<unknown>): Promise<void> {
  const { octokit, at } = ctx;
  const { command, pull } = job;
  const rerun = (noCache: boolean) =>
    enqueue({ kind: 'analyse', id: `${job.id}:${command.name}`, installationId: job.installationId, owner: job.owner, repo: job.repo, pull, push: false, force: true, noCache });

  switch (command.name) {
    case 'help':
      await react(octokit, at, job.commentId, '+1');
      await reply(octokit, at, pull, HELP_TEXT);
      return;
    case 'unknown':
      await react(octokit, at, job.commentId, 'confused');
      await reply(octokit, at, pull, `threatdiff did not understand ${code(command.text)}.\n\n${HELP_TEXT}`);
      return;
    case 'rerun':
    case 'full':
      await react(octokit, at, job.commentId, 'eyes');
      await rerun(command.name === 'full');
      return;
    case 'accept':
    case 'unaccept': {
      if (!(await canAccept(ctx, job.login))) {
        await react(octokit, at, job.commentId, 'confused');
        await reply(octokit, at, pull, `Sorry @${job.login}, accepting or withdrawing a risk needs write, maintain or admin permission on this repository. A maintainer can run \`/threatdiff ${command.name} ${command.id}${command.name === 'accept' ? ' <reason>' : ''}\`.`);
        return;
      }
      if (command.name === 'accept') {
        await ctx.store.putAcceptance(ctx.pr.repo, { id: command.id, reason: command.reason, by: job.login, at: new Date().toISOString() });
        await react(octokit, at, job.commentId, '+1');
        await reply(octokit, at, pull, `Accepted ${code(command.id)} for this repository (by ${escapeMarkdown(job.login)}): ${escapeMarkdown(command.reason)}\n\nIt stays listed in the summary but no longer fails the check. Re-running the analysis.`);
        await rerun(false);
        return;
      }
      const removed = await ctx.store.removeAcceptance(ctx.pr.repo, command.id);
      await react(octokit, at, job.commentId, '+1');
      if (!removed) return reply(octokit, at, pull, `${code(command.id)} had no acceptance recorded by a slash command (acceptances in ${code('.github/threatdiff.yml')} are changed there).`);
      await reply(octokit, at, pull, `Withdrew the acceptance of ${code(command.id)}. Re-running the analysis.`);
      await rerun(false);
      return;
    }
    case 'explain':
    case 'stories': {
      await react(octokit, at, job.commentId, 'eyes');
      const { data: pr } = await octokit.rest.pulls.get({ ...at, pull_number: pull });
      const prepared = await prepare(ctx, pr, { noCache: false });
      if (prepared.kind !== 'analysed') return reply(octokit, at, pull, notAnalysed(prepared));
      if (command.name === 'explain') return reply(octokit, at, pull, explainBody(prepared.report, command.id, prepared.head.graph, prepared.base.graph));
      const floor = prepared.config.storiesSeverity;
      const stories = await openStories(octokit, at, ctx.pr.repo, pull, prepared.report, prepared.head.graph, floor, ctx.store);
      const lines = stories.map((s) => `- ${code(s.id)}: #${s.issue}${s.created ? ' (new)' : ' (already open)'}`);
      return reply(octokit, at, pull, stories.length > 0 ? `Security stories for new findings at or above **${floor}**:\n${lines.join('\n')}` : `No new, unaccepted finding at or above **${floor}**: no stories to open.`);
    }
  }
}

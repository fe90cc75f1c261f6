import type { Graph } from '../model/graph.js';
import type { Report } from '../model/report.js';
import type { Severity } from '../model/types.js';
import { atLeast } from '../config/config.js';
import type { PullKey, Store } from '../store/types.js';
import { code } from '../report/escape.js';
import { STORY_LABELS, storyBody, storyTitle } from './messages.js';
import type { Octokit } from './octokit.js';
import type { RepoRef } from './snapshot.js';

/** Issues opened per run at most: a PR with more findings needs a conversation, not a backlog dump. */
export const MAX_STORIES = 20;

export interface StoryResult {
  id: string;
  issue: number;
  created: boolean;
}

/**
 * Opens one security-story issue per new, unaccepted finding at or above
 * `floor`, never twice for a fingerprint in a repository (the store says
 * which exist). Returns every qualifying finding with its issue.
 */
export async function openStories(octokit: Octokit, at: RepoRef, repoKey: string, pull: number, report: Report, head: Graph, floor: Severity, store: Store): Promise<StoryResult[]> {
  const out: StoryResult[] = [];
  let created = 0;
  for (const t of report.threats) {
    if (t.status !== 'new' || t.accepted || !atLeast(t.severity, floor)) continue;
    const known = await store.getStory(repoKey, t.id);
    if (known) {
      out.push({ id: t.id, issue: known.issueNumber, created: false });
      continue;
    }
    if (created >= MAX_STORIES) break;
    const { data } = await octokit.rest.issues.create({ ...at, title: storyTitle(t, head), body: storyBody(t, head, pull), labels: [...STORY_LABELS, `severity:${t.severity}`] });
    await store.putStory(repoKey, t.id, { issueNumber: data.number, pull });
    out.push({ id: t.id, issue: data.number, created: true });
    created++;
  }
  return out;
}

/**
 * After a merge into the default branch: closes, with a comment, the story
 * issues of findings the merged head resolved. Reads what the PR's last
 * analysis recorded (no new analysis); a head that was never analysed
 * closes nothing.
 */
export async function closeResolvedStories(octokit: Octokit, at: RepoRef, pr: PullKey, mergedHead: string, store: Store): Promise<number[]> {
  const last = await store.getPullFindings(pr);
  if (!last || last.head !== mergedHead) return [];
  const closed: number[] = [];
  for (const id of last.resolved ?? []) {
    const story = await store.getStory(pr.repo, id);
    if (!story || story.closedBy !== undefined) continue;
    await octokit.rest.issues.createComment({ ...at, issue_number: story.issueNumber, body: `Resolved: #${pr.pull} was merged into the default branch and threatdiff no longer reports ${code(id)}.` });
    await octokit.rest.issues.update({ ...at, issue_number: story.issueNumber, state: 'closed', state_reason: 'completed' });
    await store.putStory(pr.repo, id, { ...story, closedBy: pr.pull });
    closed.push(story.issueNumber);
  }
  return closed;
}

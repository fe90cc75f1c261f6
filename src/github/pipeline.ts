import type { Logger } from 'probot';
import { CONFIG_PATH, ConfigError, DEFAULT_CONFIG, parseConfig, type Config } from '../config/config.js';
import { diffSnapshots, type Analysis, type DiffOptions } from '../engine/analyze.js';
import { pathFilter } from '../engine/ingest.js';
import type { Report } from '../model/report.js';
import { toAnnotations } from '../report/annotations.js';
import { code, escapeMarkdown } from '../report/escape.js';
import type { PullKey, Store } from '../store/types.js';
import { completeCheckRun, createCheckRun, findCheckRun, type CheckRun, type Completion } from './checks.js';
import { postReview, reviewCandidates, syncLabel, upsertStickyComment } from './comments.js';
import type { AnalyseJob } from './jobs.js';
import { checkSummary, checkTitle, conclusionFor, findingsDigest, quickStickyBody, stickyBody, type RenderContext, type RunNotes } from './messages.js';
import type { MarkdownLinks } from '../report/markdown.js';
import { isHttpError, type Octokit } from './octokit.js';
import { listChangedFiles, type ChangedFiles } from './pr-files.js';
import { Superseded } from './queue.js';
import { BlobReader, decode, githubSnapshot, type RepoRef } from './snapshot.js';
import { openStories } from './stories.js';
import { reviewTriggers, type ReviewTrigger } from './triggers.js';

/** Everything a job needs, as plain parameters: the client, where, and the app's services. */
export interface RunContext {
  octokit: Octokit;
  at: RepoRef;
  pr: PullKey;
  store: Store;
  log: Logger;
  /** API calls made so far by this job. */
  calls: () => number;
  cache?: DiffOptions['cache'];
  /** This app's id, to tell its check runs from another app's `threatdiff`. */
  appId?: number;
}

export type PullRequest = Awaited<ReturnType<Octokit['rest']['pulls']['get']>>['data'];

/** Every file ending a parser may claim (include/exclude can only narrow this). */
const anyModelFile = pathFilter({ ...DEFAULT_CONFIG, include: [], exclude: [] });
/** A config file bigger than this is not a config file. */
const MAX_CONFIG_BYTES = 256 * 1024;

export type Prepared =
  | { kind: 'no-model-files'; files: ChangedFiles; configChanged: boolean }
  | { kind: 'config-error'; error: ConfigError; configChanged: boolean }
  | { kind: 'draft-skipped' }
  | {
      kind: 'analysed';
      config: Config;
      files: ChangedFiles;
      configChanged: boolean;
      /** Problems of the PR's own copy of the config (when it changes it). */
      headConfigProblems: string[];
      modelFiles: number;
      mergeBase: string;
      report: Report;
      base: Analysis;
      head: Analysis;
      blobs: BlobReader;
    };

/**
 * Reads the PR and runs the engine: changed files first (a PR without model
 * files stops here, having read no contents), then the base branch's config,
 * then both trees from the merge base and the head, sharing one blob reader.
 */
export async function prepare(ctx: RunContext, pull: PullRequest, options: { noCache: boolean }): Promise<Prepared> {
  const { octokit, at } = ctx;
  const files = await listChangedFiles(octokit, at, pull.number, pull.changed_files);
  const touches = (f: { path: string; previousPath?: string }, test: (p: string) => boolean) => (f.path !== CONFIG_PATH && test(f.path)) || (f.previousPath !== undefined && f.previousPath !== CONFIG_PATH && test(f.previousPath));
  const configChanged = files.files.some((f) => f.path === CONFIG_PATH || f.previousPath === CONFIG_PATH);
  if (!files.truncated && !files.files.some((f) => touches(f, anyModelFile))) return { kind: 'no-model-files', files, configChanged };

  const blobs = new BlobReader(octokit, at, { log: ctx.log });
  let config: Config;
  try {
    config = await readConfig(ctx, pull.base.sha, blobs);
  } catch (err) {
    if (err instanceof ConfigError) return { kind: 'config-error', error: err, configChanged };
    throw err;
  }
  if (pull.draft && config.drafts === 'skip') return { kind: 'draft-skipped' };
  const accept = pathFilter(config);
  const modelFiles = files.files.filter((f) => touches(f, accept)).length;
  if (!files.truncated && modelFiles === 0) return { kind: 'no-model-files', files, configChanged };

  const headConfigProblems: string[] = [];
  if (configChanged && files.files.some((f) => f.path === CONFIG_PATH && f.status !== 'removed')) {
    await readConfig(ctx, pull.head.sha, blobs).catch((err: unknown) => {
      if (!(err instanceof ConfigError)) throw err;
      headConfigProblems.push(...(err.problems.length > 0 ? err.problems : [err.message]));
    });
  }

  const mergeBase = await mergeBaseOf(ctx, pull.base.sha, pull.head.sha);
  // Listings are remembered with the cache they serve (not for `/threatdiff full`).
  const memo = options.noCache ? undefined : ctx.cache;
  const base = githubSnapshot(octokit, at, pull.base.ref, mergeBase, blobs, memo);
  const head = githubSnapshot(octokit, at, pull.head.ref, pull.head.sha, blobs, memo);
  const accepted = await ctx.store.listAcceptances(ctx.pr.repo);
  const result = await diffSnapshots(base, head, { config, accepted, ...(options.noCache || !ctx.cache ? {} : { cache: ctx.cache }) });
  const listingIssues = [...base.issues, ...head.issues];
  const report: Report =
    listingIssues.length === 0
      ? result.report
      : { ...result.report, errors: [...result.report.errors, ...listingIssues], summary: { ...result.report.summary, files: { ...result.report.summary.files, errors: result.report.summary.files.errors + listingIssues.filter((i) => i.level === 'error').length } } };
  return { kind: 'analysed', config, files, configChanged, headConfigProblems, modelFiles, mergeBase, report, base: result.base, head: result.head, blobs };
}

/** `.github/threatdiff.yml` at a commit through the contents API; missing = defaults, invalid = ConfigError. */
async function readConfig(ctx: RunContext, ref: string, blobs: BlobReader): Promise<Config> {
  let data;
  try {
    ({ data } = await ctx.octokit.rest.repos.getContent({ ...ctx.at, path: CONFIG_PATH, ref }));
  } catch (err) {
    if (isHttpError(err, 404)) return DEFAULT_CONFIG;
    throw err;
  }
  if (Array.isArray(data) || data.type !== 'file') throw new ConfigError(`${CONFIG_PATH} is not a file`, [`${CONFIG_PATH} is a ${Array.isArray(data) ? 'directory' : data.type}`]);
  if (data.size > MAX_CONFIG_BYTES) throw new ConfigError(`${CONFIG_PATH} is ${data.size} bytes, over the ${MAX_CONFIG_BYTES}-byte limit`, []);
  // The contents API leaves `content` empty for files over 1 MB; the blob API always answers.
  const text = data.content && data.encoding === 'base64' ? decode(data.content, data.encoding) : await blobs.read(data.sha);
  blobs.seed(data.sha, text);
  return parseConfig(text);
}

/** The commit the PR branched from: findings already on the base branch are not this PR's news. */
async function mergeBaseOf(ctx: RunContext, base: string, head: string): Promise<string> {
  try {
    const { data } = await ctx.octokit.rest.repos.compareCommitsWithBasehead({ ...ctx.at, basehead: `${base}...${head}`, per_page: 1 });
    return data.merge_base_commit.sha;
  } catch (err) {
    ctx.log.warn({ err }, 'could not compute the merge base; comparing with the base branch head');
    return base;
  }
}

/** The head the PR has moved on to, when this job's head is no longer it. */
async function supersededBy(ctx: RunContext, headSha: string, signal: AbortSignal): Promise<string | undefined> {
  if (signal.aborted) return signal.reason instanceof Superseded ? signal.reason.by : 'a newer commit';
  const latest = await ctx.store.getLatestHead(ctx.pr);
  return latest && latest !== headSha ? latest : undefined;
}

/**
 * The analysis job: find or create the check run on the head SHA, analyse,
 * publish, and always complete the check run with a conclusion and a
 * message, whatever happens in between.
 */
export async function analysePullRequest(ctx: RunContext, job: AnalyseJob, signal: AbortSignal): Promise<void> {
  const { data: pull } = await ctx.octokit.rest.pulls.get({ ...ctx.at, pull_number: job.pull });
  if (pull.state !== 'open') return ctx.log.info(`PR ${ctx.pr.repo}#${job.pull} is ${pull.state}: not analysed`);
  await ctx.store.setLatestHead(ctx.pr, pull.head.sha);
  if (job.headSha && job.headSha !== pull.head.sha) return ctx.log.info(`PR ${ctx.pr.repo}#${job.pull} moved to ${pull.head.sha}: not analysing ${job.headSha}`);

  const existing = await findCheckRun(ctx.octokit, ctx.at, pull.head.sha, ctx.appId);
  // A redelivered event, or a second instance: the head already has its result.
  if (existing?.status === 'completed' && !job.force) return ctx.log.info(`${pull.head.sha} already has a completed check run`);
  const run = existing && existing.status !== 'completed' ? existing : await createCheckRun(ctx.octokit, ctx.at, pull.head.sha, job.pull);

  let completion = failed('the analysis stopped before it finished');
  try {
    completion = await analyseAndPublish(ctx, pull, run, job, signal);
  } catch (err) {
    ctx.log.error({ err }, `analysis of ${ctx.pr.repo}#${job.pull} failed`);
    completion = failed(describe(err));
  } finally {
    await completeCheckRun(ctx.octokit, ctx.at, run.id, completion).catch((err: unknown) => ctx.log.error({ err }, `could not complete check run ${run.id}`));
  }
}

function describe(err: unknown): string {
  if (isHttpError(err)) return `GitHub answered ${err.status} (${err.message.split('\n')[0]!.slice(0, 200)})`;
  return (err as Error)?.message?.split('\n')[0]?.slice(0, 300) ?? String(err);
}

function failed(reason: string): Completion {
  return {
    conclusion: 'failure',
    title: 'threatdiff could not finish',
    summary: `The analysis did not finish: ${escapeMarkdown(reason)}.\n\nRe-run it with the **Re-run** button or a \`/threatdiff rerun\` comment.`,
  };
}

async function analyseAndPublish(ctx: RunContext, pull: PullRequest, run: CheckRun, job: AnalyseJob, signal: AbortSignal): Promise<Completion> {
  const prepared = await prepare(ctx, pull, { noCache: job.noCache });
  const newer = await supersededBy(ctx, pull.head.sha, signal);
  if (newer) {
    return {
      conclusion: 'neutral',
      title: `Superseded by ${newer.slice(0, 7)}`,
      summary: `A newer commit (${code(newer)}) was pushed while ${code(pull.head.sha)} was being analysed; its check run has the current results.`,
    };
  }
  const configNote = (changed: boolean) => (changed ? `\n\nThis pull request changes ${code(CONFIG_PATH)}; the base branch's configuration applies until it is merged.` : '');

  if (prepared.kind === 'config-error') {
    const problems = prepared.error.problems.length > 0 ? prepared.error.problems : [prepared.error.message];
    return {
      conclusion: 'failure',
      title: `Invalid ${CONFIG_PATH}`,
      summary: `The configuration on the base branch (${code(pull.base.sha.slice(0, 7))}) is invalid, so the analysis did not run:\n\n${problems.map((p) => `- ${escapeMarkdown(p)}`).join('\n')}${configNote(prepared.configChanged)}`,
    };
  }
  if (prepared.kind === 'draft-skipped') {
    return { conclusion: 'skipped', title: 'Draft pull request: not analysed', summary: 'The configuration says `drafts: skip`. Mark the pull request ready for review to analyse it.' };
  }
  if (prepared.kind === 'no-model-files') {
    // The PR no longer changes model files: an earlier summary comment or label would be stale.
    try {
      if (await ctx.store.getStickyComment(ctx.pr)) await upsertStickyComment(ctx.octokit, ctx.at, ctx.pr, ctx.store, { mode: 'always', body: quickStickyBody(pull.head.sha, 'no-model-files'), digest: 'no-model-files', hasNews: false });
      await syncLabel(ctx.octokit, ctx.at, pull.number, DEFAULT_CONFIG.fullReviewLabel, labelsOf(pull), false);
      await ctx.store.setPullFindings(ctx.pr, { head: pull.head.sha, findings: [], resolved: [] });
    } catch (err) {
      ctx.log.warn({ err }, 'could not tidy the summary comment or label'); // the verdict stands
    }
    return {
      conclusion: 'success',
      title: 'No model files changed',
      summary: `This pull request changes ${prepared.files.files.length} file${prepared.files.files.length === 1 ? '' : 's'}, none of them an OpenAPI, Kubernetes or Terraform file this repository models: nothing to analyse.${configNote(prepared.configChanged)}`,
    };
  }
  return publish(ctx, pull, run, prepared);
}

/** Findings link to their line on GitHub (head side at the head commit, base side at the merge base); works on GHES too. */
function fileLinks(pull: PullRequest, mergeBase: string, checkRunUrl: string | undefined): MarkdownLinks {
  const repoUrl = pull.base.repo?.html_url;
  return {
    ...(repoUrl ? { file: (loc, side) => (loc.file ? `${repoUrl}/blob/${side === 'head' ? pull.head.sha : mergeBase}/${loc.file.split('/').map(encodeURIComponent).join('/')}#L${loc.line}` : undefined) } : {}),
    ...(checkRunUrl ? { report: checkRunUrl } : {}),
  };
}

function labelsOf(pull: PullRequest): string[] {
  return pull.labels.map((l) => l.name);
}

async function publish(ctx: RunContext, pull: PullRequest, run: CheckRun, p: Extract<Prepared, { kind: 'analysed' }>): Promise<Completion> {
  const { report, config } = p;
  const graphs: RenderContext = { head: p.head.graph, base: p.base.graph, links: fileLinks(pull, p.mergeBase, run.htmlUrl) };
  const triggers: ReviewTrigger[] = config.fullReviewLabel ? reviewTriggers(report, p.head.graph, p.base.graph) : [];
  const conclusion = conclusionFor(report, config, pull.draft ?? false);
  const fresh = report.threats.filter((t) => t.status === 'new');
  const previous = await ctx.store.getPullFindings(ctx.pr);
  const resolved = previous && previous.head !== pull.head.sha ? previous.findings.filter((f) => !fresh.some((t) => t.id === f.id)) : [];
  const notes: RunNotes = {
    ...(previous && resolved.length > 0 ? { resolvedSince: { commit: previous.head, findings: resolved } } : {}),
    ...(p.configChanged ? { configChanged: { problems: p.headConfigProblems } } : {}),
    triggers,
    fullReviewLabel: config.fullReviewLabel,
    draft: pull.draft ?? false,
    filesTruncated: p.files.truncated,
    reviewDegraded: [],
    publishProblems: [],
    baseCommit: p.mergeBase,
    headCommit: pull.head.sha,
  };
  // Each step on its own: a comment GitHub refuses must not hide the verdict.
  const step = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      ctx.log.warn({ err }, `${what} failed`);
      notes.publishProblems.push(`${what}: ${describe(err)}`);
    }
  };
  if (config.reviewComments) {
    await step('review comments', async () => {
      const { degraded } = await postReview(ctx.octokit, ctx.at, ctx.pr, pull.head.sha, reviewCandidates(report, p.files.files), p.head.graph, ctx.store);
      notes.reviewDegraded.push(...degraded);
    });
  }
  await step('review label', () => syncLabel(ctx.octokit, ctx.at, pull.number, config.fullReviewLabel, labelsOf(pull), triggers.length > 0));
  if (config.stories === 'auto') await step('security stories', () => openStories(ctx.octokit, ctx.at, ctx.pr.repo, pull.number, report, p.head.graph, config.storiesSeverity, ctx.store));
  await step('summary comment', () => {
    const digest = findingsDigest(report, triggers, resolved) + (config.comments === 'always' ? `-${pull.head.sha.slice(0, 12)}` : '');
    const hasNews = report.summary.threats.new + report.summary.threats.resolved + report.summary.crossings.new + report.errors.length + triggers.length + resolved.length > 0;
    return upsertStickyComment(ctx.octokit, ctx.at, ctx.pr, ctx.store, { mode: config.comments, body: stickyBody(report, graphs, notes, conclusion, digest, run.htmlUrl), digest, hasNews });
  });
  await ctx.store.setPullFindings(ctx.pr, {
    head: pull.head.sha,
    findings: fresh.slice(0, 300).map((t) => ({ id: t.id, title: t.title, severity: t.severity })),
    resolved: report.threats.filter((t) => t.status === 'resolved').map((t) => t.id),
  });
  notes.stats = { apiCalls: ctx.calls(), blobsFetched: p.blobs.stats.fetched, blobsReused: p.blobs.stats.reused, tarballs: p.blobs.stats.tarballs, tarballFiles: p.blobs.stats.tarballFiles, changedFiles: p.files.files.length, modelFiles: p.modelFiles };
  return { conclusion, title: checkTitle(report), summary: checkSummary(report, graphs, notes), annotations: toAnnotations(report, { graph: p.head.graph }) };
}

import { createHash } from 'node:crypto';
import type { Graph, Threat } from '../model/graph.js';
import type { Report } from '../model/report.js';
import { SEVERITIES } from '../model/types.js';
import { atLeast, CONFIG_PATH, type Config } from '../config/config.js';
import { code, escapeMarkdown } from '../report/escape.js';
import { renderMarkdown, type MarkdownLinks } from '../report/markdown.js';
import { ALL_RULES } from '../../rules/index.js';
import { TRIGGER_NAMES, type ReviewTrigger } from './triggers.js';

/** The check run's name, and the name the app looks for before creating one. */
export const CHECK_NAME = 'threatdiff';
export const STICKY_MARKER = '<!-- threatdiff:summary -->';
/** GitHub's limit for check-run summaries; comments take 65,536. */
export const SUMMARY_LIMIT = 65_535;
const COMMENT_LIMIT = 65_000;

export type Conclusion = 'success' | 'failure' | 'neutral' | 'skipped';

export function findingMarker(id: string): string {
  return `<!-- threatdiff:finding ${id} -->`;
}

/** Finding ids named by markers in comment bodies (review comments survive a lost store). */
export function findingMarkersIn(body: string): string[] {
  return [...body.matchAll(/<!-- threatdiff:finding (TD-[0-9a-f]+) -->/g)].map((m) => m[1]!);
}

/** Fails on a new, unaccepted finding at or above `fail_on`; drafts never fail (neutral instead). */
export function conclusionFor(report: Report, config: Pick<Config, 'failOn'>, draft: boolean): Conclusion {
  const highest = report.summary.highestNew;
  const fails = config.failOn !== 'none' && highest !== null && atLeast(highest, config.failOn);
  if (!fails) return 'success';
  return draft ? 'neutral' : 'failure';
}

export function checkTitle(report: Report): string {
  const bySeverity = SEVERITIES.filter((s) => report.summary.newBySeverity[s] > 0).map((s) => `${report.summary.newBySeverity[s]} ${s}`);
  const accepted = report.threats.filter((t) => t.status === 'new' && t.accepted).length;
  const parts = [bySeverity.length > 0 ? `New threats: ${bySeverity.join(', ')}` : 'No new threats'];
  if (accepted > 0) parts.push(`${accepted} accepted`);
  const crossings = report.summary.crossings.new;
  if (crossings > 0) parts.push(`${crossings} new crossing${crossings === 1 ? '' : 's'}`);
  const resolved = report.summary.threats.resolved;
  if (resolved > 0) parts.push(`${resolved} resolved`);
  return parts.join(' · ');
}

/** What the app adds around the report: things only the app knows. */
export interface RunNotes {
  /** The PR edits the config file; the base branch's copy was used. `problems`: what is wrong with the PR's copy. */
  configChanged?: { problems: string[] };
  triggers: ReviewTrigger[];
  fullReviewLabel: string;
  draft: boolean;
  /** GitHub's 3,000-file listing cap was hit. */
  filesTruncated: boolean;
  /** Findings that could not be review comments because GitHub rejected the position. */
  reviewDegraded: string[];
  /** New findings of the PR's previous analysed commit that this commit no longer has. */
  resolvedSince?: { commit: string; findings: { id: string; title: string; severity: string }[] };
  /** Publishing steps GitHub refused (comment, label...), with why. */
  publishProblems: string[];
  /** Base used for the comparison (merge base) and head. */
  baseCommit: string;
  headCommit: string;
  /** `tarballs`: commit archives downloaded (one API call each), `tarballFiles`: files read from them. */
  stats?: { apiCalls: number; blobsFetched: number; blobsReused: number; tarballs?: number; tarballFiles?: number; changedFiles: number; modelFiles: number };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function short(sha: string): string {
  return sha.slice(0, 7);
}

function noteLines(notes: RunNotes): string[] {
  const lines: string[] = [];
  if (notes.draft) lines.push('> [!NOTE]', '> Draft pull request: findings are reported but do not fail the check.', '');
  if (notes.configChanged) {
    lines.push('> [!IMPORTANT]', `> This pull request changes ${code(CONFIG_PATH)}. The configuration of the base branch was used (a change cannot weaken its own gate); the new one applies after merge.`);
    if (notes.configChanged.problems.length > 0) lines.push('> The new configuration has problems:', ...notes.configChanged.problems.map((p) => `> - ${escapeMarkdown(p)}`));
    lines.push('');
  }
  if (notes.resolvedSince && notes.resolvedSince.findings.length > 0) {
    lines.push(`**Resolved since ${code(short(notes.resolvedSince.commit))}:**`, ...notes.resolvedSince.findings.map((f) => `- ✅ ${f.severity} ${escapeMarkdown(f.title)} (${code(f.id)})`), '');
  }
  if (notes.triggers.length > 0) {
    const label = notes.fullReviewLabel ? ` (label ${code(notes.fullReviewLabel)})` : '';
    lines.push(`**Full threat-model review suggested**${label}:`, ...notes.triggers.map((t) => `- ${TRIGGER_NAMES[t.kind]}: ${escapeMarkdown(t.detail)}`), '');
  }
  if (notes.filesTruncated) lines.push('> [!WARNING]', '> GitHub lists at most 3,000 changed files per pull request: the trees were compared in full, but review comments only cover the listed files.', '');
  if (notes.publishProblems.length > 0) lines.push('> [!WARNING]', '> Some results could not be posted:', ...notes.publishProblems.map((p) => `> - ${escapeMarkdown(p)}`), '');
  if (notes.reviewDegraded.length > 0) lines.push(`> GitHub rejected the review-comment position of ${notes.reviewDegraded.map(code).join(', ')}: see the findings below.`, '');
  return lines;
}

function statsLine(notes: RunNotes): string {
  const s = notes.stats;
  const parts = [`compared ${code(short(notes.baseCommit))} (merge base) → ${code(short(notes.headCommit))}`];
  if (s) parts.push(`${plural(s.changedFiles, 'changed file')}, ${plural(s.modelFiles, 'model file')}`, `GitHub API calls: ${s.apiCalls}`, `blobs fetched ${s.blobsFetched}, reused ${s.blobsReused}`);
  if (s?.tarballs) parts.push(`${plural(s.tarballs, 'tarball')} (${plural(s.tarballFiles ?? 0, 'file')})`);
  return `<sub>threatdiff: ${parts.join(' · ')}</sub>`;
}

/** What the renderer needs besides the report: both graphs, and links to files on GitHub. */
export interface RenderContext {
  head: Graph;
  base: Graph | null;
  links?: MarkdownLinks;
}

/** Check-run summary: app notes, the report (cut to fit), and run statistics; never over GitHub's limit. */
export function checkSummary(report: Report, graphs: RenderContext, notes: RunNotes): string {
  return assemble(noteLines(notes).join('\n'), report, graphs, `\n---\n${statsLine(notes)}\n`, SUMMARY_LIMIT);
}

function assemble(before: string, report: Report, graphs: RenderContext, after: string, limit: number): string {
  const budget = limit - before.length - after.length - 2;
  // No heading of its own: GitHub shows the check title, and the comment writes its own.
  const body = renderMarkdown(report, { head: graphs.head, base: graphs.base, maxLength: Math.max(1000, budget), title: '', rules: ALL_RULES, ...(graphs.links ? { links: graphs.links } : {}) });
  const text = `${before}${before ? '\n' : ''}${body}${after}`;
  // The renderer honours maxLength; this only guards a renderer that does not.
  return text.length <= limit ? text : `${text.slice(0, limit - 80)}\n\n_…cut to GitHub's ${limit}-character limit._\n`;
}

/** A short, stable digest of what the sticky comment says about findings (not which commit). */
export function findingsDigest(report: Report, triggers: readonly ReviewTrigger[], resolvedSince: readonly { id: string }[] = []): string {
  const state = {
    threats: report.threats.filter((t) => t.status !== 'unchanged').map((t) => `${t.status}:${t.id}:${t.severity}:${t.accepted ? 'a' : ''}`).sort(),
    crossings: report.crossings.filter((c) => c.status !== 'unchanged').map((c) => `${c.status}:${c.id}:${c.change ?? ''}`).sort(),
    errors: report.errors.map((e) => `${e.file}:${e.code}`).sort(),
    triggers: triggers.map((t) => `${t.kind}:${t.element}`),
    resolvedSince: resolvedSince.map((f) => f.id).sort(),
  };
  return createHash('sha256').update(JSON.stringify(state)).digest('hex').slice(0, 16);
}

export function stickyBody(report: Report, graphs: RenderContext, notes: RunNotes, conclusion: Conclusion, digest: string, checkUrl?: string): string {
  const verdict = conclusion === 'failure' ? '❌ new findings fail the check' : conclusion === 'neutral' ? '⚠️ new findings (not failing: draft)' : '✅ no new finding fails the check';
  const link = checkUrl ? ` · [check run](${checkUrl})` : '';
  const before = [STICKY_MARKER, `### threatdiff: ${verdict}`, `Describes commit ${code(notes.headCommit)} — ${escapeMarkdown(checkTitle(report))}${link}`, '', ...noteLines(notes)].join('\n');
  return assemble(before, report, graphs, `\n<!-- threatdiff:digest ${digest} -->\n`, COMMENT_LIMIT);
}

export function quickStickyBody(headCommit: string, digest: string): string {
  return `${STICKY_MARKER}\n### threatdiff: ✅ no model files changed\nDescribes commit ${code(headCommit)}: this pull request no longer changes OpenAPI, Kubernetes or Terraform files.\n<!-- threatdiff:digest ${digest} -->\n`;
}

function name(graph: Graph | null, id: string): string {
  return graph?.elements.get(id)?.name ?? id;
}

export function reviewCommentBody(t: Threat, head: Graph): string {
  return [
    findingMarker(t.id),
    `**threatdiff · ${t.severity}** — ${escapeMarkdown(t.title)} on ${code(name(head, t.element))} (${code(t.id)})`,
    '',
    escapeMarkdown(t.evidence),
    '',
    `**Mitigation:** ${t.mitigation}`,
    '',
    `<sub>Details: \`/threatdiff explain ${t.id}\` · intended? \`/threatdiff accept ${t.id} <reason>\`</sub>`,
  ].join('\n');
}

export function reviewBody(count: number, headCommit: string): string {
  return `threatdiff found ${count} new high-severity finding${count === 1 ? '' : 's'} in lines this pull request changes (commit ${code(short(headCommit))}).`;
}

function findThreat(report: Report, id: string): Threat | undefined {
  return report.threats.find((t) => t.id === id);
}

export function explainBody(report: Report, id: string, head: Graph, base: Graph | null): string {
  const t = findThreat(report, id);
  if (!t) return `threatdiff found no finding ${code(id)} in this pull request (commit ${code(short(report.head.commit))}). Finding ids are listed in the check summary.`;
  const rule = ALL_RULES.find((r) => r.meta.id === t.ruleId);
  const graph = t.status === 'resolved' ? base : head;
  const lines = [
    `### ${code(t.id)}: ${escapeMarkdown(t.title)}`,
    '',
    `- **Status:** ${t.status}${t.accepted ? ` (accepted by ${escapeMarkdown(t.accepted.by)}${t.accepted.at ? ` on ${escapeMarkdown(t.accepted.at)}` : ''}: ${escapeMarkdown(t.accepted.reason)})` : ''}`,
    `- **Rule:** ${code(t.ruleId)} · severity **${t.severity}** · STRIDE ${t.stride.join('')}`,
    `- **Element:** ${code(name(graph, t.element))}${t.peer ? ` ← ${code(name(graph, t.peer))}` : ''} at ${code(`${t.location.file}:${t.location.line}`)}`,
    `- **Evidence:** ${escapeMarkdown(t.evidence)}`,
  ];
  if (t.path && t.path.length > 0) lines.push(`- **Path:** ${t.path.map((p) => code(name(graph, p))).join(' → ')}`);
  if (rule) lines.push('', `**Why it matters:** ${rule.meta.rationale}`);
  lines.push('', `**Mitigation:** ${t.mitigation}`);
  if (t.references.length > 0) lines.push('', `References: ${t.references.map(code).join(', ')}`);
  return lines.join('\n');
}

export function storyTitle(t: Threat, head: Graph): string {
  // Titles are plain text, but keep names from mentioning anyone in notifications.
  return `Security story: ${t.title} — ${name(head, t.element)}`.replace(/@/g, '@\u200b').slice(0, 250);
}

export function storyBody(t: Threat, head: Graph, pull: number): string {
  const rule = ALL_RULES.find((r) => r.meta.id === t.ruleId);
  const why = rule?.meta.rationale.split(/(?<=\.)\s+/)[0] ?? 'the risk is reduced';
  const criteria = t.mitigation.split(/(?<=\.)\s+(?=[A-Z`])/).filter((s) => s.trim());
  return [
    `<!-- threatdiff:story ${t.id} -->`,
    `**As** the owner of ${code(name(head, t.element))}, **I want** "${escapeMarkdown(t.title)}" addressed, **so that** ${why.charAt(0).toLowerCase()}${why.slice(1)}`,
    '',
    `Found by threatdiff in #${pull}: finding ${code(t.id)}, rule ${code(t.ruleId)}, severity **${t.severity}**, STRIDE ${t.stride.join('')}, at ${code(`${t.location.file}:${t.location.line}`)}.`,
    '',
    `**Evidence:** ${escapeMarkdown(t.evidence)}`,
    '',
    '### Acceptance criteria',
    ...criteria.map((c) => `- [ ] ${c}`),
    `- [ ] threatdiff no longer reports ${code(t.id)} on the default branch, or the risk is accepted with a reason (\`/threatdiff accept ${t.id} <reason>\`).`,
    ...(t.references.length > 0 ? ['', `References: ${t.references.map(code).join(', ')}`] : []),
  ].join('\n');
}

export const STORY_LABELS = ['security', 'threatdiff'];

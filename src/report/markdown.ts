import type { ChainLink, Graph, Rule, Threat } from '../model/graph.js';
import type { Report, ReportCrossing } from '../model/report.js';
import type { ParseIssue, Severity, SourceLocation } from '../model/types.js';
import { SEVERITIES } from '../model/types.js';
import { compareThreats } from '../analysis/rules.js';
import { zoneInfo } from '../graph/zones.js';
import { code, escapeMarkdown } from './escape.js';
import { renderMermaid } from './mermaid.js';

export interface MarkdownLinks {
  /** URL of a file line (head side for current findings, base side for resolved ones); undefined: plain text. */
  file?: (location: SourceLocation, side: 'head' | 'base') => string | undefined;
  /** Where the full JSON report is (artifact, check run), for the truncation note. */
  report?: string;
  /** A rule's documentation page. */
  rule?: (ruleId: string) => string | undefined;
}

export interface MarkdownOptions {
  head: Graph;
  base: Graph | null;
  /** Cut the output to this many characters with a note (GitHub check summaries take 65,535). */
  maxLength?: number;
  /** First heading; default `threatdiff`; `''` for none (when the caller writes its own). */
  title?: string;
  links?: MarkdownLinks;
  /** Rule metadata, for "why it matters" under the top risks. */
  rules?: readonly Rule[];
  /** Nodes in the diagram of the affected part of the graph (default 40). */
  diagramNodes?: number;
}

/** GitHub's limit for a check run's summary and for an issue comment. */
export const GITHUB_MAX_LENGTH = 65_535;

const ICON: Record<Severity, string> = { critical: '🔴', high: '🟠', medium: '🟡', low: '🔵', info: '⚪' };
const LABEL: Record<Severity, string> = { critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low', info: 'Info' };
/** Groups folded by default: worth a look, not a reviewer's first read. */
const FOLDED: ReadonlySet<Severity> = new Set<Severity>(['low', 'info']);
const TOP_RISKS = 3;
const COVERAGE_NAMES = 5;
const FOLD_ABOVE = 10;

/** How much of each part is shown; the cut loop lowers these until the text fits. */
interface Limits {
  unchanged: boolean;
  diagram: boolean;
  /** Items per low-value list (accepted, resolved, errors). */
  low: number;
  /** Items per high-value list (new crossings, new threats). */
  high: number;
}

const FULL: Limits = { unchanged: true, diagram: true, low: Infinity, high: Infinity };

/** Successively smaller outputs: unchanged lists go first, then the diagram, then list items. */
function plans(): Limits[] {
  const out: Limits[] = [FULL, { ...FULL, unchanged: false }, { ...FULL, unchanged: false, diagram: false }];
  const base = { unchanged: false, diagram: false };
  for (const low of [20, 5, 0]) out.push({ ...base, low, high: Infinity });
  for (const high of [50, 20, 10, 5, 3, 1, 0]) out.push({ ...base, low: 0, high });
  return out;
}

/**
 * The reviewer's report: verdict, top risks, new crossings and threats,
 * accepted and resolved ones, files not modelled, a diagram of what changed
 * and coverage. Also the check-run summary and the sticky PR comment.
 * Everything that came from a file goes through escapeMarkdown()/code().
 */
export function renderMarkdown(report: Report, options: MarkdownOptions): string {
  const max = options.maxLength;
  if (!isInteresting(report)) return fit(quiet(report, options), max, '> … (truncated)');
  let last = { text: '', hidden: 0 };
  for (const limits of plans()) {
    last = full(report, options, limits);
    if (max === undefined || last.text.length <= max) return last.text;
  }
  return fit(last.text, max, truncationNote(Math.max(1, last.hidden), options));
}

function isInteresting(r: Report): boolean {
  return r.summary.threats.new + r.summary.threats.resolved + r.summary.crossings.new + r.summary.crossings.resolved + r.errors.length > 0;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

const NOTE_LINE = /^> … .*\n?/gm;

function truncationNote(hidden: number, options: MarkdownOptions): string {
  const url = safeUrl(options.links?.report);
  const where = url ? `see the [JSON report](${url})` : 'see the JSON report';
  return `> … ${plural(hidden, 'more finding')} not shown (${where})`;
}

/**
 * Last resort when even the smallest plan is too long: cut at the last
 * paragraph break that leaves no <details> open, then the note. Only our own
 * note lines start with `> …` (file text has `>` escaped), so the earlier
 * note can be dropped safely.
 */
function fit(text: string, max: number | undefined, note: string): string {
  if (max === undefined || text.length <= max) return text;
  const tail = `\n${note}\n`;
  if (tail.length >= max) return note.slice(0, Math.max(0, max));
  const body = text.replace(NOTE_LINE, '');
  const budget = max - tail.length;
  const balanced = (s: string) => (s.match(/<details/g) ?? []).length === (s.match(/<\/details>/g) ?? []).length;
  for (let at = body.lastIndexOf('\n\n', budget - 1); at > 0; at = body.lastIndexOf('\n\n', at - 1)) {
    const cut = body.slice(0, at + 1);
    if (balanced(cut)) return `${cut}${tail}`;
  }
  let cut = body.slice(0, budget);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}${tail}`;
}

// ---------------------------------------------------------------- escaping helpers

/** Only http(s) links, with the characters that would end a Markdown link or a table cell encoded. */
function safeUrl(url: string | undefined): string | undefined {
  if (!url || !/^https?:\/\//i.test(url)) return undefined;
  return url.replace(/[\s()<>"'`|\\[\]]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** A code span that survives a table row (GFM splits cells on `|`, even inside code). */
function cellCode(text: string): string {
  return code(text).replace(/\|/g, '\\|');
}

/**
 * Rule-authored text (titles, rationale, mitigation): trusted, but escaped
 * all the same, keeping its `code spans` as code.
 */
function ruleText(text: string): string {
  return text
    .split(/(`[^`\n]+`)/)
    .map((part) => (part.startsWith('`') && part.endsWith('`') && part.length > 1 ? code(part.slice(1, -1)) : escapeMarkdown(part)))
    .join('');
}

function firstSentence(text: string): string {
  const m = /^(.+?[.!?])(\s|$)/.exec(text);
  return m ? m[1]! : text;
}

// ---------------------------------------------------------------- the document

interface Ctx {
  report: Report;
  options: MarkdownOptions;
  hidden: number;
}

function elementLabel(ctx: Ctx, id: string, table = false): string {
  const el = ctx.options.head.elements.get(id) ?? ctx.options.base?.elements.get(id);
  const c = table ? cellCode : code;
  return el ? `${c(el.name)} (${escapeMarkdown(el.type)})` : c(id);
}

function locationLabel(ctx: Ctx, location: SourceLocation, side: 'head' | 'base', table = false): string {
  if (!location.file) return '—';
  const text = `${location.file}:${location.line}`;
  const label = table ? cellCode(text) : code(text);
  const url = safeUrl(ctx.options.links?.file?.(location, side));
  return url ? `[${label}](${url})` : label;
}

function zoneName(ctx: Ctx, id: string): string {
  return escapeMarkdown((ctx.options.head.zones.get(id) ?? ctx.options.base?.zones.get(id) ?? zoneInfo(id)).name);
}

function ruleLabel(ctx: Ctx, ruleId: string): string {
  const url = safeUrl(ctx.options.links?.rule?.(ruleId));
  return url ? `[${code(ruleId)}](${url})` : code(ruleId);
}

/** Items up to `limit`, and a line saying how many were left out (counted into the note). */
function capped<T>(ctx: Ctx, items: readonly T[], limit: number, render: (item: T) => string): string[] {
  const shown = items.slice(0, limit === Infinity ? items.length : limit);
  const rest = items.length - shown.length;
  const lines = shown.map(render);
  if (rest > 0) {
    ctx.hidden += rest;
    lines.push(`- _… ${rest} more not shown._`);
  }
  return lines;
}

function folded(summary: string, body: string[], open = false): string[] {
  return [`<details${open ? ' open' : ''}><summary>${summary}</summary>`, '', ...body, '', '</details>'];
}

function full(report: Report, options: MarkdownOptions, limits: Limits): { text: string; hidden: number } {
  const ctx: Ctx = { report, options, hidden: 0 };
  const threats = report.threats;
  const newOpen = threats.filter((t) => t.status === 'new' && !t.accepted).sort(compareThreats);
  const accepted = threats.filter((t) => t.status === 'new' && t.accepted).sort(compareThreats);
  const resolved = threats.filter((t) => t.status === 'resolved').sort(compareThreats);
  const unchanged = threats.filter((t) => t.status === 'unchanged').sort(compareThreats);
  const newCrossings = report.crossings.filter((c) => c.status === 'new');
  const resolvedCrossings = report.crossings.filter((c) => c.status === 'resolved');

  const body: string[] = [];
  const section = (lines: string[]) => {
    if (lines.length > 0) body.push('', ...lines);
  };
  section(topRisks(ctx, newOpen));
  section(crossingsTable(ctx, newCrossings, limits.high));
  section(newThreats(ctx, newOpen, limits.high));
  section(acceptedRisks(ctx, accepted, limits.low));
  section(resolvedSection(ctx, resolved, resolvedCrossings, limits.low));
  section(errorsSection(ctx, report.errors, limits.low));
  if (limits.diagram) section(diagram(ctx));
  if (limits.unchanged) section(unchangedSection(ctx, unchanged));
  else ctx.hidden += unchanged.length;
  section(coverageSection(ctx));
  section([footer(report)]);

  const head = [...heading(options), verdict(report, newOpen, accepted.length), '', ...countsTable(report)];
  if (ctx.hidden > 0) head.push('', truncationNote(ctx.hidden, options));
  return { text: `${[...head, ...body].join('\n')}\n`, hidden: ctx.hidden };
}

function verdict(report: Report, newOpen: Threat[], acceptedCount: number): string {
  const diff = report.base !== null;
  const s = report.summary;
  const highest = s.highestNew;
  const icon = highest ? ICON[highest] : s.crossings.new > 0 ? '🔍' : '✅';
  const parts: string[] = [];
  if (newOpen.length > 0) parts.push(`**${plural(newOpen.length, diff ? 'new threat' : 'threat')}** (highest: **${highest ?? newOpen[0]!.severity}**)`);
  else parts.push(diff ? 'no new threats' : 'no threats');
  if (acceptedCount > 0) parts.push(`${acceptedCount} accepted`);
  parts.push(s.crossings.new > 0 ? `**${plural(s.crossings.new, diff ? 'new trust-boundary crossing' : 'trust-boundary crossing')}**` : diff ? 'no new trust-boundary crossings' : 'no trust-boundary crossings');
  if (diff && s.threats.resolved + s.crossings.resolved > 0) parts.push(`${plural(s.threats.resolved, 'threat')} and ${plural(s.crossings.resolved, 'crossing')} resolved`);
  if (s.files.errors > 0) parts.push(`${plural(s.files.errors, 'file error')}`);
  const text = parts.join(', ');
  return `${icon} ${text[0]!.toUpperCase()}${text.slice(1)}.`;
}

function countsTable(report: Report): string[] {
  const s = report.summary;
  const bySeverity = SEVERITIES.filter((sev) => s.newBySeverity[sev] > 0).map((sev) => `${s.newBySeverity[sev]} ${sev}`);
  const acceptedCount = report.threats.filter((t) => t.status === 'new' && t.accepted).length;
  if (acceptedCount > 0) bySeverity.push(`${acceptedCount} accepted`);
  return [
    '| | New | Resolved | Unchanged |',
    '| --- | ---: | ---: | ---: |',
    `| Threats | ${s.threats.new}${bySeverity.length > 0 ? ` (${bySeverity.join(', ')})` : ''} | ${s.threats.resolved} | ${s.threats.unchanged} |`,
    `| Trust-boundary crossings | ${s.crossings.new} | ${s.crossings.resolved} | ${s.crossings.unchanged} |`,
  ];
}

function topRisks(ctx: Ctx, newOpen: Threat[]): string[] {
  // Informational findings are not risks to lead with.
  const top = newOpen.filter((t) => t.severity !== 'info').slice(0, TOP_RISKS);
  if (top.length === 0) return [];
  const rationale = new Map((ctx.options.rules ?? []).map((r) => [r.meta.id, r.meta.rationale]));
  const lines = ['### Top risks', ''];
  top.forEach((t, i) => {
    const why = [...(t.risk ? [`${escapeMarkdown(t.risk.reasons.join(', '))}.`] : []), ...(rationale.has(t.ruleId) ? [ruleText(firstSentence(rationale.get(t.ruleId)!))] : [])];
    lines.push(
      `${i + 1}. ${ICON[t.severity]} **${LABEL[t.severity]}: ${ruleText(t.title)}** on ${elementLabel(ctx, t.element)} at ${locationLabel(ctx, t.location, 'head')}<br>` +
        `${escapeMarkdown(t.evidence)}${why.length > 0 ? `<br>_Why it matters:_ ${why.join(' ')}` : ''}`,
    );
  });
  return lines;
}

const CHANGE_LABEL: Record<NonNullable<ReportCrossing['change']>, string> = { added: 'added', 'lost-authentication': '**lost authentication**', 'lost-encryption': '**lost encryption**' };

function tri(v: boolean | 'unknown'): string {
  return v === 'unknown' ? 'unknown' : v ? 'yes' : '**no**';
}

function crossingsTable(ctx: Ctx, crossings: ReportCrossing[], limit: number): string[] {
  if (crossings.length === 0) return [];
  const shown = crossings.slice(0, limit === Infinity ? crossings.length : limit);
  const rows = shown.map((c) => {
    const proto = c.protocol ? cellCode(`${c.protocol}${c.port !== undefined ? `:${c.port}` : ''}`) : '—';
    return `| ${CHANGE_LABEL[c.change ?? 'added']} | ${elementLabel(ctx, c.from, true)} → ${elementLabel(ctx, c.to, true)} | ${zoneName(ctx, c.fromZone)} → ${zoneName(ctx, c.toZone)} | ${escapeMarkdown(c.kind)} ${proto} | ${tri(c.authenticated)} | ${tri(c.encrypted)} | ${locationLabel(ctx, c.location, 'head', true)} |`;
  });
  const rest = crossings.length - shown.length;
  ctx.hidden += rest;
  const table = rows.length > 0 ? ['| Change | From → To | Zones | Flow | Authenticated | Encrypted | Where |', '| --- | --- | --- | --- | --- | --- | --- |', ...rows] : [];
  if (rest > 0) table.push(...(rows.length > 0 ? [''] : []), `_… ${rest} more not shown._`);
  const title = `### New trust-boundary crossings (${crossings.length})`;
  return crossings.length > FOLD_ABOVE ? [title, '', ...folded(`${crossings.length} crossings`, table, true)] : [title, '', ...table];
}

function threatItem(ctx: Ctx, t: Threat, side: 'head' | 'base' = 'head'): string {
  const lines = [
    `- **${ruleText(t.title)}** on ${elementLabel(ctx, t.element)} at ${locationLabel(ctx, t.location, side)}`,
    `  - Evidence: ${escapeMarkdown(t.evidence)}`,
    ...(t.chain && t.chain.length > 0 ? [`  - Path: ${chainText(ctx, t.chain)}`] : []),
    ...(t.risk ? [`  - Risk: ${t.risk.score} (likelihood ${t.risk.likelihood} × impact ${t.risk.impact}): ${escapeMarkdown(t.risk.reasons.join(', '))}`] : []),
    `  - Mitigation: ${ruleText(t.mitigation)}`,
    `  - ${ruleLabel(ctx, t.ruleId)} · STRIDE ${t.stride.join(', ') || '—'} · finding ${code(t.id)}`,
  ];
  if (t.accepted) lines.push(`  - Accepted by ${escapeMarkdown(t.accepted.by)}${t.accepted.at ? ` on ${escapeMarkdown(t.accepted.at)}` : ''}: ${escapeMarkdown(t.accepted.reason)}`);
  return lines.join('\n');
}

/** An attack path hop by hop; the hops this change opened are marked. */
function chainText(ctx: Ctx, chain: ChainLink[]): string {
  const name = (id: string) => code(ctx.options.head.elements.get(id)?.name ?? ctx.options.base?.elements.get(id)?.name ?? id);
  return [name(chain[0]!.from), ...chain.map((l) => `${l.opened ? '**→ (new)**' : '→'} ${name(l.to)}`)].join(' ');
}

function newThreats(ctx: Ctx, newOpen: Threat[], limit: number): string[] {
  if (newOpen.length === 0) return [];
  const lines = [`### ${ctx.report.base ? 'New threats' : 'Threats'} (${newOpen.length})`];
  let budget = limit;
  for (const sev of SEVERITIES) {
    const group = newOpen.filter((t) => t.severity === sev);
    if (group.length === 0) continue;
    const items = capped(ctx, group, budget, (t) => threatItem(ctx, t));
    budget = Math.max(0, budget - group.length);
    const title = `${ICON[sev]} ${LABEL[sev]} (${group.length})`;
    if (FOLDED.has(sev) || group.length > FOLD_ABOVE) lines.push('', ...folded(title, items));
    else lines.push('', `#### ${title}`, '', ...items);
  }
  return lines;
}

function acceptedRisks(ctx: Ctx, accepted: Threat[], limit: number): string[] {
  if (accepted.length === 0) return [];
  return [`### Accepted risks (${accepted.length})`, '', 'New findings a maintainer accepted; they do not fail the check.', '', ...capped(ctx, accepted, limit, (t) => threatItem(ctx, t))];
}

function resolvedSection(ctx: Ctx, threats: Threat[], crossings: ReportCrossing[], limit: number): string[] {
  if (threats.length + crossings.length === 0) return [];
  const body: string[] = [];
  if (threats.length > 0)
    body.push(
      `**Threats (${threats.length})**`,
      '',
      ...capped(ctx, threats, limit, (t) => `- ~~${ruleText(t.title)}~~ on ${elementLabel(ctx, t.element)} (${t.severity}, was at ${locationLabel(ctx, t.location, 'base')}) · finding ${code(t.id)}`),
    );
  if (crossings.length > 0)
    body.push(
      ...(body.length > 0 ? [''] : []),
      `**Trust-boundary crossings (${crossings.length})**`,
      '',
      ...capped(ctx, crossings, limit, (c) => `- ~~${elementLabel(ctx, c.from)} → ${elementLabel(ctx, c.to)}~~ (${escapeMarkdown(c.kind)}, ${zoneName(ctx, c.fromZone)} → ${zoneName(ctx, c.toZone)}, was at ${locationLabel(ctx, c.location, 'base')})`),
    );
  return ['### Resolved', '', ...folded(`${plural(threats.length, 'threat')} and ${plural(crossings.length, 'crossing')} resolved`, body)];
}

function errorsSection(ctx: Ctx, errors: ParseIssue[], limit: number): string[] {
  if (errors.length === 0) return [];
  const shown = errors.slice(0, limit === Infinity ? errors.length : limit);
  const rest = errors.length - shown.length;
  ctx.hidden += rest;
  const rows = shown.map((i) => `| ${i.file ? cellCode(i.line ? `${i.file}:${i.line}` : i.file) : '—'} | ${i.level} | ${cellCode(i.code)} | ${escapeMarkdown(i.message)} |`);
  const table = rows.length > 0 ? ['| File | Level | Code | Message |', '| --- | --- | --- | --- |', ...rows] : [];
  if (rest > 0) table.push(...(rows.length > 0 ? [''] : []), `_… ${rest} more not shown._`);
  const count = (level: ParseIssue['level']) => errors.filter((i) => i.level === level).length;
  const summary = [plural(count('error'), 'error'), plural(count('warning'), 'warning'), `${count('skipped')} skipped`].join(', ');
  const title = `### Files not fully modelled (${errors.length})`;
  return errors.length > 5 ? [title, '', ...folded(summary, table)] : [title, '', summary, '', ...table];
}

/** Elements of new and resolved findings (still at head), then their neighbours, up to the cap. */
function affected(ctx: Ctx, cap: number): Set<string> {
  const head = ctx.options.head;
  const core: string[] = [];
  for (const c of ctx.report.crossings) if (c.status !== 'unchanged') core.push(c.from, c.to);
  for (const t of ctx.report.threats) if (t.status !== 'unchanged') core.push(t.element, ...(t.peer ? [t.peer] : []), ...(t.path ?? []));
  const set = new Set<string>();
  for (const id of core) if (head.elements.has(id) && set.size < cap) set.add(id);
  for (const id of [...set].sort()) {
    const around = [...(head.out.get(id) ?? []).map((e) => e.to), ...(head.in.get(id) ?? []).map((e) => e.from)].sort();
    for (const n of around) if (set.size < cap) set.add(n);
  }
  return set;
}

function diagram(ctx: Ctx): string[] {
  const cap = ctx.options.diagramNodes ?? 40;
  const only = affected(ctx, cap);
  if (only.size === 0) return [];
  const chart = renderMermaid(ctx.options.head, { report: ctx.report, base: ctx.options.base, only, maxNodes: cap });
  return ['### Data flow of the change', '', 'Affected elements and their neighbours; new flows in red.', '', '```mermaid', chart.trimEnd(), '```'];
}

function unchangedSection(ctx: Ctx, unchanged: Threat[]): string[] {
  if (unchanged.length === 0) return [];
  const items = unchanged.map((t) => `- ${t.severity} · ${ruleText(t.title)} on ${elementLabel(ctx, t.element)} at ${locationLabel(ctx, t.location, 'head')} · ${code(t.id)}${t.accepted ? ' (accepted)' : ''}`);
  return ['### Existing threats', '', ...folded(`${plural(unchanged.length, 'unchanged threat')}`, items)];
}

function names(ids: string[]): string {
  const shown = ids.slice(0, COVERAGE_NAMES).map((id) => code(id));
  return ids.length > COVERAGE_NAMES ? `${shown.join(', ')} and ${ids.length - COVERAGE_NAMES} more` : shown.join(', ');
}

function coverageLine(report: Report): string {
  const c = report.coverage;
  const f = report.summary.files;
  return `${plural(c.services, 'service')}, ${plural(c.operations, 'operation')}, ${plural(c.dataStores, 'data store')} modelled from ${plural(f.analysed, 'file')}${report.base ? ` (${f.changed} changed)` : ''}.`;
}

function coverageSection(ctx: Ctx): string[] {
  const c = ctx.report.coverage;
  const lines = ['### Coverage', '', `- ${coverageLine(ctx.report)}`];
  if (c.servicesWithoutApi.length > 0) lines.push(`- ${plural(c.servicesWithoutApi.length, 'workload')} without an API description: ${names(c.servicesWithoutApi)}`);
  if (c.servicesWithoutNetworkPolicy.length > 0) lines.push(`- ${plural(c.servicesWithoutNetworkPolicy.length, 'workload')} without a NetworkPolicy: ${names(c.servicesWithoutNetworkPolicy)}`);
  return lines;
}

function footer(report: Report): string {
  const snap = (s: { ref: string; commit: string }) => `${code(s.ref)} ${code(s.commit.slice(0, 7))}`;
  return `<sub>threatdiff ${escapeMarkdown(report.tool.version)} · ${report.base ? `${snap(report.base)} → ` : ''}${snap(report.head)}</sub>`;
}

/** Nothing new or resolved: a short message, so an unrelated PR gets a quiet comment. */
function quiet(report: Report, options: MarkdownOptions): string {
  const s = report.summary;
  const what = report.base
    ? `✅ **No model changes**: no new or resolved trust-boundary crossings or threats${s.threats.unchanged > 0 ? ` (${plural(s.threats.unchanged, 'existing threat')} unchanged)` : ''}.`
    : '✅ **No threats or trust-boundary crossings found.**';
  return `${[...heading(options), what, '', coverageLine(report), '', footer(report)].join('\n')}\n`;
}

function heading(options: MarkdownOptions): string[] {
  const title = options.title ?? 'threatdiff';
  return title === '' ? [] : [`## ${escapeMarkdown(title)}`, ''];
}

import type { Graph } from '../model/graph.js';
import type { Report, ReportCrossing } from '../model/report.js';
import type { Severity } from '../model/types.js';

/** A GitHub check-run annotation (REST `output.annotations[]`). */
export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: 'failure' | 'warning' | 'notice';
  title: string;
  message: string;
  raw_details?: string;
}

export interface AnnotationOptions {
  /** Head graph, for element names in crossing titles; ids are used without it. */
  graph?: Graph;
}

/** GitHub's limits: 64 KB for message and raw_details, 255 characters for the title. */
export const ANNOTATION_LIMITS = { messageBytes: 64 * 1024, titleChars: 255 } as const;

const LEVEL_ORDER = { failure: 0, warning: 1, notice: 2 } as const;

export function annotationLevel(severity: Severity): Annotation['annotation_level'] {
  return severity === 'critical' || severity === 'high' ? 'failure' : severity === 'medium' ? 'warning' : 'notice';
}

/** Annotations are plain text: only control characters (except newline and tab) need to go. */
function clean(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

/** Cuts to at most `maxBytes` of UTF-8, never inside a character, marking the cut. */
export function truncateBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const marker = '…';
  let budget = maxBytes - Buffer.byteLength(marker, 'utf8');
  let out = '';
  for (const ch of text) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (size > budget) break;
    out += ch;
    budget -= size;
  }
  return out + marker;
}

function truncateChars(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function line(n: number): number {
  return Math.max(1, Math.floor(n) || 1);
}

/**
 * One annotation per new threat and per new trust-boundary crossing that has
 * a file at head. Accepted threats become notices that say who accepted them.
 * Sorted by path and line; GitHub takes 50 per request, batching is the caller's.
 */
export function toAnnotations(report: Report, options: AnnotationOptions = {}): Annotation[] {
  const name = (id: string) => options.graph?.elements.get(id)?.name ?? id;
  const out: Annotation[] = [];
  for (const t of report.threats) {
    if (t.status !== 'new' || t.location.file === '') continue;
    const accepted = t.accepted ? `\nAccepted by ${t.accepted.by}${t.accepted.at ? ` on ${t.accepted.at}` : ''}: ${t.accepted.reason}` : '';
    out.push(
      make(t.location.file, t.location.line, t.accepted ? 'notice' : annotationLevel(t.severity), `${t.severity.toUpperCase()} ${t.title} (${t.id})`, `${t.evidence}${t.risk ? `\nRisk ${t.risk.score} (likelihood ${t.risk.likelihood} x impact ${t.risk.impact}): ${t.risk.reasons.join(', ')}` : ''}\n\nMitigation: ${t.mitigation}${accepted}`, [
        `Finding: ${t.id}`,
        `Rule: ${t.ruleId}`,
        `Key: ${t.key}`,
        `STRIDE: ${t.stride.join('')}`,
        `Element: ${t.element}`,
        ...(t.peer ? [`Peer: ${t.peer}`] : []),
        ...(t.chain ? t.chain.map((l) => `Hop: ${l.from} -[${l.kind}]-> ${l.to} at ${l.location.file}:${l.location.line}${l.opened ? ' (opened by this change)' : ''}`) : t.path ? [`Path: ${t.path.join(' -> ')}`] : []),
        ...(t.references.length > 0 ? [`References: ${t.references.join(', ')}`] : []),
      ]),
    );
  }
  for (const c of report.crossings) {
    if (c.status !== 'new' || c.location.file === '') continue;
    out.push(make(c.location.file, c.location.line, c.change === 'added' ? 'notice' : 'warning', crossingTitle(c, name), crossingMessage(c), [`Crossing: ${c.id}`, `From: ${c.from}`, `To: ${c.to}`]));
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) || a.start_line - b.start_line || LEVEL_ORDER[a.annotation_level] - LEVEL_ORDER[b.annotation_level] || (a.title < b.title ? -1 : a.title > b.title ? 1 : 0));
}

function crossingTitle(c: ReportCrossing, name: (id: string) => string): string {
  const what = c.change === 'lost-authentication' ? 'Trust-boundary crossing lost authentication' : c.change === 'lost-encryption' ? 'Trust-boundary crossing lost encryption' : 'New trust-boundary crossing';
  return `${what}: ${name(c.from)} -> ${name(c.to)}`;
}

function crossingMessage(c: ReportCrossing): string {
  const tri = (v: boolean | 'unknown') => (v === 'unknown' ? 'unknown' : v ? 'yes' : 'no');
  const proto = c.protocol ? `${c.protocol}${c.port !== undefined ? `:${c.port}` : ''}` : 'unknown protocol';
  return `${c.kind} from zone ${c.fromZone} to zone ${c.toZone} over ${proto}; authenticated: ${tri(c.authenticated)}, encrypted: ${tri(c.encrypted)}.\n${c.evidence}`;
}

function make(path: string, at: number, level: Annotation['annotation_level'], title: string, message: string, details: string[]): Annotation {
  return {
    path: clean(path),
    start_line: line(at),
    end_line: line(at),
    annotation_level: level,
    title: truncateChars(clean(title).replace(/\n/g, ' '), ANNOTATION_LIMITS.titleChars),
    message: truncateBytes(clean(message), ANNOTATION_LIMITS.messageBytes),
    raw_details: truncateBytes(clean(details.join('\n')), ANNOTATION_LIMITS.messageBytes),
  };
}

import type { Graph } from '../model/graph.js';
import type { Report } from '../model/report.js';
import type { Element } from '../model/types.js';
import { ZONES } from '../model/graph.js';

/** Why a PR calls for a full threat-model review (the review-depth label). */
export interface ReviewTrigger {
  kind: 'internet-exposure' | 'data-store' | 'auth-change' | 'third-party' | 'identity-write';
  /** Element the trigger is about. */
  element: string;
  /** Plain text (callers escape it). */
  detail: string;
}

export const TRIGGER_NAMES: Record<ReviewTrigger['kind'], string> = {
  'internet-exposure': 'new internet exposure',
  'data-store': 'new data store or queue',
  'auth-change': 'change to authentication or authorization',
  'third-party': 'new third-party host',
  'identity-write': 'new identity with write access',
};

/**
 * The seeds' review-depth triggers, from the report and both graphs. Pure and
 * deterministic (sorted), so the label and the summary agree run after run.
 */
export function reviewTriggers(report: Report, head: Graph, base: Graph | null): ReviewTrigger[] {
  const out: ReviewTrigger[] = [];
  const name = (id: string) => head.elements.get(id)?.name ?? id;
  const isNew = (id: string) => !base?.elements.has(id);
  const at = (el: Element) => (el.location.file ? ` (${el.location.file}:${el.location.line})` : '');

  for (const c of report.crossings) {
    if (c.status !== 'new') continue;
    if (c.change === 'added' && c.fromZone === ZONES.internet) out.push({ kind: 'internet-exposure', element: c.to, detail: `${name(c.to)} is reachable from the internet (${c.location.file}:${c.location.line})` });
    if (c.change === 'lost-authentication') out.push({ kind: 'auth-change', element: c.to, detail: `${name(c.from)} → ${name(c.to)} lost authentication (${c.location.file}:${c.location.line})` });
  }

  for (const el of head.elements.values()) {
    const before = base?.elements.get(el.id);
    if ((el.kind === 'datastore' || el.kind === 'queue') && isNew(el.id)) out.push({ kind: 'data-store', element: el.id, detail: `${el.kind} ${el.name}${at(el)}` });
    if (isNew(el.id) && (el.id.startsWith('external:') || head.zoneOf.get(el.id) === ZONES.thirdParty)) out.push({ kind: 'third-party', element: el.id, detail: `calls ${el.name}${at(el)}` });
    if (el.kind === 'operation' && before && stable(before.attrs.security) !== stable(el.attrs.security)) out.push({ kind: 'auth-change', element: el.id, detail: `security requirements of ${el.name} changed${at(el)}` });
    if (el.kind === 'capability' && (!before || stable(before.attrs) !== stable(el.attrs))) out.push({ kind: 'auth-change', element: el.id, detail: `${before ? 'changed' : 'new'} permissions ${el.name}${at(el)}` });
    if (el.kind === 'identity' && isNew(el.id) && hasWriteAccess(head, el.id)) out.push({ kind: 'identity-write', element: el.id, detail: `${el.name} can write${at(el)}` });
  }
  const seen = new Set<string>();
  return out
    .filter((t) => !seen.has(`${t.kind}\u0000${t.element}`) && seen.add(`${t.kind}\u0000${t.element}`))
    .sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.element < b.element ? -1 : a.element > b.element ? 1 : 0));
}

function stable(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : v)) ?? '';
}

const WRITE_VERB = /^(\*|create|update|patch|delete|deletecollection|escalate|bind|impersonate)$/i;
const WRITE_ACTION = /:(\*|put|write|delete|update|create|modify|attach|publish|send)/i;

/** Write-ish verbs or actions anywhere under `verbs`/`actions`/`Action` keys of an attribute bag. */
function grantsWrite(attrs: unknown, depth = 0): boolean {
  if (!attrs || typeof attrs !== 'object' || depth > 8) return false;
  for (const [key, value] of Object.entries(attrs as Record<string, unknown>)) {
    if (/^(verbs|actions|action)$/i.test(key)) {
      const list = Array.isArray(value) ? value : [value];
      if (list.some((v) => typeof v === 'string' && (WRITE_VERB.test(v) || WRITE_ACTION.test(v)))) return true;
    }
    if (typeof value === 'object' && grantsWrite(value, depth + 1)) return true;
  }
  return false;
}

/** An identity writes when it has a `writes` edge, or reaches write permissions through `grants`/`can-access`. */
function hasWriteAccess(graph: Graph, identity: string): boolean {
  const seen = new Set<string>([identity]);
  const queue = [identity];
  while (queue.length > 0) {
    const id = queue.shift()!;
    for (const e of graph.out.get(id) ?? []) {
      if (e.kind === 'writes' || (e.kind === 'can-access' && grantsWrite(e.attrs))) return true;
      if (e.kind !== 'grants' || seen.has(e.to)) continue;
      seen.add(e.to);
      if (grantsWrite(graph.elements.get(e.to)?.attrs)) return true;
      queue.push(e.to);
    }
  }
  return false;
}

import picomatch from 'picomatch';
import type { Element } from '../model/types.js';
import type { Sensitivity } from '../model/graph.js';


const CREDENTIALS = /(passw(or)?d|secret|token|credential|api[-_]?key|private[-_]?key|\bcert|tls|jwt|oauth)/i;
const PAYMENT = /(payment|card|billing|stripe|checkout|invoice|ledger|transaction|balance|bank|wallet)/i;
const PII = /(user|customer|account|profile|contact|email|phone|ssn|patient|address|person|member|identity)/i;

/** Data sensitivity of an element: config first, then what its kind, name and schema say. */
export function sensitivityOf(el: Element, overrides: Record<string, Sensitivity>): Sensitivity {
  for (const [glob, value] of Object.entries(overrides)) if (picomatch.isMatch(el.id, glob, { dot: true })) return value;
  if (el.kind === 'secret') return 'credentials';
  const text = `${el.name} ${el.id} ${responseFieldNames(el).join(' ')}`;
  if (el.kind === 'datastore' || el.kind === 'queue' || el.kind === 'operation' || el.kind === 'api') {
    if (CREDENTIALS.test(text)) return 'credentials';
    if (PAYMENT.test(text)) return 'payment';
    if (PII.test(text)) return 'pii';
    return 'internal';
  }
  return 'internal';
}

function responseFieldNames(el: Element): string[] {
  const responses = el.attrs.responses;
  if (!responses || typeof responses !== 'object') return [];
  const names: string[] = [];
  for (const r of Object.values(responses as Record<string, unknown>)) {
    const props = (r as { properties?: { name?: string }[] } | null)?.properties;
    if (Array.isArray(props)) for (const p of props) if (p && typeof p.name === 'string') names.push(p.name);
  }
  return names;
}

export function isSensitive(s: Sensitivity): boolean {
  return s === 'pii' || s === 'payment' || s === 'credentials';
}

import type { Rule, RuleHit } from '../../src/model/graph.js';
import type { PropertySummary } from '../../src/ingest/openapi/schema.js';
import { at, inputFields, label, operations, short } from './helpers.js';

/** Formats that bound a string by themselves. */
// (`binary` is a file upload: bounded by the request size limit, not by maxLength.)
const BOUNDED_FORMATS = new Set(['date', 'date-time', 'time', 'uuid', 'ipv4', 'ipv6', 'int32', 'int64', 'duration', 'binary']);

/** An anchored pattern without open-ended repetition (`^[A-Z]{2}$`) bounds the length too. */
function boundedPattern(pattern: string | undefined): boolean {
  if (!pattern || !pattern.startsWith('^') || !pattern.endsWith('$')) return false;
  return !/[*+]|\{\d+,\}/.test(pattern.replace(/\\./g, ''));
}

function unbounded(p: PropertySummary): boolean {
  if (p.enumCount !== undefined) return false;
  if (p.type === 'string') return p.maxLength === undefined && !BOUNDED_FORMATS.has(p.format ?? '') && !boundedPattern(p.pattern);
  if (p.type === 'array') return p.maxItems === undefined;
  return false;
}

export const rule: Rule = {
  meta: {
    id: 'openapi-unbounded-input',
    title: 'Request body strings or arrays without a size limit',
    stride: ['D'],
    severity: 'low',
    rationale:
      'Strings without `maxLength` and arrays without `maxItems` let one request carry megabytes of data or millions of items: memory, CPU (parsing, validation, regexes) and storage costs are then set by the attacker, and validation layers generated from the spec cannot reject oversized input.',
    mitigation:
      'Give every request string a `maxLength` (or an enum, a bounded format or an anchored pattern) and every array a `maxItems`, enforce them in the gateway or request validator, and cap the request body size.',
    references: ['CWE-770', 'CWE-400', 'OWASP-API4:2023'],
    inputs: ['openapi', 'graph'],
    detection:
      'Request body fields that are not readOnly: strings with no maxLength, enum, bounded format (date, date-time, uuid, ipv4/6..., and binary file uploads) or anchored pattern without open-ended repetition; arrays with no maxItems. One finding per operation (the count and the first fields), not per field. Medium when the operation is reachable from the internet, low otherwise.',
    falsePositives: 'Limits enforced elsewhere (gateway body-size limits, framework defaults) that the spec does not state.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const op of operations(ctx)) {
      const fields = inputFields(op).filter(unbounded);
      if (fields.length === 0) continue;
      const strings = fields.filter((f) => f.type === 'string').length;
      const arrays = fields.length - strings;
      const what = [strings ? `${strings} string${strings > 1 ? 's' : ''} without maxLength` : '', arrays ? `${arrays} array${arrays > 1 ? 's' : ''} without maxItems` : ''].filter(Boolean).join(' and ');
      const reachable = ctx.internetReachable.has(op.el.id);
      hits.push({
        element: op.el.id,
        location: at(op.el, 'requestBody'),
        evidence: `${label(op)} request body has ${what}: ${short(fields.map((f) => f.name))}`,
        ...(reachable ? { severity: 'medium' as const } : {}),
      });
    }
    return hits;
  },
};

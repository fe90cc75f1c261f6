import type { Rule, RuleHit } from '../../src/model/graph.js';
import { apis, at, isError, label, leaf, operationsOf, short, type Operation } from './helpers.js';

/** Error fields that carry internals (normalised leaf names). */
const DEBUG_FIELD = /^(stack|stacktrace|trace|traceback|backtrace|exception|exceptions|exceptiontype|exceptionclass|exceptionmessage|innerexception|debug|debuginfo|debugmessage|developermessage|sql|sqlstate|sqlquery)$/;

export const rule: Rule = {
  meta: {
    id: 'openapi-verbose-errors',
    title: 'Error responses expose stack traces or internals',
    stride: ['I'],
    severity: 'medium',
    rationale:
      'Error bodies with stack traces, exception classes, SQL or source file names tell an attacker which frameworks and versions run, how queries are built and where the code is, and often echo data from other requests; they turn failed attacks into reconnaissance.',
    mitigation:
      'Return a stable error shape (RFC 9457 problem details: type, title, status, detail, and a correlation id), log the internals server-side under that id, and never serialise exceptions into responses outside development.',
    references: ['CWE-209', 'CWE-200', 'OWASP-API8:2023', 'CAPEC-54'],
    inputs: ['openapi'],
    detection:
      'Fields of 4xx, 5xx and default responses whose last name segment, normalised, is stack, stackTrace, trace, traceback, exception(Type/Class/Message), innerException, debug(Info/Message), developerMessage, sql, sqlState, sqlQuery. One finding per API (error schemas are shared; the fix is one change), at the first operation found, listing the operations.',
    falsePositives: 'Fields with these names that hold something else (a `trace` field holding a trace id).',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const api of apis(ctx)) {
      const fields = new Set<string>();
      const where: string[] = [];
      let first: { op: Operation; status: string } | undefined;
      for (const op of operationsOf(ctx, api)) {
        let opHit = false;
        for (const response of op.responses) {
          if (!isError(response.status)) continue;
          for (const prop of response.properties) {
            if (!DEBUG_FIELD.test(leaf(prop.name))) continue;
            fields.add(prop.name);
            opHit = true;
            first ??= { op, status: response.status };
          }
        }
        if (opHit) where.push(`${op.method} ${op.path}`);
      }
      if (!first) continue;
      hits.push({
        element: api.id,
        location: at(first.op.el, `responses.${first.status}`),
        evidence: `error responses of ${short(where, 3)} include ${short([...fields])} (first: ${label(first.op)}, response ${first.status})`,
      });
    }
    return hits;
  },
};

import type { Rule, RuleHit } from '../../src/model/graph.js';
import { apis, at, label, operationsOf, type Operation } from './helpers.js';

const CORRELATION = /^(x-)?(request|correlation|trace|transaction|amzn-trace|b3-trace|cloud-trace)-?id$|^traceparent$|^x-b3-traceid$|^x-cloud-trace-context$|^x-amzn-trace-id$/i;

function correlationHeader(op: Operation): string | undefined {
  const param = op.parameters.find((p) => p.in === 'header' && CORRELATION.test(p.name));
  if (param) return param.name;
  for (const r of op.responses) {
    const h = r.headers.find((name) => CORRELATION.test(name));
    if (h) return h;
  }
  return undefined;
}

export const rule: Rule = {
  meta: {
    id: 'openapi-no-correlation-id',
    title: 'Operation lacks the correlation id the rest of its API uses',
    stride: ['R'],
    severity: 'low',
    rationale:
      'A request or correlation id ties a call to its logs across gateway and services; when most operations of an API carry one and some do not, the calls to those operations cannot be traced end to end, which weakens incident investigation and non-repudiation exactly where the convention was forgotten.',
    mitigation:
      'Accept and return the same correlation header (e.g. `X-Request-Id` or W3C `traceparent`) on every operation, generate it at the edge when absent, and log it with every security-relevant event.',
    references: ['CWE-778', 'CWE-223', 'OWASP-API8:2023'],
    inputs: ['openapi'],
    detection:
      'Within one API, when at least one operation declares a correlation header (request header parameter or response header named X-Request-Id, X-Correlation-Id, Request-Id, X-Trace-Id, traceparent, X-Amzn-Trace-Id, X-B3-TraceId...), every other operation (OPTIONS excepted) that declares none.',
    falsePositives: 'Correlation handled entirely by the gateway or the tracing framework and documented on some operations only.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const api of apis(ctx)) {
      const ops = operationsOf(ctx, api).filter((op) => op.method !== 'OPTIONS');
      const withHeader = ops.map((op) => [op, correlationHeader(op)] as const).filter(([, h]) => h !== undefined);
      if (withHeader.length === 0) continue;
      const [example, header] = withHeader[0]!;
      for (const op of ops) {
        if (correlationHeader(op) !== undefined) continue;
        hits.push({
          element: op.el.id,
          location: at(op.el),
          evidence: `${label(op)} declares no correlation header, while ${withHeader.length} other operation${withHeader.length > 1 ? 's' : ''} of the API use ${header} (e.g. ${example.method} ${example.path})`,
        });
      }
    }
    return hits;
  },
};

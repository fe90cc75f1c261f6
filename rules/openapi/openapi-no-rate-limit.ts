import type { Rule, RuleHit } from '../../src/model/graph.js';
import { at, isAuthFlow, label, operations, WRITE_METHODS } from './helpers.js';

const RATE_HEADER = /^(x-)?rate-?limit(-.*)?$|^retry-after$|^x-ratelimit/i;
const RATE_EXTENSION = /rate-?limit|throttl|quota|usage-?plan|x-amazon-apigateway-(throttle|usage|api-key-source)/i;

export const rule: Rule = {
  meta: {
    id: 'openapi-no-rate-limit',
    title: 'Internet-facing operation declares no rate limiting',
    stride: ['D'],
    severity: 'low',
    rationale:
      'Without rate limits an internet client can call an operation as fast as it likes: brute-forcing passwords and one-time codes, scraping data, running up costs or exhausting the service. A spec that never mentions 429 responses or rate-limit headers usually means nobody designed the limit.',
    mitigation:
      'Enforce per-client limits in the gateway or service, document them with `429 Too Many Requests` responses and `RateLimit`/`Retry-After` headers (or a gateway throttling extension), and apply strict limits to login, OTP and password-reset operations.',
    references: ['CWE-770', 'CWE-307', 'OWASP-API4:2023', 'OWASP-API6:2023', 'CAPEC-49'],
    inputs: ['openapi', 'graph'],
    detection:
      'Operations reachable from the internet (public server URL, or a public gateway/Service in front of the implementing service) with no 429 response, no rate-limit response header (RateLimit-*, X-RateLimit-*, Retry-After) and no rate-limit/throttling extension on the operation or the document (x-*rate-limit*, x-*throttl*, x-amazon-apigateway throttling/usage plans, `x-threatdiff-rate-limited`). Medium for authentication flows (login, OTP, password reset: brute-force targets) and writes, low otherwise.',
    falsePositives: 'Limits enforced by a gateway or WAF that the spec does not describe.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const op of operations(ctx)) {
      if (!ctx.internetReachable.has(op.el.id) || op.method === 'OPTIONS' || op.method === 'HEAD') continue;
      if (op.responses.some((r) => r.status === '429' || r.headers.some((h) => RATE_HEADER.test(h)))) continue;
      if (op.extensionKeys.some((k) => RATE_EXTENSION.test(k))) continue;
      const apiKeys = (op.api?.attrs.extensionKeys as string[] | undefined) ?? [];
      if (apiKeys.some((k) => RATE_EXTENSION.test(k))) continue;
      const auth = isAuthFlow(op.path);
      const raised = auth || WRITE_METHODS.has(op.method);
      hits.push({
        element: op.el.id,
        location: at(op.el, 'responses'),
        evidence: `${label(op)} is reachable from the internet and declares no 429 response, rate-limit header or throttling extension${auth ? '; it is an authentication flow, a brute-force target' : ''}`,
        ...(raised ? { severity: 'medium' as const } : {}),
      });
    }
    return hits;
  },
};

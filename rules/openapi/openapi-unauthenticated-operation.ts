import type { Rule, RuleHit } from '../../src/model/graph.js';
import { at, declaredPublic, isAuthFlow, isOperational, label, operations } from './helpers.js';

export const rule: Rule = {
  meta: {
    id: 'openapi-unauthenticated-operation',
    title: 'API operation requires no authentication',
    stride: ['S'],
    severity: 'high',
    rationale:
      'An operation with no security requirement (or with an empty `{}` alternative) can be called by anyone who can reach the API: callers cannot be told apart, and every request is anonymous, so any data or action behind it is open to impersonation and abuse.',
    mitigation:
      'Add a `security` requirement (document-level, or on the operation) naming a declared scheme such as OAuth2/OIDC or a bearer token, and enforce it in the gateway or service. If the operation is public on purpose, say so with `x-threatdiff-public: true` on it.',
    references: ['CWE-306', 'OWASP-API2:2023', 'OWASP-API5:2023', 'CAPEC-115'],
    inputs: ['openapi', 'graph'],
    detection:
      'Operations whose effective security (operation-level `security` overrides the document-level one) is empty or contains an empty alternative. High when the operation is reachable from the internet (public server URL or a public gateway/Service in front of the implementing service), medium otherwise. Skipped: OPTIONS/HEAD, operational endpoints (`/health`, `/healthz`, `/ready`, `/ping`, `/status`, `/version`, API docs), authentication flows (`/login`, `/signup`, `/register`, `/token`, `/oauth`, `/auth/...`, password reset, OTP checks, `/.well-known/...`) and operations marked `x-threatdiff-public: true`.',
    falsePositives:
      'Specs that document authentication outside OpenAPI (a gateway that authenticates every route, prose in descriptions) and public catalogue endpoints not marked `x-threatdiff-public`.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const op of operations(ctx)) {
      if (!op.allowsAnonymous || op.method === 'OPTIONS' || op.method === 'HEAD') continue;
      if (declaredPublic(op) || isOperational(op.path) || isAuthFlow(op.path)) continue;
      const source = op.el.attrs.securitySource;
      const why =
        op.security.length > 0
          ? 'allows anonymous access (an empty `{}` security alternative)'
          : source === 'operation'
            ? 'sets `security: []`, overriding any document-level requirement'
            : 'has no security requirement (none on the operation or the document)';
      const reachable = ctx.internetReachable.has(op.el.id);
      hits.push({
        element: op.el.id,
        location: at(op.el, 'security'),
        evidence: `${label(op)} ${why}${reachable ? '; it is reachable from the internet' : ''}`,
        severity: reachable ? 'high' : 'medium',
      });
    }
    return hits;
  },
};

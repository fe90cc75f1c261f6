import type { Rule, RuleHit } from '../../src/model/graph.js';
import { apis, at, operationsUsingScheme, schemesOf, serversOf, short } from './helpers.js';

export const rule: Rule = {
  meta: {
    id: 'openapi-basic-auth',
    title: 'HTTP Basic authentication',
    stride: ['S', 'I'],
    severity: 'medium',
    rationale:
      'Basic authentication sends the user\'s long-lived password (base64, not encrypted) with every request: any TLS gap, log or proxy that records headers exposes it, there is no expiry or scope, and it invites brute force and credential stuffing because no token exchange slows attackers down.',
    mitigation:
      'Use OAuth2/OIDC or short-lived bearer tokens (or mutual TLS between services); if Basic must stay, serve it only over HTTPS, rate-limit failures and use per-client generated credentials rather than user passwords.',
    references: ['CWE-522', 'CWE-319', 'OWASP-API2:2023', 'CAPEC-49'],
    inputs: ['openapi'],
    detection: 'Security schemes of type http with scheme basic (Swagger 2 `type: basic`). High when the API also lists a public plain-HTTP server, where the password crosses the internet in clear; low when no operation requires the scheme.',
    falsePositives: 'Basic authentication of machine clients with generated secrets over TLS-only endpoints.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const api of apis(ctx)) {
      const plainPublic = serversOf(api).some((s) => s.public && s.scheme === 'http');
      for (const [name, scheme] of Object.entries(schemesOf(api))) {
        if (scheme.type !== 'http' || scheme.httpScheme !== 'basic') continue;
        const users = operationsUsingScheme(ctx, api, name);
        hits.push({
          element: api.id,
          qualifier: name,
          location: at(api, `securitySchemes.${name}`),
          evidence: `security scheme ${name} is HTTP Basic${users.length ? `, required by ${short(users, 3)}` : ' (not required by any operation)'}${plainPublic ? '; the API also lists a public plain-HTTP server' : ''}`,
          ...(users.length === 0 ? { severity: 'low' as const } : plainPublic ? { severity: 'high' as const } : {}),
        });
      }
    }
    return hits;
  },
};

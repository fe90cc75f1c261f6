import type { Rule, RuleHit } from '../../src/model/graph.js';
import { apis, at, schemesOf } from './helpers.js';

const DEPRECATED = new Map([
  ['implicit', 'implicit flow (tokens returned in the redirect URL)'],
  ['password', "resource-owner password flow (the client handles the user's password)"],
]);

export const rule: Rule = {
  meta: {
    id: 'openapi-oauth-implicit-flow',
    title: 'OAuth2 implicit or password flow',
    stride: ['S'],
    severity: 'medium',
    rationale:
      'The implicit flow returns access tokens in the redirect URL fragment, where browser history, referrers and injected scripts can take them, with no sender binding or refresh; the password grant hands user passwords to the client. OAuth 2.0 Security Best Current Practice (RFC 9700) says not to use either.',
    mitigation: 'Use the authorization code flow with PKCE for browser and mobile clients, and client credentials for machine clients; remove implicit/password flows from the authorization server.',
    references: ['CWE-522', 'CWE-598', 'OWASP-API2:2023', 'https://www.rfc-editor.org/rfc/rfc9700'],
    inputs: ['openapi'],
    detection: 'oauth2 security schemes declaring the implicit flow (Swagger 2 `flow: implicit`) or the password flow; one finding per scheme and flow.',
    falsePositives: 'Legacy flows kept in the spec but disabled on the authorization server.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const api of apis(ctx)) {
      for (const [name, scheme] of Object.entries(schemesOf(api))) {
        if (scheme.type !== 'oauth2') continue;
        for (const flow of scheme.flows ?? []) {
          const why = DEPRECATED.get(flow);
          if (!why) continue;
          hits.push({
            element: api.id,
            qualifier: `${name}:${flow}`,
            location: at(api, `securitySchemes.${name}`),
            evidence: `OAuth2 scheme ${name} offers the ${why}`,
          });
        }
      }
    }
    return hits;
  },
};

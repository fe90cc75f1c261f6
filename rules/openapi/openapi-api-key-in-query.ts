import type { Rule, RuleHit } from '../../src/model/graph.js';
import { apis, at, operationsUsingScheme, schemesOf, short } from './helpers.js';

export const rule: Rule = {
  meta: {
    id: 'openapi-api-key-in-query',
    title: 'API key passed in the query string',
    stride: ['I'],
    severity: 'medium',
    rationale:
      'Credentials in URLs are written to access logs, proxy and CDN logs, browser history and `Referer` headers, and are shared whenever a URL is copied: the key leaks to everyone who handles those, long after the request.',
    mitigation:
      'Accept the key in a header (`in: header`, e.g. `X-API-Key` or `Authorization`) instead, rotate keys that were sent in URLs, and strip query credentials from logs.',
    references: ['CWE-598', 'CWE-532', 'OWASP-API2:2023'],
    inputs: ['openapi'],
    detection: 'Security schemes of type apiKey with `in: query`; the evidence says which operations require it (declared-but-unused schemes are still reported, at low).',
    falsePositives: 'Keys that are public identifiers rather than secrets (a browser map key restricted by referrer).',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const api of apis(ctx)) {
      for (const [name, scheme] of Object.entries(schemesOf(api))) {
        if (scheme.type !== 'apiKey' || scheme.in !== 'query') continue;
        const users = operationsUsingScheme(ctx, api, name);
        hits.push({
          element: api.id,
          qualifier: name,
          location: at(api, `securitySchemes.${name}`),
          evidence: `security scheme ${name} sends the API key as query parameter "${scheme.name ?? '?'}"${users.length ? `; required by ${short(users, 3)}` : ' (not required by any operation)'}`,
          ...(users.length === 0 ? { severity: 'low' as const } : {}),
        });
      }
    }
    return hits;
  },
};

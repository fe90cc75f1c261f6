import type { Rule, RuleHit } from '../../src/model/graph.js';
import { at, inputFields, label, leaf, operations, short } from './helpers.js';

/** Names of fields that carry a URL the server may fetch (normalised leaf names). */
const URL_NAME = /(url|uri|href|link|webhook|webhooks|callback|callbacks|endpoint|redirect|redirectto|returnto|api)$/;
const URL_FORMATS = new Set(['uri', 'url', 'uri-reference', 'iri', 'iri-reference', 'uri-template']);

/** A URL format, or a string whose name says URL. */
function urlLike(name: string, type: string | undefined, format: string | undefined): boolean {
  if (URL_FORMATS.has(format ?? '')) return true;
  return type === 'string' && URL_NAME.test(leaf(name));
}

export const rule: Rule = {
  meta: {
    id: 'openapi-ssrf-url-field',
    title: 'Operation takes a URL from the caller (SSRF candidate)',
    stride: ['S', 'T'],
    severity: 'medium',
    rationale:
      'Fields like `callbackUrl`, `webhook`, `imageUrl` or `redirect` are URLs the server will fetch or send to. Without strict validation a caller makes the server request internal addresses (cloud metadata at 169.254.169.254, admin ports, other services), bypassing network boundaries with the server\'s identity, or turns it into an open redirect.',
    mitigation:
      'Allow-list schemes, hosts and ports for outbound requests, resolve and reject private/link-local addresses (after redirects), send fetches through an egress proxy, and avoid returning fetched content; prefer ids of pre-registered destinations over raw URLs.',
    references: ['CWE-918', 'CWE-601', 'OWASP-API7:2023', 'CAPEC-664'],
    inputs: ['openapi', 'graph'],
    detection:
      'Request body fields (not readOnly) and query parameters that are strings of format uri/url/iri or whose last name segment ends in url, uri, href, link, webhook, callback, endpoint, redirect, returnTo or api. One finding per operation; high when the operation is reachable from the internet, medium otherwise.',
    falsePositives: 'URLs that are only stored and shown (a profile website) and never fetched or redirected to by the server.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const op of operations(ctx)) {
      const bodyFields = inputFields(op)
        .filter((p) => urlLike(p.name, p.type, p.format))
        .map((p) => p.name);
      const queryParams = op.parameters.filter((p) => p.in === 'query' && urlLike(p.name, p.type, p.format)).map((p) => `?${p.name}`);
      const fields = [...bodyFields, ...queryParams];
      if (fields.length === 0) continue;
      const reachable = ctx.internetReachable.has(op.el.id);
      hits.push({
        element: op.el.id,
        location: at(op.el, bodyFields.length ? 'requestBody' : `parameters.${queryParams[0]!.slice(1)}`),
        evidence: `${label(op)} takes URL-like input ${short(fields)}${reachable ? ' and is reachable from the internet' : ''}`,
        severity: reachable ? 'high' : 'medium',
      });
    }
    return hits;
  },
};

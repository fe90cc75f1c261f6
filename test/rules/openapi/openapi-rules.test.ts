import { join } from 'node:path';
import { openapiRules } from '../../../rules/openapi/index.js';
import { ruleContext } from '../../../src/analysis/rules.js';
import type { Graph, Rule, RuleHit } from '../../../src/model/graph.js';
import { analyzeFiles, FIXTURES, readTree } from '../../helpers/analyze.js';

/** Runs one rule's `check` on the graph the real pipeline builds (hits before any engine severity adjustment). */
async function hitsOf(ruleId: string, files: Record<string, string>): Promise<RuleHit[]> {
  const rule = openapiRules.find((r) => r.meta.id === ruleId) as Rule;
  const analysis = await analyzeFiles(files, { rules: [] });
  const graph = analysis.graph as Graph;
  return rule.check(ruleContext(graph));
}

const API = 'openapi:OWASP crAPI API';

describe('on OWASP crAPI (an intentionally vulnerable API)', () => {
  let crapi: Record<string, string>;
  beforeAll(() => {
    crapi = readTree(join(FIXTURES, 'openapi/crapi'));
  });

  test('finds its documented BOLA targets', async () => {
    const hits = await hitsOf('openapi-bola-id-parameter', crapi);
    const location = hits.find((h) => h.element === `${API}#GET /identity/api/v2/vehicle/{vehicleId}/location`);
    expect(location).toEqual({
      element: `${API}#GET /identity/api/v2/vehicle/{vehicleId}/location`,
      location: { file: 'crapi-openapi-spec.json', line: 1121 },
      evidence:
        'GET /identity/api/v2/vehicle/{vehicleId}/location (OWASP crAPI API) takes object id {vehicleId} and requires authentication but no scopes: nothing shows that the caller may access that object',
      severity: 'medium',
    });
    expect(hits.map((h) => h.element)).toContain(`${API}#GET /workshop/api/mechanic/mechanic_report`);
    expect(hits.map((h) => h.element)).toContain(`${API}#GET /identity/api/v2/user/videos/convert_video`);
    expect(hits).toHaveLength(12);
  });

  test('finds the SSRF in contact_mechanic', async () => {
    const hits = await hitsOf('openapi-ssrf-url-field', crapi);
    expect(hits.find((h) => h.element === `${API}#POST /workshop/api/merchant/contact_mechanic`)).toMatchObject({
      evidence: 'POST /workshop/api/merchant/contact_mechanic (OWASP crAPI API) takes URL-like input mechanic_api',
      severity: 'medium', // crAPI's only server is localhost: not internet-facing by itself
    });
  });

  test('unauthenticated: the anonymous report endpoint, not the login/signup flows', async () => {
    const hits = await hitsOf('openapi-unauthenticated-operation', crapi);
    expect(hits.map((h) => [h.element, h.location.line, h.severity])).toEqual([
      [`${API}#GET /workshop/api/shop/return_qr_code`, 2173, 'medium'],
      [`${API}#GET /workshop/api/mechanic/receive_report`, 2509, 'medium'],
    ]);
  });

  test('finding counts per rule (regression guard against noise)', async () => {
    const analysis = await analyzeFiles(crapi, { rules: openapiRules });
    const counts: Record<string, number> = {};
    for (const t of analysis.threats) counts[t.ruleId] = (counts[t.ruleId] ?? 0) + 1;
    expect(counts).toEqual({
      'openapi-bola-id-parameter': 12,
      'openapi-mass-assignment': 1,
      'openapi-missing-pagination': 3,
      'openapi-sensitive-response-fields': 17,
      'openapi-ssrf-url-field': 3,
      'openapi-unauthenticated-operation': 2,
      'openapi-unbounded-input': 16,
    });
  });
});

describe('severity follows internet reachability', () => {
  const spec = (server: string) => `openapi: 3.0.3
info: {title: Shop, version: "1"}
servers: [{url: "${server}"}]
paths:
  /carts:
    post:
      requestBody: {content: {application/json: {schema: {type: object, properties: {returnUrl: {type: string}}}}}}
      responses: {"201": {description: ok}}
`;
  test.each([
    ['https://shop.acme-shop.io', 'high'],
    ['http://shop.shop.svc.cluster.local', 'medium'],
  ])('%s → %s', async (server, severity) => {
    for (const id of ['openapi-unauthenticated-operation', 'openapi-ssrf-url-field']) {
      const hits = await hitsOf(id, { 'shop/openapi.yaml': spec(server) });
      expect([id, hits.map((h) => h.severity)]).toEqual([id, [severity]]);
    }
  });

  test('no-rate-limit only reports internet-facing operations, authentication flows at medium', async () => {
    const hits = await hitsOf('openapi-no-rate-limit', {
      'a.yaml': 'openapi: 3.0.3\ninfo: {title: A, version: "1"}\nservers: [{url: "https://a.acme-shop.io"}]\npaths:\n  /login: {post: {responses: {"200": {description: ok}}}}\n  /items: {get: {responses: {"200": {description: ok}}}}\n',
      'b.yaml': 'openapi: 3.0.3\ninfo: {title: B, version: "1"}\npaths:\n  /items: {get: {responses: {"200": {description: ok}}}}\n',
    });
    expect(hits.map((h) => [h.element, h.severity])).toEqual([
      ['openapi:A#POST /login', 'medium'],
      ['openapi:A#GET /items', undefined],
    ]);
  });
});

describe('inconsistent security across API versions in separate documents', () => {
  test('v1 document drops the authentication v2 requires', async () => {
    const doc = (version: string, security: string) => `openapi: 3.0.3
info: {title: "Orders API ${version}", version: "${version}"}
paths:
  /${version}/orders/{id}:
    get:
      security: ${security}
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
components: {securitySchemes: {oauth: {type: oauth2, flows: {clientCredentials: {tokenUrl: "https://a.acme-shop.io/t", scopes: {"orders:read": r}}}}}}
`;
    const hits = await hitsOf('openapi-inconsistent-security', { 'v1/openapi.yaml': doc('v1', '[]'), 'v2/openapi.yaml': doc('v2', '[{oauth: ["orders:read"]}]') });
    expect(hits).toEqual([
      {
        element: 'openapi:Orders API v1#GET /v1/orders/{id}',
        peer: 'openapi:Orders API v2#GET /v2/orders/{id}',
        location: { file: 'v1/openapi.yaml', line: 6 },
        evidence: 'GET /v1/orders/{id} (Orders API v1) requires no authentication, but another version of the same operation, GET /v2/orders/{id} (Orders API v2), requires oauth[orders:read]',
      },
    ]);
  });
});

describe('per-API rules point at the scheme or server line', () => {
  test('basic auth over a public plain-HTTP server is high', async () => {
    const hits = await hitsOf('openapi-basic-auth', {
      'swagger.yaml': 'swagger: "2.0"\ninfo: {title: Legacy, version: "1"}\nhost: legacy.acme-shop.io\nschemes: [http]\nsecurityDefinitions:\n  basicAuth: {type: basic}\nsecurity: [{basicAuth: []}]\npaths:\n  /x: {get: {responses: {"200": {description: ok}}}}\n',
    });
    expect(hits).toEqual([
      {
        element: 'openapi:Legacy',
        qualifier: 'basicAuth',
        location: { file: 'swagger.yaml', line: 6 },
        evidence: 'security scheme basicAuth is HTTP Basic, required by GET /x; the API also lists a public plain-HTTP server',
        severity: 'high',
      },
    ]);
  });
});

import { join } from 'node:path';
import { analyzeFiles, FIXTURES, readTree } from '../helpers/analyze.js';

/**
 * OWASP crAPI, an intentionally vulnerable API: its Kubernetes manifests
 * (test/fixtures/k8s/crapi, a subset of deploy/k8s/base) and its OpenAPI spec
 * (test/fixtures/openapi/crapi), analysed together as one repository, with
 * the `apis:` mapping a user would write because the spec's only server is
 * http://localhost:8888. Asserts that the known vulnerabilities a reviewer
 * looks for are found by the expected rules (docs/corpus-results.md).
 */
const files: Record<string, string> = {
  ...Object.fromEntries(Object.entries(readTree(join(FIXTURES, 'k8s', 'crapi'))).map(([p, c]) => [`deploy/k8s/base/${p}`, c])),
  'openapi-spec/crapi-openapi-spec.json': readTree(join(FIXTURES, 'openapi', 'crapi'))['crapi-openapi-spec.json']!,
};
const API = 'openapi:OWASP crAPI API';
const op = (o: string) => `${API}#${o}`;

describe('crAPI (deploy/k8s/base + openapi-spec, apis: mapped to crapi-web)', () => {
  let analysis: Awaited<ReturnType<typeof analyzeFiles>>;
  const hits = (ruleId: string) => analysis.threats.filter((t) => t.ruleId === ruleId).map((t) => t.element);
  beforeAll(async () => {
    analysis = await analyzeFiles(files, { config: { apis: { 'openapi-spec/crapi-openapi-spec.json': 'crapi-web' } } });
  });

  test('the spec is served by crapi-web, which the internet reaches through its LoadBalancer Service', () => {
    const { graph } = analysis;
    expect(graph.edges.filter((e) => e.kind === 'serves' && e.to === API).map((e) => e.from)).toEqual(['k8s:Deployment/default/crapi-web']);
    expect(graph.edges.filter((e) => e.from === 'actor:internet').map((e) => e.to).sort()).toEqual(['k8s:Service/crapi/mailhog-web', 'k8s:Service/default/crapi-web']);
    expect([...graph.elements.values()].filter((e) => e.kind === 'operation').length).toBe(44);
  });

  test('BOLA: the vehicle-location and mechanic-report challenges are flagged', () => {
    expect(hits('openapi-bola-id-parameter')).toEqual(
      expect.arrayContaining([op('GET /identity/api/v2/vehicle/{vehicleId}/location'), op('GET /workshop/api/mechanic/mechanic_report'), op('DELETE /identity/api/v2/admin/videos/{video_id}')]),
    );
    // An operation that takes no object id is not a BOLA candidate.
    expect(hits('openapi-bola-id-parameter')).not.toContain(op('GET /workshop/api/shop/orders/all'));
  });

  test('excessive data exposure: recent community posts return other users’ e-mail addresses', () => {
    expect(hits('openapi-sensitive-response-fields')).toEqual(expect.arrayContaining([op('GET /community/api/v2/community/posts/recent'), op('GET /workshop/api/mechanic/mechanic_report')]));
  });

  test('SSRF: contact_mechanic takes the URL the workshop service calls', () => {
    expect(hits('openapi-ssrf-url-field')).toContain(op('POST /workshop/api/merchant/contact_mechanic'));
  });

  test('unauthenticated: receive_report has security: [], sign-up and login are not reported', () => {
    const unauth = hits('openapi-unauthenticated-operation');
    expect(unauth).toContain(op('GET /workshop/api/mechanic/receive_report'));
    expect(unauth).not.toContain(op('POST /identity/api/auth/login'));
    expect(unauth).not.toContain(op('POST /identity/api/auth/signup'));
  });

  test('no rate limit on the OTP check the brute-force challenge uses (internet-facing through the mapping)', () => {
    expect(hits('openapi-no-rate-limit')).toEqual(expect.arrayContaining([op('POST /identity/api/auth/v2/check-otp'), op('POST /identity/api/auth/login')]));
  });

  test('manifests: the JWT signing secret and database passwords sit in ConfigMaps, the mail UI is open to the internet', () => {
    expect(analysis.threats.filter((t) => t.ruleId === 'k8s-literal-credential-env').map((t) => t.key.split('@').slice(1).join('@'))).toEqual(
      expect.arrayContaining(['k8s:ConfigMap/default/crapi-identity-configmap@@JWT_SECRET', 'k8s:ConfigMap/default/postgres-config@@POSTGRES_PASSWORD', 'k8s:ConfigMap/default/mailhog-configmap@@MH_MONGO_URI']),
    );
    expect(analysis.threats.filter((t) => t.ruleId === 'graph-unauthenticated-crossing').map((t) => t.element)).toContain('k8s:Service/crapi/mailhog-web');
  });
});

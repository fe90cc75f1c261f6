import type { Rule, RuleHit } from '../../src/model/graph.js';
import type { Element } from '../../src/model/types.js';
import { asBool, asString, isExpr, show } from '../../src/ingest/terraform/index.js';
import { at, resources, subjectsOf, valuesOf } from './tf-helpers.js';

export const rule: Rule = {
  meta: {
    id: 'tf-aws-apigw-no-authorization',
    title: 'API Gateway route without authorization',
    stride: ['S'],
    severity: 'high',
    rationale:
      'A method or route with authorization "NONE" accepts any caller: unless the backend authenticates every request itself, anyone on the internet can invoke it, impersonate users and reach the integration (often a Lambda function with data access).',
    mitigation: 'Attach an authorizer (Cognito user pool, JWT, Lambda authorizer) or AWS_IAM authorization; for public endpoints, require an API key with a usage plan and keep the backend read-only.',
    references: ['CWE-306', 'CAPEC-115', 'OWASP-API2:2023', 'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-to-api.html'],
    inputs: ['terraform'],
    detection:
      'aws_api_gateway_method with authorization = "NONE" and no api_key_required, and aws_apigatewayv2_route with authorization_type NONE or unset; OPTIONS (CORS preflight) and WebSocket $disconnect routes are skipped. Routes of a PRIVATE REST API are reported at medium; an expression lowers the severity to medium.',
    falsePositives: 'Deliberately public endpoints (health checks, public catalogues) and backends that authenticate requests themselves.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    const privateApi = (e: Element): boolean => subjectsOf(ctx.graph, e, 'rest_api_id', ['aws_api_gateway_rest_api']).some((api) => api.zoneHint === 'vpc-private');
    for (const m of resources(ctx.graph, 'aws_api_gateway_method')) {
      const v = valuesOf(m);
      if (asString(v.http_method)?.toUpperCase() === 'OPTIONS' || asBool(v.api_key_required) === true) continue;
      const auth = asString(v.authorization);
      if (auth !== undefined && auth.toUpperCase() !== 'NONE') continue;
      const unknown = auth === undefined && isExpr(v.authorization);
      if (auth === undefined && !unknown) continue;
      hits.push({
        element: m.id,
        location: at(m, 'authorization'),
        evidence: `${m.name}: ${asString(v.http_method) ?? 'method'} authorization = ${unknown ? `${show(v.authorization)} (unknown here)` : '"NONE"'}, no API key`,
        ...(unknown || privateApi(m) ? { severity: 'medium' as const } : {}),
      });
    }
    for (const r of resources(ctx.graph, 'aws_apigatewayv2_route')) {
      const v = valuesOf(r);
      const key = asString(v.route_key) ?? '';
      if (key.toUpperCase().startsWith('OPTIONS ') || key === '$disconnect' || asBool(v.api_key_required) === true) continue;
      const auth = asString(v.authorization_type);
      if (auth !== undefined && auth.toUpperCase() !== 'NONE') continue;
      const unknown = auth === undefined && isExpr(v.authorization_type);
      hits.push({
        element: r.id,
        location: at(r, v.authorization_type === undefined ? 'route_key' : 'authorization_type'),
        evidence: `${r.name}: route ${key || '?'} authorization_type ${unknown ? `= ${show(v.authorization_type)} (unknown here)` : v.authorization_type === undefined ? 'not set (NONE)' : '= "NONE"'}`,
        ...(unknown ? { severity: 'medium' as const } : {}),
      });
    }
    return hits;
  },
};

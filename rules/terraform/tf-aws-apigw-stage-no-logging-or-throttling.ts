import type { Rule, RuleHit } from '../../src/model/graph.js';
import type { Element } from '../../src/model/types.js';
import { asNumber, blocks } from '../../src/ingest/terraform/index.js';
import { resources, satellites, valuesOf } from './tf-helpers.js';

function throttled(settings: unknown): boolean {
  for (const s of blocks(settings)) {
    const rate = s.throttling_rate_limit;
    const burst = s.throttling_burst_limit;
    // -1 means "no throttling" in API Gateway method settings.
    if ((rate !== undefined && asNumber(rate) !== -1) || (burst !== undefined && asNumber(burst) !== -1)) return true;
  }
  return false;
}

export const rule: Rule = {
  meta: {
    id: 'tf-aws-apigw-stage-no-logging-or-throttling',
    title: 'API Gateway stage without access logging or throttling',
    stride: ['R', 'D'],
    severity: 'medium',
    rationale:
      'Without access logs there is no record of who called which route, so abuse and data exfiltration through the API cannot be investigated. Without stage or method throttling a single client can exhaust the account-level request quota and run up backend (Lambda, database) costs, denying service to everyone else.',
    mitigation: 'Set access_log_settings (destination_arn and a format with requestId, sourceIp, identity and status), and throttling: aws_api_gateway_method_settings with throttling_rate_limit / throttling_burst_limit, a usage plan, or default_route_settings on HTTP API stages.',
    references: ['CWE-778', 'CWE-770', 'https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html'],
    inputs: ['terraform'],
    detection:
      'aws_api_gateway_stage without access_log_settings (qualifier logging) or without throttling from an aws_api_gateway_method_settings or aws_api_gateway_usage_plan referring to it (qualifier throttling, low); aws_apigatewayv2_stage without access_log_settings, or without throttling in default_route_settings / route_settings.',
    falsePositives: 'Throttling enforced by AWS WAF rate-based rules or a CDN in front of the API.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    const report = (stage: Element, what: 'logging' | 'throttling', evidence: string): void => {
      hits.push({ element: stage.id, qualifier: what, location: stage.location, evidence: `${stage.name}: ${evidence}`, ...(what === 'throttling' ? { severity: 'low' as const } : {}) });
    };
    for (const stage of resources(ctx.graph, 'aws_api_gateway_stage')) {
      const v = valuesOf(stage);
      if (v.access_log_settings === undefined) report(stage, 'logging', 'no access_log_settings');
      const methodSettings = satellites(ctx.graph, stage, ['aws_api_gateway_method_settings'], 'stage_name', 'stage_name');
      const plans = satellites(ctx.graph, stage, ['aws_api_gateway_usage_plan'], 'api_stages');
      const ok = methodSettings.some((m) => throttled(valuesOf(m).settings)) || plans.some((p) => blocks(valuesOf(p).throttle_settings).length > 0);
      if (!ok) report(stage, 'throttling', 'no throttling (no aws_api_gateway_method_settings or usage plan with throttle limits for this stage)');
    }
    for (const stage of resources(ctx.graph, 'aws_apigatewayv2_stage')) {
      const v = valuesOf(stage);
      if (v.access_log_settings === undefined) report(stage, 'logging', 'no access_log_settings');
      if (!throttled(v.default_route_settings) && !throttled(v.route_settings)) report(stage, 'throttling', 'no throttling_rate_limit / throttling_burst_limit in default_route_settings');
    }
    return hits;
  },
};

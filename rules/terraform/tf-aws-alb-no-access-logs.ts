import type { Rule, RuleHit } from '../../src/model/graph.js';
import { asBool, asString, blocks, show } from '../../src/ingest/terraform/index.js';
import { at, resources, valuesOf } from './tf-helpers.js';

export const rule: Rule = {
  meta: {
    id: 'tf-aws-alb-no-access-logs',
    title: 'Load balancer without access logs',
    stride: ['R'],
    severity: 'low',
    rationale:
      'Load balancer access logs are often the only record of internet requests (client IP, path, status, TLS details) reaching the application. Without them, attacks, scraping and data exfiltration through the front door cannot be reconstructed.',
    mitigation: 'Add an access_logs block with enabled = true and a bucket in the logging account (with the ELB log delivery bucket policy).',
    references: ['CWE-778', 'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html'],
    inputs: ['terraform'],
    detection: 'aws_lb / aws_alb (except Gateway Load Balancers) whose access_logs block is missing or has enabled unset/false (it defaults to false), and aws_elb without an access_logs block or with enabled = false. When enabled is an expression the finding names it.',
    falsePositives: 'Logs collected by a WAF or CloudFront in front of the load balancer.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const lb of resources(ctx.graph, ['aws_lb', 'aws_alb', 'aws_elb'])) {
      const v = valuesOf(lb);
      if (asString(v.load_balancer_type) === 'gateway') continue;
      const logs = blocks(v.access_logs)[0];
      const classic = lb.attrs.tfType === 'aws_elb';
      const enabled = logs ? asBool(logs.enabled) ?? (classic ? true : false) : false;
      if (enabled === true) continue;
      const state = !logs ? 'no access_logs block' : enabled === false ? 'access_logs.enabled is false or unset (default false)' : `access_logs.enabled = ${show(logs.enabled)} (unknown here)`;
      hits.push({ element: lb.id, location: at(lb, logs ? 'access_logs.0.enabled' : undefined), evidence: `${lb.name}: ${state}` });
    }
    return hits;
  },
};

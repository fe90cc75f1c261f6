import type { Rule, RuleHit } from '../../src/model/graph.js';
import type { Element } from '../../src/model/types.js';
import { asString, blocks, getPath } from '../../src/ingest/terraform/index.js';
import { at, resources, subjectsOf, valuesOf } from './tf-helpers.js';

function redirectsToHttps(v: Record<string, unknown>): boolean {
  const action = blocks(v.default_action)[0];
  if (!action || asString(action.type) !== 'redirect') return false;
  return asString(getPath(action, 'redirect.0.protocol'))?.toUpperCase() === 'HTTPS';
}

export const rule: Rule = {
  meta: {
    id: 'tf-aws-lb-plain-http-listener',
    title: 'Load balancer listener serves plain HTTP',
    stride: ['T', 'I'],
    severity: 'medium',
    rationale:
      'An HTTP listener that forwards to targets instead of redirecting to HTTPS carries credentials, session cookies and data in the clear between clients and the load balancer, where they can be read or modified on any network on the way.',
    mitigation: 'Serve HTTPS (protocol = "HTTPS", a certificate_arn and a modern ssl_policy) and make the port 80 listener a redirect to HTTPS with status HTTP_301.',
    references: ['CWE-319', 'CAPEC-94', 'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/create-https-listener.html'],
    inputs: ['terraform'],
    detection:
      'aws_lb_listener / aws_alb_listener with protocol HTTP (or unset, which defaults to HTTP) whose default action is not a redirect to HTTPS, and aws_elb listener blocks with lb_protocol http. Listeners of internal load balancers are reported at low severity.',
    falsePositives: 'Listeners that only return fixed responses; TLS terminated by CloudFront in front of the load balancer on a private origin network.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    const internal = (l: Element): boolean => subjectsOf(ctx.graph, l, 'load_balancer_arn', ['aws_lb', 'aws_alb']).some((lb) => lb.zoneHint === 'vpc-private');
    for (const l of resources(ctx.graph, ['aws_lb_listener', 'aws_alb_listener'])) {
      const v = valuesOf(l);
      const protocol = asString(v.protocol)?.toUpperCase() ?? (v.protocol === undefined && v.certificate_arn === undefined ? 'HTTP' : undefined);
      if (protocol !== 'HTTP' || redirectsToHttps(v)) continue;
      hits.push({ element: l.id, location: at(l, v.protocol === undefined ? undefined : 'protocol'), evidence: `${l.name}: ${protocol}${v.port !== undefined ? ` port ${String(v.port)}` : ''} forwards without redirecting to HTTPS`, ...(internal(l) ? { severity: 'low' as const } : {}) });
    }
    for (const lb of resources(ctx.graph, 'aws_elb')) {
      blocks(valuesOf(lb).listener).forEach((li, i) => {
        if (asString(li.lb_protocol)?.toLowerCase() !== 'http') return;
        hits.push({ element: lb.id, qualifier: `listener-${i}`, location: at(lb, `listener.${i}.lb_protocol`), evidence: `${lb.name}: listener ${i} lb_protocol = http, port ${String(li.lb_port ?? '?')}` });
      });
    }
    return hits;
  },
};

import type { Rule, RuleHit } from '../../src/model/graph.js';
import { asNumber, isExpr } from '../../src/ingest/terraform/index.js';
import { at, resources, valuesOf } from './tf-helpers.js';

export const rule: Rule = {
  meta: {
    id: 'tf-aws-lambda-no-reserved-concurrency-public',
    title: 'Internet-reachable Lambda function without reserved concurrency',
    stride: ['D'],
    severity: 'medium',
    rationale:
      'A function reachable from the internet without reserved concurrency can be driven to the account\'s concurrency limit by a request flood: every other function in the account and region is then throttled (a denial of service beyond the attacked endpoint), and the bill grows with the attack.',
    mitigation: 'Set reserved_concurrent_executions to a ceiling sized for legitimate peak traffic, and throttle at the API Gateway stage or with WAF rate-based rules.',
    references: ['CWE-770', 'CWE-400', 'https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html'],
    inputs: ['terraform', 'graph'],
    detection: 'aws_lambda_function elements reachable from the internet in the linked graph (through API Gateway, function URLs, load balancers, public invoke permissions) whose reserved_concurrent_executions is unset or -1. A value given by an expression is not judged.',
    falsePositives: 'Functions protected by throttling upstream (API Gateway usage plans, WAF) that the graph does not model as a limit.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const fn of resources(ctx.graph, 'aws_lambda_function')) {
      if (!ctx.internetReachable.has(fn.id)) continue;
      const raw = valuesOf(fn).reserved_concurrent_executions;
      if (isExpr(raw)) continue;
      const n = asNumber(raw);
      if (n !== undefined && n >= 0) continue;
      hits.push({ element: fn.id, location: at(fn, raw === undefined ? undefined : 'reserved_concurrent_executions'), evidence: `${fn.name} is reachable from the internet and reserved_concurrent_executions is ${raw === undefined ? 'not set' : String(raw)} (no concurrency ceiling)` });
    }
    return hits;
  },
};

import type { Rule, RuleHit } from '../../src/model/graph.js';
import { actionMatches, strings } from './tf-helpers.js';
import { identityAllowStatements } from './tf-iam-helpers.js';

export const rule: Rule = {
  meta: {
    id: 'tf-aws-iam-passrole',
    title: 'iam:PassRole allowed on any role',
    stride: ['E'],
    severity: 'high',
    rationale:
      'iam:PassRole on Resource "*" lets the holder hand any role in the account, including administrator roles, to a service it controls (a Lambda function, an EC2 instance, a Glue job) and then act with that role: a classic privilege escalation path.',
    mitigation: 'Scope iam:PassRole to the ARNs of the roles the workload must pass, and add a Condition on iam:PassedToService.',
    references: ['CWE-269', 'CAPEC-233', 'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html'],
    inputs: ['terraform'],
    detection:
      'Allow statements of identity policies whose actions match iam:PassRole (iam:PassRole, iam:Pass*, iam:*; a bare "*" is left to tf-aws-iam-wildcard) with Resource "*". A condition (e.g. iam:PassedToService) lowers the severity to medium.',
    falsePositives: 'Deployment roles of CI systems that must pass many roles; they still deserve a resource pattern such as arn:aws:iam::*:role/app-*.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const { owner, index, statement: s } of identityAllowStatements(ctx.graph)) {
      const passes = strings(s.actions).filter((a) => a !== '*' && actionMatches(a, 'iam:PassRole'));
      if (passes.length === 0 || !strings(s.resources).includes('*')) continue;
      hits.push({
        element: owner.id,
        qualifier: `statement-${index}`,
        location: { file: owner.location.file, line: s.line },
        evidence: `${owner.name} statement ${s.sid ?? index}: Allow ${passes.join(', ')} on Resource "*"${s.conditions ? ' (with conditions)' : ''}`,
        ...(s.conditions ? { severity: 'medium' as const } : {}),
      });
    }
    return hits;
  },
};

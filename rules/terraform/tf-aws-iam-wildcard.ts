import type { Rule, RuleHit } from '../../src/model/graph.js';
import type { Severity } from '../../src/model/types.js';
import { strings } from './tf-helpers.js';
import { identityAllowStatements } from './tf-iam-helpers.js';

const READ_ONLY = /^[a-z0-9-]+:(Describe|List|Get|BatchGet|Search|Query|Scan|Lookup|View)[A-Za-z]*$/i;

export const rule: Rule = {
  meta: {
    id: 'tf-aws-iam-wildcard',
    title: 'IAM policy grants wildcard actions or resources',
    stride: ['E'],
    severity: 'high',
    rationale:
      'Action "*" or "service:*" grants every present and future permission of the service, including permission management, data deletion and key administration. Whoever obtains the identity (a leaked key, an SSRF to instance metadata, a compromised workload) inherits all of it.',
    mitigation: 'List the actions the workload needs (IAM Access Analyzer policy generation can derive them from CloudTrail) and scope Resource to the ARNs it works on; use permission boundaries for roles that must stay broad.',
    references: ['CWE-250', 'CWE-269', 'CAPEC-122', 'https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege'],
    inputs: ['terraform'],
    detection:
      'Allow statements of identity policies (aws_iam_policy, aws_iam_{role,user,group}_policy, role inline_policy, aws_iam_policy_document with no principals): Action "*" (high), NotAction (medium), "service:*" on Resource "*" (high) or on named resources (medium), and non-read actions on Resource "*" (low). Statements are reported once, on the element that declares them; actions that are expressions are not judged.',
    falsePositives: 'Break-glass administrator roles that are meant to be broad (accept the finding); actions that do not support resource-level permissions and so require Resource "*".',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const { owner, index, statement: s } of identityAllowStatements(ctx.graph)) {
      const location = { file: owner.location.file, line: s.line };
      const actions = strings(s.actions);
      const resources = strings(s.resources);
      const anyResource = resources.includes('*');
      const add = (kind: string, severity: Severity, evidence: string): void => {
        hits.push({ element: owner.id, qualifier: `statement-${index}:${kind}`, location, severity, evidence: `${owner.name} statement ${s.sid ?? index}: ${evidence}` });
      };
      if (actions.includes('*')) {
        add('action', 'high', `Allow Action "*" on ${resources.join(', ') || 'its resources'}`);
        continue;
      }
      if (s.notActions !== undefined) add('not-action', 'medium', `Allow with NotAction ${strings(s.notActions).join(', ')}: everything else is granted`);
      const serviceWide = actions.filter((a) => /^[a-z0-9-]+:\*$/i.test(a));
      if (serviceWide.length > 0) {
        add('service', anyResource ? 'high' : 'medium', `Allow ${serviceWide.join(', ')} on ${anyResource ? 'Resource "*"' : resources.join(', ') || 'its resources'}`);
        continue;
      }
      const writes = actions.filter((a) => !READ_ONLY.test(a));
      if (anyResource && writes.length > 0) add('resource', 'low', `Allow ${writes.slice(0, 5).join(', ')}${writes.length > 5 ? ', …' : ''} on Resource "*"`);
    }
    return hits;
  },
};

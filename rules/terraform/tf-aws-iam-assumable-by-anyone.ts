import type { Rule, RuleHit } from '../../src/model/graph.js';
import type { PolicyCondition } from '../../src/ingest/terraform/index.js';
import { isExpr } from '../../src/ingest/terraform/index.js';
import { isAnyone, resources, statementsOf, strings } from './tf-helpers.js';

export const rule: Rule = {
  meta: {
    id: 'tf-aws-iam-assumable-by-anyone',
    title: 'IAM role trust policy lets anyone assume the role',
    stride: ['S', 'E'],
    severity: 'critical',
    rationale:
      'A trust policy with Principal "*" (or AWS "*") lets any AWS account in the world call sts:AssumeRole and obtain the role\'s permissions. A web-identity trust without a condition on the token subject lets every user of the identity provider (for GitHub OIDC: every repository on GitHub) do the same.',
    mitigation:
      'Name the trusted accounts, roles or services explicitly; for federated (OIDC) trust, require conditions on the audience and the subject (e.g. token.actions.githubusercontent.com:sub = repo:org/repo:ref:refs/heads/main); add sts:ExternalId for third parties.',
    references: ['CWE-284', 'CWE-269', 'CAPEC-122', 'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html'],
    inputs: ['terraform'],
    detection:
      'aws_iam_role trust statements (assume_role_policy, also through an aws_iam_policy_document) that Allow Principal "*" / AWS "*" (critical without conditions, medium with), or a Federated principal without any condition on a `:sub` key (high).',
    falsePositives: 'Conditions on aws:PrincipalOrgID or aws:SourceAccount make a "*" principal acceptable: such statements are reported at medium for review.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const role of resources(ctx.graph, 'aws_iam_role')) {
      const owned = statementsOf(ctx.graph, role, 'trustStatements');
      owned?.statements.forEach((s, i) => {
        if (s.effect !== 'Allow') return;
        const location = { file: owned.owner.location.file, line: s.line };
        const conditions = Array.isArray(s.conditions) ? (s.conditions as PolicyCondition[]) : undefined;
        if (s.principals.some(isAnyone)) {
          hits.push({ element: role.id, qualifier: `statement-${i}`, location, evidence: `${role.name}: trust policy allows Principal "*"${s.conditions ? ' (with conditions)' : ' without conditions'}`, ...(s.conditions ? { severity: 'medium' as const } : {}) });
          return;
        }
        const federated = strings(s.principals).filter((p) => p.startsWith('Federated:') && !/saml-provider/i.test(p));
        if (federated.length === 0 || isExpr(s.conditions)) return;
        const restrictsSubject = (conditions ?? []).some((c) => /:sub$/i.test(c.variable));
        if (!restrictsSubject) {
          hits.push({ element: role.id, qualifier: `statement-${i}`, location, severity: 'high', evidence: `${role.name}: ${federated.join(', ')} may assume the role without a condition on the token subject` });
        }
      });
    }
    return hits;
  },
};

import type { Rule, RuleHit } from '../../src/model/graph.js';
import type { Element } from '../../src/model/types.js';
import { isAnyone, resources, statementsOf, strings, subjectsOf, tfType } from './tf-helpers.js';

const SUBJECT: Record<string, { attribute: string; types: string[] }> = {
  aws_sqs_queue_policy: { attribute: 'queue_url', types: ['aws_sqs_queue'] },
  aws_sns_topic_policy: { attribute: 'arn', types: ['aws_sns_topic'] },
};

const ACCOUNT = /(?:^|:)(\d{12})(?::|$)/;

export const rule: Rule = {
  meta: {
    id: 'tf-aws-queue-policy-open',
    title: 'SQS queue or SNS topic policy open to anyone or another account',
    stride: ['S', 'T'],
    severity: 'high',
    rationale:
      'A queue or topic policy that allows Principal "*" lets any AWS account send forged messages into the pipeline (which consumers then trust), read or delete messages, or subscribe its own endpoints to receive every notification. Grants to other accounts extend that trust to whoever controls those accounts.',
    mitigation: 'Name the producing accounts, roles or services explicitly and add aws:SourceArn / aws:SourceAccount conditions for service principals (S3, SNS, EventBridge).',
    references: ['CWE-284', 'CWE-732', 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-basic-examples-of-sqs-policies.html'],
    inputs: ['terraform'],
    detection:
      'Allow statements in the policy of aws_sqs_queue, aws_sns_topic, aws_sqs_queue_policy and aws_sns_topic_policy (inline or through an aws_iam_policy_document) whose principals include "*" / AWS "*" without any condition (high), or an AWS principal in a 12-digit account different from the account of the literal resource ARNs in the same statement (medium, qualifier cross-account).',
    falsePositives: 'Statements restricted by conditions are not reported; cross-account grants within your own organisation are intended and can be accepted.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const holder of resources(ctx.graph, ['aws_sqs_queue', 'aws_sns_topic', 'aws_sqs_queue_policy', 'aws_sns_topic_policy'])) {
      const owned = statementsOf(ctx.graph, holder);
      if (!owned) continue;
      const subject: Element = SUBJECT[tfType(holder)] ? subjectsOf(ctx.graph, holder, SUBJECT[tfType(holder)]!.attribute, SUBJECT[tfType(holder)]!.types)[0] ?? holder : holder;
      owned.statements.forEach((s, i) => {
        if (s.effect !== 'Allow') return;
        const location = { file: owned.owner.location.file, line: s.line };
        const actions = strings(s.actions).join(', ') || 'actions';
        if (s.principals.some(isAnyone) && s.conditions === undefined) {
          hits.push({ element: subject.id, qualifier: `${holder.id}#${i}`, location, evidence: `${holder.name}: Allow ${actions} to Principal "*" without conditions` });
          return;
        }
        const own = new Set(strings(s.resources).map((r) => ACCOUNT.exec(r)?.[1]).filter((a): a is string => a !== undefined));
        if (own.size === 0) return;
        const foreign = strings(s.principals)
          .filter((p) => p.startsWith('AWS:'))
          .map((p) => ACCOUNT.exec(p.slice(4))?.[1])
          .filter((a): a is string => a !== undefined && !own.has(a));
        if (foreign.length > 0) hits.push({ element: subject.id, qualifier: `${holder.id}#${i}:cross-account`, location, severity: 'medium', evidence: `${holder.name}: Allow ${actions} to account ${[...new Set(foreign)].join(', ')}` });
      });
    }
    return hits;
  },
};

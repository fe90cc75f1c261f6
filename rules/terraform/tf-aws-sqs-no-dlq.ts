import type { Rule, RuleHit } from '../../src/model/graph.js';
import { asString } from '../../src/ingest/terraform/index.js';
import { resources, satellites, tfType, valuesOf } from './tf-helpers.js';

export const rule: Rule = {
  meta: {
    id: 'tf-aws-sqs-no-dlq',
    title: 'SQS queue without a dead-letter queue',
    stride: ['D'],
    severity: 'low',
    rationale:
      'Without a redrive policy a message that always fails (a poison message, possibly crafted by an attacker) is retried until its retention expires, consuming consumer capacity and blocking FIFO groups; failures are silently lost instead of being kept for inspection.',
    mitigation: 'Add a redrive_policy (or aws_sqs_queue_redrive_policy) with deadLetterTargetArn and a maxReceiveCount, and alarm on the dead-letter queue depth.',
    references: ['CWE-755', 'CWE-400', 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html'],
    inputs: ['terraform'],
    detection:
      'aws_sqs_queue without redrive_policy and without an aws_sqs_queue_redrive_policy referring to it. Queues that are dead-letter queues themselves (the target of another queue\'s redrive policy, with a redrive_allow_policy, or named *dlq* / *dead-letter*) are skipped.',
    falsePositives: 'Queues whose consumers handle failures themselves (e.g. Lambda on-failure destinations).',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const q of resources(ctx.graph, 'aws_sqs_queue')) {
      const v = valuesOf(q);
      if (v.redrive_policy !== undefined || v.redrive_allow_policy !== undefined) continue;
      if (/dlq|dead-?letter/i.test(`${asString(v.name) ?? ''} ${q.name}`)) continue;
      if (satellites(ctx.graph, q, ['aws_sqs_queue_redrive_policy'], 'queue_url').length > 0) continue;
      const isDlq = (ctx.graph.in.get(q.id) ?? []).some((e) => {
        if (e.kind !== 'references') return false;
        const from = ctx.graph.elements.get(e.from);
        const attrs = (e.attrs?.attributes as string[] | undefined) ?? [];
        return from !== undefined && ['aws_sqs_queue', 'aws_sqs_queue_redrive_policy', 'aws_sqs_queue_redrive_allow_policy'].includes(tfType(from)) && attrs.some((p) => p.startsWith('redrive') || (tfType(from) === 'aws_sqs_queue_redrive_allow_policy' && p === 'queue_url'));
      });
      if (isDlq) continue;
      hits.push({ element: q.id, location: q.location, evidence: `${q.name}: no redrive_policy (no dead-letter queue)` });
    }
    return hits;
  },
};

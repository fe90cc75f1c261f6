import type { Rule, RuleHit } from '../../src/model/graph.js';
import type { Severity } from '../../src/model/types.js';
import { asBool, asString, isExpr, show } from '../../src/ingest/terraform/index.js';
import { at, resources, valuesOf } from './tf-helpers.js';

export const rule: Rule = {
  meta: {
    id: 'tf-aws-queue-unencrypted',
    title: 'Queue, topic or stream without encryption at rest',
    stride: ['I'],
    severity: 'medium',
    rationale:
      'Messages often carry personal data, tokens and order details. Without server-side encryption under a KMS key, stored messages are protected only by the service\'s access policy, and reading them leaves no key-usage trail.',
    mitigation: 'Set kms_master_key_id (SQS, SNS) to a customer-managed KMS key, or keep SSE-SQS on for SQS; set encryption_type = "KMS" with a kms_key_id on Kinesis streams.',
    references: ['CWE-311', 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html'],
    inputs: ['terraform'],
    detection:
      'aws_sqs_queue with sqs_managed_sse_enabled = false and no kms_master_key_id (SSE-SQS is on by default otherwise); aws_sns_topic without kms_master_key_id (low); aws_kinesis_stream with encryption_type unset or NONE. Expressions lower the severity to low.',
    falsePositives: 'Topics that only carry non-sensitive notifications.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    const add = (id: string, line: { file: string; line: number }, evidence: string, severity?: Severity): void => {
      hits.push({ element: id, location: line, evidence, ...(severity ? { severity } : {}) });
    };
    for (const q of resources(ctx.graph, 'aws_sqs_queue')) {
      const v = valuesOf(q);
      if (v.kms_master_key_id !== undefined) continue;
      const sse = asBool(v.sqs_managed_sse_enabled);
      if (sse === false) add(q.id, at(q, 'sqs_managed_sse_enabled'), `${q.name}: sqs_managed_sse_enabled = false and no kms_master_key_id`);
      else if (sse === 'unknown') add(q.id, at(q, 'sqs_managed_sse_enabled'), `${q.name}: sqs_managed_sse_enabled = ${show(v.sqs_managed_sse_enabled)} (unknown here) and no kms_master_key_id`, 'low');
    }
    for (const t of resources(ctx.graph, 'aws_sns_topic')) {
      if (valuesOf(t).kms_master_key_id === undefined) add(t.id, t.location, `${t.name}: no kms_master_key_id (messages stored without SSE)`, 'low');
    }
    for (const s of resources(ctx.graph, 'aws_kinesis_stream')) {
      const v = valuesOf(s);
      const type = asString(v.encryption_type)?.toUpperCase();
      if (type === 'KMS') continue;
      if (isExpr(v.encryption_type)) add(s.id, at(s, 'encryption_type'), `${s.name}: encryption_type = ${show(v.encryption_type)} (unknown here)`, 'low');
      else add(s.id, at(s, 'encryption_type'), `${s.name}: encryption_type ${type ? `= ${type}` : 'not set (default NONE)'}`);
    }
    return hits;
  },
};

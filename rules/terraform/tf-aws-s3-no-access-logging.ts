import type { Rule, RuleHit } from '../../src/model/graph.js';
import { asString } from '../../src/ingest/terraform/index.js';
import { resources, satellites, tfType, valuesOf } from './tf-helpers.js';

/** Attributes through which other resources deliver their logs into a bucket. */
const LOG_TARGET_ATTRIBUTES = ['target_bucket', 'logging', 'access_logs', 's3_bucket_name', 'logging_config', 'bucket_name'];

export const rule: Rule = {
  meta: {
    id: 'tf-aws-s3-no-access-logging',
    title: 'S3 bucket without server access logging',
    stride: ['R'],
    severity: 'low',
    rationale:
      'Without server access logs (or CloudTrail data events) there is no record of who read, wrote or deleted objects: a leak or tampering cannot be scoped, attributed or proven afterwards.',
    mitigation: 'Add aws_s3_bucket_logging pointing to a dedicated log bucket, or enable CloudTrail S3 data events for the bucket.',
    references: ['CWE-778', 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html'],
    inputs: ['terraform'],
    detection:
      'Each aws_s3_bucket with no inline `logging` block and no aws_s3_bucket_logging referring to it. Buckets that receive logs themselves (target of a logging configuration, load balancer access logs, CloudTrail, CloudFront logging, or ACL log-delivery-write) are skipped.',
    falsePositives: 'CloudTrail data events configured elsewhere; buckets holding only public or throw-away data.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const bucket of resources(ctx.graph, 'aws_s3_bucket')) {
      const v = valuesOf(bucket);
      if (v.logging !== undefined || asString(v.acl) === 'log-delivery-write') continue;
      if (satellites(ctx.graph, bucket, ['aws_s3_bucket_logging'], 'bucket', 'bucket').length > 0) continue;
      const isLogTarget = (ctx.graph.in.get(bucket.id) ?? []).some((e) => {
        if (e.kind !== 'references') return false;
        const from = ctx.graph.elements.get(e.from);
        const attrs = (e.attrs?.attributes as string[] | undefined) ?? [];
        return from !== undefined && (tfType(from) !== 'aws_s3_bucket_policy' && attrs.some((p) => LOG_TARGET_ATTRIBUTES.some((a) => p === a || p.startsWith(`${a}.`))));
      });
      if (isLogTarget) continue;
      hits.push({ element: bucket.id, location: bucket.location, evidence: `${bucket.name} has no access logging (no logging block or aws_s3_bucket_logging)` });
    }
    return hits;
  },
};

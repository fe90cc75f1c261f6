import type { Rule, RuleHit } from '../../src/model/graph.js';
import { resources, satellites, valuesOf } from './tf-helpers.js';

export const rule: Rule = {
  meta: {
    id: 'tf-aws-s3-unencrypted',
    title: 'S3 bucket without declared server-side encryption',
    stride: ['I'],
    severity: 'low',
    rationale:
      'Objects are only protected by the default SSE-S3 key when no encryption configuration is declared: access to the data is then governed by S3 permissions alone, with no KMS key policy, key-usage audit trail in CloudTrail, or ability to revoke access by disabling the key.',
    mitigation:
      'Add aws_s3_bucket_server_side_encryption_configuration with sse_algorithm aws:kms and a customer-managed KMS key (bucket_key_enabled = true to limit cost), and require encryption in the bucket policy.',
    references: ['CWE-311', 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/serv-side-encryption.html'],
    inputs: ['terraform'],
    detection: 'Each aws_s3_bucket with neither an inline server_side_encryption_configuration block nor an aws_s3_bucket_server_side_encryption_configuration referring to it (by reference or literal bucket name).',
    falsePositives: 'Since January 2023 S3 encrypts new objects with SSE-S3 by default, so this is about key control rather than plaintext storage; encryption configured outside Terraform.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const bucket of resources(ctx.graph, 'aws_s3_bucket')) {
      if (valuesOf(bucket).server_side_encryption_configuration !== undefined) continue;
      if (satellites(ctx.graph, bucket, ['aws_s3_bucket_server_side_encryption_configuration'], 'bucket', 'bucket').length > 0) continue;
      hits.push({ element: bucket.id, location: bucket.location, evidence: `${bucket.name} declares no server-side encryption (default SSE-S3 only)` });
    }
    return hits;
  },
};

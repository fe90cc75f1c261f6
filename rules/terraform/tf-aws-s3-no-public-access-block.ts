import type { Rule, RuleHit } from '../../src/model/graph.js';
import { asBool } from '../../src/ingest/terraform/index.js';
import { at, resources, satellites, valuesOf } from './tf-helpers.js';

const FLAGS = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'];

export const rule: Rule = {
  meta: {
    id: 'tf-aws-s3-no-public-access-block',
    title: 'S3 bucket without a complete public access block',
    stride: ['I'],
    severity: 'medium',
    rationale:
      'Without S3 Block Public Access, one later ACL or policy change (by a person, a script or a compromised role) makes the bucket public. The block is the guard rail that keeps a mistake from becoming a data leak.',
    mitigation:
      'Add aws_s3_bucket_public_access_block for the bucket with block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets all true, or enable aws_s3_account_public_access_block for the account.',
    references: ['CWE-284', 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html'],
    inputs: ['terraform'],
    detection:
      'Each aws_s3_bucket with no aws_s3_bucket_public_access_block referring to it (by reference or literal bucket name) and no account-level block with all four flags true; or whose block leaves one of the four flags false or unset. Flags that are expressions lower the severity to low.',
    falsePositives: 'An account-level public access block managed outside the analysed files; buckets that must be public (static websites).',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    const account = resources(ctx.graph, 'aws_s3_account_public_access_block').some((a) => FLAGS.every((f) => asBool(valuesOf(a)[f]) === true));
    if (account) return hits;
    for (const bucket of resources(ctx.graph, 'aws_s3_bucket')) {
      const blocks = satellites(ctx.graph, bucket, ['aws_s3_bucket_public_access_block'], 'bucket', 'bucket');
      if (blocks.length === 0) {
        hits.push({ element: bucket.id, location: bucket.location, evidence: `${bucket.name} has no aws_s3_bucket_public_access_block` });
        continue;
      }
      const best = blocks[0]!;
      const v = valuesOf(best);
      const off = FLAGS.filter((f) => asBool(v[f]) === undefined || asBool(v[f]) === false);
      const unknown = FLAGS.filter((f) => asBool(v[f]) === 'unknown');
      if (off.length === 0 && unknown.length === 0) continue;
      const parts = [...(off.length ? [`${off.join(', ')} not true`] : []), ...(unknown.length ? [`${unknown.join(', ')} are expressions (unknown)`] : [])];
      hits.push({ element: bucket.id, location: at(best, off[0] ?? unknown[0]), evidence: `${best.name}: ${parts.join('; ')}`, ...(off.length === 0 ? { severity: 'low' as const } : {}) });
    }
    return hits;
  },
};

import type { Rule, RuleHit } from '../../src/model/graph.js';
import type { Element, SourceLocation } from '../../src/model/types.js';
import { asBool, asString, blocks, getPath } from '../../src/ingest/terraform/index.js';
import { at, isAnyone, lower, resources, satellites, statementsOf, valuesOf } from './tf-helpers.js';

const PUBLIC_ACLS = new Set(['public-read', 'public-read-write', 'authenticated-read']);

interface Grant {
  via: 'acl' | 'policy';
  location: SourceLocation;
  evidence: string;
}

/** Whether public access blocks neutralise a grant: true, false, or unknown when a deciding flag is an expression. */
function neutralised(blockers: Element[], via: Grant['via']): boolean | 'unknown' {
  const flags = via === 'acl' ? ['block_public_acls', 'ignore_public_acls'] : ['block_public_policy', 'restrict_public_buckets'];
  let unknown = false;
  for (const b of blockers) {
    for (const f of flags) {
      const v = asBool(valuesOf(b)[f]);
      if (v === true) return true;
      if (v === 'unknown') unknown = true;
    }
  }
  return unknown ? 'unknown' : false;
}

export const rule: Rule = {
  meta: {
    id: 'tf-aws-s3-public-access',
    title: 'S3 bucket readable or writable by anyone',
    stride: ['I'],
    severity: 'high',
    rationale:
      'A public ACL or a bucket policy allowing Principal "*" lets anyone on the internet list, read or overwrite objects. Public buckets are one of the most common sources of large data leaks, and write access also allows content tampering and malware hosting.',
    mitigation:
      'Remove the public ACL / policy statement, grant access to specific principals or a CloudFront origin access control, and add an aws_s3_bucket_public_access_block (or the account-level block) with all four settings true.',
    references: ['CWE-284', 'CWE-200', 'CAPEC-1', 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html'],
    inputs: ['terraform'],
    detection:
      'For each aws_s3_bucket: a canned ACL public-read, public-read-write or authenticated-read (on the bucket or an aws_s3_bucket_acl), an ACL grant to AllUsers/AuthenticatedUsers, or an Allow statement for Principal "*" without conditions in the bucket policy (inline, aws_s3_bucket_policy, or the aws_iam_policy_document it uses). Not reported when a public access block on the bucket or the account neutralises that kind of grant; reported one severity lower when the neutralising flags are expressions.',
    falsePositives: 'Static website buckets that are public on purpose (accept the finding); buckets behind an account-level block managed in another repository.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    const accountBlocks = resources(ctx.graph, 'aws_s3_account_public_access_block');
    for (const bucket of resources(ctx.graph, 'aws_s3_bucket')) {
      const grants: Grant[] = [];
      const acl = asString(valuesOf(bucket).acl);
      if (acl && PUBLIC_ACLS.has(acl)) grants.push({ via: 'acl', location: at(bucket, 'acl'), evidence: `acl = "${acl}"` });
      for (const a of satellites(ctx.graph, bucket, ['aws_s3_bucket_acl'], 'bucket', 'bucket')) {
        const v = valuesOf(a);
        const canned = asString(v.acl);
        if (canned && PUBLIC_ACLS.has(canned)) grants.push({ via: 'acl', location: at(a, 'acl'), evidence: `${a.name}: acl = "${canned}"` });
        const grantees = blocks(getPath(v, 'access_control_policy.0.grant')).flatMap((g) => blocks(g.grantee));
        if (grantees.some((g) => typeof g.uri === 'string' && /AllUsers|AuthenticatedUsers/.test(g.uri))) grants.push({ via: 'acl', location: at(a, 'access_control_policy'), evidence: `${a.name} grants AllUsers/AuthenticatedUsers` });
      }
      for (const holder of [bucket, ...satellites(ctx.graph, bucket, ['aws_s3_bucket_policy'], 'bucket', 'bucket')]) {
        const owned = statementsOf(ctx.graph, holder);
        for (const s of owned?.statements ?? []) {
          if (s.effect !== 'Allow' || !s.principals.some(isAnyone) || s.conditions !== undefined) continue;
          const actions = s.actions.filter((x): x is string => typeof x === 'string');
          grants.push({ via: 'policy', location: { file: owned!.owner.location.file, line: s.line }, evidence: `${owned!.owner.name}: Allow ${actions.join(', ') || 'actions'} to Principal "*" without conditions` });
        }
      }
      const blockers = [...satellites(ctx.graph, bucket, ['aws_s3_bucket_public_access_block'], 'bucket', 'bucket'), ...accountBlocks];
      for (const g of grants) {
        const n = neutralised(blockers, g.via);
        if (n === true) continue;
        const note = n === 'unknown' ? ' (public access block flags are expressions: unknown whether they neutralise it)' : '';
        hits.push({ element: bucket.id, qualifier: g.via, location: g.location, evidence: `${g.evidence}${note}`, ...(n === 'unknown' ? { severity: lower('high') } : {}) });
      }
    }
    return hits;
  },
};

import type { Rule, RuleHit } from '../../src/model/graph.js';
import { asBool, show } from '../../src/ingest/terraform/index.js';
import { at, resources, valuesOf } from './tf-helpers.js';
import { indexesOf } from '../../src/analysis/indexes.js';

export const rule: Rule = {
  meta: {
    id: 'tf-aws-cloudtrail-missing-or-no-validation',
    title: 'CloudTrail missing, disabled or without log file validation',
    stride: ['R'],
    severity: 'medium',
    rationale:
      'CloudTrail is the record of who did what in the AWS account. Without a trail, API activity older than 90 days is gone and cannot be queried across services; without log file validation an intruder with access to the log bucket can edit or delete entries and nobody can prove it.',
    mitigation: 'Declare an aws_cloudtrail with is_multi_region_trail = true, enable_log_file_validation = true and enable_logging left on, delivering to a bucket in a separate logging account (or use an organization trail).',
    references: ['CWE-778', 'CWE-354', 'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html'],
    inputs: ['terraform'],
    detection:
      'Each aws_cloudtrail with enable_log_file_validation not true (qualifier validation) or enable_logging = false (qualifier logging). When the analysed files declare no aws_cloudtrail at all, each default (non-alias) provider "aws" block is reported at low severity: the configuration that owns the account has no trail.',
    falsePositives: 'Organization trails or trails managed in another repository (the missing-trail finding is low severity for that reason).',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    const trails = resources(ctx.graph, 'aws_cloudtrail');
    for (const t of trails) {
      const v = valuesOf(t);
      const validation = asBool(v.enable_log_file_validation);
      if (validation !== true) {
        const state = validation === undefined ? 'is not set (default false)' : validation === false ? '= false' : `= ${show(v.enable_log_file_validation)} (unknown here)`;
        hits.push({ element: t.id, qualifier: 'validation', location: at(t, 'enable_log_file_validation'), evidence: `${t.name}: enable_log_file_validation ${state}`, ...(validation === 'unknown' ? { severity: 'low' as const } : {}) });
      }
      if (asBool(v.enable_logging) === false) hits.push({ element: t.id, qualifier: 'logging', location: at(t, 'enable_logging'), evidence: `${t.name}: enable_logging = false (the trail records nothing)` });
    }
    if (trails.length > 0) return hits;
    for (const p of [...(indexesOf(ctx.graph).byType.get('tf:provider') ?? [])].filter((e) => e.attrs.provider === 'aws' && valuesOf(e).alias === undefined).sort((a, b) => (a.id < b.id ? -1 : 1))) {
      hits.push({ element: p.id, qualifier: 'missing', location: p.location, severity: 'low', evidence: `provider "aws" is configured but no aws_cloudtrail is declared in the analysed files` });
    }
    return hits;
  },
};

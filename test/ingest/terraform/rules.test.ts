import { analyzeFiles } from '../../helpers/analyze.js';
import type { Rule } from '../../../src/model/graph.js';
import { terraformRules } from '../../../rules/terraform/index.js';
import { ruleContext } from '../../../src/analysis/rules.js';

/** Runs one Terraform rule through the real pipeline; returns `element severity file:line evidence` per finding. */
async function run(id: string, files: Record<string, string>, config: Record<string, unknown> = {}): Promise<string[]> {
  const rule = terraformRules.find((r) => r.meta.id === id) as Rule;
  const a = await analyzeFiles(files, { rules: [rule], config });
  return a.threats.map((t) => `${t.element} ${t.location.file}:${t.location.line} ${t.evidence}`);
}

/** The rule's own severity per hit (before the runner's risk rating adjusts it). */
async function severities(id: string, files: Record<string, string>): Promise<string[]> {
  const rule = terraformRules.find((r) => r.meta.id === id) as Rule;
  const a = await analyzeFiles(files, { rules: [] });
  return rule.check(ruleContext(a.graph)).map((h) => `${h.element}:${h.severity ?? rule.meta.severity}`);
}

test('every Terraform rule id is prefixed tf- and registered once', () => {
  const ids = terraformRules.map((r) => r.meta.id);
  expect(ids.every((id) => id.startsWith('tf-'))).toBe(true);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.length).toBe(28);
});

describe('unknown values are never a pass', () => {
  test('publicly_accessible from a variable without default is reported, with the expression named', async () => {
    const files = { 'main.tf': 'variable "public" {}\nresource "aws_db_instance" "db" {\n  engine              = "mysql"\n  publicly_accessible = var.public\n}\n' };
    expect(await run('tf-aws-db-publicly-accessible', files)).toEqual(['tf:aws_db_instance.db main.tf:4 aws_db_instance.db: publicly_accessible = var.public (unknown here)']);
  });

  test('a literal variable default decides instead', async () => {
    const files = { 'main.tf': 'variable "public" {\n  default = false\n}\nresource "aws_db_instance" "db" {\n  engine              = "mysql"\n  publicly_accessible = var.public\n}\n' };
    expect(await run('tf-aws-db-publicly-accessible', files)).toEqual([]);
  });

  test('public access block flags given by expressions keep the public-bucket finding, one severity lower', async () => {
    const files = {
      'main.tf': [
        'resource "aws_s3_bucket" "b" {',
        '  bucket = "b"',
        '  acl    = "public-read"',
        '}',
        'resource "aws_s3_bucket_public_access_block" "b" {',
        '  bucket             = aws_s3_bucket.b.id',
        '  block_public_acls  = var.strict',
        '  ignore_public_acls = var.strict',
        '}',
      ].join('\n'),
    };
    const found = await run('tf-aws-s3-public-access', files);
    expect(found).toEqual(['tf:aws_s3_bucket.b main.tf:3 acl = "public-read" (public access block flags are expressions: unknown whether they neutralise it)']);
  });

  test('encryption flag from an expression is reported at low severity', async () => {
    const files = { 'main.tf': 'resource "aws_efs_file_system" "fs" {\n  encrypted = var.encrypt\n}\n' };
    expect(await run('tf-aws-storage-unencrypted', files)).toEqual(['tf:aws_efs_file_system.fs main.tf:2 aws_efs_file_system.fs: encrypted = var.encrypt (unknown here)']);
    expect(await severities('tf-aws-storage-unencrypted', files)).toEqual(['tf:aws_efs_file_system.fs:low']);
  });
});

describe('cross-file and cross-resource reading', () => {
  test('a policy document in another file of the module is read through statementsFrom, reported once on the document', async () => {
    const files = {
      'iam/policy.tf': 'resource "aws_iam_policy" "p" {\n  policy = data.aws_iam_policy_document.d.json\n}\n',
      'iam/docs.tf': 'data "aws_iam_policy_document" "d" {\n  statement {\n    actions   = ["iam:PassRole"]\n    resources = ["*"]\n  }\n}\n',
    };
    expect(await run('tf-aws-iam-passrole', files)).toEqual(['tf:iam//data.aws_iam_policy_document.d iam/docs.tf:2 data.aws_iam_policy_document.d statement 0: Allow iam:PassRole on Resource "*"']);
  });

  test('a trust policy document in another file is found for the role', async () => {
    const files = {
      'role.tf': 'resource "aws_iam_role" "r" {\n  assume_role_policy = data.aws_iam_policy_document.trust.json\n}\n',
      'trust.tf': 'data "aws_iam_policy_document" "trust" {\n  statement {\n    actions = ["sts:AssumeRole"]\n    principals {\n      type        = "AWS"\n      identifiers = ["*"]\n    }\n  }\n}\n',
    };
    expect(await run('tf-aws-iam-assumable-by-anyone', files)).toEqual(['tf:aws_iam_role.r trust.tf:2 aws_iam_role.r: trust policy allows Principal "*" without conditions']);
  });

  test('satellites in other files are found by reference', async () => {
    const files = {
      'bucket.tf': 'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n',
      'pab.tf': 'resource "aws_s3_bucket_public_access_block" "b" {\n  bucket              = aws_s3_bucket.b.id\n  block_public_acls   = true\n  block_public_policy = true\n  ignore_public_acls  = true\n}\n',
    };
    expect(await run('tf-aws-s3-no-public-access-block', files)).toEqual(['tf:aws_s3_bucket.b pab.tf:1 aws_s3_bucket_public_access_block.b: restrict_public_buckets not true']);
  });

  test('a dead-letter queue is not asked for its own dead-letter queue', async () => {
    const files = {
      'main.tf': 'resource "aws_sqs_queue" "work" {\n  redrive_policy = jsonencode({ deadLetterTargetArn = aws_sqs_queue.failed.arn, maxReceiveCount = 3 })\n}\nresource "aws_sqs_queue" "failed" {\n  message_retention_seconds = 1209600\n}\n',
    };
    expect(await run('tf-aws-sqs-no-dlq', files)).toEqual([]);
  });
});

describe('CloudTrail', () => {
  test('no trail anywhere: reported once on the default aws provider, at low severity', async () => {
    const files = { 'main.tf': 'provider "aws" {\n  region = "eu-west-1"\n}\nprovider "aws" {\n  alias  = "us"\n  region = "us-east-1"\n}\nresource "aws_s3_bucket" "b" {}\n' };
    expect(await run('tf-aws-cloudtrail-missing-or-no-validation', files)).toEqual(['tf:provider.aws main.tf:1 provider "aws" is configured but no aws_cloudtrail is declared in the analysed files']);
    expect(await severities('tf-aws-cloudtrail-missing-or-no-validation', files)).toEqual(['tf:provider.aws:low']);
  });

  test('a trail with logging switched off', async () => {
    const files = { 'main.tf': 'resource "aws_cloudtrail" "t" {\n  name                       = "t"\n  s3_bucket_name             = "logs"\n  enable_log_file_validation = true\n  enable_logging             = false\n}\n' };
    expect(await run('tf-aws-cloudtrail-missing-or-no-validation', files)).toEqual(['tf:aws_cloudtrail.t main.tf:5 aws_cloudtrail.t: enable_logging = false (the trail records nothing)']);
  });
});

describe('open ingress family', () => {
  test('all ports and unknown ports', async () => {
    const files = {
      'main.tf': [
        'resource "aws_security_group" "open" {',
        '  ingress {',
        '    from_port   = 0',
        '    to_port     = 0',
        '    protocol    = "-1"',
        '    cidr_blocks = ["0.0.0.0/0"]',
        '  }',
        '  ingress {',
        '    from_port   = var.port',
        '    to_port     = var.port',
        '    protocol    = "tcp"',
        '    cidr_blocks = ["0.0.0.0/0"]',
        '  }',
        '}',
      ].join('\n'),
    };
    expect(await run('tf-aws-sg-open-admin-or-db-port', files)).toEqual([
      'tf:aws_security_group.open main.tf:2 0.0.0.0/0 may reach all ports over all',
      'tf:aws_security_group.open main.tf:8 0.0.0.0/0 may reach ports that are not literal (tcp)',
    ]);
  });
});

describe('IAM wildcard', () => {
  test('service wildcards, NotAction and write actions on "*" are graded', async () => {
    const files = {
      'main.tf': [
        'resource "aws_iam_policy" "p" {',
        '  policy = jsonencode({',
        '    Version = "2012-10-17"',
        '    Statement = [',
        '      { Effect = "Allow", Action = "s3:*", Resource = "*" },',
        '      { Effect = "Allow", NotAction = "iam:*", Resource = "*" },',
        '      { Effect = "Allow", Action = ["sqs:SendMessage"], Resource = "*" },',
        '      { Effect = "Allow", Action = ["ec2:DescribeInstances"], Resource = "*" },',
        '      { Effect = "Deny", Action = "*", Resource = "*" },',
        '    ]',
        '  })',
        '}',
      ].join('\n'),
    };
    expect(await run('tf-aws-iam-wildcard', files)).toEqual([
      'tf:aws_iam_policy.p main.tf:5 aws_iam_policy.p statement 0: Allow s3:* on Resource "*"',
      'tf:aws_iam_policy.p main.tf:6 aws_iam_policy.p statement 1: Allow with NotAction iam:*: everything else is granted',
      'tf:aws_iam_policy.p main.tf:7 aws_iam_policy.p statement 2: Allow sqs:SendMessage on Resource "*"',
    ]);
  });
});

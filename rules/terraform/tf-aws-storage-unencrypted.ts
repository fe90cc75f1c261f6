import type { Rule, RuleHit } from '../../src/model/graph.js';
import type { Severity } from '../../src/model/types.js';
import type { Element } from '../../src/model/types.js';
import { asBool, getPath, isExpr, show } from '../../src/ingest/terraform/index.js';
import { at, resources, valuesOf } from './tf-helpers.js';

/** Checkov-style table: one row per resource type, the attribute that turns encryption at rest on, and its default. */
interface Check {
  type: string;
  path: string;
  /** Provider default when the attribute is absent. */
  whenAbsent: boolean;
  /** Attributes whose presence means the storage inherits encryption from elsewhere (replicas, snapshots). */
  inherits?: string[];
  /** Skip the check when this returns true (e.g. serverless clusters are always encrypted). */
  exempt?: (v: Record<string, unknown>) => boolean;
  severity?: Severity;
  note?: string;
}

const CHECKS: Check[] = [
  { type: 'aws_db_instance', path: 'storage_encrypted', whenAbsent: false, inherits: ['replicate_source_db', 'snapshot_identifier'] },
  { type: 'aws_rds_cluster', path: 'storage_encrypted', whenAbsent: false, inherits: ['replication_source_identifier', 'snapshot_identifier', 'global_cluster_identifier'], exempt: (v) => v.engine_mode === 'serverless' },
  { type: 'aws_docdb_cluster', path: 'storage_encrypted', whenAbsent: false, inherits: ['snapshot_identifier'] },
  { type: 'aws_neptune_cluster', path: 'storage_encrypted', whenAbsent: false, inherits: ['snapshot_identifier'] },
  { type: 'aws_redshift_cluster', path: 'encrypted', whenAbsent: false, inherits: ['snapshot_identifier'] },
  { type: 'aws_ebs_volume', path: 'encrypted', whenAbsent: false, inherits: ['snapshot_id'] },
  { type: 'aws_efs_file_system', path: 'encrypted', whenAbsent: false },
  { type: 'aws_elasticache_replication_group', path: 'at_rest_encryption_enabled', whenAbsent: false },
  { type: 'aws_opensearch_domain', path: 'encrypt_at_rest.0.enabled', whenAbsent: false },
  { type: 'aws_elasticsearch_domain', path: 'encrypt_at_rest.0.enabled', whenAbsent: false },
  { type: 'aws_instance', path: 'root_block_device.0.encrypted', whenAbsent: false },
  {
    type: 'aws_dynamodb_table',
    path: 'server_side_encryption.0.enabled',
    whenAbsent: false,
    severity: 'low',
    note: 'encrypted only with an AWS-owned key (no customer-managed KMS key)',
  },
];

const EBS_TYPES = new Set(['aws_ebs_volume', 'aws_instance']);

export const rule: Rule = {
  meta: {
    id: 'tf-aws-storage-unencrypted',
    title: 'Data store without encryption at rest',
    stride: ['I'],
    severity: 'medium',
    rationale:
      'Unencrypted volumes, databases, caches and their snapshots can be read by anyone who obtains a copy: a shared or leaked snapshot, a mis-scoped backup, or storage media access. Encryption with KMS also makes every decryption an audited, revocable permission.',
    mitigation:
      'Turn encryption on at creation (storage_encrypted, encrypted, at_rest_encryption_enabled, encrypt_at_rest) with a customer-managed KMS key; existing resources need a snapshot-copy-restore with encryption. Enable aws_ebs_encryption_by_default for EBS.',
    references: ['CWE-311', 'CWE-312', 'https://docs.aws.amazon.com/kms/latest/developerguide/service-integration.html'],
    inputs: ['terraform'],
    detection:
      'One table of (resource type, encryption attribute, provider default): RDS instances and clusters, DocumentDB, Neptune, Redshift, EBS volumes, EC2 root volumes, EFS, ElastiCache replication groups, OpenSearch/Elasticsearch domains and DynamoDB tables (customer-managed key, low). Absent attributes take the provider default (off). Replicas and resources restored from snapshots inherit encryption and are skipped; EBS checks are skipped when aws_ebs_encryption_by_default is enabled. An expression lowers the severity to low.',
    falsePositives: 'Account-level EBS default encryption configured outside the analysed files; Redshift clusters created after AWS turned encryption on by default.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    const ebsByDefault = resources(ctx.graph, 'aws_ebs_encryption_by_default').some((e) => asBool(valuesOf(e).enabled) !== false);
    for (const c of CHECKS) {
      if (ebsByDefault && EBS_TYPES.has(c.type)) continue;
      for (const e of resources(ctx.graph, c.type)) {
        const v = valuesOf(e);
        if (c.inherits?.some((a) => v[a] !== undefined) || c.exempt?.(v)) continue;
        const raw = getPath(v, c.path);
        const on = asBool(raw);
        if (on === true || (on === undefined && c.whenAbsent)) continue;
        hits.push(finding(e, c, raw, on));
      }
    }
    return hits;
  },
};

function finding(e: Element, c: Check, raw: unknown, on: boolean | 'unknown' | undefined): RuleHit {
  const state = on === undefined ? 'not set (default off)' : on === false ? 'false' : `${show(raw)} (unknown here)`;
  const evidence = `${e.name}: ${c.path} ${on === undefined ? 'is ' : '= '}${state}${c.note ? `; ${c.note}` : ''}`;
  const severity: Severity | undefined = on === 'unknown' || isExpr(raw) ? 'low' : c.severity;
  return { element: e.id, location: at(e, c.path), evidence, ...(severity ? { severity } : {}) };
}

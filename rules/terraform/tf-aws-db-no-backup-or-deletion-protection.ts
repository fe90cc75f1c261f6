import type { Rule, RuleHit } from '../../src/model/graph.js';
import { asBool, asNumber, isExpr, show } from '../../src/ingest/terraform/index.js';
import { at, resources, valuesOf } from './tf-helpers.js';

const TYPES = ['aws_db_instance', 'aws_rds_cluster', 'aws_docdb_cluster', 'aws_neptune_cluster'];

export const rule: Rule = {
  meta: {
    id: 'tf-aws-db-no-backup-or-deletion-protection',
    title: 'Database without automated backups or deletion protection',
    stride: ['D', 'T'],
    severity: 'medium',
    rationale:
      'With backup_retention_period = 0 there are no automated backups or point-in-time recovery: corruption, ransomware-style deletion of rows, or a bad migration cannot be rolled back. Without deletion_protection a single terraform destroy, a renamed resource or a compromised role deletes the database outright.',
    mitigation: 'Set backup_retention_period to at least 7 days, deletion_protection = true, and skip_final_snapshot = false; protect backups with AWS Backup vault lock for critical data.',
    references: ['CWE-693', 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.html'],
    inputs: ['terraform'],
    detection:
      'aws_db_instance, aws_rds_cluster, aws_docdb_cluster and aws_neptune_cluster with backup_retention_period = 0 (qualifier backup), or deletion_protection false or unset (qualifier deletion-protection). Read replicas are not checked for backups. Expressions lower the severity to low.',
    falsePositives: 'Disposable test databases; backups taken by AWS Backup plans the check does not read.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const e of resources(ctx.graph, TYPES)) {
      const v = valuesOf(e);
      const retention = v.backup_retention_period;
      if (v.replicate_source_db === undefined) {
        if (asNumber(retention) === 0) hits.push({ element: e.id, qualifier: 'backup', location: at(e, 'backup_retention_period'), evidence: `${e.name}: backup_retention_period = 0 (no automated backups)` });
        else if (isExpr(retention)) hits.push({ element: e.id, qualifier: 'backup', location: at(e, 'backup_retention_period'), severity: 'low', evidence: `${e.name}: backup_retention_period = ${show(retention)} (unknown here)` });
      }
      const dp = asBool(v.deletion_protection);
      if (dp === true) continue;
      const state = dp === undefined ? 'not set (default false)' : dp === false ? '= false' : `= ${show(v.deletion_protection)} (unknown here)`;
      const finalSnapshot = asBool(v.skip_final_snapshot) === true ? '; skip_final_snapshot = true' : '';
      hits.push({ element: e.id, qualifier: 'deletion-protection', location: at(e, 'deletion_protection'), evidence: `${e.name}: deletion_protection ${state}${finalSnapshot}`, ...(dp === 'unknown' ? { severity: 'low' as const } : {}) });
    }
    return hits;
  },
};

import type { Rule, RuleHit } from '../../src/model/graph.js';
import { asBool, isExpr, show } from '../../src/ingest/terraform/index.js';
import { at, resources, valuesOf } from './tf-helpers.js';

export const rule: Rule = {
  meta: {
    id: 'tf-aws-db-publicly-accessible',
    title: 'Database instance with a public endpoint',
    stride: ['I'],
    severity: 'high',
    rationale:
      'publicly_accessible = true gives the database a public DNS name and IP. Only its security group then stands between the internet and the database login: password spraying, credential reuse and database-engine vulnerabilities become directly exploitable.',
    mitigation: 'Set publicly_accessible = false, place the instance in private subnets (db subnet group without an internet gateway route), and reach it from the application tier or through a bastion / SSM port forwarding.',
    references: ['CWE-284', 'CWE-668', 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html'],
    inputs: ['terraform'],
    detection: 'aws_db_instance, aws_rds_cluster_instance, aws_redshift_cluster, aws_dms_replication_instance and aws_mq_broker with publicly_accessible = true; when the value is an expression the finding is kept at medium severity.',
    falsePositives: 'A security group that only admits a few fixed addresses reduces but does not remove the exposure.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const e of resources(ctx.graph, ['aws_db_instance', 'aws_rds_cluster_instance', 'aws_redshift_cluster', 'aws_dms_replication_instance', 'aws_mq_broker'])) {
      const v = valuesOf(e).publicly_accessible;
      const b = asBool(v);
      if (b === true) hits.push({ element: e.id, location: at(e, 'publicly_accessible'), evidence: `${e.name}: publicly_accessible = true` });
      else if (b === 'unknown' && isExpr(v)) hits.push({ element: e.id, location: at(e, 'publicly_accessible'), severity: 'medium', evidence: `${e.name}: publicly_accessible = ${show(v)} (unknown here)` });
    }
    return hits;
  },
};

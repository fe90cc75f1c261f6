import type { Rule } from '../../src/model/graph.js';
import { rule as awsAlbNoAccessLogs } from './tf-aws-alb-no-access-logs.js';
import { rule as awsApigwNoAuthorization } from './tf-aws-apigw-no-authorization.js';
import { rule as awsApigwStageNoLoggingOrThrottling } from './tf-aws-apigw-stage-no-logging-or-throttling.js';
import { rule as awsCloudtrailMissingOrNoValidation } from './tf-aws-cloudtrail-missing-or-no-validation.js';
import { rule as awsDbNoBackupOrDeletionProtection } from './tf-aws-db-no-backup-or-deletion-protection.js';
import { rule as awsDbPubliclyAccessible } from './tf-aws-db-publicly-accessible.js';
import { rule as awsIamAssumableByAnyone } from './tf-aws-iam-assumable-by-anyone.js';
import { rule as awsIamPassrole } from './tf-aws-iam-passrole.js';
import { rule as awsIamWildcard } from './tf-aws-iam-wildcard.js';
import { rule as awsLambdaNoReservedConcurrencyPublic } from './tf-aws-lambda-no-reserved-concurrency-public.js';
import { rule as awsLbPlainHttpListener } from './tf-aws-lb-plain-http-listener.js';
import { rule as awsQueuePolicyOpen } from './tf-aws-queue-policy-open.js';
import { rule as awsQueueUnencrypted } from './tf-aws-queue-unencrypted.js';
import { rule as awsS3NoAccessLogging } from './tf-aws-s3-no-access-logging.js';
import { rule as awsS3NoPublicAccessBlock } from './tf-aws-s3-no-public-access-block.js';
import { rule as awsS3PublicAccess } from './tf-aws-s3-public-access.js';
import { rule as awsS3Unencrypted } from './tf-aws-s3-unencrypted.js';
import { rule as awsSgOpenAdminOrDbPort } from './tf-aws-sg-open-admin-or-db-port.js';
import { rule as awsSqsNoDlq } from './tf-aws-sqs-no-dlq.js';
import { rule as awsStorageUnencrypted } from './tf-aws-storage-unencrypted.js';
import { rule as azureNsgOpen } from './tf-azure-nsg-open.js';
import { rule as azureOwnerRoleAssignment } from './tf-azure-owner-role-assignment.js';
import { rule as azureSqlFirewallOpen } from './tf-azure-sql-firewall-open.js';
import { rule as azureStoragePublic } from './tf-azure-storage-public.js';
import { rule as gcpBucketPublic } from './tf-gcp-bucket-public.js';
import { rule as gcpFirewallOpen } from './tf-gcp-firewall-open.js';
import { rule as gcpPrimitiveRole } from './tf-gcp-primitive-role.js';
import { rule as gcpSqlPublic } from './tf-gcp-sql-public.js';

/** Terraform rules (AWS, GCP, Azure). One file per rule; families share tf-open-ingress.ts. */
export const terraformRules: Rule[] = [
  awsAlbNoAccessLogs,
  awsApigwNoAuthorization,
  awsApigwStageNoLoggingOrThrottling,
  awsCloudtrailMissingOrNoValidation,
  awsDbNoBackupOrDeletionProtection,
  awsDbPubliclyAccessible,
  awsIamAssumableByAnyone,
  awsIamPassrole,
  awsIamWildcard,
  awsLambdaNoReservedConcurrencyPublic,
  awsLbPlainHttpListener,
  awsQueuePolicyOpen,
  awsQueueUnencrypted,
  awsS3NoAccessLogging,
  awsS3NoPublicAccessBlock,
  awsS3PublicAccess,
  awsS3Unencrypted,
  awsSgOpenAdminOrDbPort,
  awsSqsNoDlq,
  awsStorageUnencrypted,
  azureNsgOpen,
  azureOwnerRoleAssignment,
  azureSqlFirewallOpen,
  azureStoragePublic,
  gcpBucketPublic,
  gcpFirewallOpen,
  gcpPrimitiveRole,
  gcpSqlPublic,
];

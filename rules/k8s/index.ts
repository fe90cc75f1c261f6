import type { Rule } from '../../src/model/graph.js';
import { rule as addedCapabilities } from './k8s-added-capabilities.js';
import { rule as automountTokenWithRbac } from './k8s-automount-token-with-rbac.js';
import { rule as clusterAdminBinding } from './k8s-cluster-admin-binding.js';
import { rule as hostNamespace } from './k8s-host-namespace.js';
import { rule as hostpathMount } from './k8s-hostpath-mount.js';
import { rule as imageWithoutDigest } from './k8s-image-without-digest-untrusted-registry.js';
import { rule as ingressWithoutTls } from './k8s-ingress-without-tls.js';
import { rule as literalCredentialEnv } from './k8s-literal-credential-env.js';
import { rule as networkpolicyAllowAll } from './k8s-networkpolicy-allow-all.js';
import { rule as networkpolicySelectsNothing } from './k8s-networkpolicy-selects-nothing.js';
import { rule as noAuditTrail } from './k8s-no-audit-trail-privileged-workload.js';
import { rule as noMtlsCrossNamespace } from './k8s-no-mtls-cross-namespace.js';
import { rule as noNetworkpolicyDatastore } from './k8s-no-networkpolicy-datastore-namespace.js';
import { rule as noResourceLimits } from './k8s-no-resource-limits.js';
import { rule as privilegedContainer } from './k8s-privileged-container.js';
import { rule as rbacPodExec } from './k8s-rbac-pod-exec.js';
import { rule as rbacSecretsRead } from './k8s-rbac-secrets-read.js';
import { rule as rbacWildcard } from './k8s-rbac-wildcard.js';
import { rule as runAsRoot } from './k8s-run-as-root.js';
import { rule as sharedServiceAccount } from './k8s-shared-service-account.js';
import { rule as singleReplicaInternetFacing } from './k8s-single-replica-internet-facing.js';
import { rule as writableRootFs } from './k8s-writable-root-fs.js';

/** Kubernetes rules (attributes: src/ingest/k8s/README.md). Each has fixtures in test/fixtures/rules/<id>/. */
export const k8sRules: Rule[] = [
  privilegedContainer,
  hostNamespace,
  hostpathMount,
  runAsRoot,
  addedCapabilities,
  writableRootFs,
  noResourceLimits,
  singleReplicaInternetFacing,
  imageWithoutDigest,
  literalCredentialEnv,
  clusterAdminBinding,
  rbacWildcard,
  rbacSecretsRead,
  rbacPodExec,
  automountTokenWithRbac,
  sharedServiceAccount,
  ingressWithoutTls,
  noNetworkpolicyDatastore,
  networkpolicySelectsNothing,
  networkpolicyAllowAll,
  noAuditTrail,
  noMtlsCrossNamespace,
];

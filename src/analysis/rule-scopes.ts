/**
 * What each built-in rule's findings depend on, so a derived (incremental)
 * analysis can re-run a rule over the part of the graph a change can affect
 * and carry the base's other findings over (src/engine/findings.ts,
 * src/analysis/scope.ts). Kept out of the rule files on purpose: the table
 * is the incremental engine's claim about the rules, checked by the property
 * tests in test/engine, not part of a rule's contract.
 *
 * Every scope also covers the inputs of risk rating (src/analysis/risk.ts):
 * the hit element's own object, incoming edges, internet reachability and
 * attack-path exposure. Elements whose rating inputs changed are "seeds" like
 * changed elements.
 *
 * Hits landing on another element than the one iterated (a queue policy
 * reporting on its queue) or elements matched by literal name in any folder
 * (an S3 block naming its bucket `"logs"`) keep a rule `local` when both
 * share a group: `tf-directory` (references resolve within a directory),
 * `tf-bucket-name`, `tf-stage-name`. Groups and classes that must agree with
 * a rule's own comparison (`openapi-path`, `k8s-audit`,
 * `k8s-service-account`) use the rule's exported internals, or for the
 * account key a copy (`MIRRORED` in src/analysis/scope.ts), which
 * test/engine/rule-scopes.test.ts compares with the rule's source. No
 * built-in rule is `domain` any more; the kind stays for rules whose reading
 * no group describes.
 *
 * A rule missing from the table is treated as `graph` (run in full every
 * time): a wrong scope silently drops or keeps stale findings, a missing one
 * only costs time. test/engine/rule-scopes.test.ts fails when a built-in rule
 * has no entry, so a new rule gets classified when it is added.
 */

/** Classes of elements a scope can name. */
export type ElementClass =
  /** `k8s:` ids or types. */
  | 'k8s'
  /** `openapi:` ids or types. */
  | 'openapi'
  /** `tf:` ids. */
  | 'terraform'
  /** RBAC RoleBindings / ClusterRoleBindings (`attrs.binding`). */
  | 'k8s-binding'
  /** RBAC Roles and ClusterRoles. */
  | 'k8s-role'
  /** Istio PeerAuthentications (`policyKind: mtls`). */
  | 'k8s-mtls'
  /** Terraform `aws_cloudtrail` resources. */
  | 'tf-cloudtrail'
  /** Terraform `aws_ebs_encryption_by_default` resources. */
  | 'tf-ebs-default'
  /** Terraform `aws_s3_account_public_access_block` resources. */
  | 'tf-s3-account-block'
  /**
   * What makes k8s-no-audit-trail-privileged-workload quiet everywhere:
   * Kubernetes `Policy` objects (audit.k8s.io) and elements named after, or
   * running an image of, a runtime audit agent.
   */
  | 'k8s-audit';

/** Groups whose members a rule reads together. */
export type Grouping =
  /** Kubernetes elements of one namespace (`attrs.namespace`, else `default`). */
  | 'namespace'
  /** An OpenAPI document and its operations (`attrs.api`). */
  | 'api'
  /**
   * Terraform elements of one directory (`attrs.directory`: a module's
   * files). References resolve within a directory, so an element and
   * everything it reaches through `references` edges share one.
   */
  | 'tf-directory'
  /**
   * Terraform elements, in any directory, carrying one literal `bucket`
   * string: an S3 bucket and the satellites naming it by that literal
   * (`aws_s3_bucket_public_access_block { bucket = "logs" }`).
   */
  | 'tf-bucket-name'
  /** The same for a literal `stage_name`: a REST API stage and method settings naming it. */
  | 'tf-stage-name'
  /**
   * OpenAPI operations, across APIs, whose paths are equal once version
   * segments are dropped and parameters unnamed (`/v1/users/{id}` and
   * `/users/{userId}`): a superset of what openapi-inconsistent-security
   * compares (the same path within APIs whose titles differ by a version).
   */
  | 'openapi-path'
  /**
   * Kubernetes workloads by the account they run as (`namespace/name`) and
   * bindings under every account they name (`attrs.serviceAccounts`): a
   * binding is in several groups.
   */
  | 'k8s-service-account';

export type RuleScope =
  /** Anything anywhere: run over the whole graph every time. */
  | { kind: 'graph' }
  /**
   * Reads only elements of these classes (and their rating): run over the
   * whole graph when a seed belongs to one, else keep every base finding.
   */
  | { kind: 'domain'; domains: readonly ElementClass[] }
  /**
   * A hit on X depends on X (object, incident edges, zone, rating), plus:
   * `neighbours` — X's one-hop neighbours (objects, zones, reachability);
   * `groups` — every member of X's groups (and, with `neighbours`, the
   * neighbours of those members: a satellite's policy document);
   * `include` — every element of these classes is iterated as context
   * (a rule reading all bindings, all PeerAuthentications);
   * `fullWhen` — a seed of one of these classes makes the rule run in full.
   * Hits on X are produced while iterating X or a member of X's groups
   * (a queue policy reporting on its queue, in the queue's directory).
   */
  | { kind: 'local'; neighbours?: boolean; groups?: readonly Grouping[]; include?: readonly ElementClass[]; fullWhen?: readonly ElementClass[] };

const ELEMENT: RuleScope = { kind: 'local' };
const NEIGHBOURS: RuleScope = { kind: 'local', neighbours: true };
const NAMESPACE: RuleScope = { kind: 'local', groups: ['namespace'] };
const API: RuleScope = { kind: 'local', groups: ['api'] };
const TF_DIRECTORY: RuleScope = { kind: 'local', groups: ['tf-directory'] };
const S3: RuleScope = { kind: 'local', neighbours: true, groups: ['tf-directory', 'tf-bucket-name'] };
const S3_ACCOUNT: RuleScope = { ...S3, include: ['tf-s3-account-block'], fullWhen: ['tf-s3-account-block'] };

export const RULE_SCOPES: Readonly<Record<string, RuleScope>> = {
  // Every attack path: global.
  'graph-attack-path': { kind: 'graph' },
  // One crossing = one edge, its two ends' zones and names, the target's namespace; hit on the target.
  'graph-plaintext-crossing': NEIGHBOURS,
  'graph-unauthenticated-crossing': NEIGHBOURS,

  'k8s-added-capabilities': ELEMENT,
  // The workload, its ServiceAccount (same namespace), every binding naming it and the bound roles.
  'k8s-automount-token-with-rbac': { kind: 'local', groups: ['namespace'], include: ['k8s-binding'], fullWhen: ['k8s-binding', 'k8s-role'] },
  // A binding, and the reachability of the workloads running as the accounts it names.
  'k8s-cluster-admin-binding': { kind: 'local', groups: ['k8s-service-account'] },
  'k8s-host-namespace': ELEMENT,
  'k8s-hostpath-mount': ELEMENT,
  'k8s-image-without-digest-untrusted-registry': ELEMENT,
  'k8s-ingress-without-tls': ELEMENT,
  'k8s-literal-credential-env': ELEMENT,
  // A policy against the workloads of its namespace (and their reachability).
  'k8s-networkpolicy-allow-all': NAMESPACE,
  'k8s-networkpolicy-selects-nothing': NAMESPACE,
  // A workload or binding on its own, unless an audit agent or audit policy exists anywhere.
  'k8s-no-audit-trail-privileged-workload': { kind: 'local', include: ['k8s-audit'], fullWhen: ['k8s-audit'] },
  // A calls edge, both ends, the target Service's selected pods, and PeerAuthentications (mesh-wide ones anywhere).
  'k8s-no-mtls-cross-namespace': { kind: 'local', neighbours: true, include: ['k8s-mtls'], fullWhen: ['k8s-mtls'] },
  // A data-store workload against the NetworkPolicies of its namespace.
  'k8s-no-networkpolicy-datastore-namespace': NAMESPACE,
  // LimitRange defaults of the namespace.
  'k8s-no-resource-limits': NAMESPACE,
  'k8s-privileged-container': ELEMENT,
  'k8s-rbac-pod-exec': ELEMENT,
  'k8s-rbac-secrets-read': ELEMENT,
  'k8s-rbac-wildcard': ELEMENT,
  'k8s-run-as-root': ELEMENT,
  // Workloads sharing an account (one namespace), the account, and bindings naming it from anywhere.
  'k8s-shared-service-account': { kind: 'local', groups: ['namespace'], include: ['k8s-binding'], fullWhen: ['k8s-binding'] },
  // HorizontalPodAutoscalers of the namespace.
  'k8s-single-replica-internet-facing': NAMESPACE,
  'k8s-writable-root-fs': ELEMENT,

  // Operations are labelled with their API's title and read its extensions; API hits read its operations.
  'openapi-api-key-in-query': API,
  'openapi-basic-auth': API,
  'openapi-bola-id-parameter': API,
  // Operations of one path across APIs whose titles differ only by a version; an API's title through its `serves` edges.
  'openapi-inconsistent-security': { kind: 'local', neighbours: true, groups: ['openapi-path'] },
  'openapi-mass-assignment': API,
  'openapi-missing-pagination': API,
  'openapi-no-correlation-id': API,
  'openapi-no-rate-limit': API,
  'openapi-oauth-implicit-flow': API,
  'openapi-plain-http-server': API,
  'openapi-sensitive-response-fields': API,
  'openapi-ssrf-url-field': API,
  'openapi-unauthenticated-operation': API,
  'openapi-unbounded-input': API,
  'openapi-verbose-errors': API,

  'tf-aws-alb-no-access-logs': ELEMENT,
  // The method's REST API through its `references` edge.
  'tf-aws-apigw-no-authorization': NEIGHBOURS,
  // Method settings and usage plans through `references` edges, method settings by literal stage name anywhere.
  'tf-aws-apigw-stage-no-logging-or-throttling': { kind: 'local', neighbours: true, groups: ['tf-stage-name'] },
  // Trails on their own; providers only when no trail exists anywhere.
  'tf-aws-cloudtrail-missing-or-no-validation': { kind: 'local', include: ['tf-cloudtrail'], fullWhen: ['tf-cloudtrail'] },
  'tf-aws-db-no-backup-or-deletion-protection': ELEMENT,
  'tf-aws-db-publicly-accessible': ELEMENT,
  // Trust policy from a policy document of the same directory.
  'tf-aws-iam-assumable-by-anyone': TF_DIRECTORY,
  'tf-aws-iam-passrole': ELEMENT,
  'tf-aws-iam-wildcard': ELEMENT,
  'tf-aws-lambda-no-reserved-concurrency-public': ELEMENT,
  // The listener's load balancer through its `references` edge.
  'tf-aws-lb-plain-http-listener': NEIGHBOURS,
  // Hits land on the queue or topic a policy resource references, and documents are looked up, in its directory.
  'tf-aws-queue-policy-open': TF_DIRECTORY,
  'tf-aws-queue-unencrypted': ELEMENT,
  // Satellites through `references` edges (the bucket's directory) or by literal bucket name anywhere,
  // their policy documents (a satellite's neighbours, in its directory); account-level blocks anywhere.
  'tf-aws-s3-no-access-logging': S3,
  'tf-aws-s3-no-public-access-block': S3_ACCOUNT,
  'tf-aws-s3-public-access': S3_ACCOUNT,
  'tf-aws-s3-unencrypted': S3,
  'tf-aws-sg-open-admin-or-db-port': ELEMENT,
  // Redrive policies and dead-letter use through `references` edges.
  'tf-aws-sqs-no-dlq': NEIGHBOURS,
  // Per resource, unless account-wide EBS encryption by default exists anywhere.
  'tf-aws-storage-unencrypted': { kind: 'local', include: ['tf-ebs-default'], fullWhen: ['tf-ebs-default'] },
  'tf-azure-nsg-open': ELEMENT,
  'tf-azure-owner-role-assignment': ELEMENT,
  'tf-azure-sql-firewall-open': ELEMENT,
  'tf-azure-storage-public': ELEMENT,
  // Hits land on the bucket an IAM member or ACL references, in its directory.
  'tf-gcp-bucket-public': TF_DIRECTORY,
  'tf-gcp-firewall-open': ELEMENT,
  'tf-gcp-primitive-role': ELEMENT,
  'tf-gcp-sql-public': ELEMENT,
};

const GRAPH: RuleScope = { kind: 'graph' };

/** The scope of a rule; unknown rules (plugins, rules added without an entry) run in full. */
export function scopeOf(ruleId: string): RuleScope {
  return Object.prototype.hasOwnProperty.call(RULE_SCOPES, ruleId) ? RULE_SCOPES[ruleId]! : GRAPH;
}

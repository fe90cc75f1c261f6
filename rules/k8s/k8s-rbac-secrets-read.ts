import type { Rule, RuleHit } from '../../src/model/graph.js';
import { at, grants, ofType, rbacRules } from './helpers.js';

const READ = ['get', 'list', 'watch'];

export const rule: Rule = {
  meta: {
    id: 'k8s-rbac-secrets-read',
    title: 'RBAC role can read Secrets',
    stride: ['I', 'E'],
    severity: 'medium',
    rationale:
      'Reading Secrets yields database passwords, API keys, TLS keys and other ServiceAccounts’ tokens — a direct step to impersonating other workloads. `list` and `watch` return the values too, not just names.',
    mitigation: 'Mount the specific Secrets the workload needs instead of reading them through the API, or restrict the rule with `resourceNames`. Never grant cluster-wide Secret reads to application ServiceAccounts.',
    references: ['CWE-200', 'CWE-269', 'CWE-522', 'https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets'],
    inputs: ['k8s'],
    detection: 'Role and ClusterRole rules that grant get, list or watch (or `*`) on `secrets` (or `*`) in the core API group without `resourceNames`. High for ClusterRoles (all namespaces when bound with a ClusterRoleBinding).',
    falsePositives: 'Secret-syncing controllers (External Secrets, cert-manager, ingress controllers) need this; accept the finding for them.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const role of ofType(ctx, 'Role', 'ClusterRole')) {
      rbacRules(role).forEach((r, i) => {
        if (r.resourceNames.length > 0 || !grants(r, READ, 'secrets')) return;
        const cluster = role.type === 'k8s:ClusterRole';
        hits.push({
          element: role.id,
          qualifier: `rule-${i}`,
          location: at(role, `rules.${i}.resources`, `rules.${i}`),
          evidence: `${role.type.slice(4)} ${role.name} rule ${i} allows [${r.verbs.join(', ')}] on [${r.resources.join(', ')}]: Secret values are readable${cluster ? ' (ClusterRole: in every namespace when cluster-bound)' : ` in namespace ${String(role.attrs.namespace)}`}`,
          ...(cluster ? { severity: 'high' as const } : {}),
        });
      });
    }
    return hits;
  },
};

import type { Rule, RuleHit } from '../../src/model/graph.js';
import { at, ofType, workloads } from './helpers.js';

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

export const rule: Rule = {
  meta: {
    id: 'k8s-cluster-admin-binding',
    title: 'Subject bound to cluster-admin',
    stride: ['E'],
    severity: 'critical',
    rationale:
      'cluster-admin can do anything to any object: read every Secret, run privileged pods on any node, rewrite RBAC and admission webhooks. A ServiceAccount holding it turns any code execution in a pod that mounts its token into full cluster compromise; a broad group makes every member an admin.',
    mitigation:
      'Bind a Role with the verbs and resources the subject needs instead (in its own namespace where possible). Keep cluster-admin for break-glass human access through short-lived credentials.',
    references: ['CWE-269', 'CWE-250', 'CAPEC-122', 'https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles'],
    inputs: ['k8s'],
    detection:
      'ClusterRoleBindings and RoleBindings whose roleRef is the ClusterRole `cluster-admin`. Critical when a subject is a broad group (system:authenticated, system:unauthenticated, system:serviceaccounts) or a ServiceAccount used by a workload reachable from the internet.',
    falsePositives: 'Cluster bootstrap tooling (GitOps controllers, operators installing CRDs) sometimes needs it; accept the finding with the reason.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    const exposedAccounts = new Set(workloads(ctx).filter((w) => ctx.internetReachable.has(w.id)).map((w) => `${String(w.attrs.namespace)}/${String(w.attrs.serviceAccount)}`));
    for (const b of ofType(ctx, 'ClusterRoleBinding', 'RoleBinding')) {
      const ref = b.attrs.roleRef as { kind: string; name: string };
      if (ref?.kind !== 'ClusterRole' || ref.name !== 'cluster-admin') continue;
      const subjects = (b.attrs.subjects as Subject[]) ?? [];
      const broad = (b.attrs.broadGroups as string[]) ?? [];
      const exposed = ((b.attrs.serviceAccounts as string[]) ?? []).filter((s) => exposedAccounts.has(s));
      const who = subjects.map((s) => `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`).join(', ') || 'no subjects';
      hits.push({
        element: b.id,
        location: at(b, 'roleRef.name', 'roleRef'),
        evidence: `${b.type.slice(4)} ${b.name} grants cluster-admin${b.type === 'k8s:RoleBinding' ? ` in namespace ${String(b.attrs.namespace)}` : ''} to ${who}${exposed.length > 0 ? `; used by internet-reachable workloads (${exposed.join(', ')})` : ''}`,
        ...(broad.length > 0 || exposed.length > 0 ? { severity: 'critical' as const } : {}),
      });
    }
    return hits;
  },
};

import type { Rule, RuleHit } from '../../src/model/graph.js';
import type { Element } from '../../src/model/types.js';
import { at, describe, ofType, privilegedReasons, workloads } from './helpers.js';

/** Runtime security / audit agents whose presence in the analysed files means privileged activity is recorded (also the engine's `k8s-audit` class). */
export const AUDIT_AGENT = /(^|[/-])(falco|tetragon|tracee|sysdig|kubearmor|neuvector)([-:/]|$)/;

function hasAuditMarker(el: Element): boolean {
  const maps = [el.attrs.annotations, el.attrs.labels, el.attrs.podAnnotations].filter((m): m is Record<string, string> => typeof m === 'object' && m !== null);
  return maps.some((m) => Object.keys(m).some((k) => /audit/i.test(k)));
}

export const rule: Rule = {
  meta: {
    id: 'k8s-no-audit-trail-privileged-workload',
    title: 'Privileged workload or cluster-admin grant with no audit trail in view',
    stride: ['R'],
    severity: 'low',
    rationale:
      'Actions taken through a privileged pod (on the node) or a cluster-admin identity bypass the application’s own logging. Without API-server audit logging and runtime auditing, nobody can later tell who did what through them, and an attacker can deny or erase their actions.',
    mitigation:
      'Enable Kubernetes audit logging with a policy that records exec, secrets and RBAC changes at Request level or above, run a runtime audit agent (Falco, Tetragon, Tracee) on the nodes, and record where the trail lives with an annotation on the workload or binding (for example `threatdiff.io/audit-trail: "falco + gke audit logs"`).',
    references: ['CWE-778', 'CWE-223', 'https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/'],
    inputs: ['k8s'],
    detection:
      'Audit logging is configured on the API server, not in manifests, so the rule decides only from what manifests can show: a workload that is privileged, shares host namespaces or mounts a sensitive host path, or a binding to cluster-admin, is reported unless (a) it or its pod template carries an annotation or label whose key mentions `audit`, or (b) the analysed files contain an audit.k8s.io Policy or a runtime audit agent (a Falco, Tetragon, Tracee, Sysdig, KubeArmor or NeuVector workload). Medium when the workload is reachable from the internet.',
    falsePositives: 'Managed clusters (GKE, EKS, AKS) with control-plane audit logs and agents installed outside the repository: annotate the workloads, or accept the finding once per cluster.',
  },
  check(ctx) {
    const agent = workloads(ctx).some((w) => AUDIT_AGENT.test(w.name) || ((w.attrs.containers as { image: string }[]) ?? []).some((c) => AUDIT_AGENT.test(c.image)));
    const auditPolicy = ofType(ctx, 'Policy').some((e) => typeof e.attrs.apiVersion === 'string' && e.attrs.apiVersion.startsWith('audit.k8s.io/'));
    if (agent || auditPolicy) return [];
    const hits: RuleHit[] = [];
    for (const w of workloads(ctx)) {
      const reasons = privilegedReasons(w);
      if (reasons.length === 0 || hasAuditMarker(w)) continue;
      const exposed = ctx.internetReachable.has(w.id);
      hits.push({
        element: w.id,
        location: reasons[0]!.location,
        evidence: `${describe(w)} (${reasons.map((r) => r.reason).join(', ')}) has no audit annotation, and no audit policy or runtime audit agent is in the analysed files`,
        ...(exposed ? { severity: 'medium' as const } : {}),
      });
    }
    for (const b of ofType(ctx, 'ClusterRoleBinding', 'RoleBinding')) {
      if ((b.attrs.roleRef as { name?: string })?.name !== 'cluster-admin' || hasAuditMarker(b)) continue;
      hits.push({ element: b.id, location: at(b, 'roleRef.name', 'roleRef'), evidence: `${b.type.slice(4)} ${b.name} grants cluster-admin with no audit annotation, and no audit policy or runtime audit agent is in the analysed files` });
    }
    return hits;
  },
};

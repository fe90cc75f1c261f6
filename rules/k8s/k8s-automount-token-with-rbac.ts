import type { Rule, RuleHit } from '../../src/model/graph.js';
import { at, automountsToken, bindingsOf, describe, namespaceOf, podSpecPath, rbacRules, workloads } from './helpers.js';

export const rule: Rule = {
  meta: {
    id: 'k8s-automount-token-with-rbac',
    title: 'Pod mounts a ServiceAccount token that carries RBAC permissions',
    stride: ['E'],
    severity: 'medium',
    rationale:
      'Every container of the pod can read the mounted token at /var/run/secrets/kubernetes.io/serviceaccount. When the ServiceAccount is bound to roles, code execution in the pod (an RCE, a malicious dependency) becomes those Kubernetes API permissions.',
    mitigation:
      'Set `automountServiceAccountToken: false` on the pod (or the ServiceAccount) unless the application calls the Kubernetes API; when it does, give it a dedicated ServiceAccount bound to the narrowest Role, and use a projected token with a short lifetime and audience.',
    references: ['CWE-522', 'CWE-269', 'https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting'],
    inputs: ['k8s'],
    detection:
      'Workloads whose token is automounted (pod setting, else the ServiceAccount’s when it is in the analysed files, else the Kubernetes default: yes) and whose ServiceAccount is a subject of a RoleBinding or ClusterRoleBinding (directly or through system:serviceaccounts groups). High when a bound role has wildcards or is cluster-admin, or the workload is reachable from the internet.',
    falsePositives: 'Controllers and operators need their token; the finding is then about keeping their role minimal.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const w of workloads(ctx)) {
      if (!automountsToken(ctx, w)) continue;
      const sa = String(w.attrs.serviceAccount ?? 'default');
      const bindings = bindingsOf(ctx, namespaceOf(w), sa);
      if (bindings.length === 0) continue;
      const strong = bindings.some((b) => {
        const ref = b.attrs.roleRef as { kind: string; name: string };
        if (ref?.name === 'cluster-admin' || ref?.name === 'admin') return true;
        return rbacRules(ctx.graph.elements.get(String(b.attrs.roleId))).some((r) => r.verbs.includes('*') || r.resources.includes('*'));
      });
      const exposed = ctx.internetReachable.has(w.id);
      const spec = podSpecPath(w);
      hits.push({
        element: w.id,
        peer: `k8s:ServiceAccount/${namespaceOf(w)}/${sa}`,
        location: at(w, `${spec}.automountServiceAccountToken`, `${spec}.serviceAccountName`, `${spec}.serviceAccount`),
        evidence: `${describe(w)} mounts the token of ServiceAccount ${namespaceOf(w)}/${sa}, which ${bindings
          .map((b) => `${b.type.slice(4)} ${b.name} binds to ${(b.attrs.roleRef as { kind: string; name: string }).kind} ${(b.attrs.roleRef as { name: string }).name}`)
          .join('; ')}${exposed ? '; the workload is reachable from the internet' : ''}`,
        ...(strong || exposed ? { severity: 'high' as const } : {}),
      });
    }
    return hits;
  },
};

import type { Rule, RuleHit } from '../../src/model/graph.js';
import type { Element } from '../../src/model/types.js';
import { at, bindingsOf, describe, namespaceOf, podSpecPath, workloads } from './helpers.js';

export const rule: Rule = {
  meta: {
    id: 'k8s-shared-service-account',
    title: 'Several workloads share one ServiceAccount',
    stride: ['S'],
    severity: 'low',
    rationale:
      'The ServiceAccount is a workload’s identity for the Kubernetes API, for mesh mTLS principals and for cloud workload identity. Workloads sharing it are indistinguishable: any of them can act as the others, and authorization policies cannot tell them apart, so compromising the least important one yields the rights of the most privileged.',
    mitigation: 'Give each workload its own ServiceAccount (`serviceAccountName`), with `automountServiceAccountToken: false` unless it calls the API, and write RBAC and AuthorizationPolicies per ServiceAccount.',
    references: ['CWE-653', 'CWE-287', 'https://kubernetes.io/docs/concepts/security/service-accounts/'],
    inputs: ['k8s'],
    detection:
      'Workloads (excluding Jobs and CronJobs) that use the same ServiceAccount as another workload of the analysed files, the implicit `default` account included. Medium when that ServiceAccount has RBAC bindings or a cloud identity annotation.',
    falsePositives: 'Replicas of one application split into several Deployments (blue/green, canary) share an identity on purpose.',
  },
  check(ctx) {
    const bySa = new Map<string, Element[]>();
    for (const w of workloads(ctx)) {
      if (w.type === 'k8s:Job' || w.type === 'k8s:CronJob') continue;
      const key = `${namespaceOf(w)}/${String(w.attrs.serviceAccount ?? 'default')}`;
      const users = bySa.get(key);
      if (users) users.push(w);
      else bySa.set(key, [w]);
    }
    const hits: RuleHit[] = [];
    for (const [key, users] of bySa) {
      if (users.length < 2) continue;
      const [ns, name] = key.split('/') as [string, string];
      const saId = `k8s:ServiceAccount/${ns}/${name}`;
      const sa = ctx.graph.elements.get(saId);
      const powerful = bindingsOf(ctx, ns, name).length > 0 || sa?.attrs.cloudIdentity !== undefined;
      for (const w of users) {
        const others = users.filter((u) => u !== w).map((u) => u.name);
        const spec = podSpecPath(w);
        hits.push({
          element: w.id,
          peer: saId,
          location: at(w, `${spec}.serviceAccountName`, `${spec}.serviceAccount`),
          evidence: `${describe(w)} shares ServiceAccount ${key}${w.attrs.serviceAccountExplicit ? '' : ' (the namespace default, none set)'} with ${others.join(', ')}${powerful ? '; the account has RBAC bindings or a cloud identity' : ''}`,
          ...(powerful ? { severity: 'medium' as const } : {}),
        });
      }
    }
    return hits;
  },
};

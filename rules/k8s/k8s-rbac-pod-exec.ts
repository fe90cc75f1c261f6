import type { Rule, RuleHit } from '../../src/model/graph.js';
import { at, grants, ofType, rbacRules } from './helpers.js';

/** `create` is the documented verb; `get` also opened exec over websockets on older API servers. */
const EXEC_VERBS = ['create', 'get'];

export const rule: Rule = {
  meta: {
    id: 'k8s-rbac-pod-exec',
    title: 'RBAC role can exec into or attach to pods',
    stride: ['E'],
    severity: 'high',
    rationale:
      'pods/exec and pods/attach run commands inside other workloads: the holder gets their ServiceAccount tokens, mounted Secrets and network position. It is lateral movement granted by configuration.',
    mitigation: 'Remove pods/exec, pods/attach and pods/portforward from application roles; give them to humans through short-lived, audited access only.',
    references: ['CWE-269', 'CWE-250', 'CAPEC-122', 'https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks'],
    inputs: ['k8s'],
    detection: 'Role and ClusterRole rules covering `pods/exec` or `pods/attach` (explicitly, via `pods/*` or `*`) with the verb create, get or `*`, in the core API group.',
    falsePositives: 'Debugging tools and CI runners that exec into pods by design.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const role of ofType(ctx, 'Role', 'ClusterRole')) {
      rbacRules(role).forEach((r, i) => {
        const sub = ['pods/exec', 'pods/attach'].filter((s) => grants(r, EXEC_VERBS, s));
        if (sub.length === 0) return;
        hits.push({
          element: role.id,
          qualifier: `rule-${i}`,
          location: at(role, `rules.${i}.resources`, `rules.${i}`),
          evidence: `${role.type.slice(4)} ${role.name} rule ${i} allows [${r.verbs.join(', ')}] on [${r.resources.join(', ')}], which covers ${sub.join(' and ')}`,
        });
      });
    }
    return hits;
  },
};

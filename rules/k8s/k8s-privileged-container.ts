import type { Rule, RuleHit } from '../../src/model/graph.js';
import { at, containers, describe, workloads } from './helpers.js';

export const rule: Rule = {
  meta: {
    id: 'k8s-privileged-container',
    title: 'Privileged container',
    stride: ['E'],
    severity: 'high',
    rationale:
      'A privileged container runs with every Linux capability and full access to the host devices: whoever gets code execution in it (a vulnerable dependency, an injected command) owns the node, every pod on it and the credentials the kubelet holds.',
    mitigation:
      'Remove `securityContext.privileged: true`. Grant only the specific capability the workload needs (`capabilities.add`), or move node-level work to a vetted DaemonSet in a dedicated namespace; enforce the Pod Security "baseline" level on the namespace.',
    references: ['CWE-250', 'CWE-269', 'CAPEC-122', 'https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline'],
    inputs: ['k8s'],
    detection: 'Every container (init and ephemeral included) of a workload whose `securityContext.privileged` is `true`. Critical when the workload is reachable from the internet.',
    falsePositives: 'CNI plugins, storage drivers and node agents legitimately need privileged mode; accept the finding for those, ideally in a namespace reserved for them.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const w of workloads(ctx)) {
      for (const c of containers(w)) {
        if (!c.privileged) continue;
        const exposed = ctx.internetReachable.has(w.id);
        hits.push({
          element: w.id,
          qualifier: c.name,
          location: at(w, `${c.path}.securityContext.privileged`, c.path),
          evidence: `${describe(w)}: container ${c.name}${c.init ? ' (init)' : ''} runs privileged${exposed ? '; the workload is reachable from the internet' : ''}`,
          ...(exposed ? { severity: 'critical' as const } : {}),
        });
      }
    }
    return hits;
  },
};

import type { Rule, RuleHit } from '../../src/model/graph.js';
import { at, describe, namespaceOf, ofType, workloadsIn, workloadsMatching, type LabelSelector } from './helpers.js';

export const rule: Rule = {
  meta: {
    id: 'k8s-networkpolicy-selects-nothing',
    title: 'NetworkPolicy selects no workload',
    stride: ['T'],
    severity: 'medium',
    rationale:
      'A NetworkPolicy whose podSelector matches no pod protects nothing: a label typo or a renamed app silently removes the isolation the policy was written for, while reviewers believe the workload is protected.',
    mitigation: 'Fix the podSelector to match the workload’s pod template labels (`spec.template.metadata.labels`), or delete the stale policy.',
    references: ['CWE-284', 'CWE-697', 'https://kubernetes.io/docs/concepts/services-networking/network-policies/'],
    inputs: ['k8s'],
    detection:
      'NetworkPolicies with a non-empty podSelector that matches the pod labels of none of the workloads of the same namespace, when that namespace has at least one workload in the analysed files (otherwise the targets may simply live elsewhere).',
    falsePositives: 'Policies written ahead of the workload they protect, or for pods created by operators (their templates are not in the manifests).',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const p of ofType(ctx, 'NetworkPolicy')) {
      if (p.attrs.selectsAllPods !== false) continue;
      const ns = namespaceOf(p);
      const candidates = workloadsIn(ctx, ns);
      if (candidates.length === 0) continue;
      const sel = p.attrs.podSelector as LabelSelector;
      if (workloadsMatching(ctx, ns, sel).length > 0) continue;
      const wanted = [...Object.entries(sel.matchLabels).map(([k, v]) => `${k}=${v}`), ...sel.matchExpressions.map((e) => `${e.key} ${e.operator} (${e.values.join(',')})`)].join(', ');
      hits.push({
        element: p.id,
        location: at(p, 'spec.podSelector'),
        evidence: `${describe(p)} selects ${wanted}, which matches none of the ${candidates.length} workloads of namespace ${ns} (${candidates.map((w) => w.name).slice(0, 5).join(', ')}${candidates.length > 5 ? ', …' : ''})`,
      });
    }
    return hits;
  },
};

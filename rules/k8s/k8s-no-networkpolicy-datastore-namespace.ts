import type { Rule, RuleHit } from '../../src/model/graph.js';
import { describe, namespaceOf, networkPolicies, podLabels, policySelects, workloads } from './helpers.js';

export const rule: Rule = {
  meta: {
    id: 'k8s-no-networkpolicy-datastore-namespace',
    title: 'Database or cache reachable by every pod (no NetworkPolicy isolates it)',
    stride: ['I', 'T'],
    severity: 'medium',
    rationale:
      'Kubernetes pods accept connections from every other pod by default. A database, cache or broker no NetworkPolicy isolates can be reached by any compromised pod of the cluster, which can then read or rewrite its data — often with credentials that sit in the same namespace.',
    mitigation:
      'Add a default-deny NetworkPolicy to the namespace (`podSelector: {}`, `policyTypes: [Ingress]`) and an allow rule for the data store that lists only its clients (`podSelector`/`namespaceSelector`) and port.',
    references: ['CWE-284', 'CWE-668', 'https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies'],
    inputs: ['k8s'],
    detection:
      'Workloads recognised as data stores or brokers (database images, names or ports: postgres, mysql, mongodb, redis, kafka...) for which no NetworkPolicy of the same namespace in the analysed files isolates ingress (a policy with Ingress in its policyTypes whose podSelector matches the pod labels). Calico/Cilium policies of the namespace count as isolation when they select the pods.',
    falsePositives: 'Policies kept in another directory or applied by a platform team (include them in the analysis), and clusters whose CNI enforces default-deny outside Kubernetes objects.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const w of workloads(ctx)) {
      if (w.kind !== 'datastore' && w.kind !== 'queue') continue;
      const ns = namespaceOf(w);
      const policies = networkPolicies(ctx, ns);
      const isolating = policies.filter((p) => policySelects(p, podLabels(w)) && (p.attrs.normalised === false || p.attrs.isolatesIngress === true));
      if (isolating.length > 0) continue;
      hits.push({
        element: w.id,
        location: w.location,
        evidence: `${describe(w)} (${String(w.attrs.engine ?? 'data store')}) is not isolated by any NetworkPolicy: ${policies.length === 0 ? `namespace ${ns} has none in the analysed files` : `none of the ${policies.length} policies of namespace ${ns} selects it for ingress`}`,
      });
    }
    return hits;
  },
};

import type { Rule, RuleContext, RuleHit } from '../../src/model/graph.js';
import type { Element } from '../../src/model/types.js';
import { at, describe, namespaceOf, ofType, workloadsIn, workloadsMatching, type LabelSelector } from './helpers.js';

/** The workloads of the namespace `policySelects` accepts, in graph order (through the label index). */
function selectedBy(ctx: RuleContext, p: Element, ns: string): readonly Element[] {
  const sel = p.attrs.podSelector as LabelSelector | undefined;
  if (!sel) return p.attrs.normalised === false ? workloadsIn(ctx, ns) : [];
  return workloadsMatching(ctx, ns, sel);
}

interface NetRule {
  anyPeer: boolean;
  anyPort: boolean;
  peerMatchesAll: boolean;
}

export const rule: Rule = {
  meta: {
    id: 'k8s-networkpolicy-allow-all',
    title: 'NetworkPolicy allows all traffic',
    stride: ['I'],
    severity: 'medium',
    rationale:
      'An allow-all rule (`ingress: [{}]`, a rule without `from`, `namespaceSelector: {}` or 0.0.0.0/0 on every port) re-opens what a default-deny closed: every pod of every namespace, and for ingress without `from` anything that can route to the pod, may connect.',
    mitigation: 'List the actual clients in `from` (podSelector / namespaceSelector) and the ports they use; keep allow-all only for workloads that are public by design, behind their Ingress.',
    references: ['CWE-284', 'CWE-923', 'https://kubernetes.io/docs/concepts/services-networking/network-policies/#allow-all-ingress-traffic'],
    inputs: ['k8s'],
    detection:
      'NetworkPolicies isolating ingress whose ingress rules include one that admits any peer on any port. High when the policy selects every pod of the namespace; low when every workload it selects is reachable from the internet anyway (a public frontend). Egress allow-all is reported (low) only for namespace-wide policies.',
    falsePositives: 'Public frontends and ingress controllers must accept traffic from anywhere; the finding is then informational.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const p of ofType(ctx, 'NetworkPolicy')) {
      const ns = namespaceOf(p);
      const allPods = p.attrs.selectsAllPods === true;
      const open = (rules: NetRule[] | undefined) => (rules ?? []).findIndex((r) => (r.anyPeer || r.peerMatchesAll) && r.anyPort);
      const i = p.attrs.isolatesIngress === true ? open(p.attrs.ingress as NetRule[]) : -1;
      if (i >= 0) {
        const selected = selectedBy(ctx, p, ns);
        const publicAnyway = selected.length > 0 && selected.every((w) => ctx.internetReachable.has(w.id));
        hits.push({
          element: p.id,
          qualifier: 'ingress',
          location: at(p, `spec.ingress.${i}`, 'spec.ingress'),
          evidence: `${describe(p)} ingress rule ${i} admits any source on any port for ${allPods ? 'every pod of the namespace' : selected.map((w) => w.name).join(', ') || 'its selected pods'}${publicAnyway ? ' (all internet-facing already)' : ''}`,
          severity: allPods ? 'high' : publicAnyway ? 'low' : 'medium',
        });
      }
      const e = allPods && p.attrs.isolatesEgress === true ? open(p.attrs.egress as NetRule[]) : -1;
      if (e >= 0) {
        hits.push({ element: p.id, qualifier: 'egress', location: at(p, `spec.egress.${e}`, 'spec.egress'), evidence: `${describe(p)} egress rule ${e} lets every pod of namespace ${ns} connect anywhere`, severity: 'low' });
      }
    }
    return hits;
  },
};

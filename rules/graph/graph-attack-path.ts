import type { Rule, RuleHit } from '../../src/model/graph.js';

export const rule: Rule = {
  meta: {
    id: 'graph-attack-path',
    title: 'Attack path from the internet to a sensitive element',
    stride: ['E', 'I'],
    severity: 'high',
    rationale:
      'Each hop alone may look harmless, but chained they let an attacker who compromises an internet-facing workload move to services it calls, use their identities and read the data or secrets they hold. A change that opens such a chain widens the blast radius of every bug in the entry point.',
    mitigation:
      'Break the chain at the cheapest link: a NetworkPolicy (or security group) that forbids the call, a narrower identity (dedicated ServiceAccount/IAM role with least privilege, automountServiceAccountToken: false), or moving the secret out of the reachable workload. Authenticate service-to-service calls (mTLS with an AuthorizationPolicy).',
    references: ['CWE-284', 'CWE-668', 'CAPEC-139', 'OWASP-API5:2023'],
    inputs: ['graph'],
    detection:
      'Breadth-first search from every element the internet reaches, over network edges (narrowed by Kubernetes NetworkPolicies), service calls, messaging and identity capabilities (a compromised workload can use its ServiceAccount or IAM role), to data stores, secrets and privileged identities. One finding per entry point and target with the shortest chain; a chain made only of ingress hops is an exposure (reported by other rules), not a path. Depth 10 and 200 paths per entry at most; hitting a bound is reported.',
    falsePositives: 'Application-level authorisation between services is invisible to the model; namespace labels that NetworkPolicies select on are assumed to match when unknown.',
  },
  check(ctx) {
    return ctx.attackPaths.map((p): RuleHit => {
      // A Service and the workload it selects usually share a name: say it once.
      const names = [p.chain[0]!.from, ...p.chain.map((l) => l.to)].map((id) => ctx.graph.elements.get(id)?.name ?? id).filter((n, i, all) => i === 0 || n !== all[i - 1]);
      const last = p.chain[p.chain.length - 1]!;
      return {
        element: p.target,
        peer: p.entry,
        location: last.location,
        evidence: `${names.join(' → ')} (${p.sensitivity === 'privilege' ? 'privileged identity' : `${p.sensitivity} data`})`,
        severity: p.sensitivity === 'privilege' || p.sensitivity === 'credentials' || p.sensitivity === 'payment' ? 'high' : 'medium',
        path: [p.chain[0]!.from, ...p.chain.map((l) => l.to)],
        chain: p.chain,
      };
    });
  },
};

import type { Crossing, Rule, RuleContext, RuleHit } from '../../src/model/graph.js';
import { describeCrossing, isUntrustedZone } from './crossing-helpers.js';

/**
 * A LoadBalancer/NodePort Service sits in the edge zone for the internet, but a
 * workload of its own namespace calling it by name goes to its ClusterIP and
 * never leaves the namespace: that call is not a boundary crossing.
 */
function inNamespaceServiceCall(ctx: RuleContext, c: Crossing): boolean {
  if (c.kind !== 'calls' || !c.fromZone.startsWith('k8s:')) return false;
  const to = ctx.graph.elements.get(c.to);
  return to?.type === 'k8s:Service' && `k8s:${String(to.attrs.namespace ?? 'default')}` === c.fromZone;
}

export const rule: Rule = {
  meta: {
    id: 'graph-plaintext-crossing',
    title: 'Plaintext flow across a trust boundary',
    stride: ['T', 'I'],
    severity: 'medium',
    rationale:
      'Traffic that leaves one trust zone for another without TLS can be read and altered by anyone on the path: credentials, session tokens and personal data travel in the clear, and responses can be forged.',
    mitigation:
      'Terminate TLS at the edge (Ingress `tls:`, HTTPS listeners, `https://` servers), use `https://`/TLS for calls to other zones and third parties, and enable mutual TLS between namespaces (Istio PeerAuthentication STRICT).',
    references: ['CWE-319', 'OWASP-API8:2023', 'CAPEC-94'],
    inputs: ['graph'],
    detection: 'Flow edges whose encryption is known to be off (plain http, port 80, no TLS block) and that either touch the internet or a third party (high), or are direct service calls or messaging between two internal zones (medium). A gateway forwarding to its backend inside the cluster is not counted, nor a workload calling a LoadBalancer/NodePort Service of its own namespace by name (that goes to the ClusterIP).',
    falsePositives: 'TLS terminated by a load balancer or service mesh that is not described in the analysed files.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const c of ctx.crossings) {
      if (c.encrypted !== false) continue;
      const untrusted = isUntrustedZone(c.fromZone) || isUntrustedZone(c.toZone);
      // Gateways terminating TLS and forwarding in-cluster are the norm; only direct calls between zones count.
      if (!untrusted && c.kind !== 'calls' && c.kind !== 'publishes' && c.kind !== 'subscribes') continue;
      if (inNamespaceServiceCall(ctx, c)) continue;
      hits.push({ element: c.to, peer: c.from, location: c.location, evidence: describeCrossing(ctx, c), severity: untrusted ? 'high' : 'medium' });
    }
    return hits;
  },
};

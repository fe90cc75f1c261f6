import type { Rule, RuleHit } from '../../src/model/graph.js';
import { describeCrossing, isUntrustedZone } from './crossing-helpers.js';

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
    detection: 'Flow edges whose encryption is known to be off (plain http, port 80, no TLS block) and that either touch the internet or a third party (high), or are direct service calls or messaging between two internal zones (medium). A gateway forwarding to its backend inside the cluster is not counted.',
    falsePositives: 'TLS terminated by a load balancer or service mesh that is not described in the analysed files.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const c of ctx.crossings) {
      if (c.encrypted !== false) continue;
      const untrusted = isUntrustedZone(c.fromZone) || isUntrustedZone(c.toZone);
      // Gateways terminating TLS and forwarding in-cluster are the norm; only direct calls between zones count.
      if (!untrusted && c.kind !== 'calls' && c.kind !== 'publishes' && c.kind !== 'subscribes') continue;
      hits.push({ element: c.to, peer: c.from, location: c.location, evidence: describeCrossing(ctx, c), severity: untrusted ? 'high' : 'medium' });
    }
    return hits;
  },
};

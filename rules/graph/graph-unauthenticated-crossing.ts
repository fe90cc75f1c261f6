import type { Rule, RuleHit } from '../../src/model/graph.js';
import { describeCrossing, isUntrustedZone } from './crossing-helpers.js';

export const rule: Rule = {
  meta: {
    id: 'graph-unauthenticated-crossing',
    title: 'Unauthenticated flow across a trust boundary',
    stride: ['S'],
    severity: 'medium',
    rationale:
      'A request that crosses from a less trusted zone into a more trusted one without authentication lets anyone who can reach the boundary act as a legitimate caller. From the internet this is directly exploitable; between internal zones it turns any compromised neighbour into a trusted client.',
    mitigation:
      'Put an authenticating layer on the boundary: an Ingress or gateway with an auth annotation or authorizer, OAuth2/OIDC on the API, or mutual TLS (Istio PeerAuthentication STRICT with an AuthorizationPolicy) between namespaces. If the exposure is intended (a public website), accept the risk with `/threatdiff accept <id> <reason>`.',
    references: ['CWE-306', 'OWASP-API2:2023', 'CAPEC-115'],
    inputs: ['graph'],
    detection:
      'Every flow edge whose ends lie in different trust zones and whose authentication is known to be absent. From the internet or a third party, authentication that is merely unknown counts as absent (nothing in the files establishes it) and the severity is high.',
    falsePositives: 'Public websites and health endpoints are exposed on purpose; authentication done inside the application code is invisible to the model.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const c of ctx.crossings) {
      const fromUntrusted = isUntrustedZone(c.fromZone);
      const unauthenticated = c.authenticated === false || (fromUntrusted && c.authenticated !== true);
      if (!unauthenticated) continue;
      if (isUntrustedZone(c.toZone)) continue; // outbound calls are about encryption, not who calls us
      hits.push({ element: c.to, peer: c.from, location: c.location, evidence: describeCrossing(ctx, c), severity: fromUntrusted ? 'high' : 'medium' });
    }
    return hits;
  },
};

import type { Rule, RuleHit } from '../../src/model/graph.js';
import { at, describe, ofType } from './helpers.js';

export const rule: Rule = {
  meta: {
    id: 'k8s-ingress-without-tls',
    title: 'Internet-facing Ingress or Gateway serves plain HTTP',
    stride: ['T', 'I'],
    severity: 'medium',
    rationale:
      'Without TLS on every host, requests, cookies, tokens and credentials cross the internet in the clear: anyone on the path (public Wi-Fi, a compromised router) can read them and rewrite responses.',
    mitigation:
      'Add a `tls:` entry covering every host (cert-manager can issue the certificates), keep the HTTP→HTTPS redirect on (`ssl-redirect` not `false`, `kubernetes.io/ingress.allow-http: "false"` on GKE), and use HTTPS listeners/servers on Gateways.',
    references: ['CWE-319', 'CWE-311', 'OWASP-API8:2023', 'CAPEC-157', 'https://kubernetes.io/docs/concepts/services-networking/ingress/#tls'],
    inputs: ['k8s'],
    detection:
      'Internet-facing Ingresses with no TLS, hosts not covered by any `tls` entry, or plain HTTP explicitly kept open (`nginx.ingress.kubernetes.io/ssl-redirect: "false"`, `kubernetes.io/ingress.allow-http: "true"`); Gateway API Gateways and Istio ingress Gateways with an HTTP listener/server that does not redirect. High when the Ingress carries authentication annotations (credentials then travel in the clear).',
    falsePositives: 'TLS terminated by a CDN or cloud load balancer in front of the cluster that the manifests do not describe.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const ing of ofType(ctx, 'Ingress')) {
      if (ing.attrs.exposure === 'internal') continue;
      const tls = (ing.attrs.tls as unknown[]) ?? [];
      const uncovered = (ing.attrs.uncoveredHosts as string[]) ?? [];
      const auth = Object.keys((ing.attrs.authAnnotations as Record<string, string>) ?? {}).length > 0;
      const severity = auth ? { severity: 'high' as const } : {};
      if (tls.length === 0 && !ing.attrs.tlsAnnotation) {
        hits.push({ element: ing.id, location: at(ing, 'spec.rules', 'spec.defaultBackend', 'spec.backend'), evidence: `${describe(ing)} has no tls section: ${((ing.attrs.hosts as string[]) ?? []).join(', ') || 'every host'} served over plain HTTP`, ...severity });
      } else if (uncovered.length > 0) {
        hits.push({ element: ing.id, location: at(ing, 'spec.tls'), evidence: `${describe(ing)}: hosts ${uncovered.join(', ')} are not covered by any tls entry`, ...severity });
      } else if (ing.attrs.sslRedirect === false || ing.attrs.allowHttp === true) {
        hits.push({ element: ing.id, location: at(ing, 'metadata.annotations'), evidence: `${describe(ing)} has TLS but keeps plain HTTP open (${ing.attrs.sslRedirect === false ? 'ssl-redirect: "false"' : 'allow-http: "true"'})`, ...severity });
      }
    }
    for (const gw of ofType(ctx, 'Gateway')) {
      if (gw.attrs.exposure !== 'internet') continue;
      const listeners = (gw.attrs.listeners as { name: string; protocol: string; port: number | null }[]) ?? [];
      const servers = (gw.attrs.servers as { protocol: string; port: number | null; httpsRedirect: boolean; hosts: string[] }[]) ?? [];
      const plain = [...listeners.filter((l) => l.protocol === 'HTTP').map((l) => `listener ${l.name || l.port} HTTP:${l.port}`), ...servers.filter((s) => (s.protocol === 'HTTP' || s.protocol === 'HTTP2') && !s.httpsRedirect).map((s) => `server HTTP:${s.port} ${s.hosts.join(',')}`)];
      if (plain.length === 0) continue;
      hits.push({ element: gw.id, location: at(gw, 'spec.listeners', 'spec.servers'), evidence: `${describe(gw)} accepts plain HTTP from the internet: ${plain.join('; ')}` });
    }
    return hits;
  },
};

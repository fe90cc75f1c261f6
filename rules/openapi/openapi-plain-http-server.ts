import type { Rule, RuleHit } from '../../src/model/graph.js';
import { apis, at, serversOf, short } from './helpers.js';

export const rule: Rule = {
  meta: {
    id: 'openapi-plain-http-server',
    title: 'API served over plain HTTP on a public host',
    stride: ['T', 'I'],
    severity: 'high',
    rationale:
      'Requests and responses to an `http://` (or `ws://`) server on the internet cross networks in clear text: credentials, tokens, cookies and data can be read and altered by anyone on the path (Wi-Fi, ISP, compromised routers), and clients that follow the spec will send them that way.',
    mitigation:
      'Serve the API only over HTTPS (TLS 1.2+), list only `https://` servers in the spec, redirect or refuse plain HTTP at the edge and enable HSTS.',
    references: ['CWE-319', 'OWASP-API8:2023', 'CAPEC-157'],
    inputs: ['openapi'],
    detection:
      'Servers (document, path or operation level; Swagger 2 host + schemes) with scheme http or ws whose host looks public (not localhost, cluster-internal, private IP or a reserved example domain). High when plain HTTP is the only public scheme, medium when HTTPS is offered too.',
    falsePositives: 'Servers entries kept for documentation of a test environment that happen to use a public-looking host name.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const api of apis(ctx)) {
      const publicServers = serversOf(api).filter((s) => s.public);
      const plain = publicServers.filter((s) => s.scheme === 'http' || s.scheme === 'ws');
      if (plain.length === 0) continue;
      const tls = publicServers.some((s) => s.scheme === 'https' || s.scheme === 'wss');
      hits.push({
        element: api.id,
        location: at(api, 'servers'),
        evidence: `${api.name} lists plain-text server${plain.length > 1 ? 's' : ''} ${short(plain.map((s) => s.url), 3)}${tls ? ' alongside HTTPS' : ''}`,
        ...(tls ? { severity: 'medium' as const } : {}),
      });
    }
    return hits;
  },
};

import type { Rule, RuleContext, RuleHit } from '../../src/model/graph.js';
import type { Element } from '../../src/model/types.js';
import { describe, isK8s, k8sIndex, matchesSelector, namespaceOf, podLabels } from './helpers.js';
import { indexesOf } from '../../src/analysis/indexes.js';

interface Mode {
  mode: string;
  source: string;
}

/**
 * Istio's effective mTLS mode for a pod: the most specific PeerAuthentication
 * wins (workload, then namespace, then mesh root namespace); port-level
 * settings override the workload policy's mode; default PERMISSIVE.
 */
export function effectiveMtls(ctx: RuleContext, namespace: string, labels: Record<string, string> | undefined, port?: number): Mode {
  const index = k8sIndex(ctx);
  if (index.peerAuths.length === 0) return { mode: 'PERMISSIVE', source: 'Istio default, no PeerAuthentication' };
  // Only the namespace's own PeerAuthentications can match, in the same order as in the whole list.
  const pas = index.peerAuthsByNamespace.get(namespace) ?? [];
  if (labels) {
    for (const pa of pas) {
      const sel = pa.attrs.selector as Record<string, string> | null;
      if (!sel || !matchesSelector(labels, { matchLabels: sel, matchExpressions: [] })) continue;
      const portMode = port !== undefined ? (pa.attrs.portLevelMtls as Record<string, string>)?.[String(port)] : undefined;
      if (portMode && portMode !== 'UNSET') return { mode: portMode, source: `${pa.name} (port ${port})` };
      if (pa.attrs.mtlsMode !== 'UNSET') return { mode: String(pa.attrs.mtlsMode), source: pa.name };
    }
  }
  const nsWide = pas.find((pa) => pa.attrs.scope === 'namespace' && pa.attrs.mtlsMode !== 'UNSET');
  if (nsWide) return { mode: String(nsWide.attrs.mtlsMode), source: nsWide.name };
  const mesh = indexesOf(ctx.graph).memo('k8s:mesh-peer-auth', () => index.peerAuths.find((pa) => pa.attrs.scope === 'mesh' && pa.attrs.mtlsMode !== 'UNSET'));
  if (mesh) return { mode: String(mesh.attrs.mtlsMode), source: `${mesh.name} (mesh-wide)` };
  return { mode: 'PERMISSIVE', source: 'Istio default, no PeerAuthentication' };
}

export const rule: Rule = {
  meta: {
    id: 'k8s-no-mtls-cross-namespace',
    title: 'Cross-namespace call without enforced mutual TLS',
    stride: ['S', 'T'],
    severity: 'medium',
    rationale:
      'A namespace is a trust boundary. When a call crosses it without mutual TLS enforced on the receiving side, the server cannot tell its real client from any other pod (spoofing) and the traffic can be read or altered on the node network (tampering).',
    mitigation:
      'Enforce mTLS on the target: a PeerAuthentication with `mtls.mode: STRICT` for the mesh (in istio-system), the target namespace or the target workload, plus an AuthorizationPolicy that admits only the calling ServiceAccount’s principal.',
    references: ['CWE-287', 'CWE-319', 'CAPEC-94', 'https://istio.io/latest/docs/reference/config/security/peer_authentication/'],
    inputs: ['k8s', 'graph'],
    detection:
      'Resolved `calls` edges (env vars, args, ConfigMap values) from a workload or ConfigMap in one namespace to a Service or workload in another, where the effective Istio PeerAuthentication mode of the target pods (workload > namespace > mesh, port-level overrides, default PERMISSIVE) is not STRICT. Low when the call itself uses TLS (https, grpcs...): encrypted but the client is not authenticated.',
    falsePositives: 'Meshes configured outside the analysed files (Linkerd, Istio installed by the platform team with mesh-wide STRICT), or mTLS done by the application itself.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const e of ctx.graph.edges) {
      if (e.kind !== 'calls') continue;
      const from = ctx.graph.elements.get(e.from);
      const to = ctx.graph.elements.get(e.to);
      if (!from || !to || !isK8s(from) || !isK8s(to) || from.attrs.namespace === undefined || to.attrs.namespace === undefined) continue;
      const src = namespaceOf(from);
      const dst = namespaceOf(to);
      if (src === dst) continue;
      // A Service stands for the pods it selects; check each of them (or the namespace default when none is known).
      const selects = to.type === 'k8s:Service' ? (ctx.graph.out.get(to.id) ?? []).filter((s) => s.kind === 'selects') : [];
      const pods: { el?: Element; port?: number }[] = to.type === 'k8s:Service' ? selects.map((s) => ({ el: ctx.graph.elements.get(s.to), ...(s.port !== undefined ? { port: s.port } : {}) })) : [{ el: to, ...(e.port !== undefined ? { port: e.port } : {}) }];
      if (pods.length === 0) pods.push({});
      const weak = pods.map((p) => ({ p, m: effectiveMtls(ctx, dst, p.el ? podLabels(p.el) : undefined, p.port) })).filter((x) => x.m.mode !== 'STRICT');
      if (weak.length === 0) continue;
      const first = weak[0]!;
      hits.push({
        element: to.id,
        peer: from.id,
        location: e.location,
        evidence: `${describe(from)} (namespace ${src}) calls ${describe(to)} (namespace ${dst})${e.protocol ? ` over ${e.protocol}${e.port ? `:${e.port}` : ''}` : ''} and mTLS is ${first.m.mode} for ${first.p.el ? first.p.el.name : `namespace ${dst}`} (${first.m.source}); evidence: ${e.evidence}`,
        ...(e.encrypted === true ? { severity: 'low' as const } : {}),
      });
    }
    return hits;
  },
};

import type { Element } from '../model/types.js';
import type { Graph } from '../model/graph.js';
import { matchesLabelSelector, type LabelSelector } from '../graph/selectors.js';

/** A peer in a NetworkPolicy rule, as the k8s parser normalises it (src/ingest/k8s/README.md). */
interface Peer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except: string[] };
}

interface NetRule {
  peers: Peer[];
  anyPeer: boolean;
}

interface PolicyAttrs {
  namespace?: string;
  podSelector?: LabelSelector;
  normalised?: boolean;
  isolatesIngress?: boolean;
  isolatesEgress?: boolean;
  ingress?: NetRule[];
  egress?: NetRule[];
}

/**
 * Kubernetes NetworkPolicy semantics, enough to decide whether one workload
 * may open a connection to another. Unknown selectors (namespace labels we
 * cannot see) count as allowing: a path finder must not miss real paths.
 * Vendor policies (Calico, Cilium) are not normalised and never narrow.
 */
export class NetworkPolicies {
  private readonly byNamespace = new Map<string, PolicyAttrs[]>();

  constructor(graph: Graph) {
    for (const el of graph.elements.values()) {
      if (el.type !== 'k8s:NetworkPolicy') continue;
      const attrs = el.attrs as PolicyAttrs;
      if (attrs.normalised === false) continue;
      const ns = String(attrs.namespace ?? 'default');
      const list = this.byNamespace.get(ns) ?? [];
      list.push(attrs);
      this.byNamespace.set(ns, list);
    }
  }

  /** True when `src` may connect to `dst` as far as NetworkPolicies say. */
  allows(src: Element, dst: Element): boolean {
    return this.directionAllows(dst, src, 'ingress') && this.directionAllows(src, dst, 'egress');
  }

  /** Ingress: is `subject` (the destination) open to `other`? Egress: may `subject` (the source) reach `other`? */
  private directionAllows(subject: Element, other: Element, direction: 'ingress' | 'egress'): boolean {
    const ns = namespaceOf(subject);
    const isolating = (this.byNamespace.get(ns) ?? []).filter(
      (p) => (direction === 'ingress' ? p.isolatesIngress : p.isolatesEgress) && matchesLabelSelector(labelsOf(subject), p.podSelector ?? EMPTY),
    );
    if (isolating.length === 0) return true;
    return isolating.some((p) => (p[direction] ?? []).some((rule) => rule.anyPeer || rule.peers.some((peer) => peerMatches(peer, other, ns))));
  }
}

const EMPTY: LabelSelector = { matchLabels: {}, matchExpressions: [] };

function namespaceOf(el: Element): string {
  return String(el.attrs.namespace ?? 'default');
}

function labelsOf(el: Element): Record<string, string> {
  return (el.attrs.podLabels as Record<string, string> | undefined) ?? {};
}

function peerMatches(peer: Peer, other: Element, policyNamespace: string): boolean {
  if (peer.ipBlock) return false; // pod-to-pod traffic is not matched by ipBlock rules
  const otherNs = namespaceOf(other);
  let nsOk: boolean;
  if (!peer.namespaceSelector) nsOk = otherNs === policyNamespace;
  else {
    // Only the automatic name label is knowable from manifests; any other namespace label is assumed to match.
    const sel = peer.namespaceSelector;
    const keys = [...Object.keys(sel.matchLabels), ...sel.matchExpressions.map((e) => e.key)];
    nsOk = keys.some((k) => k !== 'kubernetes.io/metadata.name') || matchesLabelSelector({ 'kubernetes.io/metadata.name': otherNs }, sel);
  }
  return nsOk && (!peer.podSelector || matchesLabelSelector(labelsOf(other), peer.podSelector));
}

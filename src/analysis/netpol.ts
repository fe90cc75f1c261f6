import type { Element } from '../model/types.js';
import type { Graph } from '../model/graph.js';
import { matchesSelector } from '../graph/link.js';

/** A peer in a NetworkPolicy rule, as the k8s parser normalises it. */
interface Peer {
  podSelector?: Record<string, string> | null;
  namespaceSelector?: Record<string, string> | null;
  ipBlock?: { cidr: string } | null;
}

interface PolicyAttrs {
  namespace?: string;
  podSelector?: Record<string, string>;
  policyTypes?: string[];
  ingress?: { from?: Peer[] | null }[] | null;
  egress?: { to?: Peer[] | null }[] | null;
}

/**
 * Kubernetes NetworkPolicy semantics, enough to decide whether one workload
 * may open a connection to another. Unknown selectors (namespace labels we
 * cannot see) count as allowing: a path finder must not miss real paths.
 */
export class NetworkPolicies {
  private readonly byNamespace = new Map<string, PolicyAttrs[]>();

  constructor(graph: Graph) {
    for (const el of graph.elements.values()) {
      if (el.type !== 'k8s:NetworkPolicy') continue;
      const attrs = el.attrs as PolicyAttrs;
      const ns = String(attrs.namespace ?? 'default');
      const list = this.byNamespace.get(ns) ?? [];
      list.push(attrs);
      this.byNamespace.set(ns, list);
    }
  }

  get empty(): boolean {
    return this.byNamespace.size === 0;
  }

  /** True when `src` may connect to `dst` as far as NetworkPolicies say. */
  allows(src: Element, dst: Element): boolean {
    return this.ingressAllows(src, dst) && this.egressAllows(src, dst);
  }

  private ingressAllows(src: Element, dst: Element): boolean {
    const ns = namespaceOf(dst);
    const selecting = (this.byNamespace.get(ns) ?? []).filter((p) => types(p).includes('Ingress') && selects(p, dst));
    if (selecting.length === 0) return true; // not isolated
    return selecting.some((p) => (p.ingress ?? []).some((rule) => peersAllow(rule.from, src, ns)));
  }

  private egressAllows(src: Element, dst: Element): boolean {
    const ns = namespaceOf(src);
    const selecting = (this.byNamespace.get(ns) ?? []).filter((p) => types(p).includes('Egress') && selects(p, src));
    if (selecting.length === 0) return true;
    return selecting.some((p) => (p.egress ?? []).some((rule) => peersAllow(rule.to, dst, ns)));
  }
}

function namespaceOf(el: Element): string {
  return String(el.attrs.namespace ?? 'default');
}

function labelsOf(el: Element): Record<string, string> {
  return (el.attrs.podLabels as Record<string, string> | undefined) ?? {};
}

function types(p: PolicyAttrs): string[] {
  if (p.policyTypes && p.policyTypes.length > 0) return p.policyTypes;
  // Kubernetes default: Ingress always, Egress when egress rules are present.
  return p.egress && p.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

function selects(p: PolicyAttrs, el: Element): boolean {
  return matchesSelector(labelsOf(el), p.podSelector ?? {});
}

/** A rule with no peers allows everyone; otherwise one peer must match. */
function peersAllow(peers: Peer[] | null | undefined, other: Element, policyNamespace: string): boolean {
  if (!peers || peers.length === 0) return true;
  return peers.some((peer) => {
    if (peer.ipBlock) return other.kind !== 'service' || other.attrs.namespace === undefined; // pods are not matched by ipBlock rules in practice
    const nsSel = peer.namespaceSelector;
    const podSel = peer.podSelector;
    const otherNs = namespaceOf(other);
    let nsOk: boolean;
    if (nsSel === undefined || nsSel === null) nsOk = otherNs === policyNamespace;
    else {
      const known = Object.keys(nsSel).every((k) => k === 'kubernetes.io/metadata.name' || k === 'name');
      nsOk = !known || Object.values(nsSel).every((v) => v === otherNs);
    }
    const podOk = podSel === undefined || podSel === null || matchesSelector(labelsOf(other), podSel);
    return nsOk && podOk;
  });
}

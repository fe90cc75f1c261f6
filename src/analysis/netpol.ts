import type { Element } from '../model/types.js';
import type { Graph } from '../model/graph.js';
import { matchesLabelSelector, type LabelSelector } from '../graph/selectors.js';
import { cachedIndexes } from './indexes.js';

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
  private readonly byNamespace = new Map<string, NamespacePolicies>();
  /** Element id -> the policies isolating it, per direction: a workload is judged against many peers. */
  private readonly isolatingCache = { ingress: new Map<string, PolicyAttrs[]>(), egress: new Map<string, PolicyAttrs[]>() };

  constructor(graph: Graph) {
    // The rules' index when it exists; otherwise one scan, not a whole index (incremental searches run no rule).
    const index = cachedIndexes(graph);
    const policies = index ? (index.byType.get('k8s:NetworkPolicy') ?? []) : [...graph.elements.values()].filter((el) => el.type === 'k8s:NetworkPolicy');
    for (const el of policies) {
      const attrs = el.attrs as PolicyAttrs;
      if (attrs.normalised === false) continue;
      const ns = String(attrs.namespace ?? 'default');
      let entry = this.byNamespace.get(ns);
      if (!entry) this.byNamespace.set(ns, (entry = { unkeyed: [], byFirstLabel: new Map() }));
      const first = Object.entries(attrs.podSelector?.matchLabels ?? {})[0];
      if (!first) entry.unkeyed.push(attrs);
      else {
        const key = `${first[0]}\0${String(first[1])}`;
        const list = entry.byFirstLabel.get(key);
        if (list) list.push(attrs);
        else entry.byFirstLabel.set(key, [attrs]);
      }
    }
  }

  /** True when `src` may connect to `dst` as far as NetworkPolicies say. */
  allows(src: Element, dst: Element): boolean {
    return this.directionAllows(dst, src, 'ingress') && this.directionAllows(src, dst, 'egress');
  }

  /** Ingress: is `subject` (the destination) open to `other`? Egress: may `subject` (the source) reach `other`? */
  private directionAllows(subject: Element, other: Element, direction: 'ingress' | 'egress'): boolean {
    const ns = namespaceOf(subject);
    const isolating = this.isolating(subject, ns, direction);
    if (isolating.length === 0) return true;
    return isolating.some((p) => (p[direction] ?? []).some((rule) => rule.anyPeer || rule.peers.some((peer) => peerMatches(peer, other, ns))));
  }

  /**
   * The namespace's policies selecting `subject` that isolate it in `direction`.
   * Only policies without matchLabels, or whose first matchLabels pair the
   * subject carries, can select it: the others are never tested. (Order does
   * not matter: callers only ask whether one of them admits the peer.)
   */
  private isolating(subject: Element, ns: string, direction: 'ingress' | 'egress'): PolicyAttrs[] {
    const cache = this.isolatingCache[direction];
    let isolating = cache.get(subject.id);
    if (isolating) return isolating;
    isolating = [];
    const entry = this.byNamespace.get(ns);
    if (entry) {
      const labels = labelsOf(subject);
      const test = (p: PolicyAttrs) => {
        if ((direction === 'ingress' ? p.isolatesIngress : p.isolatesEgress) && matchesLabelSelector(labels, p.podSelector ?? EMPTY)) isolating!.push(p);
      };
      entry.unkeyed.forEach(test);
      if (entry.byFirstLabel.size > 0) for (const [k, v] of Object.entries(labels)) entry.byFirstLabel.get(`${k}\0${String(v)}`)?.forEach(test);
    }
    cache.set(subject.id, isolating);
    return isolating;
  }
}

interface NamespacePolicies {
  /** Policies whose podSelector has no matchLabels (every pod, or expressions only). */
  unkeyed: PolicyAttrs[];
  /** `key \0 value` of the first matchLabels pair -> policies. */
  byFirstLabel: Map<string, PolicyAttrs[]>;
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

import type { Edge, Element, ParseIssue, Ref } from '../model/types.js';

/** Indexes the linker needs, built once per graph. */
export interface LinkIndex {
  elements: Map<string, Element>;
  /** namespace -> workloads with their pod labels */
  workloadsByNamespace: Map<string, { id: string; labels: Record<string, string> }[]>;
  /** lower-cased host -> ingress/gateway element ids */
  gatewayHosts: Map<string, string[]>;
  /** service name (k8s Service, workload, lambda...) -> element ids */
  byName: Map<string, string[]>;
}

const WORKLOAD_TYPES = new Set(['k8s:Deployment', 'k8s:StatefulSet', 'k8s:DaemonSet', 'k8s:ReplicaSet', 'k8s:Job', 'k8s:CronJob', 'k8s:Pod', 'k8s:ReplicationController']);

export function isWorkload(e: Element): boolean {
  return WORKLOAD_TYPES.has(e.type);
}

export function buildLinkIndex(elements: Map<string, Element>): LinkIndex {
  const index: LinkIndex = { elements, workloadsByNamespace: new Map(), gatewayHosts: new Map(), byName: new Map() };
  for (const e of elements.values()) {
    if (isWorkload(e)) {
      const ns = String(e.attrs.namespace ?? 'default');
      const list = index.workloadsByNamespace.get(ns) ?? [];
      list.push({ id: e.id, labels: (e.attrs.podLabels as Record<string, string>) ?? {} });
      index.workloadsByNamespace.set(ns, list);
    }
    const hosts = e.attrs.hosts;
    if (e.kind === 'gateway' && Array.isArray(hosts)) {
      for (const h of hosts) push(index.gatewayHosts, String(h).toLowerCase(), e.id);
    }
    if (e.kind === 'service' || e.kind === 'gateway' || e.kind === 'datastore') push(index.byName, e.name.toLowerCase(), e.id);
  }
  return index;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export interface LinkResult {
  edges: Edge[];
  /** Elements the linker creates (external hosts). */
  created: Element[];
  issues: ParseIssue[];
}

/** Resolves refs into edges. Pure: same refs and index, same edges, in the same order. */
export function linkRefs(refs: readonly Ref[], index: LinkIndex, apiServiceOverrides: (apiId: string, file: string) => string | undefined): LinkResult {
  const result: LinkResult = { edges: [], created: [], issues: [] };
  const created = new Map<string, Element>();
  for (const ref of refs) {
    switch (ref.type) {
      case 'k8s-selector': {
        if (Object.keys(ref.selector).length === 0) break;
        for (const w of index.workloadsByNamespace.get(ref.namespace) ?? []) {
          if (matchesSelector(w.labels, ref.selector)) result.edges.push({ ...ref.edge, from: ref.from, to: w.id });
        }
        break;
      }
      case 'element': {
        const target = ref.candidates.find((c) => index.elements.has(c));
        if (target) {
          result.edges.push(ref.reverse ? { ...ref.edge, from: target, to: ref.from } : { ...ref.edge, from: ref.from, to: target });
        } else if (ref.onMissing === 'warn') {
          result.issues.push({
            file: ref.edge.location.file,
            line: ref.edge.location.line,
            level: 'warning',
            code: 'dangling-reference',
            message: `${ref.from} refers to ${ref.candidates[0]}, which is not defined in the analysed files`,
          });
        }
        break;
      }
      case 'host': {
        const target = resolveHost(ref.host, ref.namespace, index);
        if (target === null) break;
        if (target === undefined) {
          const host = normaliseHost(ref.host);
          const id = `external:${host}`;
          if (!index.elements.has(id) && !created.has(id)) {
            created.set(id, { id, kind: 'actor', type: 'external-host', name: host, location: ref.edge.location, zoneHint: 'third-party', attrs: { host } });
          }
          result.edges.push({ ...ref.edge, from: ref.from, to: id });
        } else {
          result.edges.push({ ...ref.edge, from: ref.from, to: target });
        }
        break;
      }
      case 'api-attach': {
        const override = apiServiceOverrides(ref.from, ref.edge.location.file);
        const target = attachApi(ref, override, index);
        if (target) result.edges.push({ ...ref.edge, from: target, to: ref.from });
        break;
      }
    }
  }
  result.created.push(...created.values());
  return result;
}

export function matchesSelector(labels: Record<string, string>, selector: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}

export function normaliseHost(host: string): string {
  let h = host.trim().toLowerCase();
  h = h.replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  h = h.replace(/^[^@/]*@/, '');
  h = h.split(/[/?#]/)[0]!;
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.replace(/:\d+$/, '').replace(/\.$/, '');
}

const LOCAL = /^(localhost|127\.|0\.0\.0\.0|::1|\[::1\]|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.)/;

/**
 * A host seen in config: a k8s Service (short or FQDN), a gateway host, or
 * external. Returns the element id, `undefined` for external hosts, `null`
 * for hosts that are not worth an edge (loopback, private IPs, unknown
 * in-cluster names).
 */
export function resolveHost(rawHost: string, namespace: string, index: LinkIndex): string | undefined | null {
  const host = normaliseHost(rawHost);
  if (!host || LOCAL.test(host)) return null;
  const labels = host.split('.');
  const inCluster = /\.svc(\.cluster\.local)?$/.test(host);
  if (inCluster || labels.length <= 2) {
    const [name, ns = namespace] = labels;
    const svc = `k8s:Service/${ns}/${name}`;
    if (index.elements.has(svc)) return svc;
    // Unknown in-cluster names and bare words are not worth an edge.
    if (inCluster || labels.length === 1) return null;
    // `orders.shop` with no such Service: an external domain unless `shop` is a namespace we know.
    if (index.workloadsByNamespace.has(labels[1]!)) return null;
  }
  return index.gatewayHosts.get(host)?.[0];
}

function attachApi(ref: Extract<Ref, { type: 'api-attach' }>, override: string | undefined, index: LinkIndex): string | undefined {
  const pick = (name: string | undefined): string | undefined => {
    if (!name) return undefined;
    const ids = index.byName.get(name.toLowerCase()) ?? [];
    // Prefer the workload (what serves), then the Service, then anything named so.
    return ids.find((id) => isWorkload(index.elements.get(id)!)) ?? ids.find((id) => id.startsWith('k8s:Service/')) ?? ids[0];
  };
  const byName = pick(override) ?? pick(ref.serviceName);
  if (byName) return byName;
  for (const host of ref.hosts) {
    const h = normaliseHost(host);
    const gw = index.gatewayHosts.get(h)?.[0];
    if (gw) return gw;
    const first = h.split('.')[0];
    const hit = h.includes('.') && /\.svc/.test(h) ? pick(first) : undefined;
    if (hit) return hit;
  }
  const parts = ref.directory.split('/').filter(Boolean);
  // A spec in services/orders/ or services/orders/api/ belongs to "orders".
  for (const name of [parts[parts.length - 1], parts[parts.length - 2]]) {
    const hit = pick(name);
    if (hit) return hit;
  }
  return undefined;
}

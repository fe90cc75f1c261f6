import { ISTIO_ROOT_NAMESPACE } from './constants.js';
import type { K8sObject, Output } from './object.js';
import { arr, isObj, num, obj, str, stringMap, strings, type Obj } from './util.js';

/**
 * Network and mesh policies, normalised so the analysis layer can narrow
 * reachability without knowing each API's defaults. Shapes are documented
 * in README.md ("Policy attributes"); every implicit default of the API is
 * made explicit here (empty selector = all pods, missing `from` = anyone...).
 */

export interface Selector {
  matchLabels: Record<string, string>;
  matchExpressions: { key: string; operator: string; values: string[] }[];
}

export function selector(v: unknown): Selector {
  const s = obj(v);
  return {
    matchLabels: stringMap(s.matchLabels),
    matchExpressions: arr(s.matchExpressions)
      .filter(isObj)
      .map((e) => ({ key: str(e.key) ?? '', operator: str(e.operator) ?? 'In', values: strings(e.values) })),
  };
}

export function selectsAll(s: Selector): boolean {
  return Object.keys(s.matchLabels).length === 0 && s.matchExpressions.length === 0;
}

interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string; except: string[] };
}

interface PolicyPort {
  protocol: string;
  port: number | string | null;
  endPort?: number;
}

interface NetRule {
  /** Sources (ingress) or destinations (egress); ignored when `anyPeer`. */
  peers: Peer[];
  ports: PolicyPort[];
  /** No `from`/`to` (or an empty list): any pod, namespace or IP. */
  anyPeer: boolean;
  /** No `ports`: every port. */
  anyPort: boolean;
  /** A peer that matches everything: `namespaceSelector: {}` alone, or an ipBlock 0.0.0.0/0 or ::/0 with no exceptions. */
  peerMatchesAll: boolean;
}

function peers(list: unknown): Peer[] {
  return arr(list)
    .filter(isObj)
    .map((p) => {
      const peer: Peer = {};
      if (p.podSelector !== undefined) peer.podSelector = selector(p.podSelector);
      if (p.namespaceSelector !== undefined) peer.namespaceSelector = selector(p.namespaceSelector);
      if (isObj(p.ipBlock)) peer.ipBlock = { cidr: str(p.ipBlock.cidr) ?? '', except: strings(p.ipBlock.except) };
      return peer;
    });
}

function netRules(list: unknown, peerKey: 'from' | 'to'): NetRule[] {
  return arr(list).map((raw) => {
    const r = obj(raw);
    const ps = peers(r[peerKey]);
    const ports = arr(r.ports)
      .filter(isObj)
      .map((p) => ({ protocol: str(p.protocol) ?? 'TCP', port: num(p.port) ?? str(p.port) ?? null, ...(num(p.endPort) !== undefined ? { endPort: num(p.endPort)! } : {}) }));
    const peerMatchesAll = ps.some(
      (p) =>
        (p.namespaceSelector !== undefined && selectsAll(p.namespaceSelector) && (p.podSelector === undefined || selectsAll(p.podSelector)) && p.ipBlock === undefined) ||
        (p.ipBlock !== undefined && (p.ipBlock.cidr === '0.0.0.0/0' || p.ipBlock.cidr === '::/0') && p.ipBlock.except.length === 0),
    );
    return { peers: ps, ports, anyPeer: ps.length === 0, anyPort: ports.length === 0, peerMatchesAll };
  });
}

export function networkPolicy(o: K8sObject, out: Output): void {
  for (const p of ['podSelector', 'policyTypes', 'ingress', 'egress']) o.mark(['spec', p]);
  arr(o.spec.ingress).forEach((_, i) => o.mark(['spec', 'ingress', i]));
  arr(o.spec.egress).forEach((_, i) => o.mark(['spec', 'egress', i]));
  const podSelector = selector(o.spec.podSelector);
  const declared = strings(o.spec.policyTypes);
  // API default: Ingress always, Egress when egress rules are present.
  const policyTypes = declared.length > 0 ? declared : ['Ingress', ...(o.spec.egress !== undefined ? ['Egress'] : [])];
  const ingress = netRules(o.spec.ingress, 'from');
  const egress = netRules(o.spec.egress, 'to');
  const isolatesIngress = policyTypes.includes('Ingress');
  const isolatesEgress = policyTypes.includes('Egress');
  const allOpen = (rules: NetRule[]) => rules.some((r) => (r.anyPeer || r.peerMatchesAll) && r.anyPort);
  out.elements.push(
    o.element(
      'policy',
      {
        policyKind: 'network',
        podSelector,
        selectsAllPods: selectsAll(podSelector),
        policyTypes,
        isolatesIngress,
        isolatesEgress,
        ingress,
        egress,
        denyAllIngress: isolatesIngress && ingress.length === 0,
        denyAllEgress: isolatesEgress && egress.length === 0,
        allowAllIngress: isolatesIngress && allOpen(ingress),
        allowAllEgress: isolatesEgress && allOpen(egress),
      },
      o.zone,
    ),
  );
}

/** Scope of an Istio policy: mesh-wide (root namespace, no selector), namespace-wide, or selected workloads. */
function istioScope(o: K8sObject, sel: Record<string, string> | null, targetRefs: unknown[]): 'mesh' | 'namespace' | 'workload' {
  if (sel !== null || targetRefs.length > 0) return 'workload';
  return o.ns === ISTIO_ROOT_NAMESPACE ? 'mesh' : 'namespace';
}

function istioSelector(o: K8sObject): Record<string, string> | null {
  const s = obj(o.spec.selector);
  const labels = stringMap(s.matchLabels);
  return Object.keys(labels).length > 0 ? labels : null;
}

function targetRefs(o: K8sObject): Obj[] {
  const list = [...arr(o.spec.targetRefs), ...(isObj(o.spec.targetRef) ? [o.spec.targetRef] : [])];
  return list.filter(isObj).map((t) => ({ kind: str(t.kind) ?? '', name: str(t.name) ?? '', ...(str(t.group) !== undefined ? { group: str(t.group) } : {}) }));
}

export function peerAuthentication(o: K8sObject, out: Output): void {
  o.mark(['spec', 'mtls', 'mode']);
  o.mark(['spec', 'selector']);
  o.mark(['spec', 'portLevelMtls']);
  const sel = istioSelector(o);
  const mode = (str(obj(o.spec.mtls).mode) ?? 'UNSET').toUpperCase();
  const portLevelMtls: Record<string, string> = {};
  for (const [port, v] of Object.entries(obj(o.spec.portLevelMtls))) portLevelMtls[port] = (str(obj(v).mode) ?? 'UNSET').toUpperCase();
  out.elements.push(o.element('policy', { policyKind: 'mtls', selector: sel, scope: istioScope(o, sel, []), mtlsMode: mode, portLevelMtls }, o.zone));
}

export function authorizationPolicy(o: K8sObject, out: Output): void {
  for (const p of ['action', 'rules', 'selector', 'provider']) o.mark(['spec', p]);
  arr(o.spec.rules).forEach((_, i) => o.mark(['spec', 'rules', i]));
  const sel = istioSelector(o);
  const refs = targetRefs(o);
  const action = (str(o.spec.action) ?? 'ALLOW').toUpperCase();
  const list = (v: unknown) => strings(v, 64);
  const rules = arr(o.spec.rules).map((raw) => {
    const r = obj(raw);
    return {
      from: arr(r.from).map((f) => {
        const s = obj(obj(f).source);
        return {
          principals: list(s.principals),
          notPrincipals: list(s.notPrincipals),
          requestPrincipals: list(s.requestPrincipals),
          notRequestPrincipals: list(s.notRequestPrincipals),
          namespaces: list(s.namespaces),
          notNamespaces: list(s.notNamespaces),
          ipBlocks: list(s.ipBlocks),
          notIpBlocks: list(s.notIpBlocks),
          remoteIpBlocks: list(s.remoteIpBlocks),
        };
      }),
      to: arr(r.to).map((t) => {
        const op = obj(obj(t).operation);
        return { hosts: list(op.hosts), notHosts: list(op.notHosts), ports: list(op.ports), notPorts: list(op.notPorts), methods: list(op.methods), notMethods: list(op.notMethods), paths: list(op.paths), notPaths: list(op.notPaths) };
      }),
      when: arr(r.when)
        .filter(isObj)
        .map((w) => ({ key: str(w.key) ?? '', values: list(w.values), notValues: list(w.notValues) })),
    };
  });
  const empty = (r: (typeof rules)[number]) => r.from.length === 0 && r.to.length === 0 && r.when.length === 0;
  out.elements.push(
    o.element(
      'policy',
      {
        policyKind: 'authorization',
        selector: sel,
        targetRefs: refs,
        scope: istioScope(o, sel, refs),
        action,
        provider: str(obj(o.spec.provider).name) ?? null,
        rules,
        // ALLOW with no rules matches nothing, so everything selected is denied; a rule `{}` matches every request.
        denyAll: action === 'ALLOW' && rules.length === 0,
        allowAll: action === 'ALLOW' && rules.some(empty),
        requiresPrincipal: action === 'ALLOW' && rules.length > 0 && rules.every((r) => r.from.some((f) => f.principals.length > 0 || f.requestPrincipals.length > 0 || f.namespaces.length > 0)),
      },
      o.zone,
    ),
  );
}

export function requestAuthentication(o: K8sObject, out: Output): void {
  o.mark(['spec', 'jwtRules']);
  const sel = istioSelector(o);
  const jwtRules = arr(o.spec.jwtRules)
    .filter(isObj)
    .map((j) => ({ issuer: str(j.issuer) ?? '', jwksUri: str(j.jwksUri) ?? null, audiences: strings(j.audiences), forwardOriginalToken: j.forwardOriginalToken === true }));
  out.elements.push(o.element('policy', { policyKind: 'request-authentication', selector: sel, scope: istioScope(o, sel, targetRefs(o)), jwtRules }, o.zone));
}

export function destinationRule(o: K8sObject, out: Output): void {
  o.mark(['spec', 'host']);
  o.mark(['spec', 'trafficPolicy', 'tls', 'mode']);
  const tp = obj(o.spec.trafficPolicy);
  const portTlsModes: Record<string, string> = {};
  for (const ps of arr(tp.portLevelSettings).filter(isObj)) {
    const port = num(obj(ps.port).number);
    const mode = str(obj(ps.tls).mode);
    if (port !== undefined && mode) portTlsModes[String(port)] = mode.toUpperCase();
  }
  const subsets = arr(o.spec.subsets)
    .filter(isObj)
    .map((s) => ({ name: str(s.name) ?? '', labels: stringMap(s.labels), tlsMode: str(obj(obj(s.trafficPolicy).tls).mode)?.toUpperCase() ?? null }));
  out.elements.push(
    o.element('policy', { policyKind: 'destination', host: str(o.spec.host) ?? '', tlsMode: str(obj(tp.tls).mode)?.toUpperCase() ?? null, portTlsModes, subsets, exportTo: strings(o.spec.exportTo) }, o.zone),
  );
}

export function serviceEntry(o: K8sObject, out: Output): void {
  o.mark(['spec', 'hosts']);
  o.mark(['spec', 'ports']);
  const ports = arr(o.spec.ports)
    .filter(isObj)
    .map((p) => ({ number: num(p.number) ?? null, protocol: (str(p.protocol) ?? '').toUpperCase(), name: str(p.name) ?? '' }));
  out.elements.push(
    o.element(
      'policy',
      { policyKind: 'service-entry', hosts: strings(o.spec.hosts), addresses: strings(o.spec.addresses), ports, location: str(o.spec.location) ?? 'MESH_EXTERNAL', resolution: str(o.spec.resolution) ?? 'NONE', exportTo: strings(o.spec.exportTo) },
      o.zone,
    ),
  );
}

export function sidecar(o: K8sObject, out: Output): void {
  const egressHosts = arr(o.spec.egress).flatMap((e) => strings(obj(e).hosts));
  const mode = str(obj(o.spec.outboundTrafficPolicy).mode) ?? null;
  const sel = stringMap(obj(o.spec.workloadSelector).labels);
  out.elements.push(o.element('policy', { policyKind: 'sidecar', selector: Object.keys(sel).length > 0 ? sel : null, egressHosts, outboundTrafficPolicy: mode }, o.zone));
}

/** Cilium, Calico and AdminNetworkPolicy: recognised as network policy, not normalised (yet). */
export function vendorNetworkPolicy(o: K8sObject, out: Output, vendor: string): void {
  const sel = selector(o.spec.endpointSelector ?? o.spec.podSelector ?? obj(o.spec.subject).pods);
  out.elements.push(o.element('policy', { policyKind: 'network', vendor, normalised: false, podSelector: sel }, o.namespace !== undefined ? o.zone : undefined));
}

import type { Edge, TriState } from '../../model/types.js';
import { INTERNET_ID } from './constants.js';
import { k8sId, type K8sObject, type Output } from './object.js';
import { arr, bool, isObj, num, obj, str, stringMap, strings, type Obj, type Path } from './util.js';

/** Annotations that make a cloud load balancer internal (reachable from the VPC, not the internet). */
const INTERNAL_LB: [string, RegExp][] = [
  ['networking.gke.io/load-balancer-type', /^internal$/i],
  ['cloud.google.com/load-balancer-type', /^internal$/i],
  ['service.beta.kubernetes.io/aws-load-balancer-internal', /^(true|0\.0\.0\.0\/0)$/i],
  ['service.beta.kubernetes.io/aws-load-balancer-scheme', /^internal$/i],
  ['service.beta.kubernetes.io/azure-load-balancer-internal', /^true$/i],
  ['service.beta.kubernetes.io/oci-load-balancer-internal', /^true$/i],
  ['service.beta.kubernetes.io/openstack-internal-load-balancer', /^true$/i],
  ['kubernetes.io/ingress.class', /^gce-internal$/i],
  ['alb.ingress.kubernetes.io/scheme', /^internal$/i],
];
/** Annotations that put a certificate on a cloud load balancer (TLS terminated there). */
const LB_TLS_ANNOTATIONS = [
  'service.beta.kubernetes.io/aws-load-balancer-ssl-cert',
  'service.beta.kubernetes.io/do-loadbalancer-certificate-id',
  'service.beta.kubernetes.io/oci-load-balancer-ssl-ports',
  'service.beta.kubernetes.io/azure-load-balancer-ssl-cert',
];
const INGRESS_TLS_ANNOTATIONS = ['networking.gke.io/managed-certificates', 'ingress.gcp.kubernetes.io/pre-shared-cert', 'alb.ingress.kubernetes.io/certificate-arn', 'service.beta.kubernetes.io/aws-load-balancer-ssl-cert'];
const AUTH_ANNOTATION = /(^|[./-])(auth|oauth2?|oidc|jwt|iap|basic-auth|external-auth)([./-]|$)|auth-(url|type|signin|secret|tls|response-headers)/i;

function internal(annotations: Record<string, string>, className?: string): boolean {
  if (className && /internal|private/i.test(className)) return true;
  return INTERNAL_LB.some(([k, re]) => annotations[k] !== undefined && re.test(annotations[k]!));
}

function portProtocol(name: string | undefined, appProtocol: string | undefined, port: number | undefined): 'http' | 'https' | 'grpc' | 'tcp' {
  const hint = `${appProtocol ?? ''} ${name ?? ''}`.toLowerCase();
  if (/\bhttps\b|^https|tls/.test(hint) || port === 443 || port === 8443) return 'https';
  if (/grpc/.test(hint)) return 'grpc';
  if (/http/.test(hint) || port === 80) return 'http';
  return 'tcp';
}

export function service(o: K8sObject, out: Output): void {
  for (const p of ['type', 'ports', 'selector', 'loadBalancerSourceRanges', 'externalName', 'externalTrafficPolicy', 'clusterIP', 'externalIPs']) o.mark(['spec', p]);
  const type = str(o.spec.type) ?? 'ClusterIP';
  const annotations = stringMap(o.metadata.annotations);
  const ports = arr(o.spec.ports)
    .filter(isObj)
    .map((p, i) => {
      o.mark(['spec', 'ports', i]);
      const target = num(p.targetPort) ?? str(p.targetPort);
      return {
        ...(str(p.name) ? { name: str(p.name) } : {}),
        port: num(p.port) ?? null,
        ...(target !== undefined ? { targetPort: target } : {}),
        protocol: str(p.protocol) ?? 'TCP',
        ...(num(p.nodePort) !== undefined ? { nodePort: num(p.nodePort) } : {}),
        ...(str(p.appProtocol) ? { appProtocol: str(p.appProtocol) } : {}),
      };
    });
  const selector = stringMap(o.spec.selector);
  const sourceRanges = strings(o.spec.loadBalancerSourceRanges);
  const externalIPs = strings(o.spec.externalIPs);
  const isInternal = type === 'LoadBalancer' && internal(annotations);
  const exposed = (type === 'LoadBalancer' && !isInternal) || type === 'NodePort' || externalIPs.length > 0;
  const exposure = exposed ? 'internet' : isInternal ? 'internal' : 'cluster';
  const attrs: Obj = { type, ports, selector: Object.keys(selector).length > 0 ? selector : null, exposure, headless: str(o.spec.clusterIP) === 'None' };
  if (sourceRanges.length > 0) attrs.loadBalancerSourceRanges = sourceRanges;
  if (externalIPs.length > 0) attrs.externalIPs = externalIPs;
  const externalName = str(o.spec.externalName);
  if (type === 'ExternalName' && externalName) attrs.externalName = externalName;

  const gateway = type === 'LoadBalancer' || type === 'NodePort';
  out.elements.push(o.element(gateway ? 'gateway' : 'service', attrs, exposed ? 'edge' : isInternal ? 'vpc-private' : o.zone));

  if (exposed) {
    const tlsPorts = new Set<number>();
    const sslPorts = annotations['service.beta.kubernetes.io/aws-load-balancer-ssl-ports'] ?? annotations['service.beta.kubernetes.io/oci-load-balancer-ssl-ports'];
    const certOnLb = LB_TLS_ANNOTATIONS.some((k) => annotations[k] !== undefined);
    for (const p of ports) {
      const n = p.port ?? undefined;
      if (n === undefined) continue;
      const listed = sslPorts !== undefined && sslPorts.split(',').some((s) => s.trim() === String(n) || s.trim() === p.name || s.trim() === '*');
      if (portProtocol(p.name, p.appProtocol, n) === 'https' || listed || (certOnLb && sslPorts === undefined)) tlsPorts.add(n);
    }
    const first = ports[0];
    const encrypted: TriState = ports.length > 0 && ports.every((p) => p.port !== null && tlsPorts.has(p.port)) ? true : false;
    const via = type === 'NodePort' ? 'NodePort' : externalIPs.length > 0 && type !== 'LoadBalancer' ? 'externalIPs' : 'LoadBalancer';
    const edge: Edge = {
      from: INTERNET_ID,
      to: o.id,
      kind: 'exposes',
      protocol: first ? portProtocol(first.name, first.appProtocol, first.port ?? undefined) : 'tcp',
      ...(first?.port != null ? { port: via === 'NodePort' && first.nodePort !== undefined ? first.nodePort : first.port } : {}),
      authenticated: 'unknown',
      encrypted,
      location: o.location(o.has(['spec', 'type']) ? ['spec', 'type'] : ['spec', 'externalIPs']),
      evidence: `Service type ${type}${via === 'externalIPs' ? ` with externalIPs` : ''}, ports ${ports.map((p) => p.port).join(', ') || 'none'}`,
      attrs: { via, ports: ports.map((p) => p.port), ...(sourceRanges.length > 0 ? { sourceRanges } : {}) },
    };
    out.edges.push(edge);
  }

  if (Object.keys(selector).length > 0) {
    const first = ports[0];
    const target = first ? (typeof first.targetPort === 'number' ? first.targetPort : (first.port ?? undefined)) : undefined;
    out.refs.push({
      type: 'k8s-selector',
      from: o.id,
      namespace: o.ns,
      selector,
      edge: {
        kind: 'selects',
        ...(first ? { protocol: portProtocol(first.name, first.appProtocol, first.port ?? undefined) } : {}),
        ...(target !== undefined ? { port: target } : {}),
        location: o.location(['spec', 'selector']),
        evidence: `selector ${Object.entries(selector)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')}`,
      },
    });
  }
  if (type === 'ExternalName' && externalName) {
    out.refs.push({
      type: 'host',
      from: o.id,
      namespace: o.ns,
      host: externalName,
      edge: { kind: 'routes', protocol: 'tcp', authenticated: 'unknown', encrypted: 'unknown', location: o.location(['spec', 'externalName']), evidence: `ExternalName ${externalName}` },
    });
  }
}

interface Backend {
  service: string;
  namespace?: string;
  port?: number | string;
  host?: string;
  path?: string;
  line: number;
}

function ingressBackend(o: K8sObject, b: unknown, path: Path, host?: string, httpPath?: string): Backend | undefined {
  if (!isObj(b)) return undefined;
  const svc = obj(b.service);
  const name = str(svc.name) ?? str(b.serviceName);
  if (!name) return undefined;
  const port = num(obj(svc.port).number) ?? str(obj(svc.port).name) ?? num(b.servicePort) ?? str(b.servicePort);
  o.mark(path);
  return { service: name, ...(port !== undefined ? { port } : {}), ...(host ? { host } : {}), ...(httpPath ? { path: httpPath } : {}), line: o.line(path) };
}

/** `*.example.com` covers `a.example.com`; an exact name covers itself. */
function covers(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (pattern.startsWith('*.')) {
    const rest = host.slice(host.indexOf('.') + 1);
    return rest === pattern.slice(2);
  }
  return false;
}

export function ingress(o: K8sObject, out: Output): void {
  const annotations = stringMap(o.metadata.annotations);
  for (const p of ['tls', 'rules', 'ingressClassName', 'defaultBackend', 'backend']) o.mark(['spec', p]);
  const className = str(o.spec.ingressClassName) ?? annotations['kubernetes.io/ingress.class'];
  const backends: Backend[] = [];
  const rules = arr(o.spec.rules)
    .filter(isObj)
    .map((r, i) => {
      o.mark(['spec', 'rules', i]);
      o.mark(['spec', 'rules', i, 'host']);
      const host = str(r.host);
      const paths = arr(obj(r.http).paths)
        .filter(isObj)
        .map((p, j) => {
          const httpPath = str(p.path) ?? '/';
          const b = ingressBackend(o, p.backend, ['spec', 'rules', i, 'http', 'paths', j, 'backend'], host, httpPath);
          if (b) backends.push(b);
          return { path: httpPath, pathType: str(p.pathType) ?? null, service: b?.service ?? null, port: b?.port ?? null };
        });
      return { host: host ?? null, paths };
    });
  const defaultPath: Path = o.has(['spec', 'defaultBackend']) ? ['spec', 'defaultBackend'] : ['spec', 'backend'];
  const def = ingressBackend(o, o.spec.defaultBackend ?? o.spec.backend, defaultPath);
  if (def) backends.push(def);

  const tls = arr(o.spec.tls)
    .filter(isObj)
    .map((t) => ({ hosts: strings(t.hosts), secretName: str(t.secretName) ?? null }));
  const hosts = [...new Set(rules.map((r) => r.host).filter((h): h is string => !!h))];
  const tlsHosts = [...new Set(tls.flatMap((t) => t.hosts))];
  const tlsAnnotation = INGRESS_TLS_ANNOTATIONS.find((k) => annotations[k] !== undefined);
  // A tls entry without hosts applies to every host (the controller's default certificate).
  const tlsCoversAll = tlsAnnotation !== undefined || (tls.length > 0 && (tls.some((t) => t.hosts.length === 0) || hosts.every((h) => tlsHosts.some((p) => covers(p, h)))));
  const uncoveredHosts = tls.some((t) => t.hosts.length === 0) || tlsAnnotation ? [] : hosts.filter((h) => !tlsHosts.some((p) => covers(p, h)));
  const sslRedirect = bool(annotations['nginx.ingress.kubernetes.io/ssl-redirect']) ?? bool(annotations['nginx.ingress.kubernetes.io/force-ssl-redirect']) ?? null;
  const allowHttp = bool(annotations['kubernetes.io/ingress.allow-http']) ?? null;
  const authAnnotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(annotations)) {
    if (AUTH_ANNOTATION.test(k)) {
      authAnnotations[k] = v;
      o.mark(['metadata', 'annotations', k]);
    }
  }
  const sourceRanges = (annotations['nginx.ingress.kubernetes.io/whitelist-source-range'] ?? annotations['nginx.ingress.kubernetes.io/allowlist-source-range'] ?? annotations['alb.ingress.kubernetes.io/inbound-cidrs'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const backendProtocol = annotations['nginx.ingress.kubernetes.io/backend-protocol'] ?? annotations['alb.ingress.kubernetes.io/backend-protocol'];
  const isInternal = internal(annotations, className);

  out.elements.push(
    o.element(
      'gateway',
      {
        ingressClassName: className ?? null,
        hosts,
        rules,
        tls,
        tlsHosts,
        tlsCoversAll,
        uncoveredHosts,
        ...(tlsAnnotation ? { tlsAnnotation } : {}),
        sslRedirect,
        allowHttp,
        authAnnotations,
        ...(sourceRanges.length > 0 ? { sourceRanges } : {}),
        exposure: isInternal ? 'internal' : 'internet',
      },
      isInternal ? 'vpc-private' : 'edge',
    ),
  );

  if (!isInternal) {
    // TLS on every host, and plain HTTP not explicitly kept open.
    const encrypted = tlsCoversAll && sslRedirect !== false && allowHttp !== true;
    const authenticated: TriState = Object.keys(authAnnotations).length > 0 ? true : 'unknown';
    out.edges.push({
      from: INTERNET_ID,
      to: o.id,
      kind: 'exposes',
      protocol: encrypted ? 'https' : 'http',
      port: encrypted ? 443 : 80,
      authenticated,
      encrypted,
      location: o.location(o.has(['spec', 'tls']) ? ['spec', 'tls'] : o.has(['spec', 'rules']) ? ['spec', 'rules'] : ['kind']),
      evidence: `Ingress ${hosts.length > 0 ? hosts.join(', ') : '(any host)'}${tls.length > 0 ? `, tls for ${tlsHosts.join(', ') || 'all hosts'}` : tlsAnnotation ? `, tls via ${tlsAnnotation}` : ', no tls'}${Object.keys(authAnnotations).length > 0 ? `, auth ${Object.keys(authAnnotations)[0]}` : ''}`,
      attrs: { ...(sourceRanges.length > 0 ? { sourceRanges } : {}) },
    });
  }

  const seen = new Map<string, Backend[]>();
  for (const b of backends) seen.set(b.service, [...(seen.get(b.service) ?? []), b]);
  const backendTls = backendProtocol !== undefined && /^(https|grpcs)$/i.test(backendProtocol);
  for (const [name, list] of seen) {
    const b = list[0]!;
    out.refs.push({
      type: 'element',
      from: o.id,
      candidates: [k8sId('Service', name, o.ns)],
      onMissing: 'warn',
      edge: {
        kind: 'routes',
        protocol: backendProtocol && /grpc/i.test(backendProtocol) ? 'grpc' : backendTls ? 'https' : 'http',
        ...(typeof b.port === 'number' ? { port: b.port } : {}),
        encrypted: backendTls,
        location: { file: o.file, line: b.line },
        evidence: `${list.map((x) => (x.path === undefined ? 'default backend' : `${x.host ?? '*'} ${x.path}`)).join(', ')} → service ${name}${b.port !== undefined ? `:${b.port}` : ''}`,
        attrs: { paths: list.map((x) => ({ host: x.host ?? null, path: x.path ?? null })), ...(typeof b.port === 'string' ? { portName: b.port } : {}) },
      },
    });
  }
}

const ROUTE_PROTOCOL: Record<string, { protocol: string; encrypted: TriState }> = {
  HTTPRoute: { protocol: 'http', encrypted: false },
  GRPCRoute: { protocol: 'grpc', encrypted: false },
  TCPRoute: { protocol: 'tcp', encrypted: false },
  TLSRoute: { protocol: 'tcp', encrypted: true },
  UDPRoute: { protocol: 'udp', encrypted: false },
};

/** Gateway API `Gateway` (gateway.networking.k8s.io). */
export function gatewayApiGateway(o: K8sObject, out: Output): void {
  o.mark(['spec', 'listeners']);
  o.mark(['spec', 'gatewayClassName']);
  const annotations = stringMap(o.metadata.annotations);
  const className = str(o.spec.gatewayClassName) ?? '';
  const listeners = arr(o.spec.listeners)
    .filter(isObj)
    .map((l, i) => {
      o.mark(['spec', 'listeners', i]);
      const tls = obj(l.tls);
      return {
        name: str(l.name) ?? '',
        protocol: (str(l.protocol) ?? '').toUpperCase(),
        port: num(l.port) ?? null,
        hostname: str(l.hostname) ?? null,
        tlsMode: isObj(l.tls) ? (str(tls.mode) ?? 'Terminate') : null,
        certificateRefs: arr(tls.certificateRefs).map((c) => str(obj(c).name) ?? '').filter(Boolean),
        allowedRoutesFrom: str(obj(obj(l.allowedRoutes).namespaces).from) ?? 'Same',
      };
    });
  const hosts = [...new Set(listeners.map((l) => l.hostname).filter((h): h is string => !!h))];
  // gke-l7-rilb and friends are regional internal load balancers.
  const isInternal = internal(annotations, className) || /rilb/.test(className);
  out.elements.push(o.element('gateway', { gatewayClassName: className, listeners, hosts, addresses: arr(o.spec.addresses).map((a) => str(obj(a).value) ?? '').filter(Boolean), exposure: isInternal ? 'internal' : 'internet' }, isInternal ? 'vpc-private' : 'edge'));
  if (isInternal || listeners.length === 0) return;
  const encrypted = listeners.every((l) => l.protocol === 'HTTPS' || l.protocol === 'TLS');
  const first = listeners[0]!;
  out.edges.push({
    from: INTERNET_ID,
    to: o.id,
    kind: 'exposes',
    protocol: first.protocol === 'HTTPS' ? 'https' : first.protocol === 'HTTP' ? 'http' : first.protocol === 'GRPC' ? 'grpc' : 'tcp',
    ...(first.port !== null ? { port: first.port } : {}),
    authenticated: 'unknown',
    encrypted,
    location: o.location(['spec', 'listeners']),
    evidence: `Gateway listeners ${listeners.map((l) => `${l.protocol}:${l.port ?? '?'}`).join(', ')}`,
  });
}

/** Gateway API routes: attached to Gateways (parentRefs), forwarding to Services (backendRefs). */
export function gatewayApiRoute(o: K8sObject, out: Output): void {
  o.mark(['spec', 'parentRefs']);
  o.mark(['spec', 'hostnames']);
  o.mark(['spec', 'rules']);
  const parentRefs = arr(o.spec.parentRefs)
    .filter(isObj)
    .map((p) => ({ kind: str(p.kind) ?? 'Gateway', name: str(p.name) ?? '', namespace: str(p.namespace) ?? o.ns, ...(str(p.sectionName) ? { sectionName: str(p.sectionName) } : {}), ...(num(p.port) !== undefined ? { port: num(p.port) } : {}) }));
  const hostnames = strings(o.spec.hostnames);
  const backends: { kind: string; name: string; namespace: string; port?: number; line: number }[] = [];
  const rules = arr(o.spec.rules)
    .filter(isObj)
    .map((r, i) => {
      o.mark(['spec', 'rules', i]);
      const refs = arr(r.backendRefs)
        .filter(isObj)
        .map((b, j) => {
          const ref = { kind: str(b.kind) ?? 'Service', name: str(b.name) ?? '', namespace: str(b.namespace) ?? o.ns, ...(num(b.port) !== undefined ? { port: num(b.port)! } : {}), ...(num(b.weight) !== undefined ? { weight: num(b.weight) } : {}) };
          o.mark(['spec', 'rules', i, 'backendRefs', j]);
          if (ref.name) backends.push({ ...ref, line: o.line(['spec', 'rules', i, 'backendRefs', j]) });
          return ref;
        });
      const matches = arr(r.matches)
        .filter(isObj)
        .map((m) => ({ path: str(obj(m.path).value) ?? null, pathType: str(obj(m.path).type) ?? null, method: str(m.method) ?? str(obj(m.method).method) ?? null }));
      return { matches, backendRefs: refs };
    });
  const gateways = parentRefs.filter((p) => p.kind === 'Gateway');
  out.elements.push(o.element(gateways.length > 0 ? 'gateway' : 'policy', { parentRefs, hostnames, hosts: hostnames, rules }, gateways.length > 0 ? 'edge' : o.zone));
  if (gateways.length === 0) return; // GAMMA (mesh) routes attach to Services: routing policy, not an entry point.
  const proto = ROUTE_PROTOCOL[o.kind] ?? { protocol: 'tcp', encrypted: 'unknown' as TriState };
  arr(o.spec.parentRefs).forEach((p, i) => {
    const ref = parentRefs[i];
    if (!ref || ref.kind !== 'Gateway' || !ref.name || !isObj(p)) return;
    out.refs.push({
      type: 'element',
      from: o.id,
      candidates: [k8sId('Gateway', ref.name, ref.namespace)],
      reverse: true,
      onMissing: 'warn',
      edge: { kind: 'routes', protocol: proto.protocol, location: o.location(['spec', 'parentRefs', i]), evidence: `${o.kind} ${o.name} attached to Gateway ${ref.namespace}/${ref.name}` },
    });
  });
  const seen = new Set<string>();
  for (const b of backends) {
    const id = k8sId(b.kind, b.name, b.namespace);
    if (seen.has(id)) continue;
    seen.add(id);
    out.refs.push({
      type: 'element',
      from: o.id,
      candidates: [id],
      onMissing: 'warn',
      edge: { kind: 'routes', protocol: proto.protocol, ...(b.port !== undefined ? { port: b.port } : {}), encrypted: proto.encrypted, location: { file: o.file, line: b.line }, evidence: `${o.kind} ${hostnames.join(', ') || '*'} → ${b.kind.toLowerCase()} ${b.name}${b.port !== undefined ? `:${b.port}` : ''}` },
    });
  }
}

/** Istio `Gateway` (networking.istio.io): the mesh's ingress (or egress) proxy configuration. */
export function istioGateway(o: K8sObject, out: Output): void {
  o.mark(['spec', 'servers']);
  o.mark(['spec', 'selector']);
  const selector = stringMap(o.spec.selector);
  const servers = arr(o.spec.servers)
    .filter(isObj)
    .map((s, i) => {
      o.mark(['spec', 'servers', i]);
      const port = obj(s.port);
      const tls = obj(s.tls);
      return {
        port: num(port.number) ?? null,
        protocol: (str(port.protocol) ?? '').toUpperCase(),
        name: str(port.name) ?? '',
        hosts: strings(s.hosts),
        tlsMode: str(tls.mode) ?? null,
        httpsRedirect: bool(tls.httpsRedirect) ?? false,
        credentialName: str(tls.credentialName) ?? null,
      };
    });
  const egress = Object.values(selector).some((v) => /egress/i.test(v));
  const hosts = [...new Set(servers.flatMap((s) => s.hosts.map((h) => h.slice(h.indexOf('/') + 1))))].filter((h) => h && h !== '*');
  out.elements.push(o.element('gateway', { selector, servers, hosts, egress, exposure: egress ? 'egress' : 'internet' }, egress ? o.zone : 'edge'));
  if (egress || servers.length === 0) return;
  const encrypted = servers.every((s) => s.protocol === 'HTTPS' || s.protocol === 'TLS' || s.httpsRedirect);
  const first = servers[0]!;
  out.edges.push({
    from: INTERNET_ID,
    to: o.id,
    kind: 'exposes',
    protocol: first.protocol === 'HTTPS' ? 'https' : first.protocol.startsWith('HTTP') ? 'http' : first.protocol.startsWith('GRPC') ? 'grpc' : 'tcp',
    ...(first.port !== null ? { port: first.port } : {}),
    authenticated: servers.every((s) => s.tlsMode === 'MUTUAL') ? true : 'unknown',
    encrypted,
    location: o.location(['spec', 'servers']),
    evidence: `Istio Gateway servers ${servers.map((s) => `${s.protocol}:${s.port ?? '?'} ${s.hosts.join(',')}`).join('; ')}`,
  });
}

/** Istio `VirtualService`: routing. Bound to a Gateway it is an entry point; mesh-only it is routing policy. */
export function virtualService(o: K8sObject, out: Output): void {
  for (const p of ['hosts', 'gateways', 'http', 'tcp', 'tls']) o.mark(['spec', p]);
  const gateways = strings(o.spec.gateways);
  const destinations: { section: string; host: string; port?: number; subset?: string; line: number }[] = [];
  const routes: Obj[] = [];
  for (const section of ['http', 'tcp', 'tls'] as const) {
    arr(o.spec[section]).forEach((r, i) => {
      if (!isObj(r)) return;
      const dests = arr(r.route)
        .filter(isObj)
        .map((rt, j) => {
          const d = obj(rt.destination);
          const host = str(d.host) ?? '';
          const port = num(obj(d.port).number);
          const subset = str(d.subset);
          o.mark(['spec', section, i, 'route', j]);
          if (host) destinations.push({ section, host, ...(port !== undefined ? { port } : {}), ...(subset ? { subset } : {}), line: o.line(['spec', section, i, 'route', j]) });
          return { host, ...(port !== undefined ? { port } : {}), ...(subset ? { subset } : {}), ...(num(rt.weight) !== undefined ? { weight: num(rt.weight) } : {}) };
        });
      const match = arr(r.match)
        .filter(isObj)
        .map((m) => ({ uri: obj(m.uri), ...(isObj(m.headers) ? { headers: Object.keys(m.headers) } : {}), ...(num(m.port) !== undefined ? { port: num(m.port) } : {}) }));
      routes.push({ section, match, destinations: dests, ...(isObj(r.fault) ? { fault: true } : {}) });
    });
  }
  const external = gateways.filter((g) => g !== 'mesh');
  const hosts = strings(o.spec.hosts);
  out.elements.push(o.element(external.length > 0 ? 'gateway' : 'policy', { hosts, gateways, routes }, external.length > 0 ? 'edge' : o.zone));
  if (external.length === 0) return;
  for (const g of external) {
    const [gns, gname] = g.includes('/') ? [g.slice(0, g.indexOf('/')), g.slice(g.indexOf('/') + 1)] : [o.ns, g];
    out.refs.push({
      type: 'element',
      from: o.id,
      candidates: [k8sId('Gateway', gname, gns)],
      reverse: true,
      onMissing: 'warn',
      edge: { kind: 'routes', protocol: 'http', location: o.location(['spec', 'gateways']), evidence: `VirtualService ${o.name} bound to Gateway ${gns}/${gname}` },
    });
  }
  const seen = new Set<string>();
  for (const d of destinations) {
    const key = `${d.host}:${d.port ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.refs.push({
      type: 'host',
      from: o.id,
      namespace: o.ns,
      host: d.host,
      ...(d.port !== undefined ? { port: d.port } : {}),
      edge: {
        kind: 'routes',
        protocol: d.section === 'http' ? 'http' : 'tcp',
        ...(d.port !== undefined ? { port: d.port } : {}),
        encrypted: d.section === 'tls' ? true : 'unknown',
        location: { file: o.file, line: d.line },
        evidence: `VirtualService ${hosts.join(', ') || o.name} → ${d.host}${d.port !== undefined ? `:${d.port}` : ''}`,
      },
    });
  }
}

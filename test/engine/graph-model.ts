import fc from 'fast-check';
import type { Edge, EdgeKind, Element, Fragment, ParseIssue, Ref } from '../../src/model/types.js';
import type { Graph } from '../../src/model/graph.js';

/**
 * Random repositories of hand-made fragments over a deliberately tiny
 * vocabulary (two namespaces, four names, a few hosts and labels), so that
 * random files collide: duplicate definitions, selectors matching workloads
 * of other files, hosts naming Services and gateway hosts, element refs whose
 * candidates come and go, APIs attached by name, host and directory.
 */

const NS = ['shop', 'ops'];
const NAMES = ['orders', 'cart', 'pay', 'web'];
const LABELS: Record<string, string>[] = [{ app: 'orders' }, { app: 'cart' }, { app: 'web', tier: 'front' }, { tier: 'front' }, {}];
const HOSTS = ['orders', 'cart:8080', 'orders.ops', 'shop.example.com', 'api.stripe.com', 'http://web.shop.svc.cluster.local', 'localhost:9090', 'cart.shop', 'pay.example.com'];
const DIRS = ['', 'svc/orders/', 'svc/cart/', 'infra/'];
const FILES = ['a.yaml', 'b.yaml', 'svc/orders/deploy.yaml', 'svc/orders/api.yaml', 'svc/cart/k8s.yaml', 'svc/cart/openapi.yaml', 'infra/main.tf', 'infra/iam.tf', 'web.yaml'];

const loc = (file: string, line: number) => ({ file, line });

type ElementSpec = (file: string, line: number) => Element;

const elementSpec: fc.Arbitrary<ElementSpec> = fc.oneof(
  fc.record({ ns: fc.constantFrom(...NS), name: fc.constantFrom(...NAMES), labels: fc.constantFrom(...LABELS), kind: fc.constantFrom('Deployment', 'StatefulSet') }).map(
    ({ ns, name, labels, kind }) =>
      (file: string, line: number): Element => ({ id: `k8s:${kind}/${ns}/${name}`, kind: 'service', type: `k8s:${kind}`, name, location: loc(file, line), zoneHint: `k8s:${ns}`, attrs: { namespace: ns, podLabels: labels } }),
  ),
  fc.record({ ns: fc.constantFrom(...NS), name: fc.constantFrom(...NAMES), gw: fc.boolean() }).map(
    ({ ns, name, gw }) =>
      (file: string, line: number): Element => ({ id: `k8s:Service/${ns}/${name}`, kind: gw ? 'gateway' : 'service', type: 'k8s:Service', name, location: loc(file, line), ...(gw ? { zoneHint: 'edge' } : { zoneHint: `k8s:${ns}` }), attrs: { namespace: ns } }),
  ),
  fc.record({ ns: fc.constantFrom(...NS), name: fc.constantFrom(...NAMES), hosts: fc.subarray(['shop.example.com', 'pay.example.com', 'SHOP.example.com']) }).map(
    ({ ns, name, hosts }) =>
      (file: string, line: number): Element => ({ id: `k8s:Ingress/${ns}/${name}`, kind: 'gateway', type: 'k8s:Ingress', name, location: loc(file, line), zoneHint: 'edge', attrs: { namespace: ns, hosts } }),
  ),
  fc.record({ title: fc.constantFrom('Orders API', 'Cart API'), op: fc.constantFrom('GET /x', 'POST /y') }).map(
    ({ title, op }) =>
      (file: string, line: number): Element => ({ id: `openapi:${title}#${op}`, kind: 'operation', type: 'openapi:operation', name: op, location: loc(file, line), attrs: { method: op.split(' ')[0] } }),
  ),
  fc.constantFrom('Orders API', 'Cart API').map(
    (title) =>
      (file: string, line: number): Element => ({ id: `openapi:${title}`, kind: 'api', type: 'openapi:document', name: title, location: loc(file, line), attrs: { title } }),
  ),
  fc.record({ name: fc.constantFrom(...NAMES, 'db'), hint: fc.constantFrom('data', undefined) }).map(
    ({ name, hint }) =>
      (file: string, line: number): Element => ({ id: `tf:aws_db_instance.${name}`, kind: 'datastore', type: 'tf:aws_db_instance', name, location: loc(file, line), ...(hint ? { zoneHint: hint } : {}), attrs: { tfType: 'aws_db_instance' } }),
  ),
  fc.constantFrom('actor:internet', 'external:api.stripe.com').map(
    (id) =>
      (file: string, line: number): Element => ({ id, kind: 'actor', type: 'actor', name: id, location: loc(file, line), attrs: {} }),
  ),
);

/** Ids elements above can take, plus a few nobody defines. */
const IDS = [
  ...NS.flatMap((ns) => NAMES.flatMap((n) => [`k8s:Deployment/${ns}/${n}`, `k8s:Service/${ns}/${n}`, `k8s:Ingress/${ns}/${n}`])),
  'openapi:Orders API',
  'openapi:Cart API#GET /x',
  'tf:aws_db_instance.db',
  'tf:aws_db_instance.orders',
  'actor:internet',
  'external:api.stripe.com',
  'k8s:Secret/shop/none',
];
const anyId = fc.constantFrom(...IDS);
const EDGE_KINDS: EdgeKind[] = ['calls', 'exposes', 'reads', 'serves', 'selects', 'grants', 'routes'];

function edgeTemplate(file: string, line: number, kind: EdgeKind, extra: { auth?: boolean; enc?: boolean }) {
  return { kind, location: loc(file, line), evidence: `e${line}`, ...(extra.auth !== undefined ? { authenticated: extra.auth } : {}), ...(extra.enc !== undefined ? { encrypted: extra.enc } : {}) };
}

const flags = fc.record({ auth: fc.option(fc.boolean(), { nil: undefined }), enc: fc.option(fc.boolean(), { nil: undefined }) });

type RefSpec = (file: string, line: number) => Ref;
const refSpec: fc.Arbitrary<RefSpec> = fc.oneof(
  fc.record({ from: anyId, ns: fc.constantFrom(...NS), sel: fc.constantFrom(...LABELS), f: flags }).map(
    ({ from, ns, sel, f }) =>
      (file: string, line: number): Ref => ({ type: 'k8s-selector', from, namespace: ns, selector: sel, edge: edgeTemplate(file, line, 'selects', f) }),
  ),
  fc.record({ from: anyId, candidates: fc.array(anyId, { minLength: 1, maxLength: 3 }), reverse: fc.boolean(), warn: fc.boolean(), kind: fc.constantFrom(...EDGE_KINDS), f: flags }).map(
    ({ from, candidates, reverse, warn, kind, f }) =>
      (file: string, line: number): Ref => ({ type: 'element', from, candidates, edge: edgeTemplate(file, line, kind, f), ...(reverse ? { reverse } : {}), ...(warn ? { onMissing: 'warn' as const } : {}) }),
  ),
  fc.record({ from: anyId, ns: fc.constantFrom(...NS), host: fc.constantFrom(...HOSTS), f: flags }).map(
    ({ from, ns, host, f }) =>
      (file: string, line: number): Ref => ({ type: 'host', from, namespace: ns, host, edge: edgeTemplate(file, line, 'calls', f) }),
  ),
  fc.record({ title: fc.constantFrom('Orders API', 'Cart API'), svc: fc.option(fc.constantFrom(...NAMES), { nil: undefined }), hosts: fc.subarray(['shop.example.com', 'cart.shop.svc', 'orders.ops.svc.cluster.local']), dir: fc.constantFrom(...DIRS) }).map(
    ({ title, svc, hosts, dir }) =>
      (file: string, line: number): Ref => ({ type: 'api-attach', from: `openapi:${title}`, ...(svc ? { serviceName: svc } : {}), hosts, directory: dir.replace(/\/$/, ''), edge: edgeTemplate(file, line, 'serves', {}) }),
  ),
);

const edgeSpec = fc.record({ from: anyId, to: anyId, kind: fc.constantFrom(...EDGE_KINDS), f: flags });

/** A fragment body independent of its path; `at(path)` places it. */
export const fragmentBody = fc.record({
  elements: fc.array(elementSpec, { maxLength: 4 }),
  edges: fc.array(edgeSpec, { maxLength: 3 }),
  refs: fc.array(refSpec, { maxLength: 4 }),
  issue: fc.boolean(),
});
export type FragmentBody = typeof fragmentBody extends fc.Arbitrary<infer T> ? T : never;

export function place(file: string, body: FragmentBody, salt = 0): Fragment {
  let line = 1 + salt * 100;
  const issues: ParseIssue[] = body.issue ? [{ file, line: 1, level: 'warning', code: 'test-issue', message: `issue in ${file}` }] : [];
  return {
    file,
    format: file.endsWith('.tf') ? 'terraform' : 'k8s',
    elements: body.elements.map((make) => make(file, line++)),
    edges: body.edges.map(({ from, to, kind, f }): Edge => ({ from, to, ...edgeTemplate(file, line++, kind, f) })),
    refs: body.refs.map((make) => make(file, line++)),
    issues,
  };
}

/** A repository: some of the file paths, each with a random body. */
export const repository = fc.dictionary(fc.constantFrom(...FILES), fragmentBody, { maxKeys: FILES.length });

/** A change set: per path, remove it, replace its body, or add it. */
export const changeSet = fc.dictionary(fc.constantFrom(...FILES), fc.option(fragmentBody, { nil: null }), { maxKeys: 4 });

/** The graph as plain arrays, so comparisons see every order (Map equality in jest ignores it). */
/** A Graph as plain data; lookup-only maps (zoneOf, out, in) by key, the others in their order. */
export function plainGraph(g: Graph) {
  const byKey = <V>(m: Map<string, V>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    elements: [...g.elements.entries()],
    edges: g.edges,
    zoneOf: byKey(g.zoneOf),
    zones: [...g.zones.entries()],
    out: byKey(g.out),
    in: byKey(g.in),
    issues: g.issues,
    files: [...g.files.entries()],
  };
}

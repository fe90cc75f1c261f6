import type { RuleContext } from '../../src/model/graph.js';
import type { Element, SourceLocation } from '../../src/model/types.js';
import { matchesLabelSelector, type LabelSelector } from '../../src/graph/selectors.js';
import { indexesOf, k8sNamespaceOf, type K8sIndexes } from '../../src/analysis/indexes.js';

export { matchesLabelSelector as matchesSelector, type LabelSelector };

/**
 * Typed views over the attributes the Kubernetes parser writes
 * (src/ingest/k8s/README.md) and small queries rules share. Rules stay
 * pure functions of the graph.
 */

export interface Container {
  name: string;
  image: string;
  path: string;
  init?: boolean;
  ephemeral?: boolean;
  privileged: boolean;
  allowPrivilegeEscalation: boolean | null;
  runAsNonRoot: boolean | null;
  runAsUser: number | null;
  readOnlyRootFilesystem: boolean;
  capabilitiesAdd: string[];
  capabilitiesDrop: string[];
  resources: { limits?: Record<string, string>; requests?: Record<string, string> };
  env: { name: string; value?: string; valueFrom?: Record<string, unknown> }[];
  envFrom: { configMap?: string; secret?: string }[];
  mounts: { name: string; mountPath: string; readOnly: boolean }[];
}

export interface Volume {
  name: string;
  path: string;
  hostPath?: string;
  hostPathType?: string;
}

export interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames: string[];
}

export function isK8s(el: Element): boolean {
  return el.type.startsWith('k8s:');
}

/** Per-graph lookups shared by the rules (src/analysis/indexes.ts: built once per graph, rules run over large graphs). */
export function k8sIndex(ctx: RuleContext): K8sIndexes {
  return indexesOf(ctx.graph).k8s;
}

/** Pod-running objects (Deployments, StatefulSets, Jobs, Pods... also database workloads). */
export function workloads(ctx: RuleContext): readonly Element[] {
  return k8sIndex(ctx).workloads;
}

/** Workloads of one namespace, in graph order. */
export function workloadsIn(ctx: RuleContext, namespace: string): readonly Element[] {
  return k8sIndex(ctx).workloadsByNamespace.get(namespace) ?? [];
}

/**
 * Workloads of a namespace whose pod labels match `selector`, in graph order:
 * only the workloads carrying the selector's rarest `matchLabels` pair are
 * tested (all of the namespace when it has none).
 */
export function workloadsMatching(ctx: RuleContext, namespace: string, selector: LabelSelector): Element[] {
  const index = k8sIndex(ctx);
  let candidates = index.workloadsByNamespace.get(namespace) ?? [];
  const byKey = index.workloadsByLabel.get(namespace);
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    const carrying = byKey?.get(k)?.get(String(v)) ?? [];
    if (carrying.length < candidates.length) candidates = carrying;
    if (candidates.length === 0) break;
  }
  return candidates.filter((w) => matchesLabelSelector(podLabels(w), selector));
}

export function ofType(ctx: RuleContext, ...types: string[]): Element[] {
  const { byType } = indexesOf(ctx.graph);
  return types.flatMap((t) => byType.get(`k8s:${t}`) ?? []);
}

export function containers(el: Element): Container[] {
  return Array.isArray(el.attrs.containers) ? (el.attrs.containers as Container[]) : [];
}

export function volumes(el: Element): Volume[] {
  return Array.isArray(el.attrs.volumes) ? (el.attrs.volumes as Volume[]) : [];
}

export function namespaceOf(el: Element): string {
  return k8sNamespaceOf(el);
}

export function podSpecPath(el: Element): string {
  return typeof el.attrs.podSpecPath === 'string' ? el.attrs.podSpecPath : 'spec.template.spec';
}

/** Where an attribute is: the first of `paths` the parser recorded a line for, else the object itself. */
export function at(el: Element, ...paths: string[]): SourceLocation {
  for (const p of paths) {
    const line = el.lines?.[p];
    if (line !== undefined && line > 0) return { file: el.location.file, line };
  }
  return el.location;
}

export function podLabels(el: Element): Record<string, string> {
  return (el.attrs.podLabels as Record<string, string>) ?? {};
}

/** RoleBindings / ClusterRoleBindings that name this ServiceAccount (directly or through a broad group). */
export function bindingsOf(ctx: RuleContext, namespace: string, serviceAccount: string): Element[] {
  const index = k8sIndex(ctx);
  const direct = index.bindingsBySa.get(`${namespace}/${serviceAccount}`) ?? [];
  const groups = groupBindingsOf(ctx, namespace);
  return [...new Set([...direct, ...groups])];
}

/** Bindings to groups every ServiceAccount of the namespace belongs to (one filter per namespace, not per account). */
function groupBindingsOf(ctx: RuleContext, namespace: string): readonly Element[] {
  const index = k8sIndex(ctx);
  if (index.groupBindings.length === 0) return [];
  const perNamespace = indexesOf(ctx.graph).memo('k8s:group-bindings', () => new Map<string, Element[]>());
  let groups = perNamespace.get(namespace);
  if (!groups) {
    groups = index.groupBindings.filter((b) =>
      ((b.attrs.broadGroups as string[] | undefined) ?? []).some((g) => g === 'system:serviceaccounts' || g === 'system:authenticated' || g === `system:serviceaccounts:${namespace}`),
    );
    perNamespace.set(namespace, groups);
  }
  return groups;
}

/** The rules of a role element, or none (role not in the analysed files). */
export function rbacRules(el: Element | undefined): RbacRule[] {
  return el && Array.isArray(el.attrs.rules) ? (el.attrs.rules as RbacRule[]) : [];
}

/** Does an RBAC rule cover `verb` on `resource` in the core API group? (`*` matches everything, including subresources.) */
export function grants(rule: RbacRule, verbs: readonly string[], resource: string): boolean {
  const group = rule.apiGroups.includes('') || rule.apiGroups.includes('*');
  const [base] = resource.split('/');
  const res = rule.resources.some((r) => r === '*' || r === resource || (resource.includes('/') && r === `${base}/*`));
  const verb = rule.verbs.some((v) => v === '*' || verbs.includes(v));
  return group && res && verb;
}

/** Effective automount: pod spec, else its ServiceAccount (when analysed), else Kubernetes' default `true`. */
export function automountsToken(ctx: RuleContext, el: Element): boolean {
  if (el.attrs.automountServiceAccountToken === false) return false;
  if (el.attrs.automountServiceAccountToken === true) return true;
  const sa = ctx.graph.elements.get(`k8s:ServiceAccount/${namespaceOf(el)}/${String(el.attrs.serviceAccount ?? 'default')}`);
  return sa?.attrs.automountServiceAccountToken !== false;
}

/** Well-known paths that hand a container the node (runtime sockets, kubelet, root, /etc, /proc). */
export const CRITICAL_HOST_PATHS = [/^\/$/, /docker\.sock$/, /containerd(\.sock)?$/, /crio\.sock$/, /^\/var\/run\/?$/, /^\/run\/?$/, /^\/var\/lib\/kubelet/, /^\/etc\/kubernetes/, /^\/var\/lib\/etcd/, /^\/proc/, /^\/root/, /^\/etc\/?$/, /^\/var\/lib\/docker/, /^\/sys\/?$/, /^\/dev\/?$/, /^\/boot/];

export function isCriticalHostPath(path: string): boolean {
  return CRITICAL_HOST_PATHS.some((re) => re.test(path));
}

/** Is this workload privileged in a way that hands over the node (used by several rules)? */
export function privilegedReasons(el: Element): { reason: string; location: SourceLocation }[] {
  const out: { reason: string; location: SourceLocation }[] = [];
  const spec = podSpecPath(el);
  for (const c of containers(el)) if (c.privileged) out.push({ reason: `container ${c.name} is privileged`, location: at(el, `${c.path}.securityContext.privileged`, c.path) });
  for (const ns of ['hostPID', 'hostIPC', 'hostNetwork'] as const) if (el.attrs[ns] === true) out.push({ reason: `${ns}: true`, location: at(el, `${spec}.${ns}`) });
  for (const v of volumes(el)) if (v.hostPath !== undefined && isCriticalHostPath(v.hostPath)) out.push({ reason: `hostPath ${v.hostPath}`, location: at(el, `${v.path}.hostPath`, v.path) });
  return out;
}

export function describe(el: Element): string {
  return `${el.type.slice(4)} ${namespaceOf(el)}/${el.name}`;
}

/** NetworkPolicy-like elements of a namespace (normalised NetworkPolicies, and vendor policies counted as present). */
export function networkPolicies(ctx: RuleContext, namespace: string): readonly Element[] {
  return k8sIndex(ctx).netpolsByNamespace.get(namespace) ?? [];
}

/** Does this policy apply to the pod labels? Vendor (non-normalised) policies count when they select the pods or everything. */
export function policySelects(policy: Element, labels: Record<string, string>): boolean {
  const sel = policy.attrs.podSelector as LabelSelector | undefined;
  if (!sel) return policy.attrs.normalised === false;
  return matchesLabelSelector(labels, sel);
}

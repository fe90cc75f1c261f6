import { k8sId, type K8sObject, type Output } from './object.js';
import { arr, bool, isObj, obj, str, stringMap, strings } from './util.js';

/** Roles every cluster has without a manifest; bindings to them are still meaningful. */
const BUILTIN_CLUSTER_ROLES = new Set(['cluster-admin', 'admin', 'edit', 'view']);

export function serviceAccount(o: K8sObject, out: Output): void {
  o.mark(['automountServiceAccountToken']);
  o.mark(['metadata', 'annotations']);
  const annotations = stringMap(o.metadata.annotations);
  const cloud: Record<string, string> = {};
  if (annotations['eks.amazonaws.com/role-arn']) cloud.aws = annotations['eks.amazonaws.com/role-arn'];
  if (annotations['iam.gke.io/gcp-service-account']) cloud.gcp = annotations['iam.gke.io/gcp-service-account'];
  if (annotations['azure.workload.identity/client-id']) cloud.azure = annotations['azure.workload.identity/client-id'];
  out.elements.push(
    o.element(
      'identity',
      {
        automountServiceAccountToken: bool(o.raw.automountServiceAccountToken) ?? null,
        imagePullSecrets: arr(o.raw.imagePullSecrets).map((s) => str(obj(s).name) ?? '').filter(Boolean),
        secrets: arr(o.raw.secrets).map((s) => str(obj(s).name) ?? '').filter(Boolean),
        ...(Object.keys(cloud).length > 0 ? { cloudIdentity: cloud } : {}),
      },
      o.zone,
    ),
  );
}

export function role(o: K8sObject, out: Output): void {
  o.mark(['rules']);
  const rules = arr(o.raw.rules)
    .filter(isObj)
    .map((r, i) => {
      o.mark(['rules', i]);
      o.mark(['rules', i, 'verbs']);
      o.mark(['rules', i, 'resources']);
      return {
        apiGroups: strings(r.apiGroups),
        resources: strings(r.resources).map((s) => s.toLowerCase()),
        verbs: strings(r.verbs).map((s) => s.toLowerCase()),
        resourceNames: strings(r.resourceNames),
        nonResourceURLs: strings(r.nonResourceURLs),
      };
    });
  const aggregation = obj(o.raw.aggregationRule);
  const cluster = o.kind === 'ClusterRole';
  out.elements.push(
    o.element(
      'capability',
      {
        scope: cluster ? 'cluster' : 'namespace',
        rules,
        ...(isObj(o.raw.aggregationRule) ? { aggregated: true, aggregationSelectors: arr(aggregation.clusterRoleSelectors).map((s) => stringMap(obj(s).matchLabels)) } : {}),
      },
      cluster ? 'cloud-iam' : o.zone,
    ),
  );
}

/**
 * A binding is an element (rules read its roleRef and subjects) and, for
 * every ServiceAccount subject, a `grants` ref from the ServiceAccount to
 * the role. The ref's `from` may be declared in another file: the graph
 * builder keeps the edge only when both ends exist.
 */
export function binding(o: K8sObject, out: Output): void {
  o.mark(['roleRef']);
  o.mark(['roleRef', 'name']);
  o.mark(['subjects']);
  const ref = obj(o.raw.roleRef);
  const roleKind = str(ref.kind) ?? 'ClusterRole';
  const roleName = str(ref.name) ?? '';
  const cluster = o.kind === 'ClusterRoleBinding';
  const roleId = roleKind === 'Role' ? k8sId('Role', roleName, o.ns) : k8sId('ClusterRole', roleName, undefined);
  const subjects = arr(o.raw.subjects)
    .filter(isObj)
    .map((s, i) => {
      o.mark(['subjects', i]);
      const kind = str(s.kind) ?? '';
      const subject: Record<string, string> = { kind, name: str(s.name) ?? '' };
      // A ServiceAccount subject without a namespace means the binding's namespace (invalid on ClusterRoleBindings, where `default` is the closest guess).
      if (kind === 'ServiceAccount') subject.namespace = str(s.namespace) ?? o.ns;
      else if (str(s.namespace)) subject.namespace = str(s.namespace)!;
      return subject;
    });
  const serviceAccounts = subjects.filter((s) => s.kind === 'ServiceAccount').map((s) => `${s.namespace}/${s.name}`);
  const others = subjects.filter((s) => s.kind !== 'ServiceAccount');
  out.elements.push(
    o.element(
      'capability',
      {
        binding: true,
        scope: cluster ? 'cluster' : 'namespace',
        roleRef: { kind: roleKind, name: roleName },
        roleId,
        builtinRole: roleKind === 'ClusterRole' && (BUILTIN_CLUSTER_ROLES.has(roleName) || roleName.startsWith('system:')),
        subjects,
        serviceAccounts,
        nonServiceAccountSubjects: others,
        // `system:serviceaccounts`, `system:authenticated`...: everyone of a kind gets the role.
        broadGroups: others.filter((s) => s.kind === 'Group' && /^system:(serviceaccounts|authenticated|unauthenticated)/.test(s.name)).map((s) => s.name),
      },
      cluster ? 'cloud-iam' : o.zone,
    ),
  );
  subjects.forEach((s, i) => {
    if (s.kind !== 'ServiceAccount' || !s.name) return;
    out.refs.push({
      type: 'element',
      from: k8sId('ServiceAccount', s.name, s.namespace),
      candidates: [roleId],
      onMissing: 'ignore',
      edge: {
        kind: 'grants',
        location: o.location(['subjects', i]),
        evidence: `${o.kind} ${o.name} binds ServiceAccount ${s.namespace}/${s.name} to ${roleKind} ${roleName}`,
        attrs: { binding: o.id },
      },
    });
  });
}

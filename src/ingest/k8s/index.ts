import type { Fragment, Limits, Parser } from '../../model/types.js';
import { parseYaml } from '../yaml.js';
import { configMap, horizontalPodAutoscaler, limitRange, namespace, other, persistentVolumeClaim, podDisruptionBudget, secret } from './config.js';
import { helmLine, isHelmTemplate, isKustomizationFile, looksLikeKubernetes } from './detect.js';
import { gatewayApiGateway, gatewayApiRoute, ingress, istioGateway, service, virtualService } from './network.js';
import { K8sObject, issue, type Output } from './object.js';
import { authorizationPolicy, destinationRule, networkPolicy, peerAuthentication, requestAuthentication, serviceEntry, sidecar, vendorNetworkPolicy } from './policy.js';
import { binding, role, serviceAccount } from './rbac.js';
import { arr, isObj, obj, str, stringMap, type Obj } from './util.js';
import { WORKLOAD_KINDS, workload, type FileIndex } from './workload.js';

export { looksLikeKubernetes, isHelmTemplate } from './detect.js';

/**
 * Kubernetes manifests (YAML or JSON, multi-document, `List`s) → one element
 * per object, edges for internet exposure, refs for everything that may be
 * declared in another file. Attribute shapes: ./README.md.
 */
export const kubernetesParser: Parser = {
  id: 'k8s',
  version: '2',
  detect(path, content) {
    return looksLikeKubernetes(path, content);
  },
  async parse(path, content, ctx) {
    return parseKubernetes(path, content, ctx.limits);
  },
};

/** Kustomize patch files: partial objects that would shadow the real ones. */
const PATCH_FILE = /(^|[/._-])patch(es)?([._-][^/]*)?\.(ya?ml|json)$/i;

export function parseKubernetes(file: string, content: string, limits: Limits): Fragment {
  const out: Output = { file, elements: [], edges: [], refs: [], issues: [] };
  const fragment = (): Fragment => ({ file, format: 'k8s', elements: out.elements, edges: out.edges, refs: out.refs, issues: out.issues });
  try {
    if (Buffer.byteLength(content, 'utf8') > limits.maxFileBytes) {
      issue(out, 'error', 'file-too-large', `File is larger than the ${limits.maxFileBytes}-byte limit; not parsed`);
      return fragment();
    }
    if (isKustomizationFile(file)) {
      issue(out, 'skipped', 'kustomization', 'Kustomization: not modelled; the manifests it lists are read as plain files');
      return fragment();
    }
    if (isHelmTemplate(file, content)) {
      issue(out, 'skipped', 'helm-template', 'Helm template: not modelled until rendered', helmLine(content));
      return fragment();
    }
    if (PATCH_FILE.test(file)) {
      issue(out, 'skipped', 'kustomize-patch', 'Kustomize patch: partial object, not modelled on its own');
      return fragment();
    }
    const parsed = parseYaml(file, content, limits);
    out.issues.push(...parsed.issues);
    const objects = collectObjects(file, parsed.documents, out);
    const index: FileIndex = { configMaps: new Map(), serviceSelectors: new Map() };
    for (const o of objects) {
      if (o.kind === 'Service' && o.group === '') index.serviceSelectors.set(`${o.ns}/${o.name}`, stringMap(o.spec.selector));
      if (o.kind === 'ConfigMap') index.configMaps.set(`${o.ns}/${o.name}`, o);
    }
    for (const o of objects) {
      try {
        dispatch(o, out, index);
      } catch (err) {
        issue(out, 'error', 'object-error', `${o.kind} ${o.name} could not be modelled: ${(err as Error).message.split('\n')[0]}`, o.line(['kind']));
      }
    }
  } catch (err) {
    issue(out, 'error', 'parser-error', `Kubernetes parser failed: ${(err as Error).message.split('\n')[0]}`);
  }
  return fragment();
}

function collectObjects(file: string, documents: ReturnType<typeof parseYaml>['documents'], out: Output): K8sObject[] {
  const objects: K8sObject[] = [];
  const seen = new Map<string, number>();
  let kustomizationReported = false;
  const take = (doc: (typeof documents)[number], base: (string | number)[], raw: unknown) => {
    const line = doc.lineOf(base);
    if (!isObj(raw)) {
      issue(out, 'warning', 'not-an-object', 'Document is not a Kubernetes object (not a mapping); ignored', line);
      return;
    }
    const kind = str(raw.kind);
    const apiVersion = str(raw.apiVersion) ?? '';
    if (!kind) {
      issue(out, 'warning', 'missing-kind', 'Object has no `kind`; ignored', line);
      return;
    }
    if (/^kustomize\.config\.k8s\.io\//.test(apiVersion) || kind === 'Kustomization') {
      if (!kustomizationReported) issue(out, 'skipped', 'kustomization', 'Kustomization: not modelled; the manifests it lists are read as plain files', doc.lineOf([...base, 'kind']));
      kustomizationReported = true;
      return;
    }
    if ('$patch' in raw) {
      issue(out, 'skipped', 'kustomize-patch', `Kustomize patch for ${kind}: not modelled on its own`, doc.lineOf([...base, 'kind']));
      return;
    }
    const metadata = obj(raw.metadata);
    const generated = str(metadata.generateName);
    // API-server audit policies (audit.k8s.io) have no name; rules still need to see them.
    const name = str(metadata.name)?.trim() || (generated ? `${generated}*` : undefined) || (/^audit\.k8s\.io\//.test(apiVersion) ? 'audit-policy' : undefined);
    if (!name) {
      issue(out, 'warning', 'missing-name', `${kind} has no metadata.name; ignored`, doc.lineOf([...base, 'kind']));
      return;
    }
    const o = new K8sObject(file, doc, base, raw as Obj, kind, name);
    const first = seen.get(o.id);
    if (first !== undefined) {
      issue(out, 'warning', 'duplicate-object', `${o.id} is defined twice in this file (first at line ${first}); keeping the first`, o.line(['kind']));
      return;
    }
    seen.set(o.id, o.line(['kind']));
    objects.push(o);
  };
  for (const doc of documents) {
    const v = doc.value;
    if (isObj(v) && /List$/.test(str(v.kind) ?? '') && Array.isArray(v.items)) {
      arr(v.items).forEach((item, i) => take(doc, ['items', i], item));
    } else {
      take(doc, [], v);
    }
  }
  return objects;
}

const ISTIO = /(^|\.)istio\.io$/;

function dispatch(o: K8sObject, out: Output, index: FileIndex): void {
  const k = o.kind;
  if (WORKLOAD_KINDS.has(k)) return workload(o, out, index);
  switch (k) {
    case 'Service':
      return o.group === '' ? service(o, out) : other(o, out);
    case 'Ingress':
      return ingress(o, out);
    case 'Gateway':
      if (o.group === 'gateway.networking.k8s.io') return gatewayApiGateway(o, out);
      if (ISTIO.test(o.group)) return istioGateway(o, out);
      return other(o, out);
    case 'HTTPRoute':
    case 'GRPCRoute':
    case 'TCPRoute':
    case 'TLSRoute':
    case 'UDPRoute':
      return gatewayApiRoute(o, out);
    case 'VirtualService':
      return ISTIO.test(o.group) ? virtualService(o, out) : other(o, out);
    case 'NetworkPolicy':
      if (o.group === 'networking.k8s.io' || o.group === 'extensions') return networkPolicy(o, out);
      if (/projectcalico\.org$/.test(o.group)) return vendorNetworkPolicy(o, out, 'calico');
      return other(o, out);
    case 'GlobalNetworkPolicy':
      return vendorNetworkPolicy(o, out, 'calico');
    case 'CiliumNetworkPolicy':
    case 'CiliumClusterwideNetworkPolicy':
      return vendorNetworkPolicy(o, out, 'cilium');
    case 'AdminNetworkPolicy':
    case 'BaselineAdminNetworkPolicy':
      return vendorNetworkPolicy(o, out, 'admin-network-policy');
    case 'PeerAuthentication':
      return ISTIO.test(o.group) ? peerAuthentication(o, out) : other(o, out);
    case 'AuthorizationPolicy':
      return ISTIO.test(o.group) ? authorizationPolicy(o, out) : other(o, out);
    case 'RequestAuthentication':
      return ISTIO.test(o.group) ? requestAuthentication(o, out) : other(o, out);
    case 'DestinationRule':
      return ISTIO.test(o.group) ? destinationRule(o, out) : other(o, out);
    case 'ServiceEntry':
      return ISTIO.test(o.group) ? serviceEntry(o, out) : other(o, out);
    case 'Sidecar':
      return ISTIO.test(o.group) ? sidecar(o, out) : other(o, out);
    case 'ServiceAccount':
      return serviceAccount(o, out);
    case 'Role':
    case 'ClusterRole':
      return /rbac\.authorization\.k8s\.io/.test(o.group) ? role(o, out) : other(o, out);
    case 'RoleBinding':
    case 'ClusterRoleBinding':
      return /rbac\.authorization\.k8s\.io/.test(o.group) ? binding(o, out) : other(o, out);
    case 'Secret':
      return secret(o, out);
    case 'ConfigMap':
      return configMap(o, out);
    case 'PersistentVolumeClaim':
      return persistentVolumeClaim(o, out);
    case 'Namespace':
      return namespace(o, out);
    case 'HorizontalPodAutoscaler':
      return horizontalPodAutoscaler(o, out);
    case 'PodDisruptionBudget':
      return podDisruptionBudget(o, out);
    case 'LimitRange':
      return limitRange(o, out);
    default:
      return other(o, out);
  }
}

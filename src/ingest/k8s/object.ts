import type { Edge, Element, ElementKind, ParseIssue, Ref, SourceLocation } from '../../model/types.js';
import type { SourceDocument } from '../yaml.js';
import { get, joinPath, obj, str, stringMap, truncate, type Obj, type Path } from './util.js';

/** Kinds that live outside namespaces: their ids have no namespace part, and a `metadata.namespace` on them is ignored. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'PriorityClass',
  'IngressClass',
  'GatewayClass',
  'RuntimeClass',
  'PodSecurityPolicy',
  'CSIDriver',
  'CSINode',
  'VolumeAttachment',
  'CertificateSigningRequest',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'MutatingAdmissionPolicy',
  'MutatingAdmissionPolicyBinding',
  'FlowSchema',
  'PriorityLevelConfiguration',
  'GlobalNetworkPolicy',
  'GlobalNetworkSet',
  'CiliumClusterwideNetworkPolicy',
  'AdminNetworkPolicy',
  'BaselineAdminNetworkPolicy',
  'ClusterIssuer',
  'ClusterPolicy',
  'ClusterSecretStore',
]);

export function isClusterScoped(kind: string): boolean {
  // CRDs named Cluster* (ClusterIssuer, ClusterPolicy, ClusterTriggerBinding...) are cluster-scoped by convention.
  return CLUSTER_SCOPED.has(kind) || /^Cluster[A-Z]/.test(kind);
}

export function k8sId(kind: string, name: string, namespace: string | undefined): string {
  return namespace === undefined ? `k8s:${kind}/${name}` : `k8s:${kind}/${namespace}/${name}`;
}

/** One Kubernetes object of a document (or of a `List`), with its way back to source lines. */
export class K8sObject {
  readonly kind: string;
  readonly apiVersion: string;
  /** API group (`apps`, `networking.k8s.io`; `''` for the core group). */
  readonly group: string;
  readonly name: string;
  /** Effective namespace, `undefined` for cluster-scoped kinds. */
  readonly namespace: string | undefined;
  readonly id: string;
  readonly raw: Obj;
  readonly metadata: Obj;
  readonly spec: Obj;
  readonly lines: Record<string, number> = {};

  constructor(
    readonly file: string,
    private readonly doc: SourceDocument,
    /** Path of this object inside its document (`[]`, or `['items', 3]`). */
    private readonly base: Path,
    raw: Obj,
    kind: string,
    name: string,
  ) {
    this.raw = raw;
    this.kind = kind;
    this.name = name;
    this.apiVersion = str(raw.apiVersion) ?? '';
    this.group = this.apiVersion.includes('/') ? this.apiVersion.slice(0, this.apiVersion.lastIndexOf('/')) : '';
    this.metadata = obj(raw.metadata);
    this.spec = obj(raw.spec);
    const ns = str(this.metadata.namespace);
    this.namespace = isClusterScoped(kind) ? undefined : ns && ns.trim() ? ns.trim() : 'default';
    this.id = k8sId(kind, name, this.namespace);
  }

  /** Namespace for things that need one (refs from cluster-scoped objects resolve in `default`). */
  get ns(): string {
    return this.namespace ?? 'default';
  }

  /** 1-based line of the attribute at `path` (relative to the object), or its nearest existing ancestor. */
  line(path: Path): number {
    return this.doc.lineOf([...this.base, ...path]);
  }

  location(path: Path = ['kind']): SourceLocation {
    return { file: this.file, line: this.line(path) };
  }

  has(path: Path): boolean {
    return get(this.raw, path) !== undefined;
  }

  /** Records the line of `path` in `lines` (keyed by its dotted form) when the attribute exists. */
  mark(path: Path): void {
    if (this.has(path)) this.lines[joinPath(path)] = this.line(path);
  }

  /** Attributes every k8s element carries. */
  commonAttrs(): Obj {
    const attrs: Obj = { apiVersion: this.apiVersion };
    if (this.namespace !== undefined) attrs.namespace = this.namespace;
    attrs.labels = stringMap(this.metadata.labels);
    attrs.annotations = safeAnnotations(this.metadata.annotations);
    return attrs;
  }

  element(kind: ElementKind, attrs: Obj, zoneHint?: string): Element {
    return {
      id: this.id,
      kind,
      type: `k8s:${this.kind}`,
      name: this.name,
      location: this.location(),
      ...(zoneHint !== undefined ? { zoneHint } : {}),
      attrs: { ...this.commonAttrs(), ...attrs },
      ...(Object.keys(this.lines).length > 0 ? { lines: { ...this.lines } } : {}),
    };
  }

  /** Zone hint for namespaced objects. */
  get zone(): string {
    return `k8s:${this.ns}`;
  }
}

/**
 * Annotations, minus what must never reach a report: `last-applied-configuration`
 * holds the whole object (Secret values included) as JSON.
 */
function safeAnnotations(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(stringMap(v, 1024))) {
    out[k] = k === 'kubectl.kubernetes.io/last-applied-configuration' ? '[omitted]' : truncate(value, 512);
  }
  return out;
}

/** What a file contributes; handlers append to it. */
export interface Output {
  file: string;
  elements: Element[];
  edges: Edge[];
  refs: Ref[];
  issues: ParseIssue[];
}

export function issue(out: Output, level: ParseIssue['level'], code: string, message: string, line?: number): void {
  out.issues.push({ file: out.file, ...(line !== undefined ? { line } : {}), level, code, message });
}

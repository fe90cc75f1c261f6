import type { Element, ElementKind } from '../model/types.js';
import type { Graph } from '../model/graph.js';

/**
 * Lookups over one Graph, built once and shared by every rule and by the
 * shared analysis (attack paths, risk). Rules used to filter every element
 * (or every workload, every operation) once per policy, per API or per
 * bucket, which is quadratic: at 5,000 services a full rule pass took tens
 * of seconds. Everything here is one pass over the graph.
 *
 * Lists keep graph (insertion) order unless they say otherwise, so a rule
 * that switches from a filter over `graph.elements` to an index reports in
 * the same order. The lists are shared: callers must not mutate them.
 * A Graph must not be mutated after its indexes are built (graphs are
 * assembled once and then read; a derived head is a new Graph object).
 */
export interface Indexes {
  /** Elements by source type (`k8s:Deployment`, `openapi:operation`, `tf:provider`...). */
  byType: ReadonlyMap<string, readonly Element[]>;
  byKind: ReadonlyMap<ElementKind, readonly Element[]>;
  k8s: K8sIndexes;
  openapi: OpenApiIndexes;
  terraform: TerraformIndexes;
  /**
   * Memoises a value derived from this graph under `key` (a helper's own
   * index, a per-namespace answer). Keys are namespaced by their user
   * (`k8s:`, `openapi:`, `tf:`, `paths:`...).
   */
  memo<T>(key: string, build: () => T): T;
}

export interface K8sIndexes {
  /** Pod-running objects (`attrs.workload === true`) of `k8s:` types. */
  workloads: readonly Element[];
  /** Workloads by namespace (`attrs.namespace` when a string, else `default`). */
  workloadsByNamespace: ReadonlyMap<string, readonly Element[]>;
  /** Namespace -> label key -> label value -> workloads carrying that label (for selectors). */
  workloadsByLabel: ReadonlyMap<string, ReadonlyMap<string, ReadonlyMap<string, readonly Element[]>>>;
  /** `ns/sa` -> RBAC bindings naming that ServiceAccount. */
  bindingsBySa: ReadonlyMap<string, readonly Element[]>;
  /** Bindings to broad groups (system:serviceaccounts[:ns], system:authenticated). */
  groupBindings: readonly Element[];
  /** NetworkPolicy-like elements (`policyKind: network`) by namespace. */
  netpolsByNamespace: ReadonlyMap<string, readonly Element[]>;
  /** Istio PeerAuthentications (`policyKind: mtls`). */
  peerAuths: readonly Element[];
  peerAuthsByNamespace: ReadonlyMap<string, readonly Element[]>;
}

export interface OpenApiIndexes {
  apis: readonly Element[];
  operations: readonly Element[];
  /** API element id -> its operations (`attrs.api`, when that element exists). */
  operationsByApi: ReadonlyMap<string, readonly Element[]>;
}

export interface TerraformIndexes {
  /**
   * Terraform resources (id `tf:`, not data sources, modules or providers) by
   * `attrs.tfType`, each list sorted by element id.
   */
  resourcesByType: ReadonlyMap<string, readonly Element[]>;
  /** Every element with a `tf:` id (data sources, modules and providers too) by `attrs.tfType`, graph order. */
  byTfType: ReadonlyMap<string, readonly Element[]>;
}

const CACHE = new WeakMap<Graph, Indexes>();

export function indexesOf(graph: Graph): Indexes {
  const cached = CACHE.get(graph);
  if (cached) return cached;
  const built = build(graph);
  CACHE.set(graph, built);
  return built;
}

/** The graph's indexes when something already built them (lets a cheap one-off query avoid building them all). */
export function cachedIndexes(graph: Graph): Indexes | undefined {
  return CACHE.get(graph);
}

/** The namespace rules use for a Kubernetes element. */
export function k8sNamespaceOf(el: Element): string {
  return typeof el.attrs.namespace === 'string' ? el.attrs.namespace : 'default';
}

function push<K>(m: Map<K, Element[]>, k: K, e: Element): void {
  const list = m.get(k);
  if (list) list.push(e);
  else m.set(k, [e]);
}

const byId = (a: Element, b: Element) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function build(graph: Graph): Indexes {
  const byType = new Map<string, Element[]>();
  const k8s = {
    workloads: [] as Element[],
    workloadsByNamespace: new Map<string, Element[]>(),
    workloadsByLabel: new Map<string, Map<string, Map<string, Element[]>>>(),
    bindingsBySa: new Map<string, Element[]>(),
    groupBindings: [] as Element[],
    netpolsByNamespace: new Map<string, Element[]>(),
    peerAuths: [] as Element[],
    peerAuthsByNamespace: new Map<string, Element[]>(),
  };
  const openapi = { apis: [] as Element[], operations: [] as Element[], operationsByApi: new Map<string, Element[]>() };
  const resourcesByType = new Map<string, Element[]>();
  const byTfType = new Map<string, Element[]>();

  // One pass; attributes are read only for the element types that need them
  // (on a large graph each attribute read is a cache miss).
  for (const e of graph.elements.values()) {
    const type = e.type;
    push(byType, type, e);
    if (type.startsWith('k8s:')) {
      const attrs = e.attrs;
      if (attrs.workload === true) {
        const ns = k8sNamespaceOf(e);
        k8s.workloads.push(e);
        push(k8s.workloadsByNamespace, ns, e);
        const labels = attrs.podLabels as Record<string, unknown> | undefined;
        if (labels && typeof labels === 'object') {
          let byKey = k8s.workloadsByLabel.get(ns);
          if (!byKey) k8s.workloadsByLabel.set(ns, (byKey = new Map()));
          for (const [k, v] of Object.entries(labels)) {
            let byValue = byKey.get(k);
            if (!byValue) byKey.set(k, (byValue = new Map()));
            push(byValue, String(v), e);
          }
        }
      }
      if (attrs.binding === true) {
        for (const sa of (attrs.serviceAccounts as string[] | undefined) ?? []) push(k8s.bindingsBySa, sa, e);
        if (((attrs.broadGroups as string[] | undefined) ?? []).length > 0) k8s.groupBindings.push(e);
      }
      if (e.kind === 'policy') {
        const policyKind = attrs.policyKind;
        if (policyKind === 'network') push(k8s.netpolsByNamespace, k8sNamespaceOf(e), e);
        else if (policyKind === 'mtls') {
          k8s.peerAuths.push(e);
          push(k8s.peerAuthsByNamespace, k8sNamespaceOf(e), e);
        }
      }
    } else if (type === 'openapi:operation') {
      openapi.operations.push(e);
      const apiId = e.attrs.api;
      const api = typeof apiId === 'string' ? graph.elements.get(apiId) : undefined;
      if (api) push(openapi.operationsByApi, api.id, e);
    } else if (type === 'openapi:api') {
      openapi.apis.push(e);
    }
    if (e.id.startsWith('tf:')) {
      const attrs = e.attrs;
      const t = attrs.tfType;
      if (typeof t === 'string') {
        push(byTfType, t, e);
        if (t !== 'module' && t !== 'provider' && attrs.dataSource !== true) push(resourcesByType, t, e);
      }
    }
  }
  for (const list of resourcesByType.values()) list.sort(byId);

  const memos = new Map<string, unknown>();
  let byKind: Map<ElementKind, Element[]> | undefined;
  return {
    byType,
    // Nothing in the rule phase needs it: built on first use.
    get byKind() {
      if (!byKind) {
        byKind = new Map();
        for (const e of graph.elements.values()) push(byKind, e.kind, e);
      }
      return byKind;
    },
    k8s,
    openapi,
    terraform: { resourcesByType, byTfType },
    memo<T>(key: string, make: () => T): T {
      if (memos.has(key)) return memos.get(key) as T;
      const value = make();
      memos.set(key, value);
      return value;
    },
  };
}

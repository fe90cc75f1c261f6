import picomatch from 'picomatch';
import type { Edge, Element, Fragment, ParseIssue, Ref } from '../model/types.js';
import type { Graph } from '../model/graph.js';
import type { Config } from '../config/config.js';
import { buildLinkIndex, linkRefs, type LinkResult } from './link.js';
import { assignZones } from './zones.js';

export const INTERNET: Element = {
  id: 'actor:internet',
  kind: 'actor',
  type: 'actor',
  name: 'Internet',
  location: { file: '', line: 0 },
  zoneHint: 'internet',
  attrs: {},
};

/**
 * Builds the linked graph from fragments. Deterministic: fragments are taken
 * in path order, so the same files give the same graph whatever order they
 * were read in. An element defined twice is reported, never merged: the
 * first definition (by path) wins and the other file's contribution for it
 * is dropped.
 */
export function buildGraph(fragmentsIn: readonly Fragment[], config: Pick<Config, 'zones' | 'apis'>): Graph {
  const fragments = [...fragmentsIn].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const elements = new Map<string, Element>();
  const issues: ParseIssue[] = [];
  const files = new Map<string, string>();
  const rawEdges: Edge[] = [];
  const refs: Ref[] = [];

  for (const fragment of fragments) {
    files.set(fragment.file, fragment.format);
    issues.push(...fragment.issues);
    const rejected = new Set<string>();
    for (const el of fragment.elements) {
      const existing = elements.get(el.id);
      if (existing) {
        rejected.add(el.id);
        issues.push(duplicateIssue(el, existing));
        continue;
      }
      elements.set(el.id, el);
    }
    for (const e of fragment.edges) if (!rejected.has(e.from) && !rejected.has(e.to)) rawEdges.push(e);
    for (const r of fragment.refs) if (!rejected.has(r.from)) refs.push(r);
  }

  const apiOverride = apiOverrides(config.apis, elements);
  const linked = linkRefs(refs, buildLinkIndex(elements), apiOverride);
  return finishGraph({ elements, rawEdges, linked, issues, files }, config);
}

/** The warning for an element defined again after `existing` (first by path) won. */
export function duplicateIssue(el: Element, existing: Element): ParseIssue {
  return {
    file: el.location.file,
    line: el.location.line,
    level: 'warning',
    code: 'duplicate-definition',
    message: `${el.id} is also defined at ${existing.location.file}:${existing.location.line}; using that one. Pick one deployment with include/exclude in .github/threatdiff.yml`,
  };
}

/** What the merge and link steps produce; `finishGraph` turns it into a Graph. */
export interface GraphParts {
  /** Accepted fragment elements in path order (the linker's view); created elements are appended to it. */
  elements: Map<string, Element>;
  rawEdges: Edge[];
  linked: LinkResult;
  /** Fragment issues and duplicate warnings; link issues are appended. */
  issues: ParseIssue[];
  files: Map<string, string>;
  /** Precomputed `edgeKey`s of rawEdges and linked.edges (same order), when the caller keeps them. */
  rawKeys?: readonly string[];
  linkedKeys?: readonly string[];
  /** Told which candidate edges were kept (list 0 = raw, 1 = linked; index in it) and which were dropped for a missing end. */
  trace?: {
    kept(list: 0 | 1, index: number): void;
    dangling(key: string, missing: string): void;
  };
}

/**
 * The last step of a build, shared with the incremental engine so both
 * produce the same graph: created elements, the internet actor, edge
 * filtering and de-duplication, zones and adjacency.
 */
export function finishGraph(parts: GraphParts, config: Pick<Config, 'zones'>): Graph {
  const { elements, rawEdges, linked, issues, files } = parts;
  issues.push(...linked.issues);
  for (const el of linked.created) elements.set(el.id, el);
  let needsInternet = false;
  for (const list of [rawEdges, linked.edges]) for (const e of list) if (e.from === INTERNET.id) needsInternet = true;
  if (needsInternet && !elements.has(INTERNET.id)) elements.set(INTERNET.id, INTERNET);

  // Both ends must exist; one edge per (kind, from, to), the first (by path order) keeps its evidence.
  const edges: Edge[] = [];
  const seen = new Set<string>();
  const trace = parts.trace;
  const keep = (list: readonly Edge[], keys: readonly string[] | undefined, which: 0 | 1): void => {
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      if (e.from === e.to) continue;
      const hasFrom = elements.has(e.from);
      const hasTo = elements.has(e.to);
      if (!hasFrom || !hasTo) {
        if (trace) {
          const key = keys ? keys[i]! : edgeKey(e);
          if (!hasFrom) trace.dangling(key, e.from);
          if (!hasTo) trace.dangling(key, e.to);
        }
        continue;
      }
      const key = keys ? keys[i]! : edgeKey(e);
      if (seen.has(key)) continue;
      seen.add(key);
      edges.push(e);
      trace?.kept(which, i);
    }
  };
  keep(rawEdges, parts.rawKeys, 0);
  keep(linked.edges, parts.linkedKeys, 1);
  const { zoneOf, zones } = assignZones(elements, edges, config.zones);
  const out = new Map<string, Edge[]>();
  const inn = new Map<string, Edge[]>();
  for (const e of edges) {
    const o = out.get(e.from);
    if (o) o.push(e);
    else out.set(e.from, [e]);
    const n = inn.get(e.to);
    if (n) n.push(e);
    else inn.set(e.to, [e]);
  }
  return { elements, zoneOf, zones, edges, out, in: inn, issues, files };
}

/** The de-duplication key of an edge. */
export function edgeKey(e: Pick<Edge, 'kind' | 'from' | 'to'>): string {
  return `${e.kind}\u0000${e.from}\u0000${e.to}`;
}

/** `apis:` in the config maps a spec path glob or an API title to a service name. */
export function apiOverrides(apis: Record<string, string>, elements: Map<string, Element>): (apiId: string, file: string) => string | undefined {
  const entries = Object.entries(apis).map(([key, service]) => ({ key, service, match: picomatch(key, { dot: true }) }));
  return (apiId, file) => {
    const title = String(elements.get(apiId)?.attrs.title ?? '');
    return entries.find((e) => e.key === title || e.match(file))?.service;
  };
}

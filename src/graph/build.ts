import picomatch from 'picomatch';
import type { Edge, Element, Fragment, ParseIssue, Ref } from '../model/types.js';
import type { Graph } from '../model/graph.js';
import type { Config } from '../config/config.js';
import { buildLinkIndex, linkRefs } from './link.js';
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
        issues.push({
          file: el.location.file,
          line: el.location.line,
          level: 'warning',
          code: 'duplicate-definition',
          message: `${el.id} is also defined at ${existing.location.file}:${existing.location.line}; using that one. Pick one deployment with include/exclude in .github/threatdiff.yml`,
        });
        continue;
      }
      elements.set(el.id, el);
    }
    for (const e of fragment.edges) if (!rejected.has(e.from) && !rejected.has(e.to)) rawEdges.push(e);
    for (const r of fragment.refs) if (!rejected.has(r.from)) refs.push(r);
  }

  const apiOverride = apiOverrides(config.apis, elements);
  const linked = linkRefs(refs, buildLinkIndex(elements), apiOverride);
  issues.push(...linked.issues);
  for (const el of linked.created) elements.set(el.id, el);
  const needsInternet = rawEdges.some((e) => e.from === INTERNET.id) || linked.edges.some((e) => e.from === INTERNET.id);
  if (needsInternet && !elements.has(INTERNET.id)) elements.set(INTERNET.id, INTERNET);

  const edges = dedupeEdges([...rawEdges, ...linked.edges].filter((e) => elements.has(e.from) && elements.has(e.to) && e.from !== e.to));
  const { zoneOf, zones } = assignZones(elements, edges, config.zones);
  const out = new Map<string, Edge[]>();
  const inn = new Map<string, Edge[]>();
  for (const e of edges) {
    (out.get(e.from) ?? out.set(e.from, []).get(e.from)!).push(e);
    (inn.get(e.to) ?? inn.set(e.to, []).get(e.to)!).push(e);
  }
  return { elements, zoneOf, zones, edges, out, in: inn, issues, files };
}

/** One edge per (kind, from, to): the first (by path order) keeps its evidence. */
function dedupeEdges(edges: Edge[]): Edge[] {
  const seen = new Set<string>();
  return edges.filter((e) => {
    const key = `${e.kind}\u0000${e.from}\u0000${e.to}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `apis:` in the config maps a spec path glob or an API title to a service name. */
function apiOverrides(apis: Record<string, string>, elements: Map<string, Element>): (apiId: string, file: string) => string | undefined {
  const entries = Object.entries(apis).map(([key, service]) => ({ key, service, match: picomatch(key, { dot: true }) }));
  return (apiId, file) => {
    const title = String(elements.get(apiId)?.attrs.title ?? '');
    return entries.find((e) => e.key === title || e.match(file))?.service;
  };
}

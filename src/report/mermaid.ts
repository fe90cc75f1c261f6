import type { Graph } from '../model/graph.js';
import type { Report } from '../model/report.js';
import type { Element, ElementKind } from '../model/types.js';
import { zoneInfo } from '../graph/zones.js';
import { mermaidLabel } from './escape.js';

export interface MermaidOptions {
  report?: Report;
  /** The base graph: head edges absent from it are highlighted as new. Null for `scan`. */
  base?: Graph | null;
  /** Draw only these element ids (the affected part of the graph). */
  only?: ReadonlySet<string>;
  /** Largest number of nodes drawn (default 150); GitHub's renderer gives up on much larger charts. */
  maxNodes?: number;
  /** Largest number of edges drawn (default 4 × maxNodes; GitHub's Mermaid caps edges at 500). */
  maxEdges?: number;
}

const DEFAULT_MAX_NODES = 150;

/** Node shape per kind: [open, close] around the quoted label. */
const SHAPES: Record<ElementKind, [string, string]> = {
  actor: ['([', '])'],
  gateway: ['{{', '}}'],
  service: ['(', ')'],
  api: ['[[', ']]'],
  operation: ['[', ']'],
  datastore: ['[(', ')]'],
  queue: ['>', ']'],
  identity: ['[/', '\\]'],
  capability: ['[\\', '/]'],
  secret: ['[/', '/]'],
  policy: ['[\\', '\\]'],
  config: ['[', ']'],
  other: ['[', ']'],
};

/** Which nodes survive the cap first: the architecture's backbone, operations last (an API node stands for them). */
const KIND_PRIORITY: ElementKind[] = ['actor', 'gateway', 'service', 'datastore', 'queue', 'api', 'secret', 'identity', 'capability', 'policy', 'config', 'other', 'operation'];

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function edgeKey(e: { kind: string; from: string; to: string }): string {
  return `${e.kind}\u0000${e.from}\u0000${e.to}`;
}

/**
 * The graph as a Mermaid flowchart: one subgraph per trust zone, new flows
 * in red. Node ids are n1, n2... by sorted element id, so nothing from a
 * file is ever part of Mermaid syntax, only of quoted, escaped labels.
 */
export function renderMermaid(graph: Graph, options: MermaidOptions = {}): string {
  const maxNodes = Math.max(1, options.maxNodes ?? DEFAULT_MAX_NODES);
  const maxEdges = Math.max(0, options.maxEdges ?? maxNodes * 4);
  const report = options.report;

  const newEdges = new Set<string>();
  for (const c of report?.crossings ?? []) if (c.status === 'new') newEdges.add(edgeKey(c));
  if (options.base) {
    const before = new Set(options.base.edges.map(edgeKey));
    for (const e of graph.edges) if (!before.has(edgeKey(e))) newEdges.add(edgeKey(e));
  }
  const flagged = new Set<string>();
  for (const t of report?.threats ?? []) if (t.status === 'new' && !t.accepted) flagged.add(t.element);
  const hot = new Set<string>(flagged);
  for (const c of report?.crossings ?? []) if (c.status === 'new') hot.add(c.from).add(c.to);

  let candidates = [...graph.elements.values()];
  if (options.only) candidates = candidates.filter((e) => options.only!.has(e.id));
  const rank = (e: Element): number => (hot.has(e.id) ? 0 : 1 + KIND_PRIORITY.indexOf(e.kind));
  const shown = candidates.length > maxNodes ? [...candidates].sort((a, b) => rank(a) - rank(b) || byString(a.id, b.id)).slice(0, maxNodes) : candidates;
  shown.sort((a, b) => byString(a.id, b.id));

  const nodeId = new Map<string, string>();
  shown.forEach((e, i) => nodeId.set(e.id, `n${i + 1}`));

  const lines = ['flowchart LR'];
  if (shown.length < candidates.length) lines.push(`%% showing ${shown.length} of ${candidates.length} elements (maxNodes ${maxNodes})`);
  if (shown.length === 0) lines.push('%% no elements');

  const byZone = new Map<string, Element[]>();
  for (const e of shown) {
    const zone = graph.zoneOf.get(e.id) ?? 'unzoned';
    (byZone.get(zone) ?? byZone.set(zone, []).get(zone)!).push(e);
  }
  const zoneOf = (id: string) => graph.zones.get(id) ?? zoneInfo(id);
  const zoneIds = [...byZone.keys()].sort((a, b) => zoneOf(a).trust - zoneOf(b).trust || byString(a, b));
  zoneIds.forEach((z, i) => {
    lines.push(`  subgraph z${i + 1}["${mermaidLabel(zoneOf(z).name)}"]`);
    for (const e of byZone.get(z)!) {
      const [open, close] = SHAPES[e.kind] ?? SHAPES.other;
      lines.push(`    ${nodeId.get(e.id)}${open}"${mermaidLabel(`${e.kind}: ${e.name}`)}"${close}`);
    }
    lines.push('  end');
  });

  const edges = graph.edges
    .filter((e) => nodeId.has(e.from) && nodeId.has(e.to))
    .sort((a, b) => byString(a.from, b.from) || byString(a.to, b.to) || byString(a.kind, b.kind));
  const drawn = edges.slice(0, maxEdges);
  if (drawn.length < edges.length) lines.push(`%% showing ${drawn.length} of ${edges.length} edges (maxEdges ${maxEdges})`);
  const highlighted: number[] = [];
  drawn.forEach((e, i) => {
    const label = `${e.kind}${e.protocol ? ` ${e.protocol}` : ''}${e.port !== undefined ? `:${e.port}` : ''}`;
    lines.push(`  ${nodeId.get(e.from)} -->|"${mermaidLabel(label)}"| ${nodeId.get(e.to)}`);
    if (newEdges.has(edgeKey(e))) highlighted.push(i);
  });

  const threatNodes = shown.filter((e) => flagged.has(e.id)).map((e) => nodeId.get(e.id)!);
  if (threatNodes.length > 0) {
    lines.push('  classDef threat stroke:#d73a49,stroke-width:3px');
    lines.push(`  class ${threatNodes.join(',')} threat`);
  }
  if (highlighted.length > 0) lines.push(`  linkStyle ${highlighted.join(',')} stroke:#d73a49,stroke-width:3px`);
  return `${lines.join('\n')}\n`;
}

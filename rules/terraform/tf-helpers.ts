import type { Graph, RuleHit } from '../../src/model/graph.js';
import type { Element, Severity, SourceLocation } from '../../src/model/types.js';
import { asBool, isExpr, show, type PolicyStatement, type Tri } from '../../src/ingest/terraform/index.js';
import { indexesOf } from '../../src/analysis/indexes.js';

/**
 * Shared reading of Terraform elements for rules. Conventions (see
 * src/ingest/terraform/README.md): `attrs.values` holds literals or
 * `{ $expr }` (unknown, never safe); nested blocks are arrays; `lines` maps
 * dotted paths to lines. Rules here report unknown values conservatively:
 * the finding is kept at a lower severity and the evidence says which
 * expression decides it.
 */

/** Terraform resources (not data sources, modules or providers) of the given types, sorted by id. */
export function resources(graph: Graph, types: string | readonly string[] | ((t: string) => boolean)): Element[] {
  // Per-type lists come sorted from the shared index (one pass per graph, not one per call).
  const byType = indexesOf(graph).terraform.resourcesByType;
  if (typeof types === 'string') return [...(byType.get(types) ?? [])];
  const wanted = typeof types === 'function' ? [...byType.keys()].filter(types) : [...new Set(types)];
  const lists = wanted.map((t) => byType.get(t) ?? []).filter((l) => l.length > 0);
  if (lists.length === 0) return [];
  if (lists.length === 1) return [...lists[0]!];
  return lists.flat().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function valuesOf(e: Element): Record<string, unknown> {
  const v = e.attrs.values;
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
}

export function tfType(e: Element): string {
  return typeof e.attrs.tfType === 'string' ? e.attrs.tfType : '';
}

/** Location of `path` in the element (the nearest recorded ancestor, else the block). */
export function at(e: Element, path?: string): SourceLocation {
  if (path) {
    const segs = path.split('.');
    for (let n = segs.length; n > 0; n--) {
      const line = e.lines?.[segs.slice(0, n).join('.')];
      if (line !== undefined) return { file: e.location.file, line };
    }
  }
  return e.location;
}

/** Lower one step, used when an unknown value decides a finding. */
export function lower(s: Severity): Severity {
  const order: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
  return order[Math.min(order.indexOf(s) + 1, order.length - 1)]!;
}

/** A tri-state boolean attribute with the provider default applied when absent. */
export function flag(v: unknown, whenAbsent: boolean): Tri {
  const b = asBool(v);
  return b === undefined ? whenAbsent : b;
}

export function unknownNote(v: unknown): string {
  return isExpr(v) ? ` (decided by \`${show(v)}\`, unknown here)` : '';
}

/**
 * Satellite resources configuring `subject` (`aws_s3_bucket_public_access_block`
 * → bucket): elements of `types` whose `references` edge to it comes from
 * `attribute`, or whose literal `attribute` equals the subject's literal
 * `nameAttribute` (e.g. both say `bucket = "logs"`).
 */
export function satellites(graph: Graph, subject: Element, types: readonly string[], attribute: string, nameAttribute?: string): Element[] {
  const out = new Map<string, Element>();
  for (const edge of graph.in.get(subject.id) ?? []) {
    if (edge.kind !== 'references') continue;
    const from = graph.elements.get(edge.from);
    if (!from || !types.includes(tfType(from))) continue;
    const attrs = (edge.attrs?.attributes as string[] | undefined) ?? [];
    if (attrs.some((p) => p === attribute || p.startsWith(`${attribute}.`))) out.set(from.id, from);
  }
  const name = nameAttribute ? valuesOf(subject)[nameAttribute] : undefined;
  if (typeof name === 'string') {
    for (const e of byLiteral(graph, types, attribute).get(name) ?? []) out.set(e.id, e);
  }
  return [...out.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** Resources of `types` by the literal string value of `attribute`, in id order (built once per graph and query). */
function byLiteral(graph: Graph, types: readonly string[], attribute: string): ReadonlyMap<string, readonly Element[]> {
  return indexesOf(graph).memo(`tf:by-literal:${JSON.stringify([types, attribute])}`, () => {
    const map = new Map<string, Element[]>();
    for (const e of resources(graph, types)) {
      const v = valuesOf(e)[attribute];
      if (typeof v !== 'string') continue;
      const list = map.get(v);
      if (list) list.push(e);
      else map.set(v, [e]);
    }
    return map;
  });
}

/** Elements of `types` a satellite configures through `attribute` (its `references` edges). */
export function subjectsOf(graph: Graph, satellite: Element, attribute: string, types: readonly string[]): Element[] {
  const out: Element[] = [];
  for (const edge of graph.out.get(satellite.id) ?? []) {
    if (edge.kind !== 'references') continue;
    const to = graph.elements.get(edge.to);
    if (!to || !types.includes(tfType(to))) continue;
    const attrs = (edge.attrs?.attributes as string[] | undefined) ?? [];
    if (attrs.some((p) => p === attribute || p.startsWith(`${attribute}.`))) out.push(to);
  }
  return out;
}

export interface OwnedStatements {
  /** Element whose lines the statements' `line`s belong to. */
  owner: Element;
  statements: PolicyStatement[];
  complete: boolean;
}

/**
 * Statements an element carries: its own, or those of the policy document it
 * names through `statementsFrom` (looked up in the same directory).
 */
export function statementsOf(graph: Graph, e: Element, key: 'statements' | 'trustStatements' = 'statements'): OwnedStatements | undefined {
  const own = e.attrs[key] as PolicyStatement[] | undefined;
  if (own) return { owner: e, statements: own, complete: e.attrs[`${key}Complete`] !== false };
  const from = e.attrs[`${key}From`];
  if (typeof from !== 'string') return undefined;
  const dir = typeof e.attrs.directory === 'string' && e.attrs.directory ? `${e.attrs.directory}//` : '';
  const doc = graph.elements.get(`tf:${dir}${from}`);
  const docStatements = doc?.attrs.statements as PolicyStatement[] | undefined;
  if (!doc || !docStatements) return undefined;
  return { owner: doc, statements: docStatements, complete: doc.attrs.statementsComplete !== false };
}

export function isAnyone(p: unknown): boolean {
  return p === '*' || p === 'AWS:*';
}

export function strings(list: readonly unknown[]): string[] {
  return list.filter((x): x is string => typeof x === 'string');
}

/** IAM action pattern match, case-insensitive, `*` and `?` wildcards on the pattern side. */
export function actionMatches(pattern: string, action: string): boolean {
  let re = ACTION_PATTERNS.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
    // Compiled once per pattern (policies repeat the same actions); bounded, since patterns come from the analysed files.
    if (ACTION_PATTERNS.size >= 10_000) ACTION_PATTERNS.clear();
    ACTION_PATTERNS.set(pattern, re);
  }
  return re.test(action);
}

const ACTION_PATTERNS = new Map<string, RegExp>();

export function hit(element: Element, location: SourceLocation, evidence: string, extra: Partial<RuleHit> = {}): RuleHit {
  return { element: element.id, location, evidence, ...extra };
}

import { createHash } from 'node:crypto';
import type { AttackPath, Crossing, Graph, Rule, RuleContext, Threat } from '../model/graph.js';
import type { Edge, ParseIssue } from '../model/types.js';
import type { Config } from '../config/config.js';
import { ALL_RULES } from '../../rules/index.js';
import { compareThreats, runRules } from '../analysis/rules.js';
import { findCrossings } from '../analysis/crossings.js';
import { internetReachable } from '../analysis/reach.js';
import { DEFAULT_BOUNDS, findAttackPaths, type EntrySearch } from '../analysis/paths.js';
import { exposureOf } from '../analysis/risk.js';
import { scopeOf, type ElementClass } from '../analysis/rule-scopes.js';
import { changedElements, inGraphOrder, namespaceMembers, recheckSets, reverseReach, seedClasses, viewGraph, type LocalScope, type ScopeInput, type Side } from '../analysis/scope.js';

/**
 * Crossings, attack paths and rule findings of an analysis — from scratch
 * (`fullFindings`) or, for a head derived from a base, from the base's
 * findings and the affected part of the head (`deriveFindings`). Both give
 * the same result; test/engine/findings.property.test.ts checks it on random
 * repositories and chains of changes.
 */

/** What a derivation reuses from the analysis it starts from (kept in memory, not in the graph cache). */
export interface FindingsContext {
  /** Rules, rule overrides and sensitivity the findings were computed with (`findingsKey`). */
  key: string;
  internetReachable: Set<string>;
  attackPaths: AttackPath[];
  pathIssues: ParseIssue[];
  /** Attack-path search per entry edge (`entryKey`). */
  searches: Map<string, EntrySearch>;
}

export interface FindingsStats {
  /** Elements whose object, edges or zone changed. */
  changed: number;
  /** Changed elements plus those whose reachability or attack-path exposure changed. */
  seeds: number;
  rulesFull: number;
  rulesScoped: number;
  rulesSkipped: number;
  /** Largest set of elements a scoped rule re-checked. */
  recheckMax: number;
  entriesSearched: number;
  entriesTotal: number;
  /** Why the derivation computed everything from scratch, when it did. */
  fallback?: string;
  /** Milliseconds per step: changed set, crossings, reachability + attack paths, seeds, rules run in full, scoped rules, merge. */
  ms?: { changed: number; crossings: number; paths: number; seeds: number; full: number; scoped: number; merge: number };
}

export interface Findings {
  crossings: Crossing[];
  threats: Threat[];
  ruleIssues: ParseIssue[];
  context: FindingsContext;
  stats?: FindingsStats;
}

export interface FindingsOptions {
  config: Pick<Config, 'rules' | 'sensitivity'>;
  rules?: readonly Rule[];
  /**
   * Tests only: drops elements from scoped rules' re-check sets (their base
   * findings are then kept and new ones ignored), so the equality tests can
   * show they catch an under-approximated scope.
   */
  dropFromRecheck?: (elementId: string, ruleId: string, seeds: ReadonlySet<string>) => boolean;
}

export function findingsKey(options: FindingsOptions): string {
  const rules = options.rules ?? ALL_RULES;
  return createHash('sha256')
    .update(JSON.stringify([rules.map((r) => r.meta.id), options.config.rules, options.config.sensitivity]))
    .digest('hex');
}

const entryKey = (e: Edge) => `${e.kind}\u0000${e.to}`;

/** Everything over the whole graph (what `ruleContext` + `runRules` compute), keeping what a derivation reuses. */
export function fullFindings(graph: Graph, options: FindingsOptions): Findings {
  const searches = new Map<string, EntrySearch>();
  const { paths, issues } = findAttackPaths(graph, options.config.sensitivity, DEFAULT_BOUNDS, { record: (e, found) => searches.set(entryKey(e), found) });
  const ctx: RuleContext = { graph, sensitivity: options.config.sensitivity, attackPaths: paths, crossings: findCrossings(graph), internetReachable: internetReachable(graph) };
  const { threats, issues: ruleIssues } = runRules(ctx, options.rules ?? ALL_RULES, options.config);
  return {
    crossings: ctx.crossings,
    threats,
    ruleIssues: [...issues, ...ruleIssues],
    context: { key: findingsKey(options), internetReachable: ctx.internetReachable, attackPaths: paths, pathIssues: issues, searches },
  };
}

/** The base's context; recomputed (reachability and attack paths, not rules) for an analysis read from the graph cache. */
function baseContext(base: BaseFindings, options: FindingsOptions): FindingsContext {
  if (base.findingsContext) return base.findingsContext;
  const searches = new Map<string, EntrySearch>();
  const { paths, issues } = findAttackPaths(base.graph, options.config.sensitivity, DEFAULT_BOUNDS, { record: (e, found) => searches.set(entryKey(e), found) });
  const context: FindingsContext = { key: findingsKey(options), internetReachable: internetReachable(base.graph), attackPaths: paths, pathIssues: issues, searches };
  base.findingsContext = context;
  return context;
}

/** What `deriveFindings` needs of the base analysis. */
export interface BaseFindings extends Side {
  crossings: Crossing[];
  threats: Threat[];
  ruleIssues: ParseIssue[];
  /** Set by `fullFindings`/`deriveFindings`; filled in on first use when missing (analyses read from a cache). */
  findingsContext?: FindingsContext;
}

/**
 * Findings of `head`, derived from the base's:
 *
 * 1. `changed`: elements whose object, edges or zone changed (from the
 *    incremental state, see `changedElements`).
 * 2. Crossings: recomputed for edges touching a changed element, the base's
 *    others kept.
 * 3. Reachability: recomputed (one breadth-first search). Attack paths: the
 *    search from an entry point is redone only when a changed element (or a
 *    workload of a namespace whose NetworkPolicies changed) lies within the
 *    search's depth bound of it; other entries keep the base's result.
 * 4. Seeds: changed elements plus those whose reachability or attack-path
 *    exposure changed (risk rating reads both).
 * 5. Rules, by scope (src/analysis/rule-scopes.ts): `graph` rules and
 *    `domain` rules whose domain holds a seed run over the whole graph;
 *    other `domain` rules keep the base's findings; `local` rules run over a
 *    view of the elements to re-check plus their context, and replace the
 *    base's findings on those elements only.
 */
export function deriveFindings(base: BaseFindings, head: Side, options: FindingsOptions): Findings {
  const key = findingsKey(options);
  const fallback = (why: string): Findings => {
    const full = fullFindings(head.graph, options);
    return { ...full, stats: { changed: 0, seeds: 0, rulesFull: (options.rules ?? ALL_RULES).length, rulesScoped: 0, rulesSkipped: 0, recheckMax: 0, entriesSearched: full.context.searches.size, entriesTotal: full.context.searches.size, fallback: why } };
  };
  if (base.findingsContext && base.findingsContext.key !== key) return fallback('rules or configuration differ from the base');
  if (base.ruleIssues.some((i) => i.code === 'rule-failed')) return fallback('a rule failed on the base');
  const before = baseContext(base, options);
  let t = performance.now();
  const lap = (): number => {
    const n = performance.now();
    const d = n - t;
    t = n;
    return Math.round(d * 10) / 10;
  };
  const { all: changed, objects } = changedElements(base, head);
  const ms = { changed: lap(), crossings: 0, paths: 0, seeds: 0, full: 0, scoped: 0, merge: 0 };
  const input0: ScopeInput = { base: base.graph, head: head.graph, changed, seeds: changed, objectSeeds: objects };

  // Crossings: a crossing is one edge and its ends' zones.
  const touching = new Set<Edge>();
  for (const id of changed) {
    for (const e of head.graph.out.get(id) ?? []) touching.add(e);
    for (const e of head.graph.in.get(id) ?? []) touching.add(e);
  }
  const fresh = findCrossings({ ...head.graph, edges: [...touching] });
  const byEnd = groupedBy(base.crossings, 'ends', (c) => [c.from, c.to]);
  const staleCrossings = new Set<Crossing>();
  for (const id of changed) for (const c of byEnd.get(id) ?? []) staleCrossings.add(c);
  const crossings = replaceSorted(base.crossings, staleCrossings, fresh, compareCrossings);

  ms.crossings = lap();

  // Attack paths: redo the searches that can see a change.
  const reach = internetReachable(head.graph);
  const policyNamespaces = new Set<string>();
  for (const id of changed) {
    for (const el of [base.graph.elements.get(id), head.graph.elements.get(id)]) {
      if (el?.type !== 'k8s:NetworkPolicy') continue;
      policyNamespaces.add(String(el.attrs.namespace ?? 'default'));
      if (typeof el.attrs.namespace !== 'string') policyNamespaces.add('default');
    }
  }
  const pathSeeds = policyNamespaces.size > 0 ? new Set([...changed, ...namespaceMembers(input0, policyNamespaces)]) : changed;
  const near = reverseReach(head.graph, pathSeeds, DEFAULT_BOUNDS.maxDepth);
  const searches = new Map<string, EntrySearch>();
  let searched = 0;
  const { paths, issues: pathIssues } = findAttackPaths(head.graph, options.config.sensitivity, DEFAULT_BOUNDS, {
    previous: (e) => {
      const prior = near.has(e.to) ? undefined : before.searches.get(entryKey(e));
      if (!prior) searched++;
      return prior;
    },
    record: (e, found) => searches.set(entryKey(e), found),
  });
  const context: FindingsContext = { key, internetReachable: reach, attackPaths: paths, pathIssues, searches };
  const full: RuleContext = { graph: head.graph, sensitivity: options.config.sensitivity, attackPaths: paths, crossings, internetReachable: reach };
  ms.paths = lap();

  // Seeds: changed elements, and elements whose rating inputs changed.
  const rated = new Set<string>();
  for (const id of before.internetReachable) if (!reach.has(id)) rated.add(id);
  for (const id of reach) if (!before.internetReachable.has(id)) rated.add(id);
  const onPathBefore = exposureOf({ ...full, graph: base.graph, attackPaths: before.attackPaths }).onPath;
  const onPath = exposureOf(full).onPath;
  for (const [id, entry] of onPathBefore) if (onPath.get(id) !== entry) rated.add(id);
  for (const [id, entry] of onPath) if (onPathBefore.get(id) !== entry || objects.has(entry)) rated.add(id);
  const seeds = new Set([...changed, ...rated]);
  const input: ScopeInput = { ...input0, seeds, objectSeeds: new Set([...objects, ...rated]) };
  const classes = seedClasses(input);
  const touched = (list: readonly ElementClass[] | undefined) => (list ?? []).some((c) => classes.has(c));

  // Rules by scope.
  const rules = options.rules ?? ALL_RULES;
  const runFull: Rule[] = [];
  const skipped = new Set<string>();
  const scoped = new Map<string, { scope: LocalScope; rules: Rule[] }>();
  for (const rule of rules) {
    if (options.config.rules[rule.meta.id]?.enabled === false) continue;
    const scope = scopeOf(rule.meta.id);
    if (scope.kind === 'graph' || (scope.kind === 'domain' && touched(scope.domains)) || (scope.kind === 'local' && touched(scope.fullWhen))) runFull.push(rule);
    else if (scope.kind === 'domain') skipped.add(rule.meta.id);
    else {
      const sig = JSON.stringify([!!scope.neighbours, scope.groups ?? [], scope.include ?? []]);
      const group = scoped.get(sig) ?? scoped.set(sig, { scope, rules: [] }).get(sig)!;
      group.rules.push(rule);
    }
  }

  const added: Threat[] = [];
  const ruleIssues: ParseIssue[] = [];
  const recheckOf = new Map<string, ReadonlySet<string>>();
  const fullIds = new Set(runFull.map((r) => r.meta.id));
  ms.seeds = lap();
  if (runFull.length > 0) {
    const out = runRules(full, runFull, options.config);
    added.push(...out.threats);
    ruleIssues.push(...out.issues);
  }
  ms.full = lap();
  const groups = [...scoped.values()].map((g) => ({ ...g, ...recheckSets(g.scope, input) }));
  let recheckMax = 0;
  groups.forEach((g) => {
    recheckMax = Math.max(recheckMax, g.recheck.size);
    const drop = options.dropFromRecheck;
    for (const r of g.rules) recheckOf.set(r.meta.id, drop ? new Set([...g.recheck].filter((id) => !drop(id, r.meta.id, seeds))) : g.recheck);
    const view = viewGraph(head.graph, inGraphOrder(head, g.iterate));
    let viewCrossings: Crossing[] | undefined;
    const ctx: RuleContext = {
      graph: view,
      sensitivity: full.sensitivity,
      attackPaths: paths,
      get crossings(): Crossing[] {
        return (viewCrossings ??= crossings.filter((c) => g.iterate.has(c.to) || g.iterate.has(c.from)));
      },
      internetReachable: reach,
    };
    const out = runRules(ctx, g.rules, options.config);
    for (const t of out.threats) if (recheckOf.get(t.ruleId)!.has(t.element)) added.push(t);
    ruleIssues.push(...out.issues);
  });
  ms.scoped = lap();
  // A rule that throws may throw on some elements only: its base findings cannot be trusted piecemeal.
  if (ruleIssues.length > 0) return fallback('a rule failed');

  // Base findings replaced: every one of a rule run in full, a scoped rule's on re-checked elements.
  const stale = new Set<Threat>();
  const byRule = groupedBy(base.threats, 'rule', (t) => [t.ruleId]);
  for (const id of fullIds) for (const t of byRule.get(id) ?? []) stale.add(t);
  const byElement = groupedBy(base.threats, 'element', (t) => [t.element]);
  for (const g of groups) for (const id of g.recheck) for (const t of byElement.get(id) ?? []) if (recheckOf.get(t.ruleId)?.has(id)) stale.add(t);
  const threats = replaceSorted(base.threats, stale, added.sort(compareThreats), compareThreats);
  ms.merge = lap();
  return {
    crossings,
    threats,
    ruleIssues: [...pathIssues],
    context,
    stats: {
      changed: changed.size,
      seeds: seeds.size,
      rulesFull: runFull.length,
      rulesScoped: groups.reduce((n, g) => n + g.rules.length, 0),
      rulesSkipped: skipped.size,
      recheckMax,
      entriesSearched: searched,
      entriesTotal: searches.size,
      ms,
    },
  };
}

const compareCrossings = (a: Crossing, b: Crossing) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Per list (a base's threats or crossings, never mutated), its items by key; built once, on first derivation. */
const GROUPED = new WeakMap<readonly object[], Map<string, Map<string, object[]>>>();

function groupedBy<T extends object>(list: readonly T[], name: string, keys: (item: T) => string[]): Map<string, T[]> {
  let perList = GROUPED.get(list);
  if (!perList) GROUPED.set(list, (perList = new Map()));
  let grouped = perList.get(name) as Map<string, T[]> | undefined;
  if (!grouped) {
    grouped = new Map();
    for (const item of list) {
      for (const k of new Set(keys(item))) {
        const at = grouped.get(k);
        if (at) at.push(item);
        else grouped.set(k, [item]);
      }
    }
    perList.set(name, grouped as Map<string, object[]>);
  }
  return grouped;
}

/**
 * `sorted` without `remove`, with `add` (sorted) merged in, by `compare` (a
 * total order): items are located by binary search and the rest is copied in
 * slices, so the cost follows the change, not the list (tens of thousands of
 * findings at 5,000 services).
 */
function replaceSorted<T>(sorted: readonly T[], remove: ReadonlySet<T>, add: readonly T[], compare: (a: T, b: T) => number): T[] {
  if (remove.size === 0 && add.length === 0) return [...sorted];
  const search = (item: T): number => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(sorted[mid]!, item) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  // Cut points: before each removed item (skipping it) and before each added item.
  const cuts: { at: number; skip: boolean; item?: T }[] = [];
  for (const item of remove) cuts.push({ at: search(item), skip: true });
  for (const item of add) cuts.push({ at: search(item), skip: false, item });
  // At one position an insertion goes before the removed item there (it sorts before it, and is not it).
  cuts.sort((a, b) => a.at - b.at || Number(a.skip) - Number(b.skip) || (a.item !== undefined && b.item !== undefined ? compare(a.item, b.item) : 0));
  const out: T[] = [];
  let from = 0;
  for (const cut of cuts) {
    for (; from < cut.at; from++) out.push(sorted[from]!);
    if (cut.skip) from = cut.at + 1;
    else out.push(cut.item!);
  }
  for (; from < sorted.length; from++) out.push(sorted[from]!);
  return out;
}

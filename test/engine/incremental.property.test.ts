import fc from 'fast-check';
import { buildGraph } from '../../src/graph/build.js';
import { applyChanges, createState, type GraphConfig, type GraphState } from '../../src/graph/incremental.js';
import { deriveGraph, graphOf } from '../../src/graph/assemble.js';
import { ruleContext, runRules } from '../../src/analysis/rules.js';
import { ALL_RULES } from '../../rules/index.js';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import type { Fragment } from '../../src/model/types.js';
import type { Graph } from '../../src/model/graph.js';
import { changeSet, place, plainGraph, repository, type FragmentBody } from './graph-model.js';
import { deriveFindings, fullFindings, type BaseFindings } from '../../src/engine/findings.js';
import { changedElements } from '../../src/analysis/scope.js';
import { RULE_SCOPES } from '../../src/analysis/rule-scopes.js';

const configs: GraphConfig[] = [
  { zones: {}, apis: {} },
  { zones: { 'k8s:*/shop/**': 'pci', 'tf:*': 'data' }, apis: { 'svc/cart/**': 'orders', 'Orders API': 'web' } },
];

function findings(g: Graph) {
  const ctx = ruleContext(g);
  return { crossings: ctx.crossings, ...runRules(ctx, ALL_RULES, DEFAULT_CONFIG) };
}

function apply(files: Map<string, Fragment>, changes: Record<string, FragmentBody | null>, salt: number): { next: Map<string, Fragment>; upserts: Fragment[]; removals: string[] } {
  const next = new Map(files);
  const upserts: Fragment[] = [];
  const removals: string[] = [];
  for (const [path, body] of Object.entries(changes)) {
    if (body === null) {
      if (next.delete(path)) removals.push(path);
    } else {
      const f = place(path, body, salt);
      next.set(path, f);
      upserts.push(f);
    }
  }
  return { next, upserts, removals };
}

const modes = ['layer', 'copy', 'auto'] as const;

function withFindings(graph: Graph, state: GraphState): BaseFindings {
  const f = fullFindings(graph, { config: DEFAULT_CONFIG });
  return { graph, state, crossings: f.crossings, threats: f.threats, ruleIssues: f.ruleIssues, findingsContext: f.context };
}

/**
 * The ground truth `changedElements` must cover, by deep comparison of the two graphs: ids whose element
 * or zone differ (`objects`), or whose incident edges differ in content or order (`all`, with objects).
 */
function differing(a: Graph, b: Graph): { all: string[]; objects: string[] } {
  const ids = [...new Set([...a.elements.keys(), ...b.elements.keys()])];
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  const objects = ids.filter((id) => !same(a.elements.get(id), b.elements.get(id)) || a.zoneOf.get(id) !== b.zoneOf.get(id));
  const all = ids.filter((id) => objects.includes(id) || !same(a.out.get(id) ?? [], b.out.get(id) ?? []) || !same(a.in.get(id) ?? [], b.in.get(id) ?? []));
  return { all, objects };
}

describe('incremental graph == from-scratch build', () => {
  test.each(configs.flatMap((c, i) => modes.map((m) => [i, m, c] as const)))('random repositories and change sets (config %i, %s)', (_i, mode, config) => {
    fc.assert(
      fc.property(repository, fc.array(changeSet, { minLength: 1, maxLength: 7 }), (repo, changes) => {
        let files = new Map(Object.entries(repo).map(([p, b]) => [p, place(p, b)] as const));
        const base = createState([...files.values()], config);
        const baseGraph = plainGraph(graphOf(base));
        expect(baseGraph).toEqual(plainGraph(buildGraph([...files.values()], config)));
        let state: GraphState = base;
        let prev: BaseFindings = withFindings(graphOf(base), base);
        changes.forEach((change, n) => {
          const { next, upserts, removals } = apply(files, change, n + 1);
          const applied = applyChanges(state, upserts, removals, mode);
          files = next;
          const expected = buildGraph([...files.values()], config);
          // Patched from the previous step's graph (itself patched, or assembled in full for the first).
          const actual = deriveGraph(prev.graph, state, applied.state, applied.changed);
          state = applied.state;
          expect(plainGraph(actual)).toEqual(plainGraph(expected));
          expect(plainGraph(graphOf(state))).toEqual(plainGraph(expected));
          expect(findings(actual)).toEqual(findings(expected));
          // Every element that differs is reported changed; findings derived from the previous step equal a full pass.
          const changed = changedElements(prev, { graph: actual, state });
          const diff = differing(prev.graph, actual);
          for (const id of diff.all) expect(changed.all).toContain(id);
          for (const id of diff.objects) expect(changed.objects).toContain(id);
          const derived = deriveFindings(prev, { graph: actual, state }, { config: DEFAULT_CONFIG });
          const full = fullFindings(expected, { config: DEFAULT_CONFIG });
          expect({ crossings: derived.crossings, threats: derived.threats, ruleIssues: derived.ruleIssues }).toEqual({ crossings: full.crossings, threats: full.threats, ruleIssues: full.ruleIssues });
          prev = { graph: actual, state, crossings: derived.crossings, threats: derived.threats, ruleIssues: derived.ruleIssues, findingsContext: derived.context };
          // Incremental from scratch and chained agree too.
          expect(plainGraph(graphOf(createState([...files.values()], config)))).toEqual(plainGraph(expected));
        });
        // Deriving never touches the base state.
        expect(plainGraph(graphOf(base))).toEqual(baseGraph);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 150) },
    );
  });

  test('only refs whose lookups changed are re-linked', () => {
    const svc = (ns: string, name: string, file: string): Fragment => ({
      file,
      format: 'k8s',
      elements: [
        { id: `k8s:Deployment/${ns}/${name}`, kind: 'service', type: 'k8s:Deployment', name, location: { file, line: 1 }, zoneHint: `k8s:${ns}`, attrs: { namespace: ns, podLabels: { app: name } } },
        { id: `k8s:Service/${ns}/${name}`, kind: 'service', type: 'k8s:Service', name, location: { file, line: 20 }, zoneHint: `k8s:${ns}`, attrs: { namespace: ns } },
      ],
      edges: [],
      refs: [
        { type: 'k8s-selector', from: `k8s:Service/${ns}/${name}`, namespace: ns, selector: { app: name }, edge: { kind: 'selects', location: { file, line: 21 }, evidence: 'selector' } },
        { type: 'host', from: `k8s:Deployment/${ns}/${name}`, namespace: ns, host: 'orders:8080', edge: { kind: 'calls', location: { file, line: 5 }, evidence: 'env' } },
      ],
      issues: [],
    });
    const fragments = [svc('a', 'orders', 'a/orders.yaml'), svc('a', 'cart', 'a/cart.yaml'), svc('b', 'web', 'b/web.yaml'), svc('b', 'orders', 'b/orders.yaml')];
    const base = createState(fragments, configs[0]!);
    // Replace b/web.yaml: its own 2 refs, plus the selectors of namespace b (b/orders' selector); namespace a is untouched.
    const changed = { ...fragments[2]!, elements: fragments[2]!.elements.map((e) => ({ ...e, attrs: { ...e.attrs } })) };
    const { state, stats } = applyChanges(base, [changed], []);
    expect(stats).toEqual({ filesChanged: 1, filesRecomputed: 1, refsRelinked: 3, refsTotal: 8 });
    expect(plainGraph(graphOf(state))).toEqual(plainGraph(buildGraph([fragments[0]!, fragments[1]!, changed, fragments[3]!], configs[0]!)));
  });
});

describe('derived findings need their scopes', () => {
  // Crossing rules re-check the neighbours of changed elements: an element whose zone is inherited
  // (an API, an operation) changes zone without its edges changing, and the crossing's hit is on the other end.
  const neighbourRules = new Set(Object.entries(RULE_SCOPES).filter(([, s]) => s.kind === 'local' && s.neighbours).map(([id]) => id));
  test.each(configs.map((c, i) => [i, c] as const))('dropping neighbours from the re-check set is caught (config %i)', (_i, config) => {
    const result = fc.check(
      fc.property(repository, fc.array(changeSet, { minLength: 1, maxLength: 5 }), (repo, changes) => {
        let files = new Map(Object.entries(repo).map(([p, b]) => [p, place(p, b)] as const));
        let state = createState([...files.values()], config);
        let prev = withFindings(graphOf(state), state);
        changes.forEach((change, n) => {
          const { next, upserts, removals } = apply(files, change, n + 1);
          state = applyChanges(state, upserts, removals).state;
          files = next;
          const graph = graphOf(state);
          const derived = deriveFindings(prev, { graph, state }, { config: DEFAULT_CONFIG, dropFromRecheck: (id, rule, seeds) => !seeds.has(id) && neighbourRules.has(rule) });
          expect(derived.threats).toEqual(fullFindings(graph, { config: DEFAULT_CONFIG }).threats);
          prev = { graph, state, crossings: derived.crossings, threats: derived.threats, ruleIssues: derived.ruleIssues, findingsContext: derived.context };
        });
      }),
      { numRuns: 1000, seed: 7 },
    );
    if (process.env.SHOW) console.log(JSON.stringify(result.counterexample), String(result.errorInstance).slice(0, 1500));
    expect(result.failed).toBe(true);
  });
});

import fc from 'fast-check';
import { buildGraph } from '../../src/graph/build.js';
import { applyChanges, createState, graphOf, type GraphConfig, type GraphState } from '../../src/graph/incremental.js';
import { ruleContext, runRules } from '../../src/analysis/rules.js';
import { ALL_RULES } from '../../rules/index.js';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import type { Fragment } from '../../src/model/types.js';
import type { Graph } from '../../src/model/graph.js';
import { changeSet, place, plainGraph, repository, type FragmentBody } from './graph-model.js';

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

describe('incremental graph == from-scratch build', () => {
  test.each(configs.flatMap((c, i) => modes.map((m) => [i, m, c] as const)))('random repositories and change sets (config %i, %s)', (_i, mode, config) => {
    fc.assert(
      fc.property(repository, fc.array(changeSet, { minLength: 1, maxLength: 7 }), (repo, changes) => {
        let files = new Map(Object.entries(repo).map(([p, b]) => [p, place(p, b)] as const));
        const base = createState([...files.values()], config);
        const baseGraph = plainGraph(graphOf(base));
        expect(baseGraph).toEqual(plainGraph(buildGraph([...files.values()], config)));
        let state: GraphState = base;
        changes.forEach((change, n) => {
          const { next, upserts, removals } = apply(files, change, n + 1);
          state = applyChanges(state, upserts, removals, mode).state;
          files = next;
          const expected = buildGraph([...files.values()], config);
          const actual = graphOf(state);
          expect(plainGraph(actual)).toEqual(plainGraph(expected));
          expect(findings(actual)).toEqual(findings(expected));
          // Incremental from scratch and chained agree too.
          expect(plainGraph(graphOf(createState([...files.values()], config)))).toEqual(plainGraph(expected));
        });
        // Deriving never touches the base state.
        expect(plainGraph(graphOf(base))).toEqual(baseGraph);
      }),
      { numRuns: 150 },
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

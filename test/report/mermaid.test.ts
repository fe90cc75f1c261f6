import { renderMermaid } from '../../src/report/mermaid.js';
import { buildGraph } from '../../src/graph/build.js';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { edge, el, fixture, fragment, IDS } from './fixture.js';

const F = 'k8s/app.yaml';

function tiny(withCall: boolean) {
  const elements = [
    el('k8s:Service/shop/<img src=x>', 'gateway', 'k8s:Service', '<img src=x>', F, 1, 'edge'),
    el('k8s:Deployment/pay/team', 'service', 'k8s:Deployment', '@org/team"]; click n1 call alert()', F, 10, 'k8s:pay'),
    el('tf:aws_s3_bucket.b', 'datastore', 'tf:aws_s3_bucket', 'bucket`s #1 {x}|y', F, 20, 'data'),
  ];
  const edges = [
    edge('actor:internet', 'k8s:Service/shop/<img src=x>', 'exposes', F, 2, { protocol: 'tcp', port: 443 }),
    edge('k8s:Deployment/pay/team', 'tf:aws_s3_bucket.b', 'writes', F, 12, { protocol: 'https' }),
    ...(withCall ? [edge('k8s:Service/shop/<img src=x>', 'k8s:Deployment/pay/team', 'routes', F, 3)] : []),
  ];
  return buildGraph([fragment(F, 'k8s', elements, edges)], DEFAULT_CONFIG);
}

describe('renderMermaid', () => {
  test('zones as subgraphs, shapes per kind, escaped labels, new edges in red', () => {
    const head = tiny(true);
    const base = tiny(false);
    expect(renderMermaid(head, { base }).split('\n')).toEqual([
      'flowchart LR',
      '  subgraph z1["Internet"]',
      '    n1(["actor: Internet"])',
      '  end',
      '  subgraph z2["Edge"]',
      '    n3{{"gateway: #60;img src=x#62;"}}',
      '  end',
      '  subgraph z3["Namespace pay"]',
      '    n2("service: @org/team#34;#93;#59; click n1 call alert()")',
      '  end',
      '  subgraph z4["Data tier"]',
      '    n4[("datastore: bucket#96;s #35;1 #123;x#125;#124;y")]',
      '  end',
      '  n1 -->|"exposes tcp:443"| n3',
      '  n2 -->|"writes https"| n4',
      '  n3 -->|"routes"| n2',
      '  linkStyle 2 stroke:#d73a49,stroke-width:3px',
      '',
    ]);
  });

  test('without a base or report nothing is highlighted', () => {
    const out = renderMermaid(tiny(true));
    expect(out).not.toContain('linkStyle');
    expect(out).not.toContain('classDef');
  });

  test('new crossings and elements with new threats from the report are highlighted', () => {
    const { head, report } = fixture();
    const out = renderMermaid(head.graph, { report });
    const sorted = [...head.graph.elements.keys()].sort();
    const n = (id: string) => `n${sorted.indexOf(id) + 1}`;
    // Elements with new, unaccepted threats (the accepted one on @org/team does not count; its info finding does).
    expect(out).toContain(`  class ${[IDS.team, IDS.frontend, IDS.img, IDS.db].map(n).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))).join(',')} threat`);
    const edgeLines = out.split('\n').filter((l) => l.includes('-->')).map((l) => l.trim());
    const style = /linkStyle ([\d,]+) /.exec(out)![1]!.split(',').map(Number);
    expect(style.map((i) => edgeLines[i]).sort()).toEqual(
      [
        `${n(IDS.internet)} -->|"exposes tcp:8080"| ${n(IDS.img)}`,
        `${n(IDS.img)} -->|"routes http:8080"| ${n(IDS.frontend)}`,
        `${n(IDS.frontend)} -->|"calls http:80"| ${n(IDS.team)}`,
        `${n(IDS.orders)} -->|"writes postgres:5432"| ${n(IDS.db)}`,
      ].sort(),
    );
  });

  test('only and maxNodes: a subset, capped, with a note; changed elements kept first', () => {
    const { head, report } = fixture();
    const only = new Set([IDS.frontend, IDS.team, IDS.orders, 'no-such-element']);
    const sub = renderMermaid(head.graph, { only });
    expect(sub.match(/^ {4}n\d+/gm)).toHaveLength(3);
    expect(sub).toContain('n1("service: @org/team")');
    const capped = renderMermaid(head.graph, { report, maxNodes: 2 });
    expect(capped).toContain(`%% showing 2 of ${head.graph.elements.size} elements (maxNodes 2)`);
    expect(capped.match(/^ {4}n\d+/gm)).toHaveLength(2);
    // Elements with new threats or crossings win the cap over the rest.
    expect(capped).not.toContain('gateway: web');
  });

  test('is deterministic and ids follow sorted element ids', () => {
    const { head, report, base } = fixture();
    const a = renderMermaid(head.graph, { report, base: base.graph });
    expect(a).toBe(renderMermaid(head.graph, { report, base: base.graph }));
    expect(a).toContain('n1(["actor: Internet"])');
    expect(renderMermaid(buildGraph([], DEFAULT_CONFIG))).toBe('flowchart LR\n%% no elements\n');
  });
});

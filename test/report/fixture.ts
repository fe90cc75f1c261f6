/**
 * A small base/head pair built through the real graph builder, rule runner
 * and report builder, with hostile names (`@org/team`, `<img src=x>`) and
 * evidence (backticks, pipes) in it. Shared by the report tests.
 */
import type { Edge, Element, Fragment, ParseIssue, Severity, StrideLetter } from '../../src/model/types.js';
import type { Rule, RuleContext, RuleHit, Threat } from '../../src/model/graph.js';
import type { Report } from '../../src/model/report.js';
import type { Analysis } from '../../src/engine/analyze.js';
import type { RenderInput } from '../../src/report/index.js';
import { buildGraph } from '../../src/graph/build.js';
import { ruleContext, compareThreats } from '../../src/analysis/rules.js';
import { fingerprint, threatKey } from '../../src/analysis/fingerprint.js';
import { buildReport } from '../../src/report/build.js';
import { DEFAULT_CONFIG, type AcceptedRisk } from '../../src/config/config.js';

export const SHOP = 'deploy/shop.yaml';
export const PAY = 'deploy/pay team.yaml';
export const DB = 'infra/db.tf';

export function el(id: string, kind: Element['kind'], type: string, name: string, file: string, line: number, zoneHint?: string, attrs: Element['attrs'] = {}): Element {
  return { id, kind, type, name, location: { file, line }, ...(zoneHint ? { zoneHint } : {}), attrs };
}

export function edge(from: string, to: string, kind: Edge['kind'], file: string, line: number, extra: Partial<Edge> = {}): Edge {
  return { from, to, kind, location: { file, line }, evidence: `${kind} ${from} -> ${to}`, ...extra };
}

export function fragment(file: string, format: Fragment['format'], elements: Element[], edges: Edge[] = [], issues: ParseIssue[] = []): Fragment {
  return { file, format, elements, edges, refs: [], issues };
}

export const IDS = {
  internet: 'actor:internet',
  ingress: 'k8s:Ingress/shop/web',
  svc: 'k8s:Service/shop/frontend',
  frontend: 'k8s:Deployment/shop/frontend',
  orders: 'k8s:Deployment/shop/orders',
  db: 'tf:aws_db_instance.orders',
  partner: 'external:api.partner.example',
  team: 'k8s:Deployment/pay/@org/team',
  img: 'k8s:Service/shop/<img src=x>',
} as const;

const workload = (ns: string, app: string) => ({ namespace: ns, podLabels: { app } });

function baseFragments(): Fragment[] {
  return [
    fragment(
      SHOP,
      'k8s',
      [
        el(IDS.ingress, 'gateway', 'k8s:Ingress', 'web', SHOP, 1, 'edge'),
        el(IDS.svc, 'service', 'k8s:Service', 'frontend', SHOP, 20, 'k8s:shop'),
        el(IDS.frontend, 'service', 'k8s:Deployment', 'frontend', SHOP, 30, 'k8s:shop', workload('shop', 'frontend')),
        el(IDS.orders, 'service', 'k8s:Deployment', 'orders', SHOP, 60, 'k8s:shop', workload('shop', 'orders')),
        el(IDS.partner, 'actor', 'external', 'api.partner.example', SHOP, 45, 'third-party'),
      ],
      [
        edge(IDS.internet, IDS.ingress, 'exposes', SHOP, 5, { protocol: 'https', port: 443, authenticated: true, encrypted: true }),
        edge(IDS.ingress, IDS.svc, 'routes', SHOP, 12, { protocol: 'http', port: 80 }),
        edge(IDS.svc, IDS.frontend, 'selects', SHOP, 22),
        edge(IDS.frontend, IDS.orders, 'calls', SHOP, 40, { protocol: 'http', port: 8080 }),
        edge(IDS.frontend, IDS.partner, 'calls', SHOP, 45, { protocol: 'http', port: 80, encrypted: false, evidence: 'env PARTNER_URL=http://api.partner.example' }),
        edge(IDS.orders, IDS.db, 'writes', SHOP, 70, { protocol: 'postgres', port: 5432, authenticated: true, encrypted: true }),
      ],
    ),
    fragment(DB, 'terraform', [el(IDS.db, 'datastore', 'tf:aws_db_instance', 'orders-db', DB, 3, 'data')]),
  ];
}

function headFragments(): Fragment[] {
  const [shop, db] = baseFragments();
  const elements = [...shop!.elements.filter((e) => e.id !== IDS.partner), el(IDS.img, 'gateway', 'k8s:Service', '<img src=x>', SHOP, 80, 'edge')];
  const edges = shop!.edges
    .filter((e) => e.to !== IDS.partner)
    .map((e) => (e.from === IDS.orders && e.to === IDS.db ? { ...e, encrypted: false as const, evidence: 'sslmode=disable | `psql`' } : e));
  edges.push(
    edge(IDS.internet, IDS.img, 'exposes', SHOP, 82, { protocol: 'tcp', port: 8080, evidence: 'type: LoadBalancer `<img src=x>` | @org/team' }),
    edge(IDS.img, IDS.frontend, 'routes', SHOP, 84, { protocol: 'http', port: 8080 }),
    edge(IDS.frontend, IDS.team, 'calls', SHOP, 35, { protocol: 'http', port: 80, authenticated: false, evidence: 'env TEAM_URL=http://@org/team' }),
  );
  const pay = fragment(PAY, 'k8s', [el(IDS.team, 'service', 'k8s:Deployment', '@org/team', PAY, 2, 'k8s:pay', workload('pay', 'team'))], [], [
    { file: PAY, line: 9, level: 'error', code: 'yaml-syntax', message: 'bad indentation | near `<script>alert(1)</script>`' },
  ]);
  const chart = fragment('charts/app/templates/deploy.yaml', 'k8s', [], [], [{ file: 'charts/app/templates/deploy.yaml', level: 'skipped', code: 'helm-template', message: 'Helm template, not modelled' }]);
  return [{ ...shop!, elements, edges }, db!, pay, chart];
}

/** A threat as the rule runner would make it, for rules this fixture does not run. */
export function threat(ruleId: string, element: string, severity: Severity, stride: StrideLetter[], line: number, evidence: string, file = SHOP): Threat {
  const key = threatKey(ruleId, element);
  return {
    id: fingerprint('TD', key),
    key,
    ruleId,
    title: `Title of ${ruleId}`,
    stride,
    severity,
    status: 'unchanged',
    element,
    location: { file, line },
    evidence,
    mitigation: `Fix ${ruleId}: set \`securityContext.privileged: false\`.`,
    references: ['CWE-250', 'https://example.org/rules/x'],
  };
}

export const EXTRA_RULE: Rule = {
  meta: {
    id: 'k8s-privileged-container',
    title: 'Privileged container',
    stride: ['E'],
    severity: 'critical',
    rationale: 'A privileged container is root on the node. Escaping it is trivial.',
    mitigation: 'Set `securityContext.privileged: false`.',
    references: ['CWE-250', 'https://example.org/rules/privileged'],
    inputs: ['k8s'],
  },
  check: () => [],
};

const untrusted = (zone: string) => zone === 'internet' || zone === 'third-party';

/** Fixture rules (not the shipped ones, which may change): crossings without authentication / encryption. */
export const UNAUTH_RULE: Rule = {
  meta: {
    id: 'test-unauth-crossing',
    title: 'Unauthenticated crossing',
    stride: ['S'],
    severity: 'medium',
    rationale: 'Anyone who reaches the boundary can call it. From the internet that is everyone.',
    mitigation: 'Require authentication, e.g. `mTLS` or an `<auth>` annotation.',
    references: ['CWE-306'],
    inputs: ['graph'],
  },
  check: (ctx) =>
    ctx.crossings
      .filter((c) => c.authenticated !== true && !untrusted(c.toZone))
      .map((c): RuleHit => ({ element: c.to, peer: c.from, location: c.location, evidence: c.evidence, ...(untrusted(c.fromZone) ? { severity: 'high' as const } : {}) })),
};

export const PLAINTEXT_RULE: Rule = {
  meta: {
    id: 'test-plaintext-crossing',
    title: 'Plaintext crossing',
    stride: ['T', 'I'],
    severity: 'medium',
    rationale: 'Anyone on the path can read and change the data.',
    mitigation: 'Use TLS.',
    references: ['CWE-319'],
    inputs: ['graph'],
  },
  check: (ctx) => ctx.crossings.filter((c) => c.encrypted === false).map((c): RuleHit => ({ element: c.to, peer: c.from, location: c.location, evidence: c.evidence })),
};

export const RULES: readonly Rule[] = [UNAUTH_RULE, PLAINTEXT_RULE, EXTRA_RULE];

/** The rule runner without risk ranking, so the fixture's severities are the rules' own. */
function runFixtureRules(ctx: RuleContext, rules: readonly Rule[]): Threat[] {
  const out: Threat[] = [];
  for (const rule of rules)
    for (const hit of rule.check(ctx)) {
      const key = threatKey(rule.meta.id, hit.element, hit.peer, hit.qualifier);
      out.push({
        id: fingerprint('TD', key),
        key,
        ruleId: rule.meta.id,
        title: rule.meta.title,
        stride: rule.meta.stride,
        severity: hit.severity ?? rule.meta.severity,
        status: 'unchanged',
        element: hit.element,
        ...(hit.peer !== undefined ? { peer: hit.peer } : {}),
        location: hit.location,
        evidence: hit.evidence,
        mitigation: rule.meta.mitigation,
        references: rule.meta.references,
      });
    }
  return out;
}

function analysis(ref: string, commit: string, fragments: Fragment[], extra: Threat[]): Analysis {
  const graph = buildGraph(fragments, DEFAULT_CONFIG);
  const ctx = ruleContext(graph);
  const threats = runFixtureRules(ctx, [UNAUTH_RULE, PLAINTEXT_RULE]);
  // Only what buildReport and the renderers read; the engine's bookkeeping (cache keys, state, timings) is not theirs.
  const used: Pick<Analysis, 'ref' | 'commit' | 'fragments' | 'entries' | 'graph' | 'crossings' | 'threats' | 'issues' | 'stats'> = {
    ref,
    commit,
    fragments,
    entries: fragments.map((f) => ({ path: f.file, sha: JSON.stringify(f), size: 1 })),
    graph,
    crossings: ctx.crossings,
    threats: [...threats, ...extra].sort(compareThreats),
    issues: [...graph.issues],
    stats: { candidates: fragments.length, parsed: fragments.length, cached: 0, ignored: 0 } as Analysis['stats'],
  };
  return used as Analysis;
}

/** An attack path through the new LoadBalancer, as graph-attack-path reports one (with a risk rating). */
function attackPath(): Threat {
  const hops: [string, string, Edge['kind'], number][] = [
    [IDS.internet, IDS.img, 'exposes', 82],
    [IDS.img, IDS.frontend, 'routes', 84],
    [IDS.frontend, IDS.orders, 'calls', 40],
    [IDS.orders, IDS.db, 'writes', 70],
  ];
  const t = threat('test-attack-path', IDS.db, 'high', ['E', 'I'], 70, 'Internet → <img src=x> → frontend → orders → orders-db (pii data)');
  const key = threatKey('test-attack-path', IDS.db, IDS.internet);
  return {
    ...t,
    id: fingerprint('TD', key),
    key,
    peer: IDS.internet,
    path: [IDS.internet, IDS.img, IDS.frontend, IDS.orders, IDS.db],
    chain: hops.map(([from, to, kind, line]) => ({ from, to, kind, evidence: `${kind} hop`, location: { file: SHOP, line } })),
    risk: { likelihood: 3, impact: 3, score: 9, reasons: ['internet-facing', 'pii data (orders-db)'] },
  };
}

export const ACCEPT_KEY = threatKey('test-unauth-crossing', IDS.team, IDS.frontend);

export function fixture(accepted: AcceptedRisk[] = [{ id: ACCEPT_KEY, reason: 'internal <b>only</b> @security', by: '@alice', at: '2025-01-02' }]): {
  base: Analysis;
  head: Analysis;
  report: Report;
  input: RenderInput;
} {
  const base = analysis('main', 'aaaaaaa1111111111111111111111111111111111', baseFragments(), [threat('k8s-low-thing', IDS.orders, 'low', ['R'], 61, 'no audit log')]);
  const head = analysis('feature/`x`|y', 'bbbbbbb2222222222222222222222222222222222', headFragments(), [
    threat('k8s-low-thing', IDS.orders, 'low', ['R'], 61, 'no audit log'),
    threat('k8s-privileged-container', IDS.frontend, 'critical', ['E'], 33, 'container `app` | privileged: true <img src=x> @org/team'),
    threat('k8s-info-thing', IDS.team, 'info', ['I'], 4, 'informational', PAY),
    attackPath(),
  ]);
  const report = buildReport(base, head, { accepted });
  return { base, head, report, input: { report, head, base, rules: RULES } };
}

/** The head snapshot scanned alone (`threatdiff scan`). */
export function scanFixture(): { head: Analysis; report: Report; input: RenderInput } {
  const { head } = fixture();
  const report = buildReport(null, head, { accepted: [] });
  return { head, report, input: { report, head, base: null, rules: RULES } };
}

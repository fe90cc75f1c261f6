import { renderMarkdown, GITHUB_MAX_LENGTH, type MarkdownOptions } from '../../src/report/markdown.js';
import { buildReport } from '../../src/report/build.js';
import type { Report } from '../../src/model/report.js';
import type { Threat } from '../../src/model/graph.js';
import { fixture, IDS, RULES, scanFixture } from './fixture.js';

function render(extra: Partial<MarkdownOptions> = {}, report?: Report): string {
  const f = fixture();
  return renderMarkdown(report ?? f.report, { head: f.head.graph, base: f.base.graph, rules: RULES, ...extra });
}

/** Markdown with code spans and fenced blocks removed: what GitHub would interpret as Markdown/HTML. */
function outsideCode(md: string): string {
  return md.replace(/```[\s\S]*?```/g, '').replace(/(`+)(?!`)[\s\S]*?[^`]\1(?!`)/g, '');
}

/** Unescaped pipes in a table row: one more than the number of cells. */
function cells(row: string): number {
  return (row.match(/(?<!\\)\|/g) ?? []).length - 1;
}

/** The fixture's report with `n` extra new threats and crossings, for truncation. */
function bigReport(n: number): Report {
  const { report } = fixture();
  const t0 = report.threats.find((t) => t.ruleId === 'test-unauth-crossing' && t.status === 'new' && !t.accepted)!;
  const c0 = report.crossings.find((c) => c.status === 'new')!;
  const threats: Threat[] = Array.from({ length: n }, (_, i) => ({
    ...t0,
    id: `TD-${String(i).padStart(12, '0')}`,
    key: `k${i}`,
    severity: (['high', 'medium', 'low'] as const)[i % 3]!,
    evidence: `evidence ${i} ${'x'.repeat(200)}`,
  }));
  const crossings = Array.from({ length: n }, (_, i) => ({ ...c0, id: `XB-${String(i).padStart(12, '0')}` }));
  return {
    ...report,
    threats: [...report.threats, ...threats],
    crossings: [...report.crossings, ...crossings],
    summary: { ...report.summary, threats: { ...report.summary.threats, new: report.summary.threats.new + n }, crossings: { ...report.summary.crossings, new: report.summary.crossings.new + n } },
  };
}

describe('renderMarkdown', () => {
  test('leads with the verdict and the counts', () => {
    const lines = render().split('\n');
    expect(lines.slice(0, 8)).toEqual([
      '## threatdiff',
      '',
      '🔴 **6 new threats** (highest: **critical**), 1 accepted, **4 new trust-boundary crossings**, 1 threat and 1 crossing resolved, 1 file error.',
      '',
      '| | New | Resolved | Unchanged |',
      '| --- | ---: | ---: | ---: |',
      '| Threats | 7 (1 critical, 2 high, 2 medium, 1 info, 1 accepted) | 1 | 2 |',
      '| Trust-boundary crossings | 4 | 1 | 2 |',
    ]);
  });

  test('sections in reading order', () => {
    const md = render();
    const order = ['### Top risks', '### New trust-boundary crossings (4)', '### New threats (6)', '### Accepted risks (1)', '### Resolved', '### Files not fully modelled (2)', '```mermaid', '### Existing threats', '### Coverage', '<sub>threatdiff '];
    const at = order.map((h) => md.indexOf(h));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  test('top risks: the three worst new threats, with why they matter', () => {
    const md = render();
    const top = md.slice(md.indexOf('### Top risks'), md.indexOf('### New trust-boundary'));
    const items = top.split('\n').filter((l) => /^\d\. /.test(l));
    expect(items).toHaveLength(3);
    expect(items[0]).toBe(
      '1. 🔴 **Critical: Title of k8s\\-privileged\\-container** on `frontend` (k8s:Deployment) at `deploy/shop.yaml:33`<br>container \\`app\\` \\| privileged: true &lt;img src=x&gt; @\u200borg/team<br>_Why it matters:_ A privileged container is root on the node\\.',
    );
    expect(items[1]).toContain('**High: Title of test\\-attack\\-path** on `orders-db` (tf:aws\\_db\\_instance)');
    expect(items[1]).toContain('_Why it matters:_ internet\\-facing, pii data \\(orders\\-db\\).');
    expect(items[2]).toContain('**High: Unauthenticated crossing** on `<img src=x>` (k8s:Service)');
    expect(items[2]).toContain('_Why it matters:_ Anyone who reaches the boundary can call it\\.');
  });

  test('new crossings table: change kind, ends, zones, flow, authentication, encryption, location', () => {
    const md = render();
    expect(md).toContain('| **lost encryption** | `orders` (k8s:Deployment) → `orders-db` (tf:aws\\_db\\_instance) | Namespace shop → Data tier | writes `postgres:5432` | yes | **no** | `deploy/shop.yaml:70` |');
    expect(md).toContain('| added | `frontend` (k8s:Deployment) → `@\u200borg/team` (k8s:Deployment) | Namespace shop → Namespace pay | calls `http:80` | **no** | unknown | `deploy/shop.yaml:35` |');
    expect(md).toContain('| added | `Internet` (actor) → `<img src=x>` (k8s:Service) | Internet → Edge | exposes `tcp:8080` | unknown | unknown | `deploy/shop.yaml:82` |');
  });

  test('threat entries: rule, STRIDE, element, location, evidence, path, risk, mitigation, finding id', () => {
    const { report } = fixture();
    const md = render();
    const path = report.threats.find((t) => t.ruleId === 'test-attack-path')!;
    expect(md).toContain(
      [
        '- **Title of test\\-attack\\-path** on `orders-db` (tf:aws\\_db\\_instance) at `deploy/shop.yaml:70`',
        '  - Evidence: Internet → &lt;img src=x&gt; → frontend → orders → orders\\-db \\(pii data\\)',
        '  - Path: `Internet` **→ (new)** `<img src=x>` **→ (new)** `frontend` → `orders` → `orders-db`',
        '  - Risk: 9 (likelihood 3 × impact 3): internet\\-facing, pii data \\(orders\\-db\\)',
        '  - Mitigation: Fix test\\-attack\\-path: set `securityContext.privileged: false`\\.',
        `  - \`test-attack-path\` · STRIDE E, I · finding \`${path.id}\``,
      ].join('\n'),
    );
    // Rule-authored mitigation keeps its code spans; the rest is escaped.
    expect(md).toContain('  - Mitigation: Require authentication, e\\.g\\. `mTLS` or an `<auth>` annotation\\.');
    // Low and info groups are folded.
    expect(md).toContain('<details><summary>⚪ Info (1)</summary>');
    expect(md).toContain('#### 🔴 Critical (1)');
  });

  test('accepted risks are listed apart, with who and why', () => {
    const md = render();
    const accepted = md.slice(md.indexOf('### Accepted risks'), md.indexOf('### Resolved'));
    expect(accepted).toContain('- **Unauthenticated crossing** on `@\u200borg/team` (k8s:Deployment) at `deploy/shop.yaml:35`');
    expect(accepted).toContain('  - Accepted by @\u200balice on 2025\\-01\\-02: internal &lt;b&gt;only&lt;/b&gt; @\u200bsecurity');
    const newThreats = md.slice(md.indexOf('### New threats'), md.indexOf('### Accepted risks'));
    expect(newThreats).not.toContain('Accepted by');
  });

  test('resolved threats and crossings, parse errors and skipped files', () => {
    const md = render();
    expect(md).toContain('<details><summary>1 threat and 1 crossing resolved</summary>');
    expect(md).toContain('- ~~Plaintext crossing~~ on `api.partner.example` (external) (medium, was at `deploy/shop.yaml:45`)');
    expect(md).toContain('- ~~`frontend` (k8s:Deployment) → `api.partner.example` (external)~~ (calls, Namespace shop → Third parties, was at `deploy/shop.yaml:45`)');
    expect(md).toContain('1 error, 0 warnings, 1 skipped');
    expect(md).toContain('| `deploy/pay team.yaml:9` | error | `yaml-syntax` | bad indentation \\| near \\`&lt;script&gt;alert\\(1\\)&lt;/script&gt;\\` |');
    expect(md).toContain('| `charts/app/templates/deploy.yaml` | skipped | `helm-template` | Helm template, not modelled |');
  });

  test('diagram of the affected part of the graph, and coverage', () => {
    const md = render();
    const chart = md.slice(md.indexOf('```mermaid'), md.indexOf('```', md.indexOf('```mermaid') + 3));
    expect(chart).toContain('flowchart LR');
    expect(chart).toContain('gateway: #60;img src=x#62;');
    expect(chart).toContain('linkStyle');
    expect(md).toContain('- 3 services, 0 operations, 1 data store modelled from 4 files (3 changed).');
    expect(md).toContain('- 3 workloads without a NetworkPolicy: `k8s:Deployment/pay/@\u200borg/team`, `k8s:Deployment/shop/frontend`, `k8s:Deployment/shop/orders`');
  });

  test('the diagram is limited to affected elements and their neighbours', () => {
    const md = render({ diagramNodes: 3 });
    const chart = md.slice(md.indexOf('```mermaid'), md.indexOf('```', md.indexOf('```mermaid') + 3));
    expect(chart.match(/^ {4}n\d+/gm)).toHaveLength(3);
  });

  test('nothing from a file renders as HTML, mentions anyone or breaks a table', () => {
    const md = render({ title: 'PR <b>#1</b> @org' });
    const outside = outsideCode(md);
    expect(outside).not.toMatch(/<(?!\/?(details|summary|sub|br)\b)[a-z/!]/i);
    const noChart = md.replace(/```mermaid[\s\S]*?```/g, '');
    expect(noChart).not.toMatch(/@(?!\u200b)/);
    expect(md.startsWith('## PR &lt;b&gt;\\#1&lt;/b&gt; @\u200borg\n')).toBe(true);
    // Every table row has as many cells as its header.
    const tables = md.split('\n\n').filter((b) => b.startsWith('| '));
    expect(tables.length).toBeGreaterThanOrEqual(3);
    for (const t of tables) {
      const rows = t.split('\n');
      for (const r of rows) expect(cells(r)).toBe(cells(rows[0]!));
    }
  });

  test('pipes and backticks in paths stay inside their table cell and code span', () => {
    const { report } = fixture();
    const odd = { ...report, crossings: report.crossings.map((c) => ({ ...c, location: { file: 'a|b`c`.yaml', line: 3 } })) };
    const md = render({}, odd);
    const row = md.split('\n').find((l) => l.startsWith('| **lost encryption**'))!;
    expect(row.endsWith('| ``a\\|b`c`.yaml:3`` |')).toBe(true);
    expect(cells(row)).toBe(7);
  });

  test('links: file lines and the JSON report, only http(s), with breaking characters encoded', () => {
    const md = render({
      links: {
        file: (loc, side) => (loc.line === 33 ? `https://github.com/o/r/blob/${side}/${loc.file}#L${loc.line}` : loc.line === 70 ? 'javascript:alert(1)' : `https://x.test/a (b)|c`),
        rule: (id) => `https://docs.test/rules/${id}`,
      },
    });
    expect(md).toContain('at [`deploy/shop.yaml:33`](https://github.com/o/r/blob/head/deploy/shop.yaml#L33)');
    expect(md).toContain('[`deploy/shop.yaml:82`](https://x.test/a%20%28b%29%7Cc)');
    expect(md).toContain('at `deploy/shop.yaml:70`');
    expect(md).not.toContain('javascript:');
    expect(md).toContain('[`k8s-privileged-container`](https://docs.test/rules/k8s-privileged-container)');
  });

  test('scan: findings counted as present, not new', () => {
    const { report, head } = scanFixture();
    const md = renderMarkdown(report, { head: head.graph, base: null, rules: RULES });
    expect(md.split('\n')[2]).toBe('🔴 **9 threats** (highest: **critical**), **6 trust-boundary crossings**, 1 file error.');
    expect(md).toContain('### Threats (9)');
    expect(md).not.toContain('### Resolved');
    expect(md).toContain('- 3 services, 0 operations, 1 data store modelled from 4 files.');
    expect(md).toContain('<sub>threatdiff 0\\.1\\.0 · ``feature/`x`|y`` `bbbbbbb`</sub>');
  });

  test('no model changes: a short message', () => {
    const { head } = fixture();
    const report = buildReport(head, head, { accepted: [] });
    const md = renderMarkdown(report, { head: head.graph, base: head.graph });
    expect(md).toBe(
      [
        '## threatdiff',
        '',
        '✅ **No model changes**: no new or resolved trust-boundary crossings or threats (9 existing threats unchanged).',
        '',
        '3 services, 0 operations, 1 data store modelled from 4 files (0 changed).',
        '',
        '<sub>threatdiff 0\\.1\\.0 · ``feature/`x`|y`` `bbbbbbb` → ``feature/`x`|y`` `bbbbbbb`</sub>',
        '',
      ].join('\n'),
    );
  });

  test('is deterministic', () => {
    expect(render()).toBe(render());
  });

  test("title '' leaves the heading to the caller (sticky comment, check summary)", () => {
    expect(render({ title: '' }).startsWith('🔴 **6 new threats**')).toBe(true);
  });
});

describe('renderMarkdown under maxLength', () => {
  test('drops the unchanged list first, then the diagram, and says how much is not shown', () => {
    const full = render();
    const noUnchanged = render({ maxLength: full.length - 1 });
    expect(noUnchanged.length).toBeLessThanOrEqual(full.length - 1);
    expect(noUnchanged).not.toContain('### Existing threats');
    expect(noUnchanged).toContain('```mermaid');
    expect(noUnchanged).toContain('> … 2 more findings not shown (see the JSON report)');
    const noDiagram = render({ maxLength: noUnchanged.length - 1 });
    expect(noDiagram).not.toContain('```mermaid');
    expect(noDiagram).toContain('### New threats (6)');
    expect(noDiagram).toContain('### Coverage');
  });

  test('cuts lists of a large report to fit GitHub, keeping the verdict and top risks', () => {
    const report = bigReport(1500);
    const full = render({}, report);
    expect(full.length).toBeGreaterThan(GITHUB_MAX_LENGTH);
    const md = render({ maxLength: GITHUB_MAX_LENGTH, links: { report: 'https://ci.test/run/1 (json)' } }, report);
    expect(md.length).toBeLessThanOrEqual(GITHUB_MAX_LENGTH);
    expect(md.split('\n')[2]).toBe('🔴 **1506 new threats** (highest: **critical**), 1 accepted, **1504 new trust-boundary crossings**, 1 threat and 1 crossing resolved, 1 file error.');
    expect(md).toContain('### Top risks');
    expect(md).toMatch(/> … \d+ more findings not shown \(see the \[JSON report\]\(https:\/\/ci\.test\/run\/1%20%28json%29\)\)/);
    expect(md).toContain('_… ');
    expect(md).toContain('### Coverage');
    expect(render({ maxLength: GITHUB_MAX_LENGTH }, report)).toBe(render({ maxLength: GITHUB_MAX_LENGTH }, report));
  });

  test('the note counts what was left out', () => {
    const report = bigReport(30);
    const md = render({ maxLength: 6000 }, report);
    expect(md.length).toBeLessThanOrEqual(6000);
    const hidden = Number(/> … (\d+) more findings not shown/.exec(md)![1]);
    const shownThreats = (md.match(/^- \*\*/gm) ?? []).length;
    const shownCrossings = (md.match(/^\| (added|\*\*lost)/gm) ?? []).length;
    const shownResolved = (md.match(/^- ~~/gm) ?? []).length;
    const shownErrors = (md.match(/^\| `(deploy|charts)\//gm) ?? []).length;
    // Everything in the report is either shown or counted in the note.
    expect(shownThreats + shownCrossings + shownResolved + shownErrors + hidden).toBe(report.threats.length + report.crossings.filter((c) => c.status !== 'unchanged').length + report.errors.length);
  });

  test('never exceeds even a tiny maxLength', () => {
    const report = bigReport(50);
    for (const max of [1500, 400, 60, 10]) expect(render({ maxLength: max }, report).length).toBeLessThanOrEqual(max);
    for (const max of [2500, 1500, 400]) {
      const md = render({ maxLength: max }, report);
      // One note, at the end, and no <details> left open above it.
      expect(md.match(/^> … \d+ more findings not shown \(see the JSON report\)$/gm)).toHaveLength(1);
      expect(md.endsWith('not shown (see the JSON report)\n')).toBe(true);
      expect((md.match(/<details/g) ?? []).length).toBe((md.match(/<\/details>/g) ?? []).length);
    }
    expect(render({ maxLength: 400 }, report).startsWith('## threatdiff\n\n🔴 **56 new threats**')).toBe(true);
  });
});

test('element ids of the fixture stay what the assertions above assume', () => {
  expect(IDS.team).toBe('k8s:Deployment/pay/@org/team');
});

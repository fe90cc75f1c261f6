import { Ajv } from 'ajv';
import { renderThreatDragon, stableUuid, THREAT_DRAGON_VERSION } from '../../src/report/threat-dragon.js';
import { fixture, IDS } from './fixture.js';
import { errors, loadSchema, validator } from './schemas.js';

interface Cell {
  id: string;
  shape: string;
  zIndex: number;
  position?: { x: number; y: number };
  size?: { width: number; height: number };
  source?: { cell: string };
  target?: { cell: string };
  data: { type: string; name?: string; outOfScope?: boolean; hasOpenThreats: boolean; isEncrypted?: boolean; isPublicNetwork?: boolean; protocol?: string; threats?: TdThreat[] };
  attrs?: { body?: { stroke: string } };
}
interface TdThreat {
  id: string;
  title: string;
  status: string;
  severity: string;
  type: string;
  description: string;
  mitigation: string;
  number: number;
  score: string;
}
interface Model {
  version: string;
  summary: { title: string };
  detail: { diagrams: { id: number; title: string; diagramType: string; cells: Cell[] }[]; diagramTop: number; threatTop: number };
}

const validate = validator('threat-dragon-v2.schema.json');

/** Threat Dragon keeps threats in `data.threats`; the schema describes their shape under the cell's `threats`. */
function threatItemValidator() {
  const schema = loadSchema('threat-dragon-v2.schema.json') as any;
  const item = schema.properties.detail.properties.diagrams.items.properties.cells.items.properties.threats;
  return new Ajv({ strict: false }).compile(item);
}

function model(input = fixture().input): Model {
  return JSON.parse(renderThreatDragon(input)) as Model;
}

describe('renderThreatDragon', () => {
  test('validates against the Threat Dragon v2 schema, threats included', () => {
    const m = model();
    expect(validate(m) ? [] : errors(validate)).toEqual([]);
    const threatItems = threatItemValidator();
    const all = m.detail.diagrams.flatMap((d) => d.cells.flatMap((c) => c.data.threats ?? []));
    expect(all.length).toBeGreaterThan(0);
    expect(threatItems(all) ? [] : threatItems.errors).toEqual([]);
    expect(m.version).toBe(THREAT_DRAGON_VERSION);
  });

  test('the schema check can fail (a cell without a shape is rejected)', () => {
    const m = model();
    delete (m.detail.diagrams[0]!.cells[0] as { shape?: string }).shape;
    expect(validate(m)).toBe(false);
  });

  test('one STRIDE diagram per trust zone, by trust then id', () => {
    const m = model();
    expect(m.detail.diagrams.map((d) => [d.id, d.title, d.diagramType])).toEqual([
      [0, 'Internet', 'STRIDE'],
      [1, 'Edge', 'STRIDE'],
      [2, 'Namespace pay', 'STRIDE'],
      [3, 'Namespace shop', 'STRIDE'],
      [4, 'Data tier', 'STRIDE'],
    ]);
    expect(m.detail.diagramTop).toBe(5);
  });

  test('cells: a boundary box, shapes per kind, outside elements out of scope, flows between cells of the diagram', () => {
    const m = model();
    const shop = m.detail.diagrams.find((d) => d.title === 'Namespace shop')!;
    const byName = (name: string) => shop.cells.filter((c) => c.data.name === name);
    expect(shop.cells[0]).toMatchObject({ shape: 'trust-boundary-box', zIndex: -1, data: { type: 'tm.BoundaryBox', isTrustBoundary: true } });
    // The Deployment and the Service are both called frontend; both are processes inside the zone.
    expect(byName('frontend').map((c) => [c.shape, c.data.type, c.data.outOfScope])).toEqual([
      ['process', 'tm.Process', false],
      ['process', 'tm.Process', false],
    ]);
    expect(byName('orders-db').map((c) => [c.shape, c.data.type, c.data.outOfScope])).toEqual([['store', 'tm.Store', true]]);
    expect(byName('@org/team').map((c) => c.data.outOfScope)).toEqual([true]);
    const ids = new Set(shop.cells.map((c) => c.id));
    expect(ids.size).toBe(shop.cells.length);
    const flows = shop.cells.filter((c) => c.shape === 'flow');
    for (const f of flows) expect(ids.has(f.source!.cell) && ids.has(f.target!.cell)).toBe(true);
    const db = flows.find((f) => f.source!.cell === stableUuid(`cell@k8s:shop@${IDS.orders}`) && f.target!.cell === stableUuid(`cell@k8s:shop@${IDS.db}`))!;
    expect(db.data).toMatchObject({ type: 'tm.Flow', name: 'writes postgres:5432', isEncrypted: false, protocol: 'postgres', isPublicNetwork: false });
    const internet = m.detail.diagrams[0]!.cells.find((c) => c.shape === 'actor')!;
    expect(internet.data.name).toBe('Internet');
  });

  test('elements are laid out on a grid without overlapping', () => {
    for (const d of model().detail.diagrams) {
      const boxes = d.cells.filter((c) => c.shape !== 'flow' && c.shape !== 'trust-boundary-box');
      for (const a of boxes)
        for (const b of boxes) {
          if (a === b) continue;
          const apart = a.position!.x + a.size!.width <= b.position!.x || b.position!.x + b.size!.width <= a.position!.x || a.position!.y + a.size!.height <= b.position!.y || b.position!.y + b.size!.height <= a.position!.y;
          expect(apart).toBe(true);
        }
    }
  });

  test('threats sit on their element in its own zone: status, severity, STRIDE type, mitigation, numbering', () => {
    const m = model();
    const shop = m.detail.diagrams.find((d) => d.title === 'Namespace shop')!;
    const frontend = shop.cells.find((c) => c.id === stableUuid(`cell@k8s:shop@${IDS.frontend}`))!;
    expect(frontend.data.hasOpenThreats).toBe(true);
    expect(frontend.attrs!.body!.stroke).toBe('red');
    const priv = frontend.data.threats!.find((t) => t.title === 'Title of k8s-privileged-container')!;
    expect(priv).toMatchObject({ status: 'Open', severity: 'High', type: 'Elevation of privilege', mitigation: 'Fix k8s-privileged-container: set `securityContext.privileged: false`.' });
    expect(priv.description).toContain('container `app` | privileged: true <img src=x> @org/team (TD-');
    const pay = m.detail.diagrams.find((d) => d.title === 'Namespace pay')!;
    const team = pay.cells.find((c) => c.data.name === '@org/team')!;
    expect(team.data.threats!.map((t) => [t.title, t.severity, t.type])).toEqual([
      ['Unauthenticated crossing', 'Medium', 'Spoofing'],
      ['Title of k8s-info-thing', 'Low', 'Information disclosure'],
    ]);
    expect(team.data.threats![0]!.description).toContain('Accepted by @alice: internal <b>only</b> @security.');
    // Shown once: not repeated on the out-of-scope copy in the shop diagram.
    expect(shop.cells.find((c) => c.data.name === '@org/team')!.data.threats).toEqual([]);
    const db = m.detail.diagrams.find((d) => d.title === 'Data tier')!.cells.find((c) => c.data.name === 'orders-db')!;
    expect(db.data.threats!.find((t) => t.title === 'Title of test-attack-path')!.score).toBe('9');
    const numbers = m.detail.diagrams.flatMap((d) => d.cells.flatMap((c) => c.data.threats ?? [])).map((t) => t.number);
    expect([...numbers].sort((a, b) => a - b)).toEqual(numbers.map((_, i) => i + 1));
    expect(m.detail.threatTop).toBe(numbers.length);
  });

  test('a resolved threat on an element still there is Mitigated', () => {
    const { input } = fixture();
    const t = input.report.threats.find((x) => x.ruleId === 'k8s-privileged-container')!;
    const m = model({ ...input, report: { ...input.report, threats: [{ ...t, status: 'resolved' }] } });
    const cell = m.detail.diagrams.flatMap((d) => d.cells).find((c) => c.id === stableUuid(`cell@k8s:shop@${IDS.frontend}`))!;
    expect(cell.data.threats!.map((x) => x.status)).toEqual(['Mitigated']);
    expect(cell.data.hasOpenThreats).toBe(false);
  });

  test('ids are UUID-shaped and the output deterministic', () => {
    expect(stableUuid('x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(renderThreatDragon(fixture().input)).toBe(renderThreatDragon(fixture().input));
  });
});

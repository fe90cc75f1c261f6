import { renderOtm } from '../../src/report/otm.js';
import { FLOW_KINDS } from '../../src/analysis/crossings.js';
import { fixture, IDS, SHOP } from './fixture.js';
import { errors, validator } from './schemas.js';

interface Otm {
  otmVersion: string;
  project: { name: string; id: string };
  representations: { id: string }[];
  trustZones: { id: string; name: string; risk: { trustRating: number } }[];
  components: {
    id: string;
    name: string;
    type: string;
    parent: { trustZone: string };
    representations?: { representation: string; file: string; line: number }[];
    threats?: { threat: string; state: string; mitigations: { mitigation: string; state: string }[] }[];
    attributes?: { findings: { id: string; status: string }[] };
  }[];
  dataflows: { id: string; source: string; destination: string; attributes: { crossesBoundary: boolean } }[];
  threats: { id: string; name: string; categories: string[]; cwes: string[]; risk: { likelihood: number | null; impact: number } }[];
  mitigations: { id: string; description: string; riskReduction: number }[];
}

const validate = validator('open-threat-model.schema.json');

describe('renderOtm', () => {
  test('validates against the OTM 0.2.0 schema', () => {
    const otm = JSON.parse(renderOtm(fixture().input));
    expect(validate(otm) ? [] : errors(validate)).toEqual([]);
    expect(otm.otmVersion).toBe('0.2.0');
  });

  test('the schema check can fail (a component without a parent is rejected)', () => {
    const otm = JSON.parse(renderOtm(fixture().input)) as Otm;
    delete (otm.components[0] as { parent?: unknown }).parent;
    expect(validate(otm)).toBe(false);
  });

  test('trust zones come from the graph with a 0-100 trust rating', () => {
    const { input } = fixture();
    const otm = JSON.parse(renderOtm(input)) as Otm;
    expect(otm.trustZones.map((z) => [z.id, z.name, z.risk.trustRating])).toEqual([
      ['data', 'Data tier', 100],
      ['edge', 'Edge', 33],
      ['internet', 'Internet', 0],
      ['k8s:pay', 'Namespace pay', 67],
      ['k8s:shop', 'Namespace shop', 67],
    ]);
  });

  test('components are the elements, each in its zone, with its source line', () => {
    const { input, head } = fixture();
    const otm = JSON.parse(renderOtm(input)) as Otm;
    expect(otm.components.map((c) => c.id)).toEqual([...head.graph.elements.keys()].sort());
    const img = otm.components.find((c) => c.id === IDS.img)!;
    expect(img).toMatchObject({ name: '<img src=x>', type: 'gateway', parent: { trustZone: 'edge' }, representations: [{ representation: 'source', file: SHOP, line: 80 }] });
    const zoneIds = new Set(otm.trustZones.map((z) => z.id));
    for (const c of otm.components) expect(zoneIds.has(c.parent.trustZone)).toBe(true);
    expect(otm.components.find((c) => c.id === IDS.internet)!.representations).toBeUndefined();
  });

  test('data flows are the flow edges, between existing components', () => {
    const { input, head } = fixture();
    const otm = JSON.parse(renderOtm(input)) as Otm;
    expect(otm.dataflows).toHaveLength(head.graph.edges.filter((e) => FLOW_KINDS.has(e.kind)).length);
    const ids = new Set(otm.components.map((c) => c.id));
    for (const f of otm.dataflows) expect(ids.has(f.source) && ids.has(f.destination)).toBe(true);
    expect(otm.dataflows.find((f) => f.id === `calls:${IDS.frontend}->${IDS.team}`)!.attributes.crossesBoundary).toBe(true);
    expect(otm.dataflows.find((f) => f.id === `calls:${IDS.frontend}->${IDS.orders}`)!.attributes.crossesBoundary).toBe(false);
  });

  test('rules that fired are threats with STRIDE categories, each with a mitigation, referenced by component instances', () => {
    const otm = JSON.parse(renderOtm(fixture().input)) as Otm;
    expect(otm.threats.find((t) => t.id === 'test-plaintext-crossing')).toEqual({
      id: 'test-plaintext-crossing',
      name: 'Plaintext crossing',
      description: 'Anyone on the path can read and change the data.',
      categories: ['Tampering', 'Information disclosure'],
      cwes: ['CWE-319'],
      risk: { likelihood: null, impact: 50 },
      tags: ['test-plaintext-crossing'],
    });
    const threatIds = new Set(otm.threats.map((t) => t.id));
    const mitigationIds = new Set(otm.mitigations.map((m) => m.id));
    for (const c of otm.components)
      for (const i of c.threats ?? []) {
        expect(threatIds.has(i.threat)).toBe(true);
        for (const m of i.mitigations) expect(mitigationIds.has(m.mitigation)).toBe(true);
      }
    expect(otm.mitigations.find((m) => m.id === 'test-unauth-crossing#mitigation')!.description).toBe('Require authentication, e.g. `mTLS` or an `<auth>` annotation.');
  });

  test('instance state: exposed, accepted, or mitigated when resolved and the element is still there', () => {
    const { input } = fixture();
    const otm = JSON.parse(renderOtm(input)) as Otm;
    const team = otm.components.find((c) => c.id === IDS.team)!;
    expect(team.threats).toEqual([
      { threat: 'k8s-info-thing', state: 'exposed', mitigations: [{ mitigation: 'k8s-info-thing#mitigation', state: 'required' }] },
      { threat: 'test-unauth-crossing', state: 'accepted', mitigations: [{ mitigation: 'test-unauth-crossing#mitigation', state: 'required' }] },
    ]);
    const frontend = input.report.threats.find((t) => t.element === IDS.frontend && t.ruleId === 'k8s-privileged-container')!;
    const resolved = { ...input, report: { ...input.report, threats: [{ ...frontend, status: 'resolved' as const }] } };
    const after = JSON.parse(renderOtm(resolved)) as Otm;
    expect(after.components.find((c) => c.id === IDS.frontend)!.threats).toEqual([
      { threat: 'k8s-privileged-container', state: 'mitigated', mitigations: [{ mitigation: 'k8s-privileged-container#mitigation', state: 'implemented' }] },
    ]);
    expect(after.components.find((c) => c.id === IDS.frontend)!.attributes!.findings.map((f) => [f.id, f.status])).toEqual([[frontend.id, 'resolved']]);
  });

  test('project name can be given; output is deterministic', () => {
    const { input } = fixture();
    const otm = JSON.parse(renderOtm(input, { project: { name: 'acme/shop', id: 'acme-shop' } })) as Otm;
    expect(otm.project).toMatchObject({ name: 'acme/shop', id: 'acme-shop' });
    expect(renderOtm(fixture().input)).toBe(renderOtm(fixture().input));
  });
});

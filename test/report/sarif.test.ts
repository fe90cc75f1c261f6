import { renderSarif, pathToUri, SARIF_FINGERPRINT } from '../../src/report/sarif.js';
import type { Threat } from '../../src/model/graph.js';
import { fixture, IDS, scanFixture } from './fixture.js';
import { errors, validator } from './schemas.js';

interface SarifLog {
  version: string;
  runs: {
    tool: { driver: { name: string; rules: { id: string; name: string; defaultConfiguration: { level: string }; properties: { tags: string[]; 'security-severity': string }; help: { text: string }; fullDescription: { text: string } }[] } };
    results: {
      ruleId: string;
      ruleIndex: number;
      level: string;
      message: { text: string };
      locations: { physicalLocation?: { artifactLocation: { uri: string }; region: { startLine: number } }; logicalLocations: { fullyQualifiedName: string }[] }[];
      partialFingerprints: Record<string, string>;
      suppressions?: { kind: string; status: string; justification: string }[];
      codeFlows?: { threadFlows: { locations: { location: { message: { text: string } } }[] }[] }[];
      properties: { status: string; element: string; stride: string[]; accepted: unknown };
    }[];
  }[];
}

const validate = validator('sarif-2.1.0-rtm.5.json');

function sarif(input = fixture().input): SarifLog {
  return JSON.parse(renderSarif(input)) as SarifLog;
}

describe('renderSarif', () => {
  test('validates against the SARIF 2.1.0 schema, for a diff and a scan', () => {
    for (const input of [fixture().input, scanFixture().input]) {
      const log = JSON.parse(renderSarif(input));
      expect(validate(log) ? [] : errors(validate)).toEqual([]);
      expect(log.version).toBe('2.1.0');
    }
  });

  test('the schema check can fail (a result without a message is rejected)', () => {
    const log = sarif();
    delete (log.runs[0]!.results[0] as { message?: unknown }).message;
    expect(validate(log)).toBe(false);
  });

  test('one result per new or unchanged threat; resolved ones are left out', () => {
    const { report } = fixture();
    const log = sarif();
    const expected = report.threats.filter((t) => t.status !== 'resolved').map((t) => t.id);
    expect(log.runs[0]!.results.map((r) => r.partialFingerprints[SARIF_FINGERPRINT])).toEqual(expected);
    expect(log.runs[0]!.results.some((r) => r.properties.status === 'resolved')).toBe(false);
    expect(report.threats.some((t) => t.status === 'resolved')).toBe(true);
  });

  test('rules carry rationale, mitigation, STRIDE tags and the worst security-severity of their results', () => {
    const log = sarif();
    const rules = log.runs[0]!.tool.driver.rules;
    expect(rules.map((r) => r.id)).toEqual(['k8s-info-thing', 'k8s-low-thing', 'k8s-privileged-container', 'test-attack-path', 'test-plaintext-crossing', 'test-unauth-crossing']);
    const unauth = rules.find((r) => r.id === 'test-unauth-crossing')!;
    expect(unauth.name).toBe('TestUnauthCrossing');
    expect(unauth.fullDescription.text).toBe('Anyone who reaches the boundary can call it. From the internet that is everyone.');
    expect(unauth.help.text).toContain('Mitigation: Require authentication, e.g. `mTLS` or an `<auth>` annotation.');
    // Default medium, but the internet-facing hit is high: code scanning shows one severity per rule.
    expect(unauth.defaultConfiguration.level).toBe('warning');
    expect(unauth.properties['security-severity']).toBe('8.0');
    expect(unauth.properties.tags).toEqual(['security', 'threat-model', 'STRIDE-S', 'spoofing', 'external/cwe/cwe-306']);
    const priv = rules.find((r) => r.id === 'k8s-privileged-container')!;
    expect(priv.properties['security-severity']).toBe('9.5');
    expect(rules.find((r) => r.id === 'k8s-info-thing')!.properties['security-severity']).toBe('1.0');
    expect(rules.find((r) => r.id === 'k8s-low-thing')!.properties['security-severity']).toBe('3.0');
    expect(rules.find((r) => r.id === 'test-plaintext-crossing')!.properties['security-severity']).toBe('5.5');
  });

  test('results: level, message, location, fingerprint, properties, suppression for accepted ones', () => {
    const log = sarif();
    const results = log.runs[0]!.results;
    const rules = log.runs[0]!.tool.driver.rules;
    for (const r of results) expect(rules[r.ruleIndex]!.id).toBe(r.ruleId);
    const priv = results.find((r) => r.ruleId === 'k8s-privileged-container')!;
    expect(priv.level).toBe('error');
    expect(priv.message.text).toBe('Title of k8s-privileged-container: container `app` | privileged: true <img src=x> @org/team');
    expect(priv.locations[0]!.physicalLocation).toEqual({ artifactLocation: { uri: 'deploy/shop.yaml', uriBaseId: '%SRCROOT%' }, region: { startLine: 33 } });
    expect(priv.properties).toMatchObject({ status: 'new', element: IDS.frontend, stride: ['E'], accepted: false });
    const info = results.find((r) => r.ruleId === 'k8s-info-thing')!;
    expect(info.level).toBe('note');
    expect(info.locations[0]!.physicalLocation!.artifactLocation.uri).toBe('deploy/pay%20team.yaml');
    const accepted = results.find((r) => r.properties.element === IDS.team && r.ruleId === 'test-unauth-crossing')!;
    expect(accepted.suppressions).toEqual([{ kind: 'external', status: 'accepted', justification: 'internal <b>only</b> @security (accepted by @alice)' }]);
    expect(accepted.properties.accepted).toEqual({ by: '@alice', at: '2025-01-02', reason: 'internal <b>only</b> @security' });
  });

  test('an attack path becomes a code flow, hop by hop, with the opened hops marked', () => {
    const path = sarif().runs[0]!.results.find((r) => r.ruleId === 'test-attack-path')!;
    const hops = path.codeFlows![0]!.threadFlows[0]!.locations.map((l) => l.location.message.text);
    expect(hops).toEqual([
      `exposes ${IDS.internet} -> ${IDS.img} (opened by this change): exposes hop`,
      `routes ${IDS.img} -> ${IDS.frontend} (opened by this change): routes hop`,
      `calls ${IDS.frontend} -> ${IDS.orders}: calls hop`,
      `writes ${IDS.orders} -> ${IDS.db}: writes hop`,
    ]);
  });

  test('a finding without a file keeps a logical location, and line 0 becomes line 1', () => {
    const { input } = fixture();
    const base = input.report.threats[0]!;
    const odd: Threat[] = [
      { ...base, id: 'TD-000000000001', key: 'k1', location: { file: '', line: 0 } },
      { ...base, id: 'TD-000000000002', key: 'k2', location: { file: '/abs/a b#c.yaml', line: 0 } },
    ];
    const log = JSON.parse(renderSarif({ ...input, report: { ...input.report, threats: odd } }));
    expect(validate(log) ? [] : errors(validate)).toEqual([]);
    const [noFile, zero] = (log as SarifLog).runs[0]!.results;
    expect(noFile!.locations).toEqual([{ logicalLocations: [{ fullyQualifiedName: base.element, kind: 'resource' }] }]);
    expect(zero!.locations[0]!.physicalLocation).toEqual({ artifactLocation: { uri: 'abs/a%20b%23c.yaml', uriBaseId: '%SRCROOT%' }, region: { startLine: 1 } });
  });

  test('pathToUri encodes each segment and keeps slashes', () => {
    expect(pathToUri('a dir/ü?x.yaml')).toBe('a%20dir/%C3%BC%3Fx.yaml');
    expect(pathToUri('win\\path\\f.tf')).toBe('win/path/f.tf');
  });

  test('is deterministic', () => {
    expect(renderSarif(fixture().input)).toBe(renderSarif(fixture().input));
  });
});

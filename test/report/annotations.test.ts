import { ANNOTATION_LIMITS, toAnnotations, truncateBytes } from '../../src/report/annotations.js';
import { fixture, IDS, PAY, SHOP } from './fixture.js';

describe('toAnnotations', () => {
  test('one per new threat and new crossing with a head file, by path and line, level by severity', () => {
    const { report, head } = fixture();
    const out = toAnnotations(report, { graph: head.graph });
    expect(out.map((a) => [a.path, a.start_line, a.end_line, a.annotation_level, a.title])).toEqual([
      [PAY, 4, 4, 'notice', expect.stringMatching(/^INFO Title of k8s-info-thing \(TD-[0-9a-f]{12}\)$/)],
      [SHOP, 33, 33, 'failure', expect.stringMatching(/^CRITICAL Title of k8s-privileged-container \(TD-/)],
      // Accepted: a notice, whatever its severity.
      [SHOP, 35, 35, 'notice', expect.stringMatching(/^MEDIUM Unauthenticated crossing \(TD-/)],
      [SHOP, 35, 35, 'notice', 'New trust-boundary crossing: frontend -> @org/team'],
      [SHOP, 70, 70, 'failure', expect.stringMatching(/^HIGH Title of test-attack-path/)],
      [SHOP, 70, 70, 'warning', expect.stringMatching(/^MEDIUM Plaintext crossing/)],
      [SHOP, 70, 70, 'warning', 'Trust-boundary crossing lost encryption: orders -> orders-db'],
      [SHOP, 82, 82, 'failure', expect.stringMatching(/^HIGH Unauthenticated crossing/)],
      [SHOP, 82, 82, 'notice', 'New trust-boundary crossing: Internet -> <img src=x>'],
      [SHOP, 84, 84, 'warning', expect.stringMatching(/^MEDIUM Unauthenticated crossing/)],
      [SHOP, 84, 84, 'notice', 'New trust-boundary crossing: <img src=x> -> frontend'],
    ]);
    // Resolved and unchanged findings are not annotated.
    expect(out.some((a) => a.title.includes('Title of k8s-low-thing'))).toBe(false);
  });

  test('messages: evidence, risk, mitigation, acceptance; raw details: ids and the path hop by hop', () => {
    const { report } = fixture();
    const out = toAnnotations(report);
    const accepted = out.find((a) => a.start_line === 35 && a.title.startsWith('MEDIUM'))!;
    expect(accepted.message).toBe(
      'env TEAM_URL=http://@org/team\n\nMitigation: Require authentication, e.g. `mTLS` or an `<auth>` annotation.\nAccepted by @alice on 2025-01-02: internal <b>only</b> @security',
    );
    const path = out.find((a) => a.title.startsWith('HIGH Title of test-attack-path'))!;
    expect(path.message).toContain('\nRisk 9 (likelihood 3 x impact 3): internet-facing, pii data (orders-db)\n');
    expect(path.raw_details).toContain(`Hop: ${IDS.internet} -[exposes]-> ${IDS.img} at ${SHOP}:82 (opened by this change)`);
    expect(path.raw_details).toContain(`Hop: ${IDS.frontend} -[calls]-> ${IDS.orders} at ${SHOP}:40\n`);
    // Without the graph, crossings are titled by element id.
    expect(out.find((a) => a.start_line === 84 && a.title.startsWith('New'))!.title).toBe(`New trust-boundary crossing: ${IDS.img} -> ${IDS.frontend}`);
  });

  test('control characters go, titles stay under 255 characters, messages under 64 KB', () => {
    const { report } = fixture();
    const t = report.threats.find((x) => x.status === 'new' && x.ruleId === 'k8s-privileged-container')!;
    const hostile = {
      ...t,
      title: `T${'é'.repeat(400)}`,
      evidence: `a\u0000b\u001b[31mc\r\nd\u007f${'€'.repeat(40_000)}`,
      location: { file: 'x\u0007.yaml', line: 0 },
    };
    const [a] = toAnnotations({ ...report, threats: [hostile], crossings: [] });
    expect(a!.path).toBe('x.yaml');
    expect(a!.start_line).toBe(1);
    expect([...a!.title].length).toBeLessThanOrEqual(ANNOTATION_LIMITS.titleChars);
    expect(a!.title.endsWith('…')).toBe(true);
    expect(a!.message.startsWith('ab[31mc\nd€')).toBe(true);
    expect(Buffer.byteLength(a!.message, 'utf8')).toBeLessThanOrEqual(ANNOTATION_LIMITS.messageBytes);
    expect(a!.message.endsWith('…')).toBe(true);
    expect(/[\u0000-\u0008\u000b-\u001f\u007f]/.test(a!.message + a!.title + a!.raw_details)).toBe(false);
  });

  test('findings without a file are not annotated', () => {
    const { report } = fixture();
    const t = report.threats.find((x) => x.status === 'new')!;
    expect(toAnnotations({ ...report, threats: [{ ...t, location: { file: '', line: 0 } }], crossings: [] })).toEqual([]);
  });

  test('truncateBytes never splits a character', () => {
    expect(truncateBytes('abc', 3)).toBe('abc');
    expect(truncateBytes('€€€', 7)).toBe('€…');
    expect(Buffer.byteLength(truncateBytes('😀'.repeat(10), 9), 'utf8')).toBeLessThanOrEqual(9);
  });
});

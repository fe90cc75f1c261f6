import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_RULES } from '../rules/index.js';
import { SEVERITIES } from '../src/model/types.js';
import { analyzeFiles, FIXTURES, readTree } from './helpers/analyze.js';

/**
 * Every rule: complete metadata, a unique id, and a positive and a negative
 * fixture run through the real pipeline. The positive must raise the rule
 * (on the elements in expect.json when given), the negative must not.
 */
describe('rule contract', () => {
  test('rule ids are unique and kebab-case', () => {
    const ids = ALL_RULES.map((r) => r.meta.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)+$/);
  });

  describe.each(ALL_RULES.map((r) => [r.meta.id, r] as const))('%s', (id, rule) => {
    test('has complete metadata', () => {
      expect(rule.meta.title.length).toBeGreaterThan(5);
      expect(rule.meta.stride.length).toBeGreaterThan(0);
      for (const s of rule.meta.stride) expect('STRIDE').toContain(s);
      expect(SEVERITIES).toContain(rule.meta.severity);
      expect(rule.meta.rationale.length).toBeGreaterThan(20);
      expect(rule.meta.mitigation.length).toBeGreaterThan(20);
      expect(rule.meta.references.some((r) => /^CWE-\d+$/.test(r))).toBe(true);
    });

    const dir = join(FIXTURES, 'rules', id);
    test('positive fixture raises it', async () => {
      expect(existsSync(join(dir, 'positive'))).toBe(true);
      const analysis = await analyzeFiles(readTree(join(dir, 'positive')), { rules: [rule] });
      const hits = analysis.threats.filter((t) => t.ruleId === id);
      expect(hits.length).toBeGreaterThan(0);
      const expectFile = join(dir, 'positive', 'expect.json');
      if (existsSync(expectFile)) {
        const expected = JSON.parse(readFileSync(expectFile, 'utf8')) as { elements?: string[] };
        for (const el of expected.elements ?? []) expect(hits.map((h) => h.element)).toContain(el);
      }
      for (const h of hits) expect(h.location.line).toBeGreaterThan(0);
    });

    test('negative fixture does not', async () => {
      expect(existsSync(join(dir, 'negative'))).toBe(true);
      const analysis = await analyzeFiles(readTree(join(dir, 'negative')), { rules: [rule] });
      expect(analysis.threats.filter((t) => t.ruleId === id)).toEqual([]);
    });
  });
});

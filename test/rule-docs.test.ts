import { readFileSync } from 'node:fs';
import { ALL_RULES } from '../rules/index.js';
import { renderRuleDocs } from '../src/report/rule-docs.js';

test('docs/rules.md is generated from the current rule metadata', () => {
  const committed = readFileSync(new URL('../docs/rules.md', import.meta.url), 'utf8');
  // Regenerate with: npm run build && node dist/src/cli/bin.js rules --format markdown > docs/rules.md
  expect(committed).toBe(renderRuleDocs(ALL_RULES));
});

test('every STRIDE letter is covered by at least five rules', () => {
  for (const letter of ['S', 'T', 'R', 'I', 'D', 'E'] as const) {
    expect([letter, ALL_RULES.filter((r) => r.meta.stride.includes(letter)).length]).toEqual([letter, expect.any(Number)]);
    expect(ALL_RULES.filter((r) => r.meta.stride.includes(letter)).length).toBeGreaterThanOrEqual(5);
  }
});

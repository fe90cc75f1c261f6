import { asBool, asNumber, asString, asStringList, blocks, getPath, isExpr, isKnown, literal, show } from '../../../src/ingest/terraform/values.js';

const expr = { $expr: 'var.x' };

test('isExpr / isKnown / literal', () => {
  expect(isExpr(expr)).toBe(true);
  expect(isExpr({ $expr: 'a', other: 1 })).toBe(false);
  expect(isExpr('var.x')).toBe(false);
  expect(isKnown({ a: [1, { b: 'c' }] })).toBe(true);
  expect(isKnown({ a: [1, { b: expr }] })).toBe(false);
  expect(literal(['a', expr])).toBeUndefined();
  expect(literal(['a'])).toEqual(['a']);
});

test('three-way booleans: absent, known, unknown', () => {
  expect([asBool(undefined), asBool(null), asBool(true), asBool('false'), asBool(expr), asBool('yes')]).toEqual([undefined, undefined, true, false, 'unknown', 'unknown']);
});

test('strings, numbers and lists', () => {
  expect([asString('a'), asString(3), asString(expr)]).toEqual(['a', '3', undefined]);
  expect([asNumber(22), asNumber('22'), asNumber(''), asNumber(expr)]).toEqual([22, 22, undefined, undefined]);
  expect(asStringList(['0.0.0.0/0', expr, 22])).toEqual({ known: ['0.0.0.0/0', '22'], unknown: true });
  expect(asStringList(expr)).toEqual({ known: [], unknown: true });
  expect(asStringList('x')).toEqual({ known: ['x'], unknown: false });
  expect(asStringList(undefined)).toEqual({ known: [], unknown: false });
});

test('blocks and paths', () => {
  const values = { settings: [{ ip: [{ on: true }] }], dyn: expr };
  expect(blocks(values.settings)).toEqual([{ ip: [{ on: true }] }]);
  expect(blocks({ a: 1 })).toEqual([{ a: 1 }]);
  expect(blocks(expr)).toEqual([]);
  expect(getPath(values, 'settings.0.ip.0.on')).toBe(true);
  expect(getPath(values, 'settings.1.ip')).toBeUndefined();
  // An expression met on the way is returned, so callers see "unknown", not "absent".
  expect(getPath(values, 'dyn.0.x')).toEqual(expr);
  expect(getPath({ a: {} }, 'a.constructor')).toBeUndefined();
  expect(show(expr)).toBe('var.x');
  expect(show('x'.repeat(100), 10)).toBe('"xxxxxxxx…');
});

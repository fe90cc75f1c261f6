import fc from 'fast-check';
import { serialize, deserialize } from 'node:v8';
import { OverlayMap, plainMap } from '../../src/graph/overlay.js';

type Op = { kind: 'set'; key: number; value: number } | { kind: 'delete'; key: number } | { kind: 'over' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 12 }), value: fc.integer() }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 12 }) }),
  fc.record({ kind: fc.constant('over' as const) }),
);

describe('OverlayMap behaves as a copy of its parent with the writes applied', () => {
  test('random writes and nested overlays give the same entries, in the same order, as a plain Map', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer()), { maxLength: 12 }), fc.array(op, { maxLength: 40 }), (initial, ops) => {
        let plain = new Map(initial);
        let overlay: Map<number, number> = OverlayMap.over(new Map(initial));
        const parents: Map<number, number>[] = [];
        for (const o of ops) {
          if (o.kind === 'set') {
            expect(overlay.set(o.key, o.value)).toBe(overlay);
            plain.set(o.key, o.value);
          } else if (o.kind === 'delete') expect(overlay.delete(o.key)).toBe(plain.delete(o.key));
          else {
            // A derived map over this one: the parent must stay as it was.
            parents.push(overlay);
            overlay = OverlayMap.over(overlay);
            plain = new Map(plain);
          }
          expect([...overlay.entries()]).toEqual([...plain.entries()]);
          expect(overlay.size).toBe(plain.size);
        }
        for (let k = 0; k <= 12; k++) {
          expect(overlay.has(k)).toBe(plain.has(k));
          expect(overlay.get(k)).toBe(plain.get(k));
        }
        expect([...overlay.keys()]).toEqual([...plain.keys()]);
        expect([...overlay.values()]).toEqual([...plain.values()]);
        expect([...overlay]).toEqual([...plain]);
        const seen: [number, number][] = [];
        overlay.forEach((v, k) => seen.push([k, v]));
        expect(seen).toEqual([...plain.entries()]);
        expect(overlay instanceof Map).toBe(true);
        // Parents are untouched by their children's writes.
        for (const p of parents) expect(p.size).toBe([...p.entries()].length);
      }),
      { numRuns: 500 },
    );
  });

  test('a key set again keeps its place; deleted and set again, it moves to the end', () => {
    const m = OverlayMap.over(new Map([['a', 1], ['b', 2], ['c', 3]]));
    m.set('a', 10);
    expect([...m.keys()]).toEqual(['a', 'b', 'c']);
    m.delete('b');
    m.set('b', 20);
    m.set('d', 4);
    expect([...m.entries()]).toEqual([['a', 10], ['c', 3], ['b', 20], ['d', 4]]);
  });

  test('V8 serialisation of plainMap keeps the entries (of the overlay itself it would not)', () => {
    const m = OverlayMap.over(new Map([['a', 1]]));
    m.set('b', 2);
    expect([...(deserialize(serialize(plainMap(m))) as Map<string, number>).entries()]).toEqual([['a', 1], ['b', 2]]);
    expect((deserialize(serialize(m)) as Map<string, number>).size).toBe(0);
  });
});

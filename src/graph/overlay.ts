const DELETED = Symbol('deleted');

/** Overlays deeper than this are copied into a plain Map (reads and iteration walk every level). */
const MAX_DEPTH = 3;

/**
 * A Map that reads through to a parent Map and keeps only its own writes, so
 * a derived Graph shares its base's maps (copying a 90,000-entry Map costs
 * 15-40 ms on a loaded 2-core machine; a pull request changes a handful of
 * entries). It behaves as a copy of the parent with the writes applied:
 * a key set again keeps its place, a deleted key is skipped, a new key (or
 * one deleted and set again) comes after the parent's in insertion order.
 * The parent must not change afterwards (graphs are never mutated once
 * built). V8 serialisation does not see the entries: store `plainMap(m)`.
 */
export class OverlayMap<K, V> extends Map<K, V> {
  private readonly own = new Map<K, V | typeof DELETED>();
  private readonly appended = new Map<K, V>();
  private count: number;
  readonly depth: number;

  private constructor(private readonly parent: ReadonlyMap<K, V>) {
    super();
    this.count = parent.size;
    this.depth = parent instanceof OverlayMap ? parent.depth + 1 : 1;
  }

  /** A writable copy of `parent` that shares its entries (a plain copy when overlays are already deep). */
  static over<K, V>(parent: ReadonlyMap<K, V>): Map<K, V> {
    return parent instanceof OverlayMap && parent.depth >= MAX_DEPTH ? new Map(parent) : new OverlayMap(parent);
  }

  override get size(): number {
    return this.count;
  }

  override get(key: K): V | undefined {
    const a = this.appended.get(key);
    if (a !== undefined) return a;
    const o = this.own.get(key);
    if (o === DELETED) return undefined;
    return o !== undefined ? o : this.parent.get(key);
  }

  override has(key: K): boolean {
    if (this.appended.has(key)) return true;
    const o = this.own.get(key);
    if (o === DELETED) return false;
    return o !== undefined || this.parent.has(key);
  }

  override set(key: K, value: V): this {
    // Called by Map's constructor before the fields exist: nothing to do then.
    if (this.own === undefined) return this;
    if (this.appended.has(key)) this.appended.set(key, value);
    else if (this.own.get(key) !== DELETED && this.parent.has(key)) this.own.set(key, value);
    else {
      this.appended.set(key, value);
      this.count++;
    }
    return this;
  }

  override delete(key: K): boolean {
    if (this.appended.delete(key)) {
      this.count--;
      return true;
    }
    if (this.own.get(key) === DELETED || !this.parent.has(key)) return false;
    this.own.set(key, DELETED);
    this.count--;
    return true;
  }

  override clear(): void {
    for (const key of this.parent.keys()) this.own.set(key, DELETED);
    this.appended.clear();
    this.count = 0;
  }

  override *entries(): MapIterator<[K, V]> {
    if (this.own.size === 0) yield* this.parent.entries();
    else {
      for (const entry of this.parent.entries()) {
        const o = this.own.get(entry[0]);
        if (o === undefined) yield entry;
        else if (o !== DELETED) yield [entry[0], o];
      }
    }
    yield* this.appended.entries();
  }

  override keys(): MapIterator<K> {
    return this.plain() ? this.parent.keys() : this.keysOf();
  }

  override values(): MapIterator<V> {
    return this.plain() ? this.parent.values() : this.valuesOf();
  }

  /** No writes yet: the parent's own (native, fast) iterators serve. */
  private plain(): boolean {
    return this.own.size === 0 && this.appended.size === 0;
  }

  private *keysOf(): MapIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  private *valuesOf(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  override [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  override forEach(callback: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) callback.call(thisArg, v, k, this);
  }
}

/** The map itself, or a plain copy of an overlay (for V8 serialisation). */
export function plainMap<K, V>(m: ReadonlyMap<K, V>): Map<K, V> {
  return m instanceof OverlayMap ? new Map(m) : (m as Map<K, V>);
}

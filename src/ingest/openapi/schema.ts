import type { RefResolver } from './refs.js';
import { compact, entries, isObj, num, own, str, type Obj } from './util.js';

/**
 * A schema field, flattened: `name` is a dotted path (`address.city`), array
 * items add `[]` (`tags[]`, `items[].sku`), map values add `*`, and a body
 * that is not an object is `(root)`.
 */
export interface PropertySummary {
  name: string;
  type?: string;
  format?: string;
  required?: boolean;
  readOnly?: boolean;
  writeOnly?: boolean;
  nullable?: boolean;
  maxLength?: number;
  maxItems?: number;
  maximum?: number;
  pattern?: string;
  enumCount?: number;
  /** Schema is a `$ref` we could not (or, for cycles, would not) expand. */
  ref?: string;
}

export interface FlattenResult {
  properties: PropertySummary[];
  truncated: boolean;
}

export const ROOT = '(root)';
const MAX_DEPTH = 6;
const MAX_PROPERTIES = 200;
const MAX_COMPOSITION = 20;

/** The keywords of one schema node (after `$ref`s and `allOf` are looked through), without its children. */
export function describeSchema(node: unknown, file: string, resolver: RefResolver): Omit<PropertySummary, 'name'> {
  const merged = shallowMerge(node, file, resolver, 0);
  const s = merged.schema;
  const type = typeOf(s);
  let nullable = own(s, 'nullable') === true || undefined;
  const rawType = own(s, 'type');
  if (Array.isArray(rawType) && rawType.includes('null')) nullable = true;
  const enumValues = own(s, 'enum');
  const pattern = str(own(s, 'pattern'));
  return compact({
    type,
    format: str(own(s, 'format')),
    readOnly: own(s, 'readOnly') === true || undefined,
    writeOnly: own(s, 'writeOnly') === true || undefined,
    nullable,
    maxLength: num(own(s, 'maxLength')),
    maxItems: num(own(s, 'maxItems')),
    maximum: num(own(s, 'maximum')),
    pattern: pattern === undefined ? undefined : pattern.slice(0, 200),
    enumCount: Array.isArray(enumValues) ? enumValues.length : own(s, 'const') !== undefined ? 1 : undefined,
    ref: merged.ref,
  });
}

/**
 * Flattens a schema into its fields, bounded in depth and count. Cycles stop
 * at the repeated node; unresolvable `$ref`s are kept as `ref`.
 */
export function flattenSchema(schema: unknown, file: string, resolver: RefResolver): FlattenResult {
  const properties: PropertySummary[] = [];
  const byName = new Set<string>();
  let truncated = false;

  const add = (prop: PropertySummary): boolean => {
    if (byName.has(prop.name)) return true;
    if (properties.length >= MAX_PROPERTIES) {
      truncated = true;
      return false;
    }
    byName.add(prop.name);
    properties.push(prop);
    return true;
  };

  /** Visits the children of `node` (already known to be at `prefix`). */
  const children = (node: unknown, nodeFile: string, prefix: string, depth: number, ancestors: Set<object>): void => {
    if (depth > MAX_DEPTH) {
      truncated = true;
      return;
    }
    const { value, file: f } = resolver.deref(node, nodeFile);
    if (!isObj(value) || ancestors.has(value)) return;
    const inner = new Set(ancestors).add(value);
    for (const key of ['allOf', 'oneOf', 'anyOf'] as const) {
      const parts = own(value, key);
      if (Array.isArray(parts)) for (const part of parts.slice(0, MAX_COMPOSITION)) children(part, f, prefix, depth, inner);
    }
    const required = new Set(Array.isArray(own(value, 'required')) ? (own(value, 'required') as unknown[]).filter((r) => typeof r === 'string') : []);
    for (const [key, sub] of entries(own(value, 'properties'))) {
      const name = prefix ? `${prefix}.${key}` : key;
      if (!add({ name, ...describeSchema(sub, f, resolver), ...(required.has(key) ? { required: true } : {}) })) return;
      children(sub, f, name, depth + 1, inner);
    }
    const items = own(value, 'items');
    if (isObj(items)) {
      const name = `${prefix || ROOT}[]`;
      const item = describeSchema(items, f, resolver);
      // Object items are described by their fields; scalar items get an entry of their own.
      if (item.type !== 'object' && item.type !== 'array' && !hasFields(items, f, resolver)) {
        if (!add({ name, ...item })) return;
      } else if (item.type === 'array') {
        if (!add({ name, ...item })) return;
      }
      children(items, f, name, depth + 1, inner);
    }
    const additional = own(value, 'additionalProperties');
    if (isObj(additional)) {
      const name = prefix ? `${prefix}.*` : '*';
      if (!add({ name, ...describeSchema(additional, f, resolver) })) return;
      children(additional, f, name, depth + 1, inner);
    }
  };

  const top = describeSchema(schema, file, resolver);
  // A body that is not an object (array, scalar, unresolved) is a field of its own.
  if (top.ref || (top.type && top.type !== 'object')) {
    add({ name: ROOT, ...top });
  }
  children(schema, file, '', 0, new Set());
  return { properties, truncated };
}

function hasFields(node: unknown, file: string, resolver: RefResolver): boolean {
  const s = shallowMerge(node, file, resolver, 0).schema;
  return isObj(own(s, 'properties')) || isObj(own(s, 'additionalProperties')) || isObj(own(s, 'items'));
}

function typeOf(s: Obj): string | undefined {
  const t = own(s, 'type');
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return t.find((x): x is string => typeof x === 'string' && x !== 'null');
  if (isObj(own(s, 'properties'))) return 'object';
  if (isObj(own(s, 'items'))) return 'array';
  return undefined;
}

/**
 * Looks through `$ref` and `allOf` for the keywords of a node: the node's own
 * keywords win, then the first `allOf` member that sets each one.
 */
function shallowMerge(node: unknown, file: string, resolver: RefResolver, depth: number): { schema: Obj; ref?: string } {
  const r = resolver.deref(node, file);
  if (!isObj(r.value)) return { schema: {} };
  if (r.unresolved) return { schema: withoutRef(r.value), ref: r.unresolved.slice(0, 200) };
  const own_ = r.value;
  const allOf = own(own_, 'allOf');
  if (!Array.isArray(allOf) || depth >= 4) return { schema: own_ };
  const merged: Obj = {};
  for (const part of allOf.slice(0, MAX_COMPOSITION)) {
    const sub = shallowMerge(part, r.file, resolver, depth + 1).schema;
    for (const [k, v] of entries(sub)) if (!(k in merged)) merged[k] = v;
  }
  for (const [k, v] of entries(own_)) if (k !== 'allOf') merged[k] = v;
  return { schema: merged };
}

function withoutRef(obj: Obj): Obj {
  const { $ref: _ignored, ...rest } = obj;
  return rest;
}

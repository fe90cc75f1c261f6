/**
 * Terraform attribute values as rules see them (`element.attrs.values`).
 *
 * Literals (strings without interpolation, numbers, bools, null, lists,
 * objects) are plain JSON values. Anything Terraform evaluates at plan time
 * (references, function calls, interpolations, conditionals, for-expressions)
 * is an `ExprValue`: `{ "$expr": "<source text>" }`. An `ExprValue` is
 * *unknown*, never safe: a rule must report such a situation conservatively
 * or skip it with a note, never count it as a pass. The helpers below make the
 * three-way answer explicit (`true`, `false`, `'unknown'`, or `undefined` when
 * the attribute is absent so the provider default applies).
 */

export interface ExprValue {
  $expr: string;
}

export type Tri = boolean | 'unknown';

export function isExpr(value: unknown): value is ExprValue {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { $expr?: unknown }).$expr === 'string' && Object.keys(value).length === 1;
}

/** True when `value` contains no `ExprValue` at any depth. */
export function isKnown(value: unknown): boolean {
  if (isExpr(value)) return false;
  if (Array.isArray(value)) return value.every(isKnown);
  if (typeof value === 'object' && value !== null) return Object.values(value).every(isKnown);
  return true;
}

/** The value when it is fully literal, else `undefined` (unknown or absent). */
export function literal(value: unknown): unknown {
  return isKnown(value) ? value : undefined;
}

/**
 * A boolean attribute: `true`/`false` when literal (also `"true"`/`"false"`
 * strings, which Terraform converts), `'unknown'` for expressions or
 * non-boolean values, `undefined` when absent.
 */
export function asBool(value: unknown): Tri | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return 'unknown';
}

/** A string attribute: the string, `'unknown'`-marked as `undefined` plus a flag via `isExpr`. Numbers become strings (Terraform converts). */
export function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/**
 * A list of strings: the literal entries, and whether any entry (or the
 * whole list) is an expression. A single string counts as a one-item list.
 */
export function asStringList(value: unknown): { known: string[]; unknown: boolean } {
  if (value === undefined || value === null) return { known: [], unknown: false };
  if (isExpr(value)) return { known: [], unknown: true };
  const items = Array.isArray(value) ? value : [value];
  const known: string[] = [];
  let unknown = false;
  for (const item of items) {
    const s = asString(item);
    if (s === undefined) unknown = true;
    else known.push(s);
  }
  return { known, unknown };
}

/** Nested blocks (`ingress {}`) are arrays of objects; also accepts a single object (`.tf.json`). */
export function blocks(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value)) return value.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !isExpr(v));
  if (typeof value === 'object' && value !== null && !isExpr(value)) return [value as Record<string, unknown>];
  return [];
}

/** Reads a dotted path (`settings.0.ip_configuration.0.ipv4_enabled`) through objects and arrays. */
export function getPath(values: unknown, path: string): unknown {
  let cur: unknown = values;
  for (const key of path.split('.')) {
    if (cur === undefined || cur === null || isExpr(cur)) return cur === null ? undefined : cur;
    if (Array.isArray(cur)) cur = cur[Number(key)];
    else if (typeof cur === 'object') cur = Object.prototype.hasOwnProperty.call(cur, key) ? (cur as Record<string, unknown>)[key] : undefined;
    else return undefined;
  }
  return cur;
}

/** Source text for messages: literal JSON or the expression text, shortened. */
export function show(value: unknown, max = 80): string {
  const text = isExpr(value) ? value.$expr : JSON.stringify(value) ?? 'null';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

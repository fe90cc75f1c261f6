/** Small, total helpers over untrusted plain values (anything YAML can produce). */

export type Obj = Record<string, unknown>;
export type Path = readonly (string | number)[];

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(v: unknown): Obj {
  return isObj(v) ? v : {};
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Scalars as strings (YAML turns `version: 1.0` into a number); anything else undefined. */
export function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

export function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d{1,9}$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

/** `true`/`false`, also from the strings Kubernetes users write by mistake (`"true"`). */
export function bool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return undefined;
}

export function strings(v: unknown, max = 256): string[] {
  const out: string[] = [];
  for (const x of arr(v)) {
    const s = str(x);
    if (s !== undefined) out.push(s);
    if (out.length >= max) break;
  }
  return out;
}

/** A label map with string values (YAML may give numbers or booleans). */
export function stringMap(v: unknown, maxValue = 256): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v))) {
    const s = str(x);
    if (s !== undefined) out[k] = truncate(s, maxValue);
  }
  return out;
}

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}

export function get(root: unknown, path: Path): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (Array.isArray(cur) && typeof key === 'number') cur = cur[key];
    else if (isObj(cur) && typeof key === 'string') cur = cur[key];
    else return undefined;
  }
  return cur;
}

export function joinPath(path: Path): string {
  return path.join('.');
}

/** Small helpers shared by the OpenAPI parser modules. */

export type Obj = Record<string, unknown>;

export function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function own(obj: Obj, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Scalars written as numbers in YAML (`version: 1.0`) become strings, so YAML and JSON agree. */
export function scalarString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function strings(value: unknown, max = 100): string[] {
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const item of value) {
    if (typeof item === 'string') out.push(item);
    if (out.length >= max) break;
  }
  return out;
}

/** Object entries in document order, skipping keys that could pollute prototypes. */
export function entries(value: unknown): [string, unknown][] {
  if (!isObj(value)) return [];
  return Object.keys(value)
    .filter((k) => k !== '__proto__')
    .map((k) => [k, value[k]] as [string, unknown]);
}

export function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '.' : path.slice(0, i);
}

/** Drops keys whose value is undefined, so attribute bags compare and serialise cleanly. */
export function compact<T extends object>(obj: T): T {
  const bag = obj as Record<string, unknown>;
  for (const k of Object.keys(bag)) if (bag[k] === undefined) delete bag[k];
  return obj;
}

/** Shortens text that ends up in messages (refs, error texts) and strips control characters. */
export function clip(text: string, max = 160): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

export function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim() !== '') ?? text).trim();
}

/** Parses a JSON pointer fragment (`#/a/b~1c`) into keys; undefined when it is not a pointer. */
export function pointerKeys(fragment: string): string[] | undefined {
  if (fragment === '' || fragment === '#') return [];
  if (!fragment.startsWith('#/')) return undefined;
  const keys: string[] = [];
  for (const raw of fragment.slice(2).split('/')) {
    let key: string;
    try {
      key = decodeURIComponent(raw);
    } catch {
      key = raw;
    }
    keys.push(key.replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  return keys;
}

export function walkPointer(root: unknown, keys: readonly string[]): unknown {
  let node = root;
  for (const key of keys) {
    if (Array.isArray(node)) {
      if (!/^\d+$/.test(key)) return undefined;
      node = node[Number(key)];
    } else if (isObj(node)) {
      node = own(node, key);
    } else {
      return undefined;
    }
    if (node === undefined) return undefined;
  }
  return node;
}

/** Rejects after `ms`; `cancel` clears the timer so it never keeps the process alive. */
export function deadline(ms: number): { promise: Promise<never>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(ms)), ms);
    if (typeof timer === 'object' && timer && 'unref' in timer) timer.unref();
  });
  // The race loser must not surface as an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, cancel: () => clearTimeout(timer) };
}

export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`took longer than ${ms} ms`);
  }
}

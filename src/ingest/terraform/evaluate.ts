import type { Ex, TfBlock } from './ir.js';
import { isKnown, type ExprValue } from './values.js';

/**
 * Ex → plain values (see values.ts), recording the line of every path, which
 * references each path uses, and where `var.x` / `local.y` were substituted.
 */

/** Upper bound of `lines` entries per element, so a huge literal list cannot bloat a fragment. */
const MAX_LINES = 2000;

export interface RefUse {
  path: string;
  text: string;
  line: number;
}

export class EvalState {
  readonly lines: Record<string, number> = {};
  readonly resolvedFrom: Record<string, string> = {};
  /** Address → where it is used, in source order. */
  readonly uses = new Map<string, RefUse[]>();
  private lineCount = 0;
  private readonly exclude: string[] = [];

  constructor(
    readonly constants: ReadonlyMap<string, unknown>,
    /** Shared across a file: refs of each `$expr` object produced. */
    readonly exprRefs: WeakMap<object, string[]>,
  ) {}

  setLine(path: string, line: number): void {
    if (this.lineCount >= MAX_LINES || path in this.lines) return;
    this.lines[path] = line;
    this.lineCount++;
  }

  withExcluded<T>(root: string | undefined, fn: () => T): T {
    if (!root) return fn();
    this.exclude.push(root);
    try {
      return fn();
    } finally {
      this.exclude.pop();
    }
  }

  filterRefs(refs: readonly string[]): string[] {
    if (this.exclude.length === 0) return [...refs];
    return refs.filter((r) => !this.exclude.includes(r.split('.')[0]!));
  }

  use(address: string, path: string, text: string, line: number): void {
    const list = this.uses.get(address);
    if (list) {
      if (list.length < 50) list.push({ path, text, line });
    } else this.uses.set(address, [{ path, text, line }]);
  }
}

const VAR_OR_LOCAL = /^(var|local)\.[A-Za-z_][\w-]*$/;

export function evaluate(ex: Ex, path: string, st: EvalState): unknown {
  switch (ex.k) {
    case 'lit':
      return ex.v;
    case 'tuple':
      return ex.items.map((item, i) => {
        const p = `${path}.${i}`;
        st.setLine(p, item.line);
        return evaluate(item, p, st);
      });
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const e of ex.entries) {
        const p = `${path}.${e.key}`;
        st.setLine(p, e.line);
        setKey(out, e.key, evaluate(e.value, p, st));
      }
      return out;
    }
    case 'expr': {
      const refs = st.filterRefs(ex.refs);
      for (const r of refs) st.use(r, path, ex.text, ex.line);
      if (ex.traversal && VAR_OR_LOCAL.test(ex.traversal) && st.constants.has(ex.traversal)) {
        st.resolvedFrom[path] = ex.traversal;
        return structuredClone(st.constants.get(ex.traversal));
      }
      const value: ExprValue = { $expr: ex.text };
      st.exprRefs.set(value, refs);
      return value;
    }
  }
}

/** Defines a key without ever touching `Object.prototype` (`__proto__` keys in hostile input). */
export function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  // On a plain object only `__proto__` is an accessor; any other key can be assigned (several times faster than defining).
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/**
 * A block body → values: attributes by name, nested blocks as arrays of
 * objects under their type, `dynamic "x"` blocks as entries of `x` whose
 * content is marked with `$dynamic: "<for_each text>"`.
 */
export function blockValues(block: TfBlock, st: EvalState, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const join = (name: string): string => (prefix ? `${prefix}.${name}` : name);
  for (const a of block.attributes) {
    const p = join(a.name);
    st.setLine(p, a.line);
    setKey(out, a.name, evaluate(a.value, p, st));
  }
  for (const b of block.blocks) {
    const dynamic = b.type === 'dynamic';
    const name = dynamic ? b.labels[0] : b.type;
    if (!name) continue;
    const existing = out[name];
    if (existing !== undefined && !Array.isArray(existing)) continue;
    const list = (existing as unknown[] | undefined) ?? [];
    if (existing === undefined) setKey(out, name, list);
    const p = join(`${name}.${list.length}`);
    st.setLine(p, b.line);
    if (dynamic) {
      const forEach = b.attributes.find((a) => a.name === 'for_each');
      const iteratorAttr = b.attributes.find((a) => a.name === 'iterator');
      const iterator = iteratorAttr?.value.k === 'expr' ? iteratorAttr.value.text.trim() : iteratorAttr?.value.k === 'lit' ? String(iteratorAttr.value.v) : name;
      const content = b.blocks.find((c) => c.type === 'content');
      if (forEach) for (const r of st.filterRefs(forEach.value.k === 'expr' ? forEach.value.refs : [])) st.use(r, `${p}.for_each`, forEach.value.k === 'expr' ? forEach.value.text : '', forEach.line);
      const item = st.withExcluded(iterator, () => (content ? blockValues(content, st, p) : {}));
      setKey(item, '$dynamic', forEach ? (forEach.value.k === 'expr' ? forEach.value.text : JSON.stringify(evaluate(forEach.value, `${p}.for_each`, st))) : '');
      list.push(item);
    } else {
      list.push(blockValues(b, st, p));
    }
  }
  return out;
}

/** Literal defaults of `variable` blocks and literal `locals`, keyed `var.x` / `local.y`. */
export function fileConstants(blocks: readonly TfBlock[]): Map<string, unknown> {
  const constants = new Map<string, unknown>();
  const scratch = new WeakMap<object, string[]>();
  for (const b of blocks) {
    if (b.type !== 'variable' || !b.labels[0]) continue;
    const def = b.attributes.find((a) => a.name === 'default');
    if (!def) continue;
    const v = evaluate(def.value, 'default', new EvalState(constants, scratch));
    if (isKnown(v) && v !== null) constants.set(`var.${b.labels[0]}`, v);
  }
  const locals = blocks.filter((b) => b.type === 'locals').flatMap((b) => b.attributes);
  // Locals may use other literal locals; a few passes settle chains.
  for (let pass = 0; pass < 5; pass++) {
    let added = false;
    for (const a of locals) {
      const key = `local.${a.name}`;
      if (constants.has(key)) continue;
      const v = evaluate(a.value, a.name, new EvalState(constants, scratch));
      if (isKnown(v)) {
        constants.set(key, v);
        added = true;
      }
    }
    if (!added) break;
  }
  return constants;
}

import { createRequire } from 'node:module';
import path from 'node:path';
import { Language, Parser, type Node } from 'web-tree-sitter';
import type { ParseIssue } from '../../model/types.js';
import { addressOf, type Ex, type ExprEx, type ObjectEntry, type TfAttribute, type TfBlock, type TfFile } from './ir.js';

/**
 * HCL native syntax → `TfFile`, with tree-sitter (see README for why).
 * Positions are exact; syntax errors become one `hcl-syntax` issue and the
 * blocks that parsed cleanly are still returned.
 */

let loading: Promise<Parser> | undefined;

/** Loads the wasm runtime and the Terraform grammar once; later calls share the promise. */
export function loadHclParser(): Promise<Parser> {
  loading ??= (async () => {
    await Parser.init();
    const require = createRequire(import.meta.url);
    const dir = path.dirname(require.resolve('@tree-sitter-grammars/tree-sitter-hcl/package.json'));
    const language = await Language.load(path.join(dir, 'tree-sitter-terraform.wasm'));
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  })();
  return loading;
}

export interface HclResult {
  file: TfFile;
  issues: ParseIssue[];
  /** True when parsing was cancelled by the time limit (nothing modelled). */
  timedOut: boolean;
}

/** Re-parses after blanking a broken top-level block at most this many times. */
const MAX_RECOVERIES = 50;
const MAX_DEPTH = 200;
const MAX_EXPR_TEXT = 2000;
const TOP_LEVEL_START = /^(resource|data|module|variable|locals|output|provider|terraform|moved|import|check|removed|ephemeral)\b/;
const TRAVERSAL_STEPS = new Set(['get_attr', 'index', 'splat']);

/**
 * Named node types that can never hold a `variable_expr` (per the grammar's
 * node-types.json): `collectRefs` does not descend into them. Anonymous
 * tokens (`=`, `.`, `{`...) are added from the language when it loads.
 */
const NO_REFS = new Set([
  // A variable_expr holds only its identifier; those below an expression are read by the caller.
  'variable_expr',
  'block_end', 'block_start', 'bool_lit', 'get_attr', 'heredoc_start', 'legacy_index', 'literal_value', 'numeric_lit',
  'object_end', 'object_start', 'string_lit', 'template_else_intro', 'template_for_end', 'template_if_end', 'template_literal',
  'tuple_end', 'tuple_start', 'comment', 'ellipsis', 'heredoc_identifier', 'identifier', 'null_lit', 'quoted_template_end',
  'quoted_template_start', 'strip_marker', 'template_directive_end', 'template_directive_start', 'template_interpolation_end',
  'template_interpolation_start',
]);
let noRefsLanguage: Language | null | undefined;

function addAnonymousTypes(language: Language | null): void {
  if (!language || noRefsLanguage === language) return;
  const named = new Set<string>();
  for (let id = 0; id < language.types.length; id++) if (language.nodeTypeIsNamed(id) && language.types[id]) named.add(language.types[id]!);
  for (let id = 0; id < language.types.length; id++) {
    const t = language.types[id];
    if (t && !language.nodeTypeIsNamed(id) && !named.has(t)) NO_REFS.add(t);
  }
  noRefsLanguage = language;
}

/**
 * A syntax node as read from the wasm tree: start and row when it is first
 * reached (they come with the node), type, end and children only when asked,
 * each at most once. Every other property of a web-tree-sitter `Node` is a
 * call into wasm on each read (`type`, `endIndex`, `children`), so converting
 * straight from `Node`s paid for the same facts many times over.
 */
class SNode {
  private kidsCache: SNode[] | undefined;
  private endCache = -1;
  private typeCache: string | undefined;
  constructor(
    readonly node: Node,
    type: string | undefined,
    readonly start: number,
    readonly row: number,
  ) {
    this.typeCache = type;
  }

  static of(n: Node): SNode {
    return new SNode(n, n.type, n.startIndex, n.startPosition.row);
  }

  get type(): string {
    return (this.typeCache ??= this.node.type);
  }

  get end(): number {
    if (this.endCache < 0) this.endCache = this.node.endIndex;
    return this.endCache;
  }

  /** Children without comments. */
  get kids(): SNode[] {
    if (this.kidsCache === undefined) {
      const cs = this.node.children;
      const out: SNode[] = [];
      const fixed = FIXED_KIDS.get(this.type);
      if (fixed && fixed.length === cs.length) {
        // As many children as the rule has parts: no comment among them, and their types are the rule's.
        for (let i = 0; i < cs.length; i++) {
          const c = cs[i];
          if (c) out.push(new SNode(c, fixed[i], c.startIndex, c.startPosition.row));
        }
      } else {
        for (const c of cs) {
          if (!c) continue;
          const type = c.type;
          if (type !== 'comment') out.push(new SNode(c, type, c.startIndex, c.startPosition.row));
        }
      }
      this.kidsCache = out;
    }
    return this.kidsCache;
  }
}

/**
 * Rules with a fixed sequence of parts (grammar.js); `undefined` parts are
 * read when asked (`=` or `:`). A node with exactly that many children holds
 * no comment, so its children's types need no call into wasm.
 */
const FIXED_KIDS = new Map<string, readonly (string | undefined)[]>([
  ['attribute', ['identifier', '=', 'expression']],
  ['object_elem', ['expression', undefined, 'expression']],
  ['get_attr', ['.', 'identifier']],
]);

export function parseHcl(parser: Parser, file: string, content: string, timeoutMs: number): HclResult {
  const issues: ParseIssue[] = [];
  const deadline = performance.now() + timeoutMs;
  const progressCallback = (): boolean => performance.now() > deadline;
  // Split only when a broken block has to be blanked.
  let lines: string[] | undefined;
  const skippedAt: number[] = [];
  let firstError: { line: number; column: number; what: string } | undefined;
  let blocks: TfBlock[] = [];
  let stuck = false;
  addAnonymousTypes(parser.language);

  for (let attempt = 0; ; attempt++) {
    const text = lines === undefined ? content : lines.join('\n');
    parser.reset();
    const tree = parser.parse(text, null, { progressCallback });
    if (!tree) {
      issues.push({ file, level: 'error', code: 'parse-timeout', message: `Terraform file not modelled: parsing took longer than ${timeoutMs} ms` });
      return { file: { blocks: [] }, issues, timedOut: true };
    }
    try {
      const rootNode = tree.rootNode;
      const hasError = rootNode.hasError;
      if (!hasError || attempt >= MAX_RECOVERIES || stuck) {
        // In a tree without errors no block has one: no need to ask each.
        blocks = topLevelBlocks(SNode.of(rootNode))
          .filter((b) => !hasError || !b.node.hasError)
          .map((b) => convBlock(b, text, 0));
        break;
      }
      lines ??= content.split('\n');
      const err = firstErrorNode(rootNode)!;
      firstError ??= {
        line: err.startPosition.row + 1,
        column: err.startPosition.column + 1,
        what: err.isMissing ? `missing "${err.type}"` : 'unexpected input',
      };
      // Blank the top-level construct holding the error up to the next line that starts a top-level block.
      const holder = topLevelNodes(SNode.of(rootNode)).find((n) => n.start <= err.startIndex && err.startIndex <= n.end);
      const startRow = Math.min(holder?.row ?? err.startPosition.row, err.startPosition.row);
      let resume = startRow + 1;
      while (resume < lines.length && !TOP_LEVEL_START.test(lines[resume]!)) resume++;
      let changed = false;
      for (let r = startRow; r < resume; r++) {
        if (lines[r] !== '') changed = true;
        lines[r] = '';
      }
      if (changed) skippedAt.push(startRow + 1);
      else stuck = true;
    } finally {
      tree.delete();
    }
  }

  if (firstError) {
    const where = skippedAt.length > 0 ? `; the top-level block(s) at line ${skippedAt.join(', ')} were not modelled` : '';
    issues.push({
      file,
      line: firstError.line,
      level: 'error',
      code: 'hcl-syntax',
      message: `HCL syntax error at ${firstError.line}:${firstError.column} (${firstError.what})${where}`,
    });
  }
  return { file: { blocks }, issues, timedOut: false };
}

function lineOf(n: SNode): number {
  return n.row + 1;
}

function textOf(n: SNode, src: string): string {
  return src.slice(n.start, n.end);
}

function topLevelNodes(root: SNode): SNode[] {
  const out: SNode[] = [];
  for (const c of root.kids) {
    if (c.type === 'body') out.push(...c.kids);
    else out.push(c);
  }
  return out;
}

function topLevelBlocks(root: SNode): SNode[] {
  return topLevelNodes(root).filter((n) => n.type === 'block');
}

function firstErrorNode(n: Node): Node | undefined {
  if (n.isError || n.isMissing) return n;
  for (const c of n.children) {
    if (c && (c.hasError || c.isMissing || c.isError)) {
      const found = firstErrorNode(c);
      if (found) return found;
    }
  }
  return undefined;
}

function convBlock(n: SNode, src: string, depth: number): TfBlock {
  const parts = n.kids;
  const type = parts[0] ? textOf(parts[0], src) : '';
  const labels: string[] = [];
  const attributes: TfAttribute[] = [];
  const blocks: TfBlock[] = [];
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.type === 'string_lit') labels.push(stringLit(p, src));
    else if (p.type === 'identifier') labels.push(textOf(p, src));
    else if (p.type === 'body') {
      for (const c of p.kids) {
        if (c.type === 'attribute') {
          const ck = c.kids;
          const name = ck.find((x) => x.type === 'identifier');
          const exprNode = ck.find((x) => x.type === 'expression');
          if (name && exprNode) attributes.push({ name: textOf(name, src), line: lineOf(c), value: convExpr(exprNode, src, depth + 1) });
        } else if (c.type === 'block' && depth < MAX_DEPTH) {
          blocks.push(convBlock(c, src, depth + 1));
        }
      }
    }
  }
  return { type, labels, line: lineOf(n), attributes, blocks };
}

function convExpr(n: SNode, src: string, depth: number): Ex {
  const line = lineOf(n);
  if (depth > MAX_DEPTH) return generic(n, src);
  switch (n.type) {
    case 'expression': {
      const ks = n.kids;
      if (ks.length === 1) return convExpr(ks[0]!, src, depth + 1);
      if (ks.length === 3 && ks[0]!.type === '(' && ks[2]!.type === ')') {
        const inner = convExpr(ks[1]!, src, depth + 1);
        return inner.k === 'expr' ? { ...generic(n, src), traversal: inner.traversal } : inner;
      }
      if (ks[0]?.type === 'variable_expr' && ks.slice(1).every((k) => TRAVERSAL_STEPS.has(k.type))) {
        const ex = generic(n, src);
        return { ...ex, traversal: ex.text.replace(/\s+/g, '') };
      }
      return generic(n, src);
    }
    case 'literal_value': {
      // The one child (no comment can sit inside) spans the whole node and its first character
      // says which literal it is: a digit, `true`/`false`, `null`, or `"` (a string_lit is `"` body `"`).
      const text = textOf(n, src);
      const c = text.charCodeAt(0);
      if (c >= 48 && c <= 57) return { k: 'lit', v: Number(text), line };
      if (text === 'true' || text === 'false') return { k: 'lit', v: text === 'true', line };
      if (text === 'null') return { k: 'lit', v: null, line };
      if (c === 34 && text.length >= 2 && text.charCodeAt(text.length - 1) === 34) return { k: 'lit', v: unescapeQuoted(text.slice(1, -1)), line };
      const lit = n.kids[0];
      if (!lit) return generic(n, src);
      if (lit.type === 'numeric_lit') return { k: 'lit', v: Number(textOf(lit, src)), line };
      if (lit.type === 'bool_lit') return { k: 'lit', v: textOf(lit, src) === 'true', line };
      if (lit.type === 'null_lit') return { k: 'lit', v: null, line };
      if (lit.type === 'string_lit') return { k: 'lit', v: stringLit(lit, src), line };
      return generic(n, src);
    }
    case 'collection_value': {
      const first = n.kids[0];
      return first ? convExpr(first, src, depth + 1) : generic(n, src);
    }
    case 'tuple':
      return { k: 'tuple', items: n.kids.filter((k) => k.type === 'expression').map((k) => convExpr(k, src, depth + 1)), line };
    case 'object': {
      const entries: ObjectEntry[] = [];
      for (const el of n.kids) {
        if (el.type !== 'object_elem') continue;
        // `key = val` (or `key: val`): the two expressions are the fields `key` and `val`.
        const ek = el.kids;
        let key: SNode | undefined;
        let val: SNode | undefined;
        if (ek.length === 3) {
          key = ek[0];
          val = ek[2];
        } else {
          for (const x of ek) {
            if (x.type !== 'expression') continue;
            key ??= x;
            val = x;
          }
        }
        const name = key ? objectKey(key, src) : undefined;
        if (name === undefined || !val || val === key) return generic(n, src);
        entries.push({ key: name, line: lineOf(el), value: convExpr(val, src, depth + 1) });
      }
      return { k: 'object', entries, line };
    }
    case 'template_expr': {
      const first = n.kids[0];
      return first ? convTemplate(first, n, src, depth + 1) : generic(n, src);
    }
    case 'function_call': {
      const ks = n.kids;
      const name = ks[0] ? textOf(ks[0], src) : '';
      const argsNode = ks.find((k) => k.type === 'function_arguments');
      const argNodes = argsNode ? argsNode.kids : [];
      const ex = generic(n, src);
      if (argNodes.some((k) => k.type === 'ellipsis')) return ex;
      return { ...ex, call: { name, args: argNodes.filter((k) => k.type === 'expression').map((k) => convExpr(k, src, depth + 1)) } };
    }
    case 'operation': {
      // `-1` is a unary operation in the grammar; keep negative numbers literal.
      const un = n.kids[0];
      if (un?.type === 'unary_operation') {
        const [op, arg] = un.kids;
        if (op?.type === '-' && arg?.type === 'literal_value' && arg.kids[0]?.type === 'numeric_lit') return { k: 'lit', v: -Number(textOf(arg.kids[0]!, src)), line };
      }
      return generic(n, src);
    }
    default:
      return generic(n, src);
  }
}

function generic(n: SNode, src: string): ExprEx {
  const raw = textOf(n, src);
  const text = raw.length > MAX_EXPR_TEXT ? `${raw.slice(0, MAX_EXPR_TEXT - 1)}…` : raw;
  const refs = new Set<string>();
  collectRefs(n, refs, EMPTY_SCOPE, 0, src);
  return { k: 'expr', text, refs: [...refs], line: lineOf(n) };
}

const EMPTY_SCOPE: ReadonlySet<string> = new Set();

/** Finds traversals (`variable_expr` followed by `get_attr` siblings) anywhere under `n`. */
function collectRefs(n: SNode, out: Set<string>, exclude: ReadonlySet<string>, depth: number, src: string): void {
  if (depth > MAX_DEPTH || NO_REFS.has(n.type)) return;
  const ks = n.kids;
  let scope = exclude;
  if (n.type === 'for_tuple_expr' || n.type === 'for_object_expr') {
    const intro = ks.find((k) => k.type === 'for_intro');
    if (intro) scope = new Set([...exclude, ...intro.kids.filter((k) => k.type === 'identifier').map((k) => textOf(k, src))]);
  }
  for (let i = 0; i < ks.length; i++) {
    const k = ks[i]!;
    if (k.type === 'variable_expr') {
      const parts = [textOf(k, src)];
      for (let j = i + 1; j < ks.length && ks[j]!.type === 'get_attr'; j++) {
        const id = getAttrName(ks[j]!, src);
        if (id === undefined) break;
        parts.push(id);
      }
      if (!scope.has(parts[0]!)) {
        const address = addressOf(parts);
        if (address) out.add(address);
      }
    } else {
      collectRefs(k, out, scope, depth + 1, src);
    }
  }
}

/** Identifier of a `get_attr` (`.` identifier): the text after the dot, unless whitespace or a comment sits in it. */
function getAttrName(g: SNode, src: string): string | undefined {
  const name = src.slice(g.start + 1, g.end);
  if (src.charCodeAt(g.start) === 46 && name !== '' && !/[\s#/]/.test(name)) return name;
  const id = g.kids.find((x) => x.type === 'identifier');
  return id ? textOf(id, src) : undefined;
}

function objectKey(key: SNode, src: string): string | undefined {
  const ex = convExpr(key, src, 0);
  if (ex.k === 'lit' && ex.v !== null) return String(ex.v);
  // A bare identifier key (`Name = "x"`) parses as a variable expression.
  const ks = key.kids;
  if (ks.length === 1 && ks[0]!.type === 'variable_expr') return textOf(ks[0]!, src);
  return undefined;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

function unescapeQuoted(s: string): string {
  // Most strings have nothing to unescape: skip the three scans.
  if (!s.includes('\\') && !s.includes('$${') && !s.includes('%%{')) return s;
  return s
    .replace(/\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([\s\S]))/g, (m, u: string | undefined, big: string | undefined, ch: string | undefined) => {
      if (u) return String.fromCharCode(parseInt(u, 16));
      if (big) {
        const cp = parseInt(big, 16);
        return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
      }
      return ESCAPES[ch!] ?? m;
    })
    .replace(/\$\$\{/g, '${')
    .replace(/%%\{/g, '%{');
}

function unescapeHeredoc(s: string): string {
  return s.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}

function stringLit(n: SNode, src: string): string {
  // A string literal is `"` + body + `"` (both one-character tokens of the scanner): slice, without reading its three child nodes.
  const start = n.start;
  const end = n.end;
  if (end - start >= 2 && src.charCodeAt(start) === 34 && src.charCodeAt(end - 1) === 34) return unescapeQuoted(src.slice(start + 1, end - 1));
  const ks = n.kids;
  const open = ks.find((k) => k.type === 'quoted_template_start');
  const close = ks.find((k) => k.type === 'quoted_template_end');
  if (open && close) return unescapeQuoted(src.slice(open.end, close.start));
  return ks
    .filter((k) => k.type === 'template_literal')
    .map((k) => unescapeQuoted(textOf(k, src)))
    .join('');
}

function convTemplate(t: SNode, whole: SNode, src: string, depth: number): Ex {
  const line = lineOf(whole);
  const ks = t.kids;
  let bodyStart: number;
  let bodyEnd: number;
  let bodyLine = line;
  let heredoc = false;
  let indentStrip = false;
  if (t.type === 'quoted_template') {
    const open = ks.find((k) => k.type === 'quoted_template_start');
    const close = ks.find((k) => k.type === 'quoted_template_end');
    if (!open || !close) return generic(whole, src);
    bodyStart = open.end;
    bodyEnd = close.start;
  } else if (t.type === 'heredoc_template') {
    heredoc = true;
    const ids = ks.filter((k) => k.type === 'heredoc_identifier');
    const start = ks.find((k) => k.type === 'heredoc_start');
    indentStrip = start ? textOf(start, src).includes('-') : false;
    if (ids.length < 2) return generic(whole, src);
    const nl = src.indexOf('\n', ids[0]!.end);
    bodyStart = nl < 0 ? ids[0]!.end : nl + 1;
    bodyEnd = src.lastIndexOf('\n', ids[ids.length - 1]!.start - 1) + 1;
    if (bodyEnd < bodyStart) bodyEnd = bodyStart;
    bodyLine = ids[0]!.row + 2;
  } else {
    return generic(whole, src);
  }

  const parts: (string | Ex)[] = [];
  let cursor = bodyStart;
  let dynamic = false;
  for (const k of ks) {
    if (k.type === 'template_directive') {
      dynamic = true;
      break;
    }
    if (k.type !== 'template_interpolation') continue;
    const literalText = src.slice(cursor, k.start);
    if (literalText) parts.push(heredoc ? unescapeHeredoc(literalText) : unescapeQuoted(literalText));
    const inner = k.kids.find((x) => x.type === 'expression');
    if (!inner) {
      dynamic = true;
      break;
    }
    parts.push(convExpr(inner, src, depth + 1));
    cursor = k.end;
  }
  if (dynamic) return generic(whole, src);
  const tail = src.slice(cursor, bodyEnd);
  if (tail) parts.push(heredoc ? unescapeHeredoc(tail) : unescapeQuoted(tail));

  if (parts.every((p) => typeof p === 'string')) {
    let value = (parts as string[]).join('');
    if (indentStrip) value = stripIndent(value);
    return heredoc ? { k: 'lit', v: value, line, bodyLine } : { k: 'lit', v: value, line };
  }
  const ex = generic(whole, src);
  const only = parts.length === 1 && typeof parts[0] !== 'string' ? parts[0] : undefined;
  return { ...ex, template: { parts, bodyLine }, traversal: only?.k === 'expr' ? only.traversal : undefined };
}

/** `<<-EOT` removes the smallest common leading whitespace of non-blank lines. */
function stripIndent(s: string): string {
  const ls = s.split('\n');
  let min = Infinity;
  for (const l of ls) {
    if (l.trim() === '') continue;
    min = Math.min(min, l.length - l.trimStart().length);
  }
  if (!Number.isFinite(min) || min === 0) return s;
  return ls.map((l) => l.slice(Math.min(min, l.length - l.trimStart().length))).join('\n');
}

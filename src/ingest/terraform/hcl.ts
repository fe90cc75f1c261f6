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

export function parseHcl(parser: Parser, file: string, content: string, timeoutMs: number): HclResult {
  const issues: ParseIssue[] = [];
  const deadline = performance.now() + timeoutMs;
  const lines = content.split('\n');
  const skippedAt: number[] = [];
  let firstError: { line: number; column: number; what: string } | undefined;
  let blocks: TfBlock[] = [];
  let stuck = false;

  for (let attempt = 0; ; attempt++) {
    const text = attempt === 0 ? content : lines.join('\n');
    parser.reset();
    const tree = parser.parse(text, null, { progressCallback: () => performance.now() > deadline });
    if (!tree) {
      issues.push({ file, level: 'error', code: 'parse-timeout', message: `Terraform file not modelled: parsing took longer than ${timeoutMs} ms` });
      return { file: { blocks: [] }, issues, timedOut: true };
    }
    try {
      const root = tree.rootNode;
      if (!root.hasError || attempt >= MAX_RECOVERIES || stuck) {
        blocks = topLevelBlocks(root).filter((b) => !b.hasError).map((b) => convBlock(b, text, 0));
        break;
      }
      const err = firstErrorNode(root)!;
      firstError ??= {
        line: err.startPosition.row + 1,
        column: err.startPosition.column + 1,
        what: err.isMissing ? `missing "${err.type}"` : 'unexpected input',
      };
      // Blank the top-level construct holding the error up to the next line that starts a top-level block.
      const holder = topLevelNodes(root).find((n) => n.startIndex <= err.startIndex && err.startIndex <= n.endIndex);
      const startRow = Math.min(holder?.startPosition.row ?? err.startPosition.row, err.startPosition.row);
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

function kids(n: Node): Node[] {
  const out: Node[] = [];
  for (const c of n.children) if (c && c.type !== 'comment') out.push(c);
  return out;
}

function lineOf(n: Node): number {
  return n.startPosition.row + 1;
}

function topLevelNodes(root: Node): Node[] {
  const out: Node[] = [];
  for (const c of kids(root)) {
    if (c.type === 'body') out.push(...kids(c));
    else out.push(c);
  }
  return out;
}

function topLevelBlocks(root: Node): Node[] {
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

function convBlock(n: Node, src: string, depth: number): TfBlock {
  const parts = kids(n);
  const type = parts[0]?.text ?? '';
  const labels: string[] = [];
  const attributes: TfAttribute[] = [];
  const blocks: TfBlock[] = [];
  for (const p of parts.slice(1)) {
    if (p.type === 'string_lit') labels.push(stringLit(p, src));
    else if (p.type === 'identifier') labels.push(p.text);
    else if (p.type === 'body') {
      for (const c of kids(p)) {
        if (c.type === 'attribute') {
          const ck = kids(c);
          const name = ck.find((x) => x.type === 'identifier');
          const exprNode = ck.find((x) => x.type === 'expression');
          if (name && exprNode) attributes.push({ name: name.text, line: lineOf(c), value: convExpr(exprNode, src, depth + 1) });
        } else if (c.type === 'block' && depth < MAX_DEPTH) {
          blocks.push(convBlock(c, src, depth + 1));
        }
      }
    }
  }
  return { type, labels, line: lineOf(n), attributes, blocks };
}

function convExpr(n: Node, src: string, depth: number): Ex {
  const line = lineOf(n);
  if (depth > MAX_DEPTH) return generic(n, src);
  const ks = kids(n);
  switch (n.type) {
    case 'expression': {
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
      const lit = ks[0];
      if (!lit) return generic(n, src);
      if (lit.type === 'numeric_lit') return { k: 'lit', v: Number(lit.text), line };
      if (lit.type === 'bool_lit') return { k: 'lit', v: lit.text === 'true', line };
      if (lit.type === 'null_lit') return { k: 'lit', v: null, line };
      if (lit.type === 'string_lit') return { k: 'lit', v: stringLit(lit, src), line };
      return generic(n, src);
    }
    case 'collection_value':
      return ks[0] ? convExpr(ks[0], src, depth + 1) : generic(n, src);
    case 'tuple':
      return { k: 'tuple', items: ks.filter((k) => k.type === 'expression').map((k) => convExpr(k, src, depth + 1)), line };
    case 'object': {
      const entries: ObjectEntry[] = [];
      for (const el of ks) {
        if (el.type !== 'object_elem') continue;
        const key = el.childForFieldName('key');
        const val = el.childForFieldName('val');
        const name = key ? objectKey(key, src) : undefined;
        if (name === undefined || !val) return generic(n, src);
        entries.push({ key: name, line: lineOf(el), value: convExpr(val, src, depth + 1) });
      }
      return { k: 'object', entries, line };
    }
    case 'template_expr':
      return ks[0] ? convTemplate(ks[0], n, src, depth + 1) : generic(n, src);
    case 'function_call': {
      const name = ks[0]?.text ?? '';
      const argsNode = ks.find((k) => k.type === 'function_arguments');
      const argNodes = argsNode ? kids(argsNode) : [];
      const ex = generic(n, src);
      if (argNodes.some((k) => k.type === 'ellipsis')) return ex;
      return { ...ex, call: { name, args: argNodes.filter((k) => k.type === 'expression').map((k) => convExpr(k, src, depth + 1)) } };
    }
    case 'operation': {
      // `-1` is a unary operation in the grammar; keep negative numbers literal.
      const un = ks[0];
      if (un?.type === 'unary_operation') {
        const [op, arg] = kids(un);
        if (op?.type === '-' && arg?.type === 'literal_value' && kids(arg)[0]?.type === 'numeric_lit') return { k: 'lit', v: -Number(kids(arg)[0]!.text), line };
      }
      return generic(n, src);
    }
    default:
      return generic(n, src);
  }
}

function generic(n: Node, src: string): ExprEx {
  const raw = src.slice(n.startIndex, n.endIndex);
  const text = raw.length > MAX_EXPR_TEXT ? `${raw.slice(0, MAX_EXPR_TEXT - 1)}…` : raw;
  const refs = new Set<string>();
  collectRefs(n, refs, new Set(), 0);
  return { k: 'expr', text, refs: [...refs], line: lineOf(n) };
}

/** Finds traversals (`variable_expr` followed by `get_attr` siblings) anywhere under `n`. */
function collectRefs(n: Node, out: Set<string>, exclude: ReadonlySet<string>, depth: number): void {
  if (depth > MAX_DEPTH) return;
  const ks = kids(n);
  let scope = exclude;
  if (n.type === 'for_tuple_expr' || n.type === 'for_object_expr') {
    const intro = ks.find((k) => k.type === 'for_intro');
    if (intro) scope = new Set([...exclude, ...kids(intro).filter((k) => k.type === 'identifier').map((k) => k.text)]);
  }
  for (let i = 0; i < ks.length; i++) {
    const k = ks[i]!;
    if (k.type === 'variable_expr') {
      const parts = [k.text];
      for (let j = i + 1; j < ks.length && ks[j]!.type === 'get_attr'; j++) {
        const id = kids(ks[j]!).find((x) => x.type === 'identifier');
        if (!id) break;
        parts.push(id.text);
      }
      if (!scope.has(parts[0]!)) {
        const address = addressOf(parts);
        if (address) out.add(address);
      }
    } else {
      collectRefs(k, out, scope, depth + 1);
    }
  }
}

function objectKey(key: Node, src: string): string | undefined {
  const ex = convExpr(key, src, 0);
  if (ex.k === 'lit' && ex.v !== null) return String(ex.v);
  // A bare identifier key (`Name = "x"`) parses as a variable expression.
  const ks = kids(key);
  if (ks.length === 1 && ks[0]!.type === 'variable_expr') return ks[0]!.text;
  return undefined;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

function unescapeQuoted(s: string): string {
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

function stringLit(n: Node, src: string): string {
  const ks = kids(n);
  const open = ks.find((k) => k.type === 'quoted_template_start');
  const close = ks.find((k) => k.type === 'quoted_template_end');
  if (open && close) return unescapeQuoted(src.slice(open.endIndex, close.startIndex));
  return ks
    .filter((k) => k.type === 'template_literal')
    .map((k) => unescapeQuoted(k.text))
    .join('');
}

function convTemplate(t: Node, whole: Node, src: string, depth: number): Ex {
  const line = lineOf(whole);
  const ks = kids(t);
  let bodyStart: number;
  let bodyEnd: number;
  let bodyLine = line;
  let heredoc = false;
  let indentStrip = false;
  if (t.type === 'quoted_template') {
    const open = ks.find((k) => k.type === 'quoted_template_start');
    const close = ks.find((k) => k.type === 'quoted_template_end');
    if (!open || !close) return generic(whole, src);
    bodyStart = open.endIndex;
    bodyEnd = close.startIndex;
  } else if (t.type === 'heredoc_template') {
    heredoc = true;
    const ids = ks.filter((k) => k.type === 'heredoc_identifier');
    const start = ks.find((k) => k.type === 'heredoc_start');
    indentStrip = start?.text.includes('-') ?? false;
    if (ids.length < 2) return generic(whole, src);
    const nl = src.indexOf('\n', ids[0]!.endIndex);
    bodyStart = nl < 0 ? ids[0]!.endIndex : nl + 1;
    bodyEnd = src.lastIndexOf('\n', ids[ids.length - 1]!.startIndex - 1) + 1;
    if (bodyEnd < bodyStart) bodyEnd = bodyStart;
    bodyLine = ids[0]!.startPosition.row + 2;
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
    const literalText = src.slice(cursor, k.startIndex);
    if (literalText) parts.push(heredoc ? unescapeHeredoc(literalText) : unescapeQuoted(literalText));
    const inner = kids(k).find((x) => x.type === 'expression');
    if (!inner) {
      dynamic = true;
      break;
    }
    parts.push(convExpr(inner, src, depth + 1));
    cursor = k.endIndex;
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

import type { Limits, ParseIssue } from '../../model/types.js';
import { parseYaml } from '../yaml.js';
import { refsInText, type Ex, type ExprEx, type TfAttribute, type TfBlock, type TfFile } from './ir.js';

/**
 * Terraform JSON syntax (`*.tf.json`) → `TfFile`. `JSON.parse` decides
 * validity (YAML accepts more than JSON); the YAML reader gives lines.
 *
 * JSON cannot tell a nested block from an attribute holding an object, so an
 * object (or array of objects) becomes a nested block unless the key is a
 * known map attribute (`tags`, `labels`, ...). Either way `values` ends up the
 * same shape as for HCL: blocks are arrays of objects.
 */

const MAP_ATTRIBUTES = new Set([
  'tags',
  'tags_all',
  'default_tags',
  'labels',
  'variables',
  'parameters',
  'annotations',
  'triggers',
  'environment_variables',
  'app_settings',
  'stage_variables',
  'request_parameters',
  'request_templates',
  'response_parameters',
  'response_templates',
  'policy',
  'assume_role_policy',
  'access_policies',
  'inputs',
]);
const LABELLED = new Map<string, number>([
  ['resource', 2],
  ['data', 2],
  ['ephemeral', 2],
  ['module', 1],
  ['variable', 1],
  ['output', 1],
  ['provider', 1],
]);
const MAX_DEPTH = 200;

export interface JsonResult {
  file: TfFile;
  issues: ParseIssue[];
}

export function parseTfJson(file: string, content: string, limits: Limits): JsonResult {
  const issues: ParseIssue[] = [];
  try {
    JSON.parse(content);
  } catch (err) {
    const message = (err as Error).message;
    issues.push({ file, line: jsonErrorLine(content, message), level: 'error', code: 'json-syntax', message: `Terraform JSON could not be read: ${message.split('\n')[0]}` });
    return { file: { blocks: [] }, issues };
  }
  const parsed = parseYaml(file, content, limits);
  const doc = parsed.documents[0];
  if (!doc || typeof doc.value !== 'object' || doc.value === null || Array.isArray(doc.value)) {
    issues.push({ file, line: 1, level: 'error', code: 'json-syntax', message: 'Terraform JSON must be an object at the top level' });
    return { file: { blocks: [] }, issues };
  }
  const lineOf = (p: (string | number)[]): number => doc.lineOf(p);
  const blocks: TfBlock[] = [];
  for (const [type, value] of Object.entries(doc.value as Record<string, unknown>)) {
    if (type === '//') continue;
    const labelCount = LABELLED.get(type) ?? 0;
    if (type === 'locals') {
      for (const [i, item] of asItems(value).entries()) {
        const base = Array.isArray(value) ? [type, i] : [type];
        blocks.push({ type, labels: [], line: lineOf(base), ...body(item, base, lineOf, 0, true) });
      }
      continue;
    }
    collectLabelled(type, labelCount, value, [type], [], blocks, lineOf);
  }
  return { file: { blocks }, issues };
}

function collectLabelled(type: string, remaining: number, value: unknown, path: (string | number)[], labels: string[], out: TfBlock[], lineOf: (p: (string | number)[]) => number): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => collectLabelled(type, remaining, item, [...path, i], labels, out, lineOf));
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (remaining === 0) {
    out.push({ type, labels, line: lineOf(path), ...body(value, path, lineOf, 0, false) });
    return;
  }
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (key === '//') continue;
    collectLabelled(type, remaining - 1, inner, [...path, key], [...labels, key], out, lineOf);
  }
}

function asItems(value: unknown): Record<string, unknown>[] {
  const items = Array.isArray(value) ? value : [value];
  return items.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v));
}

function body(value: unknown, path: (string | number)[], lineOf: (p: (string | number)[]) => number, depth: number, attributesOnly: boolean): { attributes: TfAttribute[]; blocks: TfBlock[] } {
  const attributes: TfAttribute[] = [];
  const blocks: TfBlock[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { attributes, blocks };
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key === '//') continue;
    const p = [...path, key];
    if (!attributesOnly && key === 'dynamic' && typeof v === 'object' && v !== null && !Array.isArray(v)) {
      for (const [label, spec] of Object.entries(v as Record<string, unknown>)) {
        for (const [i, item] of asItems(spec).entries()) {
          const ip = Array.isArray(spec) ? [...p, label, i] : [...p, label];
          blocks.push({ type: 'dynamic', labels: [label], line: lineOf(ip), ...body(item, ip, lineOf, depth + 1, false) });
        }
      }
      continue;
    }
    const isObject = typeof v === 'object' && v !== null && !Array.isArray(v);
    const isObjectList = Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x));
    if (!attributesOnly && !MAP_ATTRIBUTES.has(key) && depth < MAX_DEPTH && (isObject || isObjectList)) {
      const items = isObject ? [v as Record<string, unknown>] : (v as Record<string, unknown>[]);
      items.forEach((item, i) => {
        const ip = isObject ? p : [...p, i];
        blocks.push({ type: key, labels: [], line: lineOf(ip), ...body(item, ip, lineOf, depth + 1, false) });
      });
      continue;
    }
    attributes.push({ name: key, line: lineOf(p), value: toEx(v, p, lineOf, depth + 1) });
  }
  return { attributes, blocks };
}

function toEx(v: unknown, path: (string | number)[], lineOf: (p: (string | number)[]) => number, depth: number): Ex {
  const line = lineOf(path);
  if (depth > MAX_DEPTH) return { k: 'expr', text: '…', refs: [], line };
  if (typeof v === 'string') return stringEx(v, line);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return { k: 'lit', v, line };
  if (Array.isArray(v)) return { k: 'tuple', items: v.map((x, i) => toEx(x, [...path, i], lineOf, depth + 1)), line };
  if (typeof v === 'object') {
    return {
      k: 'object',
      entries: Object.entries(v as Record<string, unknown>).map(([key, x]) => ({ key, line: lineOf([...path, key]), value: toEx(x, [...path, key], lineOf, depth + 1) })),
      line,
    };
  }
  return { k: 'lit', v: null, line };
}

const SIMPLE_TRAVERSAL = /^\s*([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\]|\[\*\]|\.\*)+)\s*$/;
const MAX_EXPR_TEXT = 2000;

/** A JSON string is a template: `${...}` interpolations make it an expression, `$${` is a literal `${`. */
function stringEx(s: string, line: number): Ex {
  if (!s.includes('${') && !s.includes('%{')) return { k: 'lit', v: s, line };
  const parts: (string | Ex)[] = [];
  let literalText = '';
  let i = 0;
  let dynamic = false;
  while (i < s.length) {
    if (s.startsWith('$${', i) || s.startsWith('%%{', i)) {
      literalText += s.slice(i + 1, i + 3);
      i += 3;
      continue;
    }
    if (s.startsWith('%{', i)) {
      dynamic = true;
      break;
    }
    if (s.startsWith('${', i)) {
      const end = matchingBrace(s, i + 2);
      if (end < 0) {
        dynamic = true;
        break;
      }
      if (literalText) parts.push(literalText);
      literalText = '';
      const inner = s.slice(i + 2, end).replace(/^~|~$/g, '');
      const m = SIMPLE_TRAVERSAL.exec(inner);
      const ex: ExprEx = { k: 'expr', text: bound(inner.trim()), refs: refsInText(inner), line };
      if (m) ex.traversal = m[1]!.replace(/\s+/g, '');
      parts.push(ex);
      i = end + 1;
      continue;
    }
    literalText += s[i];
    i++;
  }
  if (literalText) parts.push(literalText);
  const text = bound(s);
  if (dynamic) return { k: 'expr', text, refs: refsInText(s), line };
  if (parts.every((p) => typeof p === 'string')) return { k: 'lit', v: parts.join(''), line };
  const refs = [...new Set(parts.flatMap((p) => (typeof p === 'string' ? [] : p.k === 'expr' ? p.refs : [])))];
  const only = parts.length === 1 && typeof parts[0] !== 'string' && parts[0]!.k === 'expr' ? parts[0] : undefined;
  return { k: 'expr', text, refs, line, template: { parts, bodyLine: line }, traversal: only?.traversal };
}

function matchingBrace(s: string, from: number): number {
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

function bound(text: string): string {
  return text.length > MAX_EXPR_TEXT ? `${text.slice(0, MAX_EXPR_TEXT - 1)}…` : text;
}

function jsonErrorLine(content: string, message: string): number {
  const lc = /line (\d+) column \d+/.exec(message);
  if (lc) return Number(lc[1]);
  const pos = /position (\d+)/.exec(message);
  if (pos) return content.slice(0, Number(pos[1])).split('\n').length;
  return 1;
}

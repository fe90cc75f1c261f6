import type { Element, Fragment, ParseIssue } from '../../model/types.js';
import { FileContext, type Decl } from './context.js';
import { EvalState, blockValues, evaluate, fileConstants, setKey } from './evaluate.js';
import type { TfBlock, TfFile } from './ir.js';
import { kindOf, providerOf } from './kinds.js';
import { applySemantics } from './semantics.js';

/** Repository-relative directory of a file, `''` for the root. */
export function dirOf(file: string): string {
  const clean = file.replace(/\\/g, '/').replace(/^\.\//, '');
  const i = clean.lastIndexOf('/');
  return i < 0 ? '' : clean.slice(0, i);
}

/** Normalises `./modules/net` relative to `dir`; undefined for registry/git sources or paths leaving the repository. */
export function localSourceDir(dir: string, source: unknown): string | undefined {
  if (typeof source !== 'string' || !/^\.\.?\//.test(source)) return undefined;
  const out = dir ? dir.split('/') : [];
  for (const seg of source.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(seg);
  }
  return out.join('/');
}

export function buildFragment(file: string, tf: TfFile, issues: ParseIssue[]): Fragment {
  const dir = dirOf(file);
  const ctx = new FileContext(file, dir);
  const constants = fileConstants(tf.blocks);
  const exprRefs = new WeakMap<object, string[]>();
  for (const block of tf.blocks) {
    const head = declHead(block);
    if (!head) {
      if (['resource', 'data', 'module'].includes(block.type)) {
        ctx.issues.push({ file, line: block.line, level: 'warning', code: 'tf-block-labels', message: `${block.type} block at line ${block.line} has ${block.labels.length} label(s); not modelled` });
      }
      continue;
    }
    if (ctx.decls.has(head.address)) {
      ctx.issues.push({ file, line: block.line, level: 'warning', code: 'tf-duplicate-address', message: `${head.address} is declared twice in this file (lines ${ctx.decls.get(head.address)!.block.line} and ${block.line}); the first is used` });
      continue;
    }
    const st = new EvalState(constants, exprRefs);
    const values = head.mode === 'provider' ? providerValues(block, st) : blockValues(block, st, '');
    const redacted = redactSecrets(values, '', head.tfType);
    const id = ctx.idOf(head.address);
    const refs = [...st.uses.keys()].filter((a) => a !== head.address);
    const attrs: Record<string, unknown> = {
      tfType: head.tfType,
      address: head.address,
      provider: head.mode === 'module' ? 'other' : head.mode === 'provider' ? providerOf(`${block.labels[0]}_`) : providerOf(head.tfType),
      directory: dir,
      values,
      refs,
    };
    const decoded = decodeJsonAttributes(block, st);
    if (decoded) attrs.decoded = decoded;
    if (Object.keys(st.resolvedFrom).length > 0) attrs.resolvedFrom = st.resolvedFrom;
    if (redacted.length > 0) attrs.redacted = redacted;
    if (head.mode === 'data') attrs.dataSource = true;
    if (head.mode === 'module') {
      if (typeof values.source === 'string') attrs.source = values.source;
      const sourceDir = localSourceDir(dir, values.source);
      if (sourceDir !== undefined) attrs.sourceDir = sourceDir;
    }
    const element: Element = {
      id,
      kind: head.kind,
      type: head.type,
      name: head.address,
      location: { file, line: block.line },
      attrs,
      lines: st.lines,
    };
    if (head.zone) element.zoneHint = head.zone;
    const decl: Decl = { block, address: head.address, id, tfType: head.tfType, element, values, st };
    ctx.register(decl);
  }
  applySemantics(ctx);
  return {
    file,
    format: 'terraform',
    elements: [...ctx.decls.values()].map((d) => d.element),
    edges: ctx.edges,
    refs: ctx.refs,
    issues: [...issues, ...ctx.issues],
  };
}

interface DeclHead {
  mode: 'resource' | 'data' | 'module' | 'provider';
  address: string;
  tfType: string;
  type: string;
  kind: Element['kind'];
  zone?: string;
}

const NAME = /^[A-Za-z_][\w-]*$/;

function declHead(block: TfBlock): DeclHead | undefined {
  const [a, b] = block.labels;
  if (block.type === 'resource' && block.labels.length === 2 && NAME.test(a!) && NAME.test(b!)) {
    const k = kindOf(a!);
    return { mode: 'resource', address: `${a}.${b}`, tfType: a!, type: `tf:${a}`, kind: k.kind, zone: k.zone };
  }
  if (block.type === 'data' && block.labels.length === 2 && NAME.test(a!) && NAME.test(b!)) {
    const doc = a === 'aws_iam_policy_document';
    return { mode: 'data', address: `data.${a}.${b}`, tfType: a!, type: `tf:data.${a}`, kind: doc ? 'capability' : 'other', zone: doc ? 'cloud-iam' : undefined };
  }
  if (block.type === 'provider' && block.labels.length === 1 && NAME.test(a!)) {
    const alias = block.attributes.find((x) => x.name === 'alias');
    const aliasName = alias?.value.k === 'lit' && typeof alias.value.v === 'string' && NAME.test(alias.value.v) ? alias.value.v : undefined;
    return { mode: 'provider', address: aliasName ? `provider.${a}.${aliasName}` : `provider.${a}`, tfType: 'provider', type: 'tf:provider', kind: 'other' };
  }
  if (block.type === 'module' && block.labels.length === 1 && NAME.test(a!)) {
    return { mode: 'module', address: `module.${a}`, tfType: 'module', type: 'tf:module', kind: 'other' };
  }
  return undefined;
}

/** Attributes that hold JSON as a string even when written as a literal. */
const JSON_STRING_ATTRIBUTES = new Set(['container_definitions', 'definition']);

/**
 * `jsonencode({...})` attributes (and JSON strings of known JSON attributes)
 * decoded as far as literal, under `attrs.decoded.<name>`; `values` keeps the
 * expression so nothing unknown looks literal there.
 */
function decodeJsonAttributes(block: TfBlock, st: EvalState): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  for (const a of block.attributes) {
    let value: unknown;
    if (a.value.k === 'expr' && a.value.call?.name === 'jsonencode' && a.value.call.args.length === 1) {
      value = evaluate(a.value.call.args[0]!, a.name, st);
    } else if (a.value.k === 'lit' && typeof a.value.v === 'string' && JSON_STRING_ATTRIBUTES.has(a.name)) {
      try {
        value = JSON.parse(a.value.v);
      } catch {
        continue;
      }
    } else continue;
    out ??= {};
    setKey(out, a.name, value);
  }
  return out;
}

/** Provider settings worth showing; credentials (`access_key`, `client_secret`...) are never copied. */
const PROVIDER_KEYS = new Set(['alias', 'region', 'project', 'location', 'zone']);

function providerValues(block: TfBlock, st: EvalState): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of block.attributes) {
    if (!PROVIDER_KEYS.has(a.name)) continue;
    st.setLine(a.name, a.line);
    setKey(out, a.name, evaluate(a.value, a.name, st));
  }
  return out;
}

const SECRET_KEY = /(^|_)(password|passwd|secret|secret_key|access_key|private_key|client_secret|api_key|auth_token|token|connection_string|secret_string|primary_key|shared_key)$/i;
const SECRET_MAPS: Record<string, string[]> = { kubernetes_secret: ['data', 'binary_data', 'string_data'], kubernetes_secret_v1: ['data', 'binary_data', 'string_data'] };

/**
 * Literal secrets written in the file (`password = "hunter2"`) are replaced
 * by `"<redacted>"` so they never reach caches or reports; the paths are
 * listed in `attrs.redacted` (a rule can still flag the hard-coded secret).
 */
function redactSecrets(values: Record<string, unknown>, prefix: string, tfType: string): string[] {
  const out: string[] = [];
  const visit = (obj: Record<string, unknown>, base: string, depth: number): void => {
    if (depth > 20) return;
    for (const [k, v] of Object.entries(obj)) {
      const path = base ? `${base}.${k}` : k;
      const whole = depth === 0 && (SECRET_MAPS[tfType] ?? []).includes(k);
      if ((SECRET_KEY.test(k) || whole) && typeof v === 'string' && v !== '') {
        obj[k] = '<redacted>';
        out.push(path);
      } else if (whole && typeof v === 'object' && v !== null && !Array.isArray(v)) {
        for (const [mk, mv] of Object.entries(v)) {
          if (typeof mv === 'string' && mv !== '') {
            (v as Record<string, unknown>)[mk] = '<redacted>';
            out.push(`${path}.${mk}`);
          }
        }
      } else if (Array.isArray(v)) {
        v.forEach((item, i) => {
          if (typeof item === 'object' && item !== null && !Array.isArray(item)) visit(item as Record<string, unknown>, `${path}.${i}`, depth + 1);
        });
      } else if (typeof v === 'object' && v !== null && !('$expr' in v)) {
        visit(v as Record<string, unknown>, path, depth + 1);
      }
    }
  };
  visit(values, prefix, 0);
  return out;
}

import { parseYaml } from '../yaml.js';
import { DEFAULT_LIMITS } from '../../model/types.js';
import { evaluate, setKey, type EvalState } from './evaluate.js';
import type { Ex } from './ir.js';
import { blocks, isExpr, type ExprValue } from './values.js';

/**
 * IAM policy documents, whatever their syntax (`jsonencode({...})`, JSON
 * strings and heredocs, heredocs with `${...}`, `aws_iam_policy_document`
 * statement blocks), normalised into `PolicyStatement`s.
 *
 * Entries that are expressions stay `ExprValue`s: rules must treat them as
 * unknown. `complete: false` means some statement could not be read at all.
 */
export interface PolicyCondition {
  test: string;
  variable: string;
  values: unknown[];
}

export interface PolicyStatement {
  sid?: string;
  effect: 'Allow' | 'Deny' | 'unknown';
  /** Strings as written (`s3:GetObject`, `*`) or `ExprValue`s. */
  actions: unknown[];
  notActions?: unknown[];
  resources: unknown[];
  notResources?: unknown[];
  /** `*` (anyone), `AWS:<arn|*>`, `Service:<host>`, `Federated:<idp>`, `CanonicalUser:<id>`, or `ExprValue`s. */
  principals: unknown[];
  notPrincipals?: unknown[];
  /** Absent when the statement has no condition; an `ExprValue` when it cannot be read. */
  conditions?: PolicyCondition[] | ExprValue;
  /** Line of the statement. */
  line: number;
  /** Addresses referenced by `resources` (`aws_s3_bucket.b`). */
  resourceRefs?: string[];
  /** Addresses referenced by `principals`. */
  principalRefs?: string[];
}

export interface NormalisedPolicy {
  statements: PolicyStatement[];
  complete: boolean;
  /** `data.aws_iam_policy_document.x` when the policy is `<that>.json`. */
  documentRef?: string;
}

const INCOMPLETE: NormalisedPolicy = { statements: [], complete: false };

/** A policy-valued attribute (`policy`, `assume_role_policy`, `access_policies`). */
export function policyFromAttribute(ex: Ex, path: string, st: EvalState): NormalisedPolicy {
  if (ex.k === 'expr') {
    if (ex.call?.name === 'jsonencode' && ex.call.args.length === 1) {
      const doc = evaluate(ex.call.args[0]!, path, st);
      return fromDocument(doc, (p) => st.lines[`${path}.${p}`] ?? ex.line, st);
    }
    const docRef = ex.traversal ? /^(data\.aws_iam_policy_document\.[\w-]+)\.(json|minified_json)$/.exec(ex.traversal) : null;
    if (docRef) return { statements: [], complete: false, documentRef: docRef[1]! };
    if (ex.template) return fromTemplate(ex.template.parts, ex.template.bodyLine, st);
  }
  const value = evaluate(ex, path, st);
  if (typeof value === 'string') {
    const bodyLine = ex.k === 'lit' && ex.bodyLine !== undefined ? ex.bodyLine : ex.line;
    return fromJsonText(value, bodyLine, st);
  }
  if (typeof value === 'object' && value !== null && !isExpr(value)) return fromDocument(value, (p) => st.lines[`${path}.${p}`] ?? ex.line, st);
  return INCOMPLETE;
}

function fromJsonText(text: string, bodyLine: number, st: EvalState, restore?: (s: string) => unknown): NormalisedPolicy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return INCOMPLETE;
  }
  if (restore) doc = mapStrings(doc, restore);
  const located = parseYaml('policy.json', text, DEFAULT_LIMITS).documents[0];
  const lineAt = (p: string): number => (located ? bodyLine + located.lineOf(p.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s))) - 1 : bodyLine);
  return fromDocument(doc, lineAt, st);
}

const PLACEHOLDER = /@@TDI(\d+)@@/g;

/** A JSON template with `${...}`: interpolations become placeholders, parsed, then restored as expressions. */
function fromTemplate(parts: readonly (string | Ex)[], bodyLine: number, st: EvalState): NormalisedPolicy {
  const exprs: Ex[] = [];
  const text = parts.map((p) => (typeof p === 'string' ? p : `@@TDI${exprs.push(p) - 1}@@`)).join('');
  const restore = (s: string): unknown => {
    const whole = /^@@TDI(\d+)@@$/.exec(s);
    if (whole) return evaluate(exprs[Number(whole[1])]!, 'policy', st);
    const refs = new Set<string>();
    const source = s.replace(PLACEHOLDER, (_m, i: string) => {
      const ex = exprs[Number(i)]!;
      if (ex.k === 'expr') for (const r of st.filterRefs(ex.refs)) refs.add(r);
      return ex.k === 'expr' ? `\${${ex.text}}` : String(ex.k === 'lit' ? ex.v : '');
    });
    const value: ExprValue = { $expr: `"${source}"` };
    st.exprRefs.set(value, [...refs]);
    return value;
  };
  return fromJsonText(text, bodyLine, st, (s) => (s.includes('@@TDI') ? restore(s) : s));
}

function mapStrings(v: unknown, fn: (s: string) => unknown): unknown {
  if (typeof v === 'string') return fn(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, fn));
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) setKey(out, k, mapStrings(x, fn));
    return out;
  }
  return v;
}

function get(obj: unknown, key: string): unknown {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj) || isExpr(obj)) return undefined;
  return Object.prototype.hasOwnProperty.call(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

function list(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** A JSON policy document (`{ Version, Statement }`). `lineAt` takes a path below the document (`Statement.0`). */
function fromDocument(doc: unknown, lineAt: (path: string) => number, st: EvalState): NormalisedPolicy {
  const raw = get(doc, 'Statement');
  if (raw === undefined || isExpr(raw) || isExpr(doc)) return { statements: [], complete: raw === undefined && !isExpr(doc) && typeof doc === 'object' && doc !== null };
  const single = !Array.isArray(raw);
  const statements: PolicyStatement[] = [];
  let complete = true;
  list(raw).forEach((s, i) => {
    if (typeof s !== 'object' || s === null || isExpr(s)) {
      complete = false;
      return;
    }
    const effect = get(s, 'Effect');
    const stmt: PolicyStatement = {
      effect: effect === 'Allow' || effect === 'Deny' ? effect : 'unknown',
      actions: list(get(s, 'Action')),
      resources: list(get(s, 'Resource')),
      principals: principalsOf(get(s, 'Principal')),
      line: lineAt(single ? 'Statement' : `Statement.${i}`),
    };
    const sid = get(s, 'Sid');
    if (typeof sid === 'string') stmt.sid = sid;
    optional(stmt, 'notActions', get(s, 'NotAction'));
    optional(stmt, 'notResources', get(s, 'NotResource'));
    const np = get(s, 'NotPrincipal');
    if (np !== undefined) stmt.notPrincipals = principalsOf(np);
    const cond = get(s, 'Condition');
    if (cond !== undefined) stmt.conditions = conditionsOf(cond);
    addRefs(stmt, st);
    statements.push(stmt);
  });
  return { statements, complete };
}

function optional(stmt: PolicyStatement, key: 'notActions' | 'notResources', v: unknown): void {
  if (v !== undefined) stmt[key] = list(v);
}

function principalsOf(p: unknown): unknown[] {
  if (p === undefined || p === null) return [];
  if (typeof p === 'string') return [p === '*' ? '*' : p];
  if (isExpr(p) || Array.isArray(p)) return list(p);
  const out: unknown[] = [];
  for (const [type, ids] of Object.entries(p as Record<string, unknown>)) {
    if (isExpr(ids)) {
      out.push(ids);
      continue;
    }
    for (const id of list(ids)) out.push(typeof id === 'string' ? `${type}:${id}` : id);
  }
  return out;
}

function conditionsOf(c: unknown): PolicyCondition[] | ExprValue {
  if (isExpr(c)) return c;
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return { $expr: JSON.stringify(c) ?? 'null' };
  const out: PolicyCondition[] = [];
  for (const [test, byVar] of Object.entries(c as Record<string, unknown>)) {
    if (typeof byVar !== 'object' || byVar === null || isExpr(byVar) || Array.isArray(byVar)) {
      out.push({ test, variable: '', values: list(byVar) });
      continue;
    }
    for (const [variable, values] of Object.entries(byVar as Record<string, unknown>)) out.push({ test, variable, values: list(values) });
  }
  return out;
}

function addRefs(stmt: PolicyStatement, st: EvalState): void {
  const refsOf = (vals: unknown[] | undefined): string[] => {
    const out = new Set<string>();
    for (const v of vals ?? []) if (typeof v === 'object' && v !== null) for (const r of st.exprRefs.get(v) ?? []) out.add(r);
    return [...out];
  };
  const r = refsOf([...stmt.resources, ...(stmt.notResources ?? [])]);
  if (r.length > 0) stmt.resourceRefs = r;
  const p = refsOf([...stmt.principals, ...(stmt.notPrincipals ?? [])]);
  if (p.length > 0) stmt.principalRefs = p;
}

/**
 * `data "aws_iam_policy_document"` statement blocks, from the element's
 * already-evaluated values and lines.
 */
export function policyFromDocumentBlocks(values: Record<string, unknown>, lines: Record<string, number>, fallbackLine: number, st: EvalState): NormalisedPolicy {
  const statements: PolicyStatement[] = [];
  let complete = values.source_policy_documents === undefined && values.override_policy_documents === undefined && values.source_json === undefined && values.override_json === undefined;
  const raw = values.statement;
  if (isExpr(raw)) complete = false;
  blocks(raw).forEach((s, i) => {
    if ('$dynamic' in s) complete = false;
    const effect = s.effect === undefined ? 'Allow' : s.effect;
    const stmt: PolicyStatement = {
      effect: effect === 'Allow' || effect === 'Deny' ? effect : 'unknown',
      actions: list(s.actions),
      resources: list(s.resources),
      principals: blockPrincipals(s.principals),
      line: lines[`statement.${i}`] ?? fallbackLine,
    };
    if (typeof s.sid === 'string') stmt.sid = s.sid;
    optional(stmt, 'notActions', s.not_actions);
    optional(stmt, 'notResources', s.not_resources);
    if (s.not_principals !== undefined) stmt.notPrincipals = blockPrincipals(s.not_principals);
    if (s.condition !== undefined) {
      const conds = blocks(s.condition).map((c) => ({ test: String(isExpr(c.test) ? c.test.$expr : c.test ?? ''), variable: String(isExpr(c.variable) ? c.variable.$expr : c.variable ?? ''), values: list(c.values) }));
      stmt.conditions = isExpr(s.condition) ? s.condition : conds;
    }
    addRefs(stmt, st);
    statements.push(stmt);
  });
  return { statements, complete };
}

function blockPrincipals(v: unknown): unknown[] {
  if (isExpr(v)) return [v];
  const out: unknown[] = [];
  for (const p of blocks(v)) {
    const type = p.type;
    const ids = p.identifiers;
    if (typeof type !== 'string') {
      out.push(isExpr(type) ? type : { $expr: JSON.stringify(type) ?? 'null' });
      continue;
    }
    if (isExpr(ids)) {
      out.push(ids);
      continue;
    }
    for (const id of list(ids)) {
      if (typeof id !== 'string') out.push(id);
      else if (type === '*' && id === '*') out.push('*');
      else out.push(`${type}:${id}`);
    }
  }
  return out;
}

/** `sts:AssumeRole*` principals of a trust policy's Allow statements. */
export function assumableBy(policy: NormalisedPolicy): unknown[] {
  const out: unknown[] = [];
  for (const s of policy.statements) {
    if (s.effect === 'Deny') continue;
    const assumes = s.actions.some((a) => isExpr(a) || (typeof a === 'string' && /^sts:(AssumeRole|\*|AssumeRoleWith)/i.test(a)) || a === '*');
    if (assumes) out.push(...s.principals);
  }
  return out;
}

/**
 * Syntax-neutral intermediate form shared by the HCL (tree-sitter) and the
 * JSON (`.tf.json`) readers. The tree-sitter tree is freed right after it is
 * converted into this, so nothing downstream holds wasm memory.
 */

export type Ex =
  | { k: 'lit'; v: string | number | boolean | null; line: number; /** First line of a heredoc's body. */ bodyLine?: number }
  | { k: 'tuple'; items: Ex[]; line: number }
  | { k: 'object'; entries: ObjectEntry[]; line: number }
  | ExprEx;

export interface ObjectEntry {
  key: string;
  line: number;
  value: Ex;
}

export interface ExprEx {
  k: 'expr';
  /** Source text (bounded). */
  text: string;
  /** Addresses referenced anywhere in the expression (`aws_s3_bucket.b`, `var.x`, `data.t.n`, `module.m`, `local.l`). */
  refs: string[];
  line: number;
  /** Set when the expression is exactly one traversal (`var.x`, `aws_s3_bucket.b.arn`), also as `"${...}"`. */
  traversal?: string;
  /** Set for a function call (`jsonencode({...})`). */
  call?: { name: string; args: Ex[] };
  /** Set for a string template with interpolations: literal parts and interpolated expressions. */
  template?: { parts: (string | Ex)[]; bodyLine: number };
}

export interface TfAttribute {
  name: string;
  line: number;
  value: Ex;
}

export interface TfBlock {
  type: string;
  labels: string[];
  line: number;
  attributes: TfAttribute[];
  blocks: TfBlock[];
}

export interface TfFile {
  blocks: TfBlock[];
}

const IGNORED_ROOTS = new Set(['path', 'terraform', 'count', 'each', 'self']);

/**
 * Address referenced by a traversal (`["aws_s3_bucket", "b", "arn"]` →
 * `aws_s3_bucket.b`), or undefined for things that are not addresses
 * (`each.value`, `path.module`, loop variables).
 */
export function addressOf(parts: readonly string[]): string | undefined {
  const [root, a, b] = parts;
  if (root === undefined || a === undefined) return undefined;
  if (root === 'var' || root === 'local') return `${root}.${a}`;
  if (root === 'module') return `module.${a}`;
  if (root === 'data') return b === undefined ? undefined : `data.${a}.${b}`;
  if (IGNORED_ROOTS.has(root)) return undefined;
  // Resource types are `<provider>_<type>`; a root without `_` is a loop or iterator variable.
  if (!root.includes('_')) return undefined;
  return `${root}.${a}`;
}

/** Resource type of a resource/data address (`data.aws_iam_policy_document.x` → `aws_iam_policy_document`). */
export function typeOfAddress(address: string): string | undefined {
  const parts = address.split('.');
  if (parts[0] === 'data') return parts[1];
  if (parts[0] === 'var' || parts[0] === 'local' || parts[0] === 'module') return undefined;
  return parts[0];
}

/** True for addresses that name an element (resource, data source, module). */
export function isElementAddress(address: string): boolean {
  return !address.startsWith('var.') && !address.startsWith('local.');
}

const TRAVERSAL = /(?<![\w.\-"'])([A-Za-z_][\w-]*)((?:\.[A-Za-z_][\w-]*|\[[^\]\n]*\])+)/g;

/**
 * References in expression text without a syntax tree (`.tf.json`
 * interpolations). Quoted strings inside the expression are skipped.
 */
export function refsInText(text: string, exclude: ReadonlySet<string> = new Set()): string[] {
  const stripped = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const out = new Set<string>();
  for (const m of stripped.matchAll(TRAVERSAL)) {
    const root = m[1]!;
    if (exclude.has(root)) continue;
    const parts = [root];
    for (const seg of m[2]!.matchAll(/\.([A-Za-z_][\w-]*)|\[[^\]]*\]/g)) {
      if (seg[1] === undefined) break;
      parts.push(seg[1]);
    }
    const address = addressOf(parts);
    if (address) out.add(address);
  }
  return [...out];
}

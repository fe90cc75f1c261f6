import type { Limits, ParseIssue, TreeReader } from '../../model/types.js';
import { parseYaml, type SourceDocument } from '../yaml.js';
import { clip, dirname, isObj, own, pointerKeys, TimeoutError, walkPointer } from './util.js';

/**
 * `$ref` handling. The only thing a spec may reach outside itself is another
 * file of the same repository tree, read through `ctx.tree`. Everything else
 * (absolute paths, `..` escaping the root, any URL scheme) is reported as a
 * `forbidden-ref` error and removed before any library sees the document.
 */

export type RefTarget =
  | { kind: 'local'; fragment: string }
  | { kind: 'tree'; path: string; fragment: string }
  | { kind: 'forbidden'; reason: string };

const MAX_REF_LENGTH = 2048;

/** Classifies `ref` as written in `fromFile` (repository-relative, forward slashes). */
export function classifyRef(ref: string, fromFile: string): RefTarget {
  if (ref.length > MAX_REF_LENGTH) return { kind: 'forbidden', reason: 'reference is too long' };
  const hash = ref.indexOf('#');
  const filePart = hash >= 0 ? ref.slice(0, hash) : ref;
  const fragment = hash >= 0 ? ref.slice(hash) : '#';
  if (filePart === '') return { kind: 'local', fragment };
  const early = unsafePathReason(filePart);
  if (early) return { kind: 'forbidden', reason: early };
  let decoded: string;
  try {
    decoded = decodeURIComponent(filePart);
  } catch {
    return { kind: 'forbidden', reason: 'malformed percent-encoding' };
  }
  // Checked again after decoding so `%2Fetc` or `%5C` cannot sneak through.
  const late = unsafePathReason(decoded);
  if (late) return { kind: 'forbidden', reason: late };
  const segments = dirname(fromFile) === '.' ? [] : dirname(fromFile).split('/');
  for (const seg of decoded.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (segments.length === 0) return { kind: 'forbidden', reason: 'path escapes the repository root' };
      segments.pop();
    } else {
      segments.push(seg);
    }
  }
  if (segments.length === 0) return { kind: 'forbidden', reason: 'path does not name a file' };
  return { kind: 'tree', path: segments.join('/'), fragment };
}

function unsafePathReason(p: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) return 'control characters in path';
  if (p.includes('\\')) return 'backslash in path';
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(p);
  if (scheme) return `URL scheme "${scheme[1]!.toLowerCase()}:" (only relative paths inside the repository are followed)`;
  if (p.startsWith('/')) return 'absolute path (only relative paths inside the repository are followed)';
  if (p.startsWith('~')) return 'home-directory path';
  if (p.includes('?')) return 'query string in path';
  return undefined;
}

/** One file of a (possibly multi-file) spec, with forbidden refs already removed from `value`. */
export interface SpecFile {
  path: string;
  doc: SourceDocument;
  value: unknown;
}

export interface RefRecord {
  file: string;
  /** Keys from the file's root to the object holding `$ref`. */
  at: (string | number)[];
  ref: string;
  target: RefTarget;
}

export interface LoadResult {
  files: Map<string, SpecFile>;
  refs: RefRecord[];
  /** True when loading stopped early (limits or timeout): the model may be partial. */
  incomplete: boolean;
  timedOut: boolean;
  /** True when a document was too big to scan completely: it must not be handed to the ref library. */
  unscanned: boolean;
}

export interface LoadOptions {
  tree: TreeReader;
  limits: Limits;
  issues: ParseIssue[];
  /** Rejects when the time budget is spent; every read races it. */
  timeout: Promise<never>;
}

const MAX_FILES = 64;
const MAX_NODES = 2_000_000;
const MAX_REF_ISSUES = 25;

/**
 * Scans the root document for `$ref`s, strips forbidden ones (reporting each
 * with its line) and loads the in-tree files they name, recursively, within
 * limits. Never throws.
 */
export async function loadSpecFiles(root: SpecFile, opts: LoadOptions): Promise<LoadResult> {
  const files = new Map<string, SpecFile>([[root.path, root]]);
  const refs: RefRecord[] = [];
  let incomplete = false;
  let unscanned = false;
  let timedOut = false;
  let totalBytes = 0;
  const depthOf = new Map<string, number>([[root.path, 0]]);
  const queue: SpecFile[] = [root];
  const reported = { count: 0 };
  const report = (issue: ParseIssue): void => {
    if (reported.count++ < MAX_REF_ISSUES) opts.issues.push(issue);
  };

  while (queue.length > 0) {
    const file = queue.shift()!;
    const { found, overflow } = scanAndSanitize(file, report);
    if (overflow) {
      unscanned = true;
      report({ file: file.path, level: 'warning', code: 'too-many-nodes', message: `document has more than ${MAX_NODES} objects; only part of it was scanned` });
    }
    refs.push(...found);
    for (const r of found) {
      if (r.target.kind !== 'tree' || files.has(r.target.path) || depthOf.has(r.target.path)) continue;
      const line = file.doc.lineOf([...r.at, '$ref']);
      const depth = depthOf.get(file.path)! + 1;
      if (depth > opts.limits.maxRefDepth || files.size >= MAX_FILES) {
        incomplete = true;
        report({ file: file.path, line, level: 'warning', code: 'ref-limit', message: `$ref "${clip(r.ref)}" not followed: more than ${files.size >= MAX_FILES ? `${MAX_FILES} files` : `${opts.limits.maxRefDepth} levels of files`}` });
        continue;
      }
      if (timedOut) {
        incomplete = true;
        break;
      }
      depthOf.set(r.target.path, depth);
      let text: string | undefined;
      try {
        text = await Promise.race([opts.tree.read(r.target.path), opts.timeout]);
      } catch (err) {
        if (err instanceof TimeoutError) {
          timedOut = true;
          incomplete = true;
          opts.issues.push({ file: root.path, level: 'error', code: 'parse-timeout', message: `reading referenced files ${err.message}; the model may be incomplete` });
          break;
        }
        text = undefined;
      }
      if (typeof text !== 'string') {
        report({ file: file.path, line, level: 'warning', code: 'ref-not-found', message: `$ref "${clip(r.ref)}": file ${clip(r.target.path)} is not in the repository` });
        continue;
      }
      const bytes = Buffer.byteLength(text, 'utf8');
      totalBytes += bytes;
      if (bytes > opts.limits.maxFileBytes || totalBytes > opts.limits.maxFileBytes * 4) {
        incomplete = true;
        report({ file: file.path, line, level: 'error', code: 'file-too-large', message: `$ref "${clip(r.ref)}": referenced files exceed the ${opts.limits.maxFileBytes}-byte limit` });
        continue;
      }
      const parsed = parseYaml(r.target.path, text, opts.limits);
      for (const issue of parsed.issues) report(issue);
      const doc = parsed.documents[0];
      if (!doc) continue;
      const loaded: SpecFile = { path: r.target.path, doc, value: doc.value };
      files.set(loaded.path, loaded);
      queue.push(loaded);
    }
    if (timedOut) break;
  }

  // Pointers are checked once every file is loaded, so a missing target is reported where it is written.
  for (const r of refs) {
    if (r.target.kind === 'forbidden') continue;
    const targetFile = r.target.kind === 'local' ? r.file : r.target.path;
    const spec = files.get(targetFile);
    if (!spec) continue; // already reported as not found / not followed
    const keys = pointerKeys(r.target.fragment);
    if (keys === undefined) continue; // `#anchor` style (3.1): left to the library
    if (walkPointer(spec.value, keys) === undefined) {
      const line = files.get(r.file)!.doc.lineOf([...r.at, '$ref']);
      report({ file: r.file, line, level: 'warning', code: 'ref-unresolved', message: `$ref "${clip(r.ref)}" points to nothing` });
    }
  }
  if (reported.count > MAX_REF_ISSUES) {
    opts.issues.push({ file: root.path, level: 'warning', code: 'ref-issues-truncated', message: `${reported.count - MAX_REF_ISSUES} further $ref problems not listed` });
  }
  return { files, refs, incomplete, unscanned, timedOut };
}

/**
 * Finds every `{ $ref: string }` (the same test the ref library applies, so it
 * is the exact set it would try to follow) and deletes forbidden `$ref` keys in
 * place, so every alias of a shared YAML node is cleaned too.
 */
function scanAndSanitize(file: SpecFile, report: (issue: ParseIssue) => void): { found: RefRecord[]; overflow: boolean } {
  const out: RefRecord[] = [];
  const seen = new Set<object>();
  let nodes = 0;
  const visit = (node: unknown, at: (string | number)[]): void => {
    if (typeof node !== 'object' || node === null || seen.has(node) || ++nodes > MAX_NODES) return;
    seen.add(node);
    if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, [...at, i]));
      return;
    }
    const obj = node as Record<string, unknown>;
    const ref = own(obj, '$ref');
    if (typeof ref === 'string') {
      const target = classifyRef(ref, file.path);
      out.push({ file: file.path, at, ref, target });
      if (target.kind === 'forbidden') {
        report({
          file: file.path,
          line: file.doc.lineOf([...at, '$ref']),
          level: 'error',
          code: 'forbidden-ref',
          message: `$ref "${clip(ref)}" not followed: ${target.reason}`,
        });
        delete obj.$ref;
      }
    }
    for (const key of Object.keys(obj)) {
      if (key === '__proto__') continue;
      visit(obj[key], [...at, key]);
    }
  };
  visit(file.value, []);
  return { found: out, overflow: nodes > MAX_NODES };
}

/** The resolved target of a `$ref`, with the file it lives in (for nested relative refs). */
export interface Resolved {
  value: unknown;
  file: string;
  /** The ref was followed but its target is missing or forbidden. */
  unresolved?: string;
}

/**
 * Our own bounded `$ref` resolver over the already-loaded files: the model is
 * always built with it (see README: swagger-parser's `circular: 'ignore'`
 * leaves every reference to a recursive schema unresolved).
 */
export class RefResolver {
  constructor(
    private readonly files: Map<string, SpecFile>,
    private readonly maxDepth: number,
  ) {}

  /** Follows a `$ref` chain starting at `node` (found in `file`). Non-ref nodes come back unchanged. */
  deref(node: unknown, file: string): Resolved {
    let current: Resolved = { value: node, file };
    for (let hops = 0; hops <= this.maxDepth; hops++) {
      if (!isObj(current.value)) return current;
      const ref = own(current.value, '$ref');
      if (typeof ref !== 'string') return current;
      const target = classifyRef(ref, current.file);
      if (target.kind === 'forbidden') return { ...current, unresolved: ref };
      const targetFile = target.kind === 'local' ? current.file : target.path;
      const spec = this.files.get(targetFile);
      const keys = pointerKeys(target.fragment);
      if (!spec || keys === undefined) return { ...current, unresolved: ref };
      const value = walkPointer(spec.value, keys);
      if (value === undefined) return { ...current, unresolved: ref };
      current = { value, file: targetFile };
    }
    return { ...current, unresolved: 'ref chain too deep' };
  }
}

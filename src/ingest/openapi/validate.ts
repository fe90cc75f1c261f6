// swagger-parser's entry point is CommonJS that `require`s this ESM package, which Node 20 accepts
// but Jest cannot load; so we drive the same engine (swagger-parser pins it at 15.3.6) directly
// and call swagger-parser's own validators.
import { $RefParser } from '@apidevtools/json-schema-ref-parser';
import validateSpec from '@apidevtools/swagger-parser/lib/validators/spec.js';
import type { ParseIssue } from '../../model/types.js';
import { RefResolver, type SpecFile } from './refs.js';
import { schemaErrors, type SchemaError } from './schema-validator.js';
import { clip, firstLine, isObj, TimeoutError } from './util.js';

/**
 * Runs swagger-parser's checks (dereference + schema/spec validation) over files we
 * already read and sanitised, and turns its complaints into warnings.
 *
 * Safety: the library only ever sees objects we parsed (never a string, which
 * it would treat as a path), deep clones (it mutates), and one resolver that
 * serves the pre-loaded files from memory. Its file and http resolvers are
 * disabled, so a `$ref` we failed to strip still cannot read a disk or a URL.
 */

const SCHEME = 'tree:';
/** Dereferenced specs share objects; validating an exponentially expanding graph would hang the (synchronous) validator. */
const MAX_EXPANDED_NODES = 300_000;
const MAX_VALIDATION_ISSUES = 10;

export interface ValidateInput {
  root: SpecFile;
  files: Map<string, SpecFile>;
  issues: ParseIssue[];
  /** Rejects when the time budget is spent. */
  timeout: Promise<never>;
  /** Our own scan already reported ref problems; do not repeat them through the library's error. */
  refProblemsReported: boolean;
  /** Backstop for the library's synchronous crawl, which it checks itself. */
  timeoutMs: number;
  maxRefDepth: number;
}

export async function validateWithLibrary(input: ValidateInput): Promise<void> {
  const { root, files, issues } = input;
  // With `circular: 'ignore'` the library re-crawls shared targets, so its work grows with the
  // fully expanded document (8 refs x 8 levels = 10 s). Measure that first, in linear time.
  const expanded = expandedRefSize(root, files, input.maxRefDepth, MAX_EXPANDED_NODES);
  if (expanded > MAX_EXPANDED_NODES) {
    issues.push({ file: root.path, level: 'warning', code: 'validation-skipped', message: `OpenAPI validation skipped: with its $refs expanded the document has more than ${MAX_EXPANDED_NODES} nodes` });
    return;
  }
  const base = `${SCHEME}///${root.path.split('/').map(encodeURIComponent).join('/')}`;
  const options = {
    resolve: {
      file: false,
      http: false,
      external: true,
      threatdiffTree: {
        order: 1,
        canRead: (file: { url: string }) => file.url.startsWith(`${SCHEME}///`),
        read: (file: { url: string }) => {
          const path = treePath(file.url);
          const spec = path === undefined ? undefined : files.get(path);
          if (!spec) throw new Error(`not a loaded file of this tree: ${clip(file.url)}`);
          return structuredClone(spec.value);
        },
      },
    },
    parse: {
      json: false,
      yaml: false,
      text: false,
      binary: false,
      // Values come pre-parsed (by our YAML reader, with alias limits).
      threatdiffValue: { order: 1, allowEmpty: true, canParse: true, parse: (file: { data: unknown }) => file.data },
    },
    dereference: { circular: 'ignore' as const },
    timeoutMs: input.timeoutMs,
  };

  let api: unknown;
  try {
    const parser = new $RefParser();
    // Always three arguments: with two, the library takes the object for options and *reads the path*.
    api = await Promise.race([parser.dereference(base, structuredClone(root.value) as never, options as never), input.timeout]);
  } catch (err) {
    if (err instanceof TimeoutError || (err as { name?: unknown }).name === 'TimeoutError') {
      issues.push({ file: root.path, level: 'warning', code: 'parse-timeout', message: `OpenAPI validation stopped: took longer than ${input.timeoutMs} ms` });
      return;
    }
    if (!input.refProblemsReported) {
      issues.push({ file: root.path, level: 'warning', code: 'openapi-invalid', message: `OpenAPI document could not be dereferenced: ${libraryMessage(err)}` });
    }
    return;
  }

  if (expandedSize(api, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES) {
    issues.push({ file: root.path, level: 'warning', code: 'validation-skipped', message: `OpenAPI validation skipped: the dereferenced document expands to more than ${MAX_EXPANDED_NODES} nodes` });
    return;
  }
  try {
    const errors = isObj(api) ? schemaErrors(api) : [];
    if (errors.length > 0) issues.push(...schemaIssues(errors, root));
  } catch (err) {
    issues.push({ file: root.path, level: 'warning', code: 'openapi-invalid', message: `OpenAPI schema validation failed: ${libraryMessage(err)}` });
  }
  try {
    validateSpec(api);
  } catch (err) {
    issues.push({ file: root.path, level: 'warning', code: 'openapi-invalid', message: `OpenAPI spec check: ${libraryMessage(err).replace(/^Validation failed\.\s*/, '')}` });
  }
}

function treePath(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== SCHEME || parsed.host !== '') return undefined;
    return parsed.pathname
      .slice(1)
      .split('/')
      .map((s) => decodeURIComponent(s))
      .join('/');
  } catch {
    return undefined;
  }
}

function schemaIssues(errors: SchemaError[], root: SpecFile): ParseIssue[] {
  const out: ParseIssue[] = [];
  const seen = new Set<string>();
  for (const d of errors) {
    const path = d.instancePath ?? '';
    if (seen.has(path)) continue;
    seen.add(path);
    if (out.length >= MAX_VALIDATION_ISSUES) {
      out.push({ file: root.path, level: 'warning', code: 'openapi-invalid', message: `OpenAPI schema: further validation errors not listed` });
      break;
    }
    const keys = path === '' ? [] : path.slice(1).split('/').map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const extra = d.params?.additionalProperty ? ` ("${clip(d.params.additionalProperty, 60)}")` : '';
    out.push({
      file: root.path,
      line: root.doc.lineOf(keys),
      level: 'warning',
      code: 'openapi-invalid',
      message: `OpenAPI schema: ${clip(path || '/', 120)} ${clip(d.message ?? 'is invalid', 120)}${extra}`,
    });
  }
  return out;
}

function libraryMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return clip(firstLine(message).split(`${SCHEME}///`).join(''), 240);
}

/**
 * Size of the document with every `$ref` expanded (cycles counted once),
 * computed with memoisation so it is linear in the size of the files; capped at `cap`.
 */
function expandedRefSize(root: SpecFile, files: Map<string, SpecFile>, maxRefDepth: number, cap: number): number {
  const resolver = new RefResolver(files, maxRefDepth);
  const memo = new Map<object, number>();
  const onStack = new Set<object>();
  const size = (node: unknown, file: string): number => {
    const r = resolver.deref(node, file);
    const value = r.value;
    if (typeof value !== 'object' || value === null) return 1;
    const known = memo.get(value);
    if (known !== undefined) return known;
    if (onStack.has(value)) return 1;
    onStack.add(value);
    let total = 1;
    for (const child of Object.values(value)) {
      total = Math.min(cap + 1, total + size(child, r.file));
      if (total > cap) break;
    }
    onStack.delete(value);
    memo.set(value, total);
    return total;
  };
  return size(root.value, root.path);
}

/** Counts nodes as a validator would visit them (shared objects count each time), stopping at `limit`. */
function expandedSize(root: unknown, limit: number): number {
  let count = 0;
  const onPath = new Set<object>();
  const visit = (node: unknown): void => {
    if (count > limit || typeof node !== 'object' || node === null || onPath.has(node)) return;
    count++;
    onPath.add(node);
    for (const child of Array.isArray(node) ? node : isObj(node) ? Object.values(node) : []) {
      visit(child);
      if (count > limit) break;
    }
    onPath.delete(node);
  };
  visit(root);
  return count;
}

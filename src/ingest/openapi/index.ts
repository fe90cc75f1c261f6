import type { Fragment, ParseContext, ParseIssue, Parser } from '../../model/types.js';
import { parseYaml } from '../yaml.js';
import { buildModel } from './model.js';
import { loadSpecFiles, RefResolver, type SpecFile } from './refs.js';
import { clip, deadline, firstLine, isObj, own, scalarString } from './util.js';
import { validateWithLibrary } from './validate.js';

/**
 * OpenAPI 3.x and Swagger 2.0 documents → one `api` element, one `operation`
 * element per method + path, `serves` edges, an internet exposure edge for
 * public servers and an `api-attach` ref. Attribute keys: ./README.md.
 */
export const openapiParser: Parser = {
  id: 'openapi',
  version: '2',
  detect: detectOpenApi,
  parse: parseOpenApi,
};

const YAML_OPENAPI = /^["']?openapi["']?[ \t]*:[ \t]*["']?3\.\d+(?:\.\d+)?(?:-[\w.]+)?["']?[ \t]*(?:#.*)?$/m;
const YAML_SWAGGER = /^["']?swagger["']?[ \t]*:[ \t]*["']?2\.0["']?[ \t]*(?:#.*)?$/m;
const JSON_KEY_HINT = /"(?:openapi|swagger)"\s*:/;

/** Cheap check: YAML/JSON file with a top-level `openapi: 3.x` or `swagger: "2.0"` key. */
export function detectOpenApi(path: string, content: string): boolean {
  const lower = path.toLowerCase();
  if (!lower.endsWith('.yaml') && !lower.endsWith('.yml') && !lower.endsWith('.json')) return false;
  const trimmed = content.replace(/^\uFEFF/, '').trimStart();
  if (trimmed.startsWith('{')) return JSON_KEY_HINT.test(content) && jsonTopLevelVersion(trimmed);
  if (lower.endsWith('.json')) return false;
  if (YAML_OPENAPI.test(content) || YAML_SWAGGER.test(content)) return true;
  // A document indented as a whole (as some examples are) has its top-level keys at the first line's indent.
  const indent = /^([ \t]*)[^\s#]/m.exec(content)?.[1];
  if (!indent) return false;
  const unindented = content.split('\n').map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l)).join('\n');
  return YAML_OPENAPI.test(unindented) || YAML_SWAGGER.test(unindented);
}

/** Scans a JSON text for an `openapi`/`swagger` key at depth 1 (not inside a nested object). */
function jsonTopLevelVersion(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (depth !== 1) continue;
      const key = text.slice(start + 1, i);
      if (key !== 'openapi' && key !== 'swagger') continue;
      const rest = /^\s*:\s*"([^"]*)"/.exec(text.slice(i + 1, i + 64));
      if (!rest) continue;
      if (key === 'openapi' ? /^3\.\d/.test(rest[1]!) : rest[1] === '2.0') return true;
    }
  }
  return false;
}

export async function parseOpenApi(path: string, content: string, ctx: ParseContext): Promise<Fragment> {
  const fragment: Fragment = { file: path, format: 'openapi', elements: [], edges: [], refs: [], issues: [] };
  try {
    await parseInto(fragment, path, content, ctx);
  } catch (err) {
    // Bugs must not take the whole run down; the file is reported instead.
    fragment.issues.push({ file: path, level: 'error', code: 'internal-error', message: `OpenAPI parser failed: ${clip(firstLine(err instanceof Error ? err.message : String(err)))}` });
  }
  return fragment;
}

const REF_PROBLEMS = new Set(['forbidden-ref', 'ref-not-found', 'ref-unresolved', 'ref-limit', 'file-too-large']);

async function parseInto(fragment: Fragment, path: string, content: string, ctx: ParseContext): Promise<void> {
  const { limits } = ctx;
  const issues: ParseIssue[] = fragment.issues;
  const bytes = Buffer.byteLength(content, 'utf8');
  if (bytes > limits.maxFileBytes) {
    issues.push({ file: path, level: 'error', code: 'file-too-large', message: `file is ${bytes} bytes, above the ${limits.maxFileBytes}-byte limit` });
    return;
  }
  const parsed = parseYaml(path, content, limits);
  issues.push(...parsed.issues);
  const isSpec = (v: unknown): boolean => isObj(v) && (own(v, 'openapi') !== undefined || own(v, 'swagger') !== undefined);
  const doc = parsed.documents.find((d) => isSpec(d.value)) ?? parsed.documents[0];
  if (!doc) return;
  if (parsed.documents.length > 1) {
    issues.push({ file: path, line: doc.line, level: 'warning', code: 'multiple-documents', message: 'the file holds several YAML documents; only this one is read as OpenAPI' });
  }
  const value = doc.value;
  if (!isObj(value) || !isSpec(value)) {
    issues.push({ file: path, line: doc.line, level: 'skipped', code: 'not-openapi', message: 'no top-level openapi or swagger key' });
    return;
  }
  const swagger = own(value, 'swagger');
  const openapi = scalarString(own(value, 'openapi'));
  let supported = false;
  if (swagger !== undefined && scalarString(swagger) !== '2.0' && swagger !== 2) {
    issues.push({ file: path, line: doc.lineOf(['swagger']), level: 'warning', code: 'openapi-unsupported-version', message: `swagger version ${clip(String(scalarString(swagger)), 20)} is not 2.0; read as 2.0` });
  } else if (swagger === undefined && !/^3\.[01](\.|$)/.test(openapi ?? '')) {
    issues.push({ file: path, line: doc.lineOf(['openapi']), level: 'warning', code: 'openapi-unsupported-version', message: `openapi version ${clip(String(openapi), 20)} is not 3.0 or 3.1; read as 3.x` });
  } else {
    supported = true;
  }

  const root: SpecFile = { path, doc, value };
  const timer = deadline(limits.parseTimeoutMs);
  try {
    const loaded = await loadSpecFiles(root, { tree: ctx.tree, limits, issues, timeout: timer.promise });
    // The library rejects versions it does not know; the version warning above already says so.
    if (supported && !loaded.unscanned && !loaded.timedOut) {
      await validateWithLibrary({
        root,
        files: loaded.files,
        issues,
        timeout: timer.promise,
        refProblemsReported: issues.some((i) => REF_PROBLEMS.has(i.code)),
        timeoutMs: limits.parseTimeoutMs,
        maxRefDepth: limits.maxRefDepth,
      });
    }
    const built = buildModel(path, root, new RefResolver(loaded.files, limits.maxRefDepth), issues);
    fragment.elements.push(...built.elements);
    fragment.edges.push(...built.edges);
    fragment.refs.push(...built.refs);
  } finally {
    timer.cancel();
  }
}

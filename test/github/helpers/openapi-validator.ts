import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';

/**
 * Checks requests against GitHub's own REST description (@octokit/openapi):
 * the method and path must name an operation, query parameters must be ones
 * it declares, and a JSON body must validate against its requestBody schema.
 * A field GitHub would reject fails our tests first.
 */

interface Operation {
  method: string;
  template: string;
  regex: RegExp;
  /** Literal characters in the template: the most specific template wins (`/pulls/comments` over `/pulls/{pull_number}`). */
  specificity: number;
  query: Set<string>;
  bodySchema?: unknown;
  validate?: ValidateFunction;
}

interface Spec {
  paths: Record<string, Record<string, { parameters?: ParamOrRef[]; requestBody?: { content?: Record<string, { schema?: unknown }> } }>>;
  components: { parameters: Record<string, Param> };
}
type Param = { name: string; in: string; 'x-multi-segment'?: boolean };
type ParamOrRef = Param | { $ref: string };

const SPEC_ID = 'https://threatdiff.test/github-rest.json';
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

let shared: OpenApiValidator | undefined;

export class OpenApiValidator {
  private readonly ops: Operation[] = [];
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });

  constructor(spec: Spec) {
    // Component schemas are added once; request bodies point into them by absolute id.
    this.ajv.addSchema({ $id: SPEC_ID, components: toJsonSchema(spec.components) }, SPEC_ID);
    for (const [template, item] of Object.entries(spec.paths)) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        const params = (op.parameters ?? []).map((p) => resolveParam(spec, p));
        const multi = new Set(params.filter((p) => p.in === 'path' && p['x-multi-segment']).map((p) => p.name));
        const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, name: string) => (multi.has(name) ? '(.+)' : '([^/]+)'));
        this.ops.push({
          method: method.toUpperCase(),
          template,
          regex: new RegExp(`^${pattern}$`),
          specificity: template.replace(/\{[^}]+\}/g, '').length,
          query: new Set(params.filter((p) => p.in === 'query').map((p) => p.name)),
          bodySchema: op.requestBody?.content?.['application/json']?.schema,
        });
      }
    }
  }

  /** The validator over node_modules/@octokit/openapi (api.github.com), loaded once per test file. */
  static github(): OpenApiValidator {
    if (!shared) {
      const require = createRequire(import.meta.url);
      const path = require.resolve('@octokit/openapi/generated/api.github.com.json');
      shared = new OpenApiValidator(JSON.parse(readFileSync(path, 'utf8')) as Spec);
    }
    return shared;
  }

  /** The operation a request names, or undefined. */
  match(method: string, path: string): Operation | undefined {
    const pathname = path.split('?')[0]!;
    return this.ops.filter((o) => o.method === method.toUpperCase() && o.regex.test(pathname)).sort((a, b) => b.specificity - a.specificity)[0];
  }

  /** Problems with one request, as readable lines; empty when GitHub would accept its shape. */
  check(method: string, path: string, body: unknown): string[] {
    const op = this.match(method, path);
    const where = `${method.toUpperCase()} ${path}`;
    if (!op) return [`${where}: no such operation in GitHub's REST description`];
    const problems: string[] = [];
    const query = new URL(path, 'https://api.github.test').searchParams;
    for (const key of new Set(query.keys())) if (!op.query.has(key)) problems.push(`${where}: query parameter "${key}" is not declared by ${op.method} ${op.template}`);
    const parsed = typeof body === 'string' && body.length > 0 ? safeJson(body) : body === '' ? undefined : body;
    if (parsed === undefined || (typeof parsed === 'object' && parsed !== null && Object.keys(parsed).length === 0 && !op.bodySchema)) return problems;
    if (!op.bodySchema) return [...problems, `${where}: sends a body but ${op.method} ${op.template} takes none`];
    try {
      op.validate ??= this.ajv.compile(toJsonSchema(absoluteRefs(op.bodySchema)) as object);
    } catch (err) {
      // Never throw from here: it runs inside nock, where an exception hangs the request.
      return [...problems, `${where}: could not compile the schema of ${op.method} ${op.template}: ${(err as Error).message}`];
    }
    if (!op.validate(parsed)) {
      for (const e of op.validate.errors ?? []) problems.push(`${where}: body${e.instancePath || ''} ${e.message ?? 'is invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
    }
    return problems;
  }
}

function resolveParam(spec: Spec, p: ParamOrRef): Param {
  if ('$ref' in p) return spec.components.parameters[p.$ref.replace('#/components/parameters/', '')]!;
  return p;
}

function absoluteRefs(schema: unknown): object {
  return JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, `"${SPEC_ID}#/components/`)) as object;
}

/**
 * OpenAPI 3.0 → JSON Schema where Ajv needs it: `nullable: true` becomes a
 * `null` alternative (GitHub's description uses it beside `oneOf`/`allOf`
 * without a `type`, which Ajv's own `nullable` support rejects).
 */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) if (k !== 'nullable') out[k] = toJsonSchema(v);
  if ((node as { nullable?: unknown }).nullable !== true) return out;
  if (typeof out.type === 'string') return { ...out, type: [out.type, 'null'] };
  return { anyOf: [out, { type: 'null' }] };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

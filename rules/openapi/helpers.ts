import type { RuleContext } from '../../src/model/graph.js';
import type { Element, SourceLocation } from '../../src/model/types.js';
import type { ParameterSummary, RequestBodySummary, ResponseSummary } from '../../src/ingest/openapi/model.js';
import type { PropertySummary } from '../../src/ingest/openapi/schema.js';
import type { NormalizedScheme, SecurityRequirement } from '../../src/ingest/openapi/security.js';
import type { ServerSummary } from '../../src/ingest/openapi/servers.js';
import { indexesOf } from '../../src/analysis/indexes.js';

/**
 * Typed views over the attributes the OpenAPI parser writes
 * (src/ingest/openapi/README.md) and the name heuristics the API rules share.
 */

export interface Operation {
  el: Element;
  api: Element | undefined;
  method: string;
  path: string;
  security: SecurityRequirement;
  allowsAnonymous: boolean;
  parameters: ParameterSummary[];
  requestBody: RequestBodySummary | null;
  responses: ResponseSummary[];
  servers: ServerSummary[];
  extensions: Record<string, unknown>;
  extensionKeys: string[];
}

interface Index {
  operations: Operation[];
  /** API element id -> its operations, in graph order. */
  byApi: Map<string, Operation[]>;
}

/** Typed views of the operations, built once per graph (src/analysis/indexes.ts) and shared by the API rules. */
function index(ctx: RuleContext): Index {
  return indexesOf(ctx.graph).memo('openapi:operations', () => {
    const built: Index = { operations: [], byApi: new Map() };
    for (const el of indexesOf(ctx.graph).openapi.operations) {
      const a = el.attrs;
      const op: Operation = {
        el,
        api: typeof a.api === 'string' ? ctx.graph.elements.get(a.api) : undefined,
        method: String(a.method ?? ''),
        path: String(a.path ?? ''),
        security: (a.security as SecurityRequirement | undefined) ?? [],
        allowsAnonymous: a.allowsAnonymous === true,
        parameters: (a.parameters as ParameterSummary[] | undefined) ?? [],
        requestBody: (a.requestBody as RequestBodySummary | null | undefined) ?? null,
        responses: (a.responses as ResponseSummary[] | undefined) ?? [],
        servers: (a.servers as ServerSummary[] | undefined) ?? [],
        extensions: (a.extensions as Record<string, unknown> | undefined) ?? {},
        extensionKeys: (a.extensionKeys as string[] | undefined) ?? [],
      };
      built.operations.push(op);
      if (op.api) {
        const list = built.byApi.get(op.api.id);
        if (list) list.push(op);
        else built.byApi.set(op.api.id, [op]);
      }
    }
    return built;
  });
}

/** Every OpenAPI operation of the graph, in graph order (shared: do not mutate). */
export function operations(ctx: RuleContext): readonly Operation[] {
  return index(ctx).operations;
}

export function apis(ctx: RuleContext): readonly Element[] {
  return indexesOf(ctx.graph).openapi.apis;
}

/** The operations of one API, in graph order (shared: do not mutate). */
/** `METHOD /path` of the API's operations whose effective security names `scheme`. */
export function operationsUsingScheme(ctx: RuleContext, api: Element, scheme: string): string[] {
  return operationsOf(ctx, api)
    .filter((op) => op.security.some((alt) => alt.some((e) => e.scheme === scheme)))
    .map((op) => `${op.method} ${op.path}`);
}

export function operationsOf(ctx: RuleContext, api: Element): readonly Operation[] {
  return index(ctx).byApi.get(api.id) ?? [];
}

export function schemesOf(api: Element | undefined): Record<string, NormalizedScheme> {
  return (api?.attrs.securitySchemes as Record<string, NormalizedScheme> | undefined) ?? {};
}

export function serversOf(api: Element): ServerSummary[] {
  return (api.attrs.allServers as ServerSummary[] | undefined) ?? (api.attrs.servers as ServerSummary[] | undefined) ?? [];
}

/** File and line of an element attribute (`lines[key]`), else of the element. */
export function at(el: Element, key?: string): SourceLocation {
  const line = key ? el.lines?.[key] : undefined;
  return { file: el.location.file, line: line ?? el.location.line };
}

/** `GET /pets (Swagger Petstore)`. */
export function label(op: Operation): string {
  const title = op.api ? String(op.api.attrs.title || op.api.name) : '';
  return title ? `${op.method} ${op.path} (${title})` : `${op.method} ${op.path}`;
}

export const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The document author says the operation is public on purpose (`x-threatdiff-public: true`). */
export function declaredPublic(op: Operation): boolean {
  return op.extensions['x-threatdiff-public'] === true;
}

/** Last segment of a flattened field name, lower case without separators: `user.access_token` → `accesstoken`. */
export function leaf(name: string): string {
  return remember(LEAVES, name, () => {
    const last = name.split('.').pop() ?? name;
    return last.replace(/\[\]$/g, '').replace(/[_\-\s]/g, '').toLowerCase();
  });
}

/**
 * Answers of the pure name and path helpers, by input: every rule asks them
 * about every field and path of every operation, and monorepo APIs repeat
 * the same names. Bounded, since the inputs come from the analysed files.
 */
const LEAVES = new Map<string, string>();
const AUTH_FLOWS = new Map<string, boolean>();

function remember<T>(cache: Map<string, T>, key: string, compute: () => T): T {
  let v = cache.get(key);
  if (v === undefined) {
    v = compute();
    if (cache.size >= 50_000) cache.clear();
    cache.set(key, v);
  }
  return v;
}

/** Paths whose whole point is to be called before having credentials. */
const AUTH_FLOW = /(^|\/)(login|logout|signin|sign-in|sign_in|signup|sign-up|sign_up|register|registration|token|tokens|oauth2?|authorize|auth|authenticate|session|sessions|forgot-password|forget-password|forgot_password|reset-password|reset_password|password-reset|verify-email|check-otp|verify-otp|otp|refresh|callback|\.well-known)(\/|$)/i;

export function isAuthFlow(path: string): boolean {
  return remember(AUTH_FLOWS, path, () => AUTH_FLOW.test(path.replace(/\{[^}]*\}/g, 'x')));
}

/** Operational endpoints load balancers and probes call without credentials. */
const OPERATIONAL = /^\/?(?:[^/]+\/)*(health|healthz|healthcheck|health-check|livez|readyz|liveness|readiness|ping|status|version|openapi\.json|openapi\.yaml|swagger\.json|swagger\.yaml|api-docs|docs)\/?$/i;

export function isOperational(path: string): boolean {
  return OPERATIONAL.test(path);
}

/** Request-side fields: not readOnly (readOnly fields are ignored by the server on input). */
export function inputFields(op: Operation): PropertySummary[] {
  return (op.requestBody?.properties ?? []).filter((p) => !p.readOnly);
}

export function isSuccess(status: string): boolean {
  return /^2\d\d$|^2XX$/i.test(status);
}

export function isError(status: string): boolean {
  return /^[45]\d\d$|^[45]XX$/i.test(status) || status === 'default';
}

export function short(list: string[], max = 5): string {
  return list.length <= max ? list.join(', ') : `${list.slice(0, max).join(', ')} and ${list.length - max} more`;
}

import type { Edge, Element, ParseIssue, Ref, TriState } from '../../model/types.js';
import type { RefResolver, SpecFile } from './refs.js';
import { describeSchema, flattenSchema, type PropertySummary } from './schema.js';
import { allowsAnonymous, normalizeRequirement, normalizeScheme, type NormalizedScheme, type SecurityRequirement } from './security.js';
import { serversV2, serversV3, uniqueServers, type ServerSummary } from './servers.js';
import { clip, compact, dirname, entries, isObj, own, scalarString, str, strings, type Obj } from './util.js';

/** Attribute shapes; documented in ./README.md. */
export interface ParameterSummary {
  name: string;
  in: string;
  required: boolean;
  deprecated?: boolean;
  type?: string;
  format?: string;
  maxLength?: number;
  maxItems?: number;
  maximum?: number;
  pattern?: string;
  enumCount?: number;
}

export interface RequestBodySummary {
  required: boolean;
  contentTypes: string[];
  properties: PropertySummary[];
  truncated?: boolean;
}

export interface ResponseSummary {
  status: string;
  contentTypes: string[];
  headers: string[];
  properties: Pick<PropertySummary, 'name' | 'type' | 'format' | 'writeOnly' | 'maxItems'>[];
}

export const INTERNET = 'actor:internet';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const MAX_OPERATIONS = 2000;
const MAX_PARAMETERS = 100;
const MAX_RESPONSES = 50;
const MAX_EXTENSION_CHARS = 2000;
const RELEVANT_EXTENSION = /^x-(threatdiff-|amazon-apigateway-)/;

interface Built {
  elements: Element[];
  edges: Edge[];
  refs: Ref[];
}

interface ServerWithLine {
  server: ServerSummary;
  line: number;
}

/** Builds elements, edges and refs from the root document (refs resolved through `resolver`). */
export function buildModel(file: string, root: SpecFile, resolver: RefResolver, issues: ParseIssue[]): Built {
  const doc = root.value as Obj;
  const lineOf = (path: (string | number)[]): number => root.doc.lineOf(path);
  const deref = (node: unknown, from = file): { value: unknown; file: string } => resolver.deref(node, from);
  const swagger2 = own(doc, 'swagger') !== undefined;
  const specVersion = scalarString(own(doc, 'swagger') ?? own(doc, 'openapi')) ?? '';

  // Identity: the title, never the file name (unless there is no title).
  const info = deref(own(doc, 'info')).value;
  const title = isObj(info) ? scalarString(own(info, 'title'))?.trim() : undefined;
  let apiId: string;
  if (title) {
    apiId = `openapi:${title}`;
  } else {
    apiId = `openapi:${file}`;
    issues.push({ file, line: lineOf(['info']), level: 'warning', code: 'missing-title', message: `OpenAPI document has no info.title; its identity falls back to the file path` });
  }
  const apiLocation = { file, line: title ? lineOf(['info', 'title']) : root.doc.line };

  // Security schemes.
  const schemesPath = swagger2 ? ['securityDefinitions'] : ['components', 'securitySchemes'];
  const components = deref(own(doc, 'components')).value;
  const schemesRaw = swagger2 ? own(doc, 'securityDefinitions') : isObj(components) ? own(components, 'securitySchemes') : undefined;
  const securitySchemes: Record<string, NormalizedScheme> = {};
  for (const [name, raw] of entries(deref(schemesRaw).value)) securitySchemes[name] = normalizeScheme(deref(raw).value, swagger2);

  const unknownReported = new Set<string>();
  const requirement = (value: unknown, at: (string | number)[]): SecurityRequirement =>
    normalizeRequirement(value, securitySchemes, (name, index) => {
      if (unknownReported.has(name)) return;
      unknownReported.add(name);
      issues.push({ file, line: lineOf([...at, index]), level: 'warning', code: 'unknown-security-scheme', message: `security requirement names "${clip(name, 80)}", which is not a declared security scheme` });
    });
  const globalSecurityRaw = own(doc, 'security');
  const globalSecurity = Array.isArray(globalSecurityRaw) ? requirement(globalSecurityRaw, ['security']) : undefined;

  // Servers, each with the line it is declared on.
  const globalServers: ServerWithLine[] = swagger2
    ? serversV2(doc, undefined, 'document').map((server) => ({ server, line: lineOf([own(doc, 'host') !== undefined ? 'host' : 'basePath']) }))
    : serversV3(own(doc, 'servers'), 'document').map((server, i) => ({ server, line: lineOf(['servers', i]) }));
  const allServers: ServerWithLine[] = [...globalServers];

  const serviceHint = scalarString(own(doc, 'x-threatdiff-service')) ?? (isObj(info) ? scalarString(own(info, 'x-threatdiff-service')) : undefined);
  const directory = dirname(file);
  const consumes = strings(own(doc, 'consumes'));
  const produces = strings(own(doc, 'produces'));

  const elements: Element[] = [];
  const edges: Edge[] = [];
  let operationCount = 0;
  let truncatedOps = false;

  for (const [p, rawItem] of entries(own(doc, 'paths'))) {
    if (!p.startsWith('/')) continue; // `x-` extensions of the Paths object
    const item = deref(rawItem);
    if (!isObj(item.value)) continue;
    const pathItem = item.value;
    const methods: readonly string[] = specVersion.startsWith('3.2') ? [...METHODS, 'query'] : METHODS;
    for (const method of methods) {
      const rawOp = own(pathItem, method);
      if (!isObj(rawOp)) continue;
      if (operationCount >= MAX_OPERATIONS) {
        truncatedOps = true;
        break;
      }
      operationCount++;
      const opPath = ['paths', p, method];
      const op = rawOp;
      const opFile = item.file;
      const METHOD = method.toUpperCase();
      const opId = `${apiId}#${METHOD} ${p}`;
      const opLine = lineOf(opPath);
      const lines: Record<string, number> = {};

      // Security: the operation's own list wins, `[]` included.
      const opSecurityRaw = own(op, 'security');
      let security: SecurityRequirement;
      let securitySource: 'operation' | 'document' | 'none';
      if (Array.isArray(opSecurityRaw)) {
        security = requirement(opSecurityRaw, [...opPath, 'security']);
        securitySource = 'operation';
        lines['security'] = lineOf([...opPath, 'security']);
      } else if (globalSecurity) {
        security = globalSecurity;
        securitySource = 'document';
        lines['security'] = lineOf(['security']);
      } else {
        security = [];
        securitySource = 'none';
        lines['security'] = opLine;
      }

      // Parameters: path-level ones, overridden by operation-level ones with the same name + location.
      const params = new Map<string, { param: Obj; file: string; line: number }>();
      const bodyParams: { param: Obj; file: string; line: number }[] = [];
      const collect = (list: unknown, listFile: string, at: (string | number)[]): void => {
        if (!Array.isArray(list)) return;
        list.slice(0, MAX_PARAMETERS).forEach((raw, i) => {
          const r = deref(raw, listFile);
          if (!isObj(r.value)) return;
          const name = scalarString(own(r.value, 'name'));
          const where = str(own(r.value, 'in'));
          if (name === undefined || where === undefined) return;
          const entry = { param: r.value, file: r.file, line: lineOf([...at, i]) };
          if (swagger2 && (where === 'body' || where === 'formData')) {
            const existing = bodyParams.findIndex((b) => own(b.param, 'name') === name && own(b.param, 'in') === where);
            if (existing >= 0) bodyParams.splice(existing, 1);
            bodyParams.push(entry);
          } else {
            params.set(`${where}\u0000${name}`, entry);
          }
        });
      };
      collect(own(pathItem, 'parameters'), item.file, ['paths', p, 'parameters']);
      collect(own(op, 'parameters'), opFile, [...opPath, 'parameters']);
      const parameters: ParameterSummary[] = [];
      for (const { param, file: pf, line } of params.values()) {
        const name = scalarString(own(param, 'name'))!;
        const where = str(own(param, 'in'))!;
        lines[`parameters.${name}`] = line;
        const schema = swagger2 ? param : parameterSchema(param);
        const d = describeSchema(schema, pf, resolver);
        parameters.push(
          compact({
            name,
            in: where,
            required: where === 'path' || own(param, 'required') === true,
            deprecated: own(param, 'deprecated') === true || undefined,
            type: d.type,
            format: d.format,
            maxLength: d.maxLength,
            maxItems: d.maxItems,
            maximum: d.maximum,
            pattern: d.pattern,
            enumCount: d.enumCount,
          }),
        );
      }
      if (own(op, 'parameters') !== undefined) lines['parameters'] = lineOf([...opPath, 'parameters']);

      // Request body.
      let requestBody: RequestBodySummary | null = null;
      if (swagger2) {
        const body = bodyParams.find((b) => own(b.param, 'in') === 'body');
        const form = bodyParams.filter((b) => own(b.param, 'in') === 'formData');
        const opConsumes = Array.isArray(own(op, 'consumes')) ? strings(own(op, 'consumes')) : consumes;
        if (body) {
          const flat = flattenSchema(own(body.param, 'schema'), body.file, resolver);
          requestBody = compact({ required: own(body.param, 'required') === true, contentTypes: opConsumes, properties: flat.properties, truncated: flat.truncated || undefined });
          lines['requestBody'] = body.line;
        } else if (form.length > 0) {
          const properties: PropertySummary[] = form.map((f) => ({
            name: scalarString(own(f.param, 'name'))!,
            ...describeSchema(f.param, f.file, resolver),
            ...(own(f.param, 'required') === true ? { required: true } : {}),
          }));
          const hasFile = form.some((f) => own(f.param, 'type') === 'file');
          requestBody = {
            required: form.some((f) => own(f.param, 'required') === true),
            contentTypes: opConsumes.length > 0 ? opConsumes : [hasFile ? 'multipart/form-data' : 'application/x-www-form-urlencoded'],
            properties,
          };
          lines['requestBody'] = form[0]!.line;
        }
      } else if (own(op, 'requestBody') !== undefined) {
        const rb = deref(own(op, 'requestBody'), opFile);
        if (isObj(rb.value)) {
          const content = deref(own(rb.value, 'content'), rb.file);
          const media = mediaSchemas(content.value, content.file, deref);
          const merged = mergeFlattened(media.map((m) => flattenSchema(m.schema, m.file, resolver)));
          requestBody = compact({
            required: own(rb.value, 'required') === true,
            contentTypes: entries(content.value).map(([k]) => k),
            properties: merged.properties,
            truncated: merged.truncated || undefined,
          });
        }
        lines['requestBody'] = lineOf([...opPath, 'requestBody']);
      }

      // Responses.
      const responses: ResponseSummary[] = [];
      const opProduces = Array.isArray(own(op, 'produces')) ? strings(own(op, 'produces')) : produces;
      for (const [status, rawResponse] of entries(deref(own(op, 'responses'), opFile).value).slice(0, MAX_RESPONSES)) {
        if (status.startsWith('x-')) continue;
        const r = deref(rawResponse, opFile);
        if (!isObj(r.value)) continue;
        const headers = entries(own(r.value, 'headers')).map(([h]) => h);
        let contentTypes: string[];
        let flat;
        if (swagger2) {
          const schema = own(r.value, 'schema');
          contentTypes = schema === undefined ? [] : opProduces;
          flat = schema === undefined ? { properties: [], truncated: false } : flattenSchema(schema, r.file, resolver);
        } else {
          const content = deref(own(r.value, 'content'), r.file);
          contentTypes = entries(content.value).map(([k]) => k);
          flat = mergeFlattened(mediaSchemas(content.value, content.file, deref).map((m) => flattenSchema(m.schema, m.file, resolver)));
        }
        responses.push({
          status,
          contentTypes,
          headers,
          properties: flat.properties.map((prop) => compact({ name: prop.name, type: prop.type, format: prop.format, writeOnly: prop.writeOnly, maxItems: prop.maxItems })),
        });
        lines[`responses.${status}`] = lineOf([...opPath, 'responses', status]);
      }
      if (own(op, 'responses') !== undefined) lines['responses'] = lineOf([...opPath, 'responses']);

      // Servers: operation, then path item, then document.
      let servers: ServerWithLine[];
      if (swagger2 && Array.isArray(own(op, 'schemes'))) {
        servers = serversV2(doc, own(op, 'schemes'), 'operation').map((server) => ({ server, line: lineOf([...opPath, 'schemes']) }));
        lines['servers'] = lineOf([...opPath, 'schemes']);
      } else if (!swagger2 && Array.isArray(own(op, 'servers'))) {
        servers = serversV3(own(op, 'servers'), 'operation').map((server, i) => ({ server, line: lineOf([...opPath, 'servers', i]) }));
        lines['servers'] = lineOf([...opPath, 'servers']);
      } else if (!swagger2 && Array.isArray(own(pathItem, 'servers'))) {
        servers = serversV3(own(pathItem, 'servers'), 'path').map((server, i) => ({ server, line: lineOf(['paths', p, 'servers', i]) }));
        lines['servers'] = lineOf(['paths', p, 'servers']);
      } else {
        servers = globalServers;
      }
      if (servers !== globalServers) allServers.push(...servers);

      for (const key of ['operationId', 'tags', 'deprecated']) if (own(op, key) !== undefined) lines[key] = lineOf([...opPath, key]);

      const summary = scalarString(own(op, 'summary'));
      elements.push({
        id: opId,
        kind: 'operation',
        type: 'openapi:operation',
        name: `${METHOD} ${p}`,
        location: { file, line: opLine },
        attrs: compact({
          api: apiId,
          method: METHOD,
          path: p,
          operationId: scalarString(own(op, 'operationId')),
          summary: summary === undefined ? undefined : clip(summary, 200),
          tags: strings(own(op, 'tags')),
          deprecated: own(op, 'deprecated') === true,
          security,
          securitySource,
          allowsAnonymous: allowsAnonymous(security),
          parameters,
          requestBody,
          responses,
          servers: servers.map((s) => s.server),
          extensions: relevantExtensions(op),
          extensionKeys: Object.keys(op).filter((k) => k.startsWith('x-')).slice(0, 50),
        }),
        lines,
      });
      edges.push({
        from: apiId,
        to: opId,
        kind: 'serves',
        location: { file, line: opLine },
        evidence: `${title ?? file} declares ${METHOD} ${p}`,
      });
    }
    if (truncatedOps) break;
  }
  if (truncatedOps) {
    issues.push({ file, line: lineOf(['paths']), level: 'warning', code: 'too-many-operations', message: `only the first ${MAX_OPERATIONS} operations were modelled` });
  }

  // The API element comes first.
  const servers = uniqueServers(allServers.map((s) => s.server));
  const publicServers = uniqueServerLines(allServers.filter((s) => s.server.public));
  const apiLines: Record<string, number> = {};
  const lineKeys: [string, (string | number)[]][] = [
    ['info.title', ['info', 'title']],
    ['info.version', ['info', 'version']],
    ['servers', swagger2 ? ['host'] : ['servers']],
    ['security', ['security']],
    ['securitySchemes', schemesPath],
    ['paths', ['paths']],
    ['x-threatdiff-service', ['x-threatdiff-service']],
  ];
  for (const [key, path] of lineKeys) if (pathExists(doc, path)) apiLines[key] = lineOf(path);
  for (const [name] of entries(securitySchemes)) apiLines[`securitySchemes.${name}`] = lineOf([...schemesPath, name]);

  const api: Element = {
    id: apiId,
    kind: 'api',
    type: 'openapi:api',
    name: title ?? file,
    location: apiLocation,
    attrs: compact({
      title: title ?? '',
      version: isObj(info) ? scalarString(own(info, 'version')) : undefined,
      specVersion,
      servers: globalServers.map((s) => s.server),
      allServers: servers,
      internetFacing: publicServers.length > 0,
      securitySchemes,
      security: globalSecurity ?? [],
      serviceHint,
      directory,
      operationCount,
      extensions: { ...relevantExtensions(doc), ...(isObj(info) ? relevantExtensions(info) : {}) },
      extensionKeys: [...Object.keys(doc), ...(isObj(info) ? Object.keys(info) : [])].filter((k) => k.startsWith('x-')).slice(0, 50),
    }),
    lines: apiLines,
  };
  elements.unshift(api);

  if (publicServers.length > 0) edges.push(exposure(apiId, file, publicServers));

  const hosts = [...new Set(servers.map((s) => s.host).filter((h): h is string => !!h && !h.includes('{')))];
  const refs: Ref[] = [
    {
      type: 'api-attach',
      from: apiId,
      ...(serviceHint ? { serviceName: serviceHint } : {}),
      hosts,
      directory,
      edge: {
        kind: 'serves',
        location: apiLocation,
        evidence: serviceHint ? `x-threatdiff-service: ${clip(serviceHint, 80)}` : `OpenAPI document in ${directory}${hosts.length ? ` for ${hosts.slice(0, 3).join(', ')}` : ''}`,
      },
    },
  ];
  return { elements, edges, refs };
}

function exposure(apiId: string, file: string, publicServers: ServerWithLine[]): Edge {
  const schemes = publicServers.map((s) => s.server.scheme);
  const plain = schemes.some((s) => s === 'http' || s === 'ws');
  const allTls = schemes.every((s) => s === 'https' || s === 'wss');
  const encrypted: TriState = allTls ? true : plain ? false : 'unknown';
  const protocol = plain ? 'http' : allTls ? 'https' : undefined;
  const ports = new Set(publicServers.map((s) => s.server.port ?? (s.server.scheme === 'https' ? 443 : s.server.scheme === 'http' ? 80 : undefined)));
  const port = ports.size === 1 ? [...ports][0] : undefined;
  const urls = publicServers.map((s) => s.server.url);
  return compact({
    from: INTERNET,
    to: apiId,
    kind: 'exposes' as const,
    protocol,
    port,
    authenticated: 'unknown' as const,
    encrypted,
    location: { file, line: publicServers[0]!.line },
    evidence: `public server${urls.length > 1 ? 's' : ''} ${urls.slice(0, 5).map((u) => clip(u, 120)).join(', ')}`,
    attrs: { servers: urls.slice(0, 20) },
  });
}

function uniqueServerLines(list: ServerWithLine[]): ServerWithLine[] {
  const seen = new Set<string>();
  return list.filter((s) => {
    if (seen.has(s.server.url)) return false;
    seen.add(s.server.url);
    return true;
  });
}

/** OpenAPI 3 parameters carry `schema`, or `content` with one media type. */
function parameterSchema(param: Obj): unknown {
  const schema = own(param, 'schema');
  if (schema !== undefined) return schema;
  const first = entries(own(param, 'content'))[0]?.[1];
  return isObj(first) ? own(first, 'schema') : undefined;
}

function mediaSchemas(
  content: unknown,
  file: string,
  deref: (node: unknown, from?: string) => { value: unknown; file: string },
): { schema: unknown; file: string }[] {
  const out: { schema: unknown; file: string }[] = [];
  for (const [, raw] of entries(content).slice(0, 10)) {
    const media = deref(raw, file);
    if (isObj(media.value) && own(media.value, 'schema') !== undefined) out.push({ schema: own(media.value, 'schema'), file: media.file });
  }
  return out;
}

function mergeFlattened(list: { properties: PropertySummary[]; truncated: boolean }[]): { properties: PropertySummary[]; truncated: boolean } {
  const seen = new Set<string>();
  const properties: PropertySummary[] = [];
  for (const flat of list) {
    for (const prop of flat.properties) {
      if (seen.has(prop.name)) continue;
      seen.add(prop.name);
      properties.push(prop);
    }
  }
  return { properties, truncated: list.some((f) => f.truncated) };
}

/** `x-threatdiff-*` and `x-amazon-apigateway-*` values, size-bounded. */
function relevantExtensions(obj: Obj): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries(obj)) {
    if (!RELEVANT_EXTENSION.test(key)) continue;
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch {
      text = undefined; // aliases can make cycles
    }
    out[key] = text !== undefined && text.length <= MAX_EXTENSION_CHARS ? JSON.parse(text) : { omitted: 'too large' };
  }
  return out;
}

function pathExists(doc: Obj, path: (string | number)[]): boolean {
  let node: unknown = doc;
  for (const key of path) {
    if (!isObj(node)) return false;
    node = own(node, String(key));
    if (node === undefined) return false;
  }
  return true;
}

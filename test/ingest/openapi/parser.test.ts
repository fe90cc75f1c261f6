import { openapiParser } from '../../../src/ingest/openapi/index.js';
import type { Fragment } from '../../../src/model/types.js';
import { byId, ctxFor, fixtureTree, memoryTree, parseFixture } from './helpers.js';

const BEARER = { scheme: 'bearerAuth', type: 'http', httpScheme: 'bearer', bearerFormat: 'JWT', scopes: [] };

function ids(fragment: Fragment): string[] {
  return fragment.elements.map((e) => e.id);
}

describe('openapiParser metadata', () => {
  test('id and version', () => {
    expect(openapiParser.id).toBe('openapi');
    expect(openapiParser.version).toBe('2');
  });
});

describe('OWASP crAPI (OpenAPI 3.0.1, JSON)', () => {
  let fragment: Fragment;
  beforeAll(async () => {
    fragment = await parseFixture('crapi/crapi-openapi-spec.json');
  });

  test('one api element and 44 operations, no issues', () => {
    expect(fragment.issues).toEqual([]);
    expect(fragment.elements.filter((e) => e.kind === 'operation')).toHaveLength(44);
    const api = byId(fragment, 'openapi:OWASP crAPI API');
    expect(api.kind).toBe('api');
    expect(api.attrs).toMatchObject({
      title: 'OWASP crAPI API',
      version: '1-oas3',
      specVersion: '3.0.1',
      internetFacing: false,
      securitySchemes: { bearerAuth: { type: 'http', httpScheme: 'bearer', bearerFormat: 'JWT' } },
      security: [],
      directory: 'crapi',
      operationCount: 44,
    });
    expect(api.attrs.servers).toEqual([{ url: 'http://localhost:8888', scheme: 'http', host: 'localhost', port: 8888, public: false, level: 'document' }]);
  });

  test('login: explicit empty security, request body fields, lines', () => {
    const op = byId(fragment, 'openapi:OWASP crAPI API#POST /identity/api/auth/login');
    expect(op.name).toBe('POST /identity/api/auth/login');
    expect(op.location).toEqual({ file: 'crapi/crapi-openapi-spec.json', line: 86 });
    expect(op.attrs).toMatchObject({
      method: 'POST',
      path: '/identity/api/auth/login',
      operationId: 'login',
      tags: ['Identity / Auth'],
      security: [],
      securitySource: 'operation',
      allowsAnonymous: true,
      requestBody: {
        required: false,
        contentTypes: ['application/json'],
        properties: [
          { name: 'email', type: 'string', required: true },
          { name: 'password', type: 'string', required: true },
        ],
      },
    });
    expect((op.attrs.responses as { status: string }[]).map((r) => r.status)).toEqual(['200', '500']);
    expect(op.lines).toMatchObject({ security: 90, requestBody: 91, 'responses.200': 112, 'responses.500': 122 });
  });

  test('bearer-protected operation with a path-level parameter', () => {
    const op = byId(fragment, 'openapi:OWASP crAPI API#GET /identity/api/v2/vehicle/{vehicleId}/location');
    expect(op.attrs.security).toEqual([[BEARER]]);
    expect(op.attrs.allowsAnonymous).toBe(false);
    expect(op.attrs.parameters).toEqual([{ name: 'vehicleId', in: 'path', required: true, type: 'string', format: 'uuid' }]);
    expect(op.lines?.['parameters.vehicleId']).toBe(1121);
    expect(op.lines?.security).toBe(1071);
    const ok = (op.attrs.responses as { status: string; properties: { name: string }[] }[])[0]!;
    expect(ok.properties.map((p) => p.name)).toEqual(['carId', 'fullName', 'vehicleLocation', 'vehicleLocation.id', 'vehicleLocation.latitude', 'vehicleLocation.longitude']);
  });

  test('`security: [{}]` is an anonymous alternative', () => {
    const op = byId(fragment, 'openapi:OWASP crAPI API#GET /workshop/api/shop/return_qr_code');
    expect(op.attrs.security).toEqual([[]]);
    expect(op.attrs.allowsAnonymous).toBe(true);
    expect(op.attrs.parameters).toEqual([{ name: 'Accept', in: 'header', required: true, type: 'string' }]);
  });

  test('api serves every operation; localhost is not an internet exposure', () => {
    const serves = fragment.edges.filter((e) => e.kind === 'serves');
    expect(serves).toHaveLength(44);
    expect(serves.every((e) => e.from === 'openapi:OWASP crAPI API' && e.location.file === 'crapi/crapi-openapi-spec.json')).toBe(true);
    expect(fragment.edges.some((e) => e.kind === 'exposes')).toBe(false);
    expect(fragment.refs).toEqual([
      {
        type: 'api-attach',
        from: 'openapi:OWASP crAPI API',
        hosts: ['localhost'],
        directory: 'crapi',
        edge: { kind: 'serves', location: { file: 'crapi/crapi-openapi-spec.json', line: 4 }, evidence: 'OpenAPI document in crapi for localhost' },
      },
    ]);
  });
});

describe('Istio bookinfo (Swagger 2.0)', () => {
  test('operations, parameters and responses', async () => {
    const fragment = await parseFixture('bookinfo/swagger.yaml');
    expect(fragment.issues).toEqual([]);
    expect(ids(fragment)).toEqual([
      'openapi:BookInfo API',
      'openapi:BookInfo API#GET /products',
      'openapi:BookInfo API#GET /products/{id}',
      'openapi:BookInfo API#GET /products/{id}/reviews',
      'openapi:BookInfo API#GET /products/{id}/ratings',
    ]);
    const api = byId(fragment, 'openapi:BookInfo API');
    expect(api.attrs).toMatchObject({ specVersion: '2.0', version: '1.0.0', internetFacing: false, securitySchemes: {} });
    // No host: only the base path is known.
    expect(api.attrs.servers).toEqual([{ url: '/api/v1', basePath: '/api/v1', public: false, level: 'document' }]);
    const op = byId(fragment, 'openapi:BookInfo API#GET /products/{id}');
    expect(op.location.line).toBe(41);
    expect(op.attrs).toMatchObject({
      operationId: 'getProduct',
      security: [],
      securitySource: 'none',
      parameters: [{ name: 'id', in: 'path', required: true, type: 'integer', format: 'int32' }],
      requestBody: null,
    });
    const responses = op.attrs.responses as { status: string; contentTypes: string[]; properties: { name: string }[] }[];
    expect(responses.map((r) => [r.status, r.contentTypes])).toEqual([
      ['200', ['application/json']],
      ['400', []],
    ]);
    expect(responses[0]!.properties.map((p) => p.name)).toEqual(['id', 'publisher', 'language', 'author', 'ISBN-10', 'ISBN-13', 'year', 'type', 'pages']);
    expect(op.lines).toMatchObject({ 'parameters.id': 52, 'responses.200': 59, 'responses.400': 63 });
  });
});

describe('Uber (Swagger 2.0, https host, apiKey in query)', () => {
  test('servers from host/basePath/schemes, exposure edge and apiKey security', async () => {
    const fragment = await parseFixture('uber-2.0/uber.yaml');
    const api = byId(fragment, 'openapi:Uber API');
    expect(api.attrs.servers).toEqual([{ url: 'https://api.uber.com/v1', scheme: 'https', host: 'api.uber.com', basePath: '/v1', public: true, level: 'document' }]);
    expect(api.attrs.securitySchemes).toEqual({ apikey: { type: 'apiKey', in: 'query', name: 'server_token' } });
    expect(fragment.edges.filter((e) => e.kind === 'exposes')).toEqual([
      {
        from: 'actor:internet',
        to: 'openapi:Uber API',
        kind: 'exposes',
        protocol: 'https',
        port: 443,
        authenticated: 'unknown',
        encrypted: true,
        location: { file: 'uber-2.0/uber.yaml', line: 9 },
        evidence: 'public server https://api.uber.com/v1',
        attrs: { servers: ['https://api.uber.com/v1'] },
      },
    ]);
  });
});

describe('petstore 3.0: YAML and JSON give the same model', () => {
  test('identical ids, attrs and edges (locations aside)', async () => {
    const yaml = await parseFixture('petstore-3.0/petstore.yaml');
    const json = await parseFixture('petstore-3.0/petstore.json');
    expect(yaml.issues).toEqual([]);
    expect(json.issues).toEqual([]);
    expect(ids(yaml)).toEqual(['openapi:Swagger Petstore', 'openapi:Swagger Petstore#GET /pets', 'openapi:Swagger Petstore#POST /pets', 'openapi:Swagger Petstore#GET /pets/{petId}']);
    expect(ids(json)).toEqual(ids(yaml));
    expect(json.elements.map((e) => [e.id, e.kind, e.type, e.name, e.attrs])).toEqual(yaml.elements.map((e) => [e.id, e.kind, e.type, e.name, e.attrs]));
    const strip = (f: Fragment) => f.edges.map(({ location: _l, ...rest }) => rest);
    expect(strip(json)).toEqual(strip(yaml));
    // Lines differ and are right in each.
    expect(byId(yaml, 'openapi:Swagger Petstore#POST /pets').location.line).toBe(43);
    expect(byId(json, 'openapi:Swagger Petstore#POST /pets').location.line).toBe(65);
  });

  test('plain-http public server: exposure edge is unencrypted', async () => {
    const yaml = await parseFixture('petstore-3.0/petstore.yaml');
    const edge = yaml.edges.find((e) => e.kind === 'exposes')!;
    expect(edge).toMatchObject({ from: 'actor:internet', to: 'openapi:Swagger Petstore', protocol: 'http', port: 80, encrypted: false, authenticated: 'unknown' });
    expect(edge.location).toEqual({ file: 'petstore-3.0/petstore.yaml', line: 8 });
  });

  test('moving the file changes locations, not identities', async () => {
    const a = await parseFixture('petstore-3.0/petstore.yaml');
    const b = await parseFixture('petstore-3.0/petstore.yaml', 'elsewhere/deeper/pets-api.yaml');
    expect(ids(b)).toEqual(ids(a));
    expect(b.elements[0]!.location.file).toBe('elsewhere/deeper/pets-api.yaml');
    expect(b.elements[0]!.attrs.directory).toBe('elsewhere/deeper');
  });

  test('schema fields are flattened', async () => {
    const f = await parseFixture('petstore-3.0/petstore.yaml');
    const list = byId(f, 'openapi:Swagger Petstore#GET /pets');
    expect(list.attrs.parameters).toEqual([{ name: 'limit', in: 'query', required: false, type: 'integer', format: 'int32', maximum: 100 }]);
    expect(list.attrs.responses).toEqual([
      {
        status: '200',
        contentTypes: ['application/json'],
        headers: ['x-next'],
        properties: [
          { name: '(root)', type: 'array', maxItems: 100 },
          { name: '(root)[].id', type: 'integer', format: 'int64' },
          { name: '(root)[].name', type: 'string' },
          { name: '(root)[].tag', type: 'string' },
        ],
      },
      { status: 'default', contentTypes: ['application/json'], headers: [], properties: [{ name: 'code', type: 'integer', format: 'int32' }, { name: 'message', type: 'string' }] },
    ]);
  });
});

describe('OpenAPI 3.1', () => {
  test('tictactoe: alternatives of apiKey and oauth2 with scopes; YAML = its JSON conversion', async () => {
    const yaml = await parseFixture('tictactoe-3.1/tictactoe.yaml');
    // (upstream's tictactoe.json is not the same document; this one is the YAML converted)
    const json = await parseFixture('tictactoe-3.1/tictactoe.converted.json');
    const op = byId(yaml, 'openapi:Tic Tac Toe#GET /board');
    expect(op.attrs.security).toEqual([
      [{ scheme: 'defaultApiKey', type: 'apiKey', in: 'header', name: 'api-key', scopes: [] }],
      [{ scheme: 'app2AppOauth', type: 'oauth2', flows: ['clientCredentials'], scopes: ['board:read'] }],
    ]);
    expect(op.lines?.security).toBe(26);
    const square = byId(yaml, 'openapi:Tic Tac Toe#GET /board/{row}/{column}');
    expect((square.attrs.parameters as { name: string }[]).map((p) => p.name)).toEqual(['row', 'column']);
    expect(json.elements.map((e) => [e.id, e.attrs])).toEqual(yaml.elements.map((e) => [e.id, e.attrs]));
    // swagger-parser's 3.1 validator flags this example; it stays a warning.
    expect(yaml.issues.every((i) => i.level === 'warning' && i.code === 'openapi-invalid')).toBe(true);
  });

  test('non-oauth scopes on a bearer scheme', async () => {
    const f = await parseFixture('non-oauth-scopes-3.1/non-oauth-scopes.yaml');
    expect(byId(f, 'openapi:Non-oAuth Scopes example#GET /users').attrs.security).toEqual([
      [{ scheme: 'bearerAuth', type: 'http', httpScheme: 'bearer', bearerFormat: 'jwt', scopes: ['read:users', 'public'] }],
    ]);
  });

  test('3.2 is modelled with a version warning instead of being rejected', async () => {
    const f = await parseFixture('tags-3.2/3.2-tags-example.yaml');
    expect(f.issues).toEqual([
      { file: 'tags-3.2/3.2-tags-example.yaml', line: 1, level: 'warning', code: 'openapi-unsupported-version', message: 'openapi version 3.2.0 is not 3.0 or 3.1; read as 3.x' },
    ]);
    expect(f.elements[0]!.id).toBe('openapi:Flight API');
    expect(f.elements.filter((e) => e.kind === 'operation').length).toBeGreaterThan(0);
  });
});

describe('multi-file specs through ctx.tree', () => {
  const NAMES = ['api/openapi.yaml', 'api/paths/orders.yaml', 'schemas/order.yaml', 'schemas/line-item.yaml', 'schemas/category.yaml', 'common/parameters.yaml', 'common/errors.yaml'].map((n) => `multifile-3.0/${n}`);

  test('OpenAPI 3: path items, parameters, schemas and responses in other files', async () => {
    const files = await fixtureTree('svc/', NAMES);
    const tree = memoryTree(files);
    const f = await openapiParser.parse('svc/multifile-3.0/api/openapi.yaml', files['svc/multifile-3.0/api/openapi.yaml']!, ctxFor(tree));
    expect(f.issues).toEqual([]);
    expect([...tree.reads].sort()).toEqual(NAMES.filter((n) => !n.endsWith('openapi.yaml')).map((n) => `svc/${n}`).sort());
    expect(ids(f)).toEqual([
      'openapi:Orders API',
      'openapi:Orders API#GET /orders',
      'openapi:Orders API#POST /orders',
      'openapi:Orders API#GET /orders/{orderId}',
      'openapi:Orders API#GET /categories',
    ]);
    const create = byId(f, 'openapi:Orders API#POST /orders');
    expect(create.attrs.requestBody).toEqual({
      required: true,
      contentTypes: ['application/json'],
      properties: [
        { name: 'id', type: 'string', format: 'uuid', readOnly: true, required: true },
        { name: 'customerEmail', type: 'string', format: 'email', maxLength: 254 },
        { name: 'items', type: 'array', maxItems: 50, required: true },
        { name: 'items[].sku', type: 'string', maxLength: 32 },
        { name: 'items[].quantity', type: 'integer', maximum: 99 },
        { name: 'total', type: 'number', readOnly: true },
      ],
    });
    // Path item lives in another file: the operation points at the `$ref` in the root document.
    expect(create.location.line).toBe(15);
    expect(create.attrs.security).toEqual([[{ scheme: 'bearer', type: 'http', httpScheme: 'bearer', bearerFormat: 'JWT', scopes: [] }]]);
    expect(create.attrs.securitySource).toBe('document');
    expect(create.lines?.security).toBe(12);

    const get = byId(f, 'openapi:Orders API#GET /orders/{orderId}');
    expect(get.attrs.parameters).toEqual([{ name: 'orderId', in: 'path', required: true, type: 'string', format: 'uuid' }]);
    expect((get.attrs.responses as { status: string; properties: { name: string }[] }[]).map((r) => [r.status, r.properties.map((p) => p.name)])).toEqual([
      ['200', ['id', 'customerEmail', 'items', 'items[].sku', 'items[].quantity', 'total']],
      ['404', ['code', 'message']],
    ]);
    // A recursive schema stops at the cycle instead of looping.
    const cats = byId(f, 'openapi:Orders API#GET /categories');
    expect((cats.attrs.responses as { properties: unknown[] }[])[0]!.properties).toEqual([
      { name: 'name', type: 'string' },
      { name: 'children', type: 'array' },
    ]);
    expect(cats.attrs.allowsAnonymous).toBe(true);
  });

  test('OpenAPI 3: server variables, internal vs public hosts, api-attach with service hint', async () => {
    const files = await fixtureTree('svc/', NAMES);
    const f = await openapiParser.parse('svc/multifile-3.0/api/openapi.yaml', files['svc/multifile-3.0/api/openapi.yaml']!, ctxFor(memoryTree(files)));
    const api = byId(f, 'openapi:Orders API');
    expect(api.attrs.serviceHint).toBe('orders');
    expect(api.attrs.servers).toEqual([
      { url: 'https://{region}.api.acme-shop.io/v2', scheme: 'https', host: 'eu.api.acme-shop.io', basePath: '/v2', public: true, level: 'document' },
      { url: 'http://orders.shop.svc.cluster.local:8080/v2', scheme: 'http', host: 'orders.shop.svc.cluster.local', port: 8080, basePath: '/v2', public: false, level: 'document' },
    ]);
    expect(f.edges.find((e) => e.kind === 'exposes')).toMatchObject({ protocol: 'https', port: 443, encrypted: true, location: { line: 7 } });
    expect(f.refs).toEqual([
      {
        type: 'api-attach',
        from: 'openapi:Orders API',
        serviceName: 'orders',
        hosts: ['eu.api.acme-shop.io', 'orders.shop.svc.cluster.local'],
        directory: 'svc/multifile-3.0/api',
        edge: { kind: 'serves', location: { file: 'svc/multifile-3.0/api/openapi.yaml', line: 3 }, evidence: 'x-threatdiff-service: orders' },
      },
    ]);
  });

  test('Swagger 2 petstore-separate (corpus): refs to sibling and parent folders', async () => {
    const names = ['spec/swagger.yaml', 'spec/NewPet.yaml', 'spec/Pet.yaml', 'spec/parameters.yaml', 'common/Error.yaml'].map((n) => `petstore-separate-2.0/${n}`);
    const files = await fixtureTree('', names);
    const f = await openapiParser.parse('petstore-separate-2.0/spec/swagger.yaml', files['petstore-separate-2.0/spec/swagger.yaml']!, ctxFor(memoryTree(files)));
    expect(f.issues).toEqual([]);
    const find = byId(f, 'openapi:Swagger Petstore#GET /pets');
    expect(find.attrs.parameters).toEqual([
      { name: 'tags', in: 'query', required: false, type: 'array' },
      { name: 'limit', in: 'query', required: false, type: 'integer', format: 'int32' },
    ]);
    const add = byId(f, 'openapi:Swagger Petstore#POST /pets');
    expect(add.attrs.requestBody).toEqual({
      required: true,
      contentTypes: ['application/json'],
      properties: [
        { name: 'id', type: 'integer', format: 'int64', required: true },
        { name: 'name', type: 'string', required: true },
        { name: 'tag', type: 'string' },
        { name: 'description', type: 'integer', format: 'int64' },
      ],
    });
    expect(add.lines?.requestBody).toBe(49);
    const api = byId(f, 'openapi:Swagger Petstore');
    expect(api.attrs.servers).toEqual([{ url: 'http://petstore.swagger.io/api', scheme: 'http', host: 'petstore.swagger.io', basePath: '/api', public: true, level: 'document' }]);
  });

  test('a missing referenced file is a warning with the line of the $ref', async () => {
    const files = await fixtureTree('svc/', NAMES.filter((n) => !n.endsWith('order.yaml')));
    const f = await openapiParser.parse('svc/multifile-3.0/api/openapi.yaml', files['svc/multifile-3.0/api/openapi.yaml']!, ctxFor(memoryTree(files)));
    expect(f.issues).toEqual([
      // Reported once, where the root document first names it.
      { file: 'svc/multifile-3.0/api/openapi.yaml', line: 28, level: 'warning', code: 'ref-not-found', message: '$ref "../schemas/order.yaml": file svc/multifile-3.0/schemas/order.yaml is not in the repository' },
    ]);
    // Still modelled.
    expect(f.elements).toHaveLength(5);
    expect((byId(f, 'openapi:Orders API#POST /orders').attrs.requestBody as { properties: unknown[] }).properties).toEqual([{ name: '(root)', ref: '../../schemas/order.yaml' }]);
  });
});

describe('swagger 2.0 security', () => {
  const spec = `swagger: "2.0"
info: { title: Legacy, version: "1" }
host: legacy.acme-shop.io
schemes: [http, https]
securityDefinitions:
  basicAuth: { type: basic }
  oauth:
    type: oauth2
    flow: implicit
    authorizationUrl: https://auth.acme-shop.io/authorize
    scopes: { "read:things": read, "write:things": write }
security:
  - basicAuth: []
paths:
  /things:
    get:
      responses: { "200": { description: ok } }
    post:
      security:
        - oauth: ["write:things"]
      consumes: [application/x-www-form-urlencoded]
      parameters:
        - { name: label, in: formData, type: string, required: true }
        - { name: count, in: formData, type: integer }
      responses: { "201": { description: created } }
`;
  test('basic becomes http/basic, implicit flow, form data as request body, mixed schemes', async () => {
    const f = await openapiParser.parse('legacy/swagger.yaml', spec, ctxFor(memoryTree({})));
    expect(f.issues).toEqual([]);
    const api = byId(f, 'openapi:Legacy');
    expect(api.attrs.securitySchemes).toEqual({
      basicAuth: { type: 'http', httpScheme: 'basic' },
      oauth: { type: 'oauth2', flows: ['implicit'], declaredScopes: ['read:things', 'write:things'] },
    });
    expect(byId(f, 'openapi:Legacy#GET /things').attrs.security).toEqual([[{ scheme: 'basicAuth', type: 'http', httpScheme: 'basic', scopes: [] }]]);
    const post = byId(f, 'openapi:Legacy#POST /things');
    expect(post.attrs.security).toEqual([[{ scheme: 'oauth', type: 'oauth2', flows: ['implicit'], scopes: ['write:things'] }]]);
    expect(post.attrs.requestBody).toEqual({
      required: true,
      contentTypes: ['application/x-www-form-urlencoded'],
      properties: [
        { name: 'label', type: 'string', required: true },
        { name: 'count', type: 'integer' },
      ],
    });
    expect(post.lines).toMatchObject({ security: 19, requestBody: 23 });
    const exposes = f.edges.find((e) => e.kind === 'exposes')!;
    expect(exposes).toMatchObject({ protocol: 'http', encrypted: false });
    expect('port' in exposes).toBe(false); // 80 and 443: no single port
    expect((api.attrs.servers as { url: string }[]).map((s) => s.url)).toEqual(['http://legacy.acme-shop.io', 'https://legacy.acme-shop.io']);
  });
});

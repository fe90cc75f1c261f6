import fc from 'fast-check';
import { openapiParser } from '../../../src/ingest/openapi/index.js';
import type { TreeReader } from '../../../src/model/types.js';
import { ctxFor, memoryTree } from './helpers.js';

function parse(text: string, path = 'api/openapi.yaml', tree: TreeReader = memoryTree({}), limits = {}) {
  return openapiParser.parse(path, text, ctxFor(tree, limits));
}

describe('bad input never throws and is reported', () => {
  test('malformed YAML: error with the line', async () => {
    const text = 'openapi: 3.0.0\ninfo:\n  title: Broken\n  version: "1"\npaths:\n  /a:\n    get: [unclosed\n  /b: {}\n';
    const f = await parse(text);
    expect(f.elements).toEqual([]);
    expect(f.issues).toHaveLength(1);
    expect(f.issues[0]).toMatchObject({ file: 'api/openapi.yaml', level: 'error', code: 'yaml-syntax', line: 8 });
  });

  test('file above the size limit', async () => {
    const text = `openapi: 3.0.0\ninfo: {title: Big, version: "1"}\npaths: {}\n# ${'x'.repeat(2000)}\n`;
    const f = await parse(text, 'big.yaml', memoryTree({}), { maxFileBytes: 1000 });
    expect(f.elements).toEqual([]);
    expect(f.issues).toEqual([{ file: 'big.yaml', level: 'error', code: 'file-too-large', message: `file is ${text.length} bytes, above the 1000-byte limit` }]);
  });

  test('missing title: identity falls back to the path, with a warning', async () => {
    const f = await parse('openapi: 3.0.0\ninfo:\n  version: "1"\npaths:\n  /ping:\n    get:\n      responses: {"200": {description: ok}}\n');
    expect(f.elements.map((e) => e.id)).toEqual(['openapi:api/openapi.yaml', 'openapi:api/openapi.yaml#GET /ping']);
    expect(f.issues).toContainEqual({ file: 'api/openapi.yaml', line: 2, level: 'warning', code: 'missing-title', message: 'OpenAPI document has no info.title; its identity falls back to the file path' });
  });

  test('schema violations are warnings with lines, and the model is still built', async () => {
    const text = 'openapi: 3.0.3\ninfo:\n  title: Sloppy\npaths:\n  /a:\n    get:\n      responses: {}\n    bogus: 1\n';
    const f = await parse(text);
    expect(f.elements.map((e) => e.id)).toEqual(['openapi:Sloppy', 'openapi:Sloppy#GET /a']);
    expect(f.issues.every((i) => i.level === 'warning' && i.code === 'openapi-invalid')).toBe(true);
    expect(f.issues.map((i) => [i.line, i.message])).toEqual([
      [2, "OpenAPI schema: /info must have required property 'version'"],
      [5, 'OpenAPI schema: /paths/~1a must NOT have additional properties ("bogus")'],
      [7, 'OpenAPI schema: /paths/~1a/get/responses must NOT have fewer than 1 properties'],
    ]);
  });

  test('Swagger 2 spec check failures (duplicate operationId) are warnings', async () => {
    const text = 'swagger: "2.0"\ninfo: {title: Dup, version: "1"}\npaths:\n  /a:\n    get: {operationId: same, responses: {"200": {description: ok}}}\n  /b:\n    get: {operationId: same, responses: {"200": {description: ok}}}\n';
    const f = await parse(text);
    expect(f.issues).toEqual([{ file: 'api/openapi.yaml', level: 'warning', code: 'openapi-invalid', message: "OpenAPI spec check: Duplicate operation id 'same'" }]);
    expect(f.elements).toHaveLength(3);
  });

  test('dangling local $ref: one warning with its line, no duplicate from the library', async () => {
    const text = 'openapi: 3.0.3\ninfo: {title: Dangling, version: "1"}\npaths:\n  /a:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {$ref: "#/components/schemas/Nope"}\n      responses: {"200": {description: ok}}\n';
    const f = await parse(text);
    expect(f.issues).toEqual([{ file: 'api/openapi.yaml', line: 9, level: 'warning', code: 'ref-unresolved', message: '$ref "#/components/schemas/Nope" points to nothing' }]);
    expect((f.elements[1]!.attrs.requestBody as { properties: unknown[] }).properties).toEqual([{ name: '(root)', ref: '#/components/schemas/Nope' }]);
  });

  test('$ref cycles (A → B → A) and self-recursive schemas terminate', async () => {
    const text = `openapi: 3.0.3
info: {title: Loops, version: "1"}
paths:
  /a:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/A"}
      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Tree"}}}}}
components:
  schemas:
    A: {$ref: "#/components/schemas/B"}
    B: {$ref: "#/components/schemas/A"}
    Tree:
      type: object
      properties:
        name: {type: string}
        kids: {type: array, items: {$ref: "#/components/schemas/Tree"}}
        parent: {$ref: "#/components/schemas/Tree"}
`;
    const f = await parse(text);
    const op = f.elements[1]!;
    expect((op.attrs.requestBody as { properties: unknown[] }).properties).toEqual([{ name: '(root)', ref: 'ref chain too deep' }]);
    expect((op.attrs.responses as { properties: { name: string }[] }[])[0]!.properties.map((p) => p.name)).toEqual(['name', 'kids', 'parent']);
  });

  test('exponential $ref fan-out stays bounded', async () => {
    // Each level references the previous one 8 times: 8^12 paths if anything expanded it naively.
    const levels = Array.from({ length: 12 }, (_, i) =>
      i === 0
        ? `    L0: {type: object, properties: {v: {type: string}}}`
        : `    L${i}: {type: object, properties: {${Array.from({ length: 8 }, (_, k) => `p${k}: {$ref: "#/components/schemas/L${i - 1}"}`).join(', ')}}}`,
    );
    const text = `openapi: 3.0.3\ninfo: {title: Fan, version: "1"}\npaths:\n  /a:\n    post:\n      requestBody: {content: {application/json: {schema: {$ref: "#/components/schemas/L11"}}}}\n      responses: {"200": {description: ok}}\ncomponents:\n  schemas:\n${levels.join('\n')}\n`;
    const started = Date.now();
    const f = await parse(text);
    expect(Date.now() - started).toBeLessThan(5000);
    const body = f.elements[1]!.attrs.requestBody as { properties: unknown[]; truncated?: boolean };
    expect(body.properties).toHaveLength(200);
    expect(body.truncated).toBe(true);
    expect(f.issues.map((i) => i.code)).toEqual(['validation-skipped']);
  });

  test('a tree that never answers hits the timeout, and the document is still modelled', async () => {
    const hanging: TreeReader = { read: () => new Promise<string | undefined>(() => undefined) };
    const text = 'openapi: 3.0.3\ninfo: {title: Slow, version: "1"}\npaths:\n  /a:\n    get:\n      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "other.yaml"}}}}}\n';
    const f = await parse(text, 'api.yaml', hanging, { parseTimeoutMs: 100 });
    expect(f.issues).toEqual([{ file: 'api.yaml', level: 'error', code: 'parse-timeout', message: 'reading referenced files took longer than 100 ms; the model may be incomplete' }]);
    expect(f.elements.map((e) => e.id)).toEqual(['openapi:Slow', 'openapi:Slow#GET /a']);
  });

  test('file chains deeper than maxRefDepth stop with a warning', async () => {
    const files: Record<string, string> = {};
    for (let i = 1; i <= 5; i++) files[`s${i}.yaml`] = i < 5 ? `type: object\nproperties:\n  next: {$ref: "s${i + 1}.yaml"}\n` : 'type: string\n';
    const text = 'openapi: 3.0.3\ninfo: {title: Deep, version: "1"}\npaths:\n  /a:\n    get:\n      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "s1.yaml"}}}}}\n';
    const tree = memoryTree(files);
    const f = await parse(text, 'api.yaml', tree, { maxRefDepth: 3 });
    expect(tree.reads).toEqual(['s1.yaml', 's2.yaml', 's3.yaml']);
    expect(f.issues).toEqual([{ file: 's3.yaml', line: 3, level: 'warning', code: 'ref-limit', message: '$ref "s4.yaml" not followed: more than 3 levels of files' }]);
  });

  test('unknown security scheme names are kept and reported once', async () => {
    const text = 'openapi: 3.0.3\ninfo: {title: Sec, version: "1"}\nsecurity:\n  - ghost: []\npaths:\n  /a:\n    get:\n      responses: {"200": {description: ok}}\n  /b:\n    get:\n      security: [{ghost: [x]}]\n      responses: {"200": {description: ok}}\n';
    const f = await parse(text);
    expect(f.issues.filter((i) => i.code === 'unknown-security-scheme')).toEqual([
      { file: 'api/openapi.yaml', line: 4, level: 'warning', code: 'unknown-security-scheme', message: 'security requirement names "ghost", which is not a declared security scheme' },
    ]);
    expect(f.elements[2]!.attrs.security).toEqual([[{ scheme: 'ghost', type: 'unknown', scopes: ['x'] }]]);
  });

  test('YAML alias bombs are refused by the shared reader', async () => {
    const text = 'openapi: 3.0.0\ninfo: {title: Bomb, version: "1"}\nx-a: &a [1,1,1,1,1,1,1,1,1,1]\nx-b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nx-c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nx-d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\nx-e: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\npaths: {}\n';
    const f = await parse(text, 'api.yaml', memoryTree({}), { maxYamlAliases: 20 });
    expect(f.elements).toEqual([]);
    expect(f.issues.map((i) => [i.level, i.code])).toEqual([['error', 'yaml-aliases']]);
  });

  test('non-OpenAPI content that slipped past detect is skipped', async () => {
    const f = await parse('{"nested": {"openapi": "3.0.0"}}', 'x.json');
    expect(f.issues).toEqual([{ file: 'x.json', line: 1, level: 'skipped', code: 'not-openapi', message: 'no top-level openapi or swagger key' }]);
  });

  test('multi-document YAML: the OpenAPI document is the one read', async () => {
    const f = await parse('kind: ConfigMap\nmetadata: {name: x}\n---\nopenapi: 3.0.0\ninfo: {title: Second, version: "1"}\npaths: {}\n');
    expect(f.elements.map((e) => e.id)).toEqual(['openapi:Second']);
    expect(f.issues).toEqual([{ file: 'api/openapi.yaml', line: 4, level: 'warning', code: 'multiple-documents', message: 'the file holds several YAML documents; only this one is read as OpenAPI' }]);
  });

  test('a misbehaving tree (throws, returns a non-string) is treated as a missing file', async () => {
    const text = 'openapi: 3.0.3\ninfo: {title: T, version: "1"}\npaths:\n  /a: {$ref: "a.yaml"}\n  /b: {$ref: "b.yaml"}\n';
    const tree: TreeReader = {
      read: (p: string) => {
        if (p === 'a.yaml') throw new Error('boom');
        return Promise.resolve({ not: 'a string' } as unknown as string);
      },
    };
    const f = await parse(text, 'api.yaml', tree);
    expect(f.issues.map((i) => [i.code, i.line])).toEqual([
      ['ref-not-found', 4],
      ['ref-not-found', 5],
    ]);
    expect(f.elements.map((e) => e.id)).toEqual(['openapi:T']);
  });

  test('fuzz: arbitrary values under OpenAPI keys never throw', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), fc.jsonValue({ maxDepth: 4 }), fc.boolean(), async (paths, components, v2) => {
        const doc = v2 ? { swagger: '2.0', info: { title: 'F', version: '1' }, paths, securityDefinitions: components, security: components } : { openapi: '3.0.3', info: { title: 'F', version: '1' }, paths, components };
        const f = await parse(JSON.stringify(doc), 'f.json');
        expect(f.issues.some((i) => i.code === 'internal-error')).toBe(false);
      }),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (tail) => {
        const f = await parse(`openapi: 3.0.0\n${tail}`);
        expect(f.issues.some((i) => i.code === 'internal-error')).toBe(false);
      }),
      { numRuns: 60 },
    );
  });
});

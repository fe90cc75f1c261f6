import { jest } from '@jest/globals';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { $RefParser } from '@apidevtools/json-schema-ref-parser';
import { classifyRef } from '../../../src/ingest/openapi/refs.js';
import { openapiParser } from '../../../src/ingest/openapi/index.js';
import { DEFAULT_LIMITS, type Fragment, type ParseIssue } from '../../../src/model/types.js';
import { parseYaml } from '../../../src/ingest/yaml.js';
import { deadline } from '../../../src/ingest/openapi/util.js';
import { validateWithLibrary } from '../../../src/ingest/openapi/validate.js';
import { ctxFor, memoryTree } from './helpers.js';

/**
 * A spec must never make the parser read the disk or the network. Every way
 * of doing either is replaced by a spy that refuses, so even a regression
 * reads nothing; the control test proves the spies sit where the ref library
 * would reach.
 */
type AnySpy = { mock: { calls: unknown[][] }; mockRestore(): void };
let spies: Record<string, AnySpy>;

// Lazily required modules (ajv drafts, the ref library's resolvers) are loaded by Jest through `fs`;
// one full run first so that every spy below sees only what parsing itself does.
beforeAll(async () => {
  await openapiParser.parse('warm/api.yaml', specWith('/etc/passwd'), ctxFor(memoryTree({})));
  await openapiParser.parse('warm/api.yaml', 'swagger: "2.0"\ninfo: {title: W, version: "1"}\npaths: {}\n', ctxFor(memoryTree({})));
  await openapiParser.parse('warm/api.yaml', 'openapi: 3.1.0\ninfo: {title: W, version: "1"}\npaths: {}\n', ctxFor(memoryTree({})));
  await new $RefParser().dereference('/repo/api.yaml', { a: { $ref: '#/b' }, b: {} } as never, {});
});

beforeEach(() => {
  const refuse = () => {
    throw new Error('blocked by test');
  };
  const refuseAsync = () => Promise.reject(new Error('blocked by test'));
  spies = {
    'fs.promises.readFile': jest.spyOn(fs.promises, 'readFile').mockImplementation(refuseAsync as never),
    'fs.promises.open': jest.spyOn(fs.promises, 'open').mockImplementation(refuseAsync as never),
    'fs.readFile': jest.spyOn(fs, 'readFile').mockImplementation(refuse as never),
    'fs.readFileSync': jest.spyOn(fs, 'readFileSync').mockImplementation(refuse as never),
    'fs.openSync': jest.spyOn(fs, 'openSync').mockImplementation(refuse as never),
    'fs.createReadStream': jest.spyOn(fs, 'createReadStream').mockImplementation(refuse as never),
    fetch: jest.spyOn(globalThis, 'fetch').mockImplementation(refuseAsync as never),
    'http.request': jest.spyOn(http, 'request').mockImplementation(refuse as never),
    'http.get': jest.spyOn(http, 'get').mockImplementation(refuse as never),
    'https.request': jest.spyOn(https, 'request').mockImplementation(refuse as never),
    'https.get': jest.spyOn(https, 'get').mockImplementation(refuse as never),
    'net.connect': jest.spyOn(net, 'connect').mockImplementation(refuse as never),
  };
});

afterEach(() => {
  for (const spy of Object.values(spies)) spy.mockRestore();
});

function touched(): string[] {
  return Object.entries(spies)
    .filter(([, spy]) => spy.mock.calls.length > 0)
    .map(([name]) => name);
}

const HOSTILE = ['/etc/passwd', '../../../etc/passwd', 'http://169.254.169.254/latest/meta-data/', 'file:///etc/passwd'];

function specWith(ref: string): string {
  return `openapi: 3.0.3
info:
  title: Hostile
  version: "1"
paths:
  /a:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                $ref: '${ref}'
  /b:
    $ref: '${ref}'
  /c:
    get:
      parameters:
        - $ref: '${ref}'
      responses:
        "204":
          description: none
`;
}

describe('control: the spies are where the ref library would read', () => {
  test('default swagger-parser/json-schema-ref-parser options do try the disk and the network', async () => {
    await expect(new $RefParser().dereference('/repo/api.yaml', { a: { $ref: '/etc/passwd' } } as never, {})).rejects.toThrow();
    expect(spies['fs.promises.readFile']!.mock.calls).toEqual([['/etc/passwd']]);
    await expect(new $RefParser().dereference('/repo/api.yaml', { a: { $ref: 'https://threatdiff-control.invalid/x.yaml' } } as never, { resolve: { http: { timeout: 0 } } } as never)).rejects.toThrow();
    expect(spies.fetch!.mock.calls.length).toBe(1);
  });
});

describe.each(HOSTILE)('$ref %s', (ref) => {
  let fragment: Fragment;
  let reads: string[];
  beforeEach(async () => {
    const tree = memoryTree({ 'etc/passwd': 'root:x:0:0', 'specs/etc/passwd': 'root:x:0:0' });
    fragment = await openapiParser.parse('specs/api/hostile.yaml', specWith(ref), ctxFor(tree));
    reads = tree.reads;
  });

  test('is reported as forbidden-ref with the line of each $ref', () => {
    const forbidden = fragment.issues.filter((i) => i.code === 'forbidden-ref');
    expect(forbidden.map((i) => [i.file, i.line, i.level])).toEqual([
      ['specs/api/hostile.yaml', 14, 'error'],
      ['specs/api/hostile.yaml', 16, 'error'],
      ['specs/api/hostile.yaml', 20, 'error'],
    ]);
    for (const issue of forbidden) expect(issue.message).toContain(`$ref "${ref}" not followed:`);
  });

  test('touches neither the file system, the network, nor the tree', () => {
    expect(touched()).toEqual([]);
    expect(reads).toEqual([]);
  });

  test('the rest of the document is still modelled', () => {
    expect(fragment.elements.map((e) => e.id)).toEqual(['openapi:Hostile', 'openapi:Hostile#GET /a', 'openapi:Hostile#GET /c']);
    // Only the forbidden-ref errors: nothing else complains about the removed refs.
    expect(fragment.issues.filter((i) => i.level === 'error').length).toBe(3);
  });
});

test('forbidden refs inside a referenced file are reported in that file, and never followed', async () => {
  const tree = memoryTree({
    'specs/schemas/pet.yaml': 'type: object\nproperties:\n  owner:\n    $ref: "../../../../etc/passwd"\n  vet:\n    $ref: "https://evil.example.net/vet.yaml"\n',
  });
  const spec = `openapi: 3.0.3
info: { title: Pets, version: "1" }
paths:
  /pets:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: { $ref: "../schemas/pet.yaml" }
`;
  const f = await openapiParser.parse('specs/api/openapi.yaml', spec, ctxFor(tree));
  expect(f.issues).toEqual([
    { file: 'specs/schemas/pet.yaml', line: 4, level: 'error', code: 'forbidden-ref', message: '$ref "../../../../etc/passwd" not followed: path escapes the repository root' },
    {
      file: 'specs/schemas/pet.yaml',
      line: 6,
      level: 'error',
      code: 'forbidden-ref',
      message: '$ref "https://evil.example.net/vet.yaml" not followed: URL scheme "https:" (only relative paths inside the repository are followed)',
    },
  ]);
  expect(tree.reads).toEqual(['specs/schemas/pet.yaml']);
  expect(touched()).toEqual([]);
  const props = ((f.elements[1]!.attrs.responses as { properties: { name: string }[] }[])[0]!).properties.map((p) => p.name);
  expect(props).toEqual(['owner', 'vet']);
});

test('encoded and platform-specific escapes are forbidden too', async () => {
  const refs = ['%2e%2e/%2e%2e/%2e%2e/etc/passwd', '%2Fetc%2Fpasswd', '..%5C..%5Cwindows%5Cwin.ini', 'C:\\Windows\\win.ini', '//169.254.169.254/latest', 'data:application/json,{}', 'ftp://example.net/x.yaml', '~/.ssh/id_rsa'];
  for (const ref of refs) {
    const tree = memoryTree({});
    const f = await openapiParser.parse('api.yaml', specWith(ref), ctxFor(tree));
    expect([ref, f.issues.filter((i) => i.code === 'forbidden-ref').length]).toEqual([ref, 3]);
    expect(tree.reads).toEqual([]);
  }
  expect(touched()).toEqual([]);
});

describe('classifyRef', () => {
  test.each([
    ['#/components/schemas/Pet', 'api/openapi.yaml', { kind: 'local', fragment: '#/components/schemas/Pet' }],
    ['pet.yaml', 'api/openapi.yaml', { kind: 'tree', path: 'api/pet.yaml', fragment: '#' }],
    ['./schemas/pet.yaml#/Pet', 'api/openapi.yaml', { kind: 'tree', path: 'api/schemas/pet.yaml', fragment: '#/Pet' }],
    ['../common/error.yaml', 'api/v1/openapi.yaml', { kind: 'tree', path: 'api/common/error.yaml', fragment: '#' }],
    ['my%20file.yaml', 'openapi.yaml', { kind: 'tree', path: 'my file.yaml', fragment: '#' }],
    ['../x.yaml', 'openapi.yaml', { kind: 'forbidden', reason: 'path escapes the repository root' }],
    ['a/../../x.yaml', 'openapi.yaml', { kind: 'forbidden', reason: 'path escapes the repository root' }],
    ['HTTPS://x.io/a.yaml', 'openapi.yaml', { kind: 'forbidden', reason: 'URL scheme "https:" (only relative paths inside the repository are followed)' }],
  ])('%s from %s', (ref, from, expected) => {
    expect(classifyRef(ref, from)).toEqual(expected);
  });
});

test('second line of defence: the library step alone cannot read outside the loaded files', async () => {
  // Bypass our own scan: hand the validator a document that still holds hostile refs.
  const text = 'openapi: 3.0.3\ninfo: {title: T, version: "1"}\npaths:\n  /a: {$ref: "file:///etc/passwd"}\n  /b: {$ref: "http://169.254.169.254/latest/meta-data/"}\n  /c: {$ref: "../../../etc/passwd"}\n';
  const doc = parseYaml('api.yaml', text, DEFAULT_LIMITS).documents[0]!;
  const root = { path: 'api.yaml', doc, value: doc.value };
  const issues: ParseIssue[] = [];
  const timer = deadline(5000);
  await validateWithLibrary({ root, files: new Map([[root.path, root]]), issues, timeout: timer.promise, refProblemsReported: false, timeoutMs: 5000, maxRefDepth: 32 });
  timer.cancel();
  expect(touched()).toEqual([]);
  expect(issues).toHaveLength(1);
  expect(issues[0]).toMatchObject({ level: 'warning', code: 'openapi-invalid' });
  expect(issues[0]!.message).toMatch(/^OpenAPI document could not be dereferenced: /);
});

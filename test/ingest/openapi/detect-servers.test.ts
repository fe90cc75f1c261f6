import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { detectOpenApi } from '../../../src/ingest/openapi/index.js';
import { isPublicHost, serversV2, serversV3 } from '../../../src/ingest/openapi/servers.js';
import { FIXTURES } from './helpers.js';

describe('detect', () => {
  test.each([
    ['crapi/crapi-openapi-spec.json'],
    ['bookinfo/swagger.yaml'],
    ['petstore-3.0/petstore.yaml'],
    ['petstore-3.0/petstore.json'],
    ['tictactoe-3.1/tictactoe.yaml'],
    ['tags-3.2/3.2-tags-example.yaml'],
    ['uber-2.0/uber.yaml'],
    ['multifile-3.0/api/openapi.yaml'],
  ])('claims %s', async (name) => {
    expect(detectOpenApi(name, await readFile(join(FIXTURES, name), 'utf8'))).toBe(true);
  });

  test.each([
    // Fragments of a multi-file spec are read through $ref, not on their own.
    ['petstore-separate-2.0/spec/Pet.yaml'],
    ['multifile-3.0/schemas/order.yaml'],
  ])('ignores fragment %s', async (name) => {
    expect(detectOpenApi(name, await readFile(join(FIXTURES, name), 'utf8'))).toBe(false);
  });

  test.each([
    ['a.yaml', 'openapi: "3.1.0"\ninfo: {}\n', true],
    ['a.yml', "swagger: '2.0'\n", true],
    ['a.yaml', 'swagger: 2.0\n', true],
    ['a.yaml', '# comment\ninfo:\n  title: x\nopenapi: 3.0.3 # late key\n', true],
    ['a.json', '{"info": {"title": "x"}, "openapi": "3.0.0"}', true],
    ['a.json', '\uFEFF{"swagger":"2.0"}', true],
    ['a.yaml', '{"openapi": "3.1.0"}', true],
    // Not top level: an OpenAPI document embedded in a ConfigMap or a CloudFormation body.
    ['cm.yaml', 'kind: ConfigMap\ndata:\n  openapi.yaml: |\n    openapi: 3.0.0\n', false],
    ['cfn.json', '{"Resources": {"Api": {"Properties": {"Body": {"openapi": "3.0.1"}}}}}', false],
    ['a.json', '{"x": "\\"openapi\\": \\"3.0.0\\""}', false],
    // Wrong versions or file types.
    ['a.yaml', 'openapi: 2.0\n', false],
    ['a.yaml', 'swagger: "1.2"\n', false],
    ['a.txt', 'openapi: 3.0.0\n', false],
    ['a.json', 'openapi: 3.0.0\n', false],
    ['package-lock.json', '{"name": "x", "packages": {}}', false],
  ])('%s %j → %s', (path, content, expected) => {
    expect(detectOpenApi(path, content)).toBe(expected);
  });
});

describe('servers', () => {
  test.each([
    ['api.acme-shop.io', true],
    ['petstore.swagger.io', true],
    ['eu.api.acme-shop.io', true],
    ['{tenant}.api.acme-shop.io', true],
    ['8.8.8.8', true],
    ['[2001:4860:4860::8888]', true],
    ['localhost', false],
    ['api.localhost', false],
    ['orders', false],
    ['orders.shop', true], // a dotted name could be either; treated as public (documented)
    ['orders.shop.svc', false],
    ['orders.shop.svc.cluster.local', false],
    ['printer.local', false],
    ['metadata.google.internal', false],
    ['host.docker.internal', false],
    ['10.0.0.5', false],
    ['172.20.1.1', false],
    ['192.168.1.10', false],
    ['127.0.0.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['[::1]', false],
    ['[fd00::1]', false],
    ['{server}', false],
    ['{host}.svc.cluster.local', false],
    ['api.example.com', false],
    ['example.org', false],
    ['svc.test', false],
    ['', false],
  ])('isPublicHost(%s) = %s', (host, expected) => {
    expect(isPublicHost(host)).toBe(expected);
  });

  test('OpenAPI 3 servers: variables, ports, credentials dropped, relative URLs', () => {
    expect(
      serversV3(
        [
          { url: 'https://{env}.api.acme-shop.io:8443/{base}', variables: { env: { default: 'prod' }, base: { default: 'v1' } } },
          { url: 'http://user:secret@10.1.2.3:8080' },
          { url: '/relative/v2' },
          { url: '{server}/api', variables: { server: { enum: ['a'] } } },
          { url: 42 },
          'junk',
        ],
        'document',
      ),
    ).toEqual([
      { url: 'https://{env}.api.acme-shop.io:8443/{base}', scheme: 'https', host: 'prod.api.acme-shop.io', port: 8443, basePath: '/v1', public: true, level: 'document' },
      { url: 'http://user:secret@10.1.2.3:8080', scheme: 'http', host: '10.1.2.3', port: 8080, public: false, level: 'document' },
      { url: '/relative/v2', basePath: '/relative/v2', public: false, level: 'document' },
      { url: '{server}/api', basePath: '{server}/api', public: false, level: 'document' },
    ]);
  });

  test('Swagger 2 servers: host without schemes keeps the scheme unknown', () => {
    expect(serversV2({ host: 'api.acme-shop.io:443', basePath: '/v1' }, undefined, 'document')).toEqual([
      { url: '//api.acme-shop.io:443/v1', host: 'api.acme-shop.io', port: 443, basePath: '/v1', public: true, level: 'document' },
    ]);
    expect(serversV2({ host: 'api.acme-shop.io', schemes: ['https'] }, ['HTTP'], 'operation')).toEqual([
      { url: 'http://api.acme-shop.io', scheme: 'http', host: 'api.acme-shop.io', public: true, level: 'operation' },
    ]);
  });
});

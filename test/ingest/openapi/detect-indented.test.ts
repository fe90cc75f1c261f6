import { openapiParser } from '../../../src/ingest/openapi/index.js';
import { DEFAULT_LIMITS } from '../../../src/model/types.js';

const indented = `  openapi: 3.0.0
  info:
    title: Indented
    version: "1"
  paths:
    /pets:
      get:
        responses:
          "200": { description: ok }
`;

test('a spec indented as a whole is detected and parsed', async () => {
  expect(openapiParser.detect('api/indented.yaml', indented)).toBe(true);
  const fragment = await openapiParser.parse('api/indented.yaml', indented, { tree: { read: async () => undefined }, limits: DEFAULT_LIMITS });
  expect(fragment.elements.map((e) => e.id)).toEqual(['openapi:Indented', 'openapi:Indented#GET /pets']);
});

test('an indented Kubernetes manifest is not taken for a spec', () => {
  expect(openapiParser.detect('k8s/x.yaml', '  apiVersion: v1\n  kind: Service\n')).toBe(false);
});

import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { jest } from '@jest/globals';
import { analyzeFiles } from '../helpers/analyze.js';

const spec = (ref: string) => `openapi: 3.0.3
info: { title: Hostile ${ref.length}, version: "1" }
paths:
  /x:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                $ref: "${ref}"
`;

const service = `apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec:
  type: LoadBalancer
  selector: { app: web }
  ports: [{ port: 80 }]
`;

describe('hostile input through the whole pipeline', () => {
  test('malformed YAML, a Helm template and forbidden $refs each give an error entry; the rest is analysed; nothing outside the tree is read or fetched', async () => {
    const readFile = jest.spyOn(fs, 'readFileSync');
    const readFileAsync = jest.spyOn(fs.promises, 'readFile');
    const open = jest.spyOn(fs, 'openSync');
    const httpRequest = jest.spyOn(http, 'request');
    const httpsRequest = jest.spyOn(https, 'request');
    const connect = jest.spyOn(net, 'connect');
    const fetchSpy = jest.spyOn(globalThis, 'fetch');
    try {
      const analysis = await analyzeFiles({
        'k8s/broken.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: [unclosed\n',
        'chart/templates/deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Values.name }}\n',
        'api/passwd.yaml': spec('/etc/passwd'),
        'api/metadata.yaml': spec('http://169.254.169.254/latest/meta-data/'),
        'k8s/web.yaml': service,
      });
      const byFile = Object.fromEntries(analysis.issues.map((i) => [i.file, `${i.level}:${i.code}`]));
      expect(byFile).toEqual(
        expect.objectContaining({
          'k8s/broken.yaml': 'error:yaml-syntax',
          'chart/templates/deployment.yaml': 'skipped:helm-template',
          'api/passwd.yaml': 'error:forbidden-ref',
          'api/metadata.yaml': 'error:forbidden-ref',
        }),
      );
      for (const i of analysis.issues.filter((x) => x.level === 'error')) expect(i.line).toBeGreaterThan(0);
      // The good file is still modelled and its finding reported.
      expect(analysis.threats.map((t) => t.ruleId)).toContain('graph-unauthenticated-crossing');
      const touchedPaths = [...readFile.mock.calls, ...readFileAsync.mock.calls, ...open.mock.calls].map((c) => String(c[0]));
      expect(touchedPaths.filter((p) => p.includes('passwd'))).toEqual([]);
      expect(httpRequest).not.toHaveBeenCalled();
      expect(httpsRequest).not.toHaveBeenCalled();
      expect(connect).not.toHaveBeenCalled();
      expect(fetchSpy).not.toHaveBeenCalled();
    } finally {
      jest.restoreAllMocks();
    }
  });
});

import { spawn } from 'node:child_process';

/**
 * Synthetic but realistic monorepos for the benchmarks: per service a
 * Deployment, Service, ConfigMap and NetworkPolicy, an OpenAPI spec and
 * Terraform for its data store, IAM role and policy and a queue; services
 * call each other through env vars. Namespaces of 50 services, each with a
 * namespace-wide default-deny NetworkPolicy. Deterministic: the same size
 * gives byte-identical files.
 */

export const SERVICES_PER_NAMESPACE = 50;

export function serviceName(i: number): string {
  return `svc-${String(i).padStart(5, '0')}`;
}
export function namespaceOf(i: number): string {
  return `ns-${String(Math.floor(i / SERVICES_PER_NAMESPACE)).padStart(3, '0')}`;
}

/** Small deterministic PRNG (mulberry32): benchmarks must not vary between runs. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Services this one calls: mostly its namespace, sometimes another. */
function callees(i: number, n: number): number[] {
  const r = rng(i + 1);
  const out = new Set<number>();
  const count = n > 1 ? 1 + Math.floor(r() * 3) : 0;
  while (out.size < Math.min(count, n - 1)) {
    const sameNs = r() < 0.7;
    const base = Math.floor(i / SERVICES_PER_NAMESPACE) * SERVICES_PER_NAMESPACE;
    const j = sameNs ? base + Math.floor(r() * Math.min(SERVICES_PER_NAMESPACE, n - base)) : Math.floor(r() * n);
    if (j !== i && j < n) out.add(j);
  }
  return [...out].sort((a, b) => a - b);
}

export function deploymentYaml(i: number, n: number, variant = 0): string {
  const name = serviceName(i);
  const ns = namespaceOf(i);
  const calls = callees(i, n)
    .map((j) => `            - name: ${serviceName(j).toUpperCase().replace(/-/g, '_')}_URL\n              value: http://${serviceName(j)}.${namespaceOf(j)}.svc.cluster.local:8080`)
    .join('\n');
  const external = i % 7 === 0 ? `\n            - name: PAYMENTS_API_URL\n              value: https://api.payments-provider.example.com/v2` : '';
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${ns}
  labels:
    app: ${name}
    team: team-${i % 40}
spec:
  replicas: ${2 + (i % 3) + variant}
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
        tier: backend
    spec:
      serviceAccountName: ${name}
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
      containers:
        - name: app
          image: registry.example.com/${ns}/${name}:1.${i % 17}.${variant}
          ports:
            - containerPort: 8080
              name: http
          env:
            - name: LOG_LEVEL
              value: info
            - name: DB_HOST
              value: ${name}-db.cluster-abc.eu-west-1.rds.amazonaws.com:5432
            - name: QUEUE_URL
              value: https://sqs.eu-west-1.amazonaws.com/123456789012/${name}-events
${calls}${external}
          envFrom:
            - configMapRef:
                name: ${name}-config
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              cpu: 500m
              memory: 512Mi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
          readinessProbe:
            httpGet:
              path: /healthz
              port: 8080
`;
}

export function serviceYaml(i: number): string {
  const name = serviceName(i);
  return `apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${name}
  namespace: ${namespaceOf(i)}
automountServiceAccountToken: false
---
apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${namespaceOf(i)}
  labels:
    app: ${name}
spec:
  type: ClusterIP
  selector:
    app: ${name}
  ports:
    - name: http
      port: 8080
      targetPort: http
`;
}

export function configMapYaml(i: number): string {
  const name = serviceName(i);
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}-config
  namespace: ${namespaceOf(i)}
data:
  FEATURE_FLAGS: "checkout-v2,fast-search"
  CACHE_TTL_SECONDS: "300"
  REGION: eu-west-1
`;
}

export function networkPolicyYaml(i: number, callers: readonly number[]): string {
  const name = serviceName(i);
  const from = callers.length
    ? callers
        .slice(0, 3)
        .map((j) => `        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: ${namespaceOf(j)}\n          podSelector:\n            matchLabels:\n              app: ${serviceName(j)}`)
        .join('\n')
    : `        - podSelector:\n            matchLabels:\n              tier: gateway`;
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ${name}-ingress
  namespace: ${namespaceOf(i)}
spec:
  podSelector:
    matchLabels:
      app: ${name}
  policyTypes: [Ingress]
  ingress:
    - from:
${from}
      ports:
        - port: 8080
`;
}

export function namespaceYaml(ns: string, variant = 0): string {
  return `apiVersion: v1
kind: Namespace
metadata:
  name: ${ns}
  labels:
    kubernetes.io/metadata.name: ${ns}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: ${ns}
spec:
  podSelector: {}
  policyTypes: [Ingress${variant ? ', Egress' : ''}]
`;
}

export function ingressYaml(i: number): string {
  const name = serviceName(i);
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: ${namespaceOf(i)}
  annotations:
    nginx.ingress.kubernetes.io/auth-url: https://auth.example.com/oauth2/auth
spec:
  ingressClassName: nginx
  tls:
    - hosts: [${name}.example.com]
      secretName: ${name}-tls
  rules:
    - host: ${name}.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: ${name}
                port:
                  number: 8080
`;
}

export function openapiYaml(i: number): string {
  const name = serviceName(i);
  const resource = `item${i % 11}`;
  return `openapi: 3.0.3
info:
  title: ${name} API
  version: 1.${i % 9}.0
  x-threatdiff-service: ${name}
servers:
  - url: http://${name}.${namespaceOf(i)}.svc.cluster.local:8080
security:
  - bearerAuth: []
paths:
  /${resource}s:
    get:
      operationId: list${i}
      summary: List ${resource}s
      parameters:
        - name: limit
          in: query
          schema:
            type: integer
            maximum: 100
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: array
                items:
                  $ref: '#/components/schemas/Item'
    post:
      operationId: create${i}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/Item'
      responses:
        '201':
          description: created
  /${resource}s/{id}:
    parameters:
      - name: id
        in: path
        required: true
        schema:
          type: string
          format: uuid
    get:
      operationId: get${i}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Item'
        '404':
          description: not found
    delete:
      operationId: delete${i}
      security:
        - bearerAuth: [admin]
      responses:
        '204':
          description: deleted
  /healthz:
    get:
      operationId: health${i}
      security: []
      responses:
        '200':
          description: ok
components:
  securitySchemes:
    bearerAuth:
      type: http
      scheme: bearer
      bearerFormat: JWT
  schemas:
    Item:
      type: object
      required: [id, name]
      properties:
        id:
          type: string
          format: uuid
        name:
          type: string
          maxLength: 200
        price:
          type: number
        tags:
          type: array
          maxItems: 20
          items:
            type: string
`;
}

export function terraformMain(i: number): string {
  const name = serviceName(i);
  const store =
    i % 3 === 0
      ? `resource "aws_dynamodb_table" "store" {
  name         = "${name}-store"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"

  attribute {
    name = "id"
    type = "S"
  }

  server_side_encryption {
    enabled = true
  }

  point_in_time_recovery {
    enabled = true
  }
}`
      : `resource "aws_db_instance" "store" {
  identifier              = "${name}-db"
  engine                  = "postgres"
  engine_version          = "15.4"
  instance_class          = "db.t3.medium"
  allocated_storage       = 20
  storage_encrypted       = true
  publicly_accessible     = false
  backup_retention_period = 7
  username                = "app"
  manage_master_user_password = true
  db_subnet_group_name    = "private"
  vpc_security_group_ids  = [aws_security_group.db.id]
}

resource "aws_security_group" "db" {
  name   = "${name}-db"
  vpc_id = "vpc-0123456789"

  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/16"]
  }
}`;
  return `${store}

resource "aws_sqs_queue" "events" {
  name                      = "${name}-events"
  message_retention_seconds = 345600
  sqs_managed_sse_enabled   = true
}

resource "aws_iam_role" "app" {
  name = "${name}-app"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC" }
    }]
  })
}

resource "aws_iam_policy" "app" {
  name = "${name}-app"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["sqs:SendMessage", "sqs:ReceiveMessage"]
        Resource = aws_sqs_queue.events.arn
      },
      {
        Effect   = "Allow"
        Action   = ["${i % 3 === 0 ? 'dynamodb:GetItem", "dynamodb:PutItem' : 'rds-db:connect'}"]
        Resource = "*"
      }
    ]
  })
}

resource "aws_iam_role_policy_attachment" "app" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.app.arn
}
`;
}

/** Every file of a repository with `n` services. */
export function generateRepo(n: number): Map<string, string> {
  const files = new Map<string, string>();
  const callers = new Map<number, number[]>();
  for (let i = 0; i < n; i++) for (const j of callees(i, n)) (callers.get(j) ?? callers.set(j, []).get(j)!).push(i);
  for (let i = 0; i < n; i++) {
    const dir = `services/${serviceName(i)}`;
    files.set(`${dir}/k8s/deployment.yaml`, deploymentYaml(i, n));
    files.set(`${dir}/k8s/service.yaml`, serviceYaml(i));
    files.set(`${dir}/k8s/configmap.yaml`, configMapYaml(i));
    files.set(`${dir}/k8s/networkpolicy.yaml`, networkPolicyYaml(i, callers.get(i) ?? []));
    if (i % 10 === 0) files.set(`${dir}/k8s/ingress.yaml`, ingressYaml(i));
    files.set(`${dir}/api/openapi.yaml`, openapiYaml(i));
    files.set(`${dir}/terraform/main.tf`, terraformMain(i));
    files.set(`${dir}/README.md`, `# ${serviceName(i)}\n\nOwned by team-${i % 40}.\n`);
  }
  for (let k = 0; k * SERVICES_PER_NAMESPACE < n; k++) {
    const ns = namespaceOf(k * SERVICES_PER_NAMESPACE);
    files.set(`platform/namespaces/${ns}.yaml`, namespaceYaml(ns));
  }
  return files;
}

/** The three pull requests the benchmark times, as file changes on top of `generateRepo(n)`. */
export function pullRequests(n: number): Record<'pr-1' | 'pr-10' | 'pr-netpol', Map<string, string>> {
  const pick = (k: number) => Math.floor((n * (k + 0.5)) / 10) % n;
  const one = new Map([[`services/${serviceName(pick(3))}/k8s/deployment.yaml`, deploymentYaml(pick(3), n, 1)]]);
  const ten = new Map<string, string>();
  for (let k = 0; k < 10; k++) {
    const i = pick(k);
    // A mix: deployments, specs and Terraform, as a real cross-cutting PR.
    if (k % 3 === 0) ten.set(`services/${serviceName(i)}/k8s/deployment.yaml`, deploymentYaml(i, n, 1));
    else if (k % 3 === 1) ten.set(`services/${serviceName(i)}/api/openapi.yaml`, openapiYaml(i).replace('maximum: 100', 'maximum: 1000'));
    else ten.set(`services/${serviceName(i)}/terraform/main.tf`, terraformMain(i).replace('publicly_accessible     = false', 'publicly_accessible     = true').replace('345600', '86400'));
  }
  const ns = namespaceOf(pick(5));
  const netpol = new Map([[`platform/namespaces/${ns}.yaml`, namespaceYaml(ns, 1)]]);
  return { 'pr-1': one, 'pr-10': ten, 'pr-netpol': netpol };
}

/**
 * Commits `files` as branch `main` and each PR as a branch on top of it, with
 * one `git fast-import` stream (seconds for 40,000 files, where `git add`
 * takes minutes).
 */
export async function commitRepo(dir: string, files: Map<string, string>, prs: Record<string, Map<string, string>>): Promise<void> {
  await run('git', ['init', '-q', '-b', 'main', dir]);
  const chunks: Buffer[] = [];
  const write = (s: string | Buffer) => chunks.push(typeof s === 'string' ? Buffer.from(s, 'utf8') : s);
  let mark = 0;
  const blobs = (map: Map<string, string>): Map<string, number> => {
    const marks = new Map<string, number>();
    for (const [path, content] of map) {
      const body = Buffer.from(content, 'utf8');
      marks.set(path, ++mark);
      write(`blob\nmark :${mark}\ndata ${body.length}\n`);
      write(body);
      write('\n');
    }
    return marks;
  };
  const commit = (branch: string, marks: Map<string, number>, message: string, from?: string) => {
    const msg = Buffer.from(message, 'utf8');
    write(`commit refs/heads/${branch}\ncommitter Bench <bench@example.com> 1700000000 +0000\ndata ${msg.length}\n`);
    write(msg);
    write('\n');
    if (from) write(`from ${from}\n`);
    for (const [path, m] of marks) write(`M 100644 :${m} ${path}\n`);
    write('\n');
  };
  commit('main', blobs(files), 'synthetic monorepo');
  for (const [branch, changes] of Object.entries(prs)) commit(branch, blobs(changes), branch, 'refs/heads/main');
  await run('git', ['-C', dir, 'fast-import', '--quiet'], Buffer.concat(chunks));
}

function run(cmd: string, args: string[], input?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: [input ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.trim()}`))));
    if (input) p.stdin!.end(input);
  });
}

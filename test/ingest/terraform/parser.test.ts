import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { terraformParser } from '../../../src/ingest/terraform/index.js';
import { DEFAULT_LIMITS, type Edge, type Element, type Fragment, type Limits, type Ref } from '../../../src/model/types.js';

const FIX = new URL('../../fixtures/terraform/', import.meta.url).pathname;

function fixture(path: string): string {
  return readFileSync(FIX + path, 'utf8');
}

async function parse(path: string, content: string, limits: Partial<Limits> = {}): Promise<Fragment> {
  return terraformParser.parse(path, content, { tree: { read: async () => undefined }, limits: { ...DEFAULT_LIMITS, ...limits } });
}

function el(f: Fragment, id: string): Element {
  const found = f.elements.find((e) => e.id === id);
  if (!found) throw new Error(`no element ${id} in ${f.elements.map((e) => e.id).join(', ')}`);
  return found;
}

function edge(f: Fragment, from: string, to: string, kind: string): Edge | undefined {
  return f.edges.find((e) => e.from === from && e.to === to && e.kind === kind);
}

function brief(e: Edge): string {
  return `${e.from} -${e.kind}-> ${e.to}`;
}

describe('detect', () => {
  test.each([
    ['main.tf', true],
    ['infra/prod/network.tf', true],
    ['stack.tf.json', true],
    ['main.tofu', true],
    ['main.tofu.json', true],
    ['.terraform/modules/vpc/main.tf', false],
    ['infra/.terraform/modules/vpc/main.tf', false],
    ['prod.tfvars', false],
    ['main.tf.bak', false],
    ['package.json', false],
  ])('%s → %s', (path, expected) => {
    expect(terraformParser.detect(path, '')).toBe(expected);
  });

  test('identity', () => {
    expect(terraformParser.id).toBe('terraform');
    expect(terraformParser.version).toBe('1');
  });
});

describe('AWS stack (main.tf at the repository root)', () => {
  let f: Fragment;
  beforeAll(async () => {
    f = await parse('main.tf', fixture('aws/main.tf'));
  });

  test('no issues', () => {
    expect(f.issues).toEqual([]);
    expect(f.format).toBe('terraform');
  });

  test('every resource, data source is an element with kind and zone; variables and locals are not', () => {
    expect(f.elements.map((e) => [e.id, e.kind, e.zoneHint ?? null])).toEqual([
      ['tf:aws_vpc.main', 'other', null],
      ['tf:aws_subnet.public', 'other', null],
      ['tf:aws_subnet.private', 'other', null],
      ['tf:aws_security_group.alb', 'policy', 'edge'],
      ['tf:aws_security_group.db', 'policy', 'edge'],
      ['tf:aws_security_group_rule.ssh', 'policy', null],
      ['tf:aws_lb.web', 'gateway', 'edge'],
      ['tf:aws_lb_target_group.app', 'other', 'edge'],
      ['tf:aws_lb_listener.http', 'other', 'edge'],
      ['tf:aws_ecs_task_definition.app', 'config', null],
      ['tf:aws_ecs_service.app', 'service', 'vpc-private'],
      ['tf:aws_db_instance.orders', 'datastore', 'data'],
      ['tf:aws_s3_bucket.assets', 'datastore', 'data'],
      ['tf:aws_s3_bucket_public_access_block.assets', 'other', null],
      ['tf:aws_s3_bucket_policy.assets', 'other', null],
      ['tf:aws_sqs_queue.orders', 'queue', 'data'],
      ['tf:aws_iam_role.app', 'identity', 'cloud-iam'],
      ['tf:aws_iam_policy.app', 'capability', 'cloud-iam'],
      ['tf:data.aws_iam_policy_document.app', 'capability', 'cloud-iam'],
      ['tf:aws_iam_role_policy_attachment.app', 'other', 'cloud-iam'],
      ['tf:aws_iam_role_policy_attachment.admin', 'other', 'cloud-iam'],
      ['tf:aws_lambda_function.worker', 'service', 'vpc-private'],
      ['tf:aws_lambda_event_source_mapping.orders', 'other', null],
      ['tf:aws_iam_role.lambda', 'identity', 'cloud-iam'],
      ['tf:aws_dynamodb_table.sessions', 'datastore', 'data'],
      ['tf:aws_widget_thing.x', 'other', null],
    ]);
  });

  test('element basics', () => {
    const db = el(f, 'tf:aws_db_instance.orders');
    expect(db).toMatchObject({ type: 'tf:aws_db_instance', name: 'aws_db_instance.orders', location: { file: 'main.tf', line: 146 } });
    expect(db.attrs).toMatchObject({ tfType: 'aws_db_instance', address: 'aws_db_instance.orders', provider: 'aws', directory: '' });
    expect(el(f, 'tf:data.aws_iam_policy_document.app')).toMatchObject({ type: 'tf:data.aws_iam_policy_document', attrs: { dataSource: true } });
  });

  test('values: literals are JSON, expressions are $expr, literal variable defaults are substituted', () => {
    const db = el(f, 'tf:aws_db_instance.orders');
    expect(db.attrs.values).toEqual({
      identifier: 'orders',
      engine: 'postgres',
      instance_class: 'db.t3.micro',
      allocated_storage: 20,
      port: 5432,
      publicly_accessible: true,
      storage_encrypted: false,
      vpc_security_group_ids: [{ $expr: 'aws_security_group.db.id' }],
      username: 'app',
      password: { $expr: 'var.db_password' },
    });
    expect(db.attrs.resolvedFrom).toEqual({ port: 'var.db_port' });
    // A variable without a default stays unknown inside a template.
    expect(el(f, 'tf:aws_s3_bucket.assets').attrs.values).toEqual({ bucket: { $expr: '"shop-assets-${var.environment}"' } });
    // Locals are substituted too, here inside a list.
    expect(el(f, 'tf:aws_security_group_rule.ssh').attrs.resolvedFrom).toEqual({ 'cidr_blocks.0': 'local.admin_cidr' });
  });

  test('nested blocks are arrays of objects', () => {
    const sg = el(f, 'tf:aws_security_group.alb');
    expect((sg.attrs.values as Record<string, unknown>).ingress).toEqual([
      { description: 'HTTPS from anywhere', from_port: 443, to_port: 443, protocol: 'tcp', cidr_blocks: ['0.0.0.0/0'] },
      { from_port: 80, to_port: 80, protocol: 'tcp', ipv6_cidr_blocks: ['::/0'] },
    ]);
  });

  test('lines of attributes, nested blocks and list items', () => {
    expect(el(f, 'tf:aws_db_instance.orders').lines).toMatchObject({ identifier: 147, publicly_accessible: 152, storage_encrypted: 153, 'vpc_security_group_ids.0': 154 });
    expect(el(f, 'tf:aws_security_group.alb').lines).toMatchObject({ 'ingress.0': 43, 'ingress.0.cidr_blocks': 48, 'ingress.1': 51, 'ingress.1.ipv6_cidr_blocks': 55, 'egress.0': 58 });
    expect(el(f, 'tf:aws_iam_role.lambda').lines).toMatchObject({ assume_role_policy: 255, 'assume_role_policy.Statement.0': 257, 'inline_policy.0': 264, 'inline_policy.0.policy.Statement.0.Action': 271 });
  });

  test('refs list referenced addresses', () => {
    expect(el(f, 'tf:aws_lb.web').attrs.refs).toEqual(['aws_security_group.alb', 'aws_subnet.public']);
    expect(el(f, 'tf:aws_security_group_rule.ssh').attrs.refs).toEqual(['aws_security_group.app', 'local.admin_cidr']);
    expect(el(f, 'tf:aws_iam_policy.app').attrs.refs).toEqual(['data.aws_iam_policy_document.app']);
  });

  test('generic references edge per referenced element, with the attribute as evidence', () => {
    expect(edge(f, 'tf:aws_subnet.public', 'tf:aws_vpc.main', 'references')).toEqual({
      from: 'tf:aws_subnet.public',
      to: 'tf:aws_vpc.main',
      kind: 'references',
      location: { file: 'main.tf', line: 29 },
      evidence: 'attr vpc_id = aws_vpc.main.id',
      attrs: { attributes: ['vpc_id'] },
    });
    expect(edge(f, 'tf:aws_s3_bucket_public_access_block.assets', 'tf:aws_s3_bucket.assets', 'references')?.attrs).toEqual({ attributes: ['bucket'] });
    // Expressions with literal parts are not echoed (they may carry secrets).
    expect(edge(f, 'tf:aws_ecs_task_definition.app', 'tf:aws_sqs_queue.orders', 'references')?.evidence).toBe('attr container_definitions references aws_sqs_queue.orders');
  });

  test('semantic edges', () => {
    const semantic = f.edges.filter((e) => e.kind !== 'references').map(brief);
    expect(semantic).toEqual([
      'tf:aws_iam_policy.app -grants-> tf:data.aws_iam_policy_document.app',
      'actor:internet -network-> tf:aws_security_group.alb',
      'tf:aws_security_group.alb -network-> tf:aws_lb.web',
      'actor:internet -exposes-> tf:aws_lb.web',
      'tf:aws_lb.web -routes-> tf:aws_lb_listener.http',
      'tf:aws_lb_listener.http -routes-> tf:aws_lb_target_group.app',
      'tf:aws_ecs_task_definition.app -uses-identity-> tf:aws_iam_role.app',
      'tf:aws_ecs_task_definition.app -publishes-> tf:aws_sqs_queue.orders',
      'tf:aws_lb_target_group.app -routes-> tf:aws_ecs_service.app',
      'tf:aws_security_group.db -network-> tf:aws_db_instance.orders',
      'actor:internet -exposes-> tf:aws_db_instance.orders',
      'actor:internet -exposes-> tf:aws_s3_bucket.assets',
      'tf:data.aws_iam_policy_document.app -can-access-> tf:aws_sqs_queue.orders',
      'tf:aws_iam_role.app -grants-> tf:aws_iam_policy.app',
      'tf:aws_iam_role.app -grants-> tf:aws_iam_role_policy_attachment.admin',
      'tf:aws_lambda_function.worker -uses-identity-> tf:aws_iam_role.lambda',
      'tf:aws_lambda_function.worker -reads-> tf:aws_dynamodb_table.sessions',
      'tf:aws_sqs_queue.orders -subscribes-> tf:aws_lambda_function.worker',
      'tf:aws_iam_role.lambda -can-access-> tf:aws_sqs_queue.orders',
    ]);
  });

  test('security group exposure: internet → SG with the open rules, SG → member', () => {
    expect(edge(f, 'actor:internet', 'tf:aws_security_group.alb', 'network')).toMatchObject({
      protocol: 'tcp',
      location: { file: 'main.tf', line: 43 },
      evidence: 'ingress open to the internet: 0.0.0.0/0 → tcp port 443; ::/0 → tcp port 80',
    });
    expect(el(f, 'tf:aws_security_group.alb').attrs.publicIngress).toEqual([
      { protocol: 'tcp', fromPort: 443, toPort: 443, sources: ['0.0.0.0/0'], path: 'ingress.0', line: 43 },
      { protocol: 'tcp', fromPort: 80, toPort: 80, sources: ['::/0'], path: 'ingress.1', line: 51 },
    ]);
    // The rule resource's group is declared in another file: a ref for the linker.
    const sshRef = f.refs.find((r) => r.type === 'element' && r.from === 'actor:internet') as Extract<Ref, { type: 'element' }>;
    expect(sshRef).toMatchObject({ candidates: ['tf:aws_security_group.app'], edge: { kind: 'network', port: 22, protocol: 'tcp', location: { line: 84 } } });
    // ECS service is in that group too: SG → service, expressed as a reversed ref from the service.
    expect(f.refs).toContainEqual(
      expect.objectContaining({ type: 'element', from: 'tf:aws_ecs_service.app', candidates: ['tf:aws_security_group.app'], reverse: true, edge: expect.objectContaining({ kind: 'network' }) }),
    );
  });

  test('exposure evidence and authentication', () => {
    expect(edge(f, 'actor:internet', 'tf:aws_db_instance.orders', 'exposes')).toMatchObject({ authenticated: 'unknown', evidence: 'publicly_accessible = true', location: { line: 152 } });
    expect(edge(f, 'actor:internet', 'tf:aws_s3_bucket.assets', 'exposes')).toMatchObject({ authenticated: false, location: { line: 177 } });
    expect(edge(f, 'tf:aws_lb.web', 'tf:aws_lb_listener.http', 'routes')).toMatchObject({ protocol: 'http', port: 80, encrypted: false });
  });

  test('IAM statements from an aws_iam_policy_document', () => {
    expect(el(f, 'tf:data.aws_iam_policy_document.app').attrs.statements).toEqual([
      { sid: 'Queue', effect: 'Allow', actions: ['sqs:SendMessage', 'sqs:ReceiveMessage'], resources: [{ $expr: 'aws_sqs_queue.orders.arn' }], principals: [], line: 212, resourceRefs: ['aws_sqs_queue.orders'] },
      { effect: 'Allow', actions: ['s3:*'], resources: ['*'], principals: [], line: 218 },
    ]);
    // The policy using `<doc>.json` points at it instead of copying.
    const policy = el(f, 'tf:aws_iam_policy.app');
    expect(policy.attrs.statementsFrom).toBe('data.aws_iam_policy_document.app');
    expect(policy.attrs.statements).toBeUndefined();
  });

  test('IAM statements from jsonencode, trust policy and assumableBy', () => {
    const role = el(f, 'tf:aws_iam_role.lambda');
    expect(role.attrs.trustStatements).toEqual([{ effect: 'Allow', actions: ['sts:AssumeRole'], resources: [], principals: ['Service:lambda.amazonaws.com'], line: 257 }]);
    expect(role.attrs.assumableBy).toEqual(['Service:lambda.amazonaws.com']);
    expect(role.attrs.statements).toEqual([
      { effect: 'Allow', actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage'], resources: [{ $expr: 'aws_sqs_queue.orders.arn' }], principals: [], line: 269, resourceRefs: ['aws_sqs_queue.orders'] },
    ]);
    expect(role.attrs.statementsComplete).toBe(true);
    expect(edge(f, 'tf:aws_iam_role.lambda', 'tf:aws_sqs_queue.orders', 'can-access')?.attrs).toEqual({ actions: ['sqs:DeleteMessage', 'sqs:ReceiveMessage'] });
  });

  test('IAM statements from a heredoc with interpolation', () => {
    expect(el(f, 'tf:aws_s3_bucket_policy.assets').attrs.statements).toEqual([
      { sid: 'PublicRead', effect: 'Allow', actions: ['s3:GetObject'], resources: [{ $expr: '"${aws_s3_bucket.assets.arn}/*"' }], principals: ['*'], line: 177, resourceRefs: ['aws_s3_bucket.assets'] },
    ]);
  });

  test('literal managed policy attachments', () => {
    expect(el(f, 'tf:aws_iam_role_policy_attachment.admin').attrs.policyArn).toBe('arn:aws:iam::aws:policy/AdministratorAccess');
    expect(edge(f, 'tf:aws_iam_role.app', 'tf:aws_iam_role_policy_attachment.admin', 'grants')?.attrs).toEqual({ policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' });
  });

  test('jsonencode attributes are decoded as far as literal', () => {
    expect(el(f, 'tf:aws_ecs_task_definition.app').attrs.decoded).toEqual({
      container_definitions: [{ name: 'app', image: 'example/app:1.0', environment: [{ name: 'QUEUE_URL', value: { $expr: 'aws_sqs_queue.orders.url' } }] }],
    });
  });
});

describe('a second file of the same module', () => {
  test('references into the other file become refs; public IP puts EC2 in vpc-public', async () => {
    const f = await parse('apigw.tf', fixture('aws/apigw.tf'));
    expect(f.issues).toEqual([]);
    expect(el(f, 'tf:aws_instance.bastion').zoneHint).toBe('vpc-public');
    expect(el(f, 'tf:aws_api_gateway_method.get_orders').attrs.authenticated).toBe(false);
    expect(edge(f, 'tf:aws_api_gateway_rest_api.shop', 'tf:aws_api_gateway_method.get_orders', 'routes')).toMatchObject({ authenticated: false, location: { line: 15 } });
    expect(edge(f, 'tf:aws_instance.bastion', 'tf:aws_iam_instance_profile.bastion', 'uses-identity')).toBeDefined();
    // The group is declared in this file too: a plain edge.
    expect(edge(f, 'tf:aws_security_group.app', 'tf:aws_instance.bastion', 'network')?.location.line).toBe(40);
    const refs = f.refs.filter((r): r is Extract<Ref, { type: 'element' }> => r.type === 'element' && r.edge.kind !== 'references');
    expect(refs.map((r) => `${r.from} ${r.reverse ? '<-' : '->'}${r.edge.kind} ${r.candidates.join(',')}`)).toEqual([
      'tf:aws_api_gateway_method.get_orders ->routes tf:aws_lambda_function.worker',
      'tf:aws_api_gateway_rest_api.shop ->triggers tf:aws_lambda_function.worker',
      'tf:aws_iam_instance_profile.bastion ->uses-identity tf:aws_iam_role.app',
    ]);
  });
});

describe('directories are modules', () => {
  test('ids carry the directory; module calls keep their local source directory', async () => {
    const f = await parse('infra/gcp/main.tf', fixture('gcp/main.tf'));
    expect(f.elements[1]!.id).toBe('tf:infra/gcp//google_storage_bucket.public_assets');
    expect(f.elements[1]!.attrs.directory).toBe('infra/gcp');
    const j = await parse('stacks/data/main.tf.json', fixture('json/main.tf.json'));
    expect(el(j, 'tf:stacks/data//module.net').attrs).toMatchObject({ tfType: 'module', source: './modules/net', sourceDir: 'stacks/data/modules/net', values: { source: './modules/net', cidr: '10.0.0.0/16' } });
  });
});

describe('GCP', () => {
  let f: Fragment;
  beforeAll(async () => {
    f = await parse('main.tf', fixture('gcp/main.tf'));
  });

  test('kinds and zones', () => {
    expect(f.elements.map((e) => [e.id, e.kind, e.zoneHint ?? null])).toEqual([
      ['tf:provider.google', 'other', null],
      ['tf:google_storage_bucket.public_assets', 'datastore', 'data'],
      ['tf:google_storage_bucket_iam_member.public_read', 'other', 'cloud-iam'],
      ['tf:google_compute_firewall.ssh', 'policy', 'edge'],
      ['tf:google_sql_database_instance.orders', 'datastore', 'data'],
      ['tf:google_service_account.api', 'identity', 'cloud-iam'],
      ['tf:google_project_iam_member.api_editor', 'other', 'cloud-iam'],
      ['tf:google_cloud_run_service.api', 'service', 'vpc-public'],
      ['tf:google_cloud_run_service_iam_member.invoker', 'other', 'cloud-iam'],
      ['tf:google_compute_instance.bastion', 'service', 'vpc-public'],
    ]);
  });

  test('exposure, grants and identities', () => {
    expect(f.edges.filter((e) => e.kind !== 'references').map(brief)).toEqual([
      'actor:internet -exposes-> tf:google_storage_bucket.public_assets',
      'actor:internet -network-> tf:google_compute_firewall.ssh',
      'actor:internet -exposes-> tf:google_sql_database_instance.orders',
      'tf:google_service_account.api -grants-> tf:google_project_iam_member.api_editor',
      'tf:google_cloud_run_service.api -uses-identity-> tf:google_service_account.api',
      'actor:internet -exposes-> tf:google_cloud_run_service.api',
      'tf:google_compute_instance.bastion -uses-identity-> tf:google_service_account.api',
    ]);
    expect(el(f, 'tf:google_compute_firewall.ssh').attrs.publicIngress).toEqual([
      { protocol: 'tcp', fromPort: 22, toPort: 22, sources: ['0.0.0.0/0'], path: 'allow.0', line: 22 },
      { protocol: 'tcp', fromPort: 8000, toPort: 8080, sources: ['0.0.0.0/0'], path: 'allow.0', line: 22 },
    ]);
    expect(el(f, 'tf:google_sql_database_instance.orders').lines?.['settings.0.ip_configuration.0.authorized_networks.1.value']).toBe(48);
    expect(edge(f, 'actor:internet', 'tf:google_sql_database_instance.orders', 'exposes')?.location.line).toBe(46);
  });
});

describe('Azure', () => {
  test('kinds, exposure and role assignments', async () => {
    const f = await parse('main.tf', fixture('azure/main.tf'));
    expect(f.issues).toEqual([]);
    expect(el(f, 'tf:azurerm_network_security_group.web').attrs.publicIngress).toEqual([{ protocol: 'tcp', fromPort: 3389, toPort: 3389, sources: ['*'], path: 'security_rule.0', line: 11 }]);
    expect(el(f, 'tf:azurerm_mssql_firewall_rule.all').attrs).toMatchObject({ allowsAll: true, allowsAzureServices: false });
    expect(el(f, 'tf:azurerm_linux_web_app.app').zoneHint).toBe('vpc-public');
    expect(f.edges.filter((e) => e.kind !== 'references').map(brief)).toEqual([
      'actor:internet -network-> tf:azurerm_network_security_group.web',
      'actor:internet -exposes-> tf:azurerm_storage_container.images',
      'actor:internet -exposes-> tf:azurerm_mssql_server.orders',
      'tf:azurerm_user_assigned_identity.app -grants-> tf:azurerm_role_assignment.app_owner',
      'tf:azurerm_role_assignment.app_owner -can-access-> tf:azurerm_resource_group.main',
      'tf:azurerm_linux_web_app.app -uses-identity-> tf:azurerm_user_assigned_identity.app',
      'actor:internet -exposes-> tf:azurerm_linux_web_app.app',
    ]);
  });
});

describe('provider blocks', () => {
  test('are elements without credentials', async () => {
    const f = await parse('main.tf', 'provider "aws" {\n  region     = "eu-west-1"\n  access_key = "AKIAEXAMPLE"\n  secret_key = "hunter2"\n}\nprovider "aws" {\n  alias  = "us"\n  region = "us-east-1"\n}\n');
    expect(f.elements.map((e) => [e.id, e.type, e.attrs.provider, e.attrs.values, e.lines])).toEqual([
      ['tf:provider.aws', 'tf:provider', 'aws', { region: 'eu-west-1' }, { region: 2 }],
      ['tf:provider.aws.us', 'tf:provider', 'aws', { alias: 'us', region: 'us-east-1' }, { alias: 7, region: 8 }],
    ]);
    expect(JSON.stringify(f)).not.toContain('hunter2');
  });
});

describe('provider-defined functions (Terraform 1.8+)', () => {
  test('parse cleanly; calls are expressions with their references', async () => {
    const f = await parse('main.tf', fixture('functions/main.tf'));
    expect(f.issues).toEqual([]);
    const bucket = el(f, 'tf:aws_s3_bucket.regional');
    expect(bucket.attrs.values).toEqual({
      bucket: { $expr: '"logs-${provider::aws::arn_parse(local.role_arn).account_id}"' },
      tags: { Region: { $expr: 'provider::aws::arn_parse(local.role_arn).region' }, Team: 'platform' },
    });
    expect(bucket.attrs.refs).toEqual(['local.role_arn']);
    expect(bucket.lines).toMatchObject({ bucket: 8, tags: 9, 'tags.Region': 10, 'tags.Team': 11 });
    // `local.region` is itself a function call, so it is not a literal.
    expect(el(f, 'tf:aws_sns_topic.alerts').attrs.values).toMatchObject({ kms_master_key_id: { $expr: 'provider::aws::arn_build("aws", "kms", local.region, "123456789012", "alias/sns")' } });
  });
});

describe('syntax errors', () => {
  test('the first error is reported with its position; the blocks around it are still modelled', async () => {
    const f = await parse('main.tf', fixture('broken/main.tf'));
    expect(f.issues).toEqual([
      {
        file: 'main.tf',
        line: 6,
        level: 'error',
        code: 'hcl-syntax',
        message: 'HCL syntax error at 6:10 (unexpected input); the top-level block(s) at line 5, 14 were not modelled',
      },
    ]);
    expect(f.elements.map((e) => [e.id, e.location.line])).toEqual([
      ['tf:aws_s3_bucket.first', 1],
      ['tf:aws_sqs_queue.after', 10],
      ['tf:aws_dynamodb_table.last', 17],
    ]);
    expect(el(f, 'tf:aws_dynamodb_table.last').lines).toEqual({ name: 18, hash_key: 19 });
  });

  test('a missing brace at the end of the file', async () => {
    const f = await parse('main.tf', 'resource "aws_sqs_queue" "a" {\n  name = "a"\n}\n\nresource "aws_sqs_queue" "b" {\n  name = "b"\n');
    expect(f.issues).toHaveLength(1);
    expect(f.issues[0]).toMatchObject({ level: 'error', code: 'hcl-syntax' });
    expect(f.issues[0]!.message).toContain('missing "}"');
    expect(f.elements.map((e) => e.id)).toEqual(['tf:aws_sqs_queue.a']);
  });

  test('wrong label counts are warnings, not elements', async () => {
    const f = await parse('main.tf', 'resource "aws_s3_bucket" {\n  bucket = "x"\n}\n');
    expect(f.elements).toEqual([]);
    expect(f.issues).toEqual([{ file: 'main.tf', line: 1, level: 'warning', code: 'tf-block-labels', message: 'resource block at line 1 has 1 label(s); not modelled' }]);
  });

  test('duplicate addresses keep the first', async () => {
    const f = await parse('main.tf', 'resource "aws_sqs_queue" "a" {\n  name = "one"\n}\nresource "aws_sqs_queue" "a" {\n  name = "two"\n}\n');
    expect(f.elements.map((e) => e.attrs.values)).toEqual([{ name: 'one' }]);
    expect(f.issues[0]).toMatchObject({ code: 'tf-duplicate-address', line: 4, level: 'warning' });
  });
});

describe('.tf.json', () => {
  let f: Fragment;
  beforeAll(async () => {
    f = await parse('main.tf.json', fixture('json/main.tf.json'));
  });

  test('resources, data sources and modules with lines', () => {
    expect(f.issues).toEqual([]);
    expect(f.elements.map((e) => [e.id, e.kind, e.location.line])).toEqual([
      ['tf:aws_s3_bucket.data', 'datastore', 7],
      ['tf:aws_security_group.web', 'policy', 14],
      ['tf:aws_instance.web', 'service', 27],
      ['tf:aws_iam_policy.wild', 'capability', 34],
      ['tf:data.aws_caller_identity.current', 'other', 40],
      ['tf:module.net', 'other', 43],
    ]);
    expect(el(f, 'tf:aws_s3_bucket.data').lines).toEqual({ bucket: 8, acl: 9, tags: 10, 'tags.Team': 10 });
  });

  test('interpolations are expressions with refs; literal defaults substitute', () => {
    const bucket = el(f, 'tf:aws_s3_bucket.data');
    expect(bucket.attrs.values).toEqual({ bucket: 'json-bucket', acl: 'public-read', tags: { Team: 'data' } });
    expect(bucket.attrs.resolvedFrom).toEqual({ bucket: 'var.bucket_name' });
    expect(el(f, 'tf:aws_instance.web').attrs.values).toEqual({
      ami: 'ami-123',
      vpc_security_group_ids: [{ $expr: '${aws_security_group.web.id}' }],
      iam_instance_profile: { $expr: '${aws_iam_instance_profile.web.name}' },
    });
    expect(el(f, 'tf:aws_security_group.web').attrs.values).toEqual({ name: 'web', ingress: [{ from_port: 22, to_port: 22, protocol: 'tcp', cidr_blocks: ['0.0.0.0/0'] }] });
  });

  test('edges and JSON-string policies', () => {
    expect(f.edges.map(brief)).toEqual([
      'tf:aws_instance.web -references-> tf:aws_security_group.web',
      'actor:internet -exposes-> tf:aws_s3_bucket.data',
      'actor:internet -network-> tf:aws_security_group.web',
      'tf:aws_security_group.web -network-> tf:aws_instance.web',
    ]);
    expect(edge(f, 'tf:aws_instance.web', 'tf:aws_security_group.web', 'references')?.evidence).toBe('attr vpc_security_group_ids.0 = aws_security_group.web.id');
    expect(el(f, 'tf:aws_iam_policy.wild').attrs.statements).toEqual([{ effect: 'Allow', actions: ['*'], resources: ['*'], principals: [], line: 35 }]);
  });

  test('invalid JSON is an error issue with a line', async () => {
    const bad = await parse('main.tf.json', '{\n  "resource": {\n    "aws_s3_bucket": { "a": { "bucket": "x", } }\n  }\n}\n');
    expect(bad.elements).toEqual([]);
    expect(bad.issues).toHaveLength(1);
    expect(bad.issues[0]).toMatchObject({ level: 'error', code: 'json-syntax', line: 3 });
  });
});

describe('expressions and values', () => {
  async function values(hcl: string): Promise<Record<string, unknown>> {
    const f = await parse('main.tf', hcl);
    expect(f.issues).toEqual([]);
    return f.elements[0]!.attrs.values as Record<string, unknown>;
  }

  test('escapes, heredocs and literal forms', async () => {
    const v = await values(
      [
        'resource "x_y" "z" {',
        '  esc     = "a\\nb\\t\\"q\\" \\u00e9 $${not} %%{no}"',
        '  neg     = -1.5',
        '  nul     = null',
        '  paren   = (3)',
        '  strip   = <<-EOT',
        '    one',
        '      two',
        '    EOT',
        '  raw     = <<EOT',
        '  kept \\n',
        'EOT',
        '  obj     = { "quoted-key" = 1, bare = [true, false], nested = { a = "b" } }',
        '}',
      ].join('\n'),
    );
    expect(v).toEqual({
      esc: 'a\nb\t"q" é ${not} %{no}',
      neg: -1.5,
      nul: null,
      paren: 3,
      strip: 'one\n  two\n',
      raw: '  kept \\n\n',
      obj: { 'quoted-key': 1, bare: [true, false], nested: { a: 'b' } },
    });
  });

  test('everything evaluated at plan time is $expr', async () => {
    const v = await values(
      [
        'resource "x_y" "z" {',
        '  cond  = var.on ? "a" : "b"',
        '  tpl   = "${var.a}-x"',
        '  forx  = [for s in var.list : upper(s)]',
        '  splat = aws_instance.web[*].id',
        '  idx   = aws_instance.web[0].private_ip',
        '  dir   = "%{ if var.x }y%{ endif }"',
        '  sum   = 1 + 2',
        '}',
      ].join('\n'),
    );
    expect(v).toEqual({
      cond: { $expr: 'var.on ? "a" : "b"' },
      tpl: { $expr: '"${var.a}-x"' },
      forx: { $expr: '[for s in var.list : upper(s)]' },
      splat: { $expr: 'aws_instance.web[*].id' },
      idx: { $expr: 'aws_instance.web[0].private_ip' },
      dir: { $expr: '"%{ if var.x }y%{ endif }"' },
      sum: { $expr: '1 + 2' },
    });
    const f = await parse('main.tf', 'resource "x_y" "z" {\n  a = [for s in var.list : s.name]\n  b = aws_instance.web[0].id\n  c = module.net.vpc_id\n  d = data.aws_ami.ubuntu.id\n  e = each.value\n  f = path.module\n}\n');
    expect(f.elements[0]!.attrs.refs).toEqual(['var.list', 'aws_instance.web', 'module.net', 'data.aws_ami.ubuntu']);
  });

  test('dynamic blocks: content plus $dynamic, iterator names are not references', async () => {
    const f = await parse(
      'main.tf',
      [
        'resource "azurerm_network_security_group" "n" {',
        '  dynamic "security_rule" {',
        '    for_each = var.rules',
        '    content {',
        '      name                   = security_rule.value.name',
        '      destination_port_range = security_rule.value.port',
        '      source_address_prefix  = "*"',
        '    }',
        '  }',
        '}',
      ].join('\n'),
    );
    const v = f.elements[0]!.attrs.values as Record<string, unknown>;
    expect(v).toEqual({
      security_rule: [{ name: { $expr: 'security_rule.value.name' }, destination_port_range: { $expr: 'security_rule.value.port' }, source_address_prefix: '*', $dynamic: 'var.rules' }],
    });
    expect(f.elements[0]!.attrs.refs).toEqual(['var.rules']);
    expect(f.elements[0]!.lines).toMatchObject({ 'security_rule.0': 2, 'security_rule.0.name': 5 });
  });

  test('hostile keys do not reach Object.prototype', async () => {
    const v = await values('resource "x_y" "z" {\n  m = { "__proto__" = { polluted = true } }\n}\n');
    expect(Object.prototype.hasOwnProperty.call(v.m, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('limits and robustness', () => {
  test('files over the size limit are not parsed', async () => {
    const f = await parse('main.tf', 'resource "aws_s3_bucket" "b" {}\n', { maxFileBytes: 10 });
    expect(f.elements).toEqual([]);
    expect(f.issues).toEqual([{ file: 'main.tf', level: 'error', code: 'file-too-large', message: 'Terraform file not modelled: 32 bytes exceeds the 10-byte limit' }]);
  });

  test('parsing stops at the time limit', async () => {
    const big = Array.from({ length: 4000 }, (_, i) => `resource "aws_sqs_queue" "q${i}" {\n  name = "q${i}"\n  tags = { a = "b", c = [1, 2, 3] }\n}\n`).join('');
    const f = await parse('main.tf', big, { parseTimeoutMs: 1 });
    expect(f.elements).toEqual([]);
    expect(f.issues).toEqual([{ file: 'main.tf', level: 'error', code: 'parse-timeout', message: 'Terraform file not modelled: parsing took longer than 1 ms' }]);
  });

  test('never throws on arbitrary input', async () => {
    const token = fc.constantFrom('resource', 'data', '"aws_s3_bucket"', '"b"', '{', '}', '[', ']', '=', '"${', 'var.x', '<<EOT\n', 'EOT\n', '\n', ' ', 'jsonencode(', ')', ',', '"', '#', '-1', 'dynamic', 'content');
    await fc.assert(
      fc.asyncProperty(fc.array(token, { maxLength: 60 }), fc.string(), async (tokens, noise) => {
        const f = await parse('main.tf', tokens.join(' ') + noise);
        expect(Array.isArray(f.elements)).toBe(true);
        expect(f.issues.every((i) => i.code !== 'terraform-internal')).toBe(true);
        const j = await parse('main.tf.json', noise);
        expect(j.issues.every((i) => i.code !== 'terraform-internal')).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});

describe('secrets', () => {
  test('literal secrets are redacted and listed; expressions and look-alike keys are kept', async () => {
    const f = await parse(
      'main.tf',
      [
        'resource "aws_db_instance" "db" {',
        '  password        = "hunter2"',
        '  master_password = var.pw',
        '  password_length = 12',
        '  secret_arn      = "arn:aws:secretsmanager:eu-west-1:1:secret:x"',
        '  nested {',
        '    client_secret = "s3cr3t"',
        '  }',
        '}',
        'resource "kubernetes_secret" "s" {',
        '  data = { username = "admin", password = "p" }',
        '}',
      ].join('\n'),
    );
    expect(f.elements[0]!.attrs.values).toEqual({
      password: '<redacted>',
      master_password: { $expr: 'var.pw' },
      password_length: 12,
      secret_arn: 'arn:aws:secretsmanager:eu-west-1:1:secret:x',
      nested: [{ client_secret: '<redacted>' }],
    });
    expect(f.elements[0]!.attrs.redacted).toEqual(['password', 'nested.0.client_secret']);
    expect(f.elements[1]!.attrs.values).toEqual({ data: { username: '<redacted>', password: '<redacted>' } });
    expect(JSON.stringify(f)).not.toMatch(/hunter2|s3cr3t/);
  });
});

import type { EdgeKind, EdgeTemplate, TriState } from '../../model/types.js';
import { INTERNET, attrName, type Decl, type FileContext, type Use } from './context.js';
import { assumableBy, policyFromAttribute, policyFromDocumentBlocks, type NormalisedPolicy, type PolicyStatement } from './iam.js';
import { isElementAddress, typeOfAddress } from './ir.js';
import { awsSecurityGroupIngress, azureNsgIngress, describeIngress, gcpFirewallIngress, singlePort, type IngressFacts } from './network.js';
import { asBool, asString, asStringList, blocks, getPath } from './values.js';
import { AZURE_DB_FIREWALL_RULE_TYPES } from './kinds.js';

/**
 * Everything beyond literal values: IAM statements, exposure to the
 * internet, routing, identities, triggers, and a generic `references` edge
 * for every reference between elements. See README "Edges".
 */
export function applySemantics(ctx: FileContext): void {
  const decls = [...ctx.decls.values()];
  // Policy documents first so policies using `<doc>.json` in the same file can copy their statements.
  for (const d of decls) if (d.tfType === 'aws_iam_policy_document' && d.element.attrs.dataSource) policyDocument(d);
  for (const d of decls) if (!d.element.attrs.dataSource) policies(ctx, d);
  for (const d of decls) zones(ctx, d);
  for (const d of decls) genericReferences(ctx, d);
  for (const d of decls) {
    canAccess(ctx, d);
    if (d.element.attrs.dataSource) continue;
    identities(ctx, d);
    securityGroupUsers(ctx, d);
    const handler = handlerFor(d.tfType);
    if (handler) handler(ctx, d);
  }
}

// ---------------------------------------------------------------- helpers

function tmpl(ctx: FileContext, kind: EdgeKind, line: number, evidence: string, extra: Partial<EdgeTemplate> = {}): EdgeTemplate {
  return { kind, location: ctx.location(line), evidence, ...extra };
}

function lineOf(d: Decl, path: string): number {
  return d.element.lines?.[path] ?? d.block.line;
}

function self(d: Decl): { id: string } {
  return { id: d.id };
}

const TRAVERSAL_ONLY = /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*|\[[^\]]*\])*$/;

/** Evidence for a reference; the expression text only when it is a plain traversal (no literal strings that could carry secrets). */
function refEvidence(u: Use): string {
  const text = u.text.trim().replace(/^"?\$\{\s*([^{}]*?)\s*\}"?$/, '$1');
  return TRAVERSAL_ONLY.test(text) ? `attr ${u.path} = ${text}` : `attr ${u.path} references ${u.address}`;
}

function setAttr(d: Decl, key: string, value: unknown): void {
  d.element.attrs[key] = value;
}

// ---------------------------------------------------------------- generic references

function genericReferences(ctx: FileContext, d: Decl): void {
  const byTarget = new Map<string, Use[]>();
  for (const u of ctx.uses(d)) {
    const list = byTarget.get(u.address);
    if (list) list.push(u);
    else byTarget.set(u.address, [u]);
  }
  for (const [address, uses] of byTarget) {
    const first = uses[0]!;
    ctx.link(self(d), { address }, tmpl(ctx, 'references', first.line, refEvidence(first), { attrs: { attributes: [...new Set(uses.map((u) => u.path))] } }));
  }
}

// ---------------------------------------------------------------- IAM

const POLICY_ATTRIBUTE: Record<string, string> = {
  aws_iam_policy: 'policy',
  aws_iam_role_policy: 'policy',
  aws_iam_user_policy: 'policy',
  aws_iam_group_policy: 'policy',
  aws_s3_bucket_policy: 'policy',
  aws_s3_bucket: 'policy',
  aws_sqs_queue_policy: 'policy',
  aws_sqs_queue: 'policy',
  aws_sns_topic_policy: 'policy',
  aws_sns_topic: 'policy',
  aws_ecr_repository_policy: 'policy',
  aws_kms_key: 'policy',
  aws_secretsmanager_secret_policy: 'policy',
  aws_secretsmanager_secret: 'policy',
  aws_opensearch_domain: 'access_policies',
  aws_opensearch_domain_policy: 'access_policies',
  aws_elasticsearch_domain: 'access_policies',
  aws_elasticsearch_domain_policy: 'access_policies',
  aws_cloudwatch_event_bus_policy: 'policy',
  aws_api_gateway_rest_api: 'policy',
  aws_api_gateway_rest_api_policy: 'policy',
  aws_efs_file_system_policy: 'policy',
  aws_backup_vault_policy: 'policy',
  aws_glacier_vault: 'access_policy',
};

/** Identity-based policies: statements here grant their holder access (`can-access` edges). */
const IDENTITY_POLICY_TYPES = new Set(['aws_iam_policy', 'aws_iam_role_policy', 'aws_iam_user_policy', 'aws_iam_group_policy', 'aws_iam_role', 'aws_iam_policy_document']);

/**
 * Stores a policy's own statements. A policy that is `<document>.json` keeps
 * no copy (so each statement has one owner for rules): it records
 * `statementsFrom` and, for identity policies, a `grants` edge to the document.
 */
function storePolicy(ctx: FileContext, d: Decl, policy: NormalisedPolicy, key: 'statements' | 'trustStatements', line: number): void {
  if (policy.documentRef) {
    d.element.attrs[`${key}From`] = policy.documentRef;
    if (key === 'statements' && IDENTITY_POLICY_TYPES.has(d.tfType)) {
      ctx.link(self(d), { address: policy.documentRef }, tmpl(ctx, 'grants', line, `policy = ${policy.documentRef}.json`));
    }
    return;
  }
  const existing = (d.element.attrs[key] as PolicyStatement[] | undefined) ?? [];
  const existingComplete = d.element.attrs[`${key}Complete`];
  setAttr(d, key, [...existing, ...policy.statements]);
  setAttr(d, `${key}Complete`, existingComplete === false ? false : policy.complete);
}

/** Own statements plus those of a policy document declared in this file (for exposure decisions only). */
function effectiveStatements(ctx: FileContext, d: Decl, key: 'statements' | 'trustStatements' = 'statements'): PolicyStatement[] {
  const own = (d.element.attrs[key] as PolicyStatement[] | undefined) ?? [];
  const from = d.element.attrs[`${key}From`];
  const doc = typeof from === 'string' ? ctx.decls.get(from) : undefined;
  return [...own, ...((doc?.element.attrs.statements as PolicyStatement[] | undefined) ?? [])];
}

function policyDocument(d: Decl): void {
  const p = policyFromDocumentBlocks(d.values, d.element.lines ?? {}, d.block.line, d.st);
  setAttr(d, 'statements', p.statements);
  setAttr(d, 'statementsComplete', p.complete);
}

function policies(ctx: FileContext, d: Decl): void {
  const attr = POLICY_ATTRIBUTE[d.tfType];
  if (attr) {
    const a = d.block.attributes.find((x) => x.name === attr);
    if (a) storePolicy(ctx, d, policyFromAttribute(a.value, attr, d.st), 'statements', a.line);
  }
  if (d.tfType === 'aws_iam_role') {
    const trust = d.block.attributes.find((x) => x.name === 'assume_role_policy');
    if (trust) {
      storePolicy(ctx, d, policyFromAttribute(trust.value, 'assume_role_policy', d.st), 'trustStatements', trust.line);
      const local = effectiveStatements(ctx, d, 'trustStatements');
      const known = d.element.attrs.trustStatementsFrom === undefined || ctx.decls.has(d.element.attrs.trustStatementsFrom as string);
      if (known) setAttr(d, 'assumableBy', assumableBy({ statements: local, complete: true }));
    }
    d.block.blocks
      .filter((b) => b.type === 'inline_policy')
      .forEach((b, i) => {
        const pa = b.attributes.find((x) => x.name === 'policy');
        if (pa) storePolicy(ctx, d, policyFromAttribute(pa.value, `inline_policy.${i}.policy`, d.st), 'statements', pa.line);
      });
  }
}

/** Allow statements without principals (identity policies) → `can-access` to the resources they name. */
function canAccess(ctx: FileContext, d: Decl): void {
  if (!IDENTITY_POLICY_TYPES.has(d.tfType)) return;
  emitCanAccess(ctx, d);
}

function emitCanAccess(ctx: FileContext, d: Decl): void {
  const statements = (d.element.attrs.statements as PolicyStatement[] | undefined) ?? [];
  const byTarget = new Map<string, { actions: Set<string>; line: number; unknownActions: boolean }>();
  for (const s of statements) {
    if (s.effect !== 'Allow' || s.principals.length > 0) continue;
    for (const target of s.resourceRefs ?? []) {
      if (!isElementAddress(target) || target === d.address) continue;
      const entry = byTarget.get(target) ?? { actions: new Set<string>(), line: s.line, unknownActions: false };
      for (const a of s.actions) {
        if (typeof a === 'string') entry.actions.add(a);
        else entry.unknownActions = true;
      }
      byTarget.set(target, entry);
    }
  }
  for (const [target, e] of byTarget) {
    const actions = [...e.actions].sort();
    const attrs: Record<string, unknown> = { actions };
    if (e.unknownActions) attrs.unknownActions = true;
    ctx.link(self(d), { address: target }, tmpl(ctx, 'can-access', e.line, `policy allows ${actions.slice(0, 5).join(', ') || 'unknown actions'}${actions.length > 5 ? ', …' : ''} on ${target}`, { attrs }));
  }
}

const ROLE_TYPES = ['aws_iam_role', 'aws_iam_instance_profile', 'google_service_account', 'azurerm_user_assigned_identity'];
const IDENTITY_ATTRIBUTES = new Set([
  'role',
  'role_arn',
  'execution_role_arn',
  'task_role_arn',
  'service_role',
  'service_role_arn',
  'iam_role_arn',
  'node_role_arn',
  'pod_execution_role_arn',
  'iam_instance_profile',
  'instance_role_arn',
  'access_role_arn',
  'email',
  'service_account',
  'service_account_email',
  'service_account_name',
  'identity_ids',
  'user_assigned_identity_id',
]);
const NOT_WORKLOADS = /^(aws_iam_|google_.*_iam_|azurerm_role_|google_service_account_)/;

/** Workloads pointing at a role / service account / managed identity → `uses-identity`. */
function identities(ctx: FileContext, d: Decl): void {
  if (NOT_WORKLOADS.test(d.tfType) && d.tfType !== 'aws_iam_instance_profile') return;
  for (const u of ctx.uses(d, (x) => IDENTITY_ATTRIBUTES.has(attrName(x.path)))) {
    const t = typeOfAddress(u.address);
    if (!t || !ROLE_TYPES.includes(t) || u.address.startsWith('data.')) continue;
    ctx.link(self(d), { address: u.address }, tmpl(ctx, 'uses-identity', u.line, refEvidence(u), { attrs: { attribute: u.path } }));
  }
}

function grantsFrom(ctx: FileContext, principal: Use | undefined, target: { id: string } | { address: string }, line: number, evidence: string, attrs?: Record<string, unknown>): void {
  if (!principal) return;
  ctx.link({ address: principal.address }, target, tmpl(ctx, 'grants', line, evidence, attrs ? { attrs } : {}));
}

function policyAttachment(principalAttr: string, principalType: string): Handler {
  return (ctx, d) => {
    const policy = ctx.firstAt(d, 'policy_arn', ['aws_iam_policy']);
    const literalArn = asString(d.values.policy_arn);
    if (literalArn) setAttr(d, 'policyArn', literalArn);
    for (const principal of ctx.usesAt(d, principalAttr, [principalType])) {
      if (policy) grantsFrom(ctx, principal, { address: policy.address }, lineOf(d, 'policy_arn'), `${d.address} attaches ${policy.address} to ${principal.address}`);
      else if (literalArn) grantsFrom(ctx, principal, self(d), lineOf(d, 'policy_arn'), `${d.address} attaches ${literalArn} to ${principal.address}`, { policyArn: literalArn });
    }
  };
}

function inlinePolicy(principalAttr: string, principalType: string): Handler {
  return (ctx, d) => {
    for (const principal of ctx.usesAt(d, principalAttr, [principalType])) grantsFrom(ctx, principal, self(d), lineOf(d, principalAttr), `${d.address} is an inline policy of ${principal.address}`);
  };
}

// ---------------------------------------------------------------- zones

const PUBLIC_SUBNET_ATTRS = new Set(['subnet_id', 'subnets', 'subnet_ids']);

function zones(ctx: FileContext, d: Decl): void {
  const el = d.element;
  const v = d.values;
  if (['aws_lb', 'aws_alb', 'aws_elb'].includes(d.tfType)) {
    el.zoneHint = asBool(v.internal) === true ? 'vpc-private' : 'edge';
  } else if (d.tfType === 'aws_api_gateway_rest_api') {
    const types = asStringList(getPath(v, 'endpoint_configuration.0.types'));
    if (!types.unknown && types.known.length > 0 && types.known.every((t) => t === 'PRIVATE')) el.zoneHint = 'vpc-private';
  } else if (d.tfType === 'google_compute_forwarding_rule' || d.tfType === 'google_compute_global_forwarding_rule') {
    const scheme = asString(v.load_balancing_scheme);
    if (scheme?.startsWith('INTERNAL')) el.zoneHint = 'vpc-private';
  } else if (d.tfType === 'azurerm_lb') {
    const frontends = blocks(v.frontend_ip_configuration);
    if (frontends.length > 0 && frontends.every((f) => f.public_ip_address_id === undefined && f.public_ip_prefix_id === undefined)) el.zoneHint = 'vpc-private';
  }
  if (el.kind === 'service') {
    let pub = false;
    if (asBool(v.associate_public_ip_address) === true) pub = true;
    if (asBool(getPath(v, 'network_configuration.0.assign_public_ip')) === true) pub = true;
    if (d.tfType === 'google_compute_instance' || d.tfType === 'google_compute_instance_template') {
      if (blocks(v.network_interface).some((n) => n.access_config !== undefined)) pub = true;
    }
    if (d.tfType === 'google_cloud_run_service') {
      const annotations = getPath(v, 'metadata.0.annotations');
      const ingress = typeof annotations === 'object' && annotations !== null ? asString((annotations as Record<string, unknown>)['run.googleapis.com/ingress']) : undefined;
      pub = ingress === undefined || ingress === 'all';
    }
    if (d.tfType === 'google_cloud_run_v2_service') pub = asString(v.ingress) === undefined || asString(v.ingress) === 'INGRESS_TRAFFIC_ALL';
    if (/^azurerm_(linux_|windows_)?(web|function)_app$|^azurerm_app_service$|^azurerm_function_app$/.test(d.tfType)) pub = asBool(v.public_network_access_enabled) !== false;
    for (const u of ctx.uses(d, (x) => PUBLIC_SUBNET_ATTRS.has(attrName(x.path)))) {
      const subnet = ctx.decls.get(u.address);
      if (subnet?.tfType === 'aws_subnet' && asBool(subnet.values.map_public_ip_on_launch) === true) pub = true;
    }
    if (pub) el.zoneHint = 'vpc-public';
    if (d.tfType.startsWith('kubernetes_')) el.zoneHint = `k8s:${asString(getPath(v, 'metadata.0.namespace')) ?? 'default'}`;
  }
  if (d.tfType.startsWith('kubernetes_') && el.kind !== 'service' && el.kind !== 'other') {
    el.zoneHint = `k8s:${asString(getPath(v, 'metadata.0.namespace')) ?? 'default'}`;
  }
}

// ---------------------------------------------------------------- network exposure

const SG_TYPES = ['aws_security_group', 'aws_default_security_group'];
const SG_USER_ATTRS = new Set(['vpc_security_group_ids', 'security_groups', 'security_group_ids']);

function storeIngress(d: Decl, facts: IngressFacts): void {
  setAttr(d, 'publicIngress', facts.publicIngress);
  if (facts.ingressUnknown.length > 0) setAttr(d, 'ingressUnknown', facts.ingressUnknown);
}

/** internet → policy element, one `network` edge summarising its open rules. */
function internetToPolicy(ctx: FileContext, d: Decl, target: { id: string } | { address: string }, facts: IngressFacts): void {
  if (facts.publicIngress.length === 0) return;
  const first = facts.publicIngress[0]!;
  const single = facts.publicIngress.length === 1 ? singlePort(first) : undefined;
  const extra: Partial<EdgeTemplate> = { attrs: { rules: facts.publicIngress, via: d.address } };
  if (facts.publicIngress.every((i) => i.protocol === first.protocol) && first.protocol !== 'unknown') extra.protocol = first.protocol;
  if (single !== undefined) extra.port = single;
  ctx.link({ id: INTERNET }, target, tmpl(ctx, 'network', first.line, `ingress open to the internet: ${facts.publicIngress.map(describeIngress).slice(0, 3).join('; ')}`, extra));
}

function awsSecurityGroup(ctx: FileContext, d: Decl): void {
  const facts = awsSecurityGroupIngress(d.tfType, d.values, d.element.lines ?? {}, d.block.line);
  storeIngress(d, facts);
  if (SG_TYPES.includes(d.tfType)) internetToPolicy(ctx, d, self(d), facts);
  else {
    const sg = ctx.firstAt(d, 'security_group_id', SG_TYPES);
    if (sg) internetToPolicy(ctx, d, { address: sg.address }, facts);
  }
}

/** Resources naming a security group (`vpc_security_group_ids`, `security_groups`...) → `network` edge SG → resource. */
function securityGroupUsers(ctx: FileContext, d: Decl): void {
  if (SG_TYPES.includes(d.tfType) || d.tfType.startsWith('aws_security_group') || d.tfType.startsWith('aws_vpc_security_group')) return;
  for (const u of ctx.uses(d, (x) => SG_USER_ATTRS.has(attrName(x.path)))) {
    if (!SG_TYPES.includes(typeOfAddress(u.address) ?? '') || u.address.startsWith('data.')) continue;
    ctx.link({ address: u.address }, self(d), tmpl(ctx, 'network', u.line, `${d.address} is in security group ${u.address} (${u.path})`, { attrs: { attribute: u.path } }));
  }
}

function exposes(ctx: FileContext, target: { id: string } | { address: string }, line: number, evidence: string, authenticated: TriState, extra: Partial<EdgeTemplate> = {}): void {
  ctx.link({ id: INTERNET }, target, tmpl(ctx, 'exposes', line, evidence, { authenticated, ...extra }));
}

function loadBalancer(ctx: FileContext, d: Decl): void {
  const internal = asBool(d.values.internal);
  if (internal === true) return;
  const evidence = internal === false ? 'internal = false: internet-facing load balancer' : internal === 'unknown' ? `internal = ${String((d.values.internal as { $expr: string }).$expr)} (unknown): treated as internet-facing` : 'internal not set: internet-facing by default';
  exposes(ctx, self(d), lineOf(d, 'internal'), evidence, 'unknown');
}

function listener(ctx: FileContext, d: Decl): void {
  const protocol = asString(d.values.protocol)?.toUpperCase();
  const port = typeof d.values.port === 'number' ? d.values.port : undefined;
  const encrypted: TriState = protocol === undefined ? (d.values.protocol === undefined ? (d.values.certificate_arn !== undefined ? true : 'unknown') : 'unknown') : ['HTTPS', 'TLS'].includes(protocol);
  const extra: Partial<EdgeTemplate> = { encrypted };
  if (protocol) extra.protocol = protocol.toLowerCase();
  if (port !== undefined) extra.port = port;
  const lb = ctx.firstAt(d, 'load_balancer_arn', ['aws_lb', 'aws_alb']);
  if (lb) ctx.link({ address: lb.address }, self(d), tmpl(ctx, 'routes', lineOf(d, 'protocol'), `listener ${protocol ?? '?'}:${port ?? '?'}`, extra));
  for (const tg of ctx.uses(d, (u) => u.path.startsWith('default_action.') && ['aws_lb_target_group', 'aws_alb_target_group'].includes(typeOfAddress(u.address) ?? ''))) {
    ctx.link(self(d), { address: tg.address }, tmpl(ctx, 'routes', tg.line, `default_action forwards to ${tg.address}`, extra));
  }
}

function listenerRule(ctx: FileContext, d: Decl): void {
  const l = ctx.firstAt(d, 'listener_arn', ['aws_lb_listener', 'aws_alb_listener']);
  if (!l) return;
  for (const tg of ctx.uses(d, (u) => u.path.startsWith('action.') && ['aws_lb_target_group', 'aws_alb_target_group'].includes(typeOfAddress(u.address) ?? ''))) {
    ctx.link({ address: l.address }, { address: tg.address }, tmpl(ctx, 'routes', tg.line, `${d.address} forwards to ${tg.address}`));
  }
}

function targetGroupAttachment(ctx: FileContext, d: Decl): void {
  const tg = ctx.firstAt(d, 'target_group_arn', ['aws_lb_target_group', 'aws_alb_target_group']);
  const target = ctx.firstAt(d, 'target_id');
  if (tg && target) ctx.link({ address: tg.address }, { address: target.address }, tmpl(ctx, 'routes', target.line, `${d.address} registers ${target.address}`));
}

/** ECS services / autoscaling groups naming a target group → target group `routes` to them. */
function targetGroupUsers(ctx: FileContext, d: Decl): void {
  for (const tg of ctx.uses(d, (u) => ['target_group_arn', 'target_group_arns'].includes(attrName(u.path)) && ['aws_lb_target_group', 'aws_alb_target_group'].includes(typeOfAddress(u.address) ?? ''))) {
    ctx.link({ address: tg.address }, self(d), tmpl(ctx, 'routes', tg.line, `${tg.address} targets ${d.address}`));
  }
}

function ecsService(ctx: FileContext, d: Decl): void {
  targetGroupUsers(ctx, d);
}

function restApi(ctx: FileContext, d: Decl): void {
  if (d.element.zoneHint === 'vpc-private') return;
  exposes(ctx, self(d), lineOf(d, 'endpoint_configuration'), 'REST API endpoint is not PRIVATE', 'unknown');
}

function httpApi(ctx: FileContext, d: Decl): void {
  exposes(ctx, self(d), d.block.line, 'API Gateway v2 endpoints are public unless disable_execute_api_endpoint and a private integration', 'unknown');
}

function cloudfront(ctx: FileContext, d: Decl): void {
  exposes(ctx, self(d), d.block.line, 'CloudFront distributions are internet-facing', 'unknown');
  for (const u of ctx.uses(d, (x) => x.path.startsWith('origin.') && attrName(x.path) === 'domain_name')) {
    ctx.link(self(d), { address: u.address }, tmpl(ctx, 'routes', u.line, refEvidence(u)));
  }
}

function apiMethodAuth(value: unknown): TriState {
  const s = asString(value);
  if (s === undefined) return value === undefined ? false : 'unknown';
  return s.toUpperCase() !== 'NONE';
}

function apiMethod(ctx: FileContext, d: Decl): void {
  const api = ctx.firstAt(d, 'rest_api_id', ['aws_api_gateway_rest_api']);
  const authenticated = apiMethodAuth(d.values.authorization);
  setAttr(d, 'authenticated', authenticated);
  if (api) ctx.link({ address: api.address }, self(d), tmpl(ctx, 'routes', lineOf(d, 'authorization'), `authorization = ${asString(d.values.authorization) ?? 'unknown'}`, { authenticated }));
}

function apiIntegration(ctx: FileContext, d: Decl): void {
  const method = ctx.firstAt(d, 'http_method', ['aws_api_gateway_method']);
  const api = ctx.firstAt(d, 'rest_api_id', ['aws_api_gateway_rest_api']);
  const from = method ?? api;
  if (!from) return;
  for (const u of ctx.usesAt(d, 'uri')) ctx.link({ address: from.address }, { address: u.address }, tmpl(ctx, 'routes', u.line, `integration ${refEvidence(u)}`));
}

function apiV2Route(ctx: FileContext, d: Decl): void {
  const api = ctx.firstAt(d, 'api_id', ['aws_apigatewayv2_api']);
  const authenticated = apiMethodAuth(d.values.authorization_type);
  setAttr(d, 'authenticated', authenticated);
  if (api) ctx.link({ address: api.address }, self(d), tmpl(ctx, 'routes', lineOf(d, 'authorization_type'), `authorization_type = ${asString(d.values.authorization_type) ?? (d.values.authorization_type === undefined ? 'NONE (default)' : 'unknown')}`, { authenticated }));
  const integ = ctx.firstAt(d, 'target', ['aws_apigatewayv2_integration']);
  if (integ) ctx.link(self(d), { address: integ.address }, tmpl(ctx, 'routes', integ.line, refEvidence(integ)));
}

function apiV2Integration(ctx: FileContext, d: Decl): void {
  for (const u of ctx.usesAt(d, 'integration_uri')) ctx.link(self(d), { address: u.address }, tmpl(ctx, 'routes', u.line, refEvidence(u)));
}

function lambdaUrl(ctx: FileContext, d: Decl): void {
  const auth = asString(d.values.authorization_type);
  const authenticated: TriState = auth === undefined ? 'unknown' : auth.toUpperCase() !== 'NONE';
  exposes(ctx, self(d), lineOf(d, 'authorization_type'), `function URL authorization_type = ${auth ?? 'unknown'}`, authenticated);
  const fn = ctx.firstAt(d, 'function_name', ['aws_lambda_function']);
  if (fn) ctx.link(self(d), { address: fn.address }, tmpl(ctx, 'routes', fn.line, refEvidence(fn), { authenticated }));
}

function publiclyAccessible(ctx: FileContext, d: Decl): void {
  const pa = asBool(d.values.publicly_accessible);
  if (pa === true) exposes(ctx, self(d), lineOf(d, 'publicly_accessible'), 'publicly_accessible = true', 'unknown');
}

// ---------------------------------------------------------------- S3 and resource policies

const PUBLIC_ACLS = new Set(['public-read', 'public-read-write', 'website']);

function publicPolicyStatements(ctx: FileContext, d: Decl): PolicyStatement[] {
  return effectiveStatements(ctx, d).filter((s) => s.effect === 'Allow' && s.principals.some((p) => p === '*' || p === 'AWS:*') && s.conditions === undefined);
}

/** The resource a satellite (`aws_s3_bucket_acl`, `aws_sqs_queue_policy`) configures: its `bucket`/`queue_url`/`arn` reference. */
function subjectOf(ctx: FileContext, d: Decl, attribute: string, types: string[]): { address: string } | undefined {
  const u = ctx.firstAt(d, attribute, types);
  return u ? { address: u.address } : undefined;
}

function s3Bucket(ctx: FileContext, d: Decl): void {
  const acl = asString(d.values.acl);
  if (acl && PUBLIC_ACLS.has(acl)) exposes(ctx, self(d), lineOf(d, 'acl'), `acl = "${acl}"`, false, { attrs: { acl } });
  const pub = publicPolicyStatements(ctx, d);
  if (pub.length > 0) exposes(ctx, self(d), pub[0]!.line, 'bucket policy allows Principal "*" without conditions', false, { attrs: { policy: true } });
}

function s3BucketAcl(ctx: FileContext, d: Decl): void {
  const bucket = subjectOf(ctx, d, 'bucket', ['aws_s3_bucket']);
  const acl = asString(d.values.acl);
  const grantsAllUsers = blocks(getPath(d.values, 'access_control_policy.0.grant')).some((g) => blocks(g.grantee).some((x) => typeof x.uri === 'string' && /AllUsers|AuthenticatedUsers/.test(x.uri)));
  if (bucket && ((acl && PUBLIC_ACLS.has(acl)) || grantsAllUsers)) exposes(ctx, bucket, lineOf(d, acl ? 'acl' : 'access_control_policy'), acl ? `${d.address}: acl = "${acl}"` : `${d.address} grants AllUsers`, false, { attrs: { acl: acl ?? 'grant' } });
}

function resourcePolicy(attribute: string, types: string[], what: string): Handler {
  return (ctx, d) => {
    const subject = subjectOf(ctx, d, attribute, types);
    const pub = publicPolicyStatements(ctx, d);
    if (subject && pub.length > 0) exposes(ctx, subject, pub[0]!.line, `${d.address}: ${what} policy allows Principal "*" without conditions`, false, { attrs: { policy: d.address } });
  };
}

function queueOrTopic(ctx: FileContext, d: Decl): void {
  const pub = publicPolicyStatements(ctx, d);
  if (pub.length > 0) exposes(ctx, self(d), pub[0]!.line, 'policy allows Principal "*" without conditions', false, { attrs: { policy: true } });
}

// ---------------------------------------------------------------- events and triggers

const QUEUE_LIKE = ['aws_sqs_queue', 'aws_kinesis_stream', 'aws_msk_cluster', 'aws_mq_broker', 'aws_msk_serverless_cluster'];

function lambdaPermission(ctx: FileContext, d: Decl): void {
  const fn = ctx.firstAt(d, 'function_name', ['aws_lambda_function', 'aws_lambda_alias']);
  const principal = asString(d.values.principal);
  setAttr(d, 'principal', principal ?? d.values.principal);
  const source = ctx.firstAt(d, 'source_arn');
  const restricted = d.values.source_arn !== undefined || d.values.source_account !== undefined || d.values.principal_org_id !== undefined;
  setAttr(d, 'sourceRestricted', restricted);
  if (!fn) return;
  if (principal === '*' && !restricted) {
    exposes(ctx, { address: fn.address }, lineOf(d, 'principal'), `${d.address}: principal = "*" without source restriction`, false);
    return;
  }
  if (source) ctx.link({ address: source.address }, { address: fn.address }, tmpl(ctx, 'triggers', source.line, `${d.address}: ${principal ?? 'principal'} may invoke, source_arn references ${source.address}`, { authenticated: true, attrs: { principal: principal ?? null } }));
}

function eventSourceMapping(ctx: FileContext, d: Decl): void {
  const src = ctx.firstAt(d, 'event_source_arn');
  const fn = ctx.firstAt(d, 'function_name', ['aws_lambda_function', 'aws_lambda_alias']);
  if (!src || !fn) return;
  const kind: EdgeKind = QUEUE_LIKE.includes(typeOfAddress(src.address) ?? '') ? 'subscribes' : 'triggers';
  ctx.link({ address: src.address }, { address: fn.address }, tmpl(ctx, kind, src.line, `${d.address}: ${src.address} → ${fn.address}`));
}

function snsSubscription(ctx: FileContext, d: Decl): void {
  const topic = ctx.firstAt(d, 'topic_arn', ['aws_sns_topic']);
  const protocol = asString(d.values.protocol);
  if (!topic) return;
  const endpoint = ctx.firstAt(d, 'endpoint');
  if (endpoint) ctx.link({ address: topic.address }, { address: endpoint.address }, tmpl(ctx, 'subscribes', endpoint.line, `${d.address}: protocol ${protocol ?? '?'}`, protocol ? { protocol } : {}));
}

function bucketNotification(ctx: FileContext, d: Decl): void {
  const bucket = ctx.firstAt(d, 'bucket', ['aws_s3_bucket']);
  if (!bucket) return;
  for (const u of ctx.uses(d, (x) => /^(lambda_function|queue|topic)\.\d+\./.test(x.path))) {
    const kind: EdgeKind = u.path.startsWith('lambda_function') ? 'triggers' : 'publishes';
    ctx.link({ address: bucket.address }, { address: u.address }, tmpl(ctx, kind, u.line, `${d.address}: ${refEvidence(u)}`));
  }
}

function eventTarget(ctx: FileContext, d: Decl): void {
  const rule = ctx.firstAt(d, 'rule', ['aws_cloudwatch_event_rule']);
  const target = ctx.firstAt(d, 'arn');
  if (rule && target) ctx.link({ address: rule.address }, { address: target.address }, tmpl(ctx, 'triggers', target.line, `${d.address}: ${refEvidence(target)}`));
}

/** Environment variables naming queues / stores / secrets: the workload talks to them. */
function environmentRefs(ctx: FileContext, d: Decl, prefix: string): void {
  for (const u of ctx.uses(d, (x) => x.path === prefix || x.path.startsWith(`${prefix}.`))) {
    const kind = ctx.kindOfAddress(u.address);
    const edgeKind: EdgeKind | undefined = kind === 'queue' ? 'publishes' : kind === 'datastore' || kind === 'secret' ? 'reads' : kind === 'service' || kind === 'gateway' ? 'calls' : undefined;
    if (edgeKind) ctx.link(self(d), { address: u.address }, tmpl(ctx, edgeKind, u.line, `${u.path} references ${u.address}`, { attrs: { via: 'environment' } }));
  }
}

// ---------------------------------------------------------------- GCP

const GCP_PUBLIC_MEMBERS = new Set(['allUsers', 'allAuthenticatedUsers']);
const GCP_NOT_SUBJECT = new Set(['member', 'members', 'role', 'condition', 'project', 'location', 'region']);

function gcpIamMember(ctx: FileContext, d: Decl): void {
  const members = asStringList(d.values.member ?? d.values.members);
  const role = asString(d.values.role);
  setAttr(d, 'members', members.known);
  if (members.unknown) setAttr(d, 'membersUnknown', true);
  // Bindings to service accounts grant the role to that identity.
  for (const u of ctx.uses(d, (x) => (x.path === 'member' || x.path.startsWith('members.')) && typeOfAddress(x.address) === 'google_service_account')) {
    ctx.link({ address: u.address }, self(d), tmpl(ctx, 'grants', u.line, `${d.address} grants ${role ?? 'a role'} to ${u.address}`, { attrs: { role: role ?? null } }));
  }
  const pub = members.known.filter((m) => GCP_PUBLIC_MEMBERS.has(m));
  if (pub.length === 0) return;
  const subject = ctx.uses(d, (x) => !GCP_NOT_SUBJECT.has(x.path.split('.')[0]!))[0];
  if (!subject) return;
  exposes(ctx, { address: subject.address }, lineOf(d, d.values.member !== undefined ? 'member' : 'members'), `${d.address} grants ${role ?? 'a role'} to ${pub.join(', ')}`, false, { attrs: { role: role ?? null, members: pub } });
}

function gcpBucketAcl(ctx: FileContext, d: Decl): void {
  const bucket = ctx.firstAt(d, 'bucket', ['google_storage_bucket']);
  const predefined = asString(d.values.predefined_acl);
  const entities = asStringList(d.values.role_entity ?? d.values.entity).known;
  const pub = (predefined && /^public/i.test(predefined)) || entities.some((e) => /allUsers|allAuthenticatedUsers/.test(e));
  if (bucket && pub) exposes(ctx, { address: bucket.address }, lineOf(d, predefined ? 'predefined_acl' : d.values.role_entity !== undefined ? 'role_entity' : 'entity'), `${d.address} makes the bucket public`, false);
}

function gcpFirewall(ctx: FileContext, d: Decl): void {
  const facts = gcpFirewallIngress(d.values, d.element.lines ?? {}, d.block.line);
  storeIngress(d, facts);
  internetToPolicy(ctx, d, self(d), facts);
}

function gcpSql(ctx: FileContext, d: Decl): void {
  const ipc = getPath(d.values, 'settings.0.ip_configuration.0');
  const ipv4 = asBool(getPath(d.values, 'settings.0.ip_configuration.0.ipv4_enabled'));
  const publicIp: TriState = ipv4 === undefined ? true : ipv4;
  setAttr(d, 'publicIp', publicIp);
  const nets = blocks(getPath(d.values, 'settings.0.ip_configuration.0.authorized_networks'));
  const open = nets.filter((n) => typeof n.value === 'string' && (n.value === '0.0.0.0/0' || n.value === '::/0'));
  setAttr(d, 'openAuthorizedNetworks', open.length > 0);
  if (publicIp !== false && open.length > 0) {
    const i = nets.indexOf(open[0]!);
    exposes(ctx, self(d), lineOf(d, `settings.0.ip_configuration.0.authorized_networks.${i}`), `authorized_networks includes ${String(open[0]!.value)} with public IP ${ipc === undefined || ipv4 === undefined ? 'enabled by default' : 'enabled'}`, 'unknown');
  }
}

// ---------------------------------------------------------------- Azure

function azureNsg(ctx: FileContext, d: Decl): void {
  const facts = azureNsgIngress(d.tfType, d.values, d.element.lines ?? {}, d.block.line);
  storeIngress(d, facts);
  if (d.tfType === 'azurerm_network_security_group') internetToPolicy(ctx, d, self(d), facts);
  else {
    const nsg = ctx.firstAt(d, 'network_security_group_name', ['azurerm_network_security_group']);
    if (nsg) internetToPolicy(ctx, d, { address: nsg.address }, facts);
  }
}

function azureNsgAssociation(ctx: FileContext, d: Decl): void {
  const nsg = ctx.firstAt(d, 'network_security_group_id', ['azurerm_network_security_group']);
  const target = ctx.firstAt(d, 'subnet_id') ?? ctx.firstAt(d, 'network_interface_id');
  if (nsg && target) ctx.link({ address: nsg.address }, { address: target.address }, tmpl(ctx, 'network', target.line, `${d.address} applies ${nsg.address} to ${target.address}`));
}

function azureContainer(ctx: FileContext, d: Decl): void {
  const access = asString(d.values.container_access_type);
  if (access === 'blob' || access === 'container') exposes(ctx, self(d), lineOf(d, 'container_access_type'), `container_access_type = "${access}"`, false);
}

function azureFirewallRule(ctx: FileContext, d: Decl): void {
  const start = asString(d.values.start_ip_address);
  const end = asString(d.values.end_ip_address);
  const all = start === '0.0.0.0' && end === '255.255.255.255';
  setAttr(d, 'allowsAll', all);
  setAttr(d, 'allowsAzureServices', start === '0.0.0.0' && end === '0.0.0.0');
  if (!all) return;
  const server = ctx.uses(d, (u) => ['server_id', 'server_name', 'redis_cache_name'].includes(u.path))[0];
  if (server) exposes(ctx, { address: server.address }, lineOf(d, 'start_ip_address'), `${d.address} allows 0.0.0.0-255.255.255.255`, 'unknown');
}

function azureRoleAssignment(ctx: FileContext, d: Decl): void {
  const role = asString(d.values.role_definition_name) ?? null;
  setAttr(d, 'role', role);
  const principal = ctx.firstAt(d, 'principal_id');
  if (principal) ctx.link({ address: principal.address }, self(d), tmpl(ctx, 'grants', principal.line, `${d.address} assigns ${role ?? 'a role'} to ${principal.address}`, { attrs: { role } }));
  const scope = ctx.firstAt(d, 'scope');
  if (scope) ctx.link(self(d), { address: scope.address }, tmpl(ctx, 'can-access', scope.line, `${d.address} scope ${scope.address}`, { attrs: { role } }));
}

function azureWebApp(ctx: FileContext, d: Decl): void {
  const pna = asBool(d.values.public_network_access_enabled);
  if (pna === false) return;
  exposes(ctx, self(d), lineOf(d, 'public_network_access_enabled'), pna === true ? 'public_network_access_enabled = true' : 'App Service apps are reachable from the internet by default', 'unknown');
}

// ---------------------------------------------------------------- dispatch

type Handler = (ctx: FileContext, d: Decl) => void;

const HANDLERS: Record<string, Handler> = {
  aws_lb: loadBalancer,
  aws_alb: loadBalancer,
  aws_elb: loadBalancer,
  aws_lb_listener: listener,
  aws_alb_listener: listener,
  aws_lb_listener_rule: listenerRule,
  aws_alb_listener_rule: listenerRule,
  aws_lb_target_group_attachment: targetGroupAttachment,
  aws_alb_target_group_attachment: targetGroupAttachment,
  aws_ecs_service: ecsService,
  aws_autoscaling_group: targetGroupUsers,
  aws_api_gateway_rest_api: restApi,
  aws_api_gateway_method: apiMethod,
  aws_api_gateway_integration: apiIntegration,
  aws_apigatewayv2_api: httpApi,
  aws_apigatewayv2_route: apiV2Route,
  aws_apigatewayv2_integration: apiV2Integration,
  aws_cloudfront_distribution: cloudfront,
  aws_lambda_function_url: lambdaUrl,
  aws_lambda_function: (ctx, d) => environmentRefs(ctx, d, 'environment'),
  aws_ecs_task_definition: (ctx, d) => environmentRefs(ctx, d, 'container_definitions'),
  aws_db_instance: publiclyAccessible,
  aws_rds_cluster_instance: publiclyAccessible,
  aws_redshift_cluster: publiclyAccessible,
  aws_dms_replication_instance: publiclyAccessible,
  aws_mq_broker: publiclyAccessible,
  aws_security_group: awsSecurityGroup,
  aws_default_security_group: awsSecurityGroup,
  aws_security_group_rule: awsSecurityGroup,
  aws_vpc_security_group_ingress_rule: awsSecurityGroup,
  aws_s3_bucket: s3Bucket,
  aws_s3_bucket_acl: s3BucketAcl,
  aws_s3_bucket_policy: resourcePolicy('bucket', ['aws_s3_bucket'], 'bucket'),
  aws_sqs_queue: queueOrTopic,
  aws_sns_topic: queueOrTopic,
  aws_sqs_queue_policy: resourcePolicy('queue_url', ['aws_sqs_queue'], 'queue'),
  aws_sns_topic_policy: resourcePolicy('arn', ['aws_sns_topic'], 'topic'),
  aws_iam_role_policy_attachment: policyAttachment('role', 'aws_iam_role'),
  aws_iam_user_policy_attachment: policyAttachment('user', 'aws_iam_user'),
  aws_iam_group_policy_attachment: policyAttachment('group', 'aws_iam_group'),
  aws_iam_role_policy: inlinePolicy('role', 'aws_iam_role'),
  aws_iam_user_policy: inlinePolicy('user', 'aws_iam_user'),
  aws_iam_group_policy: inlinePolicy('group', 'aws_iam_group'),
  aws_iam_policy_attachment: (ctx, d) => {
    policyAttachment('roles', 'aws_iam_role')(ctx, d);
    policyAttachment('users', 'aws_iam_user')(ctx, d);
    policyAttachment('groups', 'aws_iam_group')(ctx, d);
  },
  aws_iam_role: (ctx, d) => {
    for (const p of ctx.usesAt(d, 'managed_policy_arns', ['aws_iam_policy'])) ctx.link(self(d), { address: p.address }, tmpl(ctx, 'grants', p.line, `managed_policy_arns includes ${p.address}`));
  },
  aws_lambda_permission: lambdaPermission,
  aws_lambda_event_source_mapping: eventSourceMapping,
  aws_sns_topic_subscription: snsSubscription,
  aws_s3_bucket_notification: bucketNotification,
  aws_cloudwatch_event_target: eventTarget,
  google_compute_firewall: gcpFirewall,
  google_sql_database_instance: gcpSql,
  google_storage_bucket_acl: gcpBucketAcl,
  google_storage_bucket_access_control: gcpBucketAcl,
  google_storage_default_object_access_control: gcpBucketAcl,
  azurerm_network_security_group: azureNsg,
  azurerm_network_security_rule: azureNsg,
  azurerm_subnet_network_security_group_association: azureNsgAssociation,
  azurerm_network_interface_security_group_association: azureNsgAssociation,
  azurerm_storage_container: azureContainer,
  azurerm_role_assignment: azureRoleAssignment,
  azurerm_linux_web_app: azureWebApp,
  azurerm_windows_web_app: azureWebApp,
  azurerm_app_service: azureWebApp,
  azurerm_function_app: azureWebApp,
  azurerm_linux_function_app: azureWebApp,
  azurerm_windows_function_app: azureWebApp,
};

for (const t of AZURE_DB_FIREWALL_RULE_TYPES) {
  HANDLERS[t] = azureFirewallRule;
}

/** Every `google_*_iam_member` / `_binding` (project, bucket, Cloud Run, functions, topics...). */
export function isGcpIamBinding(tfType: string): boolean {
  return /^google_.*_iam_(member|binding)$/.test(tfType);
}

export function handlerFor(tfType: string): Handler | undefined {
  return HANDLERS[tfType] ?? (isGcpIamBinding(tfType) ? gcpIamMember : undefined);
}

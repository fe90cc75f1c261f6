import { asBool, asNumber, asString, asStringList, blocks, isExpr } from './values.js';

/**
 * Ingress rules open to the internet, normalised across AWS security groups
 * (inline blocks, `aws_security_group_rule`, `aws_vpc_security_group_ingress_rule`),
 * GCP firewalls and Azure NSGs. Stored as `attrs.publicIngress`; rules whose
 * source or ports are expressions go to `attrs.ingressUnknown` instead.
 */
export interface PublicIngress {
  /** `tcp`, `udp`, `icmp`, `all`, or the provider's literal. */
  protocol: string;
  /** Inclusive port range; `all` protocol and `*` ports give 0..65535. Absent when unknown. */
  fromPort?: number;
  toPort?: number;
  /** The open sources (`0.0.0.0/0`, `::/0`, `*`, `Internet`). */
  sources: string[];
  /** Values path of the rule (`ingress.0`, `security_rule.2`, or `` for a rule resource). */
  path: string;
  line: number;
}

export interface UnknownIngress {
  path: string;
  line: number;
  reason: string;
}

export interface IngressFacts {
  publicIngress: PublicIngress[];
  ingressUnknown: UnknownIngress[];
}

const OPEN_CIDRS = new Set(['0.0.0.0/0', '::/0', '0.0.0.0', '*', 'internet', 'any']);

export function isOpenSource(s: string): boolean {
  return OPEN_CIDRS.has(s.trim().toLowerCase());
}

function normProtocol(p: unknown): string | undefined {
  const s = asString(p);
  if (s === undefined) return undefined;
  const l = s.toLowerCase();
  if (l === '-1' || l === 'all' || l === '*') return 'all';
  if (l === '6') return 'tcp';
  if (l === '17') return 'udp';
  return l;
}

function withPorts(base: Omit<PublicIngress, 'fromPort' | 'toPort'>, from: number | undefined, to: number | undefined): PublicIngress {
  if (base.protocol === 'all') return { ...base, fromPort: 0, toPort: 65535 };
  const out: PublicIngress = { ...base };
  if (from !== undefined) out.fromPort = from;
  if (to !== undefined) out.toPort = to;
  return out;
}

function portOf(v: unknown): number | undefined {
  return isExpr(v) ? undefined : asNumber(v);
}

/** One AWS-style rule: `cidr_blocks`/`ipv6_cidr_blocks` (or `cidr_ipv4`/`cidr_ipv6`), ports, protocol. */
function awsRule(r: Record<string, unknown>, path: string, line: number, facts: IngressFacts): void {
  const cidrs = asStringList(r.cidr_blocks ?? r.cidr_ipv4);
  const cidrs6 = asStringList(r.ipv6_cidr_blocks ?? r.cidr_ipv6);
  const open = [...cidrs.known, ...cidrs6.known].filter(isOpenSource);
  const protocol = normProtocol(r.protocol ?? r.ip_protocol);
  if (open.length > 0) {
    facts.publicIngress.push(withPorts({ protocol: protocol ?? 'unknown', sources: open, path, line }, portOf(r.from_port), portOf(r.to_port)));
  } else if (cidrs.unknown || cidrs6.unknown || '$dynamic' in r) {
    facts.ingressUnknown.push({ path, line, reason: 'source CIDRs are not literal' });
  }
}

export function awsSecurityGroupIngress(tfType: string, values: Record<string, unknown>, lines: Record<string, number>, line: number): IngressFacts {
  const facts: IngressFacts = { publicIngress: [], ingressUnknown: [] };
  if (tfType === 'aws_security_group' || tfType === 'aws_default_security_group') {
    if (isExpr(values.ingress)) facts.ingressUnknown.push({ path: 'ingress', line: lines.ingress ?? line, reason: 'ingress is an expression' });
    blocks(values.ingress).forEach((r, i) => awsRule(r, `ingress.${i}`, lines[`ingress.${i}`] ?? line, facts));
  } else if (tfType === 'aws_security_group_rule') {
    if (values.type === 'ingress') awsRule(values, '', lines.cidr_blocks ?? lines.ipv6_cidr_blocks ?? line, facts);
    else if (isExpr(values.type)) facts.ingressUnknown.push({ path: 'type', line: lines.type ?? line, reason: 'rule type is an expression' });
  } else if (tfType === 'aws_vpc_security_group_ingress_rule') {
    awsRule(values, '', lines.cidr_ipv4 ?? lines.cidr_ipv6 ?? line, facts);
  }
  return facts;
}

/** `"22"`, `"8000-8080"`, `"*"`, `22` → [from, to]. */
export function parseRange(v: unknown): [number, number] | undefined {
  if (typeof v === 'number') return [v, v];
  const s = asString(v)?.trim();
  if (s === undefined) return undefined;
  if (s === '*') return [0, 65535];
  const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(s);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2] ?? m[1])];
}

export function gcpFirewallIngress(values: Record<string, unknown>, lines: Record<string, number>, line: number): IngressFacts {
  const facts: IngressFacts = { publicIngress: [], ingressUnknown: [] };
  const direction = asString(values.direction)?.toUpperCase() ?? 'INGRESS';
  if (isExpr(values.direction)) facts.ingressUnknown.push({ path: 'direction', line: lines.direction ?? line, reason: 'direction is an expression' });
  if (direction !== 'INGRESS' || asBool(values.disabled) === true) return facts;
  const ranges = asStringList(values.source_ranges);
  const open = ranges.known.filter(isOpenSource);
  if (open.length === 0) {
    if (ranges.unknown) facts.ingressUnknown.push({ path: 'source_ranges', line: lines.source_ranges ?? line, reason: 'source_ranges are not literal' });
    return facts;
  }
  const srcLine = lines.source_ranges ?? line;
  blocks(values.allow).forEach((a, i) => {
    const protocol = normProtocol(a.protocol) ?? 'unknown';
    const path = `allow.${i}`;
    const l = lines[path] ?? srcLine;
    const ports = asStringList(a.ports);
    if (ports.unknown) facts.ingressUnknown.push({ path: `${path}.ports`, line: l, reason: 'ports are not literal' });
    if (ports.known.length === 0 && !ports.unknown) {
      facts.publicIngress.push({ protocol, fromPort: 0, toPort: 65535, sources: open, path, line: l });
      return;
    }
    for (const p of ports.known) {
      const r = parseRange(p);
      facts.publicIngress.push(r ? { protocol, fromPort: r[0], toPort: r[1], sources: open, path, line: l } : { protocol, sources: open, path, line: l });
    }
  });
  return facts;
}

function azureRule(r: Record<string, unknown>, path: string, line: number, facts: IngressFacts): void {
  const direction = asString(r.direction)?.toLowerCase();
  const access = asString(r.access)?.toLowerCase();
  if (isExpr(r.direction) || isExpr(r.access)) {
    facts.ingressUnknown.push({ path, line, reason: 'direction or access is an expression' });
    return;
  }
  if (direction !== 'inbound' || access !== 'allow') return;
  const sources = asStringList(r.source_address_prefix ?? r.source_address_prefixes);
  const open = sources.known.filter(isOpenSource);
  if (open.length === 0) {
    if (sources.unknown) facts.ingressUnknown.push({ path, line, reason: 'source prefixes are not literal' });
    return;
  }
  const protocol = normProtocol(r.protocol) ?? 'unknown';
  const ports = asStringList(r.destination_port_range ?? r.destination_port_ranges);
  if (ports.unknown) facts.ingressUnknown.push({ path, line, reason: 'destination ports are not literal' });
  for (const p of ports.known) {
    const range = parseRange(p);
    facts.publicIngress.push(range ? { protocol, fromPort: range[0], toPort: range[1], sources: open, path, line } : { protocol, sources: open, path, line });
  }
}

export function azureNsgIngress(tfType: string, values: Record<string, unknown>, lines: Record<string, number>, line: number): IngressFacts {
  const facts: IngressFacts = { publicIngress: [], ingressUnknown: [] };
  if (tfType === 'azurerm_network_security_group') {
    blocks(values.security_rule).forEach((r, i) => azureRule(r, `security_rule.${i}`, lines[`security_rule.${i}`] ?? line, facts));
  } else {
    azureRule(values, '', lines.source_address_prefix ?? lines.source_address_prefixes ?? line, facts);
  }
  return facts;
}

/** Port of an edge when a range is one port. */
export function singlePort(i: PublicIngress): number | undefined {
  return i.fromPort !== undefined && i.fromPort === i.toPort ? i.fromPort : undefined;
}

export function describeIngress(i: PublicIngress): string {
  const ports = i.fromPort === undefined ? 'unknown ports' : i.fromPort === 0 && i.toPort === 65535 ? 'all ports' : i.fromPort === i.toPort ? `port ${i.fromPort}` : `ports ${i.fromPort}-${i.toPort}`;
  return `${i.sources.join(', ')} → ${i.protocol} ${ports}`;
}

import { compact, isObj, own, scalarString, str, strings, type Obj } from './util.js';

/** One server an API or operation is reachable at. */
export interface ServerSummary {
  /** As written (OpenAPI 3) or assembled from host/basePath/schemes (Swagger 2). */
  url: string;
  scheme?: string;
  host?: string;
  port?: number;
  basePath?: string;
  /** Host still contains a `{variable}` without a default. */
  templated?: boolean;
  /** Absolute URL whose host looks reachable from the internet (see `isPublicHost`). */
  public: boolean;
  /** Where it was declared: document, path item or operation. */
  level: 'document' | 'path' | 'operation';
}

const MAX_SERVERS = 20;

/** OpenAPI 3 `servers` array. Variables are replaced by their defaults. */
export function serversV3(value: unknown, level: ServerSummary['level']): ServerSummary[] {
  if (!Array.isArray(value)) return [];
  const out: ServerSummary[] = [];
  for (const server of value.slice(0, MAX_SERVERS)) {
    if (!isObj(server)) continue;
    const raw = str(own(server, 'url'));
    if (raw === undefined) continue;
    out.push(describeUrl(raw, substitute(raw, own(server, 'variables')), level));
  }
  return out;
}

/** Swagger 2 `host` + `basePath` + `schemes`: one server per scheme. */
export function serversV2(doc: Obj, schemesOverride: unknown, level: ServerSummary['level']): ServerSummary[] {
  const host = str(own(doc, 'host'));
  const basePath = str(own(doc, 'basePath')) ?? '';
  const schemes = strings(schemesOverride ?? own(doc, 'schemes')).map((s) => s.toLowerCase());
  if (!host) return [describeUrl(basePath || '/', basePath || '/', level)];
  if (schemes.length === 0) return [describeUrl(`//${host}${basePath}`, `//${host}${basePath}`, level)];
  return schemes.slice(0, MAX_SERVERS).map((scheme) => {
    const url = `${scheme}://${host}${basePath}`;
    return describeUrl(url, url, level);
  });
}

function substitute(url: string, variables: unknown): string {
  return url.replace(/\{([^{}]*)\}/g, (whole, name: string) => {
    const variable = isObj(variables) ? own(variables, name) : undefined;
    const def = isObj(variable) ? scalarString(own(variable, 'default')) : undefined;
    return def !== undefined && def !== '' ? def : whole;
  });
}

function describeUrl(written: string, resolved: string, level: ServerSummary['level']): ServerSummary {
  // Parsed by hand: `new URL` rejects `{var}` hosts, and relative URLs have no host at all.
  const m = /^(?:([a-z][a-z0-9+.-]*):)?\/\/([^/?#]*)([^?#]*)/i.exec(resolved.trim());
  if (!m) {
    return compact({ url: written, basePath: resolved.split(/[?#]/)[0] || undefined, public: false, level });
  }
  const scheme = m[1]?.toLowerCase();
  let authority = m[2]!;
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1); // never keep credentials
  let host = authority;
  let port: number | undefined;
  const portMatch = /^(.*):(\d{1,5})$/.exec(authority);
  if (portMatch && !authority.endsWith(']')) {
    host = portMatch[1]!;
    port = Number(portMatch[2]);
  }
  host = host.toLowerCase().replace(/\.$/, '');
  const templated = host.includes('{') || undefined;
  return compact({
    url: written,
    scheme,
    host: host || undefined,
    port,
    basePath: m[3] || undefined,
    templated,
    public: isPublicHost(host),
    level,
  });
}

const PRIVATE_SUFFIXES = [
  '.localhost',
  '.local',
  '.localdomain',
  '.internal',
  '.intranet',
  '.corp',
  '.home',
  '.lan',
  '.svc',
  '.cluster.local',
  // RFC 2606 / 6761 reserved names: placeholders in examples, never a real exposure.
  '.test',
  '.example',
  '.invalid',
];
const EXAMPLE_DOMAINS = ['example.com', 'example.net', 'example.org'];

/**
 * A host "looks public" when it is a dotted DNS name or a public IP, and not
 * localhost, a cluster/VPC-internal name (`*.svc*`, `*.internal`, `*.local`,
 * single-label names), a private/reserved IP, a reserved example domain, or a
 * bare template (`{server}`).
 */
export function isPublicHost(host: string): boolean {
  if (!host) return false;
  if (host.startsWith('[')) return isPublicIpv6(host.slice(1, -1));
  const ipv4 = parseIpv4(host);
  if (ipv4) return isPublicIpv4(ipv4);
  // Judge the part after the last template label: `{tenant}.api.acme.io` is as public as `api.acme.io`; `{server}` is nothing.
  const labels = host.split('.');
  let lastTemplate = -1;
  labels.forEach((label, i) => {
    if (label.includes('{') || label.includes('}')) lastTemplate = i;
  });
  const concrete = labels.slice(lastTemplate + 1).join('.');
  if (!concrete) return false;
  if (!concrete.includes('.')) return false;
  if (concrete === 'localhost' || concrete.includes('.svc.')) return false;
  if (PRIVATE_SUFFIXES.some((s) => concrete.endsWith(s))) return false;
  if (EXAMPLE_DOMAINS.some((d) => concrete === d || concrete.endsWith(`.${d}`))) return false;
  return /^[a-z0-9.-]+$/.test(concrete);
}

function parseIpv4(host: string): number[] | undefined {
  const parts = host.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) return undefined;
  const octets = parts.map(Number);
  return octets.every((o) => o <= 255) ? octets : undefined;
}

function isPublicIpv4([a, b]: number[]): boolean {
  return !(
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b! >= 64 && b! <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b! >= 16 && b! <= 31) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a! >= 224
  );
}

function isPublicIpv6(ip: string): boolean {
  const lower = ip.toLowerCase();
  if (lower === '::' || lower === '::1') return false;
  if (/^f[cd]/.test(lower) || /^fe[89ab]/.test(lower) || lower.startsWith('ff')) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) {
    const v4 = parseIpv4(mapped[1]!);
    return v4 ? isPublicIpv4(v4) : false;
  }
  return /^[0-9a-f:]+$/.test(lower);
}

export function serverKey(s: ServerSummary): string {
  return `${s.scheme ?? ''}://${s.host ?? ''}:${s.port ?? ''}${s.basePath ?? ''}`;
}

/** Unique servers, first occurrence wins. */
export function uniqueServers(list: ServerSummary[]): ServerSummary[] {
  const seen = new Set<string>();
  return list.filter((s) => {
    const k = `${serverKey(s)}|${s.url}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}


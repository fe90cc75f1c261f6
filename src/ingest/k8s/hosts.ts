import type { TriState } from '../../model/types.js';
import { truncate } from './util.js';

/**
 * Finding the hosts a workload talks to in env values, container args and
 * ConfigMap values. The hard part is not finding hosts but *not* finding
 * things that merely look like them (image names, file names, versions,
 * Java packages, e-mail addresses, listen addresses), so every accepted
 * shape is deliberately narrow and the variable name is used as a hint.
 */

export interface HostHit {
  /** Bare host name or IP, lower-cased; never contains credentials. */
  host: string;
  port?: number;
  scheme?: string;
  protocol: 'http' | 'https' | 'grpc' | 'tcp';
  encrypted: TriState;
  /** What runs on top of TCP when the scheme or port tells (`postgres`, `redis`...). */
  appProtocol?: string;
  /** True when the protocol comes from a port number or name, not a URL scheme. */
  protocolGuessed: boolean;
  /** The token as safe to show in evidence (URL userinfo redacted, truncated). */
  shown: string;
}

/** Where a value comes from: decides how much benefit of the doubt a shape gets. */
export type ValueSource = 'env' | 'config' | 'arg';

/** Names whose value is a host, a host:port, a URL or a list of them. */
const HOSTY_NAME = /(^|_)(HOST|HOSTNAME|HOSTS|ADDR|ADDRESS|ADDRS|ADDRESSES|URL|URI|URLS|SERVICE|SVC|ENDPOINT|ENDPOINTS|SERVER|SERVERS|BROKER|BROKERS|BOOTSTRAP_SERVERS|DSN|UPSTREAM|UPSTREAMS)$/;
/** Names whose value is never a call target, even when it looks like a host. */
const NEVER_NAME = /(^|_)(LISTEN|BIND|REDIRECT|CALLBACK|ORIGIN|ORIGINS|CORS|IMAGE|IMAGES|ISSUER|AUDIENCE|DOMAIN|DOMAINS|EMAIL|FROM|SENDER|PATH|DIR|DIRECTORY|FILE|FILENAME|VERSION|TAG|REGION|ZONE|NAMESPACE|PROJECT|BUCKET|PREFIX|SUFFIX|FORMAT|LEVEL|LOCALE|PASSWORD|PASSWD|PASS|PWD|SECRET|TOKEN|KEY|APIKEY|CREDENTIAL|CREDENTIALS|SALT|CERT|CERTIFICATE|PRIVATE)(_|$)/;
const STRONG_NEVER = /(^|_)(LISTEN|BIND|REDIRECT|CALLBACK|ORIGIN|ORIGINS|CORS|IMAGE|IMAGES)(_|$)/;

/** Credential-looking names: their values are never scanned (nor shown). */
export const SECRET_NAME = /(^|_)(PASSWORD|PASSWD|PASS|PWD|SECRET|TOKEN|APIKEY|API_KEY|PRIVATE_KEY|ACCESS_KEY|SECRET_KEY|CLIENT_SECRET|CREDENTIALS?|AUTH)(_|$)|(PASSWORD|SECRET|TOKEN|APIKEY)$/;

const SCHEMES: Record<string, { protocol: HostHit['protocol']; encrypted: TriState; app?: string; port?: number }> = {
  http: { protocol: 'http', encrypted: false, port: 80 },
  https: { protocol: 'https', encrypted: true, port: 443 },
  ws: { protocol: 'http', encrypted: false, port: 80 },
  wss: { protocol: 'https', encrypted: true, port: 443 },
  grpc: { protocol: 'grpc', encrypted: false },
  grpcs: { protocol: 'grpc', encrypted: true },
  'dns+grpc': { protocol: 'grpc', encrypted: false },
  tcp: { protocol: 'tcp', encrypted: false },
  tls: { protocol: 'tcp', encrypted: true },
  ssl: { protocol: 'tcp', encrypted: true },
  redis: { protocol: 'tcp', encrypted: false, app: 'redis', port: 6379 },
  rediss: { protocol: 'tcp', encrypted: true, app: 'redis', port: 6379 },
  postgres: { protocol: 'tcp', encrypted: false, app: 'postgres', port: 5432 },
  postgresql: { protocol: 'tcp', encrypted: false, app: 'postgres', port: 5432 },
  mysql: { protocol: 'tcp', encrypted: false, app: 'mysql', port: 3306 },
  mariadb: { protocol: 'tcp', encrypted: false, app: 'mysql', port: 3306 },
  sqlserver: { protocol: 'tcp', encrypted: false, app: 'mssql', port: 1433 },
  mongodb: { protocol: 'tcp', encrypted: false, app: 'mongodb', port: 27017 },
  'mongodb+srv': { protocol: 'tcp', encrypted: true, app: 'mongodb' },
  amqp: { protocol: 'tcp', encrypted: false, app: 'amqp', port: 5672 },
  amqps: { protocol: 'tcp', encrypted: true, app: 'amqp', port: 5671 },
  kafka: { protocol: 'tcp', encrypted: false, app: 'kafka', port: 9092 },
  nats: { protocol: 'tcp', encrypted: false, app: 'nats', port: 4222 },
  memcached: { protocol: 'tcp', encrypted: false, app: 'memcached', port: 11211 },
  cassandra: { protocol: 'tcp', encrypted: false, app: 'cassandra', port: 9042 },
  ldap: { protocol: 'tcp', encrypted: false, app: 'ldap', port: 389 },
  ldaps: { protocol: 'tcp', encrypted: true, app: 'ldap', port: 636 },
  smtp: { protocol: 'tcp', encrypted: false, app: 'smtp', port: 25 },
  smtps: { protocol: 'tcp', encrypted: true, app: 'smtp', port: 465 },
};

const PORT_APP: Record<number, string> = {
  5432: 'postgres',
  3306: 'mysql',
  1433: 'mssql',
  6379: 'redis',
  27017: 'mongodb',
  9092: 'kafka',
  5672: 'amqp',
  4222: 'nats',
  11211: 'memcached',
  9042: 'cassandra',
  9200: 'elasticsearch',
  25: 'smtp',
  587: 'smtp',
  1025: 'smtp',
  2379: 'etcd',
};

/** File extensions: `config.json`, `app.py` are files, not hosts. */
const FILE_EXT = new Set(
  'json yaml yml xml txt conf cfg ini properties toml env py js mjs cjs ts java class jar war go rb php sh bash ps1 log pem crt cer key p12 pfx jks csv tsv html htm css md sql db sqlite sock pid lock gz tgz tar zip png jpg jpeg gif svg ico so dll exe bin dat tmpl tpl j2 proto'.split(' '),
);
/** First labels of Java/Android package names (`com.example.app`). */
const PACKAGE_PREFIX = new Set(['com', 'org', 'net', 'io', 'java', 'javax', 'android', 'kotlin', 'scala']);
const NOT_WORDS = new Set(['true', 'false', 'yes', 'no', 'on', 'off', 'null', 'none', 'nil', 'enabled', 'disabled', 'enable', 'disable', 'default', 'auto', 'always', 'never', 'local', 'localhost', 'debug', 'info', 'warn', 'warning', 'error', 'trace', 'stdout', 'stderr', 'console', 'json', 'text', 'memory', 'inmemory', 'noop', 'dev', 'prod', 'production', 'development', 'staging', 'test']);

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const LOOPBACK = /^(localhost|.*\.localhost|0\.0\.0\.0|127\.\d+\.\d+\.\d+|\[?::1?\]?)$/;
const PLACEHOLDER = /\$\(|\$\{|\{\{|%[sd]|<[a-z_-]+>/i;
const CLUSTER_SUFFIX = /\.(svc|svc\.cluster\.local|cluster\.local|internal)$/;

const MAX_HITS = 32;
const MAX_TOKENS = 64;
const MAX_LINES = 2000;

/** Upper snake case of a variable, flag or property name (`spring.datasource.url` → `SPRING_DATASOURCE_URL`). */
export function normaliseName(name: string): string {
  return name
    .replace(/^-+/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
}

interface NameHints {
  hosty: boolean;
  never: boolean;
  grpc: boolean;
}

function hintsFor(name: string | undefined): NameHints {
  if (!name) return { hosty: false, never: false, grpc: false };
  const n = normaliseName(name);
  const hosty = HOSTY_NAME.test(n);
  // A host-like suffix wins over a secret-looking word (`TOKEN_URL`, `AUTH_SERVICE_ADDR`); URLs still get their userinfo redacted.
  const never = STRONG_NEVER.test(n) || (!hosty && (SECRET_NAME.test(n) || NEVER_NAME.test(n)));
  return { hosty, never, grpc: /GRPC/.test(n) };
}

/**
 * Hosts in one value. `name` is the variable / key / flag it was assigned
 * to; `sibling` looks up another variable of the same env list or ConfigMap
 * (for `DB_HOST` + `DB_PORT`).
 */
export function hostsInValue(name: string | undefined, value: string, source: ValueSource, sibling?: (name: string) => string | undefined): HostHit[] {
  const hints = hintsFor(name);
  if (hints.never) return [];
  if (value.includes('\n')) return source === 'config' ? hostsInText(value) : [];
  const hits: HostHit[] = [];
  const tokens = value.split(/[\s,;]+/).filter(Boolean).slice(0, MAX_TOKENS);
  for (const token of tokens) {
    const hit = classify(token, hints, source, tokens.length === 1);
    if (!hit) continue;
    if (hit.port === undefined && name && sibling) {
      const port = siblingPort(name, sibling);
      if (port !== undefined) {
        hit.port = port;
        Object.assign(hit, protocolForPort(port, hints.grpc));
      }
    }
    hits.push(hit);
    if (hits.length >= MAX_HITS) break;
  }
  return dedupe(hits);
}

/** Hosts in a container's `command` + `args`: URLs, host:port, `--db-host=orders`. */
export function hostsInArgs(args: readonly string[]): { hit: HostHit; arg: string }[] {
  const out: { hit: HostHit; arg: string }[] = [];
  const tokens: string[] = [];
  for (const a of args.slice(0, MAX_TOKENS)) tokens.push(...a.split(/\s+/).filter(Boolean));
  for (let i = 0; i < tokens.length && i < MAX_TOKENS * 4; i++) {
    const raw = stripQuotes(tokens[i]!.replace(/[;&|]+$/, ''));
    let name: string | undefined;
    let value = raw;
    const eq = /^(-{1,2}[A-Za-z][\w.-]*)=(.*)$/.exec(raw);
    if (eq) {
      name = eq[1];
      value = stripQuotes(eq[2]!);
    } else if (raw.startsWith('-')) {
      continue;
    } else {
      const prev = tokens[i - 1];
      if (prev && /^-{1,2}[A-Za-z][\w.-]*$/.test(prev)) name = prev;
    }
    const hints = hintsFor(name);
    if (hints.never) continue;
    for (const part of value.split(',').filter(Boolean).slice(0, 8)) {
      const hit = classify(part, hints, 'arg', true);
      if (hit) out.push({ hit, arg: eq ? `${name}=${hit.shown}` : name ? `${name} ${hit.shown}` : hit.shown });
      if (out.length >= MAX_HITS) return out;
    }
  }
  return out;
}

/** Comment lines of the usual config languages (shell/YAML/INI, SQL, C-like, XML). */
const COMMENT_LINE = /^(#|\/\/|--|\/\*|\*|<!--|;)/;
/** Links to documentation, code hosting and static assets: references in config files, not calls. */
const LINK_HOST = /(^|\.)(github\.com|gitlab\.com|bitbucket\.org|grafana\.com|grafana\.org|apache\.org|kubernetes\.io|readthedocs\.io|opensource\.org|w3\.org|schemas\.xmlsoap\.org|json-schema\.org)$|^docs\./;
const LINK_PATH = /\/(licenses?|docs?|blob|tree|wiki)(\/|$)|\.(png|svg|jpe?g|gif|ico|css|html?|md|txt|pdf)([?#]|$)/i;

/**
 * Multi-line config (nginx.conf, application.properties, JSON): a URL counts
 * only when it is the whole value of an assignment, directive or list item
 * (`proxy_pass http://api:8080;`, `url = http://...`, `"url": "http://..."`),
 * never inside prose or comments; `key = value` lines with host-like keys
 * are read like env vars.
 */
function hostsInText(text: string): HostHit[] {
  const hits: HostHit[] = [];
  const lines = text.split('\n').slice(0, MAX_LINES);
  for (const line of lines) {
    const clean = line.replace(/(^|\s)#.*$/, '').trim();
    if (!clean || COMMENT_LINE.test(clean)) continue;
    for (const m of clean.matchAll(/\b(?:jdbc:)?[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`;,)]+/gi)) {
      const before = clean.slice(0, m.index);
      const after = clean.slice(m.index! + m[0].length);
      const valueStart = /^(?:["']?[\w.$-]+["']?\s*[:=]\s*["']?|[\w.-]+\s+["']?|-\s+["']?|["']?)$/.test(before);
      const valueEnd = /^["']?\s*[;,]?\s*$/.test(after);
      if (!valueStart || !valueEnd) continue;
      const hit = classify(m[0], { hosty: true, never: false, grpc: false }, 'config', true);
      if (!hit || LINK_HOST.test(hit.host) || LINK_PATH.test(m[0].replace(/^(?:jdbc:)?[a-z][a-z0-9+.-]*:\/\/[^/]*/i, ''))) continue;
      hits.push(hit);
    }
    const kv = /^([A-Za-z_][\w.-]*)\s*[:=]\s*["']?([^"'\s]+)["']?\s*$/.exec(clean);
    if (kv && !/:\/\//.test(kv[2]!)) {
      const hints = hintsFor(kv[1]);
      if (hints.hosty && !hints.never) {
        const hit = classify(kv[2]!, hints, 'config', true);
        if (hit) hits.push(hit);
      }
    }
    if (hits.length >= MAX_HITS) break;
  }
  return dedupe(hits);
}

function classify(rawToken: string, hints: NameHints, source: ValueSource, alone: boolean): HostHit | undefined {
  const token = stripQuotes(rawToken.trim());
  if (!token || token.length > 2048 || PLACEHOLDER.test(token)) return undefined;

  const url = /^(?:jdbc:)?([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(token);
  if (url) return fromUrl(url[1]!.toLowerCase(), url[2]!, hints);
  if (/[@/\\]/.test(token)) return undefined; // e-mail addresses, paths, image references

  const hostPort = /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(token);
  if (hostPort) {
    const host = hostPort[1]!.toLowerCase();
    const port = Number(hostPort[2]);
    if (port < 20 || port > 65535 || !plausibleHost(host, true)) return undefined;
    return { host, port, ...protocolForPort(port, hints.grpc), shown: token };
  }
  if (token.includes(':')) return undefined;

  const host = token.toLowerCase();
  if (token !== host && !IPV4.test(token)) return undefined; // `INFO`, `Always`, `com.Foo`: not how hosts are written
  if (host.includes('.')) {
    if (!plausibleHost(host, false)) return undefined;
    // A dotted name alone is a host only with a hint: a host-like name, or an in-cluster suffix.
    const ok = hints.hosty || CLUSTER_SUFFIX.test(host) || (source !== 'arg' && alone && !IPV4.test(host) && host.split('.').length >= 2 && isDomainish(host));
    if (!ok) return undefined;
    return { host, ...protocolForPort(undefined, hints.grpc), shown: token };
  }
  if (!hints.hosty || !alone) return undefined;
  if (!HOSTNAME.test(host) || !/[a-z]/.test(host) || NOT_WORDS.has(host)) return undefined;
  return { host, ...protocolForPort(undefined, hints.grpc), shown: token };
}

function fromUrl(scheme: string, rest: string, hints: NameHints): HostHit | undefined {
  const info = SCHEMES[scheme];
  if (!info) return undefined;
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  const tail = authorityEnd === -1 ? '' : rest.slice(authorityEnd);
  const at = authority.lastIndexOf('@');
  const hostPart = at === -1 ? authority : authority.slice(at + 1);
  // Multi-host URLs (mongodb://a:27017,b:27017): the first host stands for the set.
  const first = hostPart.split(',')[0]!;
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/i.exec(first);
  if (v6) {
    host = `[${v6[1]!.toLowerCase()}]`;
    portText = v6[2];
  } else {
    const m = /^([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(first);
    if (!m) return undefined;
    host = m[1]!.toLowerCase();
    portText = m[2];
    if (!plausibleHost(host, true)) return undefined;
  }
  if (LOOPBACK.test(host)) return undefined;
  const port = portText !== undefined ? Number(portText) : info.port;
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  let encrypted = info.encrypted;
  if (!encrypted && /[?&](sslmode=(require|verify-ca|verify-full)|ssl=true|tls=true)(&|$)/i.test(tail)) encrypted = true;
  const app = info.app ?? (port !== undefined ? PORT_APP[port] : undefined);
  const protocol = info.protocol === 'tcp' && hints.grpc ? 'tcp' : info.protocol;
  const shown = truncate(`${scheme}://${at === -1 ? '' : '***@'}${hostPart}${tail}`, 160);
  return {
    host,
    ...(port !== undefined ? { port } : {}),
    scheme,
    protocol,
    encrypted,
    ...(app ? { appProtocol: app } : {}),
    protocolGuessed: false,
    shown,
  };
}

function protocolForPort(port: number | undefined, grpcHint: boolean): Pick<HostHit, 'protocol' | 'encrypted' | 'appProtocol' | 'protocolGuessed'> {
  const app = port !== undefined ? PORT_APP[port] : undefined;
  const base = { protocolGuessed: true, ...(app ? { appProtocol: app } : {}) };
  if (port === 443 || port === 8443) return { ...base, protocol: 'https', encrypted: 'unknown' };
  if (grpcHint || port === 50051) return { ...base, protocol: 'grpc', encrypted: false };
  if (port === 80) return { ...base, protocol: 'http', encrypted: false };
  // SMTP submission and relay usually upgrade with STARTTLS: nothing in the value says either way.
  if (port === 25 || port === 587) return { ...base, protocol: 'tcp', encrypted: 'unknown' };
  return { ...base, protocol: 'tcp', encrypted: false };
}

function plausibleHost(host: string, withPortOrScheme: boolean): boolean {
  if (host.length > 253 || LOOPBACK.test(host)) return false;
  if (IPV4.test(host)) return true;
  if (!HOSTNAME.test(host) || !/[a-z]/.test(host)) return false;
  const labels = host.split('.');
  const last = labels[labels.length - 1]!;
  if (/^\d+$/.test(last)) return false; // `1.2.3` versions, `10.0.1` partial IPs
  if (!withPortOrScheme && labels.length > 1) {
    if (FILE_EXT.has(last)) return false;
    if (labels.length >= 3 && PACKAGE_PREFIX.has(labels[0]!)) return false;
  }
  return true;
}

/** `orders.shop`, `api.stripe.com`: a dotted name whose last label could be a TLD or a namespace. */
function isDomainish(host: string): boolean {
  const last = host.slice(host.lastIndexOf('.') + 1);
  return /^[a-z][a-z0-9-]*$/.test(last) && last.length >= 2;
}

function siblingPort(name: string, sibling: (name: string) => string | undefined): number | undefined {
  const m = /^(.*?)(_HOST|_HOSTNAME|_ADDR|_ADDRESS|_SERVER|_SERVICE_HOST|_SERVICE)$/i.exec(name);
  if (!m) return undefined;
  for (const suffix of ['_PORT', '_SERVICE_PORT']) {
    const v = sibling(`${m[1]}${suffix}`);
    const n = v !== undefined && /^\d{1,5}$/.test(v.trim()) ? Number(v.trim()) : undefined;
    if (n !== undefined && n > 0 && n <= 65535) return n;
  }
  return undefined;
}

function stripQuotes(s: string): string {
  return s.replace(/^["'`([]+|["'`)\]]+$/g, '');
}

function dedupe(hits: HostHit[]): HostHit[] {
  const seen = new Set<string>();
  return hits.filter((h) => {
    const key = `${h.host}:${h.port ?? ''}:${h.scheme ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

import { compact, entries, isObj, own, str, strings, type Obj } from './util.js';

export type SchemeType = 'apiKey' | 'http' | 'oauth2' | 'openIdConnect' | 'mutualTLS' | 'unknown';

/** A security scheme, the same shape for OpenAPI 3 and Swagger 2 (`basic` becomes `http` + `httpScheme: 'basic'`). */
export interface NormalizedScheme {
  type: SchemeType;
  /** apiKey: `query`, `header` or `cookie`. */
  in?: string;
  /** apiKey: header / query / cookie name. */
  name?: string;
  /** http: `basic`, `bearer`, `digest`... (lower case). */
  httpScheme?: string;
  bearerFormat?: string;
  /** oauth2: flow names in OpenAPI 3 spelling (`implicit`, `password`, `clientCredentials`, `authorizationCode`). */
  flows?: string[];
  /** oauth2: scopes the scheme declares. */
  declaredScopes?: string[];
  openIdConnectUrl?: string;
  /** The `type` as written when it is not one we know. */
  rawType?: string;
}

/** One scheme inside one alternative of a security requirement. */
export interface SecurityEntry extends Omit<NormalizedScheme, 'declaredScopes' | 'rawType'> {
  scheme: string;
  scopes: string[];
}

/** Alternatives (OR) of conjunctions (AND). `[]` = no security; an empty alternative = anonymous access allowed. */
export type SecurityRequirement = SecurityEntry[][];

const V2_FLOWS: Record<string, string> = {
  implicit: 'implicit',
  password: 'password',
  application: 'clientCredentials',
  accessCode: 'authorizationCode',
};

const MAX_SCOPES = 100;

export function normalizeScheme(raw: unknown, swagger2: boolean): NormalizedScheme {
  if (!isObj(raw)) return { type: 'unknown' };
  const type = str(own(raw, 'type'));
  switch (type) {
    case 'apiKey':
      return compact<NormalizedScheme>({ type: 'apiKey', in: str(own(raw, 'in')), name: str(own(raw, 'name')) });
    case 'http':
      return compact<NormalizedScheme>({ type: 'http', httpScheme: str(own(raw, 'scheme'))?.toLowerCase(), bearerFormat: str(own(raw, 'bearerFormat')) });
    case 'basic':
      return { type: 'http', httpScheme: 'basic' };
    case 'oauth2': {
      if (swagger2) {
        const flow = str(own(raw, 'flow'));
        return compact<NormalizedScheme>({
          type: 'oauth2',
          flows: flow ? [V2_FLOWS[flow] ?? flow] : [],
          declaredScopes: Object.keys(isObj(own(raw, 'scopes')) ? (own(raw, 'scopes') as Obj) : {}).slice(0, MAX_SCOPES),
        });
      }
      const flows = own(raw, 'flows');
      const scopes = new Set<string>();
      for (const [, flow] of entries(flows)) {
        if (isObj(flow)) for (const [scope] of entries(own(flow, 'scopes'))) scopes.add(scope);
      }
      return { type: 'oauth2', flows: entries(flows).map(([name]) => name), declaredScopes: [...scopes].slice(0, MAX_SCOPES) };
    }
    case 'openIdConnect':
      return compact<NormalizedScheme>({ type: 'openIdConnect', openIdConnectUrl: str(own(raw, 'openIdConnectUrl')) });
    case 'mutualTLS':
      return { type: 'mutualTLS' };
    default:
      return compact<NormalizedScheme>({ type: 'unknown', rawType: type });
  }
}

/**
 * Normalises a `security` array against the declared schemes. Unknown scheme
 * names are kept (type `unknown`) and reported through `onUnknown`.
 */
export function normalizeRequirement(
  value: unknown,
  schemes: Record<string, NormalizedScheme>,
  onUnknown: (name: string, index: number) => void,
): SecurityRequirement {
  if (!Array.isArray(value)) return [];
  const out: SecurityRequirement = [];
  value.slice(0, 50).forEach((alternative, index) => {
    if (!isObj(alternative)) return;
    const entriesOut: SecurityEntry[] = [];
    for (const [name, scopes] of entries(alternative)) {
      const scheme = Object.prototype.hasOwnProperty.call(schemes, name) ? schemes[name] : undefined;
      if (!scheme) onUnknown(name, index);
      const { declaredScopes: _d, rawType: _r, ...rest } = scheme ?? { type: 'unknown' as const };
      entriesOut.push({ scheme: name, ...rest, scopes: strings(scopes, MAX_SCOPES) });
    }
    out.push(entriesOut);
  });
  return out;
}

/** True when some alternative needs no credentials at all. */
export function allowsAnonymous(req: SecurityRequirement): boolean {
  return req.length === 0 || req.some((alt) => alt.length === 0);
}

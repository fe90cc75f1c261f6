import type { Rule, RuleHit } from '../../src/model/graph.js';
import { at, containers, describe, ofType, workloads } from './helpers.js';

/** Names that hold a credential (after upper-snake normalisation). */
const CREDENTIAL = /(^|_)(PASSWORD|PASSWD|PWD|PASS|PASSPHRASE|SECRET|SECRET_KEY|CLIENT_SECRET|TOKEN|ACCESS_TOKEN|REFRESH_TOKEN|API_KEY|APIKEY|ACCESS_KEY|PRIVATE_KEY|SIGNING_KEY|ENCRYPTION_KEY|MASTER_KEY|AUTH_KEY|CREDENTIALS?)$|(PASSWORD|SECRET|TOKEN|APIKEY)$/;
/** Names that mention a credential but hold something else (its name, location, lifetime...). */
const NOT_CREDENTIAL = /(_|^)(NAME|FILE|PATH|DIR|URL|URI|ENDPOINT|HOST|ID|TTL|EXPIRATION|EXPIRY|EXPIRES|LENGTH|HEADER|TYPE|ENABLED|REF|KEY_ID|ALGORITHM|ALG|ISSUER|AUDIENCE)$/;
/** scheme://user:password@host */
const URL_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i;
/** user:password@host[:port][/db] without a scheme (MongoDB and Redis client settings, e.g. MailHog's MH_MONGO_URI). */
const USERINFO_PASSWORD = /^[^/\s:@]+:[^/\s:@]+@[a-z0-9][a-z0-9.-]*(:\d{1,5})?(\/\S*)?$/i;
const PLACEHOLDER = /^\$\(|^\$\{|^\{\{|^<.*>$|^%.*%$/;

function norm(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
}

/** Why a literal (name, value) looks like a credential, or undefined. */
export function credentialReason(name: string, value: string): string | undefined {
  const v = value.trim();
  if (!v || PLACEHOLDER.test(v) || /^(true|false|yes|no|none|null)$/i.test(v)) return undefined;
  if (URL_PASSWORD.test(v)) return 'a URL with an embedded password';
  if (USERINFO_PASSWORD.test(v)) return 'a connection string with an embedded password';
  const n = norm(name);
  if (CREDENTIAL.test(n) && !NOT_CREDENTIAL.test(n) && !/^\d{1,6}$/.test(v)) return `a literal value for a credential-like name (${v.length} characters)`;
  return undefined;
}

export const rule: Rule = {
  meta: {
    id: 'k8s-literal-credential-env',
    title: 'Credential written in plain text in a manifest',
    stride: ['I'],
    severity: 'high',
    rationale:
      'A password, token or key written as an env value or ConfigMap value is stored in the repository history, readable by everyone with read access to the repo or `get configmaps`/`get pods` in the namespace, printed by `kubectl describe`, and never rotated.',
    mitigation:
      'Move the value into a Secret (better: an external secret manager through External Secrets or the Secrets Store CSI driver), reference it with `valueFrom.secretKeyRef` or `envFrom.secretRef`, and rotate the exposed credential: it is in git history.',
    references: ['CWE-798', 'CWE-260', 'CWE-312', 'OWASP-API8:2023', 'https://kubernetes.io/docs/concepts/configuration/secret/'],
    inputs: ['k8s'],
    detection:
      'Literal `env[].value`s of containers and ConfigMap `data` values whose name ends like a credential (PASSWORD, SECRET, TOKEN, API_KEY, PRIVATE_KEY, CLIENT_SECRET...; not *_FILE, *_PATH, *_URL, *_NAME, *_ID...), and any value that is a URL (or a scheme-less `user:password@host` connection string) with an embedded password. Empty values, placeholders (`$(VAR)`, `${VAR}`, `<...>`) and booleans are ignored. Evidence never repeats the value.',
    falsePositives: 'Demo and test credentials (still worth moving, they get copied to production), and names such as TOKEN_LIFETIME that slip past the exclusions.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const w of workloads(ctx)) {
      for (const c of containers(w)) {
        c.env.forEach((e, j) => {
          if (e.value === undefined) return;
          const reason = credentialReason(e.name, e.value);
          if (!reason) return;
          hits.push({ element: w.id, qualifier: `${c.name}/${e.name}`, location: at(w, `${c.path}.env.${j}.value`, `${c.path}.env.${j}`), evidence: `${describe(w)}: container ${c.name} env ${e.name} holds ${reason}` });
        });
      }
    }
    for (const cm of ofType(ctx, 'ConfigMap')) {
      for (const [key, value] of Object.entries((cm.attrs.data as Record<string, string>) ?? {})) {
        const reason = credentialReason(key, value);
        if (!reason) continue;
        hits.push({ element: cm.id, qualifier: key, location: at(cm, `data.${key}`), evidence: `${describe(cm)}: key ${key} holds ${reason}` });
      }
    }
    return hits;
  },
};

import type { Rule, RuleHit } from '../../src/model/graph.js';
import { at, isAuthFlow, label, leaf, operations, short } from './helpers.js';

/** Credentials and secrets (normalised leaf names: lower case, no `_`/`-`). */
const SECRET = /^(password|passwd|pwd|passphrase|secret|apikey|apisecret|privatekey|secretkey|signingkey|mfasecret|totpsecret|otp|pin|jwt)$|(password|passwordhash|secret|token)$/;
/** Tokens that are cursors, not credentials. */
const NOT_SECRET = /(page|next|prev|previous|continuation|pagination|cursor|sync|csrf)token$|^tokentype$|^tokenexpir/;
/** Government ids and payment data. */
const REGULATED = /^(ssn|socialsecuritynumber|taxid|nationalid|passportnumber|cardnumber|creditcard|creditcardnumber|ccnumber|pan|cvv|cvv2|cvc|iban|bankaccount|accountnumber|routingnumber)$/;
/** Personal data: reported at low severity. */
const PII = /^(email|emailaddress|mail|phone|phonenumber|mobile|mobilenumber|msisdn|dateofbirth|dob|birthdate|birthday|homeaddress|streetaddress)$/;
/** Tokens a login/refresh response is supposed to return. */
const SESSION_TOKEN = /^(token|accesstoken|refreshtoken|idtoken|jwt|sessiontoken|authtoken|bearertoken)$/;

export const rule: Rule = {
  meta: {
    id: 'openapi-sensitive-response-fields',
    title: 'Response exposes secrets or personal data',
    stride: ['I'],
    severity: 'high',
    rationale:
      'Fields such as password (even hashed), secrets, API keys, tokens, government ids and card numbers in a response are disclosed to every caller of the operation, end up in logs, caches and browser storage, and are the prize of any object-level authorization bug. Personal data (email, phone, date of birth) returned more widely than needed is excessive data exposure.',
    mitigation:
      'Remove the field from the response schema (use a separate output schema without it, or mark it `writeOnly`), return only what the client needs, mask card numbers and ids, and filter properties server-side per caller rather than in the client.',
    references: ['CWE-200', 'CWE-359', 'CWE-312', 'OWASP-API3:2023'],
    inputs: ['openapi'],
    detection:
      'Response schema fields (any status, nested fields included) whose last name segment, normalised, is a credential or secret (password, passwd, secret, apiKey, privateKey, *Token, otp, pin), regulated data (ssn, taxId, cardNumber, pan, cvv, iban, accountNumber) — severity high — or personal data (email, phone, mobile, dateOfBirth, address) — a separate finding at low. `writeOnly` fields, cursor tokens (nextPageToken) and session tokens returned by authentication endpoints (`/login`, `/token`, `/refresh`...) are not reported.',
    falsePositives: 'Field names that look sensitive but are not (a `pin` that is a map pin); operations that legitimately return the caller\'s own profile data.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const op of operations(ctx)) {
      const authFlow = isAuthFlow(op.path);
      const found = { secret: new Set<string>(), pii: new Set<string>() };
      const firstStatus: { secret?: string; pii?: string } = {};
      for (const response of op.responses) {
        for (const prop of response.properties) {
          if (prop.writeOnly) continue;
          const name = leaf(prop.name);
          let kind: 'secret' | 'pii' | undefined;
          if ((SECRET.test(name) && !NOT_SECRET.test(name)) || REGULATED.test(name)) {
            if (authFlow && SESSION_TOKEN.test(name)) continue;
            kind = 'secret';
          } else if (PII.test(name)) {
            kind = 'pii';
          }
          if (!kind) continue;
          found[kind].add(prop.name);
          firstStatus[kind] ??= response.status;
        }
      }
      for (const kind of ['secret', 'pii'] as const) {
        if (found[kind].size === 0) continue;
        const status = firstStatus[kind]!;
        hits.push({
          element: op.el.id,
          qualifier: kind,
          location: at(op.el, `responses.${status}`),
          evidence: `${label(op)} returns ${kind === 'secret' ? 'secret or regulated' : 'personal'} field${found[kind].size > 1 ? 's' : ''} ${short([...found[kind]])} (response ${status})`,
          ...(kind === 'pii' ? { severity: 'low' as const } : {}),
        });
      }
    }
    return hits;
  },
};

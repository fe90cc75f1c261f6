import type { Rule, RuleHit } from '../../src/model/graph.js';
import type { ParameterSummary } from '../../src/ingest/openapi/model.js';
import { at, declaredPublic, isAuthFlow, label, operations, short } from './helpers.js';

const ID_NAME = /^(id|uuid|guid|slug)$|(_id|-id|Id|ID|_uuid|Uuid)$/;
/** In a path, `{key}` / `{objectKey}` names an object too (in a query, `key` is usually an API key). */
const PATH_KEY = /^key$|(_key|Key)$/;

/** A parameter that names one object: `{orderId}`, `{id}`, `?video_id=`, a uuid in the path. */
function isObjectId(p: ParameterSummary): boolean {
  if (p.in !== 'path' && p.in !== 'query') return false;
  if (p.enumCount !== undefined) return false; // a fixed set of values names a category, not an object
  if (ID_NAME.test(p.name)) return true;
  return p.in === 'path' && (PATH_KEY.test(p.name) || p.format === 'uuid' || p.format === 'int64');
}

export const rule: Rule = {
  meta: {
    id: 'openapi-bola-id-parameter',
    title: 'Object identifier in the request with no per-object authorization evident',
    stride: ['E', 'I'],
    severity: 'medium',
    rationale:
      'Broken object-level authorization (BOLA/IDOR) is the most exploited API flaw: when an operation takes an object id from the caller (`/orders/{orderId}`, `?video_id=`) and the only check is "is the caller logged in" (or nothing at all), any user can read or change other users\' objects by enumerating ids.',
    mitigation:
      'Check in the handler that the authenticated principal owns or may access the object named by the id (not only that a token is valid); prefer unguessable ids; express the required permission as OAuth2 scopes. Once ownership checks are in place, mark the operation `x-threatdiff-object-authorization: true`.',
    references: ['CWE-639', 'CWE-284', 'OWASP-API1:2023', 'CAPEC-1'],
    inputs: ['openapi'],
    detection:
      'Operations with a path parameter, or a query parameter, whose name looks like an object id (`id`, `*_id`, `*Id`, `uuid`, `slug`; in a path also `key`/`*Key` and any uuid/int64 parameter), not an enum, where the effective security has no scopes. High when the operation also allows anonymous access, medium when it is authenticated without scopes. Skipped: authentication flows, `x-threatdiff-public: true`, `x-threatdiff-object-authorization: true`.',
    falsePositives:
      'Object-level checks are invisible in a spec: services that do check ownership are reported until marked. Public objects (product catalogue) identified by id.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const op of operations(ctx)) {
      if (op.method === 'OPTIONS' || declaredPublic(op) || op.extensions['x-threatdiff-object-authorization'] === true) continue;
      if (isAuthFlow(op.path)) continue;
      const ids = op.parameters.filter(isObjectId);
      if (ids.length === 0) continue;
      const scoped = !op.allowsAnonymous && op.security.every((alt) => alt.some((e) => e.scopes.length > 0));
      if (scoped) continue;
      const names = ids.map((p) => (p.in === 'path' ? `{${p.name}}` : `?${p.name}`));
      hits.push({
        element: op.el.id,
        location: at(op.el, `parameters.${ids[0]!.name}`),
        evidence: `${label(op)} takes object id ${short(names)} and ${op.allowsAnonymous ? 'allows anonymous access' : 'requires authentication but no scopes'}: nothing shows that the caller may access that object`,
        severity: op.allowsAnonymous ? 'high' : 'medium',
      });
    }
    return hits;
  },
};

import type { Rule, RuleHit } from '../../src/model/graph.js';
import { at, inputFields, label, leaf, operations, short } from './helpers.js';

/** Fields a client should never set itself (normalised leaf names). */
const PRIVILEGED = /^(role|roles|userrole|isadmin|admin|issuperuser|superuser|isstaff|staff|permission|permissions|privileges|scopes|accesslevel|isverified|verified|emailverified|isapproved|approved|price|unitprice|discount|discountpercent|balance|credit|credits|creditlimit|accountbalance|walletbalance|isdeleted|ownerid)$/;

export const rule: Rule = {
  meta: {
    id: 'openapi-mass-assignment',
    title: 'Request body accepts privileged fields (mass assignment)',
    stride: ['E', 'T'],
    severity: 'high',
    rationale:
      'When a create/update body accepts fields like `role`, `isAdmin`, `permissions`, `price`, `discount` or `balance` and the service binds the body straight onto its model, a caller can grant themselves privileges or change prices and balances simply by adding the field to the request.',
    mitigation:
      'Use a dedicated input schema that lists only client-settable fields (`additionalProperties: false`), mark server-controlled fields `readOnly: true`, and bind request bodies to allow-listed fields in the handler; move privilege changes to separate admin-only operations.',
    references: ['CWE-915', 'OWASP-API3:2023', 'OWASP-API6:2023'],
    inputs: ['openapi'],
    detection:
      'Request body fields (any nesting) that are not `readOnly` and whose last name segment, normalised, is role(s), isAdmin/admin, isSuperuser, isStaff, permission(s), privileges, scopes, accessLevel, isVerified/verified/emailVerified, isApproved/approved, price, unitPrice, discount, balance, accountBalance, walletBalance, credit(s), creditLimit, isDeleted, ownerId. One finding per operation listing the fields.',
    falsePositives: 'Admin-only operations that are meant to set these fields (check their security requires an admin scope); `price` in a quote request that the server recomputes.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const op of operations(ctx)) {
      const fields = inputFields(op)
        .filter((p) => PRIVILEGED.test(leaf(p.name)))
        .map((p) => p.name);
      if (fields.length === 0) continue;
      hits.push({
        element: op.el.id,
        location: at(op.el, 'requestBody'),
        evidence: `${label(op)} accepts ${short(fields)} in its request body (not readOnly)`,
      });
    }
    return hits;
  },
};

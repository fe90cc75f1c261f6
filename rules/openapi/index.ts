import type { Rule } from '../../src/model/graph.js';
import { rule as apiKeyInQuery } from './openapi-api-key-in-query.js';
import { rule as basicAuth } from './openapi-basic-auth.js';
import { rule as bolaIdParameter } from './openapi-bola-id-parameter.js';
import { rule as inconsistentSecurity } from './openapi-inconsistent-security.js';
import { rule as massAssignment } from './openapi-mass-assignment.js';
import { rule as missingPagination } from './openapi-missing-pagination.js';
import { rule as noCorrelationId } from './openapi-no-correlation-id.js';
import { rule as noRateLimit } from './openapi-no-rate-limit.js';
import { rule as oauthImplicitFlow } from './openapi-oauth-implicit-flow.js';
import { rule as plainHttpServer } from './openapi-plain-http-server.js';
import { rule as sensitiveResponseFields } from './openapi-sensitive-response-fields.js';
import { rule as ssrfUrlField } from './openapi-ssrf-url-field.js';
import { rule as unauthenticatedOperation } from './openapi-unauthenticated-operation.js';
import { rule as unboundedInput } from './openapi-unbounded-input.js';
import { rule as verboseErrors } from './openapi-verbose-errors.js';

/** OpenAPI rules: they read the attributes documented in src/ingest/openapi/README.md. */
export const openapiRules: Rule[] = [
  unauthenticatedOperation,
  inconsistentSecurity,
  bolaIdParameter,
  sensitiveResponseFields,
  massAssignment,
  unboundedInput,
  missingPagination,
  noRateLimit,
  verboseErrors,
  plainHttpServer,
  apiKeyInQuery,
  basicAuth,
  oauthImplicitFlow,
  ssrfUrlField,
  noCorrelationId,
];

import type { Parser } from '../model/types.js';
import { kubernetesParser } from './k8s/index.js';
import { openapiParser } from './openapi/index.js';
import { terraformParser } from './terraform/index.js';

/**
 * Every input format, in detection order. OpenAPI comes before Kubernetes
 * because both are YAML; a document is claimed by the first parser whose
 * `detect` accepts it.
 */
export const PARSERS: readonly Parser[] = [openapiParser, kubernetesParser, terraformParser];

import type { Rule } from '../src/model/graph.js';
import { graphRules } from './graph/index.js';
import { k8sRules } from './k8s/index.js';
import { openapiRules } from './openapi/index.js';
import { terraformRules } from './terraform/index.js';

/** Every built-in rule. The contract test checks ids are unique and each has fixtures. */
export const ALL_RULES: readonly Rule[] = [...graphRules, ...k8sRules, ...openapiRules, ...terraformRules];

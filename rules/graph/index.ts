import type { Rule } from '../../src/model/graph.js';
import { rule as unauthenticatedCrossing } from './graph-unauthenticated-crossing.js';
import { rule as plaintextCrossing } from './graph-plaintext-crossing.js';
import { rule as attackPath } from './graph-attack-path.js';

export const graphRules: Rule[] = [unauthenticatedCrossing, plaintextCrossing, attackPath];

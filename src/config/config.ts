import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYamlText } from 'yaml';
import type { Severity } from '../model/types.js';
import { SEVERITIES } from '../model/types.js';

/** Where the configuration lives in a repository (read at the base ref, so a PR cannot weaken its own gate). */
export const CONFIG_PATH = '.github/threatdiff.yml';

export interface RuleOverride {
  enabled?: boolean;
  severity?: Severity;
}

export interface AcceptedRisk {
  /** Finding id (`TD-…`) or key (`rule@element…`). */
  id: string;
  reason: string;
  by?: string;
  at?: string;
}

export interface Config {
  /** Path globs of files to model; empty means every file. */
  include: string[];
  exclude: string[];
  /** Element-id glob → zone id, e.g. `"k8s:Deployment/payments/**": pci`. */
  zones: Record<string, string>;
  /** OpenAPI spec path glob or API title → name of the service implementing it. */
  apis: Record<string, string>;
  /** Lowest severity of a new, unaccepted finding that fails the check; `none` never fails. */
  failOn: Severity | 'none';
  comments: 'off' | 'on-change' | 'always';
  reviewComments: boolean;
  drafts: 'analyse' | 'skip';
  rules: Record<string, RuleOverride>;
  accepted: AcceptedRisk[];
  /** Label put on PRs that call for a full threat-model review; empty disables it. */
  fullReviewLabel: string;
  stories: 'off' | 'auto';
  storiesSeverity: Severity;
  /** Element-id glob → data sensitivity, for risk ranking. */
  sensitivity: Record<string, 'public' | 'internal' | 'pii' | 'payment' | 'credentials'>;
}

export const DEFAULT_CONFIG: Config = {
  include: [],
  exclude: ['**/node_modules/**', '**/vendor/**', '**/.terraform/**', '**/test/**/fixtures/**'],
  zones: {},
  apis: {},
  failOn: 'high',
  comments: 'on-change',
  reviewComments: true,
  drafts: 'analyse',
  rules: {},
  accepted: [],
  fullReviewLabel: 'threat-model: full review',
  stories: 'off',
  storiesSeverity: 'high',
  sensitivity: {},
};

const severityEnum = { enum: SEVERITIES };
const stringMap = { type: 'object', additionalProperties: { type: 'string' } };

/** JSON schema of `.github/threatdiff.yml` (snake_case keys, as users write YAML). */
export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    include: { type: 'array', items: { type: 'string' } },
    exclude: { type: 'array', items: { type: 'string' } },
    zones: stringMap,
    apis: stringMap,
    fail_on: { enum: [...SEVERITIES, 'none'] },
    comments: { enum: ['off', 'on-change', 'always'] },
    review_comments: { type: 'boolean' },
    drafts: { enum: ['analyse', 'analyze', 'skip'] },
    rules: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: { enabled: { type: 'boolean' }, severity: severityEnum },
      },
    },
    accepted: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'reason'],
        properties: { id: { type: 'string' }, reason: { type: 'string' }, by: { type: 'string' }, at: { type: 'string' } },
      },
    },
    full_review_label: { type: 'string' },
    stories: { enum: ['off', 'auto'] },
    stories_severity: severityEnum,
    sensitivity: { type: 'object', additionalProperties: { enum: ['public', 'internal', 'pii', 'payment', 'credentials'] } },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(CONFIG_SCHEMA);

export class ConfigError extends Error {
  constructor(message: string, readonly problems: string[]) {
    super(message);
  }
}

/** Parses and validates the YAML text of a config file; throws ConfigError with every problem named. */
export function parseConfig(text: string, source = CONFIG_PATH): Config {
  let raw: unknown;
  try {
    raw = parseYamlText(text, { maxAliasCount: 50 }) ?? {};
  } catch (err) {
    throw new ConfigError(`${source}: not valid YAML: ${(err as Error).message.split('\n')[0]}`, []);
  }
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).map(describeSchemaError);
    throw new ConfigError(`${source}: ${problems.join('; ')}`, problems);
  }
  const r = raw as Record<string, any>;
  return {
    include: r.include ?? DEFAULT_CONFIG.include,
    exclude: [...DEFAULT_CONFIG.exclude, ...(r.exclude ?? [])],
    zones: r.zones ?? {},
    apis: r.apis ?? {},
    failOn: r.fail_on ?? DEFAULT_CONFIG.failOn,
    comments: r.comments ?? DEFAULT_CONFIG.comments,
    reviewComments: r.review_comments ?? DEFAULT_CONFIG.reviewComments,
    drafts: r.drafts === 'skip' ? 'skip' : 'analyse',
    rules: r.rules ?? {},
    accepted: r.accepted ?? [],
    fullReviewLabel: r.full_review_label ?? DEFAULT_CONFIG.fullReviewLabel,
    stories: r.stories ?? DEFAULT_CONFIG.stories,
    storiesSeverity: r.stories_severity ?? DEFAULT_CONFIG.storiesSeverity,
    sensitivity: r.sensitivity ?? {},
  };
}

function describeSchemaError(e: ErrorObject): string {
  const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '(top level)';
  if (e.keyword === 'additionalProperties') return `${where}: unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === 'enum') return `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  return `${where}: ${e.message ?? 'invalid'}`;
}

/** Severity order helper: true when `a` is at least as severe as `b`. */
export function atLeast(a: Severity, b: Severity): boolean {
  return SEVERITIES.indexOf(a) <= SEVERITIES.indexOf(b);
}

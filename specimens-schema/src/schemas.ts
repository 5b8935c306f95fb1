/**
 * The schema files, loaded as data. Static `require` calls (rather than a
 * directory read) keep this module free of `fs`, so bundlers can inline the
 * JSON for the browser, and keep the files outside `rootDir` (they are served
 * from the package root as `@exemplar/specimens-schema/schemas/<name>.schema.json`).
 */
import type { SchemaTypes } from './generated/types';

/** A schema file as parsed JSON. */
export interface JsonSchema {
  readonly $id: string;
  readonly $schema?: string;
  readonly title: string;
  readonly description?: string;
  readonly [keyword: string]: unknown;
}

/** Name of a schema that validates data (the file name without `.schema.json`). */
export type SchemaName = keyof SchemaTypes;

export const SCHEMA_ID_BASE = 'https://exemplar.local/schemas/';

export const commonSchema: JsonSchema = require('../schemas/common.schema.json');
export const specimenStatusSchema: JsonSchema = require('../schemas/specimen-status.schema.json');
export const forgeryMethodSchema: JsonSchema = require('../schemas/forgery-method.schema.json');
export const issuingStateSchema: JsonSchema = require('../schemas/issuing-state.schema.json');
export const documentCategorySchema: JsonSchema = require('../schemas/document-category.schema.json');
export const documentCodeSchema: JsonSchema = require('../schemas/document-code.schema.json');
export const lightSourceSchema: JsonSchema = require('../schemas/light-source.schema.json');
export const featureTypeSchema: JsonSchema = require('../schemas/feature-type.schema.json');
export const classificationSchema: JsonSchema = require('../schemas/classification.schema.json');
export const capturePageSchema: JsonSchema = require('../schemas/capture-page.schema.json');
export const featureZoneSchema: JsonSchema = require('../schemas/feature-zone.schema.json');
export const featureZoneCreateSchema: JsonSchema = require('../schemas/feature-zone-create.schema.json');
export const featureZonePatchSchema: JsonSchema = require('../schemas/feature-zone-patch.schema.json');
export const captureImageSchema: JsonSchema = require('../schemas/capture-image.schema.json');
export const captureSchema: JsonSchema = require('../schemas/capture.schema.json');
export const captureCreateSchema: JsonSchema = require('../schemas/capture-create.schema.json');
export const capturePatchSchema: JsonSchema = require('../schemas/capture-patch.schema.json');
export const specimenSchema: JsonSchema = require('../schemas/specimen.schema.json');
export const specimenCreateSchema: JsonSchema = require('../schemas/specimen-create.schema.json');
export const specimenPatchSchema: JsonSchema = require('../schemas/specimen-patch.schema.json');
export const imageIdentificationSchema: JsonSchema = require('../schemas/image-identification.schema.json');
export const comparisonRequestSchema: JsonSchema = require('../schemas/comparison-request.schema.json');
export const identificationSchema: JsonSchema = require('../schemas/identification.schema.json');
export const comparisonSchema: JsonSchema = require('../schemas/comparison.schema.json');
export const alertSchema: JsonSchema = require('../schemas/alert.schema.json');
export const alertCreateSchema: JsonSchema = require('../schemas/alert-create.schema.json');
export const alertPatchSchema: JsonSchema = require('../schemas/alert-patch.schema.json');
export const partnerKeySchema: JsonSchema = require('../schemas/partner-key.schema.json');
export const partnerKeyCreateSchema: JsonSchema = require('../schemas/partner-key-create.schema.json');
export const exchangeManifestSchema: JsonSchema = require('../schemas/exchange-manifest.schema.json');
export const registerEntryStatusSchema: JsonSchema = require('../schemas/register-entry-status.schema.json');
export const registerEntrySchema: JsonSchema = require('../schemas/register-entry.schema.json');
export const registerEntryCreateSchema: JsonSchema = require('../schemas/register-entry-create.schema.json');
export const registerEntryPatchSchema: JsonSchema = require('../schemas/register-entry-patch.schema.json');
export const verificationRequestSchema: JsonSchema = require('../schemas/verification-request.schema.json');
export const verificationRequestCreateSchema: JsonSchema = require('../schemas/verification-request-create.schema.json');
export const verificationAnswerSchema: JsonSchema = require('../schemas/verification-answer.schema.json');
export const auditEntrySchema: JsonSchema = require('../schemas/audit-entry.schema.json');
export const casePropositionSchema: JsonSchema = require('../schemas/case-proposition.schema.json');
export const caseSchema: JsonSchema = require('../schemas/case.schema.json');
export const caseCreateSchema: JsonSchema = require('../schemas/case-create.schema.json');
export const casePatchSchema: JsonSchema = require('../schemas/case-patch.schema.json');
export const caseNoteCreateSchema: JsonSchema = require('../schemas/case-note-create.schema.json');
export const caseConclusionSetSchema: JsonSchema = require('../schemas/case-conclusion-set.schema.json');

/** Every schema file, building blocks first; register them all (e.g. `schemas.forEach(s => app.addSchema(s))`). */
export const schemas: readonly JsonSchema[] = Object.freeze([
  commonSchema,
  specimenStatusSchema,
  forgeryMethodSchema,
  issuingStateSchema,
  documentCategorySchema,
  documentCodeSchema,
  lightSourceSchema,
  featureTypeSchema,
  classificationSchema,
  capturePageSchema,
  featureZoneSchema,
  featureZoneCreateSchema,
  featureZonePatchSchema,
  imageIdentificationSchema,
  captureImageSchema,
  captureSchema,
  captureCreateSchema,
  capturePatchSchema,
  specimenSchema,
  specimenCreateSchema,
  specimenPatchSchema,
  comparisonRequestSchema,
  identificationSchema,
  comparisonSchema,
  alertSchema,
  alertCreateSchema,
  alertPatchSchema,
  partnerKeySchema,
  partnerKeyCreateSchema,
  exchangeManifestSchema,
  registerEntryStatusSchema,
  registerEntrySchema,
  registerEntryCreateSchema,
  registerEntryPatchSchema,
  verificationRequestSchema,
  verificationRequestCreateSchema,
  verificationAnswerSchema,
  auditEntrySchema,
  casePropositionSchema,
  caseSchema,
  caseCreateSchema,
  casePatchSchema,
  caseNoteCreateSchema,
  caseConclusionSetSchema,
]);

/** `$id` of a schema from its name: `schemaId('specimen')` → `https://exemplar.local/schemas/specimen.schema.json`. */
export function schemaId(name: SchemaName | 'common'): string {
  return `${SCHEMA_ID_BASE}${name}.schema.json`;
}

/** Name of a schema from its `$id`, or undefined when the id is not one of ours. */
export function schemaNameOf(id: string): SchemaName | undefined {
  const m = /^https:\/\/exemplar\.local\/schemas\/([a-z0-9-]+)\.schema\.json$/.exec(id);
  const name = m?.[1];
  return name !== undefined && name !== 'common' && schemaByName.has(name) ? (name as SchemaName) : undefined;
}

const schemaByName = new Map<string, JsonSchema>(
  schemas.map((s) => [s.$id.slice(SCHEMA_ID_BASE.length, -'.schema.json'.length), s]),
);

/** The schema object for a name. */
export function getSchema(name: SchemaName | 'common'): JsonSchema {
  const schema = schemaByName.get(name);
  if (!schema) throw new Error(`unknown schema "${name}"`);
  return schema;
}

/** Schema names, in registration order. */
export const schemaNames: readonly SchemaName[] = Object.freeze(
  [...schemaByName.keys()].filter((n): n is SchemaName => n !== 'common'),
);

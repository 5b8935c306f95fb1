/**
 * Schemas of the API's own envelopes (errors, search pages, the zones
 * replacement). Records inside them are the specimens-schema files, by `$ref`.
 */
import { lightSources, schemaId } from '@exemplar/specimens-schema';
import { zonesReplacementSchema } from '../services/specimens.service';
import { FACETS, SORTS } from '../stores/catalog.port';
import { MAX_FILTER_VALUE_CHARS, MAX_FILTER_VALUES, MAX_LIMIT, MAX_QUERY_CHARS } from '../stores/catalog.search';

const API_ID_BASE = 'https://exemplar.local/api/';

/** `{ $ref }` to a specimens-schema file, optionally to a definition inside it. */
export const ref = (name: Parameters<typeof schemaId>[0], pointer = '') => ({ $ref: `${schemaId(name)}#${pointer}` });
export const apiRef = (name: string) => ({ $ref: `${API_ID_BASE}${name}.json#` });

export const errorResponseSchema = {
  $id: `${API_ID_BASE}error-response.json`,
  title: 'ErrorResponse',
  description: 'Every error: a stable code, a message for people, and details (validation issues, current revision …).',
  type: 'object',
  required: ['code', 'message', 'details'],
  additionalProperties: false,
  properties: {
    code: { type: 'string', description: 'Stable error code (VALIDATION_FAILED, SPECIMEN_NOT_FOUND, REVISION_CONFLICT, IMAGE_UNSUPPORTED …).' },
    message: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
  },
} as const;

const facetCounts = {
  type: 'array',
  items: {
    type: 'object',
    required: ['value', 'count'],
    additionalProperties: false,
    properties: { value: { type: 'string' }, count: { type: 'integer', minimum: 0 } },
  },
} as const;

export const specimenPageSchema = {
  $id: `${API_ID_BASE}specimen-page.json`,
  title: 'SpecimenPage',
  description: 'One page of search results with the counts per facet value over the whole result.',
  type: 'object',
  required: ['items', 'facets', 'total', 'nextCursor'],
  additionalProperties: false,
  properties: {
    items: { type: 'array', items: ref('specimen') },
    facets: {
      type: 'object',
      required: [...FACETS],
      additionalProperties: false,
      properties: Object.fromEntries(FACETS.map((f) => [f, facetCounts])),
    },
    total: { type: 'integer', minimum: 0 },
    nextCursor: { type: ['string', 'null'], description: 'Pass as `cursor` (with the same query) for the next page; null on the last page.' },
  },
} as const;

export const healthSchema = {
  $id: `${API_ID_BASE}health.json`,
  title: 'Health',
  type: 'object',
  required: ['status', 'version', 'catalog', 'objects'],
  additionalProperties: false,
  properties: {
    status: { const: 'ok' },
    version: { type: 'string' },
    catalog: { enum: ['sqlite', 'mongodb'] },
    objects: { enum: ['fs', 's3'] },
  },
} as const;

/** Multi-valued search parameters: repeated keys or comma-separated lists. */
export const MULTI_VALUED_PARAMS = [
  'issuingState',
  'documentCategory',
  'documentCode',
  'status',
  'forgeryMethod',
  'featureType',
  'lightSource',
  'classification',
  'tags',
] as const;

const listOf = (items: object) => ({ type: 'array', maxItems: MAX_FILTER_VALUES, items }) as const;

export const specimenQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    q: { type: 'string', maxLength: MAX_QUERY_CHARS, description: 'Words, each matching the start of a word in title, series, description or notes.' },
    issuingState: listOf(ref('issuing-state')),
    documentCategory: listOf(ref('document-category')),
    documentCode: listOf(ref('document-code')),
    status: listOf(ref('specimen-status')),
    forgeryMethod: listOf(ref('forgery-method')),
    featureType: listOf(ref('feature-type')),
    lightSource: listOf(ref('light-source')),
    classification: listOf(ref('classification')),
    tags: listOf({ type: 'string', minLength: 1, maxLength: MAX_FILTER_VALUE_CHARS, description: 'Every tag listed must be present.' }),
    yearFrom: ref('common', '/definitions/year'),
    yearTo: ref('common', '/definitions/year'),
    imitates: ref('common', '/definitions/recordId'),
    sort: { enum: [...SORTS] },
    limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT },
    cursor: { type: 'string', minLength: 1, maxLength: 4096 },
  },
} as const;

/** `:id` path parameter of a route on one record. */
export const idParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: ref('common', '/definitions/recordId') },
} as const;

/** `:id/questioned/:lightSource` of a comparison or a verification request. */
export const questionedParams = {
  type: 'object',
  required: ['id', 'lightSource'],
  additionalProperties: false,
  properties: { id: ref('common', '/definitions/recordId'), lightSource: ref('light-source') },
} as const;

/** The file parts of an upload of questioned images: one per light source, named by its id. */
export const questionedImageParts = Object.fromEntries(
  lightSources.map((l) => [l.id, { type: 'string', format: 'binary', description: `Questioned ${l.label} image` }]),
);

/** Request headers of a download of a stored object (conditional and range requests). */
export const downloadHeaders = {
  type: 'object',
  properties: {
    range: { type: 'string', description: 'One byte range, e.g. `bytes=0-1023` or `bytes=-500`' },
    'if-none-match': { type: 'string' },
    'if-range': { type: 'string' },
  },
} as const;

const binary = (description: string) => ({
  description,
  content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
});

/** Responses of a download of a stored object: whole, a byte range, or not modified. */
export const downloadResponses = (what: string) => ({
  200: binary(what),
  206: binary('The requested byte range'),
  304: { type: 'null', description: 'Not modified (the If-None-Match ETag matches)' },
  ...errorResponses(400, 403, 404, 416),
});

/** A page of a list read with limit and offset (not the specimens' cursor). */
export const offsetPage = <T extends object>(item: T) =>
  ({
    type: 'object',
    required: ['items', 'total', 'limit', 'offset'],
    additionalProperties: false,
    properties: {
      items: { type: 'array', items: item },
      total: { type: 'integer', minimum: 0 },
      limit: { type: 'integer' },
      offset: { type: 'integer' },
    },
  }) as const;

/** A page of a list read newest first with a cursor: pass `nextCursor` as `cursor` for the next one. */
export const cursorPage = <T extends object>(item: T) =>
  ({
    type: 'object',
    required: ['items', 'nextCursor'],
    additionalProperties: false,
    properties: {
      items: { type: 'array', items: item },
      nextCursor: { type: ['string', 'null'], description: 'Pass as `cursor` (with the same filters) for the next page; null on the last page.' },
    },
  }) as const;

export const apiSchemas: readonly { $id: string }[] = [errorResponseSchema, specimenPageSchema, zonesReplacementSchema, healthSchema];

/** Error responses a route can give, each as ErrorResponse. */
export function errorResponses(...statuses: number[]): Record<number, { $ref: string; description: string }> {
  const descriptions: Record<number, string> = {
    400: 'Invalid request (VALIDATION_FAILED with details.errors, or BAD_REQUEST)',
    404: 'Not found',
    409: 'Conflict (REVISION_CONFLICT: details.currentRevision)',
    413: 'Too large (bytes or pixels)',
    415: 'Unsupported media type (not JPEG, PNG, TIFF or WebP)',
    416: 'Range not satisfiable',
    422: 'Corrupt or truncated image',
    503: 'Try again later (QUEUE_FULL; SPECIMEN_BUSY): Retry-After says when, where known',
  };
  return Object.fromEntries(
    [...statuses, 500].map((s) => [s, { ...apiRef('error-response'), description: descriptions[s] ?? 'Internal error (details hidden)' }]),
  );
}

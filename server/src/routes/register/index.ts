/**
 * The lost, stolen and revoked documents register: lookup and list, one
 * entry at a time, and CSV import with a per-row report. Roles are enforced
 * by RegisterService (register:read, register:write).
 */
import fs from 'node:fs/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ExemplarError } from '../../errors';
import { decodeUtf8Text } from '../../services/common';
import { DEFAULT_REGISTER_LIMIT, IMPORT_MODES, MAX_REGISTER_LIMIT, REGISTER_CSV_COLUMNS, type ImportMode } from '../../services/register.service';
import { readStream } from '../../read-stream';
import { errorResponses, idParams, offsetPage, ref } from '../api-schemas';
import { withSpooledFile } from '../multipart';

const FILE_FIELD = 'file';
/** A register CSV is text: this bounds what one import makes the server parse. */
export const MAX_IMPORT_BYTES = 32 * 1024 * 1024;

const csvTooLarge = (maxBytes: number) =>
  new ExemplarError('CSV_TOO_LARGE', `The register CSV is larger than ${maxBytes} bytes; split it into smaller files`, { maxBytes });

const findQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    issuingState: ref('issuing-state'),
    documentNumber: { type: 'string', minLength: 1, maxLength: 80, description: 'Looked up normalised (upper case, spaces and < removed).' },
    status: ref('register-entry-status'),
    limit: { type: 'integer', minimum: 1, maximum: MAX_REGISTER_LIMIT, default: DEFAULT_REGISTER_LIMIT },
    offset: { type: 'integer', minimum: 0, default: 0 },
  },
} as const;

export const registerPageSchema = offsetPage(ref('register-entry'));

export const importReportSchema = {
  type: 'object',
  required: ['mode', 'ok', 'imported', 'refused', 'duplicates', 'rows'],
  additionalProperties: false,
  properties: {
    mode: { enum: [...IMPORT_MODES] },
    ok: { type: 'boolean', description: 'Every row was imported.' },
    imported: { type: 'integer', minimum: 0 },
    refused: { type: 'integer', minimum: 0 },
    duplicates: { type: 'integer', minimum: 0 },
    rows: {
      type: 'array',
      items: {
        type: 'object',
        required: ['row', 'ok', 'errors'],
        additionalProperties: false,
        properties: {
          row: { type: 'integer', minimum: 2, description: 'Line of the file (the header is line 1).' },
          ok: { type: 'boolean' },
          id: { type: 'string', description: 'The new entry.' },
          duplicate: { type: 'boolean', description: 'Already in the register, or repeating an earlier row.' },
          errors: {
            type: 'array',
            items: { type: 'object', required: ['field', 'message'], additionalProperties: false, properties: { field: { type: 'string' }, message: { type: 'string' } } },
          },
        },
      },
    },
  },
} as const;

const importBody = {
  description: `One file part \`${FILE_FIELD}\`: CSV (UTF-8) with a header row naming the columns ${REGISTER_CSV_COLUMNS.join(', ')}. Or send the CSV itself as text/csv.`,
  type: 'object',
  required: [FILE_FIELD],
  properties: { [FILE_FIELD]: { type: 'string', format: 'binary' } },
} as const;

export default async function registerRoutes(app: FastifyInstance) {
  const { config, services } = app.exemplar;
  const { register } = services;

  // Scoped to this plugin: only the import accepts a CSV body. Read here rather than with a
  // bodyLimit, so that an oversize body answers CSV_TOO_LARGE like an oversize file part.
  app.addContentTypeParser('text/csv', async (_request: unknown, payload: AsyncIterable<unknown>) =>
    decodeUtf8Text(await readStream(payload, { maxBytes: MAX_IMPORT_BYTES, tooLarge: csvTooLarge }), 'The CSV'),
  );

  app.get<{ Querystring: { issuingState?: string; documentNumber?: string; status?: string; limit?: number; offset?: number } }>(
    '/api/register',
    {
      config: { permission: 'register:read' },
      schema: {
        tags: ['register'],
        summary: 'Look up a document (issuing state and number) or list the register, newest first',
        querystring: findQuery,
        response: { 200: registerPageSchema, ...errorResponses(400, 403) },
      },
    },
    async (request) => register.find(request.actor, request.query),
  );

  app.get<{ Params: { id: string } }>(
    '/api/register/:id',
    {
      config: { permission: 'register:read' },
      schema: { tags: ['register'], summary: 'A register entry', params: idParams, response: { 200: ref('register-entry'), ...errorResponses(400, 403, 404) } },
    },
    async (request) => register.get(request.actor, request.params.id),
  );

  app.post(
    '/api/register',
    {
      config: { permission: 'register:write' },
      schema: {
        tags: ['register'],
        summary: 'Add a lost, stolen, revoked or invalid document',
        description: '409 CONFLICT when the issuing state and number are in the register already (details.existingId).',
        body: ref('register-entry-create'),
        response: { 201: ref('register-entry'), ...errorResponses(400, 403, 409) },
      },
    },
    async (request, reply) => {
      const entry = await register.create(request.actor, request.body);
      return reply.status(201).header('location', `/api/register/${entry.id}`).send(entry);
    },
  );

  app.patch<{ Params: { id: string } }>(
    '/api/register/:id',
    {
      config: { permission: 'register:write' },
      schema: {
        tags: ['register'],
        summary: 'Change a register entry (at the revision read; null clears an optional field)',
        params: idParams,
        body: ref('register-entry-patch'),
        response: { 200: ref('register-entry'), ...errorResponses(400, 403, 404, 409) },
      },
    },
    async (request) => register.update(request.actor, request.params.id, request.body),
  );

  app.delete<{ Params: { id: string }; Querystring: { revision?: number } }>(
    '/api/register/:id',
    {
      config: { permission: 'register:write' },
      schema: {
        tags: ['register'],
        summary: 'Remove a register entry',
        params: idParams,
        querystring: { type: 'object', additionalProperties: false, properties: { revision: { type: 'integer', minimum: 1 } } },
        response: { 204: { type: 'null', description: 'Removed' }, ...errorResponses(400, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await register.remove(request.actor, request.params.id, request.query.revision);
      return reply.status(204).send();
    },
  );

  app.post<{ Querystring: { mode: ImportMode } }>(
    '/api/register/import',
    {
      config: { permission: 'register:write' },
      schema: {
        tags: ['register'],
        summary: 'Import register entries from CSV, with a report per row',
        description:
          '`valid-rows` (default) imports every valid row and answers 200 with the report. `all-or-nothing` imports only when every row is valid; otherwise 422 UNPROCESSABLE with the report as `details` and nothing imported. A file without the expected header → 400.',
        consumes: ['multipart/form-data', 'text/csv'],
        querystring: { type: 'object', additionalProperties: false, properties: { mode: { enum: [...IMPORT_MODES], default: 'valid-rows' } } },
        body: { content: { 'multipart/form-data': { schema: importBody }, 'text/csv': { schema: { type: 'string' } } } },
        response: { 200: importReportSchema, ...errorResponses(400, 403, 413, 415, 422) },
      },
    },
    async (request) => {
      const csv = request.isMultipart() ? await readCsvPart(request) : request.body;
      if (typeof csv !== 'string') throw new ExemplarError('UNSUPPORTED_MEDIA_TYPE', 'Send the CSV as a multipart file part `file` or as text/csv');
      const report = await register.importCsv(request.actor, csv, request.query.mode);
      if (request.query.mode === 'all-or-nothing' && !report.ok) {
        throw new ExemplarError('UNPROCESSABLE', `${report.refused} of ${report.rows.length} rows refused; nothing imported`, { ...report });
      }
      return report;
    },
  );

  async function readCsvPart(request: FastifyRequest): Promise<string> {
    const options = { field: FILE_FIELD, noun: 'CSV', what: 'register import', maxFileBytes: MAX_IMPORT_BYTES, fileTooLarge: (_field: string, maxBytes: number) => csvTooLarge(maxBytes) };
    return withSpooledFile(request, config, options, async (file) => decodeUtf8Text(await fs.readFile(file.path), 'The CSV'));
  }
}

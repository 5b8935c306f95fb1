/**
 * Exchange between labs over HTTP: the lab's public key, a signed package of
 * chosen specimens as a download, and the import of a partner's package
 * (multipart upload) answered with a report. ExchangeService holds the rules.
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { READ_LAB_KEY } from '../../auth/policy';
import { ExemplarError } from '../../errors';
import { scratchPackagePath, type OnConflict } from '../../services/exchange.service';
import { errorResponses, ref } from '../api-schemas';
import { withSpooledFile } from '../multipart';

const PACKAGE_FIELD = 'package';

const labKeySchema = {
  type: 'object',
  required: ['labId', 'publicKey', 'fingerprint'],
  additionalProperties: false,
  properties: {
    labId: ref('exchange-manifest', '/definitions/labId'),
    publicKey: { type: 'string', description: 'Ed25519 public key, PEM (SPKI)' },
    fingerprint: { ...ref('common', '/definitions/sha256'), description: 'SHA-256 of the DER public key, hex' },
  },
} as const;

const exportBody = {
  type: 'object',
  required: ['specimenIds'],
  additionalProperties: false,
  properties: {
    specimenIds: { type: 'array', minItems: 1, maxItems: 10000, uniqueItems: true, items: ref('common', '/definitions/recordId') },
    withImitated: { type: 'boolean', default: true, description: 'Also export the specimens the chosen ones imitate.' },
  },
} as const;

const importQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    dryRun: { type: 'boolean', default: false, description: 'Verify and check everything, write nothing.' },
    onConflict: { enum: ['skip', 'new-id'], default: 'skip', description: 'A specimen whose id the library holds with other content: report it (skip) or import it under a new id.' },
  },
} as const;

const importReportSchema = {
  type: 'object',
  required: ['dryRun', 'signer', 'createdAt', 'imported', 'skipped', 'conflicts', 'errors'],
  additionalProperties: false,
  properties: {
    dryRun: { type: 'boolean' },
    signer: {
      type: 'object',
      required: ['name', 'fingerprint', 'labId'],
      additionalProperties: false,
      properties: { name: { type: 'string' }, fingerprint: { type: 'string' }, labId: { type: 'string' } },
    },
    createdAt: { type: 'string' },
    imported: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'sourceId', 'captures', 'images'],
        additionalProperties: false,
        properties: { id: { type: 'string' }, sourceId: { type: 'string' }, captures: { type: 'integer' }, images: { type: 'integer' } },
      },
    },
    skipped: {
      type: 'array',
      items: { type: 'object', required: ['id', 'reason'], additionalProperties: false, properties: { id: { type: 'string' }, reason: { type: 'string' } } },
    },
    conflicts: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'reason'],
        additionalProperties: false,
        properties: { id: { type: 'string' }, reason: { type: 'string' }, newId: { type: 'string' } },
      },
    },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'code', 'message'],
        additionalProperties: false,
        properties: { id: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object', additionalProperties: true } },
      },
    },
  },
} as const;

export default async function exchangeRoutes(app: FastifyInstance) {
  const { exchange } = app.exemplar.services;
  const { config } = app.exemplar;

  app.get(
    '/api/exchange/key',
    {
      config: { permission: READ_LAB_KEY },
      schema: {
        tags: ['exchange'],
        summary: "This lab's public signing key and fingerprint (for partners to trust)",
        response: { 200: labKeySchema, ...errorResponses(403) },
      },
    },
    async (request) => exchange.publicKey(request.actor),
  );

  app.post<{ Body: { specimenIds: string[]; withImitated?: boolean } }>(
    '/api/exchange/export',
    {
      config: { permission: 'exchange:export' },
      schema: {
        tags: ['exchange'],
        summary: 'Download a signed exchange package of the chosen specimens',
        body: exportBody,
        produces: ['application/zip'],
        response: { 200: { type: 'string', format: 'binary', description: 'The package (zip)' }, ...errorResponses(400, 403, 404) },
      },
    },
    async (request, reply) => {
      const file = scratchPackagePath(config.tmpDir);
      await fs.mkdir(config.tmpDir, { recursive: true });
      try {
        const written = await exchange.exportPackage(
          { specimenIds: request.body.specimenIds, withImitated: request.body.withImitated !== false },
          file,
          request.actor,
        );
        const stream = createReadStream(written.path);
        // The scratch file goes once the response is sent (or the client left).
        stream.on('close', () => void fs.rm(file, { force: true }));
        const name = `exemplar-${config.exchange.labId}-${new Date().toISOString().slice(0, 10)}.zip`;
        return reply
          .type('application/zip')
          .header('content-length', written.bytes)
          .header('content-disposition', `attachment; filename="${name}"`)
          .header('x-exemplar-package-sha256', written.manifestSha256)
          .send(stream);
      } catch (err) {
        await fs.rm(file, { force: true });
        throw err;
      }
    },
  );

  app.post<{ Querystring: { dryRun?: boolean; onConflict?: OnConflict } }>(
    '/api/exchange/import',
    {
      config: { permission: 'exchange:import' },
      schema: {
        tags: ['exchange'],
        summary: "Import a partner lab's signed package",
        description: `One file part \`${PACKAGE_FIELD}\`: the package (zip). The signer must be a trusted partner key (422 UNTRUSTED_SIGNER), the signature must verify (422 SIGNATURE_INVALID) and every file its hash (422 PACKAGE_INVALID) — otherwise nothing is written. Each specimen is then imported all or nothing.`,
        consumes: ['multipart/form-data'],
        querystring: importQuery,
        body: { content: { 'multipart/form-data': { schema: { type: 'object', required: [PACKAGE_FIELD], properties: { [PACKAGE_FIELD]: { type: 'string', format: 'binary' } } } } } },
        response: { 200: importReportSchema, ...errorResponses(400, 403, 413, 415, 422) },
      },
    },
    async (request) =>
      withSpooledFile(
        request,
        config,
        {
          field: PACKAGE_FIELD,
          noun: 'package',
          what: 'exchange upload',
          maxFileBytes: config.exchange.maxPackageBytes,
          fileTooLarge: (_field, maxBytes) => new ExemplarError('PAYLOAD_TOO_LARGE', `The package is larger than ${maxBytes} bytes (EXEMPLAR_MAX_PACKAGE_BYTES)`, { maxBytes }),
        },
        async (file) => exchange.importPackage(file.path, { dryRun: request.query.dryRun === true, onConflict: request.query.onConflict ?? 'skip' }, request.actor),
      ),
  );
}

/**
 * MRZ routes: parse typed lines, or read the MRZ of an uploaded image and
 * parse it. Reads run in worker threads (image-pipeline `createMrzReader`),
 * one at a time per process with a short queue: a busy reader answers 503.
 * The image is validated like any upload (415, 413, 422) and never stored.
 */
import { createMrzReader } from '@exemplar/image-pipeline';
import type { FastifyInstance } from 'fastify';
import { MrzService } from '../../services/mrz.service';
import { errorResponses, ref } from '../api-schemas';
import { withSpooledFile } from '../multipart';
import { mrzParseBody, mrzParseResultSchema, mrzReadResultSchema, type MrzParseBody } from './schemas';

const IMAGE_FIELD = 'image';

/** A read takes well under a second; the limit only stops a pathological image. */
const READ_TIMEOUT_MS = 30_000;
const READ_CONCURRENCY = 1;
const READ_QUEUE = 8;

/** Entries of the lost, stolen and revoked register for the MRZ's issuing state and document number (callers who may read the register only). */
const registerHits = { type: 'array', items: ref('register-entry'), description: 'Lost/stolen/revoked register entries matching the MRZ (issuing state and document number); present only for callers allowed to read the register.' } as const;
const parseResponse = { ...mrzParseResultSchema, properties: { ...mrzParseResultSchema.properties, registerHits } } as const;
const readResponse = { ...mrzReadResultSchema, properties: { ...mrzReadResultSchema.properties, registerHits } } as const;

const readBody = {
  description: `One file part \`${IMAGE_FIELD}\`: a photo or scan showing the MRZ (JPEG, PNG, TIFF or WebP). Not stored.`,
  type: 'object',
  required: [IMAGE_FIELD],
  properties: { [IMAGE_FIELD]: { type: 'string', format: 'binary' } },
} as const;

export default async function mrzRoutes(app: FastifyInstance) {
  const { config, services } = app.exemplar;
  const reader = createMrzReader({ concurrency: READ_CONCURRENCY, maxQueue: READ_QUEUE, timeoutMs: READ_TIMEOUT_MS });
  app.addHook('onClose', async () => reader.close());
  const mrz = new MrzService({ reader });

  app.post<{ Body: MrzParseBody }>(
    '/api/mrz/parse',
    {
      config: { permission: 'mrz' },
      schema: {
        tags: ['mrz'],
        summary: 'Parse and validate MRZ lines (TD1, TD2, TD3, MRV-A, MRV-B)',
        description: 'Field values and one result per check digit of the format. Lines that are not an MRZ (characters, count, length) → 400 VALIDATION_FAILED; a parsed but invalid MRZ is a 200 with `valid: false`.',
        body: mrzParseBody,
        response: { 200: parseResponse, ...errorResponses(400) },
      },
    },
    async (request) => {
      const parsed = mrz.parse(request.body.lines, { autocorrect: Boolean(request.body.autocorrect) }, request.actor);
      const hits = await services.register.hitsForMrz(request.actor, parsed);
      return hits ? { ...parsed, registerHits: hits } : parsed;
    },
  );

  app.post(
    '/api/mrz/read',
    {
      config: { permission: 'mrz' },
      schema: {
        tags: ['mrz'],
        summary: 'Read the MRZ of an image, then parse it',
        description:
          'Finds the MRZ (any small rotation, upside down or turned a quarter), reads it with OCR-B templates and check-digit-driven correction. `found: false` when there is none. 503 QUEUE_FULL when the reader is busy.',
        consumes: ['multipart/form-data'],
        body: { content: { 'multipart/form-data': { schema: readBody } } },
        response: { 200: readResponse, ...errorResponses(400, 413, 415, 422, 503) },
      },
    },
    async (request) =>
      withSpooledFile(request, config, { field: IMAGE_FIELD, noun: 'image', what: 'MRZ upload' }, async (image) => {
        const read = await mrz.readImage(image.path, { maxPixels: config.limits.maxImagePixels }, request.actor);
        const hits = read.parse ? await services.register.hitsForMrz(request.actor, read.parse) : undefined;
        return hits ? { ...read, registerHits: hits } : read;
      }),
  );
}

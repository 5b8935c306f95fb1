/**
 * Capture upload: one multipart request with a `capture` field (the
 * CaptureCreate JSON) and one file part per image, named by its light-source
 * id. Parts are streamed to temp files (an image is never held in memory),
 * with the byte limit enforced while streaming; the files are then handed to
 * IngestService and always removed afterwards.
 */
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { MultipartFile } from '@fastify/multipart';
import { lightSources } from '@exemplar/specimens-schema';
import type { FastifyInstance } from 'fastify';
import { ExemplarError } from '../../errors';
import { readStream } from '../../read-stream';
import { checkLightSourceField, type IngestFile } from '../../services/ingest.service';
import { errorResponses, ref } from '../api-schemas';

/** The capture JSON (zones included) is small; this bounds what a client can make the server parse. */
const MAX_CAPTURE_JSON_BYTES = 1024 * 1024;

const CAPTURE_FIELD = 'capture';

const captureUploadBody = {
  description:
    'Field `capture`: the CaptureCreate JSON (page, device, dpi, capturedAt, notes, zones). One file part per image, its field name the light-source id.',
  type: 'object',
  required: [CAPTURE_FIELD],
  properties: {
    [CAPTURE_FIELD]: { type: 'string', description: 'CaptureCreate as JSON text' },
    ...Object.fromEntries(lightSources.map((l) => [l.id, { type: 'string', format: 'binary', description: `${l.label} image` }])),
  },
} as const;

interface IdParams {
  id: string;
}

async function readSmallFile(part: MultipartFile, limit: number): Promise<string> {
  const tooLarge = () => new ExemplarError('PAYLOAD_TOO_LARGE', `The ${CAPTURE_FIELD} field is larger than ${limit} bytes`, { maxBytes: limit });
  return (await readStream(part.file, { maxBytes: limit, tooLarge })).toString('utf8');
}

function parseCaptureJson(text: string | undefined): unknown {
  if (text === undefined) {
    throw new ExemplarError('VALIDATION_FAILED', `The ${CAPTURE_FIELD} field (the capture's JSON) is missing`, {
      errors: [{ path: `/${CAPTURE_FIELD}`, message: 'is required', keyword: 'required' }],
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ExemplarError('VALIDATION_FAILED', `The ${CAPTURE_FIELD} field is not valid JSON`, {
      errors: [{ path: `/${CAPTURE_FIELD}`, message: `is not valid JSON: ${(err as Error).message}`, keyword: 'json' }],
    });
  }
}

export default async function captureRoutes(app: FastifyInstance) {
  const { config, services } = app.exemplar;
  const { limits } = config;

  app.post<{ Params: IdParams }>(
    '/api/specimens/:id/captures',
    {
      config: { permission: 'specimens:write' },
      schema: {
        tags: ['captures'],
        summary: 'Upload a capture: the images of one page under several light sources',
        description:
          'Images must be JPEG, PNG, TIFF (8 or 16 bit) or WebP, sniffed from their bytes (415 otherwise); larger than the byte or pixel limit → 413; corrupt or truncated → 422. On any error nothing is stored.',
        consumes: ['multipart/form-data'],
        params: {
          type: 'object',
          required: ['id'],
          additionalProperties: false,
          properties: { id: ref('common', '/definitions/recordId') },
        },
        body: { content: { 'multipart/form-data': { schema: captureUploadBody } } },
        response: { 201: { ...ref('capture'), description: 'The capture as recorded, with each image and its sha256' }, ...errorResponses(400, 404, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) {
        throw new ExemplarError('UNSUPPORTED_MEDIA_TYPE', 'A capture is uploaded as multipart/form-data');
      }
      // Refused before a byte of the upload is spooled.
      await services.specimens.assertWritable(request.params.id, request.actor);
      await fs.mkdir(config.tmpDir, { recursive: true });
      const dir = await fs.mkdtemp(path.join(config.tmpDir, 'upload-'));
      try {
        const files: IngestFile[] = [];
        const seen = new Set<string>();
        let captureJson: string | undefined;
        const parts = request.parts({
          limits: {
            fileSize: limits.maxUploadBytes,
            // One more file than images: the capture JSON may come as a file part (curl -F capture=@capture.json).
            files: limits.maxImagesPerCapture + 1,
            fields: 1,
            fieldSize: MAX_CAPTURE_JSON_BYTES,
            parts: limits.maxImagesPerCapture + 2,
          },
        });
        for await (const part of parts) {
          if (part.fieldname === CAPTURE_FIELD) {
            if (captureJson !== undefined) throw new ExemplarError('BAD_REQUEST', `The ${CAPTURE_FIELD} field is given twice`);
            if (part.type === 'file') captureJson = await readSmallFile(part, MAX_CAPTURE_JSON_BYTES);
            else if (part.valueTruncated) {
              throw new ExemplarError('PAYLOAD_TOO_LARGE', `The ${CAPTURE_FIELD} field is larger than ${MAX_CAPTURE_JSON_BYTES} bytes`, { maxBytes: MAX_CAPTURE_JSON_BYTES });
            } else captureJson = String(part.value);
            continue;
          }
          if (part.type !== 'file') {
            throw new ExemplarError('VALIDATION_FAILED', `Unexpected field ${JSON.stringify(part.fieldname)}: images are file parts, metadata goes in ${CAPTURE_FIELD}`, {
              errors: [{ path: `/${part.fieldname}`, message: 'is not an allowed field', keyword: 'additionalProperties' }],
            });
          }
          const lightSource = checkLightSourceField(part.fieldname, seen);
          // The client's file name never becomes a path.
          const target = path.join(dir, `${files.length}`);
          const tooLarge = () =>
            new ExemplarError('IMAGE_TOO_LARGE', `The ${lightSource} image is larger than ${limits.maxUploadBytes} bytes`, {
              lightSource,
              maxBytes: limits.maxUploadBytes,
            });
          try {
            await pipeline(part.file, createWriteStream(target, { flags: 'wx' }));
          } catch (err) {
            throw (err as { code?: unknown }).code === 'FST_REQ_FILE_TOO_LARGE' ? tooLarge() : err;
          }
          if (part.file.truncated) throw tooLarge();
          files.push({ lightSource, path: target, originalName: part.filename || undefined });
        }
        const capture = await services.ingest.addCapture(request.params.id, parseCaptureJson(captureJson), files, request.actor);
        return reply.status(201).send(capture);
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    },
  );
}

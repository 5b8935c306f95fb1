/**
 * Capture upload: one multipart request with a `capture` field (the
 * CaptureCreate JSON) and one file part per image, named by its light-source
 * id. Parts are spooled by the shared `withSpooledUpload` (an image is never
 * held in memory, the byte limit is enforced while streaming, the temp files
 * are always removed), then handed to IngestService, which stores all or
 * nothing.
 */
import { lightSources } from '@exemplar/specimens-schema';
import type { FastifyInstance } from 'fastify';
import { ExemplarError } from '../../errors';
import { formatByteCount, imageNamed } from '../../services/common';
import { checkLightSourceField, type IngestFile } from '../../services/ingest.service';
import { errorResponses, ref } from '../api-schemas';
import { parseJsonField, withSpooledUpload } from '../multipart';

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
      const seen = new Set<string>();
      const capture = await withSpooledUpload(
        request,
        config,
        {
          fields: [CAPTURE_FIELD],
          maxFiles: limits.maxImagesPerCapture,
          checkFileField: (name) => void checkLightSourceField(name, seen),
          fileTooLarge: (lightSource, maxBytes) => new ExemplarError('IMAGE_TOO_LARGE', `The ${imageNamed(lightSource)} is larger than ${formatByteCount(maxBytes)}`, { lightSource, maxBytes }),
          notMultipart: 'A capture is uploaded as multipart/form-data',
          unexpectedFieldHint: `images are file parts, metadata goes in ${CAPTURE_FIELD}`,
          // Refused before a byte of the upload is spooled.
          beforeSpool: () => services.specimens.assertWritable(request.params.id, request.actor),
        },
        (fields, spooled) => {
          const files: IngestFile[] = spooled.map((f) => ({ lightSource: f.field, path: f.path, originalName: f.originalName }));
          return services.ingest.addCapture(request.params.id, parseJsonField(fields, CAPTURE_FIELD, true, "the capture's JSON"), files, request.actor);
        },
      );
      return reply.status(201).send(capture);
    },
  );
}

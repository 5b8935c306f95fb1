/**
 * Candidate identification of a questioned image: the catalogue captures
 * that show the same document, best first. Runs in the worker pool during
 * the request (a few hundred milliseconds); a busy pool answers 503.
 */
import { validate, type IdentifyFilter, type ValidationResult } from '@exemplar/specimens-schema';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_TOP_K, MAX_TOP_K } from '../../services/identify.service';
import { validationFailed } from '../../services/common';
import { errorResponses, ref } from '../api-schemas';
import { withSpooledFile } from '../multipart';

const IMAGE_FIELD = 'image';
const TEXT_FIELDS = ['issuingState', 'documentCode', 'k'] as const;

const uploadBody = {
  description: 'One file part `image` (a photo or scan of the document under white light); optional text fields `issuingState` and `documentCode` (from the MRZ) narrow the search, `k` the number of candidates.',
  type: 'object',
  required: [IMAGE_FIELD],
  properties: {
    [IMAGE_FIELD]: { type: 'string', format: 'binary' },
    issuingState: ref('issuing-state'),
    documentCode: ref('document-code'),
    k: { type: 'integer', minimum: 1, maximum: MAX_TOP_K, default: DEFAULT_TOP_K },
  },
} as const;

function checked<T>(r: ValidationResult<T>, field: string): T {
  if (!r.ok) throw validationFailed('identification upload', r.errors.map((e) => ({ ...e, path: `/${field}` })));
  return r.value;
}

export default async function identifyRoutes(app: FastifyInstance) {
  const { config, services } = app.exemplar;

  app.post(
    '/api/identify',
    {
      config: { permission: 'identify' },
      schema: {
        tags: ['identification'],
        summary: 'Rank catalogue captures for a questioned image',
        description:
          'Candidates verified geometrically come first, by inliers. The image is validated like an upload (415, 413, 422) and not stored. 503 QUEUE_FULL when the image pipeline is busy.',
        consumes: ['multipart/form-data'],
        body: { content: { 'multipart/form-data': { schema: uploadBody } } },
        response: { 200: ref('identification'), ...errorResponses(400, 413, 415, 422, 503) },
      },
    },
    async (request) => {
      return withSpooledFile(
        request,
        config,
        { field: IMAGE_FIELD, noun: 'image', what: 'identification upload', fields: TEXT_FIELDS },
        async (file, fields) => {
          const filter: IdentifyFilter = {};
          const state = fields.get('issuingState')?.trim();
          if (state) filter.issuingState = checked(validate('issuing-state', state), 'issuingState');
          const code = fields.get('documentCode')?.trim();
          if (code) filter.documentCode = checked(validate('document-code', code), 'documentCode');
          const kText = fields.get('k')?.trim();
          const k = kText === undefined || kText === '' ? DEFAULT_TOP_K : Number(kText);
          if (!Number.isInteger(k) || k < 1 || k > MAX_TOP_K) {
            throw validationFailed('identification upload', [{ path: '/k', message: `must be an integer from 1 to ${MAX_TOP_K}`, keyword: 'type' }]);
          }
          // Checked like an upload: type from the bytes, byte and pixel limits, a full decode.
          await services.ingest.checkFile({ lightSource: 'white', path: file.path, originalName: file.originalName });
          return services.identify.identifyFile(file.path, { filter, k }, request.actor);
        },
      );
    },
  );
}

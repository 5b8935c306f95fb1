/**
 * Comparison jobs: submit (multipart upload of a questioned capture, or JSON
 * naming stored images), follow, list, cancel, and download the outputs and
 * the questioned originals. The work runs in ComparisonRunner, never in the
 * request.
 */
import type { Comparison } from '@exemplar/specimens-schema';
import type { FastifyInstance } from 'fastify';
import { READ_COMPARISONS } from '../../auth/policy';
import { ExemplarError } from '../../errors';
import { JOB_STATUSES } from '../../stores/catalog.port';
import { MAX_QUERY_TERMS } from '../../stores/catalog.search';
import { MAX_JOB_QUERY_CHARS } from '../../stores/jobs.common';
import type { Actor } from '../../services/actor';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, type ListQuery } from '../../services/comparisons.service';
import { parseMrz } from '../../services/mrz.service';
import { mrzLinesIn } from '../../services/register.service';
import { checkLightSourceField } from '../../services/ingest.service';
import { cursorPage, downloadHeaders, downloadResponses, errorResponses, idParams, questionedImageParts, questionedParams, ref } from '../api-schemas';
import { sendStored } from '../images/index';
import { parseJsonField, withSpooledUpload } from '../multipart';

/** The request JSON's field in a multipart upload; `capture` is accepted too, as in a capture upload. */
const REQUEST_FIELDS = ['comparison', 'capture'] as const;

const uploadBody = {
  description:
    'Field `comparison` (or `capture`): the ComparisonRequest JSON without `questioned`. One file part per questioned image, its field name the light-source id.',
  type: 'object',
  properties: {
    comparison: { type: 'string', description: 'ComparisonRequest as JSON text' },
    ...questionedImageParts,
  },
} as const;

const outputParams = {
  type: 'object',
  required: ['id', 'name'],
  additionalProperties: false,
  properties: {
    id: ref('common', '/definitions/recordId'),
    name: { type: 'string', pattern: '^[a-z0-9-]+\\.(aligned\\.png|heatmap\\.png|regions\\.json)$', description: '`<light>.aligned.png`, `<light>.heatmap.png` or `<light>.regions.json`' },
  },
} as const;

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { enum: [...JOB_STATUSES] },
    q: {
      type: 'string',
      maxLength: MAX_JOB_QUERY_CHARS,
      description: `Words (at most ${MAX_QUERY_TERMS}), each the start of a word of the comparison's id, submitter, notes, questioned file names or reference title; case and accents ignored.`,
    },
    limit: { type: 'integer', minimum: 1, maximum: MAX_LIST_LIMIT, default: DEFAULT_LIST_LIMIT },
    cursor: { ...ref('common', '/definitions/recordId'), description: '`nextCursor` of the previous page' },
  },
} as const;

export default async function comparisonRoutes(app: FastifyInstance) {
  const { config, services } = app.exemplar;
  const { comparisons } = services;

  /** MRZ lines given with a comparison are checked before anything is stored (400 when they are not an MRZ). */
  const refuseInvalidMrz = (body: unknown) => {
    const lines = mrzLinesIn(body);
    if (lines) parseMrz(lines);
  };
  /** With `request.mrz`: the lost/stolen register entries for the document, as the register stands now. */
  const withRegisterHits = async (comparison: Comparison, actor: Actor): Promise<Comparison> => {
    const lines = comparison.request.mrz?.lines;
    const registerHits = lines ? await services.register.hitsForMrzLines(actor, lines) : undefined;
    return registerHits ? { ...comparison, registerHits } : comparison;
  };

  app.post(
    '/api/comparisons',
    {
      config: { permission: 'comparisons:submit' },
      schema: {
        tags: ['comparisons'],
        summary: 'Submit a comparison of a questioned capture with a reference capture (or `auto`)',
        description:
          'Either multipart/form-data (questioned images as file parts named by light source, validated like a capture upload: 415 unsupported type, 413 too large, 422 corrupt; nothing is stored on error), or JSON naming stored images by sha256. Answers 202 with the queued comparison; follow it at its URL. From then until the job ends (done, failed or cancelled) the reference capture, and the capture of a catalogued original named as a questioned image, are held as evidence: deleting them answers 409 CONFLICT (details.reason EVIDENCE, naming the comparison). 404 CAPTURE_NOT_FOUND or IMAGE_NOT_FOUND when one was deleted before it could be held (nothing is queued). 422 UNPROCESSABLE for `auto` without a questioned image under reflected visible light (identification searches with it). With `auto` the job takes the best verified genuine or specimen candidate; when identification verifies none, the first of the two best unverified ones that the full alignment accepts (its candidate then records `fullAlignment: accepted`, the others tried `refused`); failing that, the job fails with NO_CANDIDATE, saying how many were tried. 503 QUEUE_FULL when too many comparisons are waiting.',
        consumes: ['application/json', 'multipart/form-data'],
        body: {
          content: {
            'application/json': { schema: ref('comparison-request') },
            'multipart/form-data': { schema: uploadBody },
          },
        },
        response: { 202: { ...ref('comparison'), description: 'The queued comparison' }, ...errorResponses(400, 404, 413, 415, 422, 503) },
      },
    },
    async (request, reply) => {
      let created;
      if (request.isMultipart()) {
        const seen = new Set<string>();
        created = await withSpooledUpload(
          request,
          config,
          { fields: REQUEST_FIELDS, maxFiles: config.limits.maxImagesPerCapture, checkFileField: (name) => checkLightSourceField(name, seen) },
          async (fields, files) => {
            if (fields.has('comparison') && fields.has('capture')) throw new ExemplarError('BAD_REQUEST', 'Give the request JSON in one field: `comparison` (or `capture`), not both');
            const body = parseJsonField(fields, fields.has('capture') ? 'capture' : 'comparison', true);
            refuseInvalidMrz(body);
            return comparisons.submitUpload(
              body,
              files.map((f) => ({ lightSource: f.field, path: f.path, originalName: f.originalName })),
              request.actor,
            );
          },
        );
      } else {
        refuseInvalidMrz(request.body);
        created = await comparisons.submitNamed(request.body, request.actor);
      }
      return reply.status(202).header('location', `/api/comparisons/${created.id}`).send(await withRegisterHits(created, request.actor));
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/api/comparisons',
    {
      config: { permission: READ_COMPARISONS },
      schema: {
        tags: ['comparisons'],
        summary: 'List or search comparisons, newest first, a page at a time (border officers: their own)',
        description: `Pages follow \`nextCursor\` (with the same \`q\` and \`status\`): a later page neither repeats nor skips a comparison, however many are submitted meanwhile. \`q\` keeps the comparisons where every word of it starts a word of what the lists show: the id, the submitter, the notes, the questioned images’ file names and the reference’s title (as it was when the comparison was submitted, or when \`auto\` chose it). A cursor this API did not give the caller (another officer’s comparison, an unknown id) → 400 BAD_REQUEST; so does a \`q\` over ${MAX_JOB_QUERY_CHARS} characters or ${MAX_QUERY_TERMS} words.`,
        querystring: listQuery,
        response: { 200: cursorPage(ref('comparison')), ...errorResponses(400) },
      },
    },
    async (request) => comparisons.list(request.query, request.actor),
  );

  app.get<{ Params: { id: string } }>(
    '/api/comparisons/:id',
    {
      config: { permission: READ_COMPARISONS },
      schema: {
        tags: ['comparisons'],
        summary: 'A comparison: status, progress, error, and per light source the homography, regions, blown-out areas (not judged), zone verdicts and outputs',
        params: idParams,
        response: { 200: ref('comparison'), ...errorResponses(400, 404) },
      },
    },
    async (request) => withRegisterHits(await comparisons.get(request.params.id, request.actor), request.actor),
  );

  app.delete<{ Params: { id: string } }>(
    '/api/comparisons/:id',
    {
      config: { permission: READ_COMPARISONS },
      schema: {
        tags: ['comparisons'],
        summary: 'Cancel a queued or running comparison (a finished one is returned unchanged)',
        description: 'A cancelled comparison lets go of the reference and catalogued images it held as evidence.',
        params: idParams,
        response: { 200: ref('comparison'), ...errorResponses(400, 404) },
      },
    },
    async (request) => comparisons.cancel(request.params.id, request.actor),
  );

  app.get<{ Params: { id: string; name: string } }>(
    '/api/comparisons/:id/outputs/:name',
    {
      config: { permission: READ_COMPARISONS },
      schema: {
        tags: ['comparisons'],
        summary: 'Download an output of a finished comparison (aligned image, heatmap, regions JSON)',
        description: 'ETag is the quoted SHA-256 recorded in the result; byte ranges are served.',
        params: outputParams,
        headers: downloadHeaders,
        response: downloadResponses('The output'),
      },
    },
    async (request, reply) => {
      const out = await comparisons.output(request.params.id, request.params.name, request.actor);
      return sendStored(request, reply, out, `"${out.sha256}"`);
    },
  );

  app.get<{ Params: { id: string; lightSource: string } }>(
    '/api/comparisons/:id/questioned/:lightSource',
    {
      config: { permission: READ_COMPARISONS },
      schema: {
        tags: ['comparisons'],
        summary: 'Download a questioned original of a comparison, byte-exact',
        params: questionedParams,
        headers: downloadHeaders,
        response: downloadResponses('The questioned original'),
      },
    },
    async (request, reply) => {
      const image = await comparisons.questioned(request.params.id, request.params.lightSource, request.actor);
      return sendStored(request, reply, image, `"${image.sha256}"`);
    },
  );
}

/**
 * Verification requests (the 24-hour service): a multipart submission of
 * questioned images with the request JSON, the examiners' queue, and one
 * route per transition. Roles and ownership are enforced by
 * VerificationService; the routes only carry HTTP.
 */
import type { FastifyInstance } from 'fastify';
import { USE_VERIFICATION, type Permission } from '../../auth/policy';
import type { Actor } from '../../services/actor';
import { checkLightSourceField } from '../../services/ingest.service';
import { DEFAULT_VERIFICATION_LIMIT, MAX_VERIFICATION_LIMIT, URGENCIES, type VerificationQuery } from '../../services/verification.service';
import { downloadHeaders, downloadResponses, errorResponses, idParams, offsetPage, questionedImageParts, questionedParams, ref } from '../api-schemas';
import { sendStored } from '../images/index';
import { parseJsonField, withSpooledUpload } from '../multipart';

const REQUEST_FIELD = 'request';

const uploadBody = {
  description: `Field \`${REQUEST_FIELD}\`: the VerificationRequestCreate JSON. One file part per questioned image, its field name the light-source id.`,
  type: 'object',
  required: [REQUEST_FIELD],
  properties: {
    [REQUEST_FIELD]: { type: 'string', description: 'VerificationRequestCreate as JSON text' },
    ...questionedImageParts,
  },
} as const;

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'array', items: ref('verification-request', '/definitions/status'), description: 'One or more (repeat the parameter).' },
    urgency: ref('verification-request', '/definitions/urgency'),
    mine: { type: 'boolean', description: 'Only requests the caller submitted (always so for border officers).' },
    claimedBy: ref('common', '/definitions/actor'),
    limit: { type: 'integer', minimum: 1, maximum: MAX_VERIFICATION_LIMIT, default: DEFAULT_VERIFICATION_LIMIT },
    offset: { type: 'integer', minimum: 0, default: 0 },
  },
} as const;

const pageSchema = offsetPage(ref('verification-request'));

const messageBody = (required: boolean) =>
  ({
    type: 'object',
    additionalProperties: false,
    ...(required && { required: ['message'] }),
    properties: { message: ref('verification-request', '/definitions/message') },
  }) as const;

const one = { 200: ref('verification-request'), ...errorResponses(400, 403, 404, 409) };

export default async function verificationRoutes(app: FastifyInstance) {
  const { config, services } = app.exemplar;
  const { verification } = services;
  verification.webhook?.useLog(app.log);

  app.post(
    '/api/verification-requests',
    {
      config: { permission: 'verification:submit' },
      schema: {
        tags: ['verification'],
        summary: 'Submit questioned images for an expert answer',
        description:
          'multipart/form-data: `request` (JSON: urgency, notes, location, mrz.lines, document) and one file part per light source, checked like a capture upload (415, 413, 422; nothing stored on error). MRZ lines are parsed (400 when they are not an MRZ) and the document is checked against the lost/stolen register (`registerHits`).',
        consumes: ['multipart/form-data'],
        body: { content: { 'multipart/form-data': { schema: uploadBody } } },
        response: { 201: ref('verification-request'), ...errorResponses(400, 403, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const seen = new Set<string>();
      const created = await withSpooledUpload(
        request,
        config,
        { fields: [REQUEST_FIELD], maxFiles: config.limits.maxImagesPerCapture, checkFileField: (name) => checkLightSourceField(name, seen) },
        async (fields, files) =>
          verification.submit(
            request.actor,
            parseJsonField(fields, REQUEST_FIELD, true),
            files.map((f) => ({ lightSource: f.field, path: f.path, originalName: f.originalName })),
          ),
      );
      return reply.status(201).header('location', `/api/verification-requests/${created.id}`).send(created);
    },
  );

  app.get<{ Querystring: VerificationQuery }>(
    '/api/verification-requests',
    {
      config: { permission: USE_VERIFICATION },
      schema: {
        tags: ['verification'],
        summary: `The queue: urgency (${URGENCIES.join(', ')}), then oldest first`,
        description: 'Examiners see every request; a border officer only their own.',
        querystring: listQuery,
        response: { 200: pageSchema, ...errorResponses(400, 403) },
      },
    },
    async (request) => verification.list(request.actor, request.query),
  );

  app.get<{ Params: { id: string } }>(
    '/api/verification-requests/:id',
    { config: { permission: USE_VERIFICATION }, schema: { tags: ['verification'], summary: 'A verification request with its history and answer', params: idParams, response: { 200: ref('verification-request'), ...errorResponses(400, 403, 404) } } },
    async (request) => verification.get(request.actor, request.params.id),
  );

  app.get<{ Params: { id: string; lightSource: string } }>(
    '/api/verification-requests/:id/questioned/:lightSource',
    {
      config: { permission: USE_VERIFICATION },
      schema: {
        tags: ['verification'],
        summary: 'Download a questioned original of a request, byte-exact',
        params: questionedParams,
        headers: downloadHeaders,
        response: downloadResponses('The questioned original'),
      },
    },
    async (request, reply) => {
      const image = await verification.questioned(request.actor, request.params.id, request.params.lightSource);
      return sendStored(request, reply, image, `"${image.sha256}"`);
    },
  );

  /** `body` null: the transition takes no body (any sent is ignored). */
  const action = (
    path: string,
    permission: Permission | readonly Permission[],
    summary: string,
    body: object | null,
    run: (actor: Actor, id: string, body: Record<string, unknown>) => Promise<unknown>,
  ) =>
    app.post<{ Params: { id: string }; Body: Record<string, unknown> | undefined }>(
      `/api/verification-requests/:id/${path}`,
      { config: { permission }, schema: { tags: ['verification'], summary, params: idParams, ...(body && { body }), response: one } },
      async (request) => run(request.actor, request.params.id, body ? (request.body ?? {}) : {}),
    );

  action('claim', 'verification:answer', 'Claim a request to work on it (409 when another examiner holds it)', null, (actor, id) => verification.claim(actor, id));
  action('release', 'verification:answer', 'Give a claimed request back to the queue', null, (actor, id) => verification.release(actor, id));
  action(
    'comparisons',
    'verification:answer',
    'Link a comparison run for the request',
    { type: 'object', required: ['comparisonId'], additionalProperties: false, properties: { comparisonId: ref('common', '/definitions/recordId') } },
    (actor, id, body) => verification.linkComparison(actor, id, body['comparisonId'] as string),
  );
  action('answer', 'verification:answer', 'Answer a claimed request (conclusion, fraud type, message)', ref('verification-answer'), (actor, id, body) => verification.answer(actor, id, body));
  action('return', 'verification:answer', 'Return a claimed request to the submitter for more information', messageBody(true), (actor, id, body) =>
    verification.returnForInformation(actor, id, body['message'] as string),
  );
  action('reply', USE_VERIFICATION, "The submitter's reply to a request for information", messageBody(true), (actor, id, body) => verification.reply(actor, id, body['message'] as string));
  action('withdraw', USE_VERIFICATION, 'The submitter withdraws the request', messageBody(false), (actor, id, body) => verification.withdraw(actor, id, body['message'] as string | undefined));
  action('close', USE_VERIFICATION, 'Close an answered request', null, (actor, id) => verification.close(actor, id));
}

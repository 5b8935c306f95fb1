/**
 * Specimen records and the edits inside them (capture metadata, zones). The
 * handlers only translate HTTP to service calls; rules live in SpecimenService.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SpecimenQuery } from '../../stores/catalog.port';
import { MULTI_VALUED_PARAMS, apiRef, errorResponses, ref, specimenQuerySchema } from '../api-schemas';

const idParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: ref('common', '/definitions/recordId') },
} as const;

const captureParams = {
  type: 'object',
  required: ['id', 'captureId'],
  additionalProperties: false,
  properties: { id: ref('common', '/definitions/recordId'), captureId: ref('common', '/definitions/recordId') },
} as const;

const zoneParams = {
  type: 'object',
  required: ['id', 'captureId', 'zoneId'],
  additionalProperties: false,
  properties: {
    id: ref('common', '/definitions/recordId'),
    captureId: ref('common', '/definitions/recordId'),
    zoneId: ref('common', '/definitions/recordId'),
  },
} as const;

const revisionQuery = (required: boolean) =>
  ({
    type: 'object',
    additionalProperties: false,
    ...(required ? { required: ['revision'] } : {}),
    properties: { revision: { ...ref('specimen', '/definitions/revision'), description: "The specimen's current revision (stale → 409)." } },
  }) as const;

const specimenResponse = { ...ref('specimen'), description: 'The specimen as stored' };

/** What a delete of a specimen or a capture answers besides success, for the API docs. */
const DELETE_EVIDENCE_ANSWERS =
  'Evidence is kept: 409 CONFLICT with details.reason EVIDENCE (details.cases, verificationRequests and comparisons name them) while a case lists the specimen, ' +
  'a case or a verification request links a comparison with it as the reference or with a questioned image that is an original it keeps (named by SHA-256), a case or request is being changed to rely on it, ' +
  'or a comparison is queued or running on it (cancel the comparison to let it go). 409 REVISION_CONFLICT when the revision given is stale. ' +
  '503 SPECIMEN_BUSY (details.reason HOLDS_CHANGING, Retry-After) when other records kept linking to the specimen and letting it go while the delete checked them, ' +
  'though none was found relying on it: nothing was deleted, and the same request tried again goes ahead.';

interface IdParams {
  id: string;
}
interface CaptureParams extends IdParams {
  captureId: string;
}
interface ZoneParams extends CaptureParams {
  zoneId: string;
}

/**
 * `?status=a&status=b` and `?status=a,b` mean the same; empty items are
 * dropped. Runs before validation, so the values are then checked one by one.
 */
function splitListParams(request: FastifyRequest): void {
  const query = request.query as Record<string, unknown>;
  const normalised: Record<string, unknown> = { ...query };
  for (const name of MULTI_VALUED_PARAMS) {
    const raw = query[name];
    if (raw === undefined) continue;
    const values = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => String(v).split(',')).map((v) => v.trim()).filter((v) => v !== '');
    if (values.length === 0) delete normalised[name];
    else normalised[name] = values;
  }
  request.query = normalised;
}

export default async function specimenRoutes(app: FastifyInstance) {
  const { specimens } = app.exemplar.services;

  app.post<{ Body: unknown }>(
    '/api/specimens',
    {
      config: { permission: 'specimens:write' },
      schema: {
        tags: ['specimens'],
        summary: 'Create a specimen',
        description: 'The server assigns id, revision 1, timestamps and authorship; captures are added by upload.',
        body: ref('specimen-create'),
        response: { 201: { ...ref('specimen'), description: 'Created' }, ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      const created = await specimens.create(request.body, request.actor);
      return reply.status(201).header('location', `/api/specimens/${created.id}`).send(created);
    },
  );

  app.get<{ Querystring: SpecimenQuery }>(
    '/api/specimens',
    {
      config: { permission: 'specimens:read' },
      preValidation: async (request) => splitListParams(request),
      schema: {
        tags: ['specimens'],
        summary: 'Search specimens, with counts per facet',
        description:
          'List filters (issuingState, status, …) take repeated keys or comma-separated values; values of one filter are alternatives (OR), except tags (all required). Facet counts ignore the facet\'s own filter.',
        querystring: specimenQuerySchema,
        response: { 200: apiRef('specimen-page'), ...errorResponses(400) },
      },
    },
    async (request) => specimens.search(request.query, request.actor),
  );

  app.get<{ Params: IdParams }>(
    '/api/specimens/:id',
    {
      config: { permission: 'specimens:read' },
      schema: {
        tags: ['specimens'],
        summary: 'Read a specimen with its captures, images and zones',
        params: idParams,
        response: { 200: specimenResponse, ...errorResponses(400, 404) },
      },
    },
    async (request) => specimens.get(request.params.id, request.actor),
  );

  app.patch<{ Params: IdParams; Body: unknown }>(
    '/api/specimens/:id',
    {
      config: { permission: 'specimens:write' },
      schema: {
        tags: ['specimens'],
        summary: 'Change fields of a specimen',
        description: 'Send the fields to change and the current revision; null removes an optional field.',
        params: idParams,
        body: ref('specimen-patch'),
        response: { 200: specimenResponse, ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => specimens.patch(request.params.id, request.body, request.actor),
  );

  app.delete<{ Params: IdParams; Querystring: { revision?: number } }>(
    '/api/specimens/:id',
    {
      config: { permission: 'specimens:write' },
      schema: {
        tags: ['specimens'],
        summary: 'Delete a specimen and the images no other specimen uses',
        description: DELETE_EVIDENCE_ANSWERS,
        params: idParams,
        querystring: revisionQuery(false),
        response: { 204: { type: 'null', description: 'Deleted' }, ...errorResponses(400, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      await specimens.delete(request.params.id, request.query.revision, request.actor);
      return reply.status(204).send();
    },
  );

  app.patch<{ Params: CaptureParams; Body: unknown }>(
    '/api/specimens/:id/captures/:captureId',
    {
      config: { permission: 'specimens:write' },
      schema: {
        tags: ['captures'],
        summary: "Change a capture's metadata (page, device, dpi, capturedAt, notes)",
        params: captureParams,
        body: ref('capture-patch'),
        response: { 200: specimenResponse, ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => specimens.patchCapture(request.params.id, request.params.captureId, request.body, request.actor),
  );

  app.delete<{ Params: CaptureParams; Querystring: { revision: number } }>(
    '/api/specimens/:id/captures/:captureId',
    {
      config: { permission: 'specimens:write' },
      schema: {
        tags: ['captures'],
        summary: 'Remove a capture and the images no other specimen uses',
        description: DELETE_EVIDENCE_ANSWERS,
        params: captureParams,
        querystring: revisionQuery(true),
        response: { 200: specimenResponse, ...errorResponses(400, 404, 409, 503) },
      },
    },
    async (request) => specimens.deleteCapture(request.params.id, request.params.captureId, request.query.revision, request.actor),
  );

  app.put<{ Params: CaptureParams; Body: unknown }>(
    '/api/specimens/:id/captures/:captureId/zones',
    {
      config: { permission: 'specimens:write' },
      schema: {
        tags: ['zones'],
        summary: 'Replace every feature zone of a capture',
        params: captureParams,
        body: apiRef('zones-replacement'),
        response: { 200: specimenResponse, ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => specimens.replaceZones(request.params.id, request.params.captureId, request.body, request.actor),
  );

  app.patch<{ Params: ZoneParams; Body: unknown }>(
    '/api/specimens/:id/captures/:captureId/zones/:zoneId',
    {
      config: { permission: 'specimens:write' },
      schema: {
        tags: ['zones'],
        summary: 'Change one feature zone',
        params: zoneParams,
        body: ref('feature-zone-patch'),
        response: { 200: specimenResponse, ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => {
      const { id, captureId, zoneId } = request.params;
      return specimens.patchZone(id, captureId, zoneId, request.body, request.actor);
    },
  );

  app.delete<{ Params: ZoneParams; Querystring: { revision: number } }>(
    '/api/specimens/:id/captures/:captureId/zones/:zoneId',
    {
      config: { permission: 'specimens:write' },
      schema: {
        tags: ['zones'],
        summary: 'Remove one feature zone',
        params: zoneParams,
        querystring: revisionQuery(true),
        response: { 200: specimenResponse, ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => {
      const { id, captureId, zoneId } = request.params;
      return specimens.deleteZone(id, captureId, zoneId, request.query.revision, request.actor);
    },
  );
}

/**
 * Cases and their court exhibits. Examiners and admins manage cases;
 * prosecutors read the cases they are assigned to and download their
 * exhibits. Rules (roles, assignment, audit) in CaseService; routes stay thin.
 */
import type { FastifyInstance } from 'fastify';
import { READ_CASES } from '../../auth/policy';
import { DEFAULT_CASE_LIST_LIMIT, MAX_CASE_LIST_LIMIT, type CaseListQuery, type ExhibitFormat } from '../../services/cases.service';
import { JOB_STATUSES } from '../../stores/catalog.port';
import { errorResponses, idParams, ref } from '../api-schemas';

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: ref('case', '/definitions/status'),
    limit: { type: 'integer', minimum: 1, maximum: MAX_CASE_LIST_LIMIT, default: DEFAULT_CASE_LIST_LIMIT },
    offset: { type: 'integer', minimum: 0, default: 0 },
  },
} as const;

const summary = {
  type: 'object',
  required: ['id', 'title', 'reference', 'status', 'examiners', 'prosecutors', 'opinion', 'proposition', 'updatedAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    title: { type: 'string' },
    reference: { type: 'string' },
    status: ref('case', '/definitions/status'),
    examiners: { type: 'array', items: { type: 'string' } },
    prosecutors: { type: 'array', items: { type: 'string' } },
    opinion: { anyOf: [ref('case', '/definitions/opinion'), { type: 'null' }] },
    proposition: { anyOf: [ref('case-proposition'), { type: 'null' }], description: 'What the opinion answers; null without a conclusion, or for one recorded before propositions were asked.' },
    updatedAt: { type: 'string' },
  },
} as const;

const listResponse = {
  type: 'object',
  required: ['items', 'total'],
  additionalProperties: false,
  properties: { items: { type: 'array', items: summary }, total: { type: 'integer', minimum: 0 } },
} as const;

const linkedComparisonsResponse = {
  type: 'object',
  required: ['items'],
  additionalProperties: false,
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'label', 'status', 'submittedAt'],
        additionalProperties: false,
        properties: {
          id: { type: 'string' },
          label: { type: ['string', 'null'] },
          status: { anyOf: [{ enum: [...JOB_STATUSES] }, { type: 'null' }] },
          submittedAt: { type: ['string', 'null'] },
        },
      },
    },
  },
} as const;

const exhibitResponse = (contentType: string, description: string) => ({
  description: `${description}; header x-exhibit-sha256 holds the SHA-256 of the bytes served`,
  content: { [contentType]: { schema: { type: 'string', format: 'binary' } } },
});

export default async function caseRoutes(app: FastifyInstance) {
  const { cases } = app.exemplar.services;

  app.get<{ Querystring: CaseListQuery }>(
    '/api/cases',
    {
      config: { permission: READ_CASES },
      schema: {
        tags: ['cases'],
        summary: 'Cases, most recently updated first (prosecutors: the cases assigned to them)',
        querystring: listQuery,
        response: { 200: listResponse, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => cases.list(request.query, request.actor),
  );

  app.post(
    '/api/cases',
    {
      config: { permission: 'cases:manage' },
      schema: {
        tags: ['cases'],
        summary: 'Open a case (examiners); the creator joins its examiners',
        body: ref('case-create'),
        response: { 201: ref('case'), ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const created = await cases.create(request.body, request.actor);
      return reply.status(201).header('location', `/api/cases/${created.id}`).send(created);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/cases/:id',
    {
      config: { permission: READ_CASES },
      schema: {
        tags: ['cases'],
        summary: 'A case (audited); 404 for a prosecutor it is not assigned to',
        params: idParams,
        response: { 200: ref('case'), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => cases.get(request.params.id, request.actor),
  );

  app.get<{ Params: { id: string } }>(
    '/api/cases/:id/comparisons',
    {
      config: { permission: READ_CASES },
      schema: {
        tags: ['cases'],
        summary: 'The comparisons a case links, by name, in its order (for prosecutors too, who cannot open a comparison)',
        description:
          'Each as the exhibit labels its questioned document (the first line of the submitter’s notes and the file names it was uploaded under), with its status and submission time; label, status and time are null for one no longer stored. 404 for a prosecutor the case is not assigned to.',
        params: idParams,
        response: { 200: linkedComparisonsResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => ({ items: await cases.linkedComparisons(request.params.id, request.actor) }),
  );

  app.patch<{ Params: { id: string } }>(
    '/api/cases/:id',
    {
      config: { permission: 'cases:manage' },
      schema: {
        tags: ['cases'],
        summary: 'Change a case (examiners); lists replace the whole list; a closed case must be reopened first',
        params: idParams,
        body: ref('case-patch'),
        response: { 200: ref('case'), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => cases.patch(request.params.id, request.body, request.actor),
  );

  app.post<{ Params: { id: string } }>(
    '/api/cases/:id/notes',
    {
      config: { permission: 'cases:manage' },
      schema: {
        tags: ['cases'],
        summary: 'Append an examiner note (examiners)',
        params: idParams,
        body: ref('case-note-create'),
        response: { 201: ref('case'), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => reply.status(201).send(await cases.addNote(request.params.id, request.body, request.actor)),
  );

  app.put<{ Params: { id: string } }>(
    '/api/cases/:id/conclusion',
    {
      config: { permission: 'cases:manage' },
      schema: {
        tags: ['cases'],
        summary: 'Set the conclusion on the ASTM E1658 opinion scale (examiners)',
        description: 'The opinion, the proposition it answers (what the questioned document "did": e.g. was produced by the issuing authority\'s process) and the statement; the case page and the exhibit report word them as one sentence. Conclusions recorded before propositions were asked carry none and read "not recorded".',
        params: idParams,
        body: ref('case-conclusion-set'),
        response: { 200: ref('case'), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => cases.setConclusion(request.params.id, request.body, request.actor),
  );

  for (const format of ['pdf', 'zip'] as const satisfies readonly ExhibitFormat[]) {
    app.get<{ Params: { id: string } }>(
      `/api/cases/:id/exhibit.${format}`,
      {
        config: { permission: 'exhibits:read' },
        schema: {
          tags: ['cases'],
          summary:
            format === 'pdf'
              ? 'The exhibit report (PDF), deterministic: the same case state gives the same bytes (audited)'
              : 'The exhibit bundle (zip: originals, outputs, manifest of SHA-256s, custody log, report); check it with `exemplar exhibit verify` (audited)',
          params: idParams,
          response: {
            200: exhibitResponse(format === 'pdf' ? 'application/pdf' : 'application/zip', format === 'pdf' ? 'The report' : 'The bundle'),
            ...errorResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        const exhibit = await cases.exhibit(request.params.id, format, request.actor);
        return reply
          .header('content-type', exhibit.contentType)
          .header('content-disposition', `attachment; filename="${exhibit.filename}"`)
          .header('x-exhibit-sha256', exhibit.sha256)
          .header('cache-control', 'no-store')
          .send(exhibit.bytes);
      },
    );
  }
}

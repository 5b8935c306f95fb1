/**
 * Document intelligence alerts: drafting and the four-eyes approval for
 * examiners, published alerts (JSON and Atom) for everyone who may read
 * alerts. The rules — who may do what, which alerts a reader sees — live in
 * AlertsService; these handlers only translate HTTP.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Permission } from '../../auth/policy';
import type { Actor } from '../../services/actor';
import { ALERT_FEED_LIMIT_DEFAULT, DEFAULT_ALERT_LIST_LIMIT, MAX_ALERT_LIST_LIMIT, type AlertListQuery } from '../../services/alerts.service';
import { errorResponses, idParams, ref } from '../api-schemas';
import { ATOM_CONTENT_TYPE, alertsAtomFeed } from './atom';

const revisionBody = {
  type: 'object',
  required: ['revision'],
  additionalProperties: false,
  properties: { revision: { ...ref('specimen', '/definitions/revision'), description: "The alert's current revision (stale → 409)." } },
} as const;

const revisionNoteBody = {
  type: 'object',
  required: ['revision'],
  additionalProperties: false,
  properties: {
    revision: { ...ref('specimen', '/definitions/revision'), description: "The alert's current revision (stale → 409)." },
    note: { type: 'string', minLength: 1, maxLength: 2000, description: 'Why (kept in the history).' },
  },
} as const;

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { ...ref('alert', '/definitions/status'), description: 'Only for those who draft alerts; everyone else sees published alerts only.' },
    since: { type: 'string', format: 'date-time', description: 'Alerts published after this time, newest first ("new alerts").' },
    specimenId: ref('common', '/definitions/recordId'),
    limit: { type: 'integer', minimum: 1, maximum: MAX_ALERT_LIST_LIMIT, default: DEFAULT_ALERT_LIST_LIMIT },
    offset: { type: 'integer', minimum: 0, default: 0 },
  },
} as const;

const alertPage = {
  type: 'object',
  required: ['items', 'total'],
  additionalProperties: false,
  properties: { items: { type: 'array', items: ref('alert') }, total: { type: 'integer', minimum: 0 } },
} as const;

const alertResponse = { ...ref('alert'), description: 'The alert as stored' };

interface IdParams {
  id: string;
}

/** Where the browser app is reached, for the feed's links: the origin the request came to. */
function originOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

export default async function alertRoutes(app: FastifyInstance) {
  const { alerts } = app.exemplar.services;
  const { labId } = app.exemplar.config.exchange;

  app.get<{ Querystring: AlertListQuery }>(
    '/api/alerts',
    {
      config: { permission: 'alerts:read' },
      schema: {
        tags: ['alerts'],
        summary: 'List alerts',
        description: 'Examiners see every alert (newest change first); border officers and viewers see published alerts only (newest first).',
        querystring: listQuery,
        response: { 200: alertPage, ...errorResponses(400, 403) },
      },
    },
    async (request) => alerts.list(request.query, request.actor),
  );

  app.get(
    '/api/alerts/feed.atom',
    {
      config: { permission: 'alerts:read' },
      schema: {
        tags: ['alerts'],
        summary: 'Published alerts as an Atom 1.0 feed',
        description: 'Newest first. Feed readers authenticate with `Authorization: Bearer <token>`.',
        produces: ['application/atom+xml'],
        response: { 200: { type: 'string', description: 'Atom 1.0 XML' }, ...errorResponses(403) },
      },
    },
    async (request, reply) => {
      const { alerts: published, updated } = await alerts.feed(request.actor, ALERT_FEED_LIMIT_DEFAULT);
      const xml = alertsAtomFeed(published, {
        origin: originOf(request),
        feedId: `urn:exemplar:${labId}:alerts`,
        title: `Exemplar alerts (${labId})`,
        updated,
      });
      return reply.type(ATOM_CONTENT_TYPE).header('cache-control', 'private, no-cache').send(xml);
    },
  );

  app.get<{ Params: IdParams }>(
    '/api/alerts/:id',
    {
      config: { permission: 'alerts:read' },
      schema: {
        tags: ['alerts'],
        summary: 'Read an alert',
        description: 'A draft, pending or withdrawn alert answers 404 to those who cannot draft alerts.',
        params: idParams,
        response: { 200: alertResponse, ...errorResponses(400, 403, 404) },
      },
    },
    async (request) => alerts.get(request.params.id, request.actor),
  );

  app.post<{ Body: unknown }>(
    '/api/alerts',
    {
      config: { permission: 'alerts:draft' },
      schema: {
        tags: ['alerts'],
        summary: 'Draft an alert',
        description: 'The linked specimen must exist and have a fraud status; check images and zones must be its own.',
        body: ref('alert-create'),
        response: { 201: { ...ref('alert'), description: 'Created (draft)' }, ...errorResponses(400, 403) },
      },
    },
    async (request, reply) => {
      const created = await alerts.create(request.body, request.actor);
      return reply.status(201).header('location', `/api/alerts/${created.id}`).send(created);
    },
  );

  app.patch<{ Params: IdParams; Body: unknown }>(
    '/api/alerts/:id',
    {
      config: { permission: 'alerts:draft' },
      schema: {
        tags: ['alerts'],
        summary: 'Edit a draft or pending alert',
        description: 'A pending alert returns to draft (it must be submitted and approved again). Published or withdrawn → 409 ALERT_STATE.',
        params: idParams,
        body: ref('alert-patch'),
        response: { 200: alertResponse, ...errorResponses(400, 403, 404, 409) },
      },
    },
    async (request) => alerts.patch(request.params.id, request.body, request.actor),
  );

  type RevisionNote = { revision: number; note?: string };
  /** The review transitions: same shape, a revision (and for some a note) in the body. */
  const transitions: readonly {
    path: string;
    summary: string;
    description?: string;
    body: typeof revisionBody | typeof revisionNoteBody;
    permission: Permission;
    run: (id: string, body: RevisionNote, actor: Actor) => Promise<unknown>;
  }[] = [
    { path: 'submit', summary: 'Submit a draft for approval', body: revisionBody, permission: 'alerts:draft', run: (id, b, actor) => alerts.submit(id, b.revision, actor) },
    { path: 'reject', summary: 'Send a pending alert back to draft', body: revisionNoteBody, permission: 'alerts:approve', run: (id, b, actor) => alerts.reject(id, b.revision, b.note, actor) },
    {
      path: 'approve',
      summary: 'Approve and publish a pending alert',
      description: 'Four eyes: the approver must not have drafted or edited the alert (403 FOUR_EYES_REQUIRED).',
      body: revisionBody,
      permission: 'alerts:approve',
      run: (id, b, actor) => alerts.approve(id, b.revision, actor),
    },
    { path: 'withdraw', summary: 'Withdraw a published alert', body: revisionNoteBody, permission: 'alerts:approve', run: (id, b, actor) => alerts.withdraw(id, b.revision, b.note, actor) },
  ];
  for (const t of transitions) {
    app.post<{ Params: IdParams; Body: RevisionNote }>(
      `/api/alerts/:id/${t.path}`,
      {
        config: { permission: t.permission },
        schema: {
          tags: ['alerts'],
          summary: t.summary,
          ...(t.description && { description: t.description }),
          params: idParams,
          body: t.body,
          response: { 200: alertResponse, ...errorResponses(400, 403, 404, 409) },
        },
      },
      async (request) => t.run(request.params.id, request.body, request.actor),
    );
  }

  app.delete<{ Params: IdParams; Querystring: { revision: number } }>(
    '/api/alerts/:id',
    {
      config: { permission: 'alerts:draft' },
      schema: {
        tags: ['alerts'],
        summary: 'Delete a draft',
        params: idParams,
        querystring: { type: 'object', required: ['revision'], additionalProperties: false, properties: { revision: ref('specimen', '/definitions/revision') } },
        response: { 204: { type: 'null', description: 'Deleted' }, ...errorResponses(400, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await alerts.deleteDraft(request.params.id, request.query.revision, request.actor);
      return reply.status(204).send();
    },
  );
}

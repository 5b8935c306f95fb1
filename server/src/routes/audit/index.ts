/**
 * The audit trail for administrators: entries filtered by target, actor,
 * action and time, newest first (or in log order), paged by seq. Rules in
 * AuditService; checking the chain is `exemplar audit verify`.
 */
import type { FastifyInstance } from 'fastify';
import { AUDIT_LIST_DEFAULT, AUDIT_LIST_MAX } from '../../audit/audit.port';
import type { AuditListQuery } from '../../audit/audit.service';
import { cursorPage, errorResponses, ref } from '../api-schemas';

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    target: { type: 'string', minLength: 3, maxLength: 300, description: '`<kind>:<id>`, e.g. `case:<id>`, `image:<sha256>`' },
    actor: { type: 'string', minLength: 1, maxLength: 200, description: 'User name (or tool name)' },
    action: { type: 'string', minLength: 3, maxLength: 100, description: '`<area>.<verb>`, e.g. `case.read`' },
    from: { type: 'string', maxLength: 40, description: 'ISO 8601: entries at or after' },
    to: { type: 'string', maxLength: 40, description: 'ISO 8601: entries before' },
    order: { enum: ['asc', 'desc'], default: 'desc' },
    limit: { type: 'integer', minimum: 1, maximum: AUDIT_LIST_MAX, default: AUDIT_LIST_DEFAULT },
    cursor: { type: 'string', maxLength: 20, description: '`nextCursor` of the previous page' },
  },
} as const;

export default async function auditRoutes(app: FastifyInstance) {
  const { audit } = app.exemplar.services;

  app.get<{ Querystring: AuditListQuery }>(
    '/api/audit',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: 'Audit trail entries (admins), newest first unless order=asc',
        querystring: listQuery,
        response: { 200: cursorPage(ref('audit-entry')), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => audit.list(request.actor, request.query),
  );
}

/**
 * Trusted partner keys (administrators): the Ed25519 public keys whose
 * signed exchange packages this lab imports. Revoking keeps the key on
 * record but refuses its packages from then on.
 */
import type { FastifyInstance } from 'fastify';
import { errorResponses, idParams, ref } from '../api-schemas';

export default async function partnerRoutes(app: FastifyInstance) {
  const { exchange } = app.exemplar.services;

  app.get(
    '/api/partners',
    {
      config: { permission: 'partners:manage' },
      schema: {
        tags: ['exchange'],
        summary: 'List partner keys (revoked ones included)',
        response: {
          200: { type: 'object', required: ['items'], additionalProperties: false, properties: { items: { type: 'array', items: ref('partner-key') } } },
          ...errorResponses(403),
        },
      },
    },
    async (request) => ({ items: await exchange.listPartners(request.actor) }),
  );

  app.post<{ Body: unknown }>(
    '/api/partners',
    {
      config: { permission: 'partners:manage' },
      schema: {
        tags: ['exchange'],
        summary: "Trust a partner lab's public key",
        description: 'Compare the fingerprint in the answer with the one the partner reads out from `exemplar exchange key`. 409 when the key is already listed.',
        body: ref('partner-key-create'),
        response: { 201: { ...ref('partner-key'), description: 'Added' }, ...errorResponses(400, 403, 409) },
      },
    },
    async (request, reply) => {
      const partner = await exchange.addPartner(request.body, request.actor);
      return reply.status(201).header('location', `/api/partners/${partner.id}`).send(partner);
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/partners/:id/revoke',
    {
      config: { permission: 'partners:manage' },
      schema: {
        tags: ['exchange'],
        summary: 'Revoke a partner key',
        params: idParams,
        response: { 200: ref('partner-key'), ...errorResponses(400, 403, 404) },
      },
    },
    async (request) => exchange.revokePartner(request.params.id, request.actor),
  );
}

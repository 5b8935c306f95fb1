/**
 * Who is making the request. Services receive an `Actor` and record it
 * (createdBy, updatedBy). Until the access-control issue adds users and
 * sessions, every request acts as the single local user; that plugin will
 * replace this one and decorate the same `request.actor`. This is not an
 * access control: anyone who reaches the port can read and write.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { LOCAL_ACTOR, type Actor } from '../../services/actor';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
  }
}

async function actorPlugin(app: FastifyInstance) {
  app.decorateRequest('actor', null as unknown as Actor);
  app.addHook('onRequest', async (request) => {
    request.actor = LOCAL_ACTOR;
  });
}

export default fp(actorPlugin, { name: 'actor' });

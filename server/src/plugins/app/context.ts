/**
 * Makes the composition root (config, stores, services) available to routes
 * as `app.exemplar`. The context is opened and closed by whoever builds the
 * app (server.ts, tests); the app never owns its lifetime.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AppContext } from '../../context';

declare module 'fastify' {
  interface FastifyInstance {
    exemplar: AppContext;
  }
}

async function contextPlugin(app: FastifyInstance, opts: { context: AppContext }) {
  app.decorate('exemplar', opts.context);
}

export default fp(contextPlugin, { name: 'context' });

/**
 * multipart/form-data parsing for capture uploads. Limits are set per
 * request by the route (from config); here only what applies everywhere:
 * a request that exceeds a limit fails instead of being silently truncated.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

async function multipartPlugin(app: FastifyInstance) {
  await app.register(multipart, { throwFileSizeLimit: true });
}

export default fp(multipartPlugin, { name: 'multipart' });

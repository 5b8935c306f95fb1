/**
 * OpenAPI 3.1 document built from the route schemas, served as JSON at
 * /api/docs/json with Swagger UI at /api/docs. Shared schemas appear as
 * components named by their `title` (Specimen, Capture, ErrorResponse …).
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../../package.json') as { version: string };

async function swaggerPlugin(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Exemplar API',
        description: 'Forensic document reference library: specimens, multi-spectrum captures, images.',
        version,
      },
      tags: [
        { name: 'specimens', description: 'Reference documents (genuine and fraudulent)' },
        { name: 'captures', description: 'Images of one page under several light sources' },
        { name: 'zones', description: 'Security features marked on a capture' },
        { name: 'images', description: 'Originals byte-exact, previews and deep-zoom tiles' },
        { name: 'health', description: 'Service status' },
      ],
    },
    refResolver: {
      buildLocalReference(json, _baseUri, _fragment, i) {
        const title = typeof json.title === 'string' && /^[A-Za-z0-9._-]+$/.test(json.title) ? json.title : undefined;
        return title ?? `def-${i}`;
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
}

export default fp(swaggerPlugin, { name: 'swagger' });

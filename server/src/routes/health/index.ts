import type { FastifyInstance } from 'fastify';
import { apiRef, errorResponses } from '../api-schemas';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../../package.json') as { version: string };

export default async function healthRoutes(app: FastifyInstance) {
  app.get(
    '/api/health',
    {
      schema: {
        tags: ['health'],
        summary: 'Liveness, version and the storage adapters in use',
        response: { 200: apiRef('health'), ...errorResponses() },
      },
    },
    async () => {
      const { catalog, objects } = app.exemplar;
      return { status: 'ok', version, catalog: catalog.kind, objects: objects.kind };
    },
  );
}

/**
 * The specimens-schema files become the API's schemas: added to Fastify (so
 * routes `$ref` them, responses are serialised by them and OpenAPI shows
 * them) and validated by the package's own Ajv factory, which knows the
 * annotation keywords and formats. Bodies are checked exactly as the services
 * check them (no coercion, nothing removed or defaulted: an unknown field is
 * an error, not silently dropped); querystring, params and headers arrive as
 * strings, so there numbers are coerced and single values become arrays.
 */
import { createAjv, schemas } from '@exemplar/specimens-schema';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { apiSchemas } from '../../routes/api-schemas';

/** The capture upload is streamed part by part; its parts are validated as they arrive (see routes/specimens/captures.ts). */
const STREAMED_CONTENT_TYPES = new Set(['multipart/form-data']);

async function schemasPlugin(app: FastifyInstance) {
  for (const schema of schemas) app.addSchema(schema);
  for (const schema of apiSchemas) app.addSchema(schema);

  // `binary` only documents file parts in OpenAPI.
  const formats = { binary: true as const };
  const bodyAjv = createAjv({ formats });
  const stringsAjv = createAjv({ formats, coerceTypes: 'array', useDefaults: true });
  for (const schema of apiSchemas) {
    bodyAjv.addSchema(schema);
    stringsAjv.addSchema(schema);
  }

  app.setValidatorCompiler(({ schema, httpPart, contentType }: { schema: object; httpPart?: string; contentType?: string }) => {
    if (httpPart === 'body' && contentType !== undefined && STREAMED_CONTENT_TYPES.has(contentType)) return () => true;
    return (httpPart === 'body' ? bodyAjv : stringsAjv).compile(schema);
  });
}

export default fp(schemasPlugin, { name: 'schemas' });

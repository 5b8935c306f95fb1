/**
 * Every parsed request body is text that can be stored as written: a JSON
 * string holding an unpaired UTF-16 surrogate (`"\ud800"`) is refused with
 * 400 VALIDATION_FAILED naming the field, before any route sees it. MongoDB
 * would store U+FFFD in its place, silently changing a record; one check
 * here covers every route. (Multipart parts are checked where they are
 * parsed, routes/multipart.ts.)
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { assertWellFormedText } from '../../services/common';

async function wellFormedText(app: FastifyInstance) {
  app.addHook('preValidation', async (request) => {
    if (request.body !== undefined) assertWellFormedText(request.body, 'body', { details: { in: 'body' } });
  });
}

export default fp(wellFormedText, { name: 'well-formed-text' });

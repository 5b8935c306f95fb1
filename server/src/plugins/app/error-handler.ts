/**
 * Every error leaves the API as `{ code, message, details }` with the status
 * its code maps to. Client errors keep their message; a 5xx is logged with
 * its stack and answered with a generic message and the request id only, so
 * no internals (paths, queries, stack traces) reach the client.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { formatValidationErrors } from '@exemplar/specimens-schema';
import type { ErrorObject } from 'ajv';
import { ERROR_STATUS, ExemplarError, type ErrorCode, isExemplarError } from '../../errors';
import { validationFailed } from '../../services/common';

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details: Record<string, unknown>;
}

/** Fastify and @fastify/multipart errors that are the client's fault, by their code. */
const FRAMEWORK_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_REQ_FILE_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_FILES_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_FIELDS_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_PARTS_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_PROTO_VIOLATION: 'BAD_REQUEST',
  FST_MP_PREMATURE_CLOSE: 'BAD_REQUEST',
  FST_INVALID_JSON_FIELD_ERROR: 'BAD_REQUEST',
};

/** For other 4xx errors raised by the framework or a plugin. */
const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  416: 'RANGE_NOT_SATISFIABLE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
};

/** Fastify's request validation failed: the same issue format as the services' VALIDATION_FAILED. */
function fromFastifyValidation(err: FastifyError): ExemplarError {
  const part = err.validationContext ?? 'request';
  return validationFailed(part, formatValidationErrors((err.validation ?? []) as unknown as ErrorObject[]), { in: part });
}

export function toErrorBody(err: unknown, requestId: string): { status: number; body: ErrorBody; internal: boolean } {
  let known: ExemplarError | undefined;
  if (isExemplarError(err)) known = err;
  else if (isFastifyError(err)) {
    if (err.validation) known = fromFastifyValidation(err);
    else {
      const status = err.statusCode ?? 500;
      const code = FRAMEWORK_CODES[err.code] ?? (status >= 400 && status < 500 ? CODE_BY_STATUS[status] ?? 'BAD_REQUEST' : undefined);
      if (code) known = new ExemplarError(code, err.message);
    }
  }
  // 503 (a full queue, a specimen busy with holds) tells the client to retry later; it reveals nothing internal.
  if (known && (known.status < 500 || known.status === 503)) {
    return { status: known.status, body: { code: known.code, message: known.message, details: known.details }, internal: false };
  }
  return {
    status: ERROR_STATUS.INTERNAL,
    body: { code: 'INTERNAL', message: 'Internal error; the server log has the details under this request id', details: { requestId } },
    internal: true,
  };
}

function isFastifyError(err: unknown): err is FastifyError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string';
}

async function errorHandler(app: FastifyInstance) {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body, internal } = toErrorBody(err, request.id);
    if (internal) request.log.error({ err }, 'request failed');
    else request.log.info({ code: body.code, status }, body.message);
    // A stream may have failed after its headers went out; nothing can be sent then.
    if (reply.sent || reply.raw.headersSent) return;
    // Headers a route set for the success it expected (an object's validators and caching) must not describe the error.
    for (const name of ['content-length', 'content-range', 'etag', 'last-modified', 'cache-control', 'accept-ranges', 'content-disposition']) reply.removeHeader(name);
    // Any error that knows when to come back (a locked login) says so the way HTTP clients read it.
    const retryAfter = body.details.retryAfterSeconds;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    void reply.status(status).type('application/json; charset=utf-8').send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ code: 'NOT_FOUND', message: `Route ${request.method} ${request.url.split('?')[0]} not found`, details: {} } satisfies ErrorBody);
  });
}

export default fp(errorHandler, { name: 'error-handler' });

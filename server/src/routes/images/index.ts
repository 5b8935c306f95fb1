/**
 * Originals by SHA-256 and their derived images. Objects never change once
 * stored, so the ETag names the object and conditional and range requests
 * need no catalog lookup.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorBody } from '../../plugins/app/error-handler';
import type { StoredImage } from '../../services/images.service';
import { verifiedRead, type IntegrityFailure } from '../../services/verified-read';
import { downloadHeaders, downloadResponses, ref } from '../api-schemas';
import { decideRange, ifRangeAllows, matchesIfNoneMatch } from './http-ranges';

const shaParams = {
  type: 'object',
  required: ['sha256'],
  additionalProperties: false,
  properties: { sha256: ref('common', '/definitions/sha256') },
} as const;

const tileParams = {
  type: 'object',
  required: ['sha256', '*'],
  additionalProperties: false,
  properties: {
    sha256: ref('common', '/definitions/sha256'),
    '*': { type: 'string', maxLength: 200, description: '`image.dzi`, or a tile `image_files/<level>/<col>_<row>.<ext>`' },
  },
} as const;

interface ShaParams {
  sha256: string;
}

/**
 * Sends a stored object with validators, ranges and headers that keep a browser from interpreting it as anything active.
 * An object with a recorded `sha256` (evidence and what was derived from it) is checked against it when sent whole
 * (services/verified-read.ts); a mismatch breaks off the download and is recorded in the audit trail.
 * A read the service audits (`recordRead`) is recorded once the bytes are sent (200 or 206), before the body:
 * a 304, a 416 or a HEAD sends none and records nothing.
 */
export async function sendStored(request: FastifyRequest, reply: FastifyReply, image: StoredImage & { sha256?: string }, etag: string) {
  void reply
    .header('etag', etag)
    .header('accept-ranges', 'bytes')
    .header('cache-control', 'private, max-age=31536000, immutable')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('last-modified', image.lastModified.toUTCString());

  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(',') : value;
  };
  if (matchesIfNoneMatch(header('if-none-match'), etag)) return reply.status(304).send();

  const rangeHeader = ifRangeAllows(header('if-range'), etag) ? header('range') : undefined;
  const decision = decideRange(rangeHeader, image.bytes);
  if (decision.kind === 'unsatisfiable') {
    const body: ErrorBody = {
      code: 'RANGE_NOT_SATISFIABLE',
      message: `The range lies outside the object (${image.bytes} bytes)`,
      details: { bytes: image.bytes },
    };
    return reply.status(416).header('content-range', `bytes */${image.bytes}`).type('application/json; charset=utf-8').send(body);
  }
  if (request.method !== 'HEAD') await image.recordRead?.();
  void reply.type(image.contentType);
  // Raster images may show inline; anything else (bytes that did not sniff as an image) is only ever a download.
  void reply.header('content-disposition', image.contentType.startsWith('image/') ? 'inline' : 'attachment');
  if (decision.kind === 'partial') {
    const { start, end } = decision.range;
    // A range that is the whole object (`bytes=0-`) is the whole evidence: checked as a full download is.
    const whole = start === 0 && end === image.bytes - 1 && image.sha256 !== undefined;
    const stream = whole
      ? verifiedRead(await image.open(), { key: image.key, sha256: image.sha256! }, (failure) => reportIntegrityFailure(request, failure))
      : await image.open({ start, end });
    return reply
      .status(206)
      .header('content-range', `bytes ${start}-${end}/${image.bytes}`)
      .header('content-length', end - start + 1)
      .send(stream);
  }
  const { sha256 } = image;
  const stream = sha256 === undefined ? await image.open() : verifiedRead(await image.open(), { key: image.key, sha256 }, (failure) => reportIntegrityFailure(request, failure));
  return reply.status(200).header('content-length', image.bytes).send(stream);
}

/** Logged and recorded in the audit trail (against the image, so that custody logs show it). */
function reportIntegrityFailure(request: FastifyRequest, failure: IntegrityFailure): void {
  request.log.error({ integrity: failure }, 'a stored object does not hash to its recorded SHA-256');
  request.server.exemplar.services.audit
    .record({
      actor: request.actor,
      action: 'image.integrity-failed',
      target: { kind: 'image', id: failure.expectedSha256 },
      hashes: { expected: failure.expectedSha256, actual: failure.actualSha256 },
      details: { key: failure.key, bytes: failure.bytes },
    })
    .catch((err: unknown) => request.log.error({ err }, 'could not record an integrity failure in the audit trail'));
}

export default async function imageRoutes(app: FastifyInstance) {
  const { images } = app.exemplar.services;

  app.get<{ Params: ShaParams }>(
    '/api/images/:sha256',
    {
      config: { permission: 'images:read-original' },
      schema: {
        tags: ['images'],
        summary: 'Download an original, byte-exact',
        description: 'ETag is the quoted SHA-256. Single byte ranges are served (206). The content type is sniffed from the bytes.',
        params: shaParams,
        headers: downloadHeaders,
        response: downloadResponses('The original as uploaded'),
      },
    },
    async (request, reply) => {
      const { sha256 } = request.params;
      return sendStored(request, reply, await images.original(sha256, request.actor), `"${sha256}"`);
    },
  );

  for (const kind of ['thumbnail', 'preview'] as const) {
    app.get<{ Params: ShaParams }>(
      `/api/images/:sha256/${kind}`,
      {
        config: { permission: 'specimens:read' },
        schema: {
          tags: ['images'],
          summary: kind === 'thumbnail' ? 'Small image for lists' : 'Screen-sized image (long edge about 2048 px)',
          params: shaParams,
          headers: downloadHeaders,
          response: downloadResponses(`The ${kind}, EXIF orientation applied`),
        },
      },
      async (request, reply) => {
        const { sha256 } = request.params;
        return sendStored(request, reply, await images.derivative(sha256, kind, request.actor), `"${sha256}/${kind}"`);
      },
    );
  }

  app.get<{ Params: ShaParams & { '*': string } }>(
    '/api/images/:sha256/tiles/*',
    {
      config: { permission: 'specimens:read' },
      schema: {
        tags: ['images'],
        summary: 'Deep-zoom (DZI) descriptor and tiles of a large original',
        description: 'Open `tiles/image.dzi` in a DZI viewer; it fetches `tiles/image_files/<level>/<col>_<row>.<ext>`.',
        params: tileParams,
        headers: downloadHeaders,
        response: downloadResponses('The descriptor (XML) or a tile'),
      },
    },
    async (request, reply) => {
      const { sha256, '*': path } = request.params;
      return sendStored(request, reply, await images.tile(sha256, path, request.actor), `"${sha256}/${path}"`);
    },
  );
}

/**
 * Rules both ObjectStore adapters share, so that they fail the same way:
 * which keys are acceptable, how a body is hashed while it streams, when a
 * put's declared size / hash is violated, and which byte ranges exist.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ExemplarError } from '../errors';
import type { ByteRange, PutOptions } from './objects.port';

/** S3's own limit, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

function segmentProblem(segment: string): string | undefined {
  if (segment === '') return 'empty path segment';
  // A leading dot covers `.` and `..`, and reserves hidden names for the adapters' own bookkeeping.
  if (segment.startsWith('.')) return 'path segment starting with "."';
  return undefined;
}

function keyProblem(key: string, isPrefix: boolean): string | undefined {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `longer than ${MAX_KEY_BYTES} bytes`;
  if (key.startsWith('/')) return 'absolute path';
  if (key.includes('\\')) return 'backslash';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) return 'control character';
  const segments = key.split('/');
  // A prefix may end inside a segment or with a slash; only its complete segments are checked in full.
  const last = isPrefix ? segments.pop() : undefined;
  for (const segment of segments) {
    const problem = segmentProblem(segment);
    if (problem) return problem;
  }
  if (last !== undefined && (last === '.' || last === '..')) return 'path segment "." or ".."';
  return undefined;
}

/** BAD_REQUEST unless `key` is a relative, slash-separated path without empty, `.`-led or `..` segments. */
export function assertObjectKey(key: string): void {
  if (typeof key !== 'string' || key === '') {
    throw new ExemplarError('BAD_REQUEST', 'Object key must be a non-empty string', { key });
  }
  const problem = keyProblem(key, false);
  if (problem) throw new ExemplarError('BAD_REQUEST', `Invalid object key: ${problem}`, { key });
}

/** Like `assertObjectKey`, for a list prefix (may be empty, may end with `/` or part of a segment). */
export function assertObjectKeyPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw new ExemplarError('BAD_REQUEST', 'Object key prefix must be a string', { prefix });
  if (prefix === '') return;
  const problem = keyProblem(prefix, true);
  if (problem) throw new ExemplarError('BAD_REQUEST', `Invalid object key prefix: ${problem}`, { prefix });
}

/** S3 lists keys in UTF-8 binary order; the filesystem adapter reproduces it with this comparison. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export interface Digest {
  sha256: string;
  bytes: number;
}

export function toReadable(body: Readable | Buffer): Readable {
  // Wrapped in an array: Readable.from(buffer) would emit one byte per chunk.
  return Buffer.isBuffer(body) ? Readable.from([body]) : body;
}

/**
 * A pass-through stage for `stream.pipeline` that hashes every chunk. Read
 * `digest()` only after the pipeline has finished.
 */
export function hashingStage(): {
  stage: (source: AsyncIterable<Buffer | string>) => AsyncGenerator<Buffer>;
  digest: () => Digest;
} {
  const hash = createHash('sha256');
  let bytes = 0;
  let sha256: string | undefined;
  return {
    stage: async function* (source) {
      for await (const chunk of source) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        hash.update(buf);
        bytes += buf.length;
        yield buf;
      }
    },
    digest: () => {
      sha256 ??= hash.digest('hex');
      return { sha256, bytes };
    },
  };
}

/** Consumes `body` entirely, keeping only its digest. */
export async function digestStream(body: Readable | Buffer): Promise<Digest> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of toReadable(body)) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    hash.update(buf);
    bytes += buf.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** BAD_REQUEST for malformed options, before any byte is read. */
export function assertPutOptions(key: string, options: PutOptions): void {
  if (options.expectedSha256 !== undefined && !SHA256_HEX.test(options.expectedSha256)) {
    throw new ExemplarError('BAD_REQUEST', 'expectedSha256 must be 64 lowercase hex digits', {
      key,
      expectedSha256: options.expectedSha256,
    });
  }
  if (options.bytes !== undefined && !(Number.isSafeInteger(options.bytes) && options.bytes >= 0)) {
    throw new ExemplarError('BAD_REQUEST', 'bytes must be a non-negative integer', { key, bytes: options.bytes });
  }
}

/** INTEGRITY_FAILED when the streamed body is not what the caller declared. */
export function assertDeclared(key: string, options: PutOptions, got: Digest): void {
  if (options.expectedSha256 !== undefined && options.expectedSha256 !== got.sha256) {
    throw new ExemplarError('INTEGRITY_FAILED', 'Object body does not match its expected SHA-256', {
      key,
      expectedSha256: options.expectedSha256,
      sha256: got.sha256,
    });
  }
  if (options.bytes !== undefined && options.bytes !== got.bytes) {
    throw new ExemplarError('INTEGRITY_FAILED', 'Object body length differs from the declared length', {
      key,
      expectedBytes: options.bytes,
      bytes: got.bytes,
    });
  }
}

/** INTEGRITY_FAILED when the object already stored under `key` is not the one the caller expects. */
export function assertExistingMatches(key: string, expectedSha256: string, storedSha256: string): void {
  if (expectedSha256 !== storedSha256) {
    throw new ExemplarError('INTEGRITY_FAILED', 'The object already stored under this key has a different SHA-256', {
      key,
      expectedSha256,
      storedSha256,
    });
  }
}

/**
 * The inclusive [start, end] to read from an object of `size` bytes. As in
 * HTTP, an `end` past the last byte is clamped; a start past it, a negative
 * or fractional bound, or an end before the start is RANGE_NOT_SATISFIABLE.
 */
export function resolveRange(key: string, range: ByteRange, size: number): { start: number; end: number } {
  const { start, end } = range;
  const valid =
    Number.isSafeInteger(start) &&
    start >= 0 &&
    start < size &&
    (end === undefined || (Number.isSafeInteger(end) && end >= start));
  if (!valid) {
    throw new ExemplarError('RANGE_NOT_SATISFIABLE', 'Requested byte range is outside the object', {
      key,
      start,
      end,
      bytes: size,
    });
  }
  return { start, end: Math.min(end ?? size - 1, size - 1) };
}

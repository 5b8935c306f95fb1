/**
 * Serving a stored object whole, vouched for by the SHA-256 the records give
 * it (originals, questioned images, comparison outputs). The last chunk is
 * held back until the whole object has been hashed: a mismatch ends the
 * stream with INTEGRITY_FAILED instead, so an HTTP client gets a body shorter
 * than its Content-Length — a failed download — and never a complete file
 * under an ETag that names a hash it does not have. A byte range cannot be
 * checked this way and is sent as read (`exemplar verify` checks every
 * stored object).
 */
import { createHash } from 'node:crypto';
import { pipeline, Transform, type Readable } from 'node:stream';
import { ExemplarError } from '../errors';

export interface IntegrityFailure {
  key: string;
  expectedSha256: string;
  actualSha256: string;
  bytes: number;
}

export function verifiedRead(source: Readable, expected: { key: string; sha256: string }, onMismatch?: (failure: IntegrityFailure) => void): Readable {
  const hash = createHash('sha256');
  let held: Buffer | undefined;
  let bytes = 0;
  const check = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      const ready = held;
      held = chunk;
      if (ready) this.push(ready);
      callback();
    },
    flush(callback) {
      const actualSha256 = hash.digest('hex');
      if (actualSha256 !== expected.sha256) {
        const failure = { key: expected.key, expectedSha256: expected.sha256, actualSha256, bytes };
        onMismatch?.(failure);
        callback(new ExemplarError('INTEGRITY_FAILED', `stored object ${expected.key} no longer hashes to its recorded SHA-256`, { ...failure }));
        return;
      }
      if (held) this.push(held);
      callback();
    },
  });
  return pipeline(source, check, () => undefined);
}

/**
 * Reading a stream whole into memory: the one place that does it, so that
 * every caller that reads bytes a client or a partner chose can bound them.
 * Anything that may be large (images, packages) is streamed to disk instead.
 */
import { ExemplarError } from './errors';

export interface ReadStreamOptions {
  /** Refuse (and stop reading) once more than this many bytes arrived. */
  maxBytes?: number;
  /** The error for a stream over `maxBytes`; PAYLOAD_TOO_LARGE when absent. */
  tooLarge?: (maxBytes: number) => Error;
}

const payloadTooLarge = (maxBytes: number) => new ExemplarError('PAYLOAD_TOO_LARGE', `The body is larger than ${maxBytes} bytes`, { maxBytes });

/** The stream's bytes (strings are taken as UTF-8). Over `maxBytes` the stream is destroyed and the error thrown. */
export async function readStream(stream: AsyncIterable<unknown>, options: ReadStreamOptions = {}): Promise<Buffer> {
  const { maxBytes = Infinity, tooLarge = payloadTooLarge } = options;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk as Uint8Array);
    size += bytes.length;
    // Leaving the loop by a throw destroys the stream, so the rest is never read.
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, size);
}

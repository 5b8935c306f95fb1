/**
 * Spooling of the multipart uploads of comparisons and identification:
 * text fields are collected (bounded), each file part is streamed to a temp
 * file with the byte limit enforced while streaming, and the caller's
 * handler runs on the files; the temp folder is always removed afterwards.
 * Same conventions as the capture upload (routes/specimens/captures.ts).
 */
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config';
import { ExemplarError } from '../../errors';

/** A JSON or text field is small; this bounds what a client can make the server parse. */
export const MAX_FIELD_BYTES = 1024 * 1024;

export interface SpooledFile {
  field: string;
  path: string;
  originalName?: string | undefined;
}

export interface SpoolOptions {
  /** Text fields accepted (a JSON field may also come as a file part, as `curl -F field=@file.json` sends it). */
  fields: readonly string[];
  maxFiles: number;
  /** Called per file part before its bytes are read; throws to refuse it. */
  checkFileField: (name: string) => void;
}

async function readSmallPart(stream: AsyncIterable<unknown>, field: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > MAX_FIELD_BYTES) throw new ExemplarError('PAYLOAD_TOO_LARGE', `The ${field} field is larger than ${MAX_FIELD_BYTES} bytes`, { maxBytes: MAX_FIELD_BYTES });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function withSpooledUpload<T>(
  request: FastifyRequest,
  config: Config,
  options: SpoolOptions,
  handle: (fields: Map<string, string>, files: SpooledFile[]) => Promise<T>,
): Promise<T> {
  if (!request.isMultipart()) throw new ExemplarError('UNSUPPORTED_MEDIA_TYPE', 'Expected multipart/form-data');
  const { limits } = config;
  await fs.mkdir(config.tmpDir, { recursive: true });
  const dir = await fs.mkdtemp(path.join(config.tmpDir, 'upload-'));
  try {
    const fields = new Map<string, string>();
    const files: SpooledFile[] = [];
    const parts = request.parts({
      limits: {
        fileSize: limits.maxUploadBytes,
        files: options.maxFiles + options.fields.length,
        fields: options.fields.length,
        fieldSize: MAX_FIELD_BYTES,
        parts: options.maxFiles + options.fields.length + 1,
      },
    });
    for await (const part of parts) {
      if (options.fields.includes(part.fieldname)) {
        if (fields.has(part.fieldname)) throw new ExemplarError('BAD_REQUEST', `The ${part.fieldname} field is given twice`);
        if (part.type === 'file') fields.set(part.fieldname, await readSmallPart(part.file, part.fieldname));
        else if (part.valueTruncated) throw new ExemplarError('PAYLOAD_TOO_LARGE', `The ${part.fieldname} field is larger than ${MAX_FIELD_BYTES} bytes`, { maxBytes: MAX_FIELD_BYTES });
        else fields.set(part.fieldname, String(part.value));
        continue;
      }
      if (part.type !== 'file') {
        throw new ExemplarError('VALIDATION_FAILED', `Unexpected field ${JSON.stringify(part.fieldname)}`, {
          errors: [{ path: `/${part.fieldname}`, message: 'is not an allowed field', keyword: 'additionalProperties' }],
        });
      }
      options.checkFileField(part.fieldname);
      // The client's file name never becomes a path.
      const target = path.join(dir, String(files.length));
      const tooLarge = () =>
        new ExemplarError('IMAGE_TOO_LARGE', `The ${part.fieldname} image is larger than ${limits.maxUploadBytes} bytes`, { field: part.fieldname, maxBytes: limits.maxUploadBytes });
      try {
        await pipeline(part.file, createWriteStream(target, { flags: 'wx' }));
      } catch (err) {
        throw (err as { code?: unknown }).code === 'FST_REQ_FILE_TOO_LARGE' ? tooLarge() : err;
      }
      if (part.file.truncated) throw tooLarge();
      files.push({ field: part.fieldname, path: target, originalName: part.filename || undefined });
    }
    return await handle(fields, files);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** A JSON text field, parsed; VALIDATION_FAILED when absent (if required) or not JSON. */
export function parseJsonField(fields: Map<string, string>, name: string, required: boolean): unknown {
  const text = fields.get(name);
  if (text === undefined) {
    if (!required) return undefined;
    throw new ExemplarError('VALIDATION_FAILED', `The ${name} field (JSON) is missing`, { errors: [{ path: `/${name}`, message: 'is required', keyword: 'required' }] });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ExemplarError('VALIDATION_FAILED', `The ${name} field is not valid JSON`, {
      errors: [{ path: `/${name}`, message: `is not valid JSON: ${(err as Error).message}`, keyword: 'json' }],
    });
  }
}

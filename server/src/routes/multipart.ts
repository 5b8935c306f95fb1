/**
 * Spooling of multipart uploads (comparisons, identification, verification
 * requests, register CSV and exchange package imports): text fields are
 * collected (bounded), each file part is streamed to a temp file with the
 * caller's byte limit enforced while streaming, and the caller's handler
 * runs on the files; the temp folder is always removed afterwards.
 */
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config';
import { ExemplarError } from '../errors';
import { readStream } from '../read-stream';
import { assertWellFormedText, formatByteCount, imageNamed, validationFailed } from '../services/common';

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
  /**
   * Bytes per file part, enforced while it streams (nothing larger is ever
   * written whole); the image upload limit when absent.
   */
  maxFileBytes?: number;
  /** The error for a file part over the limit; IMAGE_TOO_LARGE when absent. */
  fileTooLarge?: (field: string, maxBytes: number) => ExemplarError;
  /** The message refusing a request that is not multipart (UNSUPPORTED_MEDIA_TYPE). */
  notMultipart?: string;
  /** Said after "Unexpected field …" for a text part that is not one of `fields`: where its data belongs. */
  unexpectedFieldHint?: string;
  /** Runs once the request is known to be multipart, before any part is read: what it refuses spools nothing. */
  beforeSpool?: () => Promise<void>;
}

const imageTooLarge = (field: string, maxBytes: number) =>
  new ExemplarError('IMAGE_TOO_LARGE', `The ${imageNamed(field)} is larger than ${formatByteCount(maxBytes)}`, { field, maxBytes });

const fieldTooLarge = (field: string) => () =>
  new ExemplarError('PAYLOAD_TOO_LARGE', `The ${field} field is larger than ${MAX_FIELD_BYTES} bytes`, { maxBytes: MAX_FIELD_BYTES });

async function readSmallPart(stream: AsyncIterable<unknown>, field: string): Promise<string> {
  return (await readStream(stream, { maxBytes: MAX_FIELD_BYTES, tooLarge: fieldTooLarge(field) })).toString('utf8');
}

export async function withSpooledUpload<T>(
  request: FastifyRequest,
  config: Config,
  options: SpoolOptions,
  handle: (fields: Map<string, string>, files: SpooledFile[]) => Promise<T>,
): Promise<T> {
  if (!request.isMultipart()) throw new ExemplarError('UNSUPPORTED_MEDIA_TYPE', options.notMultipart ?? 'Expected multipart/form-data');
  await options.beforeSpool?.();
  const maxFileBytes = options.maxFileBytes ?? config.limits.maxUploadBytes;
  const fileTooLarge = options.fileTooLarge ?? imageTooLarge;
  await fs.mkdir(config.tmpDir, { recursive: true });
  const dir = await fs.mkdtemp(path.join(config.tmpDir, 'upload-'));
  try {
    const fields = new Map<string, string>();
    const files: SpooledFile[] = [];
    const parts = request.parts({
      limits: {
        fileSize: maxFileBytes,
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
        else if (part.valueTruncated) throw fieldTooLarge(part.fieldname)();
        // @fastify/multipart hands a part sent as application/json over already parsed.
        else fields.set(part.fieldname, typeof part.value === 'string' ? part.value : JSON.stringify(part.value));
        continue;
      }
      if (part.type !== 'file') {
        const hint = options.unexpectedFieldHint ? `: ${options.unexpectedFieldHint}` : '';
        throw new ExemplarError('VALIDATION_FAILED', `Unexpected field ${JSON.stringify(part.fieldname)}${hint}`, {
          errors: [{ path: `/${part.fieldname}`, message: 'is not an allowed field', keyword: 'additionalProperties' }],
        });
      }
      options.checkFileField(part.fieldname);
      // The client's file name never becomes a path.
      const target = path.join(dir, String(files.length));
      const tooLarge = () => fileTooLarge(part.fieldname, maxFileBytes);
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

export interface SingleFileOptions extends Pick<SpoolOptions, 'maxFileBytes' | 'fileTooLarge'> {
  /** The one file part. */
  field: string;
  /** What the file is ("image", "CSV", "package"), for the messages. */
  noun: string;
  /** What the upload is ("register import"), for the messages. */
  what: string;
  /** Text fields accepted beside the file. */
  fields?: readonly string[];
}

/** An upload of exactly one file part (and optional text fields): any other part, or none, is VALIDATION_FAILED. */
export async function withSpooledFile<T>(
  request: FastifyRequest,
  config: Config,
  options: SingleFileOptions,
  handle: (file: SpooledFile, fields: Map<string, string>) => Promise<T>,
): Promise<T> {
  const { field, noun, what, fields = [], ...limits } = options;
  const checkFileField = (name: string) => {
    if (name !== field) throw validationFailed(what, [{ path: `/${name}`, message: `is not an allowed field (the ${noun} goes in \`${field}\`)`, keyword: 'additionalProperties' }]);
  };
  return withSpooledUpload(request, config, { fields, maxFiles: 1, checkFileField, ...limits }, async (texts, files) => {
    const file = files[0];
    if (!file) throw validationFailed(what, [{ path: `/${field}`, message: 'is required', keyword: 'required' }]);
    return handle(file, texts);
  });
}

/** A JSON text field, parsed; VALIDATION_FAILED when absent (if required) or not JSON. `description` names what the field holds. */
export function parseJsonField(fields: Map<string, string>, name: string, required: boolean, description = 'JSON'): unknown {
  const text = fields.get(name);
  if (text === undefined) {
    if (!required) return undefined;
    throw new ExemplarError('VALIDATION_FAILED', `The ${name} field (${description}) is missing`, { errors: [{ path: `/${name}`, message: 'is required', keyword: 'required' }] });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch (err) {
    throw new ExemplarError('VALIDATION_FAILED', `The ${name} field is not valid JSON`, {
      errors: [{ path: `/${name}`, message: `is not valid JSON: ${(err as Error).message}`, keyword: 'json' }],
    });
  }
  // As every JSON body is checked (plugins/app/well-formed-text.ts).
  assertWellFormedText(parsed, `${name} field`, { at: `/${name}` });
  return parsed;
}

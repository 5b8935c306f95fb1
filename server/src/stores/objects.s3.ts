/**
 * ObjectStore on S3 (AWS, MinIO, any S3-compatible server) through the
 * `minio` client.
 *
 * A put must hash the body before the object becomes visible, because an
 * object whose bytes miss `expectedSha256` must never exist, not even
 * briefly (a concurrent reader or a crash would see it). So the body is
 * streamed through SHA-256 into a spool: memory up to `memoryBufferBytes`,
 * beyond that a temp file in `spoolDir`. Only a verified body is uploaded,
 * with its SHA-256 in the object's metadata (`x-amz-meta-sha256`), so nothing
 * is ever staged in the bucket and a failed put leaves no object and no
 * multipart debris. The minio client itself sends a body of up to `partSize`
 * bytes as one PUT (reading it into memory) and larger ones as a multipart
 * upload; s3rver has no multipart support, so `partSize` defaults high.
 *
 * S3 has no portable create-if-absent, so "never rewritten" is enforced by a
 * stat before the upload. Two puts racing on one absent key may both upload;
 * for the content-addressed keys of `objectKeys` both carry the same bytes.
 *
 * `list` yields keys in the server's order: S3 and MinIO list in UTF-8
 * binary order (s3rver, the test server, walks folders instead).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { Client } from 'minio';
import { ExemplarError, notFound } from '../errors';
import {
  assertDeclared,
  assertExistingMatches,
  assertObjectKey,
  assertObjectKeyPrefix,
  assertPutOptions,
  digestStream,
  resolveRange,
  toReadable,
  type Digest,
} from './objects.common';
import type { ByteRange, ObjectStat, ObjectStore, PutOptions, PutResult } from './objects.port';

export interface S3ObjectStoreConfig {
  /** Host name or IP address, without scheme or port. */
  endPoint: string;
  /** Defaults to 443 with TLS, 80 without. */
  port?: number | undefined;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  bucket: string;
  /** Region the bucket is created in and requests are signed for. Default `us-east-1`. */
  region?: string | undefined;
  /** Bodies up to this size go up in one PUT. Default 5 GiB, the S3 maximum for a single PUT. */
  partSize?: number | undefined;
  /** Folder for bodies too large to hash in memory before upload. Default: the OS temp folder. */
  spoolDir?: string | undefined;
  /** Largest body hashed in memory; larger ones are spooled to `spoolDir`. Default 8 MiB. */
  memoryBufferBytes?: number | undefined;
}

const DEFAULT_PART_SIZE = 5 * 1024 * 1024 * 1024;
const DEFAULT_MEMORY_BUFFER_BYTES = 8 * 1024 * 1024;
const SHA256_META = 'sha256';

function s3ErrorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

const isMissing = (err: unknown) => ['NotFound', 'NoSuchKey'].includes(s3ErrorCode(err) ?? '');

interface Spool extends Digest {
  body: Buffer | { file: string };
  dispose(): Promise<void>;
}

/** Hashes `body` while holding it in memory, or in a temp file once it outgrows `memoryLimit`. */
async function spoolBody(body: Readable | Buffer, spoolDir: string, memoryLimit: number): Promise<Spool> {
  const hash = createHash('sha256');
  let bytes = 0;
  let chunks: Buffer[] = [];
  let file: { path: string; handle: fs.FileHandle } | undefined;
  const dispose = async () => {
    if (!file) return;
    await file.handle.close().catch(() => undefined);
    await fs.rm(file.path, { force: true });
  };
  try {
    for await (const chunk of toReadable(body)) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      hash.update(buf);
      bytes += buf.length;
      if (file) {
        await file.handle.write(buf);
      } else {
        chunks.push(buf);
        if (bytes > memoryLimit) {
          const p = path.join(spoolDir, `exemplar-s3-spool-${randomUUID()}`);
          file = { path: p, handle: await fs.open(p, 'wx', 0o600) };
          for (const c of chunks) await file.handle.write(c);
          chunks = [];
        }
      }
    }
    const digest = { sha256: hash.digest('hex'), bytes };
    if (!file) return { ...digest, body: Buffer.concat(chunks, bytes), dispose };
    await file.handle.close();
    const spooled = file.path;
    return { ...digest, body: { file: spooled }, dispose: () => fs.rm(spooled, { force: true }) };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/**
 * The bytes [start, end] from a ranged GET's response, whatever the server
 * did with the Range header: a server may ignore it (200 with the whole
 * object) or clamp it wrongly (s3rver answers `bytes=0-0` with everything).
 * Content-Range tells where the body starts; the rest is skipped or cut.
 */
function exactSpan(response: Readable, start: number, end: number, key: string): Readable {
  const { statusCode, headers } = response as Partial<IncomingMessage>;
  const contentRange = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(String(headers?.['content-range'] ?? ''));
  const bodyStart = statusCode === 206 && contentRange ? Number(contentRange[1]) : 0;
  if (bodyStart > start) {
    response.destroy();
    throw new ExemplarError('INTERNAL', 'S3 answered a range that starts after the requested one', { key, start, bodyStart });
  }
  let skip = start - bodyStart;
  let remaining = end - start + 1;
  return Readable.from(
    (async function* () {
      try {
        for await (const chunk of response) {
          let buf = chunk as Buffer;
          if (skip > 0) {
            const n = Math.min(skip, buf.length);
            buf = buf.subarray(n);
            skip -= n;
          }
          if (buf.length > remaining) buf = buf.subarray(0, remaining);
          remaining -= buf.length;
          if (buf.length > 0) yield buf;
          if (remaining === 0) return;
        }
      } finally {
        response.destroy();
      }
      throw new ExemplarError('INTERNAL', 'S3 response ended inside the requested range', { key, start, end });
    })(),
    { objectMode: false },
  );
}

export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  readonly bucket: string;
  private readonly client: Client;
  private readonly agent: http.Agent;
  private readonly region: string;
  private readonly spoolDir: string;
  private readonly memoryBufferBytes: number;

  constructor(config: S3ObjectStoreConfig) {
    this.bucket = config.bucket;
    this.region = config.region ?? 'us-east-1';
    this.spoolDir = config.spoolDir ?? os.tmpdir();
    this.memoryBufferBytes = config.memoryBufferBytes ?? DEFAULT_MEMORY_BUFFER_BYTES;
    // Our own agent, so close() can drop its keep-alive sockets.
    this.agent = config.useSSL ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    this.client = new Client({
      endPoint: config.endPoint,
      ...(config.port !== undefined ? { port: config.port } : {}),
      useSSL: config.useSSL,
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      region: this.region,
      partSize: config.partSize ?? DEFAULT_PART_SIZE,
      transportAgent: this.agent,
    });
  }

  async init(): Promise<void> {
    await fs.mkdir(this.spoolDir, { recursive: true });
    if (await this.client.bucketExists(this.bucket)) return;
    try {
      await this.client.makeBucket(this.bucket, this.region);
    } catch (err) {
      // Another process created it between our check and our request.
      if (s3ErrorCode(err) !== 'BucketAlreadyOwnedByYou') throw err;
    }
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  async put(key: string, body: Readable | Buffer, options: PutOptions = {}): Promise<PutResult> {
    assertObjectKey(key);
    assertPutOptions(key, options);
    const existing = await this.statRaw(key);
    if (existing) {
      const digest = await digestStream(body);
      assertDeclared(key, options, digest);
      if (options.expectedSha256 !== undefined) {
        const stored = existing.metaData[SHA256_META] ?? (await digestStream(await this.client.getObject(this.bucket, key))).sha256;
        assertExistingMatches(key, options.expectedSha256, String(stored));
      }
      return { key, sha256: digest.sha256, bytes: digest.bytes, created: false };
    }

    const spool = await spoolBody(body, this.spoolDir, this.memoryBufferBytes);
    try {
      assertDeclared(key, options, spool);
      const meta = {
        'Content-Type': options.contentType ?? 'application/octet-stream',
        [`x-amz-meta-${SHA256_META}`]: spool.sha256,
      };
      const source = Buffer.isBuffer(spool.body) ? spool.body : createReadStream(spool.body.file);
      await this.client.putObject(this.bucket, key, source, spool.bytes, meta);
      return { key, sha256: spool.sha256, bytes: spool.bytes, created: true };
    } finally {
      await spool.dispose();
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertObjectKey(key);
    try {
      if (!range) return await this.client.getObject(this.bucket, key);
      // Ranges are checked here, not by the server, so both adapters answer alike (also for empty objects).
      const stat = await this.statRaw(key);
      if (!stat) throw notFound('OBJECT_NOT_FOUND', 'Object', { key });
      const { start, end } = resolveRange(key, range, stat.size);
      return exactSpan(await this.client.getPartialObject(this.bucket, key, start, end - start + 1), start, end, key);
    } catch (err) {
      if (isMissing(err)) throw notFound('OBJECT_NOT_FOUND', 'Object', { key });
      throw err;
    }
  }

  async stat(key: string): Promise<ObjectStat | null> {
    assertObjectKey(key);
    const stat = await this.statRaw(key);
    if (!stat) return null;
    const contentType = stat.metaData['content-type'] as unknown;
    return {
      key,
      bytes: stat.size,
      lastModified: stat.lastModified,
      ...(typeof contentType === 'string' ? { contentType } : {}),
    };
  }

  async delete(key: string): Promise<void> {
    assertObjectKey(key);
    await this.client.removeObject(this.bucket, key);
  }

  async *list(prefix = ''): AsyncIterable<ObjectStat> {
    assertObjectKeyPrefix(prefix);
    for await (const item of this.client.listObjectsV2(this.bucket, prefix, true)) {
      const entry = item as { name?: string; size?: number; lastModified?: Date };
      if (entry.name === undefined) continue; // a common prefix; not produced by a recursive listing
      yield { key: entry.name, bytes: entry.size ?? 0, lastModified: entry.lastModified ?? new Date(0) };
    }
  }

  private async statRaw(key: string) {
    try {
      return await this.client.statObject(this.bucket, key);
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }
}


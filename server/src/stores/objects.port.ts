/**
 * ObjectStore port: immutable blobs (originals, derivatives, comparison
 * outputs). Adapters: `objects.fs.ts` (embedded default, a folder on disk)
 * and `objects.s3.ts` (MinIO / AWS S3 through the `minio` client). Both pass
 * `objects.contract.ts`.
 *
 * Keys are chosen by the caller and never rewritten: originals live at
 * `originalKey(sha256)`, so identical bytes are stored once. A put to a key
 * that already holds an object keeps the existing object.
 */
import type { Readable } from 'node:stream';

export interface PutOptions {
  contentType?: string;
  /** Known length in bytes (required by some S3 servers for a streamed body). */
  bytes?: number;
  /** When given, the put fails with INTEGRITY_FAILED and stores nothing unless the streamed bytes hash to it. */
  expectedSha256?: string;
}

export interface PutResult {
  key: string;
  /** Of the streamed body (equal to the stored object's when `created`, or when `expectedSha256` was given). */
  sha256: string;
  bytes: number;
  /** False when the key already held an object and nothing was written. */
  created: boolean;
}

export interface ObjectStat {
  key: string;
  bytes: number;
  contentType?: string;
  lastModified: Date;
}

/** Inclusive byte range, as in an HTTP Range header. `end` defaults to the last byte. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface ObjectStore {
  readonly kind: 'fs' | 's3';
  /**
   * Streams the body into the store, computing SHA-256 on the way. Keys are
   * relative slash-separated paths without empty, `.`-led or `..` segments
   * or backslashes (else BAD_REQUEST). An existing key is kept (`created:
   * false`); with `expectedSha256`, the stored object must match it too, else
   * INTEGRITY_FAILED. A failed put leaves no object and no temp file.
   */
  put(key: string, body: Readable | Buffer, options?: PutOptions): Promise<PutResult>;
  /** OBJECT_NOT_FOUND when absent; RANGE_NOT_SATISFIABLE for a range outside the object. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  stat(key: string): Promise<ObjectStat | null>;
  /** Idempotent: deleting an absent key succeeds. */
  delete(key: string): Promise<void>;
  /** Every object whose key starts with `prefix`, in key order (UTF-8 binary, as S3). Items carry no `contentType`: use `stat`. */
  list(prefix?: string): AsyncIterable<ObjectStat>;
  /** Creates the bucket / folder when absent; idempotent. */
  init(): Promise<void>;
  close(): Promise<void>;
}

/** The single place that decides where objects live. */
export const objectKeys = {
  original: (sha256: string) => `originals/${sha256.slice(0, 2)}/${sha256}`,
  derivative: (sha256: string, name: string) => `derivatives/${sha256.slice(0, 2)}/${sha256}/${name}`,
  derivativePrefix: (sha256: string) => `derivatives/${sha256.slice(0, 2)}/${sha256}/`,
  comparison: (jobId: string, name: string) => `comparisons/${jobId}/${name}`,
  comparisonPrefix: (jobId: string) => `comparisons/${jobId}/`,
  /** Questioned originals (evidence, uploaded for comparisons): content-addressed like originals, outside the catalogue's originals. */
  questioned: (sha256: string) => `questioned/${sha256.slice(0, 2)}/${sha256}`,
} as const;

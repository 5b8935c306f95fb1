/**
 * Small pieces the services share: record ids, timestamps, turning schema
 * issues into the API's VALIDATION_FAILED, hashing an uploaded file, and
 * per-key locks that keep an ingest and an object clean-up from racing on a
 * de-duplicated object.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { getLightSource, type ValidationIssue, type ValidationResult } from '@exemplar/specimens-schema';
import { ExemplarError } from '../errors';

/** An uploaded image as a person names it: `White light image` for the part `white` (an unknown part keeps its name). */
export function imageNamed(part: string): string {
  return `${getLightSource(part)?.label ?? part} image`;
}

/** A size in bytes for a person: exact and grouped, with MiB beside it from 1 MiB on (`629,145,600 bytes (600 MiB)`). */
export function formatByteCount(bytes: number): string {
  const mib = bytes / 2 ** 20;
  return `${bytes.toLocaleString('en-US')} bytes${mib >= 1 ? ` (${Number(mib.toFixed(1))} MiB)` : ''}`;
}

/** 16 URL-safe characters (96 random bits); matches the schema's recordId. */
export function newRecordId(): string {
  return randomBytes(12).toString('base64url');
}

export function timestamp(now: Date = new Date()): string {
  return now.toISOString();
}

export function validationFailed(what: string, errors: ValidationIssue[], details: Record<string, unknown> = {}): ExemplarError {
  const summary = errors
    .slice(0, 5)
    .map((e) => `${e.path || '/'} ${e.message}`)
    .join('; ');
  return new ExemplarError('VALIDATION_FAILED', `Invalid ${what}: ${summary}${errors.length > 5 ? '; …' : ''}`, { ...details, errors });
}

/** SHA-256 of a file's bytes, hex (the content address of originals). */
export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** The validated value, or VALIDATION_FAILED with the issues in `details.errors`. */
export function valueOrThrow<T>(result: ValidationResult<T>, what: string): T {
  if (!result.ok) throw validationFailed(what, result.errors);
  return result.value;
}

/**
 * In-process async locks by key. `withKeys` takes its keys in sorted order, so
 * two callers needing overlapping sets cannot deadlock.
 */
export class KeyLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async withKeys<T>(keys: Iterable<string>, fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const releases: Array<() => void> = [];
    try {
      for (const key of sorted) releases.push(await this.acquire(key));
      return await fn();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  private async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    return () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}

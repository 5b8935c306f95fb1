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


/**
 * JSON pointers of the strings and property names in `value` that hold an
 * unpaired UTF-16 surrogate (JSON can carry one as `"\ud800"`). Such a
 * string is no text: UTF-8, and so BSON and SQLite, cannot hold it, and
 * MongoDB would store U+FFFD in its place.
 */
export function unpairedSurrogatePaths(value: unknown, at = ''): string[] {
  const out: string[] = [];
  // Walked with a stack of its own, not by recursion: JSON.parse takes any depth, and a request body nested
  // deeper than the call stack must be answered (by the route's schema), not fail with a RangeError (500).
  // Children are pushed last first, so paths come out in document order, each key before what it holds.
  const pending: Array<{ value: unknown; at: string; badKey: boolean }> = [{ value, at, badKey: false }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.badKey) out.push(next.at);
    if (typeof next.value === 'string') {
      if (!next.value.isWellFormed()) out.push(next.at || '/');
      continue;
    }
    if (next.value === null || typeof next.value !== 'object') continue;
    const entries = Object.entries(next.value);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, item] = entries[i]!;
      pending.push({ value: item, at: `${next.at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, badKey: !key.isWellFormed() });
    }
  }
  return out;
}

/** VALIDATION_FAILED naming every string of `value` that holds an unpaired surrogate (see unpairedSurrogatePaths). */
export function assertWellFormedText(value: unknown, what: string, options: { at?: string; details?: Record<string, unknown> } = {}): void {
  const paths = unpairedSurrogatePaths(value, options.at);
  if (paths.length === 0) return;
  throw validationFailed(
    what,
    paths.map((path) => ({ path, message: 'holds an unpaired UTF-16 surrogate (not text; it cannot be stored as written)', keyword: 'wellFormedText' })),
    options.details,
  );
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * `bytes` as text (a leading byte order mark dropped), or VALIDATION_FAILED
 * naming the first line that is not UTF-8. Read leniently, such bytes (a
 * Latin-1 export, a surrogate written as CESU-8 does) would become U+FFFD and
 * be stored so, silently changing the text. `what` names the text for the
 * message (a file name, "the CSV").
 */
export function decodeUtf8Text(bytes: Uint8Array, what: string, details: Record<string, unknown> = {}): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    const lenient = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    const at = lenient.indexOf('\uFFFD');
    const line = at < 0 ? 1 : lenient.slice(0, at).split('\n').length;
    throw new ExemplarError('VALIDATION_FAILED', `${what} is not UTF-8 text (line ${line}); save it as UTF-8`, { ...details, line });
  }
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

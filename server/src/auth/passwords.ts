/**
 * Password hashing with scrypt (node:crypto). Each hash records its own
 * parameters and salt, so raising the cost later leaves existing hashes
 * verifiable (and `needsRehash` says when to upgrade one at the next login).
 *
 * A hash at the default cost holds 128 MiB for its duration and one of
 * libuv's four threads, which file reads and sharp share: at most
 * PASSWORD_HASHES_AT_ONCE run at once per process (the rest wait their
 * turn), so a burst of logins neither takes a gigabyte nor stalls storage.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { WorkLimiter } from '../services/ingest-work';

export interface PasswordHash {
  readonly algorithm: 'scrypt';
  /** CPU/memory cost (a power of two). */
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly keyLength: number;
  /** base64 */
  readonly salt: string;
  /** base64 */
  readonly hash: string;
}

/** The cost (log2 of N) by default: OWASP's scrypt minimum (N 2^17, r 8, p 1), 128 MiB per hash. */
export const DEFAULT_PASSWORD_COST = 17;
/** Hashes computed at once per process (logins, password changes, the decoy). */
export const PASSWORD_HASHES_AT_ONCE = 2;
const derivations = new WorkLimiter(PASSWORD_HASHES_AT_ONCE);
const SCRYPT_FIXED = Object.freeze({ r: 8, p: 1, keyLength: 64 });
export const scryptParams = (cost: number = DEFAULT_PASSWORD_COST) => ({ N: 2 ** cost, ...SCRYPT_FIXED });
const SALT_BYTES = 16;

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 1024;

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number; keyLength: number }): Promise<Buffer> {
  // scrypt needs 128·N·r bytes (and a little per p); Node refuses anything over 32 MiB unless told, and 2^15 was the most that fit.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return derivations.run(
    () =>
      new Promise<Buffer>((resolve, reject) => {
        scrypt(password.normalize('NFC'), salt, params.keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
      }),
  );
}

export async function hashPassword(password: string, cost: number = DEFAULT_PASSWORD_COST): Promise<PasswordHash> {
  const params = scryptParams(cost);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return { algorithm: 'scrypt', ...params, salt: salt.toString('base64'), hash: key.toString('base64') };
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  if (stored.algorithm !== 'scrypt') return false;
  const expected = Buffer.from(stored.hash, 'base64');
  const key = await derive(password, Buffer.from(stored.salt, 'base64'), stored);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

export function needsRehash(stored: PasswordHash, cost: number = DEFAULT_PASSWORD_COST): boolean {
  return stored.N < 2 ** cost || stored.r !== SCRYPT_FIXED.r || stored.p !== SCRYPT_FIXED.p || stored.keyLength !== SCRYPT_FIXED.keyLength;
}

/** A hash of a random password, verified against when a user does not exist so that the answer takes as long as for a real user. */
const decoys = new Map<number, Promise<PasswordHash>>();
export function decoyHash(cost: number = DEFAULT_PASSWORD_COST): Promise<PasswordHash> {
  let decoy = decoys.get(cost);
  if (!decoy) decoys.set(cost, (decoy = hashPassword(randomBytes(16).toString('hex'), cost)));
  return decoy;
}

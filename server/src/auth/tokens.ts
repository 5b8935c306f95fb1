/**
 * Bearer secrets: 32 random bytes, base64url, behind a prefix that says
 * what they are (so secret scanners and people recognise a leaked one).
 * Only their SHA-256 is ever stored; the secret is shown once.
 */
import { createHash, randomBytes } from 'node:crypto';

export const SESSION_TOKEN_PREFIX = 'exs_';
export const API_TOKEN_PREFIX = 'exp_';

export function newSecret(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** The stored form (and record id) of a secret. */
export function secretDigest(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** A secret of ours has this shape; anything else is refused before a store lookup. */
export const SECRET_SHAPE = /^ex[sp]_[A-Za-z0-9_-]{43}$/;

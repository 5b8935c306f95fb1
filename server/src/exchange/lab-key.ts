/**
 * The lab's Ed25519 signing key and the fingerprints that name keys.
 *
 * The private key is a PKCS#8 PEM file (EXEMPLAR_LAB_KEY_FILE, default
 * `<dataDir>/lab-key.pem`) created with mode 0600 the first time a package
 * is signed or the key is shown. A fingerprint is the lowercase hex SHA-256
 * of the public key's DER (SPKI) encoding: what an administrator compares
 * over the phone before trusting a partner's key.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ExemplarError } from '../errors';
import { validationFailed } from '../services/common';

export interface LabKey {
  readonly labId: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  readonly fingerprint: string;
}

export function keyFingerprint(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

export function publicKeyPem(publicKey: KeyObject): string {
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

/** An Ed25519 public key from PEM; VALIDATION_FAILED for anything else (another key type, a private key, garbage). */
export function parsePublicKeyPem(pem: string, where = '/publicKey'): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw validationFailed('public key', [{ path: where, message: 'is not a PEM public key', keyword: 'publicKey' }]);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw validationFailed('public key', [{ path: where, message: `is a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`, keyword: 'publicKey' }]);
  }
  return key;
}

/** Reads the lab key, or creates it when the file does not exist yet (never overwriting one another process just wrote). */
export async function loadOrCreateLabKey(keyFile: string, labId: string): Promise<LabKey> {
  let pem: string;
  try {
    pem = await fs.readFile(keyFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await fs.mkdir(path.dirname(keyFile), { recursive: true });
    const pair = generateKeyPairSync('ed25519');
    const created = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    try {
      await fs.writeFile(keyFile, created, { mode: 0o600, flag: 'wx' });
      pem = created;
    } catch (writeErr) {
      if ((writeErr as NodeJS.ErrnoException).code !== 'EEXIST') throw writeErr;
      pem = await fs.readFile(keyFile, 'utf8');
    }
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new ExemplarError('INTERNAL', `the lab key file ${keyFile} holds no readable private key`, { keyFile }, { cause: err });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new ExemplarError('INTERNAL', `the lab key file ${keyFile} holds a ${privateKey.asymmetricKeyType ?? 'unknown'} key, not Ed25519`, { keyFile });
  }
  const publicKey = createPublicKey(privateKey);
  return Object.freeze({ labId, privateKey, publicKey, publicKeyPem: publicKeyPem(publicKey), fingerprint: keyFingerprint(publicKey) });
}

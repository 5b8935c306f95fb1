/**
 * Signed exchange packages between labs: a zip holding
 *
 *   manifest.json        the ExchangeManifest (specimens-schema): the exporting lab and its key
 *                        fingerprint, the specimens as import-manifest rows, every original's
 *                        SHA-256 and size
 *   manifest.sig         Ed25519 signature of the manifest.json bytes, base64
 *   originals/<sha256>   every original, byte-exact, once per SHA-256
 *
 * Writing streams each original from the object store into the zip and
 * re-hashes it on the way; a stored object that no longer matches fails the
 * export and leaves no file behind.
 *
 * Reading checks, before anything reaches the library: the zip's member
 * names (nothing but the three kinds above, no duplicates), the signer (a
 * trusted, unrevoked partner key, looked up by the manifest's fingerprint and
 * never taken from the package), the signature, the manifest against its
 * schema, that the manifest and the members list the same originals, and
 * each original's SHA-256 and size as it is extracted to a scratch folder.
 */
import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { validate, type ExchangeManifest, type Specimen } from '@exemplar/specimens-schema';
import yauzl from 'yauzl';
import { ZipFile } from 'yazl';
import { manifestRow } from '../cli/export';
import { ExemplarError, isExemplarError } from '../errors';
import { objectKeys, type ObjectStore } from '../stores/objects.port';
import type { LabKey } from './lab-key';
import { nextZipEntry } from '../zip';
import { readStream } from '../read-stream';

export const EXCHANGE_FORMAT = 'exemplar-exchange';
export const EXCHANGE_VERSION = 1;
export const MANIFEST_ENTRY = 'manifest.json';
export const SIGNATURE_ENTRY = 'manifest.sig';
const ORIGINAL_ENTRY = /^originals\/([0-9a-f]{64})$/;
export const originalEntry = (sha256: string) => `originals/${sha256}`;

/** A manifest of 10 000 specimens with many zones stays far below this. */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
const MAX_SIGNATURE_BYTES = 1024;

export type ExchangeSpecimen = ExchangeManifest['specimens'][number];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A specimen as another lab receives it: the import-manifest row of
 * `exemplar export` without what only this library knows (revision,
 * authorship, capture and zone ids, derivatives); images point into the
 * package by hash.
 */
export function exchangeSpecimen(specimen: Specimen): ExchangeSpecimen {
  const row = manifestRow(specimen);
  return {
    id: specimen.id,
    specimen: row.specimen as unknown as ExchangeSpecimen['specimen'],
    captures: row.captures.map((c) => {
      const { id: _id, createdAt: _at, createdBy: _by, images, zones, ...meta } = c;
      return {
        ...meta,
        images: Object.fromEntries(
          Object.entries(images).map(([lightSource, i]) => [
            lightSource,
            { file: originalEntry(i.sha256), sha256: i.sha256, ...(i.originalName ? { originalName: i.originalName } : {}) },
          ]),
        ),
        zones: zones.map(({ id: _zoneId, ...zone }) => zone),
      };
    }),
  };
}

export interface PackageOriginal {
  sha256: string;
  bytes: number;
}

export interface WrittenPackage {
  path: string;
  /** SHA-256 of the manifest bytes: names the package in the audit trail. */
  manifestSha256: string;
  specimens: number;
  originals: number;
  bytes: number;
}

/** Writes a signed package of `specimens` to `outPath` (atomically: a temp file renamed at the end). */
export async function writeExchangePackage(
  objects: ObjectStore,
  key: LabKey,
  specimens: readonly Specimen[],
  outPath: string,
  now: Date = new Date(),
): Promise<WrittenPackage> {
  const originals = new Map<string, PackageOriginal>();
  for (const image of specimens.flatMap((s) => s.captures.flatMap((c) => c.images))) {
    if (!originals.has(image.sha256)) originals.set(image.sha256, { sha256: image.sha256, bytes: image.bytes });
  }
  const manifest: ExchangeManifest = {
    format: EXCHANGE_FORMAT,
    version: EXCHANGE_VERSION,
    lab: { id: key.labId, fingerprint: key.fingerprint },
    createdAt: now.toISOString(),
    specimens: specimens.map(exchangeSpecimen),
    originals: [...originals.values()].sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1)),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
  const signature = sign(null, manifestBytes, key.privateKey).toString('base64');

  const dest = path.resolve(outPath);
  await fs.mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.part-${process.pid}-${Date.now()}`;
  const zip = new ZipFile();
  let fail!: (err: unknown) => void;
  const failure = new Promise<never>((_, reject) => (fail = reject));
  failure.catch(() => undefined);
  zip.on('error', fail);
  const mtime = new Date(now);
  zip.addBuffer(manifestBytes, MANIFEST_ENTRY, { mtime });
  zip.addBuffer(Buffer.from(signature + '\n'), SIGNATURE_ENTRY, { mtime });
  for (const original of manifest.originals) {
    // Originals are JPEG/PNG/TIFF/WebP: deflating them again costs time and saves little.
    zip.addReadStreamLazy(originalEntry(original.sha256), { mtime, compress: false, size: original.bytes }, (cb) => {
      objects.get(objectKeys.original(original.sha256)).then((source) => {
        const checked = new VerifyingStream(original, (err) => storedMismatch(original, err));
        source.on('error', fail);
        checked.on('error', fail);
        cb(null, source.pipe(checked));
      }, fail);
    });
  }
  zip.end();
  const out = createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
  try {
    await Promise.race([pipeline(zip.outputStream as Readable, out), failure]);
    await fs.rename(tmp, dest);
  } catch (err) {
    out.destroy();
    (zip.outputStream as Readable).destroy();
    await fs.rm(tmp, { force: true });
    throw err;
  }
  const stat = await fs.stat(dest);
  return {
    path: dest,
    manifestSha256: createHash('sha256').update(manifestBytes).digest('hex'),
    specimens: specimens.length,
    originals: originals.size,
    bytes: stat.size,
  };
}

function storedMismatch(original: PackageOriginal, actual: { sha256: string; bytes: number }): ExemplarError {
  return new ExemplarError('INTEGRITY_FAILED', `stored original ${original.sha256} no longer matches its sha256 or size (run \`exemplar verify\`)`, {
    sha256: original.sha256,
    actualSha256: actual.sha256,
    actualBytes: actual.bytes,
  });
}

/** Passes bytes through and fails at the end unless they hash to the expected SHA-256 and size. */
class VerifyingStream extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;

  constructor(
    private readonly expected: PackageOriginal,
    private readonly mismatch: (actual: { sha256: string; bytes: number }) => Error,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const sha256 = this.hash.digest('hex');
    if (sha256 !== this.expected.sha256 || this.bytes !== this.expected.bytes) callback(this.mismatch({ sha256, bytes: this.bytes }));
    else callback();
  }
}

// ------------------------------------------------------------------ reading

export interface TrustedSigner {
  name: string;
  fingerprint: string;
  publicKey: KeyObject;
}

export interface ReadPackageOptions {
  /** The trusted, unrevoked partner key with this fingerprint; `revoked` when it is listed but revoked. */
  findSigner: (fingerprint: string) => Promise<TrustedSigner | 'revoked' | null>;
  /** This lab's own key: a package it signed is refused as the lab's own, not as an unknown signer's. */
  ownKey?: { fingerprint: string; publicKey: KeyObject } | undefined;
  /** Scratch folder for the extracted originals (created; the caller removes it). */
  scratchDir: string;
  maxPackageBytes: number;
  maxOriginalBytes: number;
}

export interface VerifiedPackage {
  manifest: ExchangeManifest;
  manifestSha256: string;
  signer: TrustedSigner;
  /** Holds `originals/<sha256>`, each checked against the manifest. */
  dir: string;
}

const invalid = (message: string, details: Record<string, unknown> = {}) => new ExemplarError('PACKAGE_INVALID', message, details);

/** Opens, authenticates and extracts a package; throws (UNTRUSTED_SIGNER, SIGNATURE_INVALID, PACKAGE_INVALID) before the caller writes anything. */
export async function readExchangePackage(zipPath: string, options: ReadPackageOptions): Promise<VerifiedPackage> {
  const size = (await fs.stat(zipPath)).size;
  if (size > options.maxPackageBytes) {
    throw new ExemplarError('PAYLOAD_TOO_LARGE', `the package is ${size} bytes; at most ${options.maxPackageBytes} are accepted`, { bytes: size, maxBytes: options.maxPackageBytes });
  }

  // Pass 1: the member list, the manifest and its signature; nothing is extracted from an unauthenticated package.
  const members = new Set<string>();
  let manifestBytes: Buffer | undefined;
  let signatureText: string | undefined;
  await forEachEntry(zipPath, async (zip, entry) => {
    const name = entry.fileName;
    if (name.endsWith('/')) return;
    if (members.has(name)) throw invalid(`the package holds ${name} twice`, { entry: name });
    members.add(name);
    if (name === MANIFEST_ENTRY) manifestBytes = await readEntry(zip, entry, MAX_MANIFEST_BYTES);
    else if (name === SIGNATURE_ENTRY) signatureText = (await readEntry(zip, entry, MAX_SIGNATURE_BYTES)).toString('utf8');
    else if (!ORIGINAL_ENTRY.test(name)) throw invalid(`the package holds an unexpected member ${name}`, { entry: name });
  });
  if (!manifestBytes) throw invalid(`the package has no ${MANIFEST_ENTRY}`);
  if (signatureText === undefined) throw invalid(`the package has no ${SIGNATURE_ENTRY} (it is not signed)`);

  let parsed: unknown;
  try {
    parsed = JSON.parse(manifestBytes.toString('utf8'));
  } catch {
    // The signature cannot be checked without the signer's fingerprint; an unreadable manifest is refused either way.
    throw invalid(`${MANIFEST_ENTRY} is not valid JSON`);
  }
  const lab = isObject(parsed) && isObject(parsed.lab) ? parsed.lab : {};
  const fingerprint = typeof lab.fingerprint === 'string' ? lab.fingerprint : '';
  const labId = typeof lab.id === 'string' ? lab.id : undefined;
  const signed = manifestBytes;
  const signatureB64 = signatureText.trim();
  const signatureValid = (publicKey: KeyObject) => /^[A-Za-z0-9+/]+={0,2}$/.test(signatureB64) && verify(null, signed, publicKey, Buffer.from(signatureB64, 'base64'));
  const signatureInvalid = (name: string) =>
    new ExemplarError('SIGNATURE_INVALID', `the signature of ${MANIFEST_ENTRY} does not verify with ${name}'s key: the package was changed or not signed by them`, {
      fingerprint,
      partner: name,
    });
  if (options.ownKey && fingerprint === options.ownKey.fingerprint) {
    // Named as the lab's own only when its key really signed it; a forgery naming the lab's key fails as any other.
    if (!signatureValid(options.ownKey.publicKey)) throw signatureInvalid('this lab');
    throw new ExemplarError(
      'UNTRUSTED_SIGNER',
      `the package was made by this lab${labId ? ` (${labId})` : ''} and signed with its own key: there is nothing to import from it; import packages from partner labs`,
      { fingerprint, ...(labId ? { labId } : {}), own: true, revoked: false },
    );
  }
  const signer = fingerprint ? await options.findSigner(fingerprint) : null;
  if (signer === null || signer === 'revoked') {
    throw new ExemplarError(
      'UNTRUSTED_SIGNER',
      signer === 'revoked'
        ? `the package is signed by the key ${fingerprint} of ${labId ?? 'an unnamed lab'}, which has been revoked`
        : `the package is signed by ${fingerprint ? `the key ${fingerprint}` : 'no named key'} of ${labId ?? 'an unnamed lab'}, which is not a trusted partner key (an administrator adds partner keys)`,
      { fingerprint, ...(labId ? { labId } : {}), revoked: signer === 'revoked' },
    );
  }
  if (!signatureValid(signer.publicKey)) throw signatureInvalid(signer.name);
  const checked = validate('exchange-manifest', parsed);
  if (!checked.ok) throw invalid(`${MANIFEST_ENTRY} does not follow the exchange format`, { errors: checked.errors });
  const manifest = checked.value;
  checkManifestConsistency(manifest, members);

  // Pass 2: extract each original, checking its hash and size.
  const dir = path.join(options.scratchDir, 'originals');
  await fs.mkdir(dir, { recursive: true });
  const expected = new Map(manifest.originals.map((o) => [o.sha256, o]));
  await forEachEntry(zipPath, async (zip, entry) => {
    const sha = ORIGINAL_ENTRY.exec(entry.fileName)?.[1];
    if (!sha) return;
    const original = expected.get(sha) as PackageOriginal;
    if (original.bytes > options.maxOriginalBytes) {
      throw new ExemplarError('PAYLOAD_TOO_LARGE', `original ${sha} is ${original.bytes} bytes; at most ${options.maxOriginalBytes} are accepted`, { sha256: sha });
    }
    const stream = await zip.openReadStreamPromise(entry);
    const checker = new VerifyingStream(original, (actual) =>
      invalid(`original ${sha} does not match its SHA-256 or size in the manifest: the package was changed`, { sha256: sha, actualSha256: actual.sha256, actualBytes: actual.bytes }),
    );
    await pipeline(stream, limitBytes(original.bytes, sha), checker, createWriteStream(path.join(dir, sha), { flags: 'wx' }));
  });
  return { manifest, manifestSha256: createHash('sha256').update(manifestBytes).digest('hex'), signer, dir: options.scratchDir };
}

/** The manifest's originals are exactly the members, and every image of every specimen is one of them. */
function checkManifestConsistency(manifest: ExchangeManifest, members: ReadonlySet<string>): void {
  const listed = new Set<string>();
  for (const o of manifest.originals) {
    if (listed.has(o.sha256)) throw invalid(`the manifest lists original ${o.sha256} twice`, { sha256: o.sha256 });
    listed.add(o.sha256);
    if (!members.has(originalEntry(o.sha256))) throw invalid(`original ${o.sha256} is listed in the manifest but missing from the package`, { sha256: o.sha256 });
  }
  for (const name of members) {
    const sha = ORIGINAL_ENTRY.exec(name)?.[1];
    if (sha && !listed.has(sha)) throw invalid(`the package holds ${name}, which the manifest does not list`, { entry: name });
  }
  const ids = new Set<string>();
  manifest.specimens.forEach((s, i) => {
    if (ids.has(s.id)) throw invalid(`specimen ${s.id} appears twice in the manifest`, { id: s.id });
    ids.add(s.id);
    s.captures.forEach((c, j) => {
      for (const [lightSource, image] of Object.entries(c.images)) {
        if (!image) continue;
        if (image.file !== originalEntry(image.sha256) || !listed.has(image.sha256)) {
          throw invalid(`specimens[${i}].captures[${j}].images.${lightSource} refers to an original the package does not list`, { id: s.id, sha256: image.sha256 });
        }
      }
    });
  });
}

/** Stops a member that inflates beyond its declared size (the check at the end would come after the bytes were written). */
function limitBytes(max: number, sha: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > max) cb(invalid(`original ${sha} is larger than the manifest says`, { sha256: sha }));
      else cb(null, chunk);
    },
  });
}

async function forEachEntry(zipPath: string, fn: (zip: yauzl.ZipFile, entry: yauzl.Entry) => Promise<void>): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    // Names are validated by yauzl (no absolute paths, no `..`).
    zip = await yauzl.openPromise(zipPath, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: true });
  } catch (err) {
    throw invalid(`not a readable zip file: ${(err as Error).message}`);
  }
  try {
    for (;;) {
      let entry: yauzl.Entry | null;
      try {
        entry = await nextZipEntry(zip);
      } catch (err) {
        throw invalid(`the zip file is damaged: ${(err as Error).message}`);
      }
      if (!entry) break;
      try {
        await fn(zip, entry);
      } catch (err) {
        if (isExemplarError(err)) throw err;
        throw invalid(`member ${entry.fileName} cannot be read: ${(err as Error).message}`, { entry: entry.fileName });
      }
    }
  } finally {
    zip.close();
  }
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, max: number): Promise<Buffer> {
  if (entry.uncompressedSize > max) throw invalid(`${entry.fileName} is too large (${entry.uncompressedSize} bytes)`, { entry: entry.fileName });
  // The declared size is checked above; the cap holds even if the entry's bytes disagree with it.
  return readStream(await zip.openReadStreamPromise(entry), { maxBytes: max, tooLarge: () => invalid(`${entry.fileName} is larger than it declares`, { entry: entry.fileName }) });
}

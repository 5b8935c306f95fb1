/**
 * Adds a capture (one page or side under several light sources) to a
 * specimen from image files on disk — uploads spooled by the API, or files
 * the CLI imports.
 *
 * Order of work, so that a failure leaves no trace:
 * 1. check everything that needs no storage: the capture metadata, the light
 *    sources, sizes, then each image's type, pixel count and integrity (a full
 *    decode);
 * 2. hash each file and, under the per-hash locks, store each original
 *    byte-exact at `objectKeys.original(sha256)` (identical bytes are stored
 *    once) and its derivatives;
 * 3. append the capture to the specimen with a revision-checked write,
 *    recomputed from a fresh read if another writer got in first.
 * Any failure after step 2 started removes exactly the objects this call
 * created — objects that existed before are shared and stay — and the
 * record is unchanged: a record only ever references objects that exist.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isImageError, makeDerivatives, probeImage, type DerivativeManifest, type ImageProbe } from '@exemplar/image-pipeline';
import { isLightSourceId, validate, type Capture, type CaptureImage, type ImageIdentification, type LightSourceId } from '@exemplar/specimens-schema';
import type { LimitsConfig } from '../config';
import { ExemplarError } from '../errors';
import { objectKeys, type ObjectStore } from '../stores/objects.port';
import type { Actor } from './actor';
import { KeyLocks, newRecordId, timestamp, validationFailed, valueOrThrow } from './common';
import { DERIVATIVE_NAMES, isKnownDerivativeName } from './derivative-names';
import type { SpecimenService } from './specimens.service';

/** One image of a capture upload: a file on disk and the light source it was taken under. */
export interface IngestFile {
  /** A light-source id from the vocabulary (`white`, `uv-365`, `ir-870` …). */
  lightSource: string;
  path: string;
  /** The client's file name, kept for reference only (never used as a path). */
  originalName?: string | undefined;
}

export interface IngestServiceDeps {
  specimens: SpecimenService;
  objects: ObjectStore;
  /** Shared with SpecimenService: per-image-hash locks. */
  imageLocks: KeyLocks;
  limits: LimitsConfig;
  /** Scratch space for derivatives before they are stored. */
  tmpDir: string;
  now?: () => Date;
  /** Where a failed clean-up is reported (the objects are then left for `exemplar verify --repair`). */
  onCleanupError?: (key: string, err: unknown) => void;
  /**
   * Identification data of an image (IdentifyService.describeForIngest):
   * the record field and the objects it names, stored with the image's
   * other objects (and removed with them if the ingest fails).
   */
  describeImage?: (file: { path: string; lightSource: string; sha256: string }) => Promise<{ identification: ImageIdentification; objects: { key: string; body: Buffer; contentType: string }[] } | undefined>;
}

export interface CheckedFile extends IngestFile {
  lightSource: LightSourceId;
  bytes: number;
  probe: ImageProbe;
  sha256?: string;
}

const MAX_ORIGINAL_NAME = 255;

/**
 * Refuses a file field that is not a light-source id, or repeats one
 * already in `seen` (which it then extends). The API calls it per part as
 * parts arrive, so a bad upload is refused before its bytes are spooled.
 */
export function checkLightSourceField(name: string, seen: Set<string>): LightSourceId {
  if (!isLightSourceId(name)) {
    throw validationFailed('capture upload', [
      { path: `/${name}`, message: 'is not a known light source id (file fields are named by light source, e.g. white, uv-365, ir-870)', keyword: 'lightSource', params: { field: name } },
    ]);
  }
  if (seen.has(name)) {
    throw validationFailed('capture upload', [{ path: `/${name}`, message: 'a capture has at most one image per light source', keyword: 'uniqueLightSource', params: { field: name } }]);
  }
  seen.add(name);
  return name;
}

export class IngestService {
  private readonly specimens: SpecimenService;
  private readonly objects: ObjectStore;
  private readonly imageLocks: KeyLocks;
  private readonly limits: LimitsConfig;
  private readonly tmpDir: string;
  private readonly now: () => Date;
  private readonly onCleanupError: (key: string, err: unknown) => void;
  private readonly describeImage: IngestServiceDeps['describeImage'];

  constructor(deps: IngestServiceDeps) {
    this.specimens = deps.specimens;
    this.objects = deps.objects;
    this.imageLocks = deps.imageLocks;
    this.limits = deps.limits;
    this.tmpDir = deps.tmpDir;
    this.now = deps.now ?? (() => new Date());
    this.onCleanupError = deps.onCleanupError ?? (() => undefined);
    this.describeImage = deps.describeImage;
  }

  /** Stores the images and appends the capture; returns the capture as recorded. The files are only read. */
  async addCapture(specimenId: string, captureMeta: unknown, files: readonly IngestFile[], actor: Actor): Promise<Capture> {
    const meta = valueOrThrow(validate('capture-create', captureMeta), 'capture');
    if (files.length === 0) {
      throw validationFailed('capture upload', [{ path: '', message: 'a capture needs at least one image', keyword: 'minImages' }]);
    }
    if (files.length > this.limits.maxImagesPerCapture) {
      throw new ExemplarError('PAYLOAD_TOO_LARGE', `A capture has at most ${this.limits.maxImagesPerCapture} images`, {
        images: files.length,
        maxImages: this.limits.maxImagesPerCapture,
      });
    }
    const seen = new Set<string>();
    for (const f of files) checkLightSourceField(f.lightSource, seen);
    await this.specimens.get(specimenId);

    // Sequential: each probe decodes a whole image, and memory is bounded by one at a time.
    const checked: CheckedFile[] = [];
    for (const file of files) checked.push(await this.checkFile(file));
    for (const file of checked) file.sha256 = await sha256OfFile(file.path);

    const hashes = checked.map((f) => f.sha256 as string);
    return this.imageLocks.withKeys(hashes, async () => {
      const created: string[] = [];
      const scratch = await fs.mkdtemp(path.join(await this.ensureTmpDir(), 'derivatives-'));
      try {
        const derivatives = new Map<string, CaptureImage['derivatives']>();
        for (const file of checked) {
          const sha256 = file.sha256 as string;
          if (derivatives.has(sha256)) continue;
          derivatives.set(sha256, await this.storeImage(file, sha256, path.join(scratch, sha256), created));
        }
        const identifications = new Map<CheckedFile, ImageIdentification>();
        for (const file of checked) {
          const described = await this.describeImage?.({ path: file.path, lightSource: file.lightSource, sha256: file.sha256 as string });
          if (!described) continue;
          for (const o of described.objects) {
            const put = await this.objects.put(o.key, o.body, { contentType: o.contentType, bytes: o.body.length });
            if (put.created) created.push(put.key);
          }
          identifications.set(file, described.identification);
        }
        const at = timestamp(this.now());
        const capture: Capture = {
          id: newRecordId(),
          page: meta.page,
          ...(meta.device !== undefined && { device: meta.device }),
          ...(meta.dpi !== undefined && { dpi: meta.dpi }),
          ...(meta.capturedAt !== undefined && { capturedAt: meta.capturedAt }),
          ...(meta.notes !== undefined && { notes: meta.notes }),
          images: checked.map((f) => imageRecord(f, derivatives.get(f.sha256 as string) as CaptureImage['derivatives'], identifications.get(f))),
          zones: (meta.zones ?? []).map((zone) => ({ id: newRecordId(), ...zone })),
          createdAt: at,
          createdBy: actor.id,
        };
        await this.specimens.change(specimenId, actor, undefined, (current) => ({ ...current, captures: [...current.captures, capture] }));
        return capture;
      } catch (err) {
        await this.removeCreated(created);
        throw err;
      } finally {
        await fs.rm(scratch, { recursive: true, force: true });
      }
    });
  }

  /** Refuses a file as an upload is refused (413 bytes, 415 type, 413 pixels, 422 corrupt); stores nothing. */
  async checkFile(file: IngestFile): Promise<CheckedFile> {
    const lightSource = file.lightSource as LightSourceId;
    const { size } = await fs.stat(file.path);
    if (size > this.limits.maxUploadBytes) {
      throw new ExemplarError('IMAGE_TOO_LARGE', `The ${lightSource} image has ${size} bytes; at most ${this.limits.maxUploadBytes} are accepted`, {
        lightSource,
        bytes: size,
        maxBytes: this.limits.maxUploadBytes,
      });
    }
    let probe: ImageProbe;
    try {
      probe = await probeImage(file.path, { maxPixels: this.limits.maxImagePixels });
    } catch (err) {
      throw asExemplarError(err, lightSource);
    }
    const originalName = cleanOriginalName(file.originalName);
    return { lightSource, path: file.path, ...(originalName !== undefined && { originalName }), bytes: size, probe };
  }

  /**
   * Stores the original and its derivatives unless present. Keys this call
   * created are pushed to `created` as soon as they exist, so a failure at
   * any point can remove them.
   *
   * The thumbnail is stored last (and removed first, see
   * SpecimenService.releaseImages): a stored thumbnail means the whole set is
   * stored, which is what lets a later upload of the same bytes re-use it.
   */
  private async storeImage(file: CheckedFile, sha256: string, scratch: string, created: string[]): Promise<CaptureImage['derivatives']> {
    const original = await this.objects.put(objectKeys.original(sha256), createReadStream(file.path), {
      contentType: `image/${file.probe.format}`,
      bytes: file.bytes,
      expectedSha256: sha256,
    });
    if (original.created) created.push(original.key);

    const key = (name: string) => objectKeys.derivative(sha256, name);
    if (await this.objects.stat(key(DERIVATIVE_NAMES.thumbnail))) {
      const hasDzi = (await this.objects.stat(key(DERIVATIVE_NAMES.dzi))) !== null;
      return {
        thumbnail: key(DERIVATIVE_NAMES.thumbnail),
        preview: key(DERIVATIVE_NAMES.preview),
        ...(hasDzi && { dzi: key(DERIVATIVE_NAMES.dzi) }),
      };
    }

    let manifest: DerivativeManifest;
    try {
      manifest = await makeDerivatives(file.path, scratch, { maxPixels: this.limits.maxImagePixels });
    } catch (err) {
      throw asExemplarError(err, file.lightSource);
    }
    assertExpectedManifest(manifest);
    const rank = (name: string) => (name === manifest.thumbnail ? 3 : name === manifest.preview ? 2 : name === manifest.dzi ? 1 : 0);
    const ordered = [...manifest.files].sort((a, b) => rank(a.name) - rank(b.name));
    for (const f of ordered) {
      const put = await this.objects.put(key(f.name), createReadStream(path.join(scratch, ...f.name.split('/'))), {
        contentType: f.contentType,
        bytes: f.bytes,
      });
      if (put.created) created.push(put.key);
    }
    return {
      thumbnail: key(manifest.thumbnail),
      preview: key(manifest.preview),
      ...(manifest.dzi !== undefined && { dzi: key(manifest.dzi) }),
    };
  }

  private async removeCreated(keys: readonly string[]): Promise<void> {
    for (const key of [...keys].reverse()) {
      try {
        await this.objects.delete(key);
      } catch (err) {
        this.onCleanupError(key, err);
      }
    }
  }

  private async ensureTmpDir(): Promise<string> {
    await fs.mkdir(this.tmpDir, { recursive: true });
    return this.tmpDir;
  }
}

function imageRecord(file: CheckedFile, derivatives: CaptureImage['derivatives'], identification?: ImageIdentification): CaptureImage {
  const { probe } = file;
  return {
    lightSource: file.lightSource,
    sha256: file.sha256 as string,
    bytes: file.bytes,
    width: probe.width,
    height: probe.height,
    format: probe.format,
    bitDepth: probe.bitDepth,
    channels: probe.channels,
    hasIccProfile: probe.hasIccProfile,
    ...(probe.orientation !== undefined && { orientation: probe.orientation }),
    ...(file.originalName !== undefined && { originalName: file.originalName }),
    ...(identification !== undefined && { identification }),
    derivatives,
  };
}

function assertExpectedManifest(manifest: DerivativeManifest): void {
  const unexpected = manifest.files.map((f) => f.name).filter((name) => !isKnownDerivativeName(name));
  if (manifest.thumbnail !== DERIVATIVE_NAMES.thumbnail || manifest.preview !== DERIVATIVE_NAMES.preview || (manifest.dzi !== undefined && manifest.dzi !== DERIVATIVE_NAMES.dzi) || unexpected.length > 0) {
    throw new ExemplarError('INTERNAL', 'image-pipeline wrote derivatives under names the server does not serve', { unexpected });
  }
}

function asExemplarError(err: unknown, lightSource: string): unknown {
  if (!isImageError(err)) return err;
  return new ExemplarError(err.code, `${lightSource} image: ${err.message}`, { ...err.details, lightSource }, { cause: err });
}

/** The client's file name, reduced to a plain name that fits the record. */
function cleanOriginalName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  // eslint-disable-next-line no-control-regex
  const base = path.basename(name.replace(/\\/g, '/')).replace(/[\u0000-\u001f\u007f]/g, '').trim();
  if (base === '' || base === '.' || base === '..') return undefined;
  return [...base].slice(0, MAX_ORIGINAL_NAME).join('');
}

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * Adds a capture (one page or side under several light sources) to a
 * specimen from image files on disk — uploads spooled by the API, or files
 * the CLI imports.
 *
 * Order of work, so that a failure leaves no trace:
 * 1. check everything that needs no storage: the capture metadata, the light
 *    sources, sizes; then, for all images at once (decodes bounded process-
 *    wide), hash each file and decode it once into its derivatives in a
 *    scratch folder — that full decode is also the integrity check — and
 *    compute its identification data;
 * 2. under the per-hash locks, store each original byte-exact at
 *    `objectKeys.original(sha256)` (identical bytes are stored once) and its
 *    derivatives unless a complete set is already stored;
 * 3. append the capture to the specimen with a revision-checked write,
 *    recomputed from a fresh read if another writer got in first.
 * Any failure after step 2 started removes exactly the objects this call
 * created — objects that existed before are shared and stay — once every
 * parallel store has stopped, and the record is unchanged: a record only
 * ever references objects that exist.
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { isImageError, probeAndMakeDerivatives, probeImage, type DerivativeFile, type DerivativeManifest, type ImageProbe } from '@exemplar/image-pipeline';
import { isLightSourceId, validate, type Capture, type CaptureImage, type ImageIdentification, type LightSourceId } from '@exemplar/specimens-schema';
import type { LimitsConfig } from '../config';
import { ExemplarError, isExemplarError, mayHaveBeenWritten } from '../errors';
import { objectKeys, type ObjectStore } from '../stores/objects.port';
import type { Actor } from './actor';
import { formatByteCount, imageNamed, KeyLocks, newRecordId, sha256OfFile, timestamp, validationFailed, valueOrThrow } from './common';
import { DERIVATIVE_NAMES, isKnownDerivativeName } from './derivative-names';
import { mapSettled, WorkLimiter } from './ingest-work';
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
  describeImage?: (file: { path: string; lightSource: string; sha256: string }) => Promise<DescribedImage | undefined>;
}

export interface CheckedFile extends IngestFile {
  lightSource: LightSourceId;
  bytes: number;
  probe: ImageProbe;
}

/** A checked image with everything ingest stores for it, ready in a scratch folder. */
interface PreparedFile extends CheckedFile {
  sha256: string;
  derivatives: DerivativeManifest;
  /** The folder `derivatives` names its files in. */
  scratch: string;
  described?: DescribedImage;
}

type DescribedImage = { identification: ImageIdentification; objects: { key: string; body: Buffer; contentType: string }[] };

const MAX_ORIGINAL_NAME = 255;
/**
 * Images decoded at once in this process, over every ingest in flight. sharp
 * runs each decode on one libuv thread (its own concurrency is 1 on glibc),
 * so this is the parallelism; one thread of libuv's default four stays free
 * for the file reads and writes that hashing and storing need.
 */
const DECODES_AT_ONCE = 3;
// Object puts of one image at once: enough to overlap the fsyncs of many small tiles.
const PUTS_AT_ONCE = 8;

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
  private readonly decodeLimiter = new WorkLimiter(DECODES_AT_ONCE);

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
    await this.specimens.assertWritable(specimenId, actor);
    const sizes: number[] = [];
    for (const f of files) sizes.push(await this.checkSize(f));

    const scratch = await fs.mkdtemp(path.join(await this.ensureTmpDir(), 'derivatives-'));
    try {
      // Nothing is stored until every image has been decoded, derived and described.
      const prepared = await mapSettled(files, files.length, (file, i) => this.prepareFile(file, sizes[i] as number, path.join(scratch, String(i))));
      const firstOfHash = new Map<string, PreparedFile>();
      for (const f of prepared) if (!firstOfHash.has(f.sha256)) firstOfHash.set(f.sha256, f);

      return await this.imageLocks.withKeys(firstOfHash.keys(), async () => {
        const created: string[] = [];
        try {
          const stored = await mapSettled([...firstOfHash.values()], firstOfHash.size, async (f) => [f.sha256, await this.storeImage(f, created)] as const);
          const derivatives = new Map(stored);
          // Two lights may carry the same bytes, and so name the same objects: each is put once.
          const describedObjects = new Map(prepared.flatMap((f) => f.described?.objects ?? []).map((o) => [o.key, o]));
          await mapSettled([...describedObjects.values()], PUTS_AT_ONCE, async (o) => {
            const put = await this.objects.put(o.key, o.body, { contentType: o.contentType, bytes: o.body.length });
            if (put.created) created.push(put.key);
          });
          const at = timestamp(this.now());
          const capture: Capture = {
            id: newRecordId(),
            page: meta.page,
            ...(meta.device !== undefined && { device: meta.device }),
            ...(meta.dpi !== undefined && { dpi: meta.dpi }),
            ...(meta.capturedAt !== undefined && { capturedAt: meta.capturedAt }),
            ...(meta.notes !== undefined && { notes: meta.notes }),
            images: prepared.map((f) => imageRecord(f, derivatives.get(f.sha256) as CaptureImage['derivatives'], f.described?.identification)),
            zones: (meta.zones ?? []).map((zone) => ({ id: newRecordId(), ...zone })),
            createdAt: at,
            createdBy: actor.id,
          };
          await this.specimens.change(specimenId, actor, undefined, (current) => ({ ...current, captures: [...current.captures, capture] }), {
            action: 'capture.create',
            details: { captureId: capture.id },
          });
          return capture;
        } catch (err) {
          // A capture saved but not audited, or not confirmed by the store, keeps its images: the record (may) refer to them.
          if (!mayHaveBeenWritten(err)) await this.removeCreated(created);
          throw err;
        }
      });
    } finally {
      await fs.rm(scratch, { recursive: true, force: true });
    }
  }

  /** Refuses a file as an upload is refused (413 bytes, 415 type, 413 pixels, 422 corrupt); stores nothing. */
  async checkFile(file: IngestFile): Promise<CheckedFile> {
    const bytes = await this.checkSize(file);
    let probe: ImageProbe;
    try {
      probe = await probeImage(file.path, { maxPixels: this.limits.maxImagePixels });
    } catch (err) {
      throw asExemplarError(err, file.lightSource);
    }
    return checkedFile(file, bytes, probe);
  }

  /** The file's size in bytes, or 413 beyond the upload limit (415 for an empty file: no image at all). */
  private async checkSize(file: IngestFile): Promise<number> {
    const { size } = await fs.stat(file.path);
    if (size === 0) throw new ExemplarError('IMAGE_UNSUPPORTED', `The ${imageNamed(file.lightSource)} file is empty`, { lightSource: file.lightSource, bytes: 0 });
    if (size > this.limits.maxUploadBytes) {
      throw new ExemplarError('IMAGE_TOO_LARGE', `The ${imageNamed(file.lightSource)} has ${formatByteCount(size)}; at most ${formatByteCount(this.limits.maxUploadBytes)} are accepted`, {
        lightSource: file.lightSource,
        bytes: size,
        maxBytes: this.limits.maxUploadBytes,
      });
    }
    return size;
  }

  /**
   * Everything an image needs before it can be stored, refused as checkFile
   * refuses: its hash, its derivatives in `scratch` (from the same decode
   * that checks its integrity) and its identification data. Stores nothing.
   */
  private async prepareFile(file: IngestFile, bytes: number, scratch: string): Promise<PreparedFile> {
    const hashing = sha256OfFile(file.path);
    // The descriptor runs in the pipeline's worker threads while sharp derives here.
    const describing = hashing.then((sha256) => this.describeImage?.({ path: file.path, lightSource: file.lightSource, sha256 }));
    const [decoded, hashed, described] = await Promise.allSettled([
      this.decodeLimiter.run(() => probeAndMakeDerivatives(file.path, scratch, { maxPixels: this.limits.maxImagePixels })),
      hashing,
      describing,
    ]);
    // The image's own refusal (415/413/422) is what the client can act on, so it wins over the other failures.
    if (decoded.status === 'rejected') throw asExemplarError(decoded.reason, file.lightSource);
    if (hashed.status === 'rejected') throw hashed.reason;
    if (described.status === 'rejected') throw described.reason;
    const { probe, derivatives } = decoded.value;
    assertExpectedManifest(derivatives);
    return {
      ...checkedFile(file, bytes, probe),
      sha256: hashed.value,
      derivatives,
      scratch,
      ...(described.value !== undefined && { described: described.value }),
    };
  }

  /**
   * Stores the original and, unless a stored set already exists, its
   * derivatives from scratch. Keys this call created are pushed to `created`
   * as soon as they exist, so a failure at any point can remove them.
   *
   * The thumbnail is stored last (and removed first, see
   * SpecimenService.releaseImages): a stored thumbnail means the whole set is
   * stored, which is what lets a later upload of the same bytes re-use it.
   */
  private async storeImage(file: PreparedFile, created: string[]): Promise<CaptureImage['derivatives']> {
    const { sha256 } = file;
    const key = (name: string) => objectKeys.derivative(sha256, name);
    const putOriginal = async () => {
      const put = await this.objects.put(objectKeys.original(sha256), createReadStream(file.path), {
        contentType: `image/${file.probe.format}`,
        bytes: file.bytes,
        expectedSha256: sha256,
      });
      if (put.created) created.push(put.key);
    };

    if (await this.objects.stat(key(DERIVATIVE_NAMES.thumbnail))) {
      await putOriginal();
      const hasDzi = (await this.objects.stat(key(DERIVATIVE_NAMES.dzi))) !== null;
      return {
        thumbnail: key(DERIVATIVE_NAMES.thumbnail),
        preview: key(DERIVATIVE_NAMES.preview),
        ...(hasDzi && { dzi: key(DERIVATIVE_NAMES.dzi) }),
      };
    }

    const manifest = file.derivatives;
    const putDerivative = async (f: DerivativeFile) => {
      const put = await this.objects.put(key(f.name), createReadStream(path.join(file.scratch, ...f.name.split('/'))), {
        contentType: f.contentType,
        bytes: f.bytes,
      });
      if (put.created) created.push(put.key);
    };
    const thumbnail = manifest.files.find((f) => f.name === manifest.thumbnail) as DerivativeFile;
    // Everything but the thumbnail at once (a pyramid can hold hundreds of tiles, each put waits on an fsync); the thumbnail last.
    const first: Array<() => Promise<void>> = [putOriginal, ...manifest.files.filter((f) => f !== thumbnail).map((f) => () => putDerivative(f))];
    await mapSettled(first, PUTS_AT_ONCE, (put) => put());
    await putDerivative(thumbnail);
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

function checkedFile(file: IngestFile, bytes: number, probe: ImageProbe): CheckedFile {
  const originalName = cleanOriginalName(file.originalName);
  return { lightSource: file.lightSource as LightSourceId, path: file.path, ...(originalName !== undefined && { originalName }), bytes, probe };
}

function imageRecord(file: PreparedFile, derivatives: CaptureImage['derivatives'], identification?: ImageIdentification): CaptureImage {
  const { probe } = file;
  return {
    lightSource: file.lightSource,
    sha256: file.sha256,
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
  return new ExemplarError(err.code, `${imageNamed(lightSource)}: ${err.message}`, { ...err.details, lightSource }, { cause: err });
}

/** The client's file name, reduced to a plain name that fits the record. */
function cleanOriginalName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  // eslint-disable-next-line no-control-regex
  const base = path.basename(name.replace(/\\/g, '/')).replace(/[\u0000-\u001f\u007f]/g, '').trim();
  if (base === '' || base === '.' || base === '..') return undefined;
  return [...base].slice(0, MAX_ORIGINAL_NAME).join('');
}

/**
 * Reading stored images: originals by SHA-256 (byte ranges for large files),
 * their thumbnail and preview, and the deep-zoom descriptor and tiles.
 *
 * The content type of what is served is never taken on trust: it is one of
 * the raster image types, decided from the object's first bytes when the
 * store has none recorded, or `application/octet-stream`. Uploaded bytes are
 * thus never served with an active type (HTML, SVG, XML).
 */
import type { Readable } from 'node:stream';
import { sniffImageType } from '@exemplar/image-pipeline';
import type { AuditService } from '../audit/audit.service';
import { assertCan, canSee } from '../auth/policy';
import { ExemplarError, notFound } from '../errors';
import { readStream } from '../read-stream';
import type { CatalogStore } from '../stores/catalog.port';
import { objectKeys, type ByteRange, type ObjectStat, type ObjectStore } from '../stores/objects.port';
import type { Actor } from './actor';
import { DERIVATIVE_NAMES, dziObjectName, type PreviewKind } from './derivative-names';

const SHA256 = /^[0-9a-f]{64}$/;
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/tiff', 'image/webp']);
const SNIFF_BYTES = 16;

export interface StoredImage {
  readonly key: string;
  /** The SHA-256 the bytes must have (originals); derivatives have none recorded. */
  readonly sha256?: string;
  readonly bytes: number;
  readonly contentType: string;
  readonly lastModified: Date;
  /** The whole object, or the inclusive `range` of it. RANGE_NOT_SATISFIABLE outside the object. */
  open(range?: ByteRange): Promise<Readable>;
  /**
   * Records the read in the audit trail, for a read that counts as one.
   * Called by whoever sends the bytes, once they go out (a 200 or a 206),
   * not for an answer that sends none (304, 416, HEAD).
   */
  readonly recordRead?: () => Promise<void>;
}

export interface ImagesServiceDeps {
  objects: ObjectStore;
  /** Which specimens reference an image decides who may see it. */
  catalog: CatalogStore;
  /** Every read of an original is recorded in the audit trail (when its bytes are sent). */
  audit?: AuditService;
}

/** Specimens looked at to decide whether an image is visible (one the actor may see is enough). */
const REFERENCES_CHECKED = 50;
/** A viewer fetches dozens of tiles of one image at once; who may see it is looked up once per burst. */
const CLASSIFICATION_CACHE_MS = 5_000;
const CLASSIFICATION_CACHE_ENTRIES = 500;

export class ImagesService {
  private readonly objects: ObjectStore;
  private readonly catalog: CatalogStore;
  private readonly audit: AuditService | undefined;
  private readonly classificationCache = new Map<string, { at: number; classifications: Promise<Set<string>> }>();

  constructor(deps: ImagesServiceDeps) {
    this.objects = deps.objects;
    this.catalog = deps.catalog;
    this.audit = deps.audit;
  }

  /**
   * The original as uploaded, read by `actor` (audited once sent: `recordRead`). FORBIDDEN without
   * `images:read-original`; IMAGE_NOT_FOUND when no object has this hash or
   * no specimen the actor may see references it.
   */
  async original(sha256: string, actor: Actor): Promise<StoredImage> {
    assertSha256(sha256);
    assertCan(actor, 'images:read-original');
    await this.assertVisible(sha256, actor);
    const image = await this.image(objectKeys.original(sha256), { sha256 });
    // Named by its hash: sent whole, it is checked against it.
    return {
      ...image,
      sha256,
      recordRead: async () => {
        await this.audit?.record({ actor, action: 'image.read-original', target: { kind: 'image', id: sha256 }, hashes: { original: sha256 } });
      },
    };
  }

  /** The thumbnail or preview derived from an original (visibility as for the original). */
  async derivative(sha256: string, kind: PreviewKind, actor: Actor): Promise<StoredImage> {
    assertSha256(sha256);
    assertCan(actor, 'specimens:read');
    await this.assertVisible(sha256, actor);
    return this.image(objectKeys.derivative(sha256, DERIVATIVE_NAMES[kind]), { sha256, derivative: kind });
  }

  /**
   * The deep-zoom descriptor (`image.dzi`) or one of its tiles
   * (`image_files/<level>/<col>_<row>.<ext>`), addressed as a DZI viewer does
   * relative to the descriptor.
   */
  async tile(sha256: string, path: string, actor: Actor): Promise<StoredImage> {
    assertSha256(sha256);
    assertCan(actor, 'specimens:read');
    await this.assertVisible(sha256, actor);
    const name = dziObjectName(path);
    if (name === undefined) throw notFound('IMAGE_NOT_FOUND', 'Tile', { sha256, path });
    const key = objectKeys.derivative(sha256, name);
    if (name === DERIVATIVE_NAMES.dzi) {
      const stat = await this.stat(key, { sha256, path });
      return this.stored(stat, 'application/xml');
    }
    return this.image(key, { sha256, path });
  }

  /** IMAGE_NOT_FOUND unless a specimen the actor may see references the image (the operator's tools see every stored image). */
  private async assertVisible(sha256: string, actor: Actor): Promise<void> {
    if (actor.role === 'system') return;
    const classifications = await this.referencingClassifications(sha256);
    if (![...classifications].some((c) => canSee(actor, c as Parameters<typeof canSee>[1]))) throw notFound('IMAGE_NOT_FOUND', 'Image', { sha256 });
  }

  private referencingClassifications(sha256: string): Promise<Set<string>> {
    const now = Date.now();
    const cached = this.classificationCache.get(sha256);
    if (cached && now - cached.at < CLASSIFICATION_CACHE_MS) return cached.classifications;
    const classifications = (async () => {
      const ids = await this.catalog.specimens.referencingSpecimens(objectKeys.original(sha256), REFERENCES_CHECKED);
      // Independent reads: at once, not one round trip after another.
      const specimens = await Promise.all(ids.map((id) => this.catalog.specimens.get(id)));
      return new Set(specimens.flatMap((specimen) => (specimen ? [specimen.classification ?? 'public'] : [])));
    })();
    this.classificationCache.delete(sha256);
    this.classificationCache.set(sha256, { at: now, classifications });
    while (this.classificationCache.size > CLASSIFICATION_CACHE_ENTRIES) this.classificationCache.delete(this.classificationCache.keys().next().value!);
    // A failed lookup is not remembered.
    classifications.catch(() => this.classificationCache.delete(sha256));
    return classifications;
  }

  private async image(key: string, details: Record<string, unknown>): Promise<StoredImage> {
    const stat = await this.stat(key, details);
    const recorded = stat.contentType?.split(';')[0]?.trim().toLowerCase();
    const contentType = recorded && IMAGE_TYPES.has(recorded) ? recorded : await this.sniff(stat);
    return this.stored(stat, contentType);
  }

  private async stat(key: string, details: Record<string, unknown>): Promise<ObjectStat> {
    const stat = await this.objects.stat(key);
    if (!stat) throw notFound('IMAGE_NOT_FOUND', 'Image', details);
    return stat;
  }

  private async sniff(stat: ObjectStat): Promise<string> {
    if (stat.bytes === 0) return 'application/octet-stream';
    const head = await readStream(await this.objects.get(stat.key, { start: 0, end: Math.min(stat.bytes, SNIFF_BYTES) - 1 }));
    const sniffed = sniffImageType(head);
    return sniffed.accepted ? `image/${sniffed.format}` : 'application/octet-stream';
  }

  private stored(stat: ObjectStat, contentType: string): StoredImage {
    return {
      key: stat.key,
      bytes: stat.bytes,
      contentType,
      lastModified: stat.lastModified,
      open: (range) => this.objects.get(stat.key, range),
    };
  }
}

function assertSha256(sha256: string): void {
  if (!SHA256.test(sha256)) throw new ExemplarError('BAD_REQUEST', 'An image is named by the SHA-256 of its bytes: 64 lowercase hex digits', { sha256 });
}

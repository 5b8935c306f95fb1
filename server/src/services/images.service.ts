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
import { ExemplarError, notFound } from '../errors';
import { objectKeys, type ByteRange, type ObjectStat, type ObjectStore } from '../stores/objects.port';
import type { Actor } from './actor';
import { DERIVATIVE_NAMES, dziObjectName, type PreviewKind } from './derivative-names';

const SHA256 = /^[0-9a-f]{64}$/;
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/tiff', 'image/webp']);
const SNIFF_BYTES = 16;

export interface StoredImage {
  readonly key: string;
  readonly bytes: number;
  readonly contentType: string;
  readonly lastModified: Date;
  /** The whole object, or the inclusive `range` of it. RANGE_NOT_SATISFIABLE outside the object. */
  open(range?: ByteRange): Promise<Readable>;
}

export interface ImagesServiceDeps {
  objects: ObjectStore;
  /** Every read of an original is recorded in the audit trail. */
  audit?: AuditService;
}

export class ImagesService {
  private readonly objects: ObjectStore;
  private readonly audit: AuditService | undefined;

  constructor(deps: ImagesServiceDeps) {
    this.objects = deps.objects;
    this.audit = deps.audit;
  }

  /** The original as uploaded, read by `actor` (audited). IMAGE_NOT_FOUND when no object has this hash. */
  async original(sha256: string, actor: Actor): Promise<StoredImage> {
    assertSha256(sha256);
    const image = await this.image(objectKeys.original(sha256), { sha256 });
    await this.audit?.record({ actor, action: 'image.read-original', target: { kind: 'image', id: sha256 }, hashes: { original: sha256 } });
    return image;
  }

  /** The thumbnail or preview derived from an original. */
  async derivative(sha256: string, kind: PreviewKind): Promise<StoredImage> {
    assertSha256(sha256);
    return this.image(objectKeys.derivative(sha256, DERIVATIVE_NAMES[kind]), { sha256, derivative: kind });
  }

  /**
   * The deep-zoom descriptor (`image.dzi`) or one of its tiles
   * (`image_files/<level>/<col>_<row>.<ext>`), addressed as a DZI viewer does
   * relative to the descriptor.
   */
  async tile(sha256: string, path: string): Promise<StoredImage> {
    assertSha256(sha256);
    const name = dziObjectName(path);
    if (name === undefined) throw notFound('IMAGE_NOT_FOUND', 'Tile', { sha256, path });
    const key = objectKeys.derivative(sha256, name);
    if (name === DERIVATIVE_NAMES.dzi) {
      const stat = await this.stat(key, { sha256, path });
      return this.stored(stat, 'application/xml');
    }
    return this.image(key, { sha256, path });
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
    const head = await readAll(await this.objects.get(stat.key, { start: 0, end: Math.min(stat.bytes, SNIFF_BYTES) - 1 }));
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

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

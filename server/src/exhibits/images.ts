/**
 * Every image an exhibit names: read once through the loader, its SHA-256
 * checked against the record before anything is built, and (for the report)
 * reduced with fixed sharp settings so that the PDF stays small and the same
 * bytes always give the same reduction.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { ExemplarError } from '../errors';
import type { ExhibitImageLoader, ExhibitImageRef, ExhibitInput } from './types';

/** Where an image goes in the bundle: originals are evidence, outputs are what the comparison derived. */
export type ExhibitImageKind = 'original' | 'output';

export interface ExhibitImageUse {
  kind: ExhibitImageKind;
  /** Human description: `questioned Q-1 · white`, `comparison C-1 · uv-365 · heatmap` … */
  role: string;
  ref: ExhibitImageRef;
}

export interface LoadedImage {
  sha256: string;
  kind: ExhibitImageKind;
  /** Every use, in record order. */
  roles: string[];
  bytes: Buffer;
  format: string;
  width: number;
  height: number;
  /** `originals/<sha256>.<ext>` or `outputs/<sha256>.<ext>`. */
  bundlePath: string;
}

/** Long side of an image embedded in the report: about 300 dpi at half an A4 page. */
const REPORT_IMAGE_MAX_SIDE = 1200;
const REPORT_JPEG = { quality: 82, chromaSubsampling: '4:4:4', progressive: false, mozjpeg: false, optimiseCoding: true } as const;

const EXTENSIONS: Record<string, string> = { jpeg: 'jpg', png: 'png', tiff: 'tif', webp: 'webp', jp2: 'jp2', heif: 'heif', gif: 'gif' };

/** Every image use in the record, in a fixed order (questioned, references, comparisons). */
export function listImageUses(input: ExhibitInput): ExhibitImageUse[] {
  const uses: ExhibitImageUse[] = [];
  for (const q of input.questioned) for (const img of q.images) uses.push({ kind: 'original', role: `questioned ${q.id} · ${img.lightSource}`, ref: img });
  for (const r of input.references) for (const img of r.images) uses.push({ kind: 'original', role: `reference ${r.id} · ${img.lightSource}`, ref: img });
  for (const c of input.comparisons) {
    for (const l of c.lights) {
      const at = `comparison ${c.id} · ${l.lightSource}`;
      uses.push({ kind: 'original', role: `${at} · questioned`, ref: l.questioned });
      uses.push({ kind: 'original', role: `${at} · reference`, ref: l.reference });
      uses.push({ kind: 'output', role: `${at} · aligned`, ref: l.aligned });
      uses.push({ kind: 'output', role: `${at} · heatmap`, ref: l.heatmap });
    }
  }
  return uses;
}

/**
 * Reads every image once (by key), checks its SHA-256 and decodes its header.
 * Fails with INTEGRITY_FAILED, naming the key, on the first mismatch: an
 * exhibit is never built from bytes other than those the record vouches for.
 */
export async function loadExhibitImages(input: ExhibitInput, load: ExhibitImageLoader): Promise<Map<string, LoadedImage>> {
  const byKey = new Map<string, Promise<Buffer>>();
  const images = new Map<string, LoadedImage>();
  for (const use of listImageUses(input)) {
    const { key, sha256 } = use.ref;
    let pending = byKey.get(key);
    if (!pending) {
      pending = load(key);
      byKey.set(key, pending);
    }
    let bytes: Buffer;
    try {
      bytes = await pending;
    } catch (err) {
      if (err instanceof ExemplarError) throw err;
      throw new ExemplarError('INTERNAL', `exhibit: could not read image ${key}: ${err instanceof Error ? err.message : String(err)}`, { key }, { cause: err });
    }
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) {
      throw new ExemplarError('INTEGRITY_FAILED', `exhibit: image ${key} (${use.role}) hashes to ${actual}, the record expects ${sha256}`, {
        key,
        role: use.role,
        expectedSha256: sha256,
        actualSha256: actual,
      });
    }
    const known = images.get(sha256);
    if (known) {
      known.roles.push(use.role);
      // Bytes used as evidence anywhere belong with the originals.
      if (use.kind === 'original' && known.kind === 'output') {
        known.kind = 'original';
        known.bundlePath = `originals/${known.bundlePath.slice('outputs/'.length)}`;
      }
      continue;
    }
    let meta: sharp.Metadata;
    try {
      meta = await sharp(bytes, { failOn: 'error' }).metadata();
    } catch (err) {
      throw new ExemplarError('IMAGE_CORRUPT', `exhibit: image ${key} (${use.role}) cannot be decoded: ${err instanceof Error ? err.message : String(err)}`, { key }, { cause: err });
    }
    const format = meta.format ?? 'unknown';
    const ext = EXTENSIONS[format] ?? 'bin';
    images.set(sha256, {
      sha256,
      kind: use.kind,
      roles: [use.role],
      bytes,
      format,
      width: meta.width ?? 0,
      height: meta.height ?? 0,
      bundlePath: `${use.kind === 'original' ? 'originals' : 'outputs'}/${sha256}.${ext}`,
    });
  }
  return images;
}

/** A baseline JPEG no larger than the report needs; transparent areas become white. */
export async function reportImage(image: LoadedImage): Promise<{ jpeg: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(image.bytes, { failOn: 'error' })
    .resize({ width: REPORT_IMAGE_MAX_SIDE, height: REPORT_IMAGE_MAX_SIDE, fit: 'inside', withoutEnlargement: true, kernel: 'lanczos3' })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .jpeg(REPORT_JPEG)
    .toBuffer({ resolveWithObject: true });
  return { jpeg: data, width: info.width, height: info.height };
}

import fs from 'node:fs/promises';
import path from 'node:path';
import type { Metadata } from 'sharp';
import { asImageError, openImage, readMetadata, toDisplayColour, type DecodeLimits } from './decode-pipeline';
import { probeHeader, type ImageProbe, type ProbeLimits } from './probe';

export interface DerivativeFile {
  /** Relative to the output folder, `/`-separated; the server stores it at `objectKeys.derivative(sha256, name)`. */
  name: string;
  bytes: number;
  contentType: string;
}

export interface DerivativeManifest {
  /** Names (within `files`) of each derivative. */
  thumbnail: string;
  preview: string;
  /** The Deep Zoom descriptor; its tiles are `<base>_files/<level>/<col>_<row>.<ext>` beside it. Only for originals larger than the preview. */
  dzi?: string;
  /** Size of the original as displayed (after EXIF orientation); the full-resolution DZI level has this size. */
  width: number;
  height: number;
  /** Every file written, in name order. */
  files: DerivativeFile[];
}

export interface DerivativeOptions extends DecodeLimits {
  thumbnailLongEdge?: number;
  previewLongEdge?: number;
  tileSize?: number;
  tileOverlap?: number;
}

export const DERIVATIVE_DEFAULTS = {
  thumbnailLongEdge: 320,
  previewLongEdge: 2048,
  // With a one-pixel overlap on each side, inner tiles are 512 px: no seams when a viewer scales them.
  tileSize: 510,
  tileOverlap: 1,
} as const;

const THUMBNAIL = 'thumbnail.webp';
const PREVIEW = 'preview.jpg';
const DZI_BASE = 'tiles';
// The decoded original in libvips' native format; only ever a scratch file.
const DECODED = 'decoded.v';
// Document detail (microprint, fine lines in colour) suffers from chroma subsampling; keep full colour resolution.
const JPEG = { quality: 88, chromaSubsampling: '4:4:4', mozjpeg: false } as const;

const CONTENT_TYPES: Record<string, string> = {
  '.webp': 'image/webp',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.dzi': 'application/xml',
};

async function filesUnder(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
    const name = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await filesUnder(root, name)));
    else if (entry.isFile()) out.push(name);
  }
  return out;
}

export interface PreparedImage {
  probe: ImageProbe;
  derivatives: DerivativeManifest;
}

/**
 * `probeImage` and `makeDerivatives` in one pass over the pixels: the decode
 * that writes the derivatives is the full decode that catches a truncated or
 * damaged body, so an accepted image costs one decode instead of three.
 * Throws the same ImageErrors as `probeImage`; on any failure `outDir` is
 * left as it was.
 */
export async function probeAndMakeDerivatives(inputPath: string, outDir: string, options: DerivativeOptions & ProbeLimits): Promise<PreparedImage> {
  const meta = await readMetadata(inputPath);
  const probe = probeHeader(meta, options);
  return { probe, derivatives: await writeDerivatives(inputPath, meta, outDir, options) };
}

/**
 * Writes the display derivatives of an original into `outDir` (created when
 * absent; give an empty folder): a WebP thumbnail, a JPEG preview, and for
 * originals larger than the preview a Deep Zoom pyramid that OpenSeadragon
 * opens directly. All are 8-bit sRGB (or grey), turned upright by EXIF
 * orientation, stripped of metadata. The original is only read.
 *
 * Throws ImageError IMAGE_CORRUPT / IMAGE_TOO_LARGE when the original cannot
 * be decoded; on any failure the files written so far are removed.
 */
export async function makeDerivatives(inputPath: string, outDir: string, options: DerivativeOptions = {}): Promise<DerivativeManifest> {
  return writeDerivatives(inputPath, await readMetadata(inputPath), outDir, options);
}

async function writeDerivatives(inputPath: string, meta: Metadata, outDir: string, options: DerivativeOptions): Promise<DerivativeManifest> {
  const o = { ...DERIVATIVE_DEFAULTS, ...options };
  const width = meta.autoOrient.width;
  const height = meta.autoOrient.height;
  const inside = (edge: number) => ({ width: edge, height: edge, fit: 'inside', withoutEnlargement: true }) as const;
  const decoded = path.join(outDir, DECODED);
  const written = [THUMBNAIL, PREVIEW, `${DZI_BASE}.dzi`, `${DZI_BASE}_files`, DECODED].map((n) => path.join(outDir, n));

  await fs.mkdir(outDir, { recursive: true });
  try {
    try {
      // The original is decoded once, upright and in display colour, into libvips' own uncompressed format;
      // every derivative reads those pixels back (memory-mapped) instead of decoding the original again.
      // A file on disk rather than a buffer keeps memory flat for originals of a hundred megapixels.
      await toDisplayColour(openImage(inputPath, { maxPixels: o.maxPixels, autoOrient: true }), meta).toFile(decoded);
      const display = () => openImage(decoded, { maxPixels: o.maxPixels });
      await display().resize(inside(o.previewLongEdge)).jpeg(JPEG).toFile(path.join(outDir, PREVIEW));
      await display().resize(inside(o.thumbnailLongEdge)).webp({ quality: 82 }).toFile(path.join(outDir, THUMBNAIL));
      if (Math.max(width, height) > o.previewLongEdge) {
        await display()
          .jpeg(JPEG)
          .tile({ layout: 'dz', size: o.tileSize, overlap: o.tileOverlap })
          .toFile(path.join(outDir, DZI_BASE));
        // libvips' dump of the original's header fields: not a tile, and not for publishing.
        await fs.rm(path.join(outDir, `${DZI_BASE}_files`, 'vips-properties.xml'), { force: true });
      }
    } catch (err) {
      throw asImageError(err);
    } finally {
      await fs.rm(decoded, { force: true });
    }

    const names = (await filesUnder(outDir)).filter((n) => n === THUMBNAIL || n === PREVIEW || n.startsWith(`${DZI_BASE}.`) || n.startsWith(`${DZI_BASE}_files/`));
    names.sort();
    const files = await Promise.all(
      names.map(async (name) => ({
        name,
        bytes: (await fs.stat(path.join(outDir, name))).size,
        contentType: CONTENT_TYPES[path.extname(name).toLowerCase()] ?? 'application/octet-stream',
      })),
    );
    const manifest: DerivativeManifest = { thumbnail: THUMBNAIL, preview: PREVIEW, width, height, files };
    if (names.includes(`${DZI_BASE}.dzi`)) manifest.dzi = `${DZI_BASE}.dzi`;
    return manifest;
  } catch (err) {
    await Promise.all(written.map((p) => fs.rm(p, { recursive: true, force: true })));
    throw err;
  }
}

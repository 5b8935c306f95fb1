import type { Metadata } from 'sharp';
import { asImageError, openImage, readMetadata } from './decode-pipeline';
import { ImageError } from './image-error';
import type { AcceptedFormat } from './sniff';

export interface ImageProbe {
  format: AcceptedFormat;
  /** Stored pixel grid (before EXIF orientation). */
  width: number;
  height: number;
  /** As displayed, after EXIF orientation (swapped for orientations 5–8); derivatives have this shape. */
  orientedWidth: number;
  orientedHeight: number;
  bitDepth: 8 | 16;
  /** Bands including alpha: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA or CMYK. */
  channels: number;
  hasAlpha: boolean;
  hasIccProfile: boolean;
  /** EXIF orientation 1..8 when the file states one. */
  orientation?: number;
  /** libvips interpretation, e.g. `srgb`, `rgb16`, `b-w`, `grey16`, `cmyk`. */
  space: string;
}

export interface ProbeLimits {
  /** Largest accepted width × height. */
  maxPixels: number;
}

/**
 * Decides whether a file is an image Exemplar accepts, and describes it.
 * The type comes from the bytes; the whole image is then decoded (into a
 * discarding sink) because headers alone do not reveal a truncated or
 * damaged body.
 *
 * Throws ImageError: IMAGE_UNSUPPORTED (not JPEG/PNG/TIFF/WebP, animated,
 * or a sample format other than 8/16-bit integers), IMAGE_TOO_LARGE (more
 * than `maxPixels`), IMAGE_CORRUPT (unreadable header or pixel data).
 */
export async function probeImage(inputPath: string, limits: ProbeLimits): Promise<ImageProbe> {
  const probe = probeHeader(await readMetadata(inputPath), limits);
  try {
    await openImage(inputPath, { maxPixels: limits.maxPixels }).stats();
  } catch (err) {
    throw asImageError(err);
  }
  return probe;
}

/**
 * Everything `probeImage` decides from the header alone; the caller still
 * owes the full decode that catches damaged pixel data (`probeImage` into a
 * discarding sink, `probeAndMakeDerivatives` into the derivatives).
 */
export function probeHeader(meta: Metadata & { format: AcceptedFormat }, limits: ProbeLimits): ImageProbe {
  const { format } = meta;
  if (format === 'webp' && (meta.pages ?? 1) > 1) {
    throw new ImageError('IMAGE_UNSUPPORTED', 'Animated images are not accepted', { format, pages: meta.pages });
  }
  const { width, height } = meta;
  if (width * height > limits.maxPixels) {
    const grouped = (n: number) => n.toLocaleString('en-US');
    throw new ImageError('IMAGE_TOO_LARGE', `Image is ${width} × ${height} px (${grouped(width * height)} pixels); at most ${grouped(limits.maxPixels)} pixels are accepted`, {
      width,
      height,
      pixels: width * height,
      maxPixels: limits.maxPixels,
    });
  }
  const bitDepth = meta.depth === 'uchar' ? 8 : meta.depth === 'ushort' ? 16 : undefined;
  if (bitDepth === undefined) {
    throw new ImageError('IMAGE_UNSUPPORTED', 'Only 8-bit and 16-bit integer samples are accepted', { format, depth: meta.depth });
  }
  const probe: ImageProbe = {
    format,
    width,
    height,
    orientedWidth: meta.autoOrient.width,
    orientedHeight: meta.autoOrient.height,
    bitDepth,
    channels: meta.channels,
    hasAlpha: meta.hasAlpha,
    hasIccProfile: meta.hasProfile,
    space: meta.space,
  };
  if (meta.orientation !== undefined) probe.orientation = meta.orientation;
  return probe;
}

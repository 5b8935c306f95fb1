/**
 * The one decode pipeline every sharp use in Exemplar goes through, so that
 * strictness, pixel limits, orientation and colour handling are decided
 * once. Inputs are files on disk (uploads are spooled to a temp file first),
 * which lets libvips read them sequentially without holding them in memory.
 */
import fs from 'node:fs/promises';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { ImageError } from './image-error';
import { SNIFF_BYTES, sniffImageType, type AcceptedFormat } from './sniff';

// libvips caches operations by file name; uploads reuse temp paths and are
// processed once, so the cache could only serve stale pixels and hold memory.
sharp.cache(false);

export interface DecodeLimits {
  /** Largest accepted width × height; `undefined` keeps sharp's default limit. */
  maxPixels?: number | undefined;
}

/**
 * 'error' fails on damaged or truncated pixel data. 'warning' would also
 * refuse files libvips merely comments on (unknown TIFF tags, extraneous
 * JPEG bytes from some scanners), which are sound originals.
 */
const FAIL_ON = 'error' as const;

export function openImage(inputPath: string, options: DecodeLimits & { autoOrient?: boolean } = {}): Sharp {
  return sharp(inputPath, {
    failOn: FAIL_ON,
    limitInputPixels: options.maxPixels ?? true,
    autoOrient: options.autoOrient ?? false,
    sequentialRead: true,
  });
}

async function readHead(inputPath: string): Promise<Buffer> {
  const handle = await fs.open(inputPath, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** IMAGE_UNSUPPORTED unless the file's first bytes are those of an accepted format; checked before any decoder runs. */
export async function sniffAcceptedFormat(inputPath: string): Promise<AcceptedFormat> {
  const sniffed = sniffImageType(await readHead(inputPath));
  if (!sniffed.accepted) {
    throw new ImageError('IMAGE_UNSUPPORTED', 'Only JPEG, PNG, TIFF and WebP images are accepted', { detected: sniffed.detected });
  }
  return sniffed.format;
}

/**
 * Header only (no pixel decode), after `sniffAcceptedFormat`. The bytes
 * announced an accepted format, so a header sharp cannot read is damage.
 */
export async function readMetadata(inputPath: string): Promise<Metadata & { format: AcceptedFormat }> {
  const format = await sniffAcceptedFormat(inputPath);
  let meta: Metadata;
  try {
    meta = await sharp(inputPath, { failOn: FAIL_ON, limitInputPixels: false }).metadata();
  } catch (err) {
    const mapped = asImageError(err);
    if (!(mapped instanceof ImageError)) throw mapped;
    throw new ImageError('IMAGE_CORRUPT', `Unreadable ${format.toUpperCase()} file`, { format, ...mapped.details }, { cause: err });
  }
  if (meta.format !== format) {
    throw new ImageError('IMAGE_UNSUPPORTED', 'File content does not match its image type', { format, decodedAs: meta.format });
  }
  return { ...meta, format };
}

export const isGrey = (meta: Pick<Metadata, 'space'>) => meta.space === 'b-w' || meta.space === 'grey16';

/**
 * To 8-bit sRGB (or 8-bit grey for grey inputs), for display and analysis.
 * An embedded ICC profile is honoured (converted from, not ignored); 16-bit
 * samples are scaled to 8 bits over their whole range, so tones keep their
 * order and nothing is clipped; transparency is flattened onto white paper.
 */
export function toDisplayColour(
  image: Sharp,
  meta: Pick<Metadata, 'space' | 'hasAlpha'>,
  target: 'grey' | 'rgb' = isGrey(meta) ? 'grey' : 'rgb',
): Sharp {
  const flat = meta.hasAlpha ? image.flatten({ background: '#ffffff' }) : image;
  return flat.toColourspace(target === 'grey' ? 'b-w' : 'srgb');
}

/** sharp's failures as the refusal a user can act on; anything not about the image (e.g. a missing file) stays as it is. */
export function asImageError(err: unknown): unknown {
  if (err instanceof ImageError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/Input file is missing/i.test(message)) return err;
  if (/pixel limit/i.test(message)) {
    return new ImageError('IMAGE_TOO_LARGE', 'Image has more pixels than allowed', { reason: message }, { cause: err });
  }
  return new ImageError('IMAGE_CORRUPT', 'Image data is damaged or truncated', { reason: firstLine(message) }, { cause: err });
}

const firstLine = (s: string) => s.split('\n', 1)[0] ?? s;

import { asImageError, openImage, readMetadata, toDisplayColour, type DecodeLimits } from './decode-pipeline';

export interface AnalysisImage {
  /** Row-major, interleaved, 8 bits per sample, no padding. */
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
  /** Output size over the upright original's size (1 when not reduced); multiply output coordinates by 1/scale to get original ones. */
  scale: number;
}

export interface AnalysisOptions extends DecodeLimits {
  /** Reduce (never enlarge) so the longer edge is at most this. */
  maxLongEdge?: number;
  channels: 'grey' | 'rgb';
}

/**
 * Raw pixels for the OpenCV pipeline: upright (EXIF orientation applied),
 * 8-bit, sRGB or grey, transparency flattened onto white, optionally reduced.
 * Throws ImageError IMAGE_CORRUPT / IMAGE_TOO_LARGE like the other decoders.
 */
export async function decodeForAnalysis(inputPath: string, options: AnalysisOptions): Promise<AnalysisImage> {
  const meta = await readMetadata(inputPath);
  const uprightLongEdge = Math.max(meta.autoOrient.width, meta.autoOrient.height);
  let decoded;
  try {
    let image = openImage(inputPath, { maxPixels: options.maxPixels, autoOrient: true });
    if (options.maxLongEdge !== undefined && uprightLongEdge > options.maxLongEdge) {
      image = image.resize({ width: options.maxLongEdge, height: options.maxLongEdge, fit: 'inside' });
    }
    decoded = await toDisplayColour(image, meta, options.channels).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw asImageError(err);
  }
  const { data, info } = decoded;
  const channels = options.channels === 'grey' ? 1 : 3;
  if (info.channels !== channels) throw new Error(`decoder produced ${info.channels} channels, expected ${channels}`);
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
    channels,
    scale: Math.max(info.width, info.height) / uprightLongEdge,
  };
}

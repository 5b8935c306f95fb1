/**
 * Reading an MRZ from an image file in the calling thread: decode (upright,
 * grey, bounded size), read, and express the result in the pixels of the
 * upright original. Fine for the CLI and benchmarks; a server runs the
 * reading part in a worker (reader.ts).
 */
import { decodeForAnalysis } from '../derivatives/decode-for-analysis';
import { glyphTemplates } from './glyph-templates';
import { readMrzFromGrey, type MrzReadOptions, type MrzReadResult } from './read';

/** Images are read at most this large (long edge): an MRZ is legible far below it, and the work grows with the area. */
export const MRZ_READ_LONG_EDGE = 2400;

export interface MrzFileOptions extends MrzReadOptions {
  /** Refuse images with more pixels (IMAGE_TOO_LARGE). */
  maxPixels?: number | undefined;
}

/** Maps a result found on a reduced decode back to the original's pixels. */
export function toOriginalPixels(result: MrzReadResult, scale: number): MrzReadResult {
  if (!result.reading || scale === 1) return result;
  return { ...result, reading: { ...result.reading, quad: result.reading.quad.map(([x, y]) => [x / scale, y / scale] as [number, number]) } };
}

export async function decodeForMrz(file: string, maxPixels?: number) {
  return decodeForAnalysis(file, { channels: 'grey', maxLongEdge: MRZ_READ_LONG_EDGE, maxPixels });
}

export async function readMrzFromFile(file: string, options: MrzFileOptions = {}): Promise<MrzReadResult> {
  const { maxPixels, ...readOptions } = options;
  const [image, templates] = await Promise.all([decodeForMrz(file, maxPixels), glyphTemplates()]);
  return toOriginalPixels(readMrzFromGrey(image, templates, readOptions), image.scale);
}

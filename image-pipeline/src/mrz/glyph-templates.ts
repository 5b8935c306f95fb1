/**
 * OCR-B glyph templates for the MRZ reader, rendered by sharp/librsvg from
 * the OCR-B outlines carried in ocr-b-outlines.ts (no installed font). Each of
 * the 37 MRZ characters is drawn in its advance box on a fixed baseline,
 * oversampled and box-filtered down to a small cell, in a few stroke weights
 * (printing and scanning make strokes thinner or bolder), each stored
 * zero-mean and unit-norm for normalised cross-correlation.
 */
import sharp from 'sharp';
import { MRZ_ALPHABET } from './check-digit';
import { BASELINE, blurCell, CELL_HEIGHT, CELL_WIDTH, EM, normaliseCell, PAD_X, type GlyphTemplate, type GlyphTemplates, type GlyphVariant } from './glyphs';
import { ocrBTextSvg } from './ocr-b-svg';

const OVERSAMPLE = 8;

/** Stroke changes of the variants, em units: thin, regular, bold. */
export const STROKE_VARIANTS = [-0.022, 0, 0.03] as const;

function svgFor(char: string, strokeEm: number): string {
  const S = OVERSAMPLE;
  // A white stroke eats into the filled outline, a black one thickens it.
  const stroke = strokeEm === 0 ? undefined : { colour: strokeEm < 0 ? '#fff' : '#000', widthEm: Math.abs(strokeEm) * 2 };
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${CELL_WIDTH * S}" height="${CELL_HEIGHT * S}">` +
    `<rect width="100%" height="100%" fill="#fff"/>` +
    ocrBTextSvg(char, { x: PAD_X * S, y: BASELINE * S, fontSize: EM * S, fill: '#000', ...(stroke ? { stroke } : {}) }) +
    `</svg>`
  );
}

/** Box-filters an oversampled grey render down to cell size (values 0–255). */
function downsample(data: Uint8Array, S: number): Float32Array {
  const out = new Float32Array(CELL_WIDTH * CELL_HEIGHT);
  const W = CELL_WIDTH * S;
  for (let y = 0; y < CELL_HEIGHT; y++) {
    for (let x = 0; x < CELL_WIDTH; x++) {
      let sum = 0;
      for (let dy = 0; dy < S; dy++) {
        const row = (y * S + dy) * W + x * S;
        for (let dx = 0; dx < S; dx++) sum += data[row + dx]!;
      }
      out[y * CELL_WIDTH + x] = sum / (S * S);
    }
  }
  return out;
}

function inkBounds(px: Float32Array): GlyphTemplate['ink'] {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < CELL_HEIGHT; y++) {
    for (let x = 0; x < CELL_WIDTH; x++) {
      if (px[y * CELL_WIDTH + x]! < 128) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
    }
  }
  return { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

async function renderGlyph(char: string, strokeEm: number): Promise<Float32Array> {
  const { data, info } = await sharp(Buffer.from(svgFor(char, strokeEm))).greyscale().raw().toBuffer({ resolveWithObject: true });
  if (info.width !== CELL_WIDTH * OVERSAMPLE || info.height !== CELL_HEIGHT * OVERSAMPLE || info.channels !== 1) {
    throw new Error(`glyph render of ${JSON.stringify(char)} came out ${info.width}×${info.height}×${info.channels}`);
  }
  return downsample(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), OVERSAMPLE);
}

/** Template blur, template pixels: the slight softness of any printed and imaged character. */
const TEMPLATE_BLUR = 0.7;

let cached: Promise<GlyphTemplates> | undefined;

/** The templates (rendered once per process). */
export function glyphTemplates(): Promise<GlyphTemplates> {
  cached ??= (async () => {
    const glyphs: GlyphTemplate[] = [];
    for (const char of MRZ_ALPHABET) {
      const variants: GlyphVariant[] = [];
      let ink: GlyphTemplate['ink'] | undefined;
      for (const strokeEm of STROKE_VARIANTS) {
        const raw = await renderGlyph(char, strokeEm);
        if (strokeEm === 0) ink = inkBounds(raw);
        variants.push({ strokeEm, pixels: normaliseCell(blurCell(raw, CELL_WIDTH, CELL_HEIGHT, TEMPLATE_BLUR)) });
      }
      glyphs.push({ char, variants, ink: ink! });
    }
    return { glyphs, cellWidth: CELL_WIDTH, cellHeight: CELL_HEIGHT };
  })();
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}

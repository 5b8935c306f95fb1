/**
 * MRZ characters drawn as OCR-B outlines in SVG (no font needed: the
 * outlines are carried in ocr-b-outlines.ts). Used for the reader's glyph
 * templates, the MRZ test images and the synthetic documents' MRZ.
 */
import { OCR_B_ADVANCE, OCR_B_OUTLINES, OCR_B_UNITS_PER_EM } from './ocr-b-outlines';

/** OCR-B's advance over its em. */
export const OCR_B_ADVANCE_PER_EM = OCR_B_ADVANCE / OCR_B_UNITS_PER_EM;

export interface OcrBTextOptions {
  /** Left edge of the first character's advance box, or one left edge per character. */
  x: number | readonly number[];
  /** Baseline. */
  y: number;
  /** The em, user units (what `font-size` would be). */
  fontSize: number;
  fill: string;
  /** An outline stroke that thickens (`#000`-like colour) or thins (paper colour) the glyphs, width in em. */
  stroke?: { colour: string; widthEm: number };
}

const n = (v: number) => String(Math.round(v * 1000) / 1000);

/**
 * SVG elements drawing `text` in OCR-B. Spaces leave their cell empty; any
 * character outside the MRZ alphabet (A–Z, 0–9, <) is an error.
 */
export function ocrBTextSvg(text: string, options: OcrBTextOptions): string {
  const { x, y, fontSize, fill, stroke } = options;
  const scale = fontSize / OCR_B_UNITS_PER_EM;
  const pitch = OCR_B_ADVANCE_PER_EM * fontSize;
  const strokeAttrs = stroke && stroke.widthEm > 0 ? ` stroke="${stroke.colour}" stroke-width="${n(stroke.widthEm * OCR_B_UNITS_PER_EM)}" stroke-linejoin="round"` : '';
  let out = '';
  [...text].forEach((char, i) => {
    if (char === ' ') return;
    const d = OCR_B_OUTLINES[char];
    if (d === undefined) throw new Error(`${JSON.stringify(char)} is not an MRZ character (A–Z, 0–9, <)`);
    const left = typeof x === 'number' ? x + i * pitch : x[i];
    if (left === undefined) throw new Error(`no x position for character ${i} of ${JSON.stringify(text)}`);
    out += `<path transform="translate(${n(left)} ${n(y)}) scale(${scale.toPrecision(10)})" d="${d}"/>`;
  });
  return out === '' ? '' : `<g fill="${fill}"${strokeAttrs}>${out}</g>`;
}

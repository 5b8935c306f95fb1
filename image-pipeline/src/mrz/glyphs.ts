/**
 * Geometry and shape of the OCR-B glyph templates (rendered by
 * glyph-templates.ts). Cell geometry, in template pixels: the advance box —
 * one MRZ pitch — is `ADVANCE` wide and centred; the baseline lies at row
 * `BASELINE`; the font's em is `EM` tall. The reader samples image cells
 * with the same geometry. No sharp here: worker threads import this file.
 */

/** Template pixels per MRZ pitch (the OCR-B advance). */
export const ADVANCE = 24;
/** OCR-B advance width over its em, measured on the font (monospaced). */
export const ADVANCE_PER_EM = 0.7225;
export const EM = ADVANCE / ADVANCE_PER_EM;
/** Height of the capital letters over the em. */
export const CAP_PER_EM = 0.71;
export const PAD_X = 4;
export const CELL_WIDTH = ADVANCE + 2 * PAD_X;
/** Baseline row from the cell top: room above for digits (taller than capitals) and below for the descent of a few. */
export const BASELINE = 29;
export const CELL_HEIGHT = 35;

export interface GlyphVariant {
  /** Stroke change in em units (negative = thinner). */
  strokeEm: number;
  /** Zero-mean, unit-norm template, CELL_WIDTH × CELL_HEIGHT, ink dark. */
  pixels: Float32Array;
}

export interface GlyphTemplate {
  char: string;
  variants: GlyphVariant[];
  /** Ink bounds in cell pixels (of the regular weight). */
  ink: { x0: number; y0: number; x1: number; y1: number };
}

export interface GlyphTemplates {
  glyphs: GlyphTemplate[];
  cellWidth: number;
  cellHeight: number;
}


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

/** Separable Gaussian blur of a cell (printing and optics never give razor edges). */
export function blurCell(src: Float32Array, width: number, height: number, sigma: number): Float32Array {
  if (sigma <= 0) return src;
  const r = Math.ceil(2.5 * sigma);
  const k: number[] = [];
  let ks = 0;
  for (let i = -r; i <= r; i++) {
    const v = Math.exp((-i * i) / (2 * sigma * sigma));
    k.push(v);
    ks += v;
  }
  const kernel = k.map((v) => v / ks);
  const tmp = new Float32Array(width * height);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += kernel[i + r]! * src[y * width + Math.min(width - 1, Math.max(0, x + i))]!;
      tmp[y * width + x] = s;
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += kernel[i + r]! * tmp[Math.min(height - 1, Math.max(0, y + i)) * width + x]!;
      out[y * width + x] = s;
    }
  }
  return out;
}

/** Subtracts the mean and scales to unit norm (a blank cell stays all zero). */
export function normaliseCell(px: Float32Array): Float32Array {
  let mean = 0;
  for (const v of px) mean += v;
  mean /= px.length;
  let norm = 0;
  const out = new Float32Array(px.length);
  for (let i = 0; i < px.length; i++) {
    const d = px[i]! - mean;
    out[i] = d;
    norm += d * d;
  }
  norm = Math.sqrt(norm);
  if (norm > 1e-6) for (let i = 0; i < out.length; i++) out[i] = out[i]! / norm;
  return out;
}

const blurredCache = new WeakMap<GlyphTemplates, Map<number, GlyphTemplates>>();

/**
 * The templates blurred by a further Gaussian of `sigma` template pixels and
 * normalised again (ink bounds unchanged), made once per templates object.
 * A character imaged at fewer pixels than the template has (a small photo)
 * is softer than the template; matched with the sharp one, glyphs with more
 * ink win — 0 read as O, 8 as B, H as M.
 */
export function blurredTemplates(templates: GlyphTemplates, sigma: number): GlyphTemplates {
  if (sigma <= 0) return templates;
  let bySigma = blurredCache.get(templates);
  if (!bySigma) blurredCache.set(templates, (bySigma = new Map()));
  let out = bySigma.get(sigma);
  if (!out) {
    const glyphs = templates.glyphs.map((g) => ({
      ...g,
      variants: g.variants.map((v) => ({ ...v, pixels: normaliseCell(blurCell(v.pixels, templates.cellWidth, templates.cellHeight, sigma)) })),
    }));
    out = { ...templates, glyphs };
    bySigma.set(sigma, out);
  }
  return out;
}

/** Every glyph's regular stroke weight, in glyph order. */
export const regularWeights = (templates: GlyphTemplates): Float32Array[] =>
  templates.glyphs.map((g) => (g.variants.find((v) => v.strokeEm === 0) ?? g.variants[0]!).pixels);

const regularsCache = new WeakMap<GlyphTemplates, Map<number, Float32Array[]>>();

/**
 * The regular weight of every glyph blurred as `blurredTemplates` blurs it
 * (the same numbers), alone: enough to choose a row's blur, at a third of
 * the cost of every weight at every blur tried. The reader's worker gets
 * its templates afresh with each request, so this runs once per read.
 */
export function blurredRegulars(templates: GlyphTemplates, sigma: number): Float32Array[] {
  if (sigma <= 0) return regularWeights(templates);
  const done = blurredCache.get(templates)?.get(sigma);
  if (done) return regularWeights(done);
  let bySigma = regularsCache.get(templates);
  if (!bySigma) regularsCache.set(templates, (bySigma = new Map()));
  let out = bySigma.get(sigma);
  if (!out) {
    out = regularWeights(templates).map((px) => normaliseCell(blurCell(px, templates.cellWidth, templates.cellHeight, sigma)));
    bySigma.set(sigma, out);
  }
  return out;
}

const separationCache = new WeakMap<GlyphTemplates, number>();

/**
 * How far apart the scores of similar characters can lie with these
 * templates: the median, over glyphs, of one minus the correlation of a
 * glyph's regular weight with its nearest other glyph's. Blurring brings
 * every template nearer every other (OCR-B's 6 and 8 lie about half as far
 * apart at a blur of 2 template pixels as sharp), so a score gap means more
 * the softer the templates that gave it.
 */
export function templateSeparation(templates: GlyphTemplates): number {
  let out = separationCache.get(templates);
  if (out === undefined) {
    const regular = regularWeights(templates);
    const nearest = regular.map((a, i) => {
      let best = -1;
      regular.forEach((b, j) => {
        if (i === j) return;
        let s = 0;
        for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
        if (s > best) best = s;
      });
      return 1 - best;
    });
    nearest.sort((a, b) => a - b);
    out = nearest[nearest.length >> 1]!;
    separationCache.set(templates, out);
  }
  return out;
}

/**
 * Character cells and template matching. A cell is sampled from the image
 * along the fitted text row with the templates' geometry (one pitch wide,
 * baseline on the same row), with a margin for a small shift search, then
 * compared with every glyph by normalised cross-correlation.
 */
import type { GreyImage } from '../ops/align-types';
import type { CharCandidate } from './correct';
import { BASELINE, CELL_HEIGHT, CELL_WIDTH, type GlyphTemplates } from './glyphs';
import { sampleBilinear } from './raster';

/** Where one character sits in the image. */
export interface CellGeometry {
  /** Image point on the baseline at the centre of the character's advance box. */
  origin: [number, number];
  /** Image vector of one template pixel along the row and one across it (towards the character bottom). */
  along: [number, number];
  across: [number, number];
}

/**
 * Template pixels of shift searchable around a cell's expected position: a
 * quarter pitch, enough for a character printed out of line (overtyped).
 */
export const SHIFT_MARGIN = 6;
export const SAMPLED_WIDTH = CELL_WIDTH + 2 * SHIFT_MARGIN;
export const SAMPLED_HEIGHT = CELL_HEIGHT + 2 * SHIFT_MARGIN;

/**
 * Samples a cell with its margin. Where one template pixel covers several
 * image pixels the sample is averaged over a sub-grid, so that a large
 * image is not aliased down to the template size.
 */
export function sampleCell(img: GreyImage, g: CellGeometry): Float32Array {
  const out = new Float32Array(SAMPLED_WIDTH * SAMPLED_HEIGHT);
  const scale = Math.max(Math.hypot(...g.along), Math.hypot(...g.across));
  const sub = Math.max(1, Math.min(4, Math.ceil(scale - 0.25)));
  const cx = CELL_WIDTH / 2;
  for (let j = 0; j < SAMPLED_HEIGHT; j++) {
    for (let i = 0; i < SAMPLED_WIDTH; i++) {
      let sum = 0;
      for (let sj = 0; sj < sub; sj++) {
        const v = j - SHIFT_MARGIN + (sj + 0.5) / sub - BASELINE;
        for (let si = 0; si < sub; si++) {
          const u = i - SHIFT_MARGIN + (si + 0.5) / sub - cx;
          // Pixel centres of the image are at integer coordinates.
          const x = g.origin[0] + u * g.along[0] + v * g.across[0];
          const y = g.origin[1] + u * g.along[1] + v * g.across[1];
          sum += sampleBilinear(img, x, y);
        }
      }
      out[j * SAMPLED_WIDTH + i] = sum / (sub * sub);
    }
  }
  return out;
}

export interface CellMatch {
  /** Every glyph's best score over variants and shifts, best first. */
  candidates: CharCandidate[];
  /** Shift (template pixels) of the best glyph. */
  shift: [number, number];
  /** Standard deviation of the cell's pixels at the best shift (0 for a blank cell). */
  contrast: number;
}

interface Window {
  pixels: Float32Array;
  /** Norm of the window's pixels minus their mean. */
  norm: number;
  shift: [number, number];
}

function windowAt(cell: Float32Array, dx: number, dy: number): Window {
  const W = CELL_WIDTH;
  const H = CELL_HEIGHT;
  const pixels = new Float32Array(W * H);
  let sum = 0;
  let sumSq = 0;
  for (let y = 0; y < H; y++) {
    const row = (y + SHIFT_MARGIN + dy) * SAMPLED_WIDTH + SHIFT_MARGIN + dx;
    for (let x = 0; x < W; x++) {
      const v = cell[row + x]!;
      pixels[y * W + x] = v;
      sum += v;
      sumSq += v * v;
    }
  }
  const n = W * H;
  return { pixels, norm: Math.sqrt(Math.max(0, sumSq - (sum * sum) / n)), shift: [dx, dy] };
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Templates are zero-mean, so the dot product needs no mean subtraction on the cell's side. */
const ncc = (t: Float32Array, w: Window) => (w.norm > 1e-6 ? dot(t, w.pixels) / w.norm : 0);

/**
 * Normalised cross-correlation of every glyph at the given shifts (dx, dy
 * within ±SHIFT_MARGIN): the regular weight at every shift, the other
 * weights at the regular weight's best shift.
 */
export function matchCell(cell: Float32Array, templates: GlyphTemplates, shifts: readonly (readonly [number, number])[]): CellMatch {
  const windows = shifts.map(([dx, dy]) => windowAt(cell, dx, dy));
  const n = CELL_WIDTH * CELL_HEIGHT;
  const candidates: CharCandidate[] = [];
  let top = { score: -Infinity, window: windows[0]! };
  for (const glyph of templates.glyphs) {
    const regular = glyph.variants.find((v) => v.strokeEm === 0) ?? glyph.variants[0]!;
    let bestScore = -Infinity;
    let bestWindow = windows[0]!;
    for (const w of windows) {
      const s = ncc(regular.pixels, w);
      if (s > bestScore) {
        bestScore = s;
        bestWindow = w;
      }
    }
    for (const v of glyph.variants) {
      if (v === regular) continue;
      const s = ncc(v.pixels, bestWindow);
      if (s > bestScore) bestScore = s;
    }
    candidates.push({ char: glyph.char, score: bestScore });
    if (bestScore > top.score) top = { score: bestScore, window: bestWindow };
  }
  candidates.sort((a, b) => b.score - a.score);
  return { candidates, shift: top.window.shift, contrast: top.window.norm / Math.sqrt(n) };
}

/** Shifts within `rx` × `ry` of (cx, cy), inside the sampled margin. */
export const shiftsAround = (cx: number, cy: number, rx: number, ry: number = rx): [number, number][] => {
  const out: [number, number][] = [];
  for (let dy = -ry; dy <= ry; dy++) {
    for (let dx = -rx; dx <= rx; dx++) {
      const x = cx + dx;
      const y = cy + dy;
      if (Math.abs(x) <= SHIFT_MARGIN && Math.abs(y) <= SHIFT_MARGIN) out.push([x, y]);
    }
  }
  return out;
};

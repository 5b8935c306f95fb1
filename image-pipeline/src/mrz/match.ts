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
  /** Index in the sampled cell of the window's top-left pixel. */
  offset: number;
  /** Norm of the window's pixels minus their mean. */
  norm: number;
  shift: [number, number];
}

function windowAt(cell: Float32Array, dx: number, dy: number): Window {
  const W = CELL_WIDTH;
  const H = CELL_HEIGHT;
  const offset = (SHIFT_MARGIN + dy) * SAMPLED_WIDTH + SHIFT_MARGIN + dx;
  let sum = 0;
  let sumSq = 0;
  for (let y = 0; y < H; y++) {
    const row = offset + y * SAMPLED_WIDTH;
    for (let x = 0; x < W; x++) {
      const v = cell[row + x]!;
      sum += v;
      sumSq += v * v;
    }
  }
  const n = W * H;
  return { offset, norm: Math.sqrt(Math.max(0, sumSq - (sum * sum) / n)), shift: [dx, dy] };
}

/**
 * Dot products of one window of the cell with up to four templates in one
 * pass (`out[0..3]`; a missing template scores 0). Each sum runs over the
 * pixels in the same row-major order as a single dot product would, so the
 * results are bit-identical to it; four independent sums keep the CPU busy
 * where one would wait on each addition, and each cell pixel is loaded once.
 */
function dot4(cell: Float32Array, offset: number, t0: Float32Array, t1: Float32Array, t2: Float32Array, t3: Float32Array, out: Float64Array): void {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (let y = 0; y < CELL_HEIGHT; y++) {
    const row = offset + y * SAMPLED_WIDTH;
    for (let x = 0; x < CELL_WIDTH; x++, k++) {
      const v = cell[row + x]!;
      s0 += v * t0[k]!;
      s1 += v * t1[k]!;
      s2 += v * t2[k]!;
      s3 += v * t3[k]!;
    }
  }
  out[0] = s0;
  out[1] = s1;
  out[2] = s2;
  out[3] = s3;
}

const ZERO_TEMPLATE = new Float32Array(CELL_WIDTH * CELL_HEIGHT);
const dots = new Float64Array(4);

/**
 * Normalised cross-correlation of every glyph at the given shifts (dx, dy
 * within ±SHIFT_MARGIN): the regular weight at every shift, the other
 * weights at the regular weight's best shift. Templates are zero-mean, so
 * the dot product needs no mean subtraction on the cell's side.
 */
export function matchCell(cell: Float32Array, templates: GlyphTemplates, shifts: readonly (readonly [number, number])[]): CellMatch {
  const windows = shifts.map(([dx, dy]) => windowAt(cell, dx, dy));
  const n = CELL_WIDTH * CELL_HEIGHT;
  const glyphs = templates.glyphs;
  const regulars = glyphs.map((g) => g.variants.find((v) => v.strokeEm === 0) ?? g.variants[0]!);
  const bestScores = new Float64Array(glyphs.length).fill(-Infinity);
  const bestWindows = new Int32Array(glyphs.length);
  const template = (i: number) => (i < regulars.length ? regulars[i]!.pixels : ZERO_TEMPLATE);
  for (let g = 0; g < glyphs.length; g += 4) {
    const [t0, t1, t2, t3] = [template(g), template(g + 1), template(g + 2), template(g + 3)];
    for (let wi = 0; wi < windows.length; wi++) {
      const w = windows[wi]!;
      if (w.norm > 1e-6) dot4(cell, w.offset, t0, t1, t2, t3, dots);
      for (let j = 0; j < 4 && g + j < glyphs.length; j++) {
        // The first window wins ties, as in a scan over the windows in order.
        const s = w.norm > 1e-6 ? dots[j]! / w.norm : 0;
        if (s > bestScores[g + j]!) {
          bestScores[g + j] = s;
          bestWindows[g + j] = wi;
        }
      }
    }
  }
  // The other weights, each at its glyph's best window, four at a time.
  const pending: { glyph: number; pixels: Float32Array }[] = [];
  glyphs.forEach((glyph, gi) => {
    for (const v of glyph.variants) if (v !== regulars[gi]) pending.push({ glyph: gi, pixels: v.pixels });
  });
  for (let i = 0; i < pending.length; ) {
    // Variants sharing a window are scored in one pass.
    const wi = bestWindows[pending[i]!.glyph]!;
    const group: { glyph: number; pixels: Float32Array }[] = [];
    while (i < pending.length && group.length < 4 && bestWindows[pending[i]!.glyph] === wi) group.push(pending[i++]!);
    const w = windows[wi]!;
    if (!(w.norm > 1e-6)) {
      for (const { glyph } of group) if (0 > bestScores[glyph]!) bestScores[glyph] = 0;
      continue;
    }
    dot4(cell, w.offset, group[0]!.pixels, group[1]?.pixels ?? ZERO_TEMPLATE, group[2]?.pixels ?? ZERO_TEMPLATE, group[3]?.pixels ?? ZERO_TEMPLATE, dots);
    group.forEach(({ glyph }, j) => {
      const s = dots[j]! / w.norm;
      if (s > bestScores[glyph]!) bestScores[glyph] = s;
    });
  }
  const candidates: CharCandidate[] = [];
  let top = { score: -Infinity, window: windows[0]! };
  glyphs.forEach((glyph, gi) => {
    const score = bestScores[gi]!;
    candidates.push({ char: glyph.char, score });
    if (score > top.score) top = { score, window: windows[bestWindows[gi]!]! };
  });
  candidates.sort((a, b) => b.score - a.score);
  return { candidates, shift: top.window.shift, contrast: top.window.norm / Math.sqrt(n) };
}

/**
 * The best normalised cross-correlation of one cell with any of `templates`
 * at each of `shifts` (0 where the window is blank): the top candidate's
 * score of `matchCell` with these templates and that single shift, bit for
 * bit, without ranking every glyph per shift (the whole-row shift search
 * needs only the best).
 */
export function bestScoresAtShifts(cell: Float32Array, templates: readonly Float32Array[], shifts: readonly (readonly [number, number])[]): Float64Array {
  const out = new Float64Array(shifts.length);
  for (let si = 0; si < shifts.length; si++) {
    const w = windowAt(cell, shifts[si]![0], shifts[si]![1]);
    if (!(w.norm > 1e-6)) continue;
    let best = -Infinity;
    for (let t = 0; t < templates.length; t += 4) {
      const count = Math.min(4, templates.length - t);
      dot4(cell, w.offset, templates[t]!, templates[t + 1] ?? ZERO_TEMPLATE, templates[t + 2] ?? ZERO_TEMPLATE, templates[t + 3] ?? ZERO_TEMPLATE, dots);
      for (let j = 0; j < count; j++) {
        const s = dots[j]! / w.norm;
        if (s > best) best = s;
      }
    }
    out[si] = best;
  }
  return out;
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

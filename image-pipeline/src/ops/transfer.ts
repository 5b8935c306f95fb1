/**
 * The capture's transfer function, fitted. A camera or scanner does more
 * to a page than blur it: a phone sharpens its JPEGs (unsharp masking), so
 * the strokes of a capture come out with bright and dark rims and as steep
 * as the reference's even where its fine print is lost. A Gaussian matched
 * on edge steepness then leaves both the rims and the fine print to be
 * flagged (a published specimen 600 px wide, photographed and sharpened,
 * showed eight regions along its small labels). Here the sharper image's
 * luminance is fitted to the other's as a combination of the identity and
 * Gaussians: a blur, a blur followed by sharpening, a compression's
 * smoothing are in their span. Both are high-passed first, so that the
 * page's light field does not bend the fit, and it is learnt where both
 * images should show the same thing; being one kernel for the whole page,
 * it cannot explain away a local change.
 */
import { solveLinear } from './linear-solve';
import { gaussianBlur, makePlane, type Plane } from './planes';

/** Gaussian scales of the basis, working pixels, beside the identity. */
export const TRANSFER_SIGMAS: readonly number[] = [0.7, 1, 1.4, 2, 2.8, 4];
/** Structure coarser than this box's half-side (working pixels) is left to the illumination field and tone fit. */
const HIGH_PASS_RADIUS = 8;
/** Every other row and column is enough for seven unknowns. */
const SAMPLE_STEP = 2;
const MIN_SAMPLES = 256;
/** Neighbouring Gaussians are nearly collinear: a light ridge (share of the mean diagonal) keeps the weights from cancelling wildly. */
const RIDGE = 1e-4;
/**
 * The fit is learnt on tiles spread over the whole page, this many along
 * each edge (a fit on part of it, such as the central third, which on a
 * passport is mostly personalised fields, follows what that part happens to
 * hold), each this side (working pixels) plus a margin for the basis blurs:
 * the page's blurs for the fit would cost as much as the rest of the comparison.
 */
const TILES = 5;
/**
 * Most gain a fitted kernel may have on the finest detail: its identity
 * weight, as every Gaussian of the basis has let that detail go. The kernel
 * applies to the sharper image to bring it to the other's sharpness, so it
 * should not amplify what that image has finest, and with it its noise: a
 * fit doing so has matched the page's coarser structure at the price of the
 * finest (a photo of the MIDV-2020 card, fitted with an identity weight of
 * 1.46 where photos' fits ranged from −0.38 to 0.46, put four regions on its
 * print where the Gaussian put none). A tenth over 1 is left to the fit's
 * noise (scans of a re-encoded JPEG fit about 0.92 to 1.05).
 */
const MAX_FINEST_GAIN = 1.1;
const TILE_SIDE = 72;
const TILE_MARGIN = Math.ceil(3 * TRANSFER_SIGMAS[TRANSFER_SIGMAS.length - 1]!) + 1;

export interface TransferFit {
  /** The image the kernel applies to. */
  side: 'reference' | 'questioned';
  /** Weights of the identity and of each `TRANSFER_SIGMAS` Gaussian, summing to 1 (the kernel keeps the mean). */
  weights: number[];
  /** Correlation of the fitted side's high-passed luminance with the other's, after the kernel. */
  correlation: number;
}

/** Mean over a (2r+1)-wide window along rows (`step` 1) or columns (`step` w), edges clamped, by running sums. */
function boxPass(src: Float32Array, dst: Float32Array, lines: number, length: number, lineStride: number, step: number, r: number): void {
  const inv = 1 / (2 * r + 1);
  for (let l = 0; l < lines; l++) {
    const base = l * lineStride;
    const at = (i: number) => src[base + Math.min(length - 1, Math.max(0, i)) * step]!;
    let sum = 0;
    for (let i = -r; i <= r; i++) sum += at(i);
    for (let i = 0; i < length; i++) {
      dst[base + i * step] = sum * inv;
      sum += at(i + r + 1) - at(i - r);
    }
  }
}

/** The plane less its local mean (a box of half-side `HIGH_PASS_RADIUS`): linear and shift-invariant, so it commutes with the kernel. */
function highPass(p: Plane): Plane {
  const { width: w, height: h, data } = p;
  const tmp = new Float32Array(data.length);
  const low = new Float32Array(data.length);
  boxPass(data, tmp, h, w, w, 1, HIGH_PASS_RADIUS);
  boxPass(tmp, low, w, h, 1, w, HIGH_PASS_RADIUS);
  for (let i = 0; i < low.length; i++) low[i] = data[i]! - low[i]!;
  return makePlane(w, h, low);
}

/** The plane through each basis kernel: itself, then each Gaussian (each from the last, by the missing blur). */
function basisOf(p: Plane): Plane[] {
  const out = [p];
  let at = 0;
  let cur = p;
  for (const s of TRANSFER_SIGMAS) {
    cur = gaussianBlur(cur, Math.sqrt(s * s - at * at));
    out.push(cur);
    at = s;
  }
  return out;
}

/** Normal equations of a least-squares fit of a target on `n` basis responses, summed over samples. */
interface NormalEquations {
  n: number;
  a: Float64Array;
  b: Float64Array;
  tt: number;
  count: number;
}

const normalEquations = (n: number): NormalEquations => ({ n, a: new Float64Array(n * n), b: new Float64Array(n), tt: 0, count: 0 });

/** A rectangle of a plane's pixels, [x0, x1) × [y0, y1). */
interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Adds the sampled pixels of `inner` (tile coordinates) where `mask` is set. */
function accumulate(acc: NormalEquations, basis: readonly Plane[], target: Plane, mask: Uint8Array, inner: Rect): void {
  const { n, a, b } = acc;
  const w = target.width;
  const v = new Float64Array(n);
  for (let y = inner.y0; y < inner.y1; y += SAMPLE_STEP) {
    for (let x = inner.x0; x < inner.x1; x += SAMPLE_STEP) {
      const k = y * w + x;
      if (!mask[k]) continue;
      const t = target.data[k]!;
      for (let i = 0; i < n; i++) v[i] = basis[i]!.data[k]!;
      for (let i = 0; i < n; i++) {
        b[i]! += v[i]! * t;
        for (let j = 0; j <= i; j++) a[i * n + j]! += v[i]! * v[j]!;
      }
      acc.tt += t * t;
      acc.count++;
    }
  }
}

/** Least-squares weights, and the correlation the fit reaches; null if too few samples. */
function solveWeights(acc: NormalEquations): { weights: number[]; correlation: number } | null {
  const { n, b, tt } = acc;
  if (acc.count < MIN_SAMPLES || !(tt > 0)) return null;
  const a = new Float64Array(acc.a);
  let trace = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j]!;
    trace += a[i * n + i]!;
  }
  for (let i = 0; i < n; i++) a[i * n + i]! += RIDGE * (trace / n);
  const x = solveLinear(a, b, n);
  if (!x) return null;
  let explained = 0;
  for (let i = 0; i < n; i++) explained += x[i]! * b[i]!;
  return { weights: Array.from(x), correlation: Math.sqrt(Math.min(1, Math.max(0, explained / tt))) };
}

/** A rectangle of a row-major image `width` wide (a plane's values or a mask), as an array of its own. */
function cut<T extends Float32Array | Uint8Array>(data: T, width: number, r: Rect): T {
  const w = r.x1 - r.x0;
  const out = new (data.constructor as new (length: number) => T)(w * (r.y1 - r.y0));
  for (let y = r.y0; y < r.y1; y++) out.set(data.subarray(y * width + r.x0, y * width + r.x1), (y - r.y0) * w);
  return out;
}

/** The tiles the fit is learnt on: a grid over the page, each with its margin (clamped to the page). */
function tiles(width: number, height: number): { outer: Rect; inner: Rect }[] {
  const out: { outer: Rect; inner: Rect }[] = [];
  const side = Math.max(8, Math.min(TILE_SIDE, Math.floor(Math.min(width, height) / TILES)));
  for (let j = 0; j < TILES; j++) {
    for (let i = 0; i < TILES; i++) {
      const x0 = Math.round(((i + 0.5) * width) / TILES - side / 2);
      const y0 = Math.round(((j + 0.5) * height) / TILES - side / 2);
      const outer = { x0: Math.max(0, x0 - TILE_MARGIN), y0: Math.max(0, y0 - TILE_MARGIN), x1: Math.min(width, x0 + side + TILE_MARGIN), y1: Math.min(height, y0 + side + TILE_MARGIN) };
      out.push({ outer, inner: { x0: x0 - outer.x0, y0: y0 - outer.y0, x1: x0 - outer.x0 + side, y1: y0 - outer.y0 + side } });
    }
  }
  return out;
}

/**
 * Fits the kernel taking one image's luminance to the other's, in the
 * direction that explains more of it (blurring the sharper image; a blurred
 * one cannot be sharpened back), over the tiles' pixels where `learn` is
 * set. `gaussian` is the equalisation already chosen by edge steepness (the
 * side blurred and its sigma): its correlation over the same pixels is
 * returned beside the fit's, so that the caller keeps it unless the fit
 * explains clearly more. Null when too little of the page is learnt.
 */
export function fitTransfer(
  referenceLum: Plane,
  questionedLum: Plane,
  learn: Uint8Array,
  gaussian: { blurred: 'reference' | 'questioned' | 'none'; sigma: number },
): { fit: TransferFit; gaussianCorrelation: number } | null {
  const hr = highPass(referenceLum);
  const hq = highPass(questionedLum);
  const n = TRANSFER_SIGMAS.length + 1;
  const toQuestioned = normalEquations(n);
  const toReference = normalEquations(n);
  // The Gaussian equalisation's correlation over the same samples: the blurred side against the other.
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (const { outer, inner } of tiles(referenceLum.width, referenceLum.height)) {
    const tileWidth = outer.x1 - outer.x0;
    const tr = makePlane(tileWidth, outer.y1 - outer.y0, cut(hr.data, hr.width, outer));
    const tq = makePlane(tileWidth, outer.y1 - outer.y0, cut(hq.data, hq.width, outer));
    const mask = cut(learn, referenceLum.width, outer);
    accumulate(toQuestioned, basisOf(tr), tq, mask, inner);
    accumulate(toReference, basisOf(tq), tr, mask, inner);
    const from = gaussian.blurred === 'questioned' ? gaussianBlur(tq, gaussian.sigma) : gaussian.blurred === 'reference' ? gaussianBlur(tr, gaussian.sigma) : tr;
    const to = gaussian.blurred === 'questioned' ? tr : tq;
    for (let y = inner.y0; y < inner.y1; y += SAMPLE_STEP) {
      for (let x = inner.x0; x < inner.x1; x += SAMPLE_STEP) {
        const k = y * tr.width + x;
        if (!mask[k]) continue;
        ab += from.data[k]! * to.data[k]!;
        aa += from.data[k]! ** 2;
        bb += to.data[k]! ** 2;
      }
    }
  }
  const q = solveWeights(toQuestioned);
  const r = solveWeights(toReference);
  if (!q || !r) return null;
  const side = q.correlation >= r.correlation ? 'reference' : 'questioned';
  const chosen = side === 'reference' ? q : r;
  const sum = chosen.weights.reduce((s, x) => s + x, 0);
  // A kernel that (nearly) removes the mean is no capture's: the fit has gone astray.
  if (!(sum > 0.25)) return null;
  const weights = chosen.weights.map((x) => x / sum);
  // Nor is one that sharpens the sharper image (see MAX_FINEST_GAIN).
  if (Math.abs(weights[0]!) > MAX_FINEST_GAIN) return null;
  const gaussianCorrelation = aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
  return { fit: { side, weights, correlation: chosen.correlation }, gaussianCorrelation };
}

/** A plane through the fitted kernel. */
export function applyTransfer(p: Plane, weights: readonly number[]): Plane {
  const basis = basisOf(p);
  const out = new Float32Array(p.data.length);
  basis.forEach((b, i) => {
    const wi = weights[i]!;
    for (let k = 0; k < out.length; k++) out[k]! += wi * b.data[k]!;
  });
  return makePlane(p.width, p.height, out);
}

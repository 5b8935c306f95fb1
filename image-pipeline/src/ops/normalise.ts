/**
 * Photometric normalisation of the (warped) questioned image to the
 * reference, per light source, before anything is compared:
 *
 * 1. sharpness — the sharper image is blurred until both have the same edge
 *    steepness (99th percentile of gradient magnitude), so a blurrier photo
 *    does not differ from a crisp scan at every edge, and the lighting is
 *    then learnt from images of equal resolution;
 * 2. illumination — a smooth multiplicative field (phone photos lit unevenly,
 *    vignetting) from tile medians of the relative lighting: a robust cubic
 *    surface (Tukey-weighted, so altered areas do not pull it) plus a
 *    median-filtered residual for what a cubic cannot follow;
 * 3. tone — exposure, white balance, contrast, gamma and colour rendering:
 *    for white light and IR a robust pixel-to-pixel transform (quadratic in
 *    R, G, B; cubic in grey): cameras and scanners render colour differently
 *    (matrices, saturation, CMYK conversions) in ways no per-channel curve
 *    can undo. For UV one common gain (fluorescence colour and brightness are
 *    the evidence there, so channels keep their ratios); for other lights a
 *    per-channel gain and offset.
 *
 * Distribution statistics (illumination tiles, UV gain, linear fits) are
 * learnt only from pixels expected to match (compared, outside personalised
 * zones); the pixel-to-pixel tone fit and the sharpness match use every
 * compared pixel: the fit rejects what differs by itself, and outside
 * personalised zones a page may hold little but paper (under IR, nearly all
 * the ink is holder data), too narrow a range to fit a tone curve or judge
 * edges on. Light sources fall into profiles {white, uv,
 * ir, other} by the band and mode of their vocabulary entry; each profile
 * also carries the thresholds the difference stage uses.
 */
import { getLightSource } from '@exemplar/specimens-schema';
import { gaussianBlur, makePlane, medianBlur, quantiles, resizePlane, selectKth, type Plane } from './planes';
import { solveLinear } from './linear-solve';
import { applyTransfer, fitTransfer, TRANSFER_SIGMAS } from './transfer';

export type LightProfileId = 'white' | 'uv' | 'ir' | 'other';

export interface LightProfile {
  readonly id: LightProfileId;
  /** Compare colour (luminance + two opponent chroma channels) or luminance only. */
  readonly colour: 'rgb' | 'grey';
  /** Weight of the chroma channels against luminance (grey levels of chroma per grey level of luminance). */
  readonly chromaWeight: number;
  /** `fit`: pixel-to-pixel robust tone/colour transform; `gain`: one gain for all channels; `linear`: gain and offset per channel. */
  readonly tone: 'fit' | 'gain' | 'linear';
  /** Estimate and remove a smooth illumination field. */
  readonly illuminationField: boolean;
  /** Difference (grey levels) at which a pixel scores 0.5, per pyramid level, fine to coarse. */
  readonly thresholds: readonly [number, number, number];
  /** Thresholds rise to this many times the measured noise when that is higher. */
  readonly noiseFactor: number;
}

export const LIGHT_PROFILES: Readonly<Record<LightProfileId, LightProfile>> = Object.freeze({
  white: { id: 'white', colour: 'rgb', chromaWeight: 0.7, tone: 'fit', illuminationField: true, thresholds: [20, 18, 18], noiseFactor: 3 },
  // UV images are dark with a few bright fluorescent colours: the colour is the evidence, so chroma weighs more.
  uv: { id: 'uv', colour: 'rgb', chromaWeight: 1.5, tone: 'gain', illuminationField: false, thresholds: [20, 18, 18], noiseFactor: 3 },
  ir: { id: 'ir', colour: 'grey', chromaWeight: 0, tone: 'fit', illuminationField: true, thresholds: [20, 18, 18], noiseFactor: 3 },
  // OVD, luminescence and anti-Stokes images vary with angle and excitation: only large changes count.
  other: { id: 'other', colour: 'rgb', chromaWeight: 0.5, tone: 'linear', illuminationField: false, thresholds: [30, 24, 20], noiseFactor: 4 },
} satisfies Record<LightProfileId, LightProfile>);

/** Profile of a light-source id of the vocabulary; undefined for an unknown id. */
export function lightProfileFor(lightSource: string): LightProfileId | undefined {
  const entry = getLightSource(lightSource);
  if (!entry) return undefined;
  if (entry.mode === 'ovd' || entry.mode === 'anti-stokes') return 'other';
  if (entry.band === 'uv') return 'uv';
  if (entry.band === 'ir') return entry.mode === 'luminescence' ? 'other' : 'ir';
  return 'white';
}

export interface NormaliseParams {
  /** Side of the tiles whose medians sample the illumination field, working pixels. */
  illuminationTile: number;
  /**
   * Least share of the high-passed luminance the Gaussian equalisation leaves
   * unexplained that a fitted transfer kernel (`fitTransfer`) must explain
   * for it to be used instead (1: never fitted).
   */
  transferMinGain: number;
  /**
   * The capture's linear scale at each pixel (questioned pixels per working
   * pixel, in any constant unit). Where a perspective makes it vary, the
   * capture's own blur seen in the reference frame grows where it is
   * coarser (the far side of a tilted photo), and the reference is blurred
   * to match (`perspectiveSigmas`). Called only then: a scan, or a
   * capture sharper than the reference, never needs it.
   */
  captureScale?: () => Plane;
}

export interface NormaliseStats {
  /** Range of the illumination gain applied to the questioned image (1 = none). */
  illumination: [number, number];
  /**
   * Which image was blurred to equalise sharpness, and by what sigma (working
   * pixels); with `kernel`, by a fitted transfer kernel instead (weights of
   * the identity and the `TRANSFER_SIGMAS` Gaussians), `sigma` then the root
   * of its second moment (0 where its sharpening outweighs its blur); with
   * `range`, the sigma varied over the compared pixels between those bounds
   * (`perspectiveSigmas`), `sigma` being the page-wide match.
   */
  sharpness: { blurred: 'reference' | 'questioned' | 'none'; sigma: number; kernel?: number[]; range?: [number, number] };
  /** Tone model applied, and for `fit` its robust residual (grey levels, mean over channels). */
  tone: { model: LightProfile['tone']; residual: number };
}

export interface Normalised {
  reference: Plane[];
  questioned: Plane[];
  /** Per-pixel factor (≥ 1) by which illumination correction amplified the questioned image's noise. */
  noiseAmplification: Plane | null;
  stats: NormaliseStats;
}

/** Largest correction the illumination field may apply either way. */
const MAX_GAIN = 8;
/** Largest local departure of the light from the smooth surface that the field follows (relative). */
const MAX_RESIDUAL_LIGHT = 0.08;

function luminance(planes: readonly Plane[]): Plane {
  const first = planes[0]!;
  if (planes.length === 1) return first;
  const out = new Float32Array(first.data.length);
  const [r, g, b] = [planes[0]!.data, planes[1]!.data, planes[2]!.data];
  for (let i = 0; i < out.length; i++) out[i] = (r[i]! + g[i]! + b[i]!) / 3;
  return makePlane(first.width, first.height, out);
}


/** Monomials x^i·y^j with i + j ≤ degree, in a fixed order. */
function monomials(x: number, y: number, degree: number, out: Float64Array): void {
  let k = 0;
  for (let i = 0; i <= degree; i++) {
    const xi = x ** i;
    for (let j = 0; j <= degree - i; j++) out[k++] = xi * y ** j;
  }
}

const termCount = (degree: number) => ((degree + 1) * (degree + 2)) / 2;

/**
 * Tukey-biweighted least-squares polynomial through (x, y, value) samples;
 * coefficients in `monomials` order, and each sample's final weight (0 for outliers).
 */
function robustSurface(xs: Float64Array, ys: Float64Array, values: Float64Array, degree: number): { coeffs: Float64Array; weights: Float64Array } {
  const n = values.length;
  const t = termCount(degree);
  const weights = new Float64Array(n).fill(1);
  const row = new Float64Array(t);
  let coeffs: Float64Array<ArrayBuffer> = new Float64Array(t);
  const residuals = new Float32Array(n);
  for (let iter = 0; iter < 5; iter++) {
    const m = new Float64Array(t * t);
    const v = new Float64Array(t);
    for (let s = 0; s < n; s++) {
      const w = weights[s]!;
      if (w === 0) continue;
      monomials(xs[s]!, ys[s]!, degree, row);
      for (let a = 0; a < t; a++) {
        v[a]! += w * row[a]! * values[s]!;
        for (let b = 0; b < t; b++) m[a * t + b]! += w * row[a]! * row[b]!;
      }
    }
    for (let a = 0; a < t; a++) m[a * t + a]! += 1e-9;
    const solved = solveLinear(m, v, t);
    if (!solved) break;
    coeffs = solved;
    for (let s = 0; s < n; s++) {
      monomials(xs[s]!, ys[s]!, degree, row);
      let p = 0;
      for (let a = 0; a < t; a++) p += row[a]! * coeffs[a]!;
      residuals[s] = Math.abs(values[s]! - p);
    }
    const scratch = new Float32Array(residuals);
    const scale = 1.4826 * selectKth(scratch, 0, n, n >> 1) + 1e-3;
    const c = 4.685 * scale;
    for (let s = 0; s < n; s++) {
      const u = residuals[s]! / c;
      weights[s] = u < 1 ? (1 - u * u) ** 2 : 0;
    }
  }
  return { coeffs, weights };
}

/** The relative light of each tile (see illuminationField), and which tiles had enough valid pixels; a plain function, for its loops to be optimised. */
function tileLightRatios(q: Float32Array, r: Float32Array, valid: Uint8Array, w: number, h: number, gw: number, gh: number): { grid: Float32Array; known: Uint8Array } {
  const grid = new Float32Array(gw * gh);
  const known = new Uint8Array(gw * gh);
  const qs = new Float32Array(Math.ceil(w / gw + 2) * Math.ceil(h / gh + 2));
  const rs = new Float32Array(qs.length);
  for (let j = 0; j < gh; j++) {
    const y0 = Math.floor((j * h) / gh);
    const y1 = Math.floor(((j + 1) * h) / gh);
    for (let i = 0; i < gw; i++) {
      const x0 = Math.floor((i * w) / gw);
      const x1 = Math.floor(((i + 1) * w) / gw);
      let n = 0;
      let seen = 0;
      for (let y = y0; y < y1; y += 2) {
        for (let x = x0; x < x1; x += 2) {
          const k = y * w + x;
          seen++;
          if (!valid[k]) continue;
          qs[n] = q[k]!;
          rs[n++] = r[k]!;
        }
      }
      if (n > 0 && n >= 0.3 * seen) {
        // The light of a tile is read on its bright pixels (the paper): ink has little light to measure, and
        // a camera's black level (flare, offset) distorts dark values far more than light ones.
        const at = Math.floor(0.8 * (n - 1));
        grid[j * gw + i] = (Math.max(0, selectKth(qs, 0, n, at)) + 1) / (Math.max(0, selectKth(rs, 0, n, at)) + 1);
        known[j * gw + i] = 1;
      }
    }
  }
  return { grid, known };
}

/**
 * The gain that corrects the questioned image's lighting to the reference's:
 * the relative illumination questioned / reference is sampled per tile as the
 * ratio of their 80th percentiles (the paper, not the ink), modelled by a robust cubic surface (in
 * the illumination itself, not its inverse or logarithm: vignetting and
 * light fall-off are close to low-order polynomials there), plus the
 * 5×5-median-filtered residual of the tiles, bounded to a gentle local
 * departure (a large one is more likely an altered area than light). The
 * field is smooth, so it is
 * sampled on every other pixel and evaluated at half resolution.
 */
export async function illuminationField(questioned: Plane, reference: Plane, valid: Uint8Array, tile: number): Promise<Plane> {
  const { width: w, height: h } = reference;
  const gw = Math.max(1, Math.round(w / tile));
  const gh = Math.max(1, Math.round(h / tile));
  const { grid, known } = tileLightRatios(questioned.data, reference.data, valid, w, h, gw, gh);
  const samples: number[] = [];
  for (let k = 0; k < known.length; k++) if (known[k]) samples.push(k);
  if (samples.length === 0) return makePlane(w, h, new Float32Array(w * h).fill(1));
  const degree = samples.length >= 40 ? 3 : samples.length >= 12 ? 1 : 0;
  const xs = new Float64Array(samples.length);
  const ys = new Float64Array(samples.length);
  const vs = new Float64Array(samples.length);
  samples.forEach((k, s) => {
    const i = k % gw;
    const j = (k - i) / gw;
    xs[s] = ((Math.floor((i * w) / gw) + Math.floor(((i + 1) * w) / gw)) / 2 / w) * 2 - 1;
    ys[s] = ((Math.floor((j * h) / gh) + Math.floor(((j + 1) * h) / gh)) / 2 / h) * 2 - 1;
    vs[s] = grid[k]!;
  });
  const { coeffs } = robustSurface(xs, ys, vs, degree);
  const t = termCount(degree);
  const row = new Float64Array(t);
  // Residuals bounded to a gentle deviation of the light (a hot spot, a soft shadow): a large one is more
  // likely an altered area than light, and must stay visible; a median and a blur then keep single tiles
  // from imprinting.
  const residual = new Float32Array(gw * gh);
  for (let s = 0; s < samples.length; s++) {
    monomials(xs[s]!, ys[s]!, degree, row);
    let p = 0;
    for (let a = 0; a < t; a++) p += row[a]! * coeffs[a]!;
    const bound = MAX_RESIDUAL_LIGHT * Math.abs(p);
    residual[samples[s]!] = Math.max(-bound, Math.min(bound, vs[s]! - p));
  }
  let res = makePlane(gw, gh, residual);
  if (gw >= 5 && gh >= 5) res = gaussianBlur(await medianBlur(res, 5), 1);
  const hw = Math.ceil(w / 2);
  const hh = Math.ceil(h / 2);
  const resHalf = await resizePlane(res, hw, hh, 'linear');
  const half = evaluateField(coeffs, degree, resHalf, w, h);
  return resizePlane(makePlane(hw, hh, half), w, h, 'linear');
}

/** The gain at each half-resolution pixel: 1 / (surface + residual), bounded (a plain function: a loop in an async function body cannot be optimised while it runs). */
function evaluateField(coeffs: Float64Array, degree: number, resHalf: Plane, w: number, h: number): Float32Array {
  const { width: hw, height: hh } = resHalf;
  // The surface is evaluated per (half-resolution) pixel, separably, so that it stays exact up to the image edges.
  const xp: Float64Array[] = [];
  const yp: Float64Array[] = [];
  for (let p = 0; p <= degree; p++) {
    xp.push(Float64Array.from({ length: hw }, (_, x) => (((2 * x + 1) / w) * 2 - 1) ** p));
    yp.push(Float64Array.from({ length: hh }, (_, y) => (((2 * y + 1) / h) * 2 - 1) ** p));
  }
  const half = new Float32Array(hw * hh);
  const rowCoeffs = new Float64Array(degree + 1);
  for (let y = 0; y < hh; y++) {
    // Along this row the surface is a polynomial in x alone.
    rowCoeffs.fill(0);
    let k = 0;
    for (let i = 0; i <= degree; i++) {
      for (let j = 0; j <= degree - i; j++) rowCoeffs[i]! += coeffs[k++]! * yp[j]![y]!;
    }
    const base = y * hw;
    for (let x = 0; x < hw; x++) {
      let light = resHalf.data[base + x]!;
      for (let i = 0; i <= degree; i++) light += rowCoeffs[i]! * xp[i]![x]!;
      half[base + x] = 1 / Math.min(MAX_GAIN, Math.max(1 / MAX_GAIN, light));
    }
  }
  return half;
}

/** q′ = (q + 1)·gain − 1: the +1 keeps black from pinning the field (the same offset as in the field's log ratio). */
function applyGain(p: Plane, gain: Plane): Plane {
  const out = new Float32Array(p.data.length);
  const g = gain.data;
  for (let i = 0; i < out.length; i++) out[i] = (p.data[i]! + 1) * g[i]! - 1;
  return makePlane(p.width, p.height, out);
}

const FIT_POINTS = Array.from({ length: 19 }, (_, i) => 0.05 * (i + 1));

/** Least-squares line through matched quantiles of `q` and `r`: r ≈ a·q + b. */
export function quantileLine(q: Plane, r: Plane, valid: Uint8Array): { a: number; b: number } {
  const xq = quantiles(q.data, FIT_POINTS, valid, 4096, 3);
  const yr = quantiles(r.data, FIT_POINTS, valid, 4096, 3);
  const n = xq.length;
  const mx = xq.reduce((s, v) => s + v, 0) / n;
  const my = yr.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xq[i]! - mx) * (yr[i]! - my);
    sxx += (xq[i]! - mx) ** 2;
  }
  const a = sxx > 1e-6 ? Math.min(8, Math.max(0.125, sxy / sxx)) : 1;
  return { a, b: my - a * mx };
}

/** One gain through the origin matching the quantiles of `q` to those of `r` (UV: keeps colour ratios). */
function quantileGain(q: Plane, r: Plane, valid: Uint8Array): number {
  const xq = quantiles(q.data, FIT_POINTS, valid, 4096, 3);
  const yr = quantiles(r.data, FIT_POINTS, valid, 4096, 3);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xq.length; i++) {
    sxy += xq[i]! * yr[i]!;
    sxx += xq[i]! * xq[i]!;
  }
  return sxx > 1e-6 ? Math.min(5, Math.max(0.2, sxy / sxx)) : 1;
}

function mapLinear(p: Plane, a: number, b: number): Plane {
  const out = new Float32Array(p.data.length);
  for (let i = 0; i < out.length; i++) out[i] = a * p.data[i]! + b;
  return makePlane(p.width, p.height, out);
}

const TONE_SAMPLES = 8000;
/**
 * Least share of the tone samples a luminance band is weighed as holding,
 * in the second of the two fits. Bands are balanced so that the paper white
 * does not outvote the inks, but a band with a handful of samples then
 * weighs as much as the paper: a sharpening kernel's overshoot on a few
 * edges, a speck of glare. In sharpened phone photos of another holder's
 * passport, the reference sharpened by the fitted transfer kernel to match
 * had a dozen samples in its darkest two bands; the fit bent to them,
 * leaving the questioned page 20 grey levels darker than the reference and
 * one region over the whole page (7 of 12 photos). The floor alone is no
 * cure: bands of edge samples (3×3 means across a stroke's border) hold
 * few samples each and keep the curve in place between the inks and the
 * paper when a large part of the content differs. Hence both fits, and the
 * one that explains the samples better (the smaller robust residual) is kept.
 */
const TONE_BAND_FLOOR = 0.02;

/** Terms of the tone model: a quadratic in RGB (10 terms) or a cubic in grey (4 terms); inputs scaled to [0, 1]. */
function toneTerms(v: readonly number[], out: Float64Array, offset: number): void {
  if (v.length === 1) {
    const l = v[0]! / 255;
    out[offset] = 1;
    out[offset + 1] = l;
    out[offset + 2] = l * l;
    out[offset + 3] = l * l * l;
    return;
  }
  const r = v[0]! / 255;
  const g = v[1]! / 255;
  const b = v[2]! / 255;
  out[offset] = 1;
  out[offset + 1] = r;
  out[offset + 2] = g;
  out[offset + 3] = b;
  out[offset + 4] = r * r;
  out[offset + 5] = g * g;
  out[offset + 6] = b * b;
  out[offset + 7] = r * g;
  out[offset + 8] = r * b;
  out[offset + 9] = g * b;
}

/**
 * Fits, for each reference channel, a function of the questioned pixel —
 * quadratic in R, G, B for colour (so cross-channel rendering differences
 * are undone), cubic for grey — by Tukey-reweighted least squares, and
 * applies it. The images are aligned, so the fit is pixel to pixel, which
 * unlike histogram matching does not bend the whole tone scale when part of
 * the content differs. Samples are taken on a regular grid of 3×3-averaged
 * images (a residual misalignment barely matters), weighted inversely to how
 * common their luminance is so the paper white does not outvote the inks
 * (see TONE_BAND_FLOOR for rare luminances).
 */
export async function fitToneTransform(reference: readonly Plane[], questioned: readonly Plane[], mask: Uint8Array): Promise<{ planes: Plane[]; residual: number }> {
  const channels = reference.length;
  if (channels !== 1 && channels !== 3) throw new RangeError('tone transform needs 1 or 3 planes');
  const terms = channels === 1 ? 4 : 10;
  const { width: w, height: h } = reference[0]!;
  const sw = Math.max(1, Math.round(w / 3));
  const sh = Math.max(1, Math.round(h / 3));
  const rs = await Promise.all(reference.map((p) => resizePlane(p, sw, sh, 'area')));
  const qs = await Promise.all(questioned.map((p) => resizePlane(p, sw, sh, 'area')));
  const fit = fitToneModel(rs, qs, w, h, mask, terms);
  if (!fit) return { planes: [...questioned], residual: 0 };
  return { planes: applyToneTransform(questioned, fit.coeffs), residual: fit.residual };
}

/**
 * The fit of fitToneTransform on the reduced planes (a plain function: a loop in
 * an async function body cannot be optimised while it runs); null with too few samples.
 */
function fitToneModel(rs: readonly Plane[], qs: readonly Plane[], w: number, h: number, mask: Uint8Array, terms: number): { coeffs: Float64Array[]; residual: number } | null {
  const channels = rs.length;
  const { width: sw, height: sh } = rs[0]!;
  const step = Math.max(1, Math.round(Math.sqrt((sw * sh) / TONE_SAMPLES)));
  const idx: number[] = [];
  for (let y = step >> 1; y < sh; y += step) {
    const fy = Math.min(h - 1, Math.floor(((y + 0.5) * h) / sh));
    for (let x = step >> 1; x < sw; x += step) {
      const fx = Math.min(w - 1, Math.floor(((x + 0.5) * w) / sw));
      if (mask[fy * w + fx]) idx.push(y * sw + x);
    }
  }
  const n = idx.length;
  if (n < 50) return null;
  const design = new Float64Array(n * terms);
  const bins = new Float64Array(16);
  const bin = new Uint8Array(n);
  const px = new Array<number>(channels);
  for (let s = 0; s < n; s++) {
    const k = idx[s]!;
    let lum = 0;
    for (let c = 0; c < channels; c++) {
      px[c] = qs[c]!.data[k]!;
      lum += rs[c]!.data[k]! / channels;
    }
    toneTerms(px, design, s * terms);
    bin[s] = Math.min(15, Math.max(0, Math.floor(lum / 16)));
    bins[bin[s]!]!++;
  }
  // Each luminance band weighs as much as the others. A band holding only a handful of samples then
  // weighs as much as the paper, which can steer the whole fit: a second fit weighs bands as holding at
  // least TONE_BAND_FLOOR of the samples, and per channel the fit with the smaller robust residual is kept.
  const balanced = Float64Array.from(bin, (b) => 1 / bins[b]!);
  const floor = TONE_BAND_FLOOR * n;
  const floored = bins.some((count) => count > 0 && count < floor) ? Float64Array.from(bin, (b) => 1 / Math.max(bins[b]!, floor)) : null;
  const coeffs: Float64Array[] = [];
  let residualSum = 0;
  const scratch = { res: new Float32Array(n), sorted: new Float32Array(n), weights: new Float64Array(n) };
  for (let c = 0; c < channels; c++) {
    const target = Float64Array.from(idx, (k) => rs[c]!.data[k]!);
    let best = tukeyFit(design, target, balanced, terms, c, scratch);
    if (floored) {
      const other = tukeyFit(design, target, floored, terms, c, scratch);
      if (other.scale < best.scale) best = other;
    }
    coeffs.push(best.coef);
    residualSum += best.scale;
  }
  return { coeffs, residual: residualSum / channels };
}

/**
 * Tukey-reweighted least squares of `target` on the tone terms (`design`, `terms` per sample), each
 * sample's weight also multiplied by `balance`; returns the coefficients and the robust residual scale
 * (grey levels). The identity for channel `c` stands should the system be singular.
 */
function tukeyFit(
  design: Float64Array,
  target: Float64Array,
  balance: Float64Array,
  terms: number,
  c: number,
  scratch: { res: Float32Array; sorted: Float32Array; weights: Float64Array },
): { coef: Float64Array; scale: number } {
  const n = target.length;
  const { res, sorted, weights } = scratch;
  weights.fill(1);
  let coef: Float64Array = Float64Array.from({ length: terms }, (_, t) => (t === c + 1 ? 255 : 0));
  let scale = 0;
  for (let iter = 0; iter < 4; iter++) {
    const m = new Float64Array(terms * terms);
    const v = new Float64Array(terms);
    for (let s = 0; s < n; s++) {
      const wt = weights[s]! * balance[s]!;
      if (wt === 0) continue;
      const o = s * terms;
      const y = target[s]!;
      for (let a = 0; a < terms; a++) {
        const da = design[o + a]! * wt;
        v[a]! += da * y;
        for (let b = a; b < terms; b++) m[a * terms + b]! += da * design[o + b]!;
      }
    }
    for (let a = 0; a < terms; a++) {
      for (let b = 0; b < a; b++) m[a * terms + b] = m[b * terms + a]!;
      m[a * terms + a]! += 1e-6;
    }
    const solved = solveLinear(m, v, terms);
    if (!solved) break;
    coef = solved;
    for (let s = 0; s < n; s++) {
      const o = s * terms;
      let p = 0;
      for (let a = 0; a < terms; a++) p += design[o + a]! * coef[a]!;
      res[s] = Math.abs(target[s]! - p);
    }
    sorted.set(res);
    scale = 1.4826 * selectKth(sorted, 0, n, n >> 1) + 1e-3;
    const cut = 4.685 * scale;
    for (let s = 0; s < n; s++) {
      const u = res[s]! / cut;
      weights[s] = u < 1 ? (1 - u * u) ** 2 : 0;
    }
  }
  return { coef, scale };
}

function applyToneTransform(questioned: readonly Plane[], coeffs: readonly Float64Array[]): Plane[] {
  const { width: w, height: h } = questioned[0]!;
  const inv = 1 / 255;
  if (questioned.length === 1) {
    const [k0, k1, k2, k3] = coeffs[0]!;
    const q = questioned[0]!.data;
    const out = new Float32Array(w * h);
    for (let i = 0; i < out.length; i++) {
      const l = q[i]! * inv;
      out[i] = k0! + l * (k1! + l * (k2! + l * k3!));
    }
    return [makePlane(w, h, out)];
  }
  const out = [new Float32Array(w * h), new Float32Array(w * h), new Float32Array(w * h)];
  const [qr, qg, qb] = [questioned[0]!.data, questioned[1]!.data, questioned[2]!.data];
  // Coefficients as locals: the loop then runs on registers, not typed-array loads.
  const [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9] = coeffs[0]!;
  const [b0, b1, b2, b3, b4, b5, b6, b7, b8, b9] = coeffs[1]!;
  const [d0, d1, d2, d3, d4, d5, d6, d7, d8, d9] = coeffs[2]!;
  const [o0, o1, o2] = out as [Float32Array, Float32Array, Float32Array];
  for (let i = 0; i < w * h; i++) {
    const r = qr[i]! * inv;
    const g = qg[i]! * inv;
    const b = qb[i]! * inv;
    const rr = r * r;
    const gg = g * g;
    const bb = b * b;
    const rg = r * g;
    const rb = r * b;
    const gb = g * b;
    o0[i] = a0! + a1! * r + a2! * g + a3! * b + a4! * rr + a5! * gg + a6! * bb + a7! * rg + a8! * rb + a9! * gb;
    o1[i] = b0! + b1! * r + b2! * g + b3! * b + b4! * rr + b5! * gg + b6! * bb + b7! * rg + b8! * rb + b9! * gb;
    o2[i] = d0! + d1! * r + d2! * g + d3! * b + d4! * rr + d5! * gg + d6! * bb + d7! * rg + d8! * rb + d9! * gb;
  }
  return out.map((d) => makePlane(w, h, d));
}

/**
 * Edge steepness: 99th percentile of the 3×3 Sobel gradient magnitude over
 * the valid pixels of every other row (a global statistic needs no more).
 */
function sharpness(p: Plane, valid: Uint8Array): number {
  const { width: w, height: h, data: a } = p;
  const mags = new Float32Array(Math.ceil(h / 2) * w);
  let n = 0;
  for (let y = 1; y < h - 1; y += 2) {
    for (let x = 1; x < w - 1; x++) {
      const k = y * w + x;
      if (!valid[k]) continue;
      const gx = a[k - w + 1]! + 2 * a[k + 1]! + a[k + w + 1]! - a[k - w - 1]! - 2 * a[k - 1]! - a[k + w - 1]!;
      const gy = a[k + w - 1]! + 2 * a[k + w]! + a[k + w + 1]! - a[k - w - 1]! - 2 * a[k - w]! - a[k - w + 1]!;
      mags[n++] = Math.sqrt(gx * gx + gy * gy);
    }
  }
  return n === 0 ? 0 : selectKth(mags, 0, n, Math.min(n - 1, Math.floor(0.99 * n)));
}

/** The central `share` × `share` part of two planes and a mask. */
function centralCrop(a: Plane, b: Plane, mask: Uint8Array, share: number): [Plane, Plane, Uint8Array] {
  const { width: w, height: h } = a;
  const cw = Math.max(8, Math.round(w * share));
  const ch = Math.max(8, Math.round(h * share));
  if (cw >= w || ch >= h) return [a, b, mask];
  const x0 = (w - cw) >> 1;
  const y0 = (h - ch) >> 1;
  const ca = new Float32Array(cw * ch);
  const cb = new Float32Array(cw * ch);
  const cm = new Uint8Array(cw * ch);
  for (let y = 0; y < ch; y++) {
    const from = (y + y0) * w + x0;
    ca.set(a.data.subarray(from, from + cw), y * cw);
    cb.set(b.data.subarray(from, from + cw), y * cw);
    cm.set(mask.subarray(from, from + cw), y * cw);
  }
  return [makePlane(cw, ch, ca), makePlane(cw, ch, cb), cm];
}

/** Share of each side of the page on which sharpness is matched (a third of its area). */
const SHARPNESS_CROP = 0.58;
const BLUR_STEPS = [0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 1.8, 2.2, 2.7, 3.3];

/**
 * The Gaussian sigma that makes the sharper image as steep as the other.
 * Global edge statistics are used rather than pixel differences, which a
 * residual misalignment would mistake for blur.
 */
export async function matchSharpness(referenceIn: Plane, questionedIn: Plane, validIn: Uint8Array): Promise<NormaliseStats['sharpness']> {
  const { a } = quantileLine(questionedIn, referenceIn, validIn);
  // Measured on the central part of the page (a third of it): a document has edges everywhere, and each candidate blur then costs a third.
  const [reference, questioned, valid] = centralCrop(referenceIn, questionedIn, validIn, SHARPNESS_CROP);
  const sRef = sharpness(reference, valid);
  const sQ = sharpness(questioned, valid) * a;
  if (!(sRef > 0) || !(sQ > 0)) return { blurred: 'none', sigma: 0 };
  const blurRef = sRef > sQ;
  const sharper = blurRef ? reference : questioned;
  const scale = blurRef ? 1 : a;
  const target = blurRef ? sQ : sRef;
  let best = { sigma: 0, err: Math.abs(Math.log((blurRef ? sRef : sQ) / target)) };
  // Each trial blur is measured and dropped: one buffer serves them all.
  const trial = new Float32Array(sharper.data.length);
  for (const sigma of BLUR_STEPS) {
    const s = sharpness(gaussianBlur(sharper, sigma, trial), valid) * scale;
    const err = Math.abs(Math.log(s / target));
    if (err < best.err) best = { sigma, err };
    if (s <= target) break; // steepness only falls with sigma: the match has been passed
  }
  if (best.sigma === 0) return { blurred: 'none', sigma: 0 };
  return { blurred: blurRef ? 'reference' : 'questioned', sigma: best.sigma };
}

/** Least variation of the capture's scale over the page (ratio) for which the blur is made to follow it. */
const SCALE_VARIATION = 1.1;
/** Ratio between the sigmas of a spatially varying blur's ladder (blends of the two rungs about a pixel's sigma, by variance, stand for the Gaussians between). */
const LADDER_STEP = 1.25;
/** Most steps on the ladder (each a blur of the page); a steeper photo's steps are wider. */
const MAX_LADDER_STEPS = 2;
/** Smallest sigma on the ladder: below it a blur is no blur. */
const LADDER_FLOOR = 0.3;

/** The halves' sigmas are measured from blurs this factor either side of the page-wide sigma. */
const HALF_TRIAL = 1.25;

/**
 * For each mask, the sigma by which blurring `sharper` brings its edge
 * steepness down to the mask's target, near `sigma`: the steepness is
 * measured after blurs `HALF_TRIAL` times either side of it and
 * interpolated (or extrapolated, to at most 1.6 times either way) linearly
 * in log steepness. Two blurs of the page serve every mask.
 */
function sigmasNear(sharper: Plane, sigma: number, targets: readonly { mask: Uint8Array; target: number }[]): number[] {
  const [s0, s1] = [sigma / HALF_TRIAL, sigma * HALF_TRIAL];
  const trial = new Float32Array(sharper.data.length);
  const low = gaussianBlur(sharper, s0, trial);
  const at0 = targets.map(({ mask }) => Math.log(sharpness(low, mask)));
  const high = gaussianBlur(sharper, s1, trial);
  const at1 = targets.map(({ mask }) => Math.log(sharpness(high, mask)));
  return targets.map(({ target }, k) => {
    const slope = (at1[k]! - at0[k]!) / (s1 - s0);
    // Steepness falls as the blur grows; without a fall there is nothing to read a sigma from.
    if (!(slope < 0) || !(target > 0)) return sigma;
    const found = s0 + (Math.log(target) - at0[k]!) / slope;
    return Math.min(1.6 * sigma, Math.max(sigma / 1.6, found));
  });
}

/**
 * The sigma by which to blur the reference at each pixel when the capture
 * is the blurrier and its scale varies over the page (a tilted photo): its
 * own blur, seen in the reference frame, has a part that grows as its scale
 * falls (the lens, the sensor's pixels and the JPEG blocks of the photo,
 * enlarged more where the document was further away) and a part that does
 * not (the reference's own blur, which is subtracted). So the sigma² is
 * modelled as A + B·c², c the capture's scale at the centre of the page over
 * its scale at the pixel. B is read from the sigmas matched separately on
 * the finer and on the coarser half of the page; A keeps the page-wide
 * sigma at c = 1 (the halves' own levels vary with what each holds more
 * than their difference does). With the sigmas, their range over the
 * compared pixels (2 decimals). Null when the scale varies too little, or
 * the halves do not show the blur growing with c (then one page-wide sigma
 * is all the evidence supports).
 */
export function perspectiveSigmas(
  reference: Plane,
  questioned: Plane,
  valid: Uint8Array,
  captureScale: Plane,
  sigma: number,
): { sigmas: Float32Array; range: [number, number] } | null {
  const { width: w, height: h, data: scale } = captureScale;
  // c at every pixel, relative to the mean scale of the central part where the page-wide sigma is matched.
  const [croppedScale, , crop] = centralCrop(captureScale, captureScale, valid, SHARPNESS_CROP);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < crop.length; i++) {
    if (crop[i]) {
      sum += croppedScale.data[i]!;
      n++;
    }
  }
  if (n === 0 || !(sum > 0)) return null;
  const centre = sum / n;
  const c = new Float32Array(w * h);
  const compared = new Float32Array(w * h);
  let m = 0;
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (let i = 0; i < c.length; i++) {
    const ci = (c[i] = centre / scale[i]!);
    if (!valid[i]) continue;
    compared[m++] = ci;
    if (ci < lo) lo = ci;
    if (ci > hi) hi = ci;
  }
  if (m < 64 || !(hi / lo > SCALE_VARIATION)) return null;
  const mid = selectKth(compared, 0, m, m >> 1);
  const fine = new Uint8Array(w * h);
  const coarse = new Uint8Array(w * h);
  let [cf, nf, cc, nc] = [0, 0, 0, 0];
  for (let i = 0; i < c.length; i++) {
    if (!valid[i]) continue;
    const c2 = c[i]! * c[i]!;
    if (c[i]! <= mid) {
      fine[i] = 255;
      cf += c2;
      nf++;
    } else {
      coarse[i] = 255;
      cc += c2;
      nc++;
    }
  }
  if (nf === 0 || nc === 0) return null;
  const { a } = quantileLine(questioned, reference, valid);
  const [sigmaFine, sigmaCoarse] = sigmasNear(reference, sigma, [
    { mask: fine, target: sharpness(questioned, fine) * a },
    { mask: coarse, target: sharpness(questioned, coarse) * a },
  ]) as [number, number];
  const B = (sigmaCoarse ** 2 - sigmaFine ** 2) / (cc / nc - cf / nf);
  if (!(B > 0)) return null;
  const A = sigma ** 2 - B;
  const most = BLUR_STEPS[BLUR_STEPS.length - 1]!;
  const sigmaAt = (ci: number) => Math.min(most, Math.sqrt(Math.max(0, A + B * ci * ci)));
  const sigmas = new Float32Array(w * h);
  // Pixels outside the compared area take the nearest compared scale: the blur's ladder spans only what is compared.
  for (let i = 0; i < sigmas.length; i++) sigmas[i] = sigmaAt(Math.min(hi, Math.max(lo, c[i]!)));
  // The sigma grows with c (B > 0): its bounds are those of the compared scales.
  const round2 = (v: number) => Math.round(v * 100) / 100;
  return { sigmas, range: [round2(sigmaAt(lo)), round2(sigmaAt(hi))] };
}

/**
 * Gaussian blur of a sigma that varies per pixel, for each plane: the plane
 * blurred at a ladder of sigmas spanning them (each straight from the plane:
 * a sampled Gaussian of a small sigma blurs less than its sigma says, so a
 * ladder built step on step would fall short), the two rungs about each
 * pixel's sigma blended by variance; below the ladder's floor a pixel is
 * blended with the plane itself. Each pixel's rungs and weight are found
 * once for all the planes.
 */
export function varyingBlur(planes: readonly Plane[], sigmas: Float32Array): Plane[] {
  let hi = 0;
  let lo = Number.POSITIVE_INFINITY;
  for (const s of sigmas) {
    if (s > hi) hi = s;
    if (s < lo) lo = s;
  }
  lo = Math.max(LADDER_FLOOR, lo);
  if (!(hi > lo)) return planes.map((p) => gaussianBlur(p, hi >= LADDER_FLOOR ? hi : 0));
  const steps = Math.min(MAX_LADDER_STEPS, Math.max(1, Math.ceil(Math.log(hi / lo) / Math.log(LADDER_STEP))));
  // The unblurred plane first, at sigma 0, then the ladder evenly spaced in log sigma.
  const ladder = [0, ...Array.from({ length: steps + 1 }, (_, k) => lo * (hi / lo) ** (k / steps))];
  const rung = new Uint8Array(sigmas.length);
  const weight = new Float32Array(sigmas.length);
  const logLo = Math.log(lo);
  const perStep = steps / Math.log(hi / lo);
  for (let i = 0; i < sigmas.length; i++) {
    const s = sigmas[i]!;
    // Rung 0 is no blur, rung 1 the floor: the pixel's position on the ladder.
    const at = s <= lo ? 0 : Math.min(steps, (Math.log(s) - logLo) * perStep) + 1;
    const k = Math.min(steps, Math.floor(at));
    const s0 = ladder[k]!;
    const s1 = ladder[k + 1]!;
    rung[i] = k;
    // Blended by variance: the blend's second moment is the pixel's sigma².
    weight[i] = Math.min(1, Math.max(0, (s * s - s0 * s0) / (s1 * s1 - s0 * s0)));
  }
  return planes.map((p) => {
    const rungs = ladder.map((s) => (s === 0 ? p.data : gaussianBlur(p, s).data));
    const out = new Float32Array(p.data.length);
    for (let i = 0; i < out.length; i++) {
      const k = rung[i]!;
      const t = weight[i]!;
      out[i] = (1 - t) * rungs[k]![i]! + t * rungs[k + 1]![i]!;
    }
    return makePlane(p.width, p.height, out);
  });
}

/**
 * Range of the illumination gain over the learnt pixels, and the factor
 * (≥ 1) by which it amplifies noise relative to its median; null when no
 * pixel is learnt. A plain function: a loop in an async function body
 * cannot be optimised while it runs.
 */
function gainStatistics(field: Plane, learn: Uint8Array): { range: [number, number]; amplification: Plane } | null {
  const gains = new Float32Array(field.data.length);
  let n = 0;
  for (let i = 0; i < gains.length; i++) if (learn[i]) gains[n++] = field.data[i]!;
  if (n === 0) return null;
  const sorted = gains.subarray(0, n);
  const med = selectKth(sorted, 0, n, n >> 1);
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const g of sorted) {
    if (g < lo) lo = g;
    if (g > hi) hi = g;
  }
  const amp = new Float32Array(field.data.length);
  for (let i = 0; i < amp.length; i++) amp[i] = Math.max(1, field.data[i]! / med);
  return { range: [lo, hi], amplification: makePlane(field.width, field.height, amp) };
}

/**
 * Normalises the questioned planes (RGB or grey, same count as the
 * reference) to the reference. `valid` (0/255) marks the compared pixels,
 * `learn` those whose content should be the same in both images
 * (personalised zones left out).
 */
export async function normaliseToReference(
  reference: readonly Plane[],
  questioned: readonly Plane[],
  masks: { valid: Uint8Array; learn: Uint8Array },
  profile: LightProfile,
  params: NormaliseParams,
): Promise<Normalised> {
  if (reference.length !== questioned.length || reference.length === 0) throw new RangeError('reference and questioned need the same number of planes');
  const { valid, learn } = masks;
  let ref = [...reference];
  let refLum = luminance(ref);
  let q = [...questioned];
  let amplification: Plane | null = null;
  let illumination: [number, number] = [1, 1];

  // Sharpness first: the illumination field is learnt by comparing the two images tile by tile, and
  // against a sharper reference the fine print and high-contrast lettering bias it.
  const qLum = luminance(q);
  let sharp: NormaliseStats['sharpness'] = await matchSharpness(refLum, qLum, valid);
  // Edge steepness is fooled by a sharpened capture (its strokes steep, its fine print gone): a fitted kernel is
  // used where it explains clearly more of the capture than the Gaussian does.
  const transfer = params.transferMinGain < 1 ? fitTransfer(refLum, qLum, learn, sharp) : null;
  if (transfer && 1 - transfer.fit.correlation ** 2 <= (1 - params.transferMinGain) * (1 - transfer.gaussianCorrelation ** 2)) {
    const { side, weights } = transfer.fit;
    if (side === 'reference') {
      ref = ref.map((p) => applyTransfer(p, weights));
      refLum = luminance(ref);
    } else {
      q = q.map((p) => applyTransfer(p, weights));
    }
    const spread = Math.sqrt(Math.max(0, weights.reduce((s, w, i) => s + w * (i === 0 ? 0 : TRANSFER_SIGMAS[i - 1]! ** 2), 0)));
    sharp = { blurred: side, sigma: Math.round(spread * 100) / 100, kernel: weights.map((w) => Math.round(w * 1e4) / 1e4) };
  } else {
    const { blurred, sigma } = sharp;
    if (blurred === 'reference') {
      // The capture is the blurrier: seen in the reference frame, its blur grows where it was further away.
      const varying = params.captureScale ? perspectiveSigmas(refLum, qLum, valid, params.captureScale(), sigma) : null;
      if (varying) sharp = { ...sharp, range: varying.range };
      ref = varying ? varyingBlur(ref, varying.sigmas) : ref.map((p) => gaussianBlur(p, sigma));
      refLum = luminance(ref);
    }
    if (blurred === 'questioned') q = q.map((p) => gaussianBlur(p, sigma));
  }

  if (profile.illuminationField) {
    const field = await illuminationField(luminance(q), refLum, learn, params.illuminationTile);
    q = q.map((p) => applyGain(p, field));
    const gains = gainStatistics(field, learn);
    if (gains) {
      illumination = gains.range;
      amplification = gains.amplification;
    }
  }

  let toneResidual = 0;
  if (profile.tone === 'fit') {
    const fit = await fitToneTransform(ref, q, valid);
    q = fit.planes;
    toneResidual = Math.round(fit.residual * 1e4) / 1e4;
  } else if (profile.tone === 'gain') {
    const g = quantileGain(luminance(q), refLum, learn);
    q = q.map((p) => mapLinear(p, g, 0));
  } else {
    q = q.map((p, c) => {
      const { a, b } = quantileLine(p, ref[c]!, learn);
      return mapLinear(p, a, b);
    });
  }

  return { reference: ref, questioned: q, noiseAmplification: amplification, stats: { illumination, sharpness: sharp, tone: { model: profile.tone, residual: toneResidual } } };
}

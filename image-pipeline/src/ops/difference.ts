/**
 * Local difference of two normalised images as a score map in [0, 1].
 *
 * The measure is a shift-tolerant envelope difference: each questioned pixel
 * is compared with the range [min, max] of the reference over its 3×3
 * neighbourhood, and each reference pixel with that of the questioned image;
 * only what falls outside the other image's local range counts. A residual
 * misalignment of about a pixel, resampling and blur move values inside that
 * range, so they cost nothing, while added, removed or re-shaped strokes fall
 * outside it. Both images are lightly blurred first (print screen, JPEG
 * blocks, sensor noise), and the measure runs on a Gaussian pyramid so that
 * faint changes over large areas count at the coarse levels where noise has
 * averaged out.
 *
 * Colour images are compared in luminance and two opponent chroma channels
 * (weighted per light source: UV fluorescence colour matters more than the
 * tint of white light), chroma from the second pyramid level on; the
 * per-pixel difference is the largest over the channels. A level's difference d becomes a score d² / (d² + T²), 0.5 at the
 * threshold T, which is the light profile's threshold or a multiple of the
 * measured noise (raised where illumination correction amplified it),
 * whichever is higher. The map is the maximum over levels.
 */
import type { LightProfile } from './normalise';
import { gaussianBlur, halve, makePlane, resizePlane, selectKth, shrinkMask, type Plane } from './planes';

export interface DifferenceParams {
  /** Pyramid levels compared (1 = working resolution only). */
  levels: number;
  /** Gaussian sigma applied to both images before comparing, working pixels. */
  preBlur: number;
  /** Half-size of the neighbourhood whose range absorbs misalignment, pixels of each level. */
  envelopeRadius: number;
  /** Gaussian sigma pooling the per-pixel difference before scoring. */
  poolBlur: number;
}

export interface DifferenceLevel {
  /** Robust standard deviation of the luminance difference in flat areas, grey levels. */
  noise: number;
  /** Base threshold of the level (before local noise amplification), grey levels. */
  threshold: number;
}

export interface DifferenceMap {
  /** Working resolution, 0 at invalid pixels. */
  score: Plane;
  levels: DifferenceLevel[];
}

/** Mean of the channels (the plane itself for grey). */
function luminanceOf(planes: readonly Plane[]): Plane {
  const first = planes[0]!;
  if (planes.length === 1) return first;
  const [r, g, b] = [planes[0]!.data, planes[1]!.data, planes[2]!.data];
  const lum = new Float32Array(r.length);
  for (let i = 0; i < lum.length; i++) lum[i] = (r[i]! + g[i]! + b[i]!) / 3;
  return makePlane(first.width, first.height, lum);
}

/** Luminance plus weighted opponent chroma (or luminance alone). */
export function comparisonChannels(planes: readonly Plane[], profile: LightProfile): Plane[] {
  const first = planes[0]!;
  const { width, height } = first;
  if (planes.length === 1) return [first];
  const [r, g, b] = [planes[0]!.data, planes[1]!.data, planes[2]!.data];
  const lum = new Float32Array(r.length);
  for (let i = 0; i < lum.length; i++) lum[i] = (r[i]! + g[i]! + b[i]!) / 3;
  if (profile.colour === 'grey' || profile.chromaWeight <= 0) return [makePlane(width, height, lum)];
  const w = profile.chromaWeight;
  const rg = new Float32Array(r.length);
  const yb = new Float32Array(r.length);
  for (let i = 0; i < lum.length; i++) {
    rg[i] = (w * (r[i]! - g[i]!)) / 2;
    yb[i] = (w * ((r[i]! + g[i]!) / 2 - b[i]!)) / 2;
  }
  return [makePlane(width, height, lum), makePlane(width, height, rg), makePlane(width, height, yb)];
}

/**
 * Robust noise of a − b where `a` is flat (the lowest 40 % of its gradients),
 * over the masked pixels of every other row and column: a global statistic
 * needs no more.
 */
function flatNoise(a: Plane, b: Plane, mask: Uint8Array): number {
  const { width: w, height: h } = a;
  const A = a.data;
  const B = b.data;
  const cap = Math.ceil(w / 2) * Math.ceil(h / 2);
  const grads = new Float32Array(cap);
  const diffs = new Float32Array(cap);
  let n = 0;
  for (let y = 1; y < h - 1; y += 2) {
    for (let x = 1; x < w - 1; x += 2) {
      const k = y * w + x;
      if (!mask[k]) continue;
      grads[n] = Math.abs(A[k + 1]! - A[k - 1]!) + Math.abs(A[k + w]! - A[k - w]!);
      diffs[n++] = A[k]! - B[k]!;
    }
  }
  if (n < 16) return 0;
  const flatLimit = selectKth(new Float32Array(grads.subarray(0, n)), 0, n, Math.floor(0.4 * n));
  let m = 0;
  for (let i = 0; i < n; i++) if (grads[i]! <= flatLimit) diffs[m++] = diffs[i]!;
  const med = selectKth(diffs, 0, m, m >> 1);
  for (let i = 0; i < m; i++) diffs[i] = Math.abs(diffs[i]! - med);
  return 1.4826 * selectKth(diffs, 0, m, m >> 1);
}

/**
 * For each pixel, the largest distance of either image's value from the
 * other image's [min, max] over the (2r+1)² neighbourhood (borders
 * replicated), written into `into` where it exceeds what is there. Plain
 * separable passes in JavaScript: for a 3×3 window this beats four OpenCV
 * morphology calls and their copies in and out of the WebAssembly heap.
 */
function envelopeDifference(a: Plane, b: Plane, r: number, into: Float32Array, scratch: Float32Array[], skipBelow: number): void {
  if (r === 1) {
    envelopeDifference3(a, b, into, skipBelow);
    return;
  }
  const { width: w, height: h } = a;
  const A = a.data;
  const B = b.data;
  const [aLo, aHi, bLo, bHi] = scratch as [Float32Array, Float32Array, Float32Array, Float32Array];
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const x0 = x - r < 0 ? 0 : x - r;
      const x1 = x + r >= w ? w - 1 : x + r;
      let al = A[row + x0]!;
      let ah = al;
      let bl = B[row + x0]!;
      let bh = bl;
      for (let xx = x0 + 1; xx <= x1; xx++) {
        const av = A[row + xx]!;
        const bv = B[row + xx]!;
        if (av < al) al = av;
        else if (av > ah) ah = av;
        if (bv < bl) bl = bv;
        else if (bv > bh) bh = bv;
      }
      aLo[row + x] = al;
      aHi[row + x] = ah;
      bLo[row + x] = bl;
      bHi[row + x] = bh;
    }
  }
  for (let y = 0; y < h; y++) {
    const y0 = y - r < 0 ? 0 : y - r;
    const y1 = y + r >= h ? h - 1 : y + r;
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let al = aLo[y0 * w + x]!;
      let ah = aHi[y0 * w + x]!;
      let bl = bLo[y0 * w + x]!;
      let bh = bHi[y0 * w + x]!;
      for (let yy = y0 + 1; yy <= y1; yy++) {
        const k = yy * w + x;
        if (aLo[k]! < al) al = aLo[k]!;
        if (aHi[k]! > ah) ah = aHi[k]!;
        if (bLo[k]! < bl) bl = bLo[k]!;
        if (bHi[k]! > bh) bh = bHi[k]!;
      }
      const av = A[row + x]!;
      const bv = B[row + x]!;
      let d = bv - ah;
      if (al - bv > d) d = al - bv;
      if (av - bh > d) d = av - bh;
      if (bl - av > d) d = bl - av;
      if (d > into[row + x]!) into[row + x] = d;
    }
  }
}

/**
 * envelopeDifference for a 3×3 window, the default and the hot loop of the
 * comparison. The envelope distance never exceeds |a − b| (each value lies
 * in its own image's range), so pixels whose plain difference is below
 * `skipBelow` — far under any threshold — are passed over without looking
 * at their neighbours.
 */
function envelopeDifference3(a: Plane, b: Plane, into: Float32Array, skipBelow: number): void {
  const { width: w, height: h } = a;
  const A = a.data;
  const B = b.data;
  for (let y = 0; y < h; y++) {
    const up = y === 0 ? 0 : -w;
    const down = y === h - 1 ? 0 : w;
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const k = row + x;
      const av = A[k]!;
      const bv = B[k]!;
      const plain = av > bv ? av - bv : bv - av;
      if (plain < skipBelow || plain <= into[k]!) continue;
      const l = x === 0 ? 0 : 1;
      const r = x === w - 1 ? 0 : 1;
      const u = k + up;
      const dn = k + down;
      // The 3×3 neighbourhood, borders replicated (an offset collapses to 0 at an edge), unrolled.
      let al = av;
      let ah = av;
      let bl = bv;
      let bh = bv;
      let v = 0;
      v = A[u - l]!;
      if (v < al) al = v;
      else if (v > ah) ah = v;
      v = B[u - l]!;
      if (v < bl) bl = v;
      else if (v > bh) bh = v;
      v = A[u]!;
      if (v < al) al = v;
      else if (v > ah) ah = v;
      v = B[u]!;
      if (v < bl) bl = v;
      else if (v > bh) bh = v;
      v = A[u + r]!;
      if (v < al) al = v;
      else if (v > ah) ah = v;
      v = B[u + r]!;
      if (v < bl) bl = v;
      else if (v > bh) bh = v;
      v = A[k - l]!;
      if (v < al) al = v;
      else if (v > ah) ah = v;
      v = B[k - l]!;
      if (v < bl) bl = v;
      else if (v > bh) bh = v;
      v = A[k + r]!;
      if (v < al) al = v;
      else if (v > ah) ah = v;
      v = B[k + r]!;
      if (v < bl) bl = v;
      else if (v > bh) bh = v;
      v = A[dn - l]!;
      if (v < al) al = v;
      else if (v > ah) ah = v;
      v = B[dn - l]!;
      if (v < bl) bl = v;
      else if (v > bh) bh = v;
      v = A[dn]!;
      if (v < al) al = v;
      else if (v > ah) ah = v;
      v = B[dn]!;
      if (v < bl) bl = v;
      else if (v > bh) bh = v;
      v = A[dn + r]!;
      if (v < al) al = v;
      else if (v > ah) ah = v;
      v = B[dn + r]!;
      if (v < bl) bl = v;
      else if (v > bh) bh = v;
      let d = bv - ah;
      if (al - bv > d) d = al - bv;
      if (av - bh > d) d = av - bh;
      if (bl - av > d) d = bl - av;
      if (d > into[k]!) into[k] = d;
    }
  }
}

/*
 * The per-pixel passes of differenceScore are plain functions: a loop in an
 * async function body cannot be optimised while it runs (no on-stack
 * replacement into resumable functions) and runs unoptimised, boxing every
 * intermediate number, until the function is hot.
 */

/** d² / (d² + t²) at the valid pixels, t the base threshold or `noiseThreshold` × the local amplification, whichever is higher. */
function levelScore(pooled: Float32Array, valid: Uint8Array, base: number, noiseThreshold: number, amplification: Float32Array | null): Float32Array {
  const s = new Float32Array(pooled.length);
  for (let i = 0; i < s.length; i++) {
    if (!valid[i]) continue;
    const d = pooled[i]!;
    const t = Math.max(base, noiseThreshold * (amplification ? amplification[i]! : 1));
    s[i] = (d * d) / (d * d + t * t);
  }
  return s;
}

function maxInto(into: Float32Array, values: Float32Array): void {
  for (let i = 0; i < into.length; i++) if (values[i]! > into[i]!) into[i] = values[i]!;
}

function zeroWhereInvalid(values: Float32Array, valid: Uint8Array): void {
  for (let i = 0; i < values.length; i++) if (!valid[i]) values[i] = 0;
}

export async function differenceScore(
  reference: readonly Plane[],
  questioned: readonly Plane[],
  valid: Uint8Array,
  profile: LightProfile,
  noiseAmplification: Plane | null,
  params: DifferenceParams,
  /** Pixels the noise is measured on (default: `valid`); personalised zones are better left out. */
  statsMask: Uint8Array = valid,
): Promise<DifferenceMap> {
  // The pyramid is kept in the input channels; the compared channels are derived per level.
  let refIn = [...reference];
  let qryIn = [...questioned];
  const { width, height } = reference[0]!;
  const score = new Float32Array(width * height);
  const levels: DifferenceLevel[] = [];
  let levelValid = valid;
  let levelStats = statsMask;
  let amp = noiseAmplification;
  for (let level = 0; level < params.levels; level++) {
    const lw = refIn[0]!.width;
    const lh = refIn[0]!.height;
    if (lw < 8 || lh < 8) break;
    // Chroma joins from the second level on: cameras record colour at half resolution (Bayer
    // mosaics, JPEG 4:2:0), so full-resolution chroma holds little but interpolation.
    const lumaOnly = level === 0 && params.levels > 1;
    // Channels derived here are blurred in place; a grey input plane is passed through as it is, and must not be.
    const blurred = (inputs: readonly Plane[], channels: readonly Plane[]) => channels.map((p) => gaussianBlur(p, params.preBlur, inputs.includes(p) ? undefined : p.data));
    const a = blurred(refIn, lumaOnly ? [luminanceOf(refIn)] : comparisonChannels(refIn, profile));
    const b = blurred(qryIn, lumaOnly ? [luminanceOf(qryIn)] : comparisonChannels(qryIn, profile));
    const noise = flatNoise(a[0]!, b[0]!, levelStats);
    const diff = new Float32Array(lw * lh);
    const scratch = params.envelopeRadius === 1 ? [] : [0, 1, 2, 3].map(() => new Float32Array(lw * lh));
    // A difference a quarter of the lowest threshold scores at most 0.06: not worth its neighbourhood.
    const skipBelow = 0.25 * Math.min(...profile.thresholds);
    for (let c = 0; c < a.length; c++) envelopeDifference(a[c]!, b[c]!, params.envelopeRadius, diff, scratch, skipBelow);
    const pooled = gaussianBlur(makePlane(lw, lh, diff), params.poolBlur, diff);
    const base = profile.thresholds[Math.min(level, profile.thresholds.length - 1)]!;
    const levelAmp = amp && (amp.width !== lw || amp.height !== lh) ? await resizePlane(amp, lw, lh, 'area') : amp;
    const s = levelScore(pooled.data, levelValid, base, profile.noiseFactor * noise, levelAmp ? levelAmp.data : null);
    const up = level === 0 ? makePlane(lw, lh, s) : await resizePlane(makePlane(lw, lh, s), width, height, 'linear');
    maxInto(score, up.data);
    levels.push({ noise, threshold: base });
    if (level + 1 < params.levels) {
      refIn = await Promise.all(refIn.map(halve));
      qryIn = await Promise.all(qryIn.map(halve));
      const nw = refIn[0]!.width;
      const nh = refIn[0]!.height;
      const nextValid = shrinkMask(levelValid, lw, lh, nw, nh);
      levelStats = statsMask === valid ? nextValid : shrinkMask(levelStats, lw, lh, nw, nh);
      levelValid = nextValid;
      amp = levelAmp;
    }
  }
  zeroWhereInvalid(score, valid);
  return { score: makePlane(width, height, score), levels };
}

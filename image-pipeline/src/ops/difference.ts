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
 * tint of white light); the per-pixel difference is the largest over the
 * channels. A level's difference d becomes a score d² / (d² + T²), 0.5 at the
 * threshold T, which is the light profile's threshold or a multiple of the
 * measured noise (raised where illumination correction amplified it),
 * whichever is higher. The map is the maximum over levels.
 */
import type { LightProfile } from './normalise';
import { gaussianBlur, gradientMagnitude, makePlane, minMaxFilter, halve, quantiles, resizePlane, selectKth, shrinkMask, type Plane } from './planes';

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

/** Robust noise of a − b over valid pixels where `a` is flat (lowest 40 % of its gradients). */
async function flatNoise(a: Plane, b: Plane, valid: Uint8Array): Promise<number> {
  const grad = await gradientMagnitude(a);
  const [flatLimit] = quantiles(grad.data, [0.4], valid);
  const diffs = new Float32Array(a.data.length);
  let n = 0;
  for (let i = 0; i < diffs.length; i++) {
    if (valid[i] && grad.data[i]! <= flatLimit!) diffs[n++] = a.data[i]! - b.data[i]!;
  }
  if (n < 16) return 0;
  const med = selectKth(diffs, 0, n, n >> 1);
  for (let i = 0; i < n; i++) diffs[i] = Math.abs(diffs[i]! - med);
  return 1.4826 * selectKth(diffs, 0, n, n >> 1);
}

/** max over both directions of the distance from a value to the other image's local [min, max]. */
async function envelopeDifference(a: Plane, b: Plane, radius: number, into: Float32Array): Promise<void> {
  const ea = await minMaxFilter(a, radius);
  const eb = await minMaxFilter(b, radius);
  const av = a.data;
  const bv = b.data;
  for (let i = 0; i < into.length; i++) {
    const x = av[i]!;
    const y = bv[i]!;
    let d = y - ea.max.data[i]!;
    const d2 = ea.min.data[i]! - y;
    const d3 = x - eb.max.data[i]!;
    const d4 = eb.min.data[i]! - x;
    if (d2 > d) d = d2;
    if (d3 > d) d = d3;
    if (d4 > d) d = d4;
    if (d > into[i]!) into[i] = d;
  }
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
  let ref = comparisonChannels(reference, profile);
  let qry = comparisonChannels(questioned, profile);
  const { width, height } = ref[0]!;
  const score = new Float32Array(width * height);
  const levels: DifferenceLevel[] = [];
  let levelValid = valid;
  let levelStats = statsMask;
  let amp = noiseAmplification;
  for (let level = 0; level < params.levels; level++) {
    const lw = ref[0]!.width;
    const lh = ref[0]!.height;
    if (lw < 8 || lh < 8) break;
    const a = await Promise.all(ref.map((p) => gaussianBlur(p, params.preBlur)));
    const b = await Promise.all(qry.map((p) => gaussianBlur(p, params.preBlur)));
    const noise = await flatNoise(a[0]!, b[0]!, levelStats);
    const diff = new Float32Array(lw * lh);
    for (let c = 0; c < a.length; c++) await envelopeDifference(a[c]!, b[c]!, params.envelopeRadius, diff);
    const pooled = await gaussianBlur(makePlane(lw, lh, diff), params.poolBlur);
    const base = profile.thresholds[Math.min(level, profile.thresholds.length - 1)]!;
    const levelAmp = amp && (amp.width !== lw || amp.height !== lh) ? await resizePlane(amp, lw, lh, 'area') : amp;
    const s = new Float32Array(lw * lh);
    for (let i = 0; i < s.length; i++) {
      if (!levelValid[i]) continue;
      const d = pooled.data[i]!;
      const t = Math.max(base, profile.noiseFactor * noise * (levelAmp ? levelAmp.data[i]! : 1));
      s[i] = (d * d) / (d * d + t * t);
    }
    const up = level === 0 ? makePlane(lw, lh, s) : await resizePlane(makePlane(lw, lh, s), width, height, 'linear');
    for (let i = 0; i < score.length; i++) if (up.data[i]! > score[i]!) score[i] = up.data[i]!;
    levels.push({ noise, threshold: base });
    if (level + 1 < params.levels) {
      ref = await Promise.all(ref.map(halve));
      qry = await Promise.all(qry.map(halve));
      const nw = ref[0]!.width;
      const nh = ref[0]!.height;
      const nextValid = shrinkMask(levelValid, lw, lh, nw, nh);
      levelStats = statsMask === valid ? nextValid : shrinkMask(levelStats, lw, lh, nw, nh);
      levelValid = nextValid;
      amp = levelAmp;
    }
  }
  for (let i = 0; i < score.length; i++) if (!valid[i]) score[i] = 0;
  return { score: makePlane(width, height, score), levels };
}

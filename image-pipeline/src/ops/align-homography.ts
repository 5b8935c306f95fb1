/**
 * Homography estimation from point correspondences through OpenCV, returning
 * plain arrays. Robust estimation is seeded so that the same correspondences
 * always give the same homography.
 */
import type { Cv } from '../cv/opencv';
import { withMats } from '../cv/opencv';
import { applyHomography, composeHomographies, invertHomography, isHomography, normalizeHomography } from './geometry';
import { solveLinear } from './linear-solve';

export interface HomographyFit {
  homography: number[];
  /** 1 for correspondences consistent with the homography, 0 otherwise. */
  inlierMask: Uint8Array;
  inliers: number;
}

const RNG_SEED = 0x5eed;

function pointsMat(cv: Cv, xy: ArrayLike<number>, n: number) {
  const m = new cv.Mat(n, 1, cv.CV_32FC2);
  const f = m.data32F;
  for (let i = 0; i < 2 * n; i++) f[i] = xy[i]!;
  return m;
}

/**
 * Robust fit (MAGSAC++ through OpenCV's USAC, or classic RANSAC) followed
 * by OpenCV's own least-squares polish on the inliers. `threshold` is the
 * inlier reprojection distance in destination pixels.
 */
export function robustHomography(
  cv: Cv,
  src: ArrayLike<number>,
  dst: ArrayLike<number>,
  n: number,
  threshold: number,
  method: 'magsac' | 'ransac' = 'magsac',
): Promise<HomographyFit | null> {
  if (n < 4) return Promise.resolve(null);
  return withMats((track) => {
    const s = track(pointsMat(cv, src, n));
    const d = track(pointsMat(cv, dst, n));
    const mask = track(new cv.Mat());
    cv.setRNGSeed(RNG_SEED);
    const h = track(cv.findHomography(s, d, method === 'magsac' ? (cv as Cv & { USAC_MAGSAC: number }).USAC_MAGSAC : cv.RANSAC, threshold, mask, 10000, 0.9995));
    if (h.rows !== 3 || h.cols !== 3 || mask.rows !== n) return null;
    const homography = normalizeHomography(Array.from(h.data64F));
    if (!isHomography(homography)) return null;
    const inlierMask = new Uint8Array(n);
    let inliers = 0;
    for (let i = 0; i < n; i++) {
      if (mask.data[i]) {
        inlierMask[i] = 1;
        inliers++;
      }
    }
    return { homography, inlierMask, inliers };
  });
}

/** Reprojection residuals |H·src − dst| for n correspondences. */
export function reprojectionErrors(h: readonly number[], src: ArrayLike<number>, dst: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const [x, y] = applyHomography(h, src[2 * i]!, src[2 * i + 1]!);
    const e = Math.hypot(x - dst[2 * i]!, y - dst[2 * i + 1]!);
    out[i] = Number.isFinite(e) ? e : Number.POSITIVE_INFINITY;
  }
  return out;
}

/** Similarity that moves the points' centroid to 0 and their mean distance to √2 (Hartley normalisation). */
function normaliser(xy: ArrayLike<number>, n: number): number[] {
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < n; i++) {
    cx += xy[2 * i]!;
    cy += xy[2 * i + 1]!;
  }
  cx /= n;
  cy /= n;
  let d = 0;
  for (let i = 0; i < n; i++) d += Math.hypot(xy[2 * i]! - cx, xy[2 * i + 1]! - cy);
  const s = d > 0 ? (Math.SQRT2 * n) / d : 1;
  return [s, 0, -s * cx, 0, s, -s * cy, 0, 0, 1];
}


export interface RobustRefit {
  homography: number[];
  /** Final robust weight of each correspondence (0 = rejected). */
  weights: Float64Array;
  /** Robust scale of the residuals (px). */
  sigma: number;
}

/**
 * Iteratively reweighted least squares on reprojection error (Gauss–Newton,
 * Tukey biweight with a scale from the median absolute residual), starting
 * from `initial`. Unlike RANSAC's hard inlier set, the smooth weights give
 * one well-defined optimum when the scene is only approximately a plane
 * (lens distortion, relief), so the result does not depend on where the
 * iteration started.
 */
export function irlsHomography(initial: readonly number[], src: ArrayLike<number>, dst: ArrayLike<number>, n: number, minSigma: number, iterations = 8): RobustRefit | null {
  if (n < 8) return null;
  const ts = normaliser(src, n);
  const td = normaliser(dst, n);
  const s = new Float64Array(2 * n);
  const d = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    [s[2 * i], s[2 * i + 1]] = applyHomography(ts, src[2 * i]!, src[2 * i + 1]!);
    [d[2 * i], d[2 * i + 1]] = applyHomography(td, dst[2 * i]!, dst[2 * i + 1]!);
  }
  // Work on the normalised problem: Hn = Td · H · Ts⁻¹.
  const scale = td[0]!;
  let h = composeHomographies(td, composeHomographies(initial, invertHomography(ts)));
  const weights = new Float64Array(n).fill(1);
  const res = new Float64Array(n);
  let sigma = minSigma;
  for (let it = 0; it < iterations; it++) {
    for (let i = 0; i < n; i++) {
      const [u, v] = applyHomography(h, s[2 * i]!, s[2 * i + 1]!);
      res[i] = Math.hypot(u - d[2 * i]!, v - d[2 * i + 1]!) / scale;
    }
    const sorted = Float64Array.from(res).sort();
    sigma = Math.max(minSigma, 1.4826 * sorted[n >> 1]!);
    const c = 4.685 * sigma;
    let used = 0;
    for (let i = 0; i < n; i++) {
      const r = res[i]! / c;
      weights[i] = r < 1 ? (1 - r * r) ** 2 : 0;
      if (weights[i]! > 0) used++;
    }
    if (used < 8) return null;
    const ata = new Float64Array(64);
    const atb = new Float64Array(8);
    const [h0, h1, h2, h3, h4, h5, h6, h7] = h as [number, number, number, number, number, number, number, number];
    for (let i = 0; i < n; i++) {
      const w8 = weights[i]!;
      if (w8 === 0) continue;
      const x = s[2 * i]!;
      const y = s[2 * i + 1]!;
      const den = h6 * x + h7 * y + 1;
      const u = (h0 * x + h1 * y + h2) / den;
      const v = (h3 * x + h4 * y + h5) / den;
      const ju = [x / den, y / den, 1 / den, 0, 0, 0, (-u * x) / den, (-u * y) / den];
      const jv = [0, 0, 0, x / den, y / den, 1 / den, (-v * x) / den, (-v * y) / den];
      const ru = d[2 * i]! - u;
      const rv = d[2 * i + 1]! - v;
      for (let a = 0; a < 8; a++) {
        atb[a] = atb[a]! + w8 * (ju[a]! * ru + jv[a]! * rv);
        for (let b = a; b < 8; b++) ata[a * 8 + b] = ata[a * 8 + b]! + w8 * (ju[a]! * ju[b]! + jv[a]! * jv[b]!);
      }
    }
    for (let a = 0; a < 8; a++) for (let b = 0; b < a; b++) ata[a * 8 + b] = ata[b * 8 + a]!;
    const delta = solveLinear(ata, atb, 8);
    if (!delta) return null;
    h = [h0 + delta[0]!, h1 + delta[1]!, h2 + delta[2]!, h3 + delta[3]!, h4 + delta[4]!, h5 + delta[5]!, h6 + delta[6]!, h7 + delta[7]!, 1];
  }
  const out = composeHomographies(invertHomography(td), composeHomographies(h, ts));
  return isHomography(out) ? { homography: out, weights, sigma } : null;
}

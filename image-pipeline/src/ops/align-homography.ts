/**
 * Homography estimation from point correspondences through OpenCV, returning
 * plain arrays. Robust estimation is seeded so that the same correspondences
 * always give the same homography.
 */
import type { Cv } from '../cv/opencv';
import { withMats } from '../cv/opencv';
import { applyHomography, isHomography, normalizeHomography } from './geometry';

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

/** Least-squares homography (OpenCV's DLT + Levenberg–Marquardt on reprojection error) through all given points. */
export function leastSquaresHomography(cv: Cv, src: ArrayLike<number>, dst: ArrayLike<number>, n: number): Promise<number[] | null> {
  if (n < 4) return Promise.resolve(null);
  return withMats((track) => {
    const s = track(pointsMat(cv, src, n));
    const d = track(pointsMat(cv, dst, n));
    const h = track(cv.findHomography(s, d, 0));
    if (h.rows !== 3 || h.cols !== 3) return null;
    const homography = normalizeHomography(Array.from(h.data64F));
    return isHomography(homography) ? homography : null;
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

/**
 * Geometric verification of identification candidates: the questioned
 * image's keypoints are matched against each candidate reference image's
 * precomputed keypoints (mutual nearest neighbours with a ratio test) and a
 * homography is fitted robustly. The number of inliers of a plausible
 * homography says how much of the candidate's printed design was found in
 * the questioned image, in the right arrangement — which a bag of words
 * alone cannot tell.
 *
 * Keypoints inside the candidate's personalised zones (photo, name, numbers)
 * are left out, so that a document of the same type issued to another holder
 * scores like the reference itself.
 */
import { loadOpenCv } from '../cv/opencv';
import type { FeatureSet } from './align-features';
import { robustHomography } from './align-homography';
import { matchMutualRatio } from './align-match';
import { implausibleWarp } from './align-quality';
import type { KeypointSet } from './descriptor';
import { convexHull, polygonArea, type Point } from './geometry';

export interface VerifyCandidate {
  /** Caller's key, returned with the verdict. */
  key: string;
  keypoints: KeypointSet;
}

export interface VerifyOptions {
  /** Least inliers of an accepted homography. */
  minInliers: number;
  /** Least share of the matches that must be inliers. */
  minInlierRatio: number;
  /** MAGSAC inlier threshold, working pixels. */
  threshold: number;
  /**
   * Least share of the candidate covered by the inliers' convex hull.
   * Documents of one issuer share elements (emblem, heading, captions): a
   * match confined to such an element is not the document.
   */
  minCoverage: number;
}

export const DEFAULT_VERIFY_OPTIONS: Readonly<VerifyOptions> = Object.freeze({ minInliers: 12, minInlierRatio: 0.15, threshold: 3, minCoverage: 0.2 });

export interface VerifyVerdict {
  key: string;
  /** Whether a plausible homography is supported by enough inliers. */
  verified: boolean;
  /** Inliers of the fitted homography (0 when none could be fitted). */
  inliers: number;
  matches: number;
  /** Keypoints of the candidate. */
  keypoints: number;
  /** Share of the candidate image inside the convex hull of the inliers (0 without a fit). */
  coverage: number;
}

/** The matcher's layout: descriptors as 32-bit words (ORB's 32 bytes are 8 words), float64 positions. */
function toFeatureSet(k: KeypointSet): FeatureSet {
  const bytes = new Uint8Array(k.count * 32);
  bytes.set(k.descriptors.subarray(0, k.count * 32));
  return { count: k.count, xy: Float64Array.from(k.xy), response: new Float32Array(k.count), descriptors: new Int32Array(bytes.buffer), words: 8 };
}

/** Verifies each candidate against the questioned keypoints; verdicts in the candidates' order. Deterministic. */
export async function verifyCandidates(questioned: KeypointSet, candidates: readonly VerifyCandidate[], options: Partial<VerifyOptions> = {}): Promise<VerifyVerdict[]> {
  const o: VerifyOptions = { ...DEFAULT_VERIFY_OPTIONS, ...options };
  const cv = await loadOpenCv();
  const query = toFeatureSet(questioned);
  const out: VerifyVerdict[] = [];
  for (const c of candidates) {
    const ref = toFeatureSet(c.keypoints);
    const verdict: VerifyVerdict = { key: c.key, verified: false, inliers: 0, matches: 0, keypoints: ref.count, coverage: 0 };
    out.push(verdict);
    if (ref.count < 4 || query.count < 4) continue;
    const m = matchMutualRatio(ref, query);
    verdict.matches = m.count;
    if (m.count < 4) continue;
    const src = new Float64Array(2 * m.count);
    const dst = new Float64Array(2 * m.count);
    for (let i = 0; i < m.count; i++) {
      const a = m.reference[i]!;
      const b = m.questioned[i]!;
      src[2 * i] = ref.xy[2 * a]!;
      src[2 * i + 1] = ref.xy[2 * a + 1]!;
      dst[2 * i] = query.xy[2 * b]!;
      dst[2 * i + 1] = query.xy[2 * b + 1]!;
    }
    const fit = await robustHomography(cv, src, dst, m.count, o.threshold, 'magsac');
    if (!fit) continue;
    verdict.inliers = fit.inliers;
    const inlierPoints: Point[] = [];
    for (let i = 0; i < m.count; i++) if (fit.inlierMask[i]) inlierPoints.push([src[2 * i]!, src[2 * i + 1]!]);
    verdict.coverage = Math.round((Math.abs(polygonArea(convexHull(inlierPoints))) / (c.keypoints.width * c.keypoints.height)) * 1e4) / 1e4;
    verdict.verified =
      fit.inliers >= o.minInliers &&
      fit.inliers >= o.minInlierRatio * m.count &&
      verdict.coverage >= o.minCoverage &&
      implausibleWarp(fit.homography, c.keypoints.width, c.keypoints.height) === null;
  }
  return out;
}

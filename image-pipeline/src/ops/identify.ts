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
import type { ZoneRect } from './align-types';
import type { KeypointSet } from './descriptor';

export interface VerifyCandidate {
  /** Caller's key, returned with the verdict. */
  key: string;
  keypoints: KeypointSet;
  /** Rectangles (original reference pixels) whose keypoints are ignored: the personalised zones. */
  exclude: readonly ZoneRect[];
}

export interface VerifyOptions {
  /** Least inliers of an accepted homography. */
  minInliers: number;
  /** Least share of the matches that must be inliers. */
  minInlierRatio: number;
  /** MAGSAC inlier threshold, working pixels. */
  threshold: number;
}

export const DEFAULT_VERIFY_OPTIONS: Readonly<VerifyOptions> = Object.freeze({ minInliers: 12, minInlierRatio: 0.15, threshold: 3 });

export interface VerifyVerdict {
  key: string;
  /** Whether a plausible homography is supported by enough inliers. */
  verified: boolean;
  /** Inliers of the fitted homography (0 when none could be fitted). */
  inliers: number;
  matches: number;
  /** Candidate keypoints taken part (outside the excluded zones). */
  keypoints: number;
}

function toFeatureSet(k: KeypointSet, keep?: (i: number) => boolean): FeatureSet {
  const idx: number[] = [];
  for (let i = 0; i < k.count; i++) if (!keep || keep(i)) idx.push(i);
  const words = 8;
  const descriptors = new Int32Array(idx.length * words);
  const bytes = new Uint8Array(descriptors.buffer);
  const xy = new Float64Array(idx.length * 2);
  idx.forEach((i, j) => {
    bytes.set(k.descriptors.subarray(i * 32, i * 32 + 32), j * 32);
    xy[2 * j] = k.xy[2 * i]!;
    xy[2 * j + 1] = k.xy[2 * i + 1]!;
  });
  return { count: idx.length, xy, response: new Float32Array(idx.length), descriptors, words };
}

function outsideZones(k: KeypointSet, zones: readonly ZoneRect[]): (i: number) => boolean {
  if (zones.length === 0) return () => true;
  // Zones in original pixels → working pixels (pixel-centre convention).
  const rects = zones.map((z) => ({
    x0: (z.x + 0.5) * k.scaleX - 0.5,
    y0: (z.y + 0.5) * k.scaleY - 0.5,
    x1: (z.x + z.width + 0.5) * k.scaleX - 0.5,
    y1: (z.y + z.height + 0.5) * k.scaleY - 0.5,
  }));
  return (i) => {
    const x = k.xy[2 * i]!;
    const y = k.xy[2 * i + 1]!;
    return !rects.some((r) => x >= r.x0 && x <= r.x1 && y >= r.y0 && y <= r.y1);
  };
}

/** Verifies each candidate against the questioned keypoints; verdicts in the candidates' order. Deterministic. */
export async function verifyCandidates(questioned: KeypointSet, candidates: readonly VerifyCandidate[], options: Partial<VerifyOptions> = {}): Promise<VerifyVerdict[]> {
  const o: VerifyOptions = { ...DEFAULT_VERIFY_OPTIONS, ...options };
  const cv = await loadOpenCv();
  const query = toFeatureSet(questioned);
  const out: VerifyVerdict[] = [];
  for (const c of candidates) {
    const ref = toFeatureSet(c.keypoints, outsideZones(c.keypoints, c.exclude));
    const verdict: VerifyVerdict = { key: c.key, verified: false, inliers: 0, matches: 0, keypoints: ref.count };
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
    verdict.verified =
      fit.inliers >= o.minInliers && fit.inliers >= o.minInlierRatio * m.count && implausibleWarp(fit.homography, c.keypoints.width, c.keypoints.height) === null;
  }
  return out;
}

import type { Homography } from './geometry';

/** Raw 8-bit single-channel pixels, row-major, no padding. */
export interface GreyImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Axis-aligned rectangle in reference pixel coordinates. */
export interface ZoneRect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface AlignOptions {
  /**
   * Reference zones whose content legitimately differs between documents
   * (holder photo, personalised fields): no refinement patch is taken inside
   * them. Feature matching still uses them: a match there that agrees with
   * the rest of the page is right, one that does not is dropped by the robust
   * fit, and on a data page these fields hold much of the distinctive detail
   * (masking them left a photo of another holder's passport too few matches).
   */
  readonly ignoreZones?: readonly ZoneRect[];
  /** Long edge (px) of the working resolution for feature matching. */
  readonly coarseLongEdge?: number;
  /** Features kept per image at the working resolution. */
  readonly maxFeatures?: number;
  /** Minimum feature inliers for a coarse homography to be trusted. */
  readonly minInliers?: number;
  /** Try simulated oblique views of the reference when direct matching fails (steep perspective). */
  readonly tiltFallback?: boolean;
}

/**
 * Milliseconds per stage; stages that did not run are 0. `total` is the
 * whole call except decoding (done by the caller) and the one-time loading
 * of OpenCV; `fallback` holds the simulated-tilt attempts, matching and
 * estimation included.
 */
export interface AlignTimings {
  prepare: number;
  features: number;
  match: number;
  estimate: number;
  fallback: number;
  refine: number;
  total: number;
}

export type AlignFailureReason =
  /** Not enough distinctive structure in one of the images (blank, flat, tiny). */
  | 'too-few-features'
  /** Features exist but too few agree on one homography: unrelated images, or too different to match. */
  | 'too-few-inliers'
  /** The best homography is degenerate: mirror, collapse, extreme scale or perspective. */
  | 'implausible-warp'
  /** The coarse homography was not confirmed by sub-pixel refinement at higher resolution. */
  | 'refinement-failed';

export interface CoarseAttempt {
  /** Which detector/view produced it, e.g. `orb`, `akaze`, `akaze-tilt2-0deg`. */
  method: string;
  keypointsReference: number;
  keypointsQuestioned: number;
  matches: number;
  inliers: number;
}

export interface RefinementLevel {
  referenceScale: number;
  questionedScale: number;
  pass: number;
  points: number;
  tracked: number;
  inliers: number;
  rmse: number;
  /** Convex hull of the inliers over the area of the reference the questioned image shows (`visible`). */
  coverage: number;
  /** Share of the reference area that the questioned image shows through the level's starting homography (1: all or nearly all of it). */
  visible: number;
  /** The blur the pass's sharper image was given to match the other (σ in pixels of the level's reference image); absent when none. */
  equalised?: BlurEqualisation;
  /** Set when the pass's patches gave no robust fit (too few tracked or agreeing, or no convergence) and it was tried again with the images equalised by the blur measured at the coarsest level (the next entry). */
  retried?: true;
}

/** Extra Gaussian blur given to the sharper image at the finest refinement level so that both have the same point spread. */
export interface BlurEqualisation {
  image: 'reference' | 'questioned';
  /** Standard deviation in pixels of the finest reference level (for the questioned image, times the local scale of the homography). */
  sigma: number;
}

export interface AlignDiagnostics {
  referenceSize: [number, number];
  questionedSize: [number, number];
  coarseScale: { reference: number; questioned: number };
  attempts: CoarseAttempt[];
  /** The attempt whose homography was refined, or null when none was accepted. */
  chosen: string | null;
  coarseHomography: number[] | null;
  refinement: RefinementLevel[];
  /** How the two images' sharpness was equalised before the last refinement pass; null when they were alike. */
  blur: BlurEqualisation | null;
  /** Human-readable detail for a refusal, or notes on a success. */
  message: string;
}

export interface AlignSuccess {
  ok: true;
  /** Row-major 3×3, H[8] = 1; maps reference pixel coordinates to questioned pixel coordinates. */
  homography: number[];
  /** Correspondences supporting the final homography (sub-pixel refined points). */
  inliers: number;
  /** Root-mean-square reprojection error of those inliers, questioned pixels. */
  rmse: number;
  elapsedMs: AlignTimings;
  diagnostics: AlignDiagnostics;
}

export interface AlignFailure {
  ok: false;
  reason: AlignFailureReason;
  elapsedMs: AlignTimings;
  diagnostics: AlignDiagnostics;
}

export type AlignResult = AlignSuccess | AlignFailure;

export type { Homography };

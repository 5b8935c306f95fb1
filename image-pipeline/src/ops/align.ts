/**
 * Alignment of a questioned document image to a reference image.
 *
 * 1. Both images are reduced to a working resolution (long edge
 *    `coarseLongEdge`); binary features are matched there (mutual nearest
 *    neighbours + ratio test) and a homography is estimated robustly
 *    (MAGSAC++). Cheap attempts come first (see `coarseAlignment`).
 * 2. An accepted homography is refined coarse to fine up to full resolution
 *    (`align-refine.ts`).
 * 3. A quality gate refuses rather than return a doubtful homography. A
 *    coarse estimate the refinement does not confirm (a false consensus of a
 *    few features, say on another holder's data) does not end the search:
 *    the next attempts go on, up to `MAX_REFINED_CANDIDATES` refinements.
 *
 * Deterministic: no step depends on anything but the pixels and the options.
 */
import { loadOpenCv, withMats } from '../cv/opencv';
import type { Cv, Mat } from '../cv/opencv';
import { detectFeatures, detectTiltedFeatures, EMPTY_FEATURES } from './align-features';
import type { DetectorKind, FeatureSet } from './align-features';
import { robustHomography } from './align-homography';
import { matchMutualRatio } from './align-match';
import { implausibleWarp } from './align-quality';
import { refineHomography } from './align-refine';
import type {
  AlignDiagnostics,
  AlignFailureReason,
  AlignOptions,
  AlignResult,
  AlignTimings,
  CoarseAttempt,
  GreyImage,
  ZoneRect,
} from './align-types';
import { homographyFromLevel, isHomography, normalizeHomography } from './geometry';
import type { Homography, Point } from './geometry';

export const DEFAULT_ALIGN_OPTIONS = {
  coarseLongEdge: 512,
  maxFeatures: 1000,
  minInliers: 15,
  tiltFallback: true,
} as const;

/** Fewest keypoints per image worth matching at all. */
const MIN_FEATURES = 12;
/** MAGSAC inlier threshold at the working resolution (px). */
const COARSE_THRESHOLD = 2.5;
/** Share of mutual ratio-test matches that must be inliers; random matches between unrelated images rarely reach it. */
const MIN_INLIER_RATIO = 0.15;
/**
 * Simulated foreshortening for steep views (ASIFT's tilt t = 1/cos θ, along
 * the image axes, where phone photos of documents are usually tilted): 2
 * covers roughly 45–65°, 2.8 up to about 75°.
 */
const ORB_TILTS = [
  [2, 'x'],
  [2, 'y'],
  [2.8, 'x'],
  [2.8, 'y'],
] as const;
const AKAZE_TILTS = [
  [2, 'x'],
  [2, 'y'],
] as const;
/** Features per image of the dense ORB attempt, as a multiple of `maxFeatures`. */
const DENSE = 2;
/** Retry ORB on a finer questioned image only when it holds markedly more detail than the working resolution. */
const FINE_RETRY_FACTOR = 1.75;
/**
 * A close-up magnifies part of the reference, and a wider view shrinks it,
 * beyond what ORB's pyramid (8 levels of 1.2×) matches at equal working
 * sizes. The zoom attempts enlarge the image that shows the common part
 * smaller to `ZOOM`× the working long edge (resampling up if need be: ORB's
 * patch is fixed in pixels) against the other at the working size, so that
 * changes of scale of about 1.5–7× fall back inside the pyramid's range.
 * Neither image goes below the working size, where detail would be lost.
 */
const ZOOM = 3;
/**
 * Fewest refined correspondences accepted, their least share of the patches
 * tried, and the least part of the visible reference (all of it for a whole
 * document in the frame; the part a close-up or zoomed view shows) their
 * convex hull must cover. Look-alike documents (same template text,
 * different layout) can agree on a strip such as the MRZ; a genuine pair
 * agrees almost everywhere it can be seen.
 */
const MIN_REFINED_INLIERS = 12;
const MIN_REFINED_SHARE = 0.25;
const MIN_COVERAGE = 0.2;
/** Least share of the reference the questioned image must show (a 7× close-up shows 2 %). */
const MIN_VISIBLE = 0.02;
/**
 * Coarse estimates refined at most: one the refinement refuses lets the
 * search go on with the next attempts, but unrelated look-alikes must not
 * cost every attempt's refinement before they are refused.
 */
const MAX_REFINED_CANDIDATES = 3;

function checkImage(name: string, img: GreyImage): void {
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 || img.height < 1) {
    throw new TypeError(`${name}: width and height must be positive integers`);
  }
  if (!(img.data instanceof Uint8Array) || img.data.length !== img.width * img.height) {
    throw new TypeError(`${name}: data must be a Uint8Array of width × height bytes (8-bit grey)`);
  }
}

function toMat(cv: Cv, img: GreyImage): Mat {
  const m = new cv.Mat(img.height, img.width, cv.CV_8UC1);
  m.data.set(img.data);
  return m;
}

/** Stage clock and result builders shared by `alignImages` and `refineAlignment`. */
class AlignRun {
  readonly t0 = performance.now();
  readonly times: AlignTimings = { prepare: 0, features: 0, match: 0, estimate: 0, fallback: 0, refine: 0, total: 0 };
  readonly diagnostics: AlignDiagnostics;

  constructor(reference: GreyImage, questioned: GreyImage) {
    this.diagnostics = {
      referenceSize: [reference.width, reference.height],
      questionedSize: [questioned.width, questioned.height],
      coarseScale: { reference: 1, questioned: 1 },
      attempts: [],
      chosen: null,
      coarseHomography: null,
      refinement: [],
      blur: null,
      message: '',
    };
  }

  private stop(): AlignTimings {
    this.times.total = performance.now() - this.t0;
    for (const k of Object.keys(this.times) as (keyof AlignTimings)[]) this.times[k] = Math.round(this.times[k] * 1000) / 1000;
    return this.times;
  }

  refuse(reason: AlignFailureReason, message: string): AlignResult {
    this.diagnostics.message = message;
    return { ok: false, reason, elapsedMs: this.stop(), diagnostics: this.diagnostics };
  }

  accept(homography: number[], inliers: number, rmse: number, message: string): AlignResult {
    this.diagnostics.message = message;
    return { ok: true, homography, inliers, rmse: Math.round(rmse * 1e4) / 1e4, elapsedMs: this.stop(), diagnostics: this.diagnostics };
  }
}

interface Candidate {
  attempt: CoarseAttempt;
  /** Reference → questioned at the working resolution. */
  homography: number[] | null;
  failure: AlignFailureReason | null;
  message: string;
}

async function estimateCoarse(
  cv: Cv,
  method: string,
  ref: FeatureSet,
  qry: FeatureSet,
  refSize: [number, number],
  minInliers: number,
  clock: { match: number; estimate: number },
): Promise<Candidate> {
  const attempt: CoarseAttempt = { method, keypointsReference: ref.count, keypointsQuestioned: qry.count, matches: 0, inliers: 0 };
  if (ref.count < MIN_FEATURES || qry.count < MIN_FEATURES) {
    return { attempt, homography: null, failure: 'too-few-features', message: `${method}: ${ref.count} reference and ${qry.count} questioned keypoints` };
  }
  let t = performance.now();
  const matches = matchMutualRatio(ref, qry);
  clock.match += performance.now() - t;
  attempt.matches = matches.count;
  const src = new Float64Array(matches.count * 2);
  const dst = new Float64Array(matches.count * 2);
  for (let i = 0; i < matches.count; i++) {
    const a = matches.reference[i]!;
    const b = matches.questioned[i]!;
    src[2 * i] = ref.xy[2 * a]!;
    src[2 * i + 1] = ref.xy[2 * a + 1]!;
    dst[2 * i] = qry.xy[2 * b]!;
    dst[2 * i + 1] = qry.xy[2 * b + 1]!;
  }
  t = performance.now();
  const fit = await robustHomography(cv, src, dst, matches.count, COARSE_THRESHOLD, 'magsac');
  clock.estimate += performance.now() - t;
  attempt.inliers = fit?.inliers ?? 0;
  if (!fit || fit.inliers < minInliers || fit.inliers < MIN_INLIER_RATIO * matches.count) {
    return {
      attempt,
      homography: null,
      failure: 'too-few-inliers',
      message: `${method}: ${attempt.inliers} inliers of ${matches.count} matches (need ${minInliers} and ${Math.round(MIN_INLIER_RATIO * 100)} %)`,
    };
  }
  const why = implausibleWarp(fit.homography, refSize[0], refSize[1]);
  if (why) return { attempt, homography: null, failure: 'implausible-warp', message: `${method}: ${why}` };
  return { attempt, homography: fit.homography, failure: null, message: '' };
}

/**
 * Offers an accepted coarse candidate (its homography at the working scales
 * `refScale` and `qryScale`, the questioned one being that of the image it
 * was matched at) for refinement: true ends the search.
 */
type Propose = (candidate: Candidate, refScale: Point, qryScale: Point) => Promise<boolean>;

interface Working {
  mat: Mat;
  scale: Point;
}

/**
 * Feature matching at the working resolution, trying detectors and views
 * until `propose` takes an estimate; returns every attempt made:
 * 1. ORB, both images at the working resolution, then with twice the
 *    features (another holder's document: the shared template's corners);
 * 2. ORB against the questioned image at twice that resolution with twice
 *    the features — a photo where the document fills a small part of the
 *    frame (or a busy background takes most keypoints);
 * 3. ORB on simulated foreshortened views of the reference (steep angles);
 * 4. ORB across a large change of scale: a wider view in which the
 *    reference is small, or a close-up of part of it (`ZOOM`);
 * 5. AKAZE at the working resolution (blur, dim light), then on
 *    foreshortened views.
 */
function coarseAlignment(
  cv: Cv,
  reference: GreyImage,
  questioned: GreyImage,
  opts: Required<Omit<AlignOptions, 'ignoreZones'>>,
  run: AlignRun,
  propose: Propose,
): Promise<Candidate[]> {
  const times = run.times;
  return withMats(async (track) => {
    let t = performance.now();
    const fullRef = track(toMat(cv, reference));
    const fullQry = track(toMat(cv, questioned));
    const working = (full: Mat, img: GreyImage, longEdge: number, upsample = false): Working => {
      // Enlarged only on request (ORB's patch is fixed in pixels); otherwise at most full resolution.
      const s = longEdge / Math.max(img.width, img.height);
      if (s === 1 || (s > 1 && !upsample)) return { mat: full, scale: [1, 1] };
      const w = Math.max(1, Math.round(img.width * s));
      const h = Math.max(1, Math.round(img.height * s));
      const out = track(new cv.Mat());
      cv.resize(full, out, new cv.Size(w, h), 0, 0, s > 1 ? cv.INTER_LINEAR : cv.INTER_AREA);
      return { mat: out, scale: [w / img.width, h / img.height] };
    };
    const ref = working(fullRef, reference, opts.coarseLongEdge);
    const qry = working(fullQry, questioned, opts.coarseLongEdge);
    run.diagnostics.coarseScale = { reference: ref.scale[0], questioned: qry.scale[0] };
    times.prepare += performance.now() - t;
    const refSize: [number, number] = [ref.mat.cols, ref.mat.rows];
    const candidates: Candidate[] = [];
    const taken = async (c: Candidate, q: Working = qry, r: Working = ref) => !c.failure && (await propose(c, r.scale, q.scale));
    const features = async (image: Working, kind: DetectorKind, max: number) => {
      const t1 = performance.now();
      const f = await detectFeatures(cv, image.mat, kind, max);
      times.features += performance.now() - t1;
      return f;
    };

    const refOrb = await features(ref, 'orb', opts.maxFeatures);
    // Nothing to match on the reference: no detector or view will find more.
    if (refOrb.count < MIN_FEATURES) {
      candidates.push(await estimateCoarse(cv, 'orb', refOrb, EMPTY_FEATURES, refSize, opts.minInliers, times));
      return candidates;
    }
    const qryOrb = await features(qry, 'orb', opts.maxFeatures);
    const orb = await estimateCoarse(cv, 'orb', refOrb, qryOrb, refSize, opts.minInliers, times);
    candidates.push(orb);
    if (await taken(orb)) return candidates;

    // Two documents of one design but different holders share only the
    // template (labels, guilloche, emblems, MRZ fillers): most of the strongest
    // corners fall on the personal data, and the template's own come after the
    // budget is spent. More features on both sides reach them.
    const dense = await estimateCoarse(
      cv,
      'orb-dense',
      await features(ref, 'orb', DENSE * opts.maxFeatures),
      await features(qry, 'orb', DENSE * opts.maxFeatures),
      refSize,
      opts.minInliers,
      times,
    );
    candidates.push(dense);
    if (await taken(dense)) return candidates;

    if (Math.max(questioned.width, questioned.height) >= FINE_RETRY_FACTOR * opts.coarseLongEdge) {
      t = performance.now();
      const fine = working(fullQry, questioned, 2 * opts.coarseLongEdge);
      times.prepare += performance.now() - t;
      const c = await estimateCoarse(cv, 'orb-fine', refOrb, await features(fine, 'orb', 2 * opts.maxFeatures), refSize, opts.minInliers, times);
      candidates.push(c);
      if (await taken(c, fine)) return candidates;
    }

    // A frontal reference against an oblique photo: foreshorten the reference
    // the same way (cheap with ORB, whose questioned features are reused).
    const tilted = async (kind: DetectorKind, qf: FeatureSet, tilts: readonly (readonly [number, 'x' | 'y'])[]) => {
      const t1 = performance.now();
      const clock = { match: 0, estimate: 0 };
      try {
        for (const [tilt, axis] of tilts) {
          const fr = await detectTiltedFeatures(cv, ref.mat, tilt, axis, kind, opts.maxFeatures);
          const c = await estimateCoarse(cv, `${kind}-tilt${tilt}-${axis}`, fr, qf, refSize, opts.minInliers, clock);
          candidates.push(c);
          if (await taken(c)) return true;
        }
        return false;
      } finally {
        times.fallback += performance.now() - t1;
      }
    };
    if (opts.tiltFallback) {
      if (await tilted('orb', qryOrb, ORB_TILTS)) return candidates;
    }

    // A wider view in which the reference appears small (zoom out; a camera
    // stepping back or zooming out from the reference's view), and the converse,
    // a close-up of part of the reference (zoom in). The image that shows the
    // common part smaller is enlarged; the other keeps its working features.
    for (const direction of ['out', 'in'] as const) {
      t = performance.now();
      const [full, img] = direction === 'in' ? [fullRef, reference] : [fullQry, questioned];
      // At most ZOOM× its own resolution: a tiny image enlarged further holds nothing new to match.
      const enlarged = working(full, img, ZOOM * Math.min(opts.coarseLongEdge, Math.max(img.width, img.height)), true);
      times.prepare += performance.now() - t;
      const more = await features(enlarged, 'orb', ZOOM * opts.maxFeatures);
      const [rf, qf, r, q] = direction === 'in' ? [more, qryOrb, enlarged, qry] : [refOrb, more, ref, enlarged];
      const c = await estimateCoarse(cv, `orb-zoom-${direction}`, rf, qf, [r.mat.cols, r.mat.rows], opts.minInliers, times);
      candidates.push(c);
      if (await taken(c, q, r)) return candidates;
    }

    const qryAkaze = await features(qry, 'akaze', opts.maxFeatures);
    const akaze = await estimateCoarse(cv, 'akaze', await features(ref, 'akaze', opts.maxFeatures), qryAkaze, refSize, opts.minInliers, times);
    candidates.push(akaze);
    if (await taken(akaze)) return candidates;
    if (opts.tiltFallback && qryAkaze.count >= MIN_FEATURES) {
      if (await tilted('akaze', qryAkaze, AKAZE_TILTS)) return candidates;
    }
    return candidates;
  });
}

/** Sub-pixel refinement of `initial` plus the final quality gate. */
async function refineAndGate(
  cv: Cv,
  reference: GreyImage,
  questioned: GreyImage,
  initial: Homography,
  coarseLongEdge: number,
  zones: readonly ZoneRect[],
  run: AlignRun,
  note: string,
): Promise<AlignResult> {
  const t = performance.now();
  const refined = await refineHomography(cv, reference, questioned, initial, { coarseLongEdge, ignoreZones: zones });
  run.times.refine += performance.now() - t;
  run.diagnostics.refinement = refined.levels;
  run.diagnostics.blur = refined.blur;
  if (!refined.ok) return run.refuse('refinement-failed', refined.message);
  const last = refined.levels[refined.levels.length - 1]!;
  if (refined.inliers < MIN_REFINED_INLIERS || refined.inliers < MIN_REFINED_SHARE * last.points) {
    return run.refuse('refinement-failed', `only ${refined.inliers} of ${last.points} refinement patches agree on one homography`);
  }
  if (refined.visible < MIN_VISIBLE) {
    return run.refuse('refinement-failed', `the questioned image shows only ${(refined.visible * 100).toFixed(1)} % of the reference`);
  }
  if (refined.coverage < MIN_COVERAGE) {
    const of = refined.visible < 1 ? `the ${(refined.visible * 100).toFixed(0)} % of the reference the questioned image shows` : 'the reference';
    return run.refuse('refinement-failed', `the agreeing patches cover only ${(refined.coverage * 100).toFixed(0)} % of ${of}`);
  }
  const why = implausibleWarp(refined.homography, reference.width, reference.height);
  if (why) return run.refuse('implausible-warp', why);
  const shown = refined.visible < 1 ? `; the questioned image shows ${(refined.visible * 100).toFixed(0)} % of the reference` : '';
  return run.accept(refined.homography, refined.inliers, refined.rmse, `${note}; refined on ${refined.inliers} of ${last.points} patches${shown}`);
}

/**
 * Estimates the homography mapping reference pixel coordinates to questioned
 * pixel coordinates (row-major, H[8] = 1, pixel centres at integer
 * coordinates), or refuses with a reason.
 */
export async function alignImages(reference: GreyImage, questioned: GreyImage, options: AlignOptions = {}): Promise<AlignResult> {
  checkImage('reference', reference);
  checkImage('questioned', questioned);
  const opts = {
    coarseLongEdge: options.coarseLongEdge ?? DEFAULT_ALIGN_OPTIONS.coarseLongEdge,
    maxFeatures: options.maxFeatures ?? DEFAULT_ALIGN_OPTIONS.maxFeatures,
    minInliers: options.minInliers ?? DEFAULT_ALIGN_OPTIONS.minInliers,
    tiltFallback: options.tiltFallback ?? DEFAULT_ALIGN_OPTIONS.tiltFallback,
  };
  const zones = options.ignoreZones ?? [];
  // Loading the WebAssembly module (first call only) is not part of the alignment time.
  const cv = await loadOpenCv();
  const run = new AlignRun(reference, questioned);

  // The result of the last refinement (accepted, or refused with the refusals before it), and those refusals.
  const refined: { result: AlignResult | null; refusals: string[] } = { result: null, refusals: [] };
  const candidates = await coarseAlignment(cv, reference, questioned, opts, run, async (chosen, refScale, qryScale) => {
    const method = chosen.attempt.method;
    run.diagnostics.chosen = method;
    const coarseH = homographyFromLevel(chosen.homography!, refScale, qryScale);
    run.diagnostics.coarseHomography = coarseH;
    const after = refined.refusals.length ? ` (after ${refined.refusals.join('; ')})` : '';
    const result = await refineAndGate(cv, reference, questioned, coarseH, opts.coarseLongEdge, zones, run, `${method}: ${chosen.attempt.inliers} feature inliers${after}`);
    refined.result = result;
    if (result.ok) return true;
    refined.refusals.push(`${method}: ${result.diagnostics.message}`);
    result.diagnostics.message = refined.refusals.join('; ');
    return refined.refusals.length >= MAX_REFINED_CANDIDATES;
  });
  run.diagnostics.attempts = candidates.map((c) => c.attempt);
  if (refined.result) return refined.result;
  // No estimate to refine. The most telling failure: no structure at all, else a consistent but impossible warp, else disagreement.
  const failures = candidates.map((c) => c.failure);
  const reason: AlignFailureReason = failures.every((f) => f === 'too-few-features')
    ? 'too-few-features'
    : failures.includes('implausible-warp')
      ? 'implausible-warp'
      : 'too-few-inliers';
  return run.refuse(reason, candidates.map((c) => c.message).join('; '));
}

/**
 * Refines a known homography (e.g. the one found on the white-light image of
 * the same capture, reused for UV or IR) without feature matching. Refuses
 * when the images do not confirm it.
 */
export async function refineAlignment(
  reference: GreyImage,
  questioned: GreyImage,
  homography: Homography,
  options: Pick<AlignOptions, 'ignoreZones' | 'coarseLongEdge'> = {},
): Promise<AlignResult> {
  checkImage('reference', reference);
  checkImage('questioned', questioned);
  if (!isHomography(homography)) throw new TypeError('homography must be 9 finite numbers');
  const cv = await loadOpenCv();
  const run = new AlignRun(reference, questioned);
  const initial = normalizeHomography(homography);
  run.diagnostics.coarseHomography = initial;
  const why = implausibleWarp(initial, reference.width, reference.height);
  if (why) return run.refuse('implausible-warp', `starting homography: ${why}`);
  return refineAndGate(
    cv,
    reference,
    questioned,
    initial,
    options.coarseLongEdge ?? DEFAULT_ALIGN_OPTIONS.coarseLongEdge,
    options.ignoreZones ?? [],
    run,
    'given homography',
  );
}

/**
 * Sub-pixel refinement of a homography, coarse to fine.
 *
 * At each level, small reference patches around well-spread points are
 * re-found in the questioned image sampled *through the current homography*
 * (so perspective, rotation and scale are already undone locally and only a
 * small residual shift remains), by inverse-compositional Lucas–Kanade on
 * zero-mean, unit-variance patches (insensitive to exposure and contrast).
 * The homography is then re-estimated from the refined correspondences.
 * When the questioned image shows only part of the reference (a close-up),
 * the patches are chosen on that part (`referenceVisibility`). After the
 * first pass at the finest level, the sharper of the two images is blurred
 * to the other's sharpness (`estimateRelativeBlur`) for the passes that
 * follow, and under a strong blur the patches widen to span it. A blur so
 * strong that a finer level tracks too few patches to fit is equalised at
 * that level from its measure at the coarsest one.
 * Sampling only the patches keeps the cost independent of image size, unlike
 * full-image ECC or warping.
 */
import type { Cv } from '../cv/opencv';
import { withMats } from '../cv/opencv';
import { irlsHomography, reprojectionErrors, robustHomography } from './align-homography';
import type { BlurEqualisation, GreyImage, RefinementLevel, ZoneRect } from './align-types';
import { applyHomography, convexHull, homographyDenominator, homographyFromLevel, homographyToLevel, maxCornerShift, polygonArea } from './geometry';
import type { Homography, Point } from './geometry';

/** A resampled image and its actual per-axis scale relative to the original. */
export interface ScaledImage extends GreyImage {
  readonly sx: number;
  readonly sy: number;
}

export interface RefineOptions {
  /** Half-size of the square patch (patch side = 2r + 1). */
  patchRadius: number;
  /** Lucas–Kanade iterations per point at most. */
  maxIterations: number;
  /** Minimum zero-normalised cross-correlation for a refined patch to count. */
  minCorrelation: number;
  /** RANSAC distance (pixels of the level) for the consensus the robust fit starts from. */
  consensusThreshold: number;
  /** Long edge of the coarsest refinement level (normally the feature working resolution). */
  coarseLongEdge: number;
  /** Extra passes at the finest level (each re-samples patches through the improved homography). */
  finalPasses: number;
  ignoreZones: readonly ZoneRect[];
  /** Patches tried per level (spread over the part of the reference the questioned image shows). */
  pointsPerLevel: number;
  /** Floor of the robust residual scale, pixels of the level (LK on clean images is more precise than the model). */
  minSigma: number;
  /**
   * Equalise the sharpness of the two images after the first pass at the finest level, for the passes that follow
   * (see `estimateRelativeBlur`); also measures the blur at the coarsest level, to retry a finer pass that tracks too few patches.
   */
  equaliseBlur: boolean;
}

export const DEFAULT_REFINE_OPTIONS: RefineOptions = {
  patchRadius: 10,
  maxIterations: 12,
  minCorrelation: 0.6,
  consensusThreshold: 2,
  coarseLongEdge: 512,
  finalPasses: 1,
  ignoreZones: [],
  pointsPerLevel: 400,
  minSigma: 0.1,
  equaliseBlur: true,
};

export interface RefineResult {
  ok: boolean;
  /** Null when the two images are equally sharp (or equalisation is off). */
  blur: BlurEqualisation | null;
  homography: number[];
  inliers: number;
  /** RMS reprojection error of the final inliers, in questioned full-resolution pixels. */
  rmse: number;
  levels: RefinementLevel[];
  /** Area of the convex hull of the final inliers over the area of the reference the questioned image shows: how much of what can be seen supports the result. */
  coverage: number;
  /** Share of the reference area the questioned image shows (1 for a whole, or nearly whole, document in the frame; less for a close-up or a zoomed view). */
  visible: number;
  message: string;
}

/**
 * Reduced copies of one image, each made with area averaging (the
 * anti-aliasing filter matching the pixel-centre mapping in geometry.ts)
 * from the smallest copy already made that is still larger, so a large
 * original is copied into OpenCV's heap once, not once per level.
 */
export class ImagePyramid {
  private readonly levels: ScaledImage[];

  constructor(
    private readonly cv: Cv,
    original: GreyImage,
  ) {
    this.levels = [{ ...original, sx: 1, sy: 1 }];
  }

  /** The image reduced by `scale` (≤ 1) on its long edge; sx, sy are the exact per-axis factors after rounding. */
  async at(scale: number): Promise<ScaledImage> {
    const full = this.levels[0]!;
    if (scale >= 1) return full;
    const width = Math.max(1, Math.round(full.width * scale));
    const height = Math.max(1, Math.round(full.height * scale));
    let source = full;
    for (const l of this.levels) {
      if (l.width === width && l.height === height) return l;
      if (l.width >= width && l.height >= height && l.width * l.height < source.width * source.height) source = l;
    }
    const made = await withMats((track) => {
      const src = track(new this.cv.Mat(source.height, source.width, this.cv.CV_8UC1));
      src.data.set(source.data);
      const dst = track(new this.cv.Mat());
      this.cv.resize(src, dst, new this.cv.Size(width, height), 0, 0, this.cv.INTER_AREA);
      return { data: new Uint8Array(dst.data), width, height, sx: width / full.width, sy: height / full.height };
    });
    this.levels.push(made);
    return made;
  }
}

/** Smallest structure-tensor eigenvalue per pixel (grey levels² / px²) for a patch to be trackable. */
const MIN_EIGEN = 4;

interface Track {
  x: number;
  y: number;
  dx: number;
  dy: number;
  correlation: number;
}

/**
 * The questioned image sampled bilinearly through `h` at the reference
 * window of radius `r` round integer pixel (x0, y0) shifted by (dx, dy),
 * row-major into `out`; false when a sample falls outside the image.
 */
function sampleWarpedWindow(qry: GreyImage, h: Homography, x0: number, y0: number, dx: number, dy: number, r: number, out: Float64Array): boolean {
  const qw = qry.width;
  const qh = qry.height;
  const qd = qry.data;
  const [h0, h1, h2, h3, h4, h5, h6, h7, h8] = h as [number, number, number, number, number, number, number, number, number];
  for (let v = -r, k = 0; v <= r; v++) {
    const py = y0 + v + dy;
    for (let u = -r; u <= r; u++, k++) {
      const px = x0 + u + dx;
      const den = h6 * px + h7 * py + h8;
      const qx = (h0 * px + h1 * py + h2) / den;
      const qy = (h3 * px + h4 * py + h5) / den;
      const ix = Math.floor(qx);
      const iy = Math.floor(qy);
      if (!(ix >= 0 && iy >= 0 && ix < qw - 1 && iy < qh - 1)) return false;
      const fx = qx - ix;
      const fy = qy - iy;
      const p = iy * qw + ix;
      const top = qd[p]! + fx * (qd[p + 1]! - qd[p]!);
      const bottom = qd[p + qw]! + fx * (qd[p + qw + 1]! - qd[p + qw]!);
      out[k] = top + fy * (bottom - top);
    }
  }
  return true;
}

/**
 * Inverse-compositional Lucas–Kanade for a translation of the reference
 * patch centred on integer pixel (x0, y0), with the questioned image sampled
 * through `h`. Returns 'flat' when the patch has too little texture to be
 * tracked, null when it leaves an image or the iteration does not converge.
 * `textureKnown` skips the texture thresholds for a template that passed
 * them before it was blurred (blurring lowers its contrast and gradients,
 * not the information the patch carries about its position).
 */
function trackPatch(
  ref: GreyImage,
  qry: GreyImage,
  h: Homography,
  x0: number,
  y0: number,
  o: RefineOptions,
  buf: { t: Float64Array; gx: Float64Array; gy: Float64Array; w: Float64Array },
  textureKnown = false,
): Track | 'flat' | null {
  const r = o.patchRadius;
  const side = 2 * r + 1;
  const n = side * side;
  const { t, gx, gy, w } = buf;
  const rw = ref.width;
  const rd = ref.data;
  let mean = 0;
  for (let v = -r, k = 0; v <= r; v++) {
    const row = (y0 + v) * rw;
    for (let u = -r; u <= r; u++, k++) {
      const i = row + x0 + u;
      t[k] = rd[i]!;
      gx[k] = (rd[i + 1]! - rd[i - 1]!) / 2;
      gy[k] = (rd[i + rw]! - rd[i - rw]!) / 2;
      mean += rd[i]!;
    }
  }
  mean /= n;
  let varT = 0;
  let a11 = 0;
  let a12 = 0;
  let a22 = 0;
  for (let k = 0; k < n; k++) {
    const d = t[k]! - mean;
    varT += d * d;
    a11 += gx[k]! * gx[k]!;
    a12 += gx[k]! * gy[k]!;
    a22 += gy[k]! * gy[k]!;
  }
  const sdT = Math.sqrt(varT / n);
  // Too little texture, or texture in one direction only (an edge constrains one axis): skip.
  const tr = (a11 + a22) / 2;
  const lmin = tr - Math.sqrt(Math.max(0, tr * tr - (a11 * a22 - a12 * a12)));
  const lmax = 2 * tr - lmin;
  if (!(lmin > 0) || lmin < 0.1 * lmax) return 'flat';
  if (!textureKnown && (sdT < 2 || lmin / n < MIN_EIGEN)) return 'flat';
  const inv = 1 / sdT;
  for (let k = 0; k < n; k++) {
    t[k] = (t[k]! - mean) * inv;
  }
  // The Hessian is that of the raw template; residuals are in units of its
  // standard deviation, hence the factor sdT on each update.
  const det = a11 * a22 - a12 * a12;
  const i11 = (a22 / det) * sdT;
  const i12 = (-a12 / det) * sdT;
  const i22 = (a11 / det) * sdT;

  let dx = 0;
  let dy = 0;
  let corr = -1;
  for (let it = 0; it < o.maxIterations; it++) {
    if (!sampleWarpedWindow(qry, h, x0, y0, dx, dy, r, w)) return null;
    let sum = 0;
    let sum2 = 0;
    for (let k = 0; k < n; k++) {
      const val = w[k]!;
      sum += val;
      sum2 += val * val;
    }
    const mW = sum / n;
    const varW = sum2 / n - mW * mW;
    if (!(varW > 1)) return null;
    const invW = 1 / Math.sqrt(varW);
    let b1 = 0;
    let b2 = 0;
    let err2 = 0;
    for (let k = 0; k < n; k++) {
      const e = (w[k]! - mW) * invW - t[k]!;
      b1 += gx[k]! * e;
      b2 += gy[k]! * e;
      err2 += e * e;
    }
    // For unit-variance zero-mean patches, ZNCC = 1 − |a − b|² / 2n.
    corr = 1 - err2 / (2 * n);
    const ddx = i11 * b1 + i12 * b2;
    const ddy = i12 * b1 + i22 * b2;
    dx -= ddx;
    dy -= ddy;
    if (!(Math.abs(dx) <= r / 2 && Math.abs(dy) <= r / 2)) return null;
    if (ddx * ddx + ddy * ddy < 1e-4) break;
  }
  return { x: x0, y: y0, dx, dy, correlation: corr };
}



/**
 * Candidate extra blurs (standard deviation, level px). Gaussian blurs
 * compose in quadrature, so the steps grow geometrically.
 */
const BLUR_STEPS = [0.5, 0.8, 1.2, 1.7, 2.4, 3.4, 4.8, 6.8] as const;
/** Tracked patches sampled to estimate the relative blur. */
const BLUR_SAMPLE = 32;
/** Least gain in mean correlation for a blur to be applied: below it the images are as sharp as each other. */
const BLUR_MIN_GAIN = 0.002;

function gaussianKernel(sigma: number): Float64Array {
  const rad = Math.ceil(3 * sigma);
  const k = new Float64Array(2 * rad + 1);
  let sum = 0;
  for (let i = -rad; i <= rad; i++) sum += k[i + rad] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] = k[i]! / sum;
  return k;
}

/**
 * The central (2r+1)² patch of a side×side window blurred by the separable
 * kernel `k` (the window margin covers the kernel, so no border rule is needed).
 */
function blurredCentre(win: Float64Array, side: number, r: number, k: Float64Array, tmp: Float64Array, out: Float64Array): void {
  const c = (side - 1) / 2;
  const kr = (k.length - 1) / 2;
  const ps = 2 * r + 1;
  const rows = ps + 2 * kr;
  for (let j = 0; j < rows; j++) {
    const row = (c - r - kr + j) * side + c - r - kr;
    for (let i = 0; i < ps; i++) {
      let acc = 0;
      for (let t = 0; t < k.length; t++) acc += win[row + i + t]! * k[t]!;
      tmp[j * ps + i] = acc;
    }
  }
  for (let j = 0; j < ps; j++) {
    for (let i = 0; i < ps; i++) {
      let acc = 0;
      for (let t = 0; t < k.length; t++) acc += tmp[(j + t) * ps + i]! * k[t]!;
      out[j * ps + i] = acc;
    }
  }
}

/** The central (2r+1)² patch of a side×side window, unblurred. */
function centre(win: Float64Array, side: number, r: number, out: Float64Array): void {
  const c = (side - 1) / 2;
  const ps = 2 * r + 1;
  for (let j = 0; j < ps; j++) for (let i = 0; i < ps; i++) out[j * ps + i] = win[(c - r + j) * side + c - r + i]!;
}

function zncc(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    sa += a[i]!;
    sb += b[i]!;
  }
  const ma = sa / n;
  const mb = sb / n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]! - ma;
    const y = b[i]! - mb;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/**
 * Relative blur of the two images at one level, from patches already
 * tracked there. A photo is usually softer than the scan it is compared
 * with (defocus, motion, JPEG), and a foreshortened view sampled back onto
 * the reference grid is magnified, hence softer still. Lucas–Kanade between
 * a sharp template and a blurred image is biased: a symmetric blur would
 * leave the optimum of an unbounded window in place, but inside the patch
 * the blurred image also carries structure spread in from beyond the
 * window's edge, which the sharp template lacks, and the shift absorbs part
 * of that mismatch. Giving the sharper image the missing blur makes both
 * point spreads equal and the comparison unbiased again.
 *
 * Each sampled reference window is compared with the questioned image
 * sampled through `h` at its tracked shift, with either side blurred by
 * each candidate; the blur that maximises the mean correlation wins
 * (refined by a parabola through its neighbours).
 */
function estimateRelativeBlur(ref: GreyImage, qry: GreyImage, h: Homography, tracks: readonly Track[], r: number): BlurEqualisation | null {
  // The widest step needs wider sample windows, which leave out patches near
  // the border and so shift every estimate a little: it is measured only when
  // the blur reaches the step below it, so that milder blurs are measured on
  // the same samples as before the step was added.
  const below = blurOverSteps(ref, qry, h, tracks, r, BLUR_STEPS.slice(0, -1));
  return below.onLastStep ? blurOverSteps(ref, qry, h, tracks, r, BLUR_STEPS).blur : below.blur;
}

/** `estimateRelativeBlur` over the candidate blurs `blurSteps`; `onLastStep`: the best is the widest of them. */
function blurOverSteps(
  ref: GreyImage,
  qry: GreyImage,
  h: Homography,
  tracks: readonly Track[],
  r: number,
  blurSteps: readonly number[],
): { blur: BlurEqualisation | null; onLastStep: boolean } {
  const none = { blur: null, onLastStep: false };
  const maxSigma = blurSteps[blurSteps.length - 1]!;
  const margin = Math.ceil(3 * maxSigma);
  const R = r + margin;
  const side = 2 * R + 1;
  const ps = 2 * r + 1;
  const rw = ref.width;
  const rd = ref.data;
  const samples: { ref: Float64Array; qry: Float64Array }[] = [];
  const stride = Math.max(1, tracks.length / BLUR_SAMPLE);
  for (let f = 0; f < tracks.length && samples.length < BLUR_SAMPLE; f += stride) {
    const t = tracks[Math.floor(f)]!;
    if (t.x < R || t.y < R || t.x >= ref.width - R || t.y >= ref.height - R) continue;
    const qwin = new Float64Array(side * side);
    if (!sampleWarpedWindow(qry, h, t.x, t.y, t.dx, t.dy, R, qwin)) continue;
    const rwin = new Float64Array(side * side);
    for (let v = -R, k = 0; v <= R; v++) for (let u = -R; u <= R; u++, k++) rwin[k] = rd[(t.y + v) * rw + t.x + u]!;
    samples.push({ ref: rwin, qry: qwin });
  }
  if (samples.length < 8) return none;
  const tmp = new Float64Array((ps + 2 * margin) * ps);
  const a = new Float64Array(ps * ps);
  const b = new Float64Array(ps * ps);
  const score = (blurRef: Float64Array | null, blurQry: Float64Array | null): number => {
    let sum = 0;
    for (const smp of samples) {
      if (blurRef) blurredCentre(smp.ref, side, r, blurRef, tmp, a);
      else centre(smp.ref, side, r, a);
      if (blurQry) blurredCentre(smp.qry, side, r, blurQry, tmp, b);
      else centre(smp.qry, side, r, b);
      sum += zncc(a, b);
    }
    return sum / samples.length;
  };
  const base = score(null, null);
  // The first step on each side tells which image is the softer one; only the
  // other side is then blurred further.
  const first = gaussianKernel(blurSteps[0]!);
  const onReference = score(first, null);
  const onQuestioned = score(null, first);
  const image = onReference >= onQuestioned ? 'reference' : 'questioned';
  // Scores along the chosen side's steps, with no blur as step 0.
  const curve = [base, Math.max(onReference, onQuestioned)];
  for (let j = 1; j < blurSteps.length; j++) {
    // Past the peak: more blur only loses detail.
    if (curve[curve.length - 1]! < curve[curve.length - 2]!) break;
    const k = gaussianKernel(blurSteps[j]!);
    curve.push(image === 'reference' ? score(k, null) : score(null, k));
  }
  let i = 0;
  for (let j = 1; j < curve.length; j++) if (curve[j]! > curve[i]!) i = j;
  if (i === 0 || curve[i]! < base + BLUR_MIN_GAIN) return none;
  const steps = [0, ...blurSteps];
  let sigma = steps[i]!;
  if (i + 1 < curve.length) {
    // Parabola through the peak and its neighbours, in σ² (the variable blurs add in).
    const [x0, x1, x2] = [steps[i - 1]! ** 2, steps[i]! ** 2, steps[i + 1]! ** 2];
    const [y0, y1, y2] = [curve[i - 1]!, curve[i]!, curve[i + 1]!];
    const d1 = (y1 - y0) / (x1 - x0);
    const d2 = (y2 - y1) / (x2 - x1);
    const curvature = (d2 - d1) / (x2 - x0);
    if (curvature < 0) sigma = Math.sqrt(Math.min(x2, Math.max(x0, (x0 + x1) / 2 - d1 / (2 * curvature))));
  }
  return { blur: { image, sigma }, onLastStep: i === blurSteps.length };
}

/** A copy of `image` blurred by a Gaussian of standard deviation `sigma` (px). */
function gaussianBlurred(cv: Cv, image: ScaledImage, sigma: number): Promise<ScaledImage> {
  return withMats((track) => {
    const src = track(new cv.Mat(image.height, image.width, cv.CV_8UC1));
    src.data.set(image.data);
    const dst = track(new cv.Mat());
    cv.GaussianBlur(src, dst, new cv.Size(0, 0), sigma, sigma, cv.BORDER_REFLECT);
    return { ...image, data: new Uint8Array(dst.data) };
  });
}

function levelScales(reference: GreyImage, sigma: number, coarseLongEdge: number): { ref: number; qry: number }[] {
  // Work at the finer of the two resolutions, but never sample an image much
  // finer than the other one's grid (that would alias): when one image is
  // markedly larger, it is the one resampled down to the other's scale.
  const refFinal = sigma < 1 / 1.4 ? sigma : 1;
  const qryFinal = sigma > 1.4 ? 1 / sigma : 1;
  const longEdge = Math.max(reference.width, reference.height) * refFinal;
  const octaves = Math.max(0, Math.floor(Math.log2(longEdge / coarseLongEdge) + 0.25));
  // Steps of up to 4×: a level leaves a few tenths of a pixel of error, still
  // well inside the patch's capture range once magnified four times.
  const out: { ref: number; qry: number }[] = [];
  for (let k = octaves; k > 0; k -= 2) out.push({ ref: refFinal / 2 ** k, qry: qryFinal / 2 ** k });
  out.push({ ref: refFinal, qry: qryFinal });
  return out;
}

function inZone(x: number, y: number, r: number, zones: readonly ZoneRect[]): boolean {
  return zones.some((z) => x + r >= z.x && x - r <= z.x + z.width && y + r >= z.y && y - r <= z.y + z.height);
}

/** Whether the patch of radius r centred on (x, y) lies inside a `width` × `height` level (gradients included) and outside every ignored zone. */
function patchFits(x: number, y: number, r: number, width: number, height: number, zones: readonly ZoneRect[]): boolean {
  return x > r && y > r && x < width - r - 1 && y < height - r - 1 && !(zones.length > 0 && inZone(x, y, r, zones));
}

/** Local scale (questioned px per reference px) of H at the reference centre. */
export function centralScale(h: Homography, width: number, height: number): number {
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const [ax, ay] = applyHomography(h, cx - 1, cy);
  const [bx, by] = applyHomography(h, cx + 1, cy);
  const [cxx, cyy] = applyHomography(h, cx, cy - 1);
  const [dx, dy] = applyHomography(h, cx, cy + 1);
  const jx = [(bx - ax) / 2, (by - ay) / 2];
  const jy = [(dx - cxx) / 2, (dy - cyy) / 2];
  return Math.sqrt(Math.abs(jx[0]! * jy[1]! - jx[1]! * jy[0]!));
}

/**
 * The part of a reference level that the questioned image shows through a
 * homography: a close-up of part of a document, or a zoomed view, shows only
 * some of the reference, and patches elsewhere cannot be found.
 */
export interface Visibility {
  /** Share of the reference area shown (0–1). */
  readonly share: number;
  /** Whether the patch centred on (x, y) maps wholly inside the questioned image. */
  shows(x: number, y: number): boolean;
}

/** Grid points per axis used to measure the visible share. */
const VISIBILITY_GRID = 64;
/**
 * From this share on, the view counts as whole: the few patches that fall off
 * the questioned image just fail to track, and the patches stay where they
 * would be for the whole reference.
 */
const WHOLE_VIEW = 0.9;

/**
 * Visibility of the reference level (`width` × `height`) in a questioned
 * level of `qw` × `qh` through `h` (reference → questioned, level pixels),
 * for patches of radius `r`; null when (nearly) all of the reference is
 * shown (`WHOLE_VIEW`).
 */
export function referenceVisibility(h: Homography, width: number, height: number, qw: number, qh: number, r: number): Visibility | null {
  // In front of the camera is the side of the reference's centre (a homography is defined up to sign).
  const front = Math.sign(homographyDenominator(h, (width - 1) / 2, (height - 1) / 2));
  const inside = (x: number, y: number) => {
    if (!(homographyDenominator(h, x, y) * front > 0)) return false;
    const [qx, qy] = applyHomography(h, x, y);
    return qx >= 0 && qy >= 0 && qx <= qw - 1 && qy <= qh - 1;
  };
  let shown = 0;
  for (let j = 0; j < VISIBILITY_GRID; j++) {
    for (let i = 0; i < VISIBILITY_GRID; i++) {
      if (inside(((i + 0.5) * width) / VISIBILITY_GRID - 0.5, ((j + 0.5) * height) / VISIBILITY_GRID - 0.5)) shown++;
    }
  }
  const share = shown / (VISIBILITY_GRID * VISIBILITY_GRID);
  if (share >= WHOLE_VIEW) return null;
  return {
    share,
    shows: (x, y) => inside(x - r, y - r) && inside(x + r, y - r) && inside(x - r, y + r) && inside(x + r, y + r),
  };
}

/**
 * Patch centres spread evenly over the reference level: the image is cut
 * into cells of about equal area and each cell contributes its most
 * trackable pixel (largest smaller eigenvalue of the patch structure
 * tensor), if that is textured at all. Even coverage matters more than
 * corner strength: where the points lie decides how a homography fitted to
 * a slightly non-planar or lens-distorted view behaves at the borders.
 */
export function selectPatchCentres(
  image: GreyImage,
  r: number,
  targetCount: number,
  zones: readonly ZoneRect[],
  minEigen: number,
  visibility: Visibility | null = null,
): Point[] {
  const { width: w, height: h, data } = image;
  const m = r + 1;
  if (w <= 2 * m + 1 || h <= 2 * m + 1) return [];
  // Integral images of the structure tensor entries (gradients by central differences).
  const iw = w + 1;
  const sxx = new Float64Array(iw * (h + 1));
  const sxy = new Float64Array(iw * (h + 1));
  const syy = new Float64Array(iw * (h + 1));
  for (let y = 0; y < h; y++) {
    let rxx = 0;
    let rxy = 0;
    let ryy = 0;
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let gx = 0;
      let gy = 0;
      if (x > 0 && x < w - 1 && y > 0 && y < h - 1) {
        gx = (data[row + x + 1]! - data[row + x - 1]!) / 2;
        gy = (data[row + x + w]! - data[row + x - w]!) / 2;
      }
      rxx += gx * gx;
      rxy += gx * gy;
      ryy += gy * gy;
      const o = (y + 1) * iw + x + 1;
      sxx[o] = sxx[o - iw]! + rxx;
      sxy[o] = sxy[o - iw]! + rxy;
      syy[o] = syy[o - iw]! + ryy;
    }
  }
  const n = (2 * r + 1) * (2 * r + 1);
  const box = (a: Float64Array, x: number, y: number) => {
    const x0 = x - r;
    const y0 = y - r;
    const x1 = x + r + 1;
    const y1 = y + r + 1;
    return a[y1 * iw + x1]! - a[y0 * iw + x1]! - a[y1 * iw + x0]! + a[y0 * iw + x0]!;
  };
  // With only part of the image visible, cells shrink so that about `targetCount` fall on that part.
  const cell = Math.max(r, Math.sqrt(((w - 2 * m) * (h - 2 * m) * (visibility?.share ?? 1)) / Math.max(1, targetCount)));
  const nx = Math.max(1, Math.round((w - 2 * m) / cell));
  const ny = Math.max(1, Math.round((h - 2 * m) / cell));
  const cw = (w - 2 * m) / nx;
  const ch = (h - 2 * m) / ny;
  const step = Math.max(1, Math.floor(Math.min(cw, ch) / 8));
  const out: Point[] = [];
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      let best = minEigen * n;
      let bx = -1;
      let by = -1;
      const xa = Math.ceil(m + i * cw);
      const xb = Math.min(w - m - 1, Math.floor(m + (i + 1) * cw));
      const ya = Math.ceil(m + j * ch);
      const yb = Math.min(h - m - 1, Math.floor(m + (j + 1) * ch));
      for (let y = ya; y <= yb; y += step) {
        for (let x = xa; x <= xb; x += step) {
          const a = box(sxx, x, y);
          const b = box(sxy, x, y);
          const c = box(syy, x, y);
          const t = (a + c) / 2;
          const lmin = t - Math.sqrt(Math.max(0, t * t - (a * c - b * b)));
          if (lmin > best && !(zones.length > 0 && inZone(x, y, r, zones)) && (!visibility || visibility.shows(x, y))) {
            best = lmin;
            bx = x;
            by = y;
          }
        }
      }
      if (bx >= 0) out.push([bx, by]);
    }
  }
  return out;
}

/** Above this many pixels, patch centres are chosen on a reduced copy of the level (the integral images would cost too much memory). */
const SELECT_MAX_PIXELS = 1_000_000;

/** Patch centres for a level, chosen on the level itself or, for large images, on a reduced copy and scaled up. */
async function levelCentres(
  pyramid: ImagePyramid,
  level: ScaledImage,
  r: number,
  count: number,
  zones: readonly ZoneRect[],
  visibility: Visibility | null,
): Promise<Point[]> {
  const pixels = level.width * level.height;
  if (pixels <= SELECT_MAX_PIXELS) return selectPatchCentres(level, r, count, zones, MIN_EIGEN, visibility);
  const reduced = await pyramid.at(level.sx * Math.sqrt(SELECT_MAX_PIXELS / pixels));
  const kx = level.sx / reduced.sx;
  const ky = level.sy / reduced.sy;
  const scaledZones = zones.map((z) => ({ x: z.x / kx, y: z.y / ky, width: z.width / kx, height: z.height / ky }));
  const out: Point[] = [];
  const toLevel = (x: number, y: number): Point => [Math.round((x + 0.5) * kx - 0.5), Math.round((y + 0.5) * ky - 0.5)];
  const reducedVisibility: Visibility | null = visibility && { share: visibility.share, shows: (x, y) => visibility.shows(...toLevel(x, y)) };
  for (const [x, y] of selectPatchCentres(reduced, r, count, scaledZones, MIN_EIGEN, reducedVisibility)) {
    const [lx, ly] = toLevel(x, y);
    if (patchFits(lx, ly, r, level.width, level.height, zones)) out.push([lx, ly]);
  }
  return out;
}

/**
 * After the sharpness of the two images is equalised, a patch spans at
 * least this many standard deviations of the blur each way: a patch not
 * much larger than the point spread holds too little structure to lock onto
 * (heavy defocus), and its position drifts by a pixel or more.
 */
const PATCH_RADIUS_PER_SIGMA = 5;
/** Extra passes at the finest level once patches have been widened, at most … */
const WIDER_PATCH_PASSES = 4;
/** … stopping when a pass moves the reference corners by less than this (full-resolution pixels). */
const SETTLED_PX = 0.05;

function patchBuffers(r: number): { t: Float64Array; gx: Float64Array; gy: Float64Array; w: Float64Array } {
  const n = (2 * r + 1) * (2 * r + 1);
  return { t: new Float64Array(n), gx: new Float64Array(n), gy: new Float64Array(n), w: new Float64Array(n) };
}

/** Refines `initial` (reference → questioned, full resolution). */
export async function refineHomography(
  cv: Cv,
  reference: GreyImage,
  questioned: GreyImage,
  initial: Homography,
  options: Partial<RefineOptions> = {},
): Promise<RefineResult> {
  const o: RefineOptions = { ...DEFAULT_REFINE_OPTIONS, ...options };
  const r = o.patchRadius;
  // Options for tracking; their patch radius grows past `r` after a strong blur is equalised.
  let tracking = o;
  let buf = patchBuffers(r);
  const sigma = centralScale(initial, reference.width, reference.height);
  const schedule = levelScales(reference, sigma, o.coarseLongEdge);
  const refPyramid = new ImagePyramid(cv, reference);
  const qryPyramid = new ImagePyramid(cv, questioned);

  let h: number[] = Array.from(initial);
  const levels: RefinementLevel[] = [];
  let inliers = 0;
  let rmse = Number.NaN;
  let coverage = 0;
  let visible = 1;
  let blur: BlurEqualisation | null = null;
  // Measures, once and only when a finer level needs it, a blur at the coarsest level that the default
  // patches cannot span at the finest (σ in full-resolution reference pixels; null when there is none).
  let strongBlur: (() => BlurEqualisation | null) | null = null;
  for (let li = 0; li < schedule.length; li++) {
    const { ref: rs, qry: qs } = schedule[li]!;
    const refOriginal = await refPyramid.at(rs);
    const qryOriginal = await qryPyramid.at(qs);
    let refL = refOriginal;
    let qryL = qryOriginal;
    // The blur applied to this level's images (σ in reference pixels of the level).
    let applied = null as BlurEqualisation | null;
    if (tracking.patchRadius !== r) {
      // Patches widened for the blur at the level before, which this level's images do not carry.
      tracking = o;
      buf = patchBuffers(r);
    }
    const zones = o.ignoreZones.map((z) => ({ x: z.x * refL.sx, y: z.y * refL.sy, width: z.width * refL.sx, height: z.height * refL.sy }));
    const finest = li === schedule.length - 1;
    let passes = finest ? 1 + o.finalPasses : 1;
    const visibility = referenceVisibility(homographyToLevel(h, [refL.sx, refL.sy], [qryL.sx, qryL.sy]), refL.width, refL.height, qryL.width, qryL.height, r);
    visible = visibility?.share ?? 1;
    const centres = await levelCentres(refPyramid, refL, r, o.pointsPerLevel, zones, visibility);
    const flat = new Uint8Array(centres.length);
    /** Blurs the sharper image of the level by `b` (from the originals) and widens the patches to span it. */
    const equalise = async (b: BlurEqualisation | null, hL: Homography): Promise<void> => {
      applied = b;
      refL = b?.image === 'reference' ? await gaussianBlurred(cv, refOriginal, b.sigma) : refOriginal;
      qryL = b?.image === 'questioned' ? await gaussianBlurred(cv, qryOriginal, b.sigma * centralScale(hL, refL.width, refL.height)) : qryOriginal;
      const wider = b ? Math.ceil(PATCH_RADIUS_PER_SIGMA * b.sigma) : 0;
      const radius = Math.max(r, wider);
      if (radius !== tracking.patchRadius) {
        tracking = radius > r ? { ...o, patchRadius: radius } : o;
        buf = patchBuffers(radius);
        // Flatness was judged on a patch of another size and sharpness.
        flat.fill(0);
      }
    };
    for (let pass = 0; pass < passes; pass++) {
      const hL = homographyToLevel(h, [refL.sx, refL.sy], [qryL.sx, qryL.sy]);
      const src: number[] = [];
      const dst: number[] = [];
      const tracks: Track[] = [];
      let points = 0;
      for (let c = 0; c < centres.length; c++) {
        const [x, y] = centres[c]!;
        // Centres chosen for the smaller patch whose larger one leaves the image or enters an ignored zone sit out.
        if (tracking.patchRadius > r && !patchFits(x, y, tracking.patchRadius, refL.width, refL.height, zones)) continue;
        points++;
        if (flat[c]) continue;
        const tr = trackPatch(refL, qryL, hL, x, y, tracking, buf, applied?.image === 'reference');
        if (tr === 'flat') flat[c] = 1;
        if (!tr || tr === 'flat' || tr.correlation < o.minCorrelation) continue;
        const [qx, qy] = applyHomography(hL, tr.x + tr.dx, tr.y + tr.dy);
        src.push(tr.x, tr.y);
        dst.push(qx, qy);
        tracks.push(tr);
      }
      const tracked = src.length / 2;
      const level: RefinementLevel = { referenceScale: refL.sx, questionedScale: qryL.sx, pass, points, tracked, inliers: 0, rmse: Number.NaN, coverage: 0, visible, ...(applied ? { equalised: { ...applied } } : {}) };
      levels.push(level);
      const fit = await robustHomography(cv, src, dst, tracked, o.consensusThreshold, 'ransac');
      const agreed = fit !== null && fit.inliers >= 8;
      // RANSAC picks the consistent majority; IRLS then settles on the one
      // robust optimum near it.
      const irls = agreed ? irlsHomography(fit.homography, src, dst, tracked, o.minSigma) : null;
      if (!irls) {
        // A blur too wide for the default patches can leave too few of them
        // tracked at a finer level to measure it there: the pass is tried again
        // with the images equalised by the blur measured at the coarsest level.
        const strong = applied ? null : strongBlur?.();
        if (strong) {
          level.retried = true;
          await equalise({ image: strong.image, sigma: strong.sigma * refL.sx }, hL);
          pass--;
          continue;
        }
        const message = agreed ? 'robust fit did not converge' : `${fit?.inliers ?? 0} of ${tracked} tracked points agree`;
        return { ok: false, blur, homography: h, inliers: agreed ? 0 : (fit?.inliers ?? 0), rmse: Number.NaN, levels, coverage: 0, visible, message: `refinement at scale ${refL.sx.toFixed(3)}: ${message}` };
      }
      const polished = irls.homography;
      const inSrc: number[] = [];
      const inDst: number[] = [];
      for (let i = 0; i < tracked; i++) {
        if (irls.weights[i]! > 0) {
          inSrc.push(src[2 * i]!, src[2 * i + 1]!);
          inDst.push(dst[2 * i]!, dst[2 * i + 1]!);
        }
      }
      const count = inSrc.length / 2;
      const errs = reprojectionErrors(polished, inSrc, inDst, count);
      let s2 = 0;
      for (const e of errs) s2 += e * e;
      rmse = Math.sqrt(s2 / Math.max(1, count)) / qryL.sx;
      inliers = count;
      level.inliers = inliers;
      level.rmse = rmse;
      const hull: Point[] = [];
      for (let i = 0; i < inSrc.length; i += 2) hull.push([inSrc[i]!, inSrc[i + 1]!]);
      coverage = Math.min(1, Math.abs(polygonArea(convexHull(hull))) / (refL.width * refL.height * visible));
      level.coverage = coverage;
      const before = h;
      h = homographyFromLevel(polished, [refL.sx, refL.sy], [qryL.sx, qryL.sy]);
      // Extra passes with widened patches stop once the homography has settled.
      if (pass > o.finalPasses && maxCornerShift(before, h, reference.width, reference.height) < SETTLED_PX) break;
      const inlierTracks = (): Track[] => tracks.filter((_, i) => irls.weights[i]! > 0);
      // At the coarsest level, where a blur spans fewer pixels, kept to be measured should a finer level need it (see the rescue above).
      if (li === 0 && !finest && pass === 0 && o.equaliseBlur) {
        let measured: BlurEqualisation | null | undefined;
        strongBlur = () => {
          if (measured === undefined) {
            const coarse = estimateRelativeBlur(refOriginal, qryOriginal, hL, inlierTracks(), r);
            measured = coarse && Math.ceil((PATCH_RADIUS_PER_SIGMA * coarse.sigma) / refOriginal.sx) > r ? { image: coarse.image, sigma: coarse.sigma / refOriginal.sx } : null;
          }
          return measured;
        };
      }
      // The first pass at the finest level has placed every patch to a fraction of a
      // pixel: enough to measure which image is softer and by how much, so that the
      // last passes match equally sharp images.
      if (finest && pass === 0 && passes > 1 && o.equaliseBlur) {
        blur = estimateRelativeBlur(refOriginal, qryOriginal, hL, inlierTracks(), r);
        await equalise(blur, hL);
        // The passes so far, with patches too small for the blur, may have left the homography pixels off.
        if (tracking.patchRadius > r) passes += WIDER_PATCH_PASSES;
      }
    }
  }
  return { ok: true, blur, homography: h, inliers, rmse, levels, coverage, visible, message: '' };
}

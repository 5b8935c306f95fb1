/**
 * Sub-pixel refinement of a homography, coarse to fine.
 *
 * At each level, small reference patches around well-spread points are
 * re-found in the questioned image sampled *through the current homography*
 * (so perspective, rotation and scale are already undone locally and only a
 * small residual shift remains), by inverse-compositional Lucas–Kanade on
 * zero-mean, unit-variance patches (insensitive to exposure and contrast).
 * The homography is then re-estimated from the refined correspondences.
 * Sampling only the patches keeps the cost independent of image size, unlike
 * full-image ECC or warping.
 */
import type { Cv } from '../cv/opencv';
import { withMats } from '../cv/opencv';
import { irlsHomography, reprojectionErrors, robustHomography } from './align-homography';
import type { GreyImage, RefinementLevel, ZoneRect } from './align-types';
import { applyHomography, convexHull, homographyFromLevel, homographyToLevel, polygonArea } from './geometry';
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
  /** Patches tried per level (spread over the reference). */
  pointsPerLevel: number;
  /** Floor of the robust residual scale, pixels of the level (LK on clean images is more precise than the model). */
  minSigma: number;
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
};

export interface RefineResult {
  ok: boolean;
  homography: number[];
  inliers: number;
  /** RMS reprojection error of the final inliers, in questioned full-resolution pixels. */
  rmse: number;
  levels: RefinementLevel[];
  /** Area of the convex hull of the final inliers over the reference area: how much of the document supports the result. */
  coverage: number;
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
 * Inverse-compositional Lucas–Kanade for a translation of the reference
 * patch centred on integer pixel (x0, y0), with the questioned image sampled
 * through `h`. Returns null when the patch is flat, leaves an image, or the
 * iteration does not converge.
 */
function trackPatch(
  ref: GreyImage,
  qry: GreyImage,
  h: Homography,
  x0: number,
  y0: number,
  o: RefineOptions,
  buf: { t: Float64Array; gx: Float64Array; gy: Float64Array; w: Float64Array },
): Track | null {
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
  if (sdT < 2 || lmin / n < MIN_EIGEN || lmin < 0.1 * lmax) return null;
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

  const qw = qry.width;
  const qh = qry.height;
  const qd = qry.data;
  const [h0, h1, h2, h3, h4, h5, h6, h7, h8] = h as [number, number, number, number, number, number, number, number, number];
  let dx = 0;
  let dy = 0;
  let corr = -1;
  for (let it = 0; it < o.maxIterations; it++) {
    let sum = 0;
    let sum2 = 0;
    for (let v = -r, k = 0; v <= r; v++) {
      const py = y0 + v + dy;
      for (let u = -r; u <= r; u++, k++) {
        const px = x0 + u + dx;
        const den = h6 * px + h7 * py + h8;
        const qx = (h0 * px + h1 * py + h2) / den;
        const qy = (h3 * px + h4 * py + h5) / den;
        const ix = Math.floor(qx);
        const iy = Math.floor(qy);
        if (!(ix >= 0 && iy >= 0 && ix < qw - 1 && iy < qh - 1)) return null;
        const fx = qx - ix;
        const fy = qy - iy;
        const p = iy * qw + ix;
        const top = qd[p]! + fx * (qd[p + 1]! - qd[p]!);
        const bottom = qd[p + qw]! + fx * (qd[p + qw + 1]! - qd[p + qw]!);
        const val = top + fy * (bottom - top);
        w[k] = val;
        sum += val;
        sum2 += val * val;
      }
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
 * Patch centres spread evenly over the reference level: the image is cut
 * into cells of about equal area and each cell contributes its most
 * trackable pixel (largest smaller eigenvalue of the patch structure
 * tensor), if that is textured at all. Even coverage matters more than
 * corner strength: where the points lie decides how a homography fitted to
 * a slightly non-planar or lens-distorted view behaves at the borders.
 */
export function selectPatchCentres(image: GreyImage, r: number, targetCount: number, zones: readonly ZoneRect[], minEigen: number): Point[] {
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
  const cell = Math.max(r, Math.sqrt(((w - 2 * m) * (h - 2 * m)) / Math.max(1, targetCount)));
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
          if (lmin > best && !(zones.length > 0 && inZone(x, y, r, zones))) {
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
async function levelCentres(pyramid: ImagePyramid, level: ScaledImage, r: number, count: number, zones: readonly ZoneRect[]): Promise<Point[]> {
  const pixels = level.width * level.height;
  if (pixels <= SELECT_MAX_PIXELS) return selectPatchCentres(level, r, count, zones, MIN_EIGEN);
  const reduced = await pyramid.at(level.sx * Math.sqrt(SELECT_MAX_PIXELS / pixels));
  const kx = level.sx / reduced.sx;
  const ky = level.sy / reduced.sy;
  const scaledZones = zones.map((z) => ({ x: z.x / kx, y: z.y / ky, width: z.width / kx, height: z.height / ky }));
  const out: Point[] = [];
  for (const [x, y] of selectPatchCentres(reduced, r, count, scaledZones, MIN_EIGEN)) {
    const lx = Math.round((x + 0.5) * kx - 0.5);
    const ly = Math.round((y + 0.5) * ky - 0.5);
    if (lx > r && ly > r && lx < level.width - r - 1 && ly < level.height - r - 1 && !(zones.length > 0 && inZone(lx, ly, r, zones))) out.push([lx, ly]);
  }
  return out;
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
  const side = 2 * r + 1;
  const buf = { t: new Float64Array(side * side), gx: new Float64Array(side * side), gy: new Float64Array(side * side), w: new Float64Array(side * side) };
  const sigma = centralScale(initial, reference.width, reference.height);
  const schedule = levelScales(reference, sigma, o.coarseLongEdge);
  const refPyramid = new ImagePyramid(cv, reference);
  const qryPyramid = new ImagePyramid(cv, questioned);

  let h: number[] = Array.from(initial);
  const levels: RefinementLevel[] = [];
  let inliers = 0;
  let rmse = Number.NaN;
  let coverage = 0;
  for (let li = 0; li < schedule.length; li++) {
    const { ref: rs, qry: qs } = schedule[li]!;
    const refL = await refPyramid.at(rs);
    const qryL = await qryPyramid.at(qs);
    const zones = o.ignoreZones.map((z) => ({ x: z.x * refL.sx, y: z.y * refL.sy, width: z.width * refL.sx, height: z.height * refL.sy }));
    const passes = li === schedule.length - 1 ? 1 + o.finalPasses : 1;
    const centres = await levelCentres(refPyramid, refL, r, o.pointsPerLevel, zones);
    for (let pass = 0; pass < passes; pass++) {
      const hL = homographyToLevel(h, [refL.sx, refL.sy], [qryL.sx, qryL.sy]);
      const src: number[] = [];
      const dst: number[] = [];
      let points = 0;
      for (const [x, y] of centres) {
        points++;
        const tr = trackPatch(refL, qryL, hL, x, y, o, buf);
        if (!tr || tr.correlation < o.minCorrelation) continue;
        const [qx, qy] = applyHomography(hL, tr.x + tr.dx, tr.y + tr.dy);
        src.push(tr.x, tr.y);
        dst.push(qx, qy);
      }
      const tracked = src.length / 2;
      const level: RefinementLevel = { referenceScale: refL.sx, questionedScale: qryL.sx, pass, points, tracked, inliers: 0, rmse: Number.NaN, coverage: 0 };
      levels.push(level);
      const fit = await robustHomography(cv, src, dst, tracked, o.consensusThreshold, 'ransac');
      if (!fit || fit.inliers < 8) {
        return { ok: false, homography: h, inliers: fit?.inliers ?? 0, rmse: Number.NaN, levels, coverage: 0, message: `refinement at scale ${refL.sx.toFixed(3)}: ${fit?.inliers ?? 0} of ${tracked} tracked points agree` };
      }
      // RANSAC above picks the consistent majority; IRLS then settles on the one
      // robust optimum near it.
      const irls = irlsHomography(fit.homography, src, dst, tracked, o.minSigma);
      if (!irls) {
        return { ok: false, homography: h, inliers: 0, rmse: Number.NaN, levels, coverage: 0, message: `refinement at scale ${refL.sx.toFixed(3)}: robust fit did not converge` };
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
      coverage = Math.abs(polygonArea(convexHull(hull))) / (refL.width * refL.height);
      level.coverage = coverage;
      h = homographyFromLevel(polished, [refL.sx, refL.sy], [qryL.sx, qryL.sy]);
    }
  }
  return { ok: true, homography: h, inliers, rmse, levels, coverage, message: '' };
}

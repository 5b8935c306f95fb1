/**
 * Multi-spectrum registration of one capture.
 *
 * The images of a capture are taken in one sitting with the document not
 * moved, so the homography found on the best light source (normally white)
 * holds for the others. Different lamps, filters and focus can still shift an
 * image by a pixel or two, so each other light may be refined by a small
 * translation — found by normalised cross-correlation of gradient magnitudes
 * between the reference image and the questioned image warped through the
 * anchor homography, both under that same light. UV and IR are never
 * feature-matched against white: their content differs by nature (what
 * fluoresces, which inks absorb), and a wrong match would move the
 * comparison by far more than the refinement may.
 */
import { getLightSource } from '@exemplar/specimens-schema';
import { loadOpenCv, withMats, type Mat } from '../cv/opencv';
import type { GreyImage } from './align-types';
import { composeHomographies, invertHomography, isHomography, normalizeHomography, resampleMatrix, type Homography } from './geometry';
import { nearestFootprint } from './warp';

/**
 * Preference order for the light whose homography the others reuse:
 * reflected visible light carries the most printed structure, then IR
 * (carbon inks), then the rest. Only lights present in both captures count.
 */
const ANCHOR_ORDER: readonly string[] = ['white', 'coaxial', 'white-oblique', 'ir-870', 'ir-940', 'ir-780', 'ir-720', 'ir-700', 'ir-oblique', 'white-transmitted', 'ir-transmitted'];

/**
 * The light source to align on, among those both captures have: the first
 * of the preference order, else the first reflected visible light, else
 * the first common light in the order given. Undefined when none is common.
 */
export function chooseAnchorLight(referenceLights: readonly string[], questionedLights: readonly string[]): string | undefined {
  const common = referenceLights.filter((l) => questionedLights.includes(l));
  if (common.length === 0) return undefined;
  for (const l of ANCHOR_ORDER) if (common.includes(l)) return l;
  const visible = common.find((l) => {
    const entry = getLightSource(l);
    return entry?.band === 'visible' && entry.mode === 'reflected';
  });
  return visible ?? common[0];
}

/**
 * The anchor homography for another light of the same two captures whose
 * images may have other pixel sizes (a different sensor or binning under
 * that lamp): same framing is assumed, so pixel coordinates scale with size.
 */
export function homographyForLight(
  anchor: Homography,
  anchorSizes: { reference: [number, number]; questioned: [number, number] },
  lightSizes: { reference: [number, number]; questioned: [number, number] },
): number[] {
  const [arW, arH] = anchorSizes.reference;
  const [aqW, aqH] = anchorSizes.questioned;
  const [lrW, lrH] = lightSizes.reference;
  const [lqW, lqH] = lightSizes.questioned;
  if (arW === lrW && arH === lrH && aqW === lqW && aqH === lqH) return normalizeHomography(anchor);
  // light reference px → anchor reference px → (H) anchor questioned px → light questioned px
  const refToAnchor = resampleMatrix(arW / lrW, arH / lrH);
  const anchorToLight = resampleMatrix(lqW / aqW, lqH / aqH);
  return composeHomographies(anchorToLight, composeHomographies(anchor, refToAnchor));
}

export interface LightRefineOptions {
  /** Largest translation accepted, reference pixels. */
  maxShiftPx: number;
  /** Long edge of the working resolution the correlation runs at. */
  workingLongEdge: number;
  /** Least peak correlation for a shift to be trusted. */
  minCorrelation: number;
  /** Least gain in correlation over the unrefined homography for the shift to be applied. */
  minGain: number;
}

export const DEFAULT_LIGHT_REFINE_OPTIONS: Readonly<LightRefineOptions> = Object.freeze({
  maxShiftPx: 4,
  workingLongEdge: 1024,
  minCorrelation: 0.3,
  minGain: 0.005,
});

export type LightRegistrationOutcome =
  /** The anchor light itself: its homography comes from feature alignment. */
  | 'aligned'
  /** A small translation improved the fit and was applied. */
  | 'refined'
  /** The anchor homography was kept: no better shift within the limit. */
  | 'anchor'
  /** The anchor homography was kept: too little structure to correlate, or the best shift lies beyond the limit. */
  | 'anchor-unverified';

export interface LightRegistration {
  outcome: LightRegistrationOutcome;
  /** The light whose homography was reused. */
  anchorLight: string;
  /** Applied translation in reference pixels ([0, 0] unless refined). */
  shift: [number, number];
  /** Normalised cross-correlation of the gradient images at zero shift and at the best shift (null when not measured). */
  correlation: { anchor: number | null; best: number | null };
  homography: number[];
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

function checkGrey(name: string, img: GreyImage): void {
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 || img.height < 1) throw new TypeError(`${name}: width and height must be positive integers`);
  if (!(img.data instanceof Uint8Array) || img.data.length !== img.width * img.height) throw new TypeError(`${name}: data must be width × height bytes (8-bit grey)`);
}

/** Sub-pixel offset of a peak from its two neighbours (parabola through three samples), within ±0.5. */
function parabolicOffset(left: number, centre: number, right: number): number {
  const denom = left - 2 * centre + right;
  if (!(denom < 0)) return 0;
  const d = (0.5 * (left - right)) / denom;
  return Math.max(-0.5, Math.min(0.5, d));
}

/**
 * Bounding box of the set pixels of a mask (x1 < x0 when none): each row
 * is scanned from either end to its first set pixel, so a footprint
 * covering most of the grid costs its margins only. A plain function: a
 * loop in an async function body cannot be optimised while it runs.
 */
function footprintBox(v: Uint8Array, w: number, h: number): { x0: number; y0: number; x1: number; y1: number } {
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let a = 0;
    while (a < w && v[row + a] === 0) a++;
    if (a === w) continue;
    let b = w - 1;
    while (v[row + b] === 0) b--;
    if (a < x0) x0 = a;
    if (b > x1) x1 = b;
    if (y < y0) y0 = y;
    y1 = y;
  }
  return { x0, y0, x1, y1 };
}

/**
 * Refines `homography` (reference → questioned pixels of this light) by the
 * translation of the reference frame that best correlates the two images'
 * gradients, when that translation is within `maxShiftPx` and measurably
 * better than none. Deterministic.
 */
export async function refineLightHomography(
  reference: GreyImage,
  questioned: GreyImage,
  homography: Homography,
  anchorLight: string,
  options: Partial<LightRefineOptions> = {},
): Promise<LightRegistration> {
  checkGrey('reference', reference);
  checkGrey('questioned', questioned);
  if (!isHomography(homography)) throw new TypeError('homography must be 9 finite numbers');
  const o: LightRefineOptions = { ...DEFAULT_LIGHT_REFINE_OPTIONS, ...options };
  const h = normalizeHomography(homography);
  const keep = (outcome: LightRegistrationOutcome, anchor: number | null = null, best: number | null = null): LightRegistration => ({
    outcome,
    anchorLight,
    shift: [0, 0],
    correlation: { anchor: anchor === null ? null : round4(anchor), best: best === null ? null : round4(best) },
    homography: h,
  });

  const s = Math.min(1, o.workingLongEdge / Math.max(reference.width, reference.height));
  const ww = Math.max(8, Math.round(reference.width * s));
  const wh = Math.max(8, Math.round(reference.height * s));
  const sx = ww / reference.width;
  const sy = wh / reference.height;
  // Search radius in working pixels; one more than the limit so that a peak on the rim means "beyond the limit".
  const r = Math.max(1, Math.ceil(o.maxShiftPx * Math.max(sx, sy))) + 1;
  const margin = r + 2;
  if (ww <= 2 * margin + 16 || wh <= 2 * margin + 16) return keep('anchor-unverified');

  const cv = await loadOpenCv();
  const found = await withMats((track) => {
    const refFull = track(new cv.Mat(reference.height, reference.width, cv.CV_8UC1));
    refFull.data.set(reference.data);
    const refWork = track(new cv.Mat());
    if (s < 1) cv.resize(refFull, refWork, new cv.Size(ww, wh), 0, 0, cv.INTER_AREA);
    else refFull.copyTo(refWork);

    // The questioned image sampled on the working reference grid: working px → reference px → questioned px.
    const toQuestioned = composeHomographies(h, invertHomography(resampleMatrix(sx, sy)));
    const qFull = track(new cv.Mat(questioned.height, questioned.width, cv.CV_8UC1));
    qFull.data.set(questioned.data);
    const m = track(cv.matFromArray(3, 3, cv.CV_64F, toQuestioned));
    const qWork = track(new cv.Mat());
    // Area-like pre-filtering matters little here: gradients are smoothed below.
    cv.warpPerspective(qFull, qWork, m, new cv.Size(ww, wh), cv.INTER_LINEAR | cv.WARP_INVERSE_MAP, cv.BORDER_CONSTANT, new cv.Scalar(0));
    // Where the questioned image has pixels on that grid (as OpenCV's nearest-pixel warp of an all-white image would show).
    const v = nearestFootprint(toQuestioned, ww, wh, questioned.width, questioned.height);

    // Bounding box of the fully valid area, shrunk by the search margin: the template.
    const { x0, y0, x1, y1 } = footprintBox(v, ww, wh);
    const tx = x0 + margin;
    const ty = y0 + margin;
    const tw = x1 - margin - tx + 1;
    const th = y1 - margin - ty + 1;
    if (tw < 16 || th < 16) return null;

    const gradient = (src: Mat): Mat => {
      const blurred = track(new cv.Mat());
      cv.GaussianBlur(src, blurred, new cv.Size(0, 0), 1, 1, cv.BORDER_REPLICATE);
      const gx = track(new cv.Mat());
      const gy = track(new cv.Mat());
      cv.Sobel(blurred, gx, cv.CV_32F, 1, 0, 3, 1, 0, cv.BORDER_REPLICATE);
      cv.Sobel(blurred, gy, cv.CV_32F, 0, 1, 3, 1, 0, cv.BORDER_REPLICATE);
      const mag = track(new cv.Mat());
      cv.magnitude(gx, gy, mag);
      return mag;
    };
    const gRef = gradient(refWork);
    const gQ = gradient(qWork);
    const template = track(gRef.roi(new cv.Rect(tx, ty, tw, th)));
    const search = track(gQ.roi(new cv.Rect(tx - r, ty - r, tw + 2 * r, th + 2 * r)));
    const ncc = track(new cv.Mat());
    cv.matchTemplate(search, template, ncc, cv.TM_CCOEFF_NORMED);
    const side = 2 * r + 1;
    if (ncc.rows !== side || ncc.cols !== side) return null;
    const c = ncc.data32F;
    let best = 0;
    for (let i = 1; i < c.length; i++) if (c[i]! > c[best]!) best = i;
    const bx = best % side;
    const by = (best - bx) / side;
    const at = (x: number, y: number) => c[y * side + x]!;
    const zero = at(r, r);
    const peak = c[best]!;
    if (!Number.isFinite(peak) || !Number.isFinite(zero)) return null;
    const onRim = bx === 0 || by === 0 || bx === side - 1 || by === side - 1;
    const dx = onRim ? 0 : bx - r + parabolicOffset(at(bx - 1, by), peak, at(bx + 1, by));
    const dy = onRim ? 0 : by - r + parabolicOffset(at(bx, by - 1), peak, at(bx, by + 1));
    return { zero, peak, onRim, dx, dy };
  });

  if (!found) return keep('anchor-unverified');
  if (found.onRim) return keep('anchor-unverified', found.zero, found.peak);
  // Shift in reference pixels; the reference grid moved by d is what matches the questioned image.
  const shiftX = found.dx / sx;
  const shiftY = found.dy / sy;
  if (found.peak < o.minCorrelation) return keep('anchor-unverified', found.zero, found.peak);
  if (Math.hypot(shiftX, shiftY) > o.maxShiftPx || found.peak - found.zero < o.minGain) return keep('anchor', found.zero, found.peak);
  const refined = composeHomographies(h, [1, 0, shiftX, 0, 1, shiftY, 0, 0, 1]);
  return {
    outcome: 'refined',
    anchorLight,
    shift: [round4(shiftX), round4(shiftY)],
    correlation: { anchor: round4(found.zero), best: round4(found.peak) },
    homography: refined,
  };
}

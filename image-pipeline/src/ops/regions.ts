/**
 * From a score map to regions an examiner can look at: threshold, close the
 * gaps between fragments (the letters of a re-typed name become one region),
 * connected components, merge components whose boxes touch or nest, and drop
 * what is too small to matter relative to the image (strong differences may
 * be smaller: see `strength`). Coordinates are mapped
 * back to reference pixels.
 */
import { loadOpenCv, withMats } from '../cv/opencv';
import { closeMask, ReusableBytes, u8ToMat, type Plane } from './planes';

export interface RegionBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DifferenceRegion {
  /** Bounding box in reference pixels. */
  box: RegionBox;
  /** Outline in reference pixel coordinates (closed; the last vertex joins the first). */
  polygon: [number, number][];
  /** Area of the region (fragments and the gaps closed between them), reference pixels. */
  area: number;
  /** Mean score of the region's pixels above the threshold, in [threshold, 1]. */
  score: number;
  /** Highest score in the region. */
  peak: number;
  /**
   * Share of the region's differing pixels where the questioned image is
   * blown out (glare, overexposure): it shows no detail there, so the
   * difference may be the light rather than the document. Present when the
   * caller gave the blown-out pixels.
   */
  overexposed?: number;
}

export interface RegionParams {
  /** Score at or above which a pixel is different. */
  threshold: number;
  /** Smallest region kept, as a share of the compared (valid) area (down to half of it for strong differences). */
  minAreaFraction: number;
  /** Fragments closer than this share of the long edge are merged. */
  mergeDistance: number;
}

/** Working-resolution geometry: working pixel = reference pixel × (sx, sy). */
export interface WorkingFrame {
  sx: number;
  sy: number;
  referenceWidth: number;
  referenceHeight: number;
}

const round1 = (v: number) => Math.round(v * 10) / 10;
const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

/** Most a region's strength lowers the minimum area (a region half the minimum area is kept when its differences are strong enough). */
const MAX_STRENGTH = 2;

/**
 * How far above the threshold a region's mean score lies, as a factor on the
 * minimum area, from 1 (at the threshold) to MAX_STRENGTH. A score s stands
 * for a difference d against the noise-derived threshold T with
 * (d/T)² = s / (1 − s), and the evidence that a region is no chance
 * arrangement of noise grows with its area times (d/T)²: a character
 * re-shaped in a small or blurred capture flags fewer pixels than the
 * minimum, but flags them well above the threshold, while the remnants of
 * noise and of imperfect alignment that reach the minimum area hover just
 * over it.
 */
function strength(meanScore: number, threshold: number): number {
  const odds = (s: number) => s / Math.max(1e-6, 1 - s);
  return Math.min(MAX_STRENGTH, Math.max(1, odds(meanScore) / odds(threshold)));
}

function find(parent: Int32Array, i: number): number {
  while (parent[i] !== i) {
    parent[i] = parent[parent[i]!]!;
    i = parent[i]!;
  }
  return i;
}

/** Pixels of the mask scoring at or above the threshold (255), and the mask's area; a plain function: a loop in an async function body cannot be optimised while it runs. */
function flagScores(flagged: Uint8Array, score: Float32Array, mask: Uint8Array, threshold: number): number {
  let maskCount = 0;
  for (let i = 0; i < flagged.length; i++) {
    const on = mask[i] !== 0;
    if (on) maskCount++;
    flagged[i] = on && score[i]! >= threshold ? 255 : 0;
  }
  return maskCount;
}

/** The flagged pixels of extractRegions, reused from one call to the next (see ReusableBytes). */
const FLAGGED = new ReusableBytes();

/**
 * Regions of `score` ≥ threshold within `mask` (0/255). `comparedArea` (working
 * pixels, default: the mask's area) is what `minAreaFraction` refers to, so
 * that regions found in part of the image obey the same minimum.
 */
export async function extractRegions(
  score: Plane,
  mask: Uint8Array,
  frame: WorkingFrame,
  params: RegionParams,
  comparedArea?: number,
  overexposed?: Uint8Array,
): Promise<DifferenceRegion[]> {
  const { width: w, height: h } = score;
  const cv = await loadOpenCv();
  const flagged = FLAGGED.take(w * h);
  try {
    return await regionsOfFlagged(cv, score, flagged, flagScores(flagged, score.data, mask, params.threshold), frame, params, comparedArea, overexposed);
  } finally {
    FLAGGED.giveBack(flagged);
  }
}

function regionsOfFlagged(
  cv: Awaited<ReturnType<typeof loadOpenCv>>,
  score: Plane,
  flagged: Uint8Array,
  maskCount: number,
  frame: WorkingFrame,
  params: RegionParams,
  comparedArea: number | undefined,
  overexposed: Uint8Array | undefined,
): Promise<DifferenceRegion[]> {
  const { width: w, height: h } = score;
  const merge = Math.max(3, Math.round(params.mergeDistance * Math.max(w, h)));
  const minArea = Math.max(4, params.minAreaFraction * (comparedArea ?? maskCount));

  // A square, not a disc: separable, and its cost does not grow with the merge distance.
  const closed = closeMask(flagged, w, h, (merge | 1) >> 1);
  return withMats((track) => {
    const labelsMat = track(new cv.Mat());
    const stats = track(new cv.Mat());
    const centroids = track(new cv.Mat());
    const n = cv.connectedComponentsWithStats(track(u8ToMat(cv, closed, w, h)), labelsMat, stats, centroids, 8, cv.CV_32S);
    const labels = labelsMat.data32S;
    const st = stats.data32S;
    const boxes: [number, number, number, number][] = [[0, 0, 0, 0]];
    for (let l = 1; l < n; l++) boxes.push([st[l * 5]!, st[l * 5 + 1]!, st[l * 5]! + st[l * 5 + 2]!, st[l * 5 + 1]! + st[l * 5 + 3]!]);
    // Specks far below the minimum area can neither stand alone nor matter to a merge; skipping them bounds the pairwise merge.
    const speck = minArea / 8;
    const live = (l: number) => st[l * 5 + 4]! >= speck;

    // Components whose boxes, grown by half the merge distance, overlap or nest belong to one region.
    const parent = Int32Array.from({ length: n }, (_, i) => i);
    const half = merge / 2;
    let changed = true;
    const groupBox = boxes.map((b) => [...b] as [number, number, number, number]);
    const alive: number[] = [];
    for (let l = 1; l < n; l++) if (live(l)) alive.push(l);
    while (changed) {
      changed = false;
      for (let ia = 0; ia < alive.length; ia++) {
        const a = alive[ia]!;
        const ra = find(parent, a);
        for (let ib = ia + 1; ib < alive.length; ib++) {
          const b = alive[ib]!;
          const rb = find(parent, b);
          if (ra === rb) continue;
          const A = groupBox[ra]!;
          const B = groupBox[rb]!;
          if (A[0] - half <= B[2] + half && B[0] - half <= A[2] + half && A[1] - half <= B[3] + half && B[1] - half <= A[3] + half) {
            parent[rb] = ra;
            groupBox[ra] = [Math.min(A[0], B[0]), Math.min(A[1], B[1]), Math.max(A[2], B[2]), Math.max(A[3], B[3])];
            changed = true;
          }
        }
      }
    }
    const root = Int32Array.from({ length: n }, (_, i) => find(parent, i));

    const area = new Float64Array(n);
    const hot = new Float64Array(n);
    const hotSum = new Float64Array(n);
    const peak = new Float64Array(n);
    const blown = new Float64Array(n);
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i]!;
      if (l === 0) continue;
      if (!live(l)) continue;
      const g = root[l]!;
      area[g]!++;
      if (flagged[i]) {
        const s = score.data[i]!;
        hot[g]!++;
        hotSum[g]! += s;
        if (s > peak[g]!) peak[g] = s;
        if (overexposed?.[i]) blown[g]!++;
      }
    }

    const regions: DifferenceRegion[] = [];
    for (let g = 1; g < n; g++) {
      if (root[g] !== g || hot[g] === 0 || area[g]! < minArea / strength(hotSum[g]! / hot[g]!, params.threshold)) continue;
      const [x0, y0, x1, y1] = groupBox[g]!;
      const polygon = outline(cv, track, labels, root, g, w, x0, y0, x1, y1).map(
        ([x, y]) => [round1((x + 0.5) / frame.sx - 0.5), round1((y + 0.5) / frame.sy - 0.5)] as [number, number],
      );
      const rx0 = Math.max(0, Math.floor(x0 / frame.sx));
      const ry0 = Math.max(0, Math.floor(y0 / frame.sy));
      const rx1 = Math.min(frame.referenceWidth, Math.ceil(x1 / frame.sx));
      const ry1 = Math.min(frame.referenceHeight, Math.ceil(y1 / frame.sy));
      regions.push({
        box: { x: rx0, y: ry0, width: rx1 - rx0, height: ry1 - ry0 },
        polygon,
        area: Math.round(area[g]! / (frame.sx * frame.sy)),
        score: round4(hotSum[g]! / hot[g]!),
        peak: round4(peak[g]!),
        ...(overexposed && { overexposed: round4(blown[g]! / hot[g]!) }),
      });
    }
    regions.sort((a, b) => b.score - a.score || b.area - a.area || a.box.y - b.box.y || a.box.x - b.box.x);
    return regions;
  });
}

type Track = <M extends { delete(): void }>(m: M) => M;

/** Outer contour of group g (simplified), or the convex hull of its parts when it has several. */
function outline(
  cv: Awaited<ReturnType<typeof loadOpenCv>>,
  track: Track,
  labels: Int32Array,
  root: Int32Array,
  g: number,
  w: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
): [number, number][] {
  const bw = x1 - x0;
  const bh = y1 - y0;
  const roi = new Uint8Array(bw * bh);
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      const l = labels[(y + y0) * w + x + x0]!;
      if (l !== 0 && root[l] === g) roi[y * bw + x] = 255;
    }
  }
  const m = track(u8ToMat(cv, roi, bw, bh));
  const contours = track(new cv.MatVector());
  const hierarchy = track(new cv.Mat());
  cv.findContours(m, contours, hierarchy, cv.RETR_EXTERNAL, cv.CHAIN_APPROX_SIMPLE);
  const count = contours.size();
  let poly: Int32Array;
  if (count === 1) {
    const c = track(contours.get(0));
    const approx = track(new cv.Mat());
    cv.approxPolyDP(c, approx, 1.0, true);
    poly = new Int32Array(approx.data32S);
  } else {
    const all: number[] = [];
    for (let i = 0; i < count; i++) {
      const c = track(contours.get(i));
      all.push(...c.data32S);
    }
    const pts = track(cv.matFromArray(all.length / 2, 1, cv.CV_32SC2, all));
    const hull = track(new cv.Mat());
    cv.convexHull(pts, hull, false, true);
    poly = new Int32Array(hull.data32S);
  }
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < poly.length; i += 2) out.push([poly[i]! + x0, poly[i + 1]! + y0]);
  if (out.length < 3) {
    return [
      [x0, y0],
      [x1 - 1, y0],
      [x1 - 1, y1 - 1],
      [x0, y1 - 1],
    ];
  }
  return out;
}

/**
 * 255 inside any of the polygons (reference pixel coordinates) on the working
 * grid, or on a width × height window of it whose top-left is `origin`.
 */
export async function rasterisePolygons(
  polygons: readonly (readonly (readonly [number, number])[])[],
  width: number,
  height: number,
  sx: number,
  sy: number,
  origin: { x: number; y: number } = { x: 0, y: 0 },
): Promise<Uint8Array> {
  const cv = await loadOpenCv();
  if (polygons.length === 0) return new Uint8Array(width * height);
  return withMats((track) => {
    const m = track(cv.Mat.zeros(height, width, cv.CV_8UC1));
    // One polygon per call: polygons filled together would cancel where they overlap.
    for (const poly of polygons) {
      const flat: number[] = [];
      for (const [x, y] of poly) flat.push(Math.round((x + 0.5) * sx - 0.5) - origin.x, Math.round((y + 0.5) * sy - 0.5) - origin.y);
      const vec = track(new cv.MatVector());
      const pm = track(cv.matFromArray(poly.length, 1, cv.CV_32SC2, flat));
      vec.push_back(pm);
      cv.fillPoly(m, vec, new cv.Scalar(255));
    }
    return new Uint8Array(m.data);
  });
}

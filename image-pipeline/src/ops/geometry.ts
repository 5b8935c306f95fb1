/**
 * Plane homographies as row-major 3×3 arrays of 9 numbers.
 *
 * Coordinate convention everywhere in the pipeline: pixel (0, 0) has its
 * centre at (0, 0) (OpenCV keypoints, Oxford `H1toNp`). Resampling an image
 * by a factor s therefore maps x to (x + 0.5)·s − 0.5, not x·s; the half-pixel
 * term matters once refinement is sub-pixel.
 */

export type Homography = readonly number[];

export type Point = readonly [number, number];

export const IDENTITY: Homography = Object.freeze([1, 0, 0, 0, 1, 0, 0, 0, 1]);

function at(h: Homography, i: number): number {
  const v = h[i];
  if (v === undefined) throw new RangeError(`homography needs 9 entries, got ${h.length}`);
  return v;
}

export function isHomography(h: unknown): h is Homography {
  return Array.isArray(h) && h.length === 9 && h.every((v) => typeof v === 'number' && Number.isFinite(v));
}

/** Scales so that H[8] = 1 (the form of the Oxford files); leaves H unchanged when H[8] is ~0. */
export function normalizeHomography(h: Homography): number[] {
  const w = at(h, 8);
  if (Math.abs(w) < 1e-12) return Array.from(h);
  return Array.from(h, (v) => v / w);
}

/** Maps (x, y) by H; returns [NaN, NaN] for a point sent to infinity. */
export function applyHomography(h: Homography, x: number, y: number): [number, number] {
  const w = at(h, 6) * x + at(h, 7) * y + at(h, 8);
  if (Math.abs(w) < 1e-12) return [Number.NaN, Number.NaN];
  return [(at(h, 0) * x + at(h, 1) * y + at(h, 2)) / w, (at(h, 3) * x + at(h, 4) * y + at(h, 5)) / w];
}

/** Homogeneous denominator of H at (x, y); its sign tells which side of the horizon the point lies. */
export function homographyDenominator(h: Homography, x: number, y: number): number {
  return at(h, 6) * x + at(h, 7) * y + at(h, 8);
}

/** a·b: first apply b, then a. */
export function composeHomographies(a: Homography, b: Homography): number[] {
  const out = new Array<number>(9);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      out[r * 3 + c] = at(a, r * 3) * at(b, c) + at(a, r * 3 + 1) * at(b, 3 + c) + at(a, r * 3 + 2) * at(b, 6 + c);
    }
  }
  return normalizeHomography(out);
}

export function invertHomography(h: Homography): number[] {
  const [a, b, c, d, e, f, g, i, j] = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((k) => at(h, k)) as [
    number, number, number, number, number, number, number, number, number,
  ];
  const A = e * j - f * i;
  const B = -(d * j - f * g);
  const C = d * i - e * g;
  const det = a * A + b * B + c * C;
  if (Math.abs(det) < 1e-15) throw new RangeError('homography is singular');
  const inv = [A, -(b * j - c * i), b * f - c * e, B, a * j - c * g, -(a * f - c * d), C, -(a * i - b * g), a * e - b * d];
  return normalizeHomography(inv.map((v) => v / det));
}

/**
 * The homography that maps full-resolution pixel coordinates to those of the
 * same image resampled by (sx, sy), with pixel centres kept consistent.
 */
export function resampleMatrix(sx: number, sy: number = sx): number[] {
  return [sx, 0, 0.5 * sx - 0.5, 0, sy, 0.5 * sy - 0.5, 0, 0, 1];
}

/**
 * Re-expresses H (reference → questioned, full resolution) for images
 * resampled by `ref` and `qry` (each [sx, sy]); `fromLevel` does the inverse.
 */
export function homographyToLevel(h: Homography, ref: Point, qry: Point): number[] {
  return composeHomographies(resampleMatrix(qry[0], qry[1]), composeHomographies(h, invertHomography(resampleMatrix(ref[0], ref[1]))));
}

export function homographyFromLevel(h: Homography, ref: Point, qry: Point): number[] {
  return composeHomographies(invertHomography(resampleMatrix(qry[0], qry[1])), composeHomographies(h, resampleMatrix(ref[0], ref[1])));
}

/** Corners of a width×height image in pixel-centre coordinates, clockwise from top-left. */
export function imageCorners(width: number, height: number): [Point, Point, Point, Point] {
  return [
    [0, 0],
    [width - 1, 0],
    [width - 1, height - 1],
    [0, height - 1],
  ];
}

/**
 * Mean distance between the four reference corners mapped by `estimate` and
 * by `truth` (pixels of the questioned image): the Oxford/HPatches corner error.
 */
export function cornerError(estimate: Homography, truth: Homography, width: number, height: number): number {
  let sum = 0;
  for (const [x, y] of imageCorners(width, height)) {
    const [ex, ey] = applyHomography(estimate, x, y);
    const [tx, ty] = applyHomography(truth, x, y);
    sum += Math.hypot(ex - tx, ey - ty);
  }
  return sum / 4;
}

/** Largest displacement between two homographies over the corners of a width×height region. */
export function maxCornerShift(a: Homography, b: Homography, width: number, height: number): number {
  let worst = 0;
  for (const [x, y] of imageCorners(width, height)) {
    const [ax, ay] = applyHomography(a, x, y);
    const [bx, by] = applyHomography(b, x, y);
    worst = Math.max(worst, Math.hypot(ax - bx, ay - by));
  }
  return Number.isFinite(worst) ? worst : Number.POSITIVE_INFINITY;
}

/**
 * Local linear part of H at (x, y): the 2×2 Jacobian [dx'/dx, dx'/dy, dy'/dx, dy'/dy].
 */
export function homographyJacobian(h: Homography, x: number, y: number): [number, number, number, number] {
  const w = homographyDenominator(h, x, y);
  const [u, v] = applyHomography(h, x, y);
  return [
    (at(h, 0) - at(h, 6) * u) / w,
    (at(h, 1) - at(h, 7) * u) / w,
    (at(h, 3) - at(h, 6) * v) / w,
    (at(h, 4) - at(h, 7) * v) / w,
  ];
}

/**
 * H's local linear scale (the root of its Jacobian determinant) at each
 * pixel centre of a `gridWidth` × `gridHeight` resampling of the
 * `width` × `height` source, up to a constant factor: the determinant is
 * det(H) / w³, w the homogeneous denominator.
 */
export function localScaleMap(h: Homography, width: number, height: number, gridWidth: number, gridHeight: number): Float32Array {
  const sx = gridWidth / width;
  const sy = gridHeight / height;
  const out = new Float32Array(gridWidth * gridHeight);
  for (let v = 0; v < gridHeight; v++) {
    const y = (v + 0.5) / sy - 0.5;
    for (let u = 0; u < gridWidth; u++) {
      const w = Math.abs(homographyDenominator(h, (u + 0.5) / sx - 0.5, y));
      out[v * gridWidth + u] = 1 / (w * Math.sqrt(w));
    }
  }
  return out;
}

/** Signed area of a polygon (positive when its vertices turn clockwise in image coordinates, y down). */
export function polygonArea(points: readonly Point[]): number {
  let s = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const q = points[(i + 1) % points.length]!;
    s += p[0] * q[1] - q[0] * p[1];
  }
  return s / 2;
}

/** True when the polygon is strictly convex with a consistent turn direction. */
export function isConvexPolygon(points: readonly Point[]): boolean {
  let sign = 0;
  for (let i = 0; i < points.length; i++) {
    const a = points[i]!;
    const b = points[(i + 1) % points.length]!;
    const c = points[(i + 2) % points.length]!;
    const cross = (b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0]);
    if (!Number.isFinite(cross) || cross === 0) return false;
    const s = Math.sign(cross);
    if (sign === 0) sign = s;
    else if (s !== sign) return false;
  }
  return true;
}

/** Convex hull (Andrew's monotone chain), clockwise in image coordinates (y down); collinear points dropped. */
export function convexHull(points: readonly Point[]): Point[] {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const cross = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Point[] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: Point[] = [];
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, q) <= 0) upper.pop();
    upper.push(q);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

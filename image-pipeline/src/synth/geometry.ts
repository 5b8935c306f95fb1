/**
 * Points, polygons and the four-point homography in pixel coordinates
 * (origin top-left, x right, y down, pixel centres at integers). Applying,
 * inverting and composing homographies is ops/geometry's job.
 */

export type Point = [number, number];
export type Polygon = Point[];

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function rectPolygon(x: number, y: number, width: number, height: number): Polygon {
  return [
    [x, y],
    [x + width, y],
    [x + width, y + height],
    [x, y + height],
  ];
}

export function boundsOf(polygon: readonly Point[]): Box {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of polygon) {
    minX = Math.min(minX, x);
    minY = Math.min(minY, y);
    maxX = Math.max(maxX, x);
    maxY = Math.max(maxY, y);
  }
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}

export function boxPolygon(box: Box, margin = 0): Polygon {
  return rectPolygon(box.x - margin, box.y - margin, box.width + 2 * margin, box.height + 2 * margin);
}

/** Smallest axis-aligned box holding every box. */
export function unionBox(boxes: readonly Box[]): Box {
  return boundsOf(boxes.flatMap((b) => boxPolygon(b)));
}

/** Clamps vertices into [0, width] × [0, height] and rounds to 1/10 px, as stored in zones. */
export function clampPolygon(polygon: readonly Point[], width: number, height: number): Polygon {
  const r = (v: number) => Math.round(v * 10) / 10;
  return polygon.map(([x, y]) => [r(Math.min(width, Math.max(0, x))), r(Math.min(height, Math.max(0, y)))]);
}

/** Even–odd ray casting. */
export function pointInPolygon(x: number, y: number, polygon: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The exact homography taking four source points to four destination points (direct linear transform). */
export function homographyFromPoints(src: readonly Point[], dst: readonly Point[]): number[] {
  if (src.length !== 4 || dst.length !== 4) throw new RangeError('four point pairs are needed');
  const m: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = src[i]!;
    const [u, v] = dst[i]!;
    m.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    m.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  // Gauss–Jordan with partial pivoting on the 8×9 augmented matrix.
  for (let col = 0; col < 8; col++) {
    let pivot = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    if (Math.abs(m[pivot]![col]!) < 1e-12) throw new RangeError('degenerate point configuration');
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const row = m[col]!;
    const p = row[col]!;
    for (let c = col; c < 9; c++) row[c]! /= p;
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const other = m[r]!;
      const f = other[col]!;
      if (f === 0) continue;
      for (let c = col; c < 9; c++) other[c]! -= f * row[c]!;
    }
  }
  return [...m.map((row) => row[8]!), 1];
}

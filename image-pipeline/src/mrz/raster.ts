/**
 * Pixel primitives of the MRZ reader, on plain grey buffers (no OpenCV: the
 * reader is small enough to run in any thread, and a WebAssembly start would
 * cost more than the whole read).
 */
import type { GreyImage } from '../ops/align-types';

/** A connected component of ink pixels; bounds inclusive. */
export interface Blob {
  label: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  area: number;
}

export const blobWidth = (b: Blob) => b.x1 - b.x0 + 1;
export const blobHeight = (b: Blob) => b.y1 - b.y0 + 1;

/**
 * Dark-on-light ink by a local mean threshold (integral image, `window`
 * pixels square): a pixel is ink when it is darker than its surroundings by
 * a fraction of their brightness and by an absolute margin, so that paper
 * texture and smooth shading stay background.
 */
export function inkMask(img: GreyImage, window: number, relative = 0.12, absolute = 10): Uint8Array {
  const { width: W, height: H, data } = img;
  const stride = W + 1;
  const integral = new Float64Array(stride * (H + 1));
  for (let y = 0; y < H; y++) {
    let row = 0;
    for (let x = 0; x < W; x++) {
      row += data[y * W + x]!;
      integral[(y + 1) * stride + x + 1] = integral[y * stride + x + 1]! + row;
    }
  }
  const r = Math.max(1, Math.floor(window / 2));
  const mask = new Uint8Array(W * H);
  const keep = 1 - relative;
  for (let y = 0; y < H; y++) {
    const ya = y - r < 0 ? 0 : y - r;
    const yb = y + r + 1 > H ? H : y + r + 1;
    const top = ya * stride;
    const bottom = yb * stride;
    const rows = yb - ya;
    for (let x = 0; x < W; x++) {
      const xa = x - r < 0 ? 0 : x - r;
      const xb = x + r + 1 > W ? W : x + r + 1;
      const sum = integral[bottom + xb]! - integral[top + xb]! - integral[bottom + xa]! + integral[top + xa]!;
      const mean = sum / (rows * (xb - xa));
      const v = data[y * W + x]!;
      if (v < mean * keep && mean - v > absolute) mask[y * W + x] = 1;
    }
  }
  return mask;
}

/** 8-connected components of a mask: the label image (0 = background) and one Blob per label. */
export function connectedComponents(mask: Uint8Array, width: number, height: number): { labels: Int32Array; blobs: Blob[] } {
  const labels = new Int32Array(width * height);
  const parent: number[] = [0];
  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]!]!;
      a = parent[a]!;
    }
    return a;
  };
  const union = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!mask[i]) continue;
      // Already-labelled neighbours: west, north-west, north, north-east.
      let l = x > 0 ? labels[i - 1]! : 0;
      if (y > 0) {
        const up = i - width;
        const from = x > 0 ? up - 1 : up;
        const to = x < width - 1 ? up + 1 : up;
        for (let j = from; j <= to; j++) {
          const lj = labels[j]!;
          if (!lj) continue;
          if (!l) l = lj;
          else if (lj !== l) union(l, lj);
        }
      }
      if (!l) {
        l = parent.length;
        parent.push(l);
      }
      labels[i] = l;
    }
  }
  const remap = new Int32Array(parent.length);
  const blobs: Blob[] = [];
  for (let l = 1; l < parent.length; l++) {
    const root = find(l);
    if (!remap[root]) {
      blobs.push({ label: blobs.length + 1, x0: Infinity, y0: Infinity, x1: -1, y1: -1, area: 0 });
      remap[root] = blobs.length;
    }
    remap[l] = remap[root]!;
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const l = labels[i]!;
      if (!l) continue;
      const nl = remap[l]!;
      labels[i] = nl;
      const b = blobs[nl - 1]!;
      b.area++;
      if (x < b.x0) b.x0 = x;
      if (x > b.x1) b.x1 = x;
      if (y < b.y0) b.y0 = y;
      if (y > b.y1) b.y1 = y;
    }
  }
  return { labels, blobs };
}

/** Extent of a blob's pixels along a direction `d` and its normal `n` (unit vectors). */
export function blobExtent(labels: Int32Array, width: number, b: Blob, d: readonly [number, number], n: readonly [number, number]): { aMin: number; aMax: number; bMin: number; bMax: number } {
  let aMin = Infinity;
  let aMax = -Infinity;
  let bMin = Infinity;
  let bMax = -Infinity;
  for (let y = b.y0; y <= b.y1; y++) {
    for (let x = b.x0; x <= b.x1; x++) {
      if (labels[y * width + x] !== b.label) continue;
      const a = x * d[0] + y * d[1];
      const c = x * n[0] + y * n[1];
      if (a < aMin) aMin = a;
      if (a > aMax) aMax = a;
      if (c < bMin) bMin = c;
      if (c > bMax) bMax = c;
    }
  }
  // Pixel centres: the ink covers half a pixel more on each side.
  return { aMin: aMin - 0.5, aMax: aMax + 0.5, bMin: bMin - 0.5, bMax: bMax + 0.5 };
}

/** Bilinear sample with the border clamped. */
export function sampleBilinear(img: GreyImage, x: number, y: number): number {
  const { width: W, height: H, data } = img;
  const xc = Math.min(Math.max(x, 0), W - 1);
  const yc = Math.min(Math.max(y, 0), H - 1);
  const x0 = Math.floor(xc);
  const y0 = Math.floor(yc);
  const x1 = Math.min(x0 + 1, W - 1);
  const y1 = Math.min(y0 + 1, H - 1);
  const fx = xc - x0;
  const fy = yc - y0;
  const a = data[y0 * W + x0]!;
  const b = data[y0 * W + x1]!;
  const c = data[y1 * W + x0]!;
  const d = data[y1 * W + x1]!;
  return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
}

/** The image turned by a multiple of 90° clockwise. */
export function rotateQuarter(img: GreyImage, quarters: 0 | 1 | 2 | 3): GreyImage {
  const { width: W, height: H, data } = img;
  if (quarters === 0) return img;
  const out = new Uint8Array(W * H);
  if (quarters === 2) {
    for (let i = 0, n = W * H; i < n; i++) out[i] = data[n - 1 - i]!;
    return { data: out, width: W, height: H };
  }
  // Output is H wide and W tall.
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const v = data[y * W + x]!;
      if (quarters === 1) out[x * H + (H - 1 - y)] = v;
      else out[(W - 1 - x) * H + y] = v;
    }
  }
  return { data: out, width: H, height: W };
}

/** Maps a point of `rotateQuarter(img, q)` back to `img` (of size w × h). */
export function unrotatePoint(x: number, y: number, quarters: 0 | 1 | 2 | 3, w: number, h: number): [number, number] {
  switch (quarters) {
    case 0:
      return [x, y];
    case 1:
      return [y, h - 1 - x];
    case 2:
      return [w - 1 - x, h - 1 - y];
    case 3:
      return [w - 1 - y, x];
  }
}

/**
 * Float planes (one channel, row-major) and the few OpenCV filters the
 * difference stage runs on them. Each call copies the plane into the
 * WebAssembly heap and back, and frees its Mats before returning, so a stage
 * never holds more than a handful of Mats at once.
 */
import { loadOpenCv, withMats } from '../cv/opencv';
import type { Cv, Mat } from '../cv/opencv';

export interface Plane {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
}

export function makePlane(width: number, height: number, data?: Float32Array): Plane {
  const d = data ?? new Float32Array(width * height);
  if (d.length !== width * height) throw new RangeError(`plane data has ${d.length} values, expected ${width * height}`);
  return { data: d, width, height };
}

function planeToMat(cv: Cv, p: Plane): Mat {
  const m = new cv.Mat(p.height, p.width, cv.CV_32FC1);
  m.data32F.set(p.data);
  return m;
}

function matToPlane(m: Mat): Plane {
  return { data: new Float32Array(m.data32F), width: m.cols, height: m.rows };
}

export function u8ToMat(cv: Cv, data: Uint8Array, width: number, height: number, channels = 1): Mat {
  const type = channels === 1 ? cv.CV_8UC1 : channels === 3 ? cv.CV_8UC3 : channels === 4 ? cv.CV_8UC4 : cv.CV_8UC2;
  const m = new cv.Mat(height, width, type);
  m.data.set(data);
  return m;
}

async function filterPlane(p: Plane, run: (cv: Cv, src: Mat, dst: Mat) => void): Promise<Plane> {
  const cv = await loadOpenCv();
  return withMats((track) => {
    const src = track(planeToMat(cv, p));
    const dst = track(new cv.Mat());
    run(cv, src, dst);
    return matToPlane(dst);
  });
}

/** Gaussian blur with mirrored borders; sigma ≤ 0 returns a copy. */
export function gaussianBlur(p: Plane, sigma: number): Promise<Plane> {
  if (!(sigma > 0)) return Promise.resolve(makePlane(p.width, p.height, new Float32Array(p.data)));
  return filterPlane(p, (cv, src, dst) => cv.GaussianBlur(src, dst, new cv.Size(0, 0), sigma, sigma, cv.BORDER_REFLECT_101));
}

/** Local maximum (dilate) and minimum (erode) over a (2r+1)² square. */
export async function minMaxFilter(p: Plane, radius: number): Promise<{ min: Plane; max: Plane }> {
  const cv = await loadOpenCv();
  return withMats((track) => {
    const src = track(planeToMat(cv, p));
    const kernel = track(cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(2 * radius + 1, 2 * radius + 1)));
    const lo = track(new cv.Mat());
    const hi = track(new cv.Mat());
    const anchor = new cv.Point(-1, -1);
    cv.erode(src, lo, kernel, anchor, 1, cv.BORDER_REPLICATE);
    cv.dilate(src, hi, kernel, anchor, 1, cv.BORDER_REPLICATE);
    return { min: matToPlane(lo), max: matToPlane(hi) };
  });
}

export type Interpolation = 'area' | 'linear' | 'cubic';

export function resizePlane(p: Plane, width: number, height: number, interpolation: Interpolation): Promise<Plane> {
  if (width === p.width && height === p.height) return Promise.resolve(makePlane(width, height, new Float32Array(p.data)));
  return filterPlane(p, (cv, src, dst) => {
    const flag = interpolation === 'area' ? cv.INTER_AREA : interpolation === 'cubic' ? cv.INTER_CUBIC : cv.INTER_LINEAR;
    cv.resize(src, dst, new cv.Size(width, height), 0, 0, flag);
  });
}

/**
 * Halves a plane by 2×2 averaging (sizes round up). Unlike cv.pyrDown, whose
 * output pixel i sits on input pixel 2i, the averaged pixel is centred where
 * cv.resize expects it, so maps brought back up with resizePlane stay in register.
 */
export function halve(p: Plane): Promise<Plane> {
  return resizePlane(p, Math.ceil(p.width / 2), Math.ceil(p.height / 2), 'area');
}

/** Median over a k×k window (k = 3 or 5, the sizes OpenCV supports for float data). */
export function medianBlur(p: Plane, k: 3 | 5): Promise<Plane> {
  if (p.width < k || p.height < k) return Promise.resolve(makePlane(p.width, p.height, new Float32Array(p.data)));
  return filterPlane(p, (cv, src, dst) => cv.medianBlur(src, dst, k));
}

/** Gradient magnitude from 3×3 Sobel derivatives. */
export async function gradientMagnitude(p: Plane): Promise<Plane> {
  const cv = await loadOpenCv();
  return withMats((track) => {
    const src = track(planeToMat(cv, p));
    const gx = track(new cv.Mat());
    const gy = track(new cv.Mat());
    cv.Sobel(src, gx, cv.CV_32F, 1, 0, 3, 1, 0, cv.BORDER_REPLICATE);
    cv.Sobel(src, gy, cv.CV_32F, 0, 1, 3, 1, 0, cv.BORDER_REPLICATE);
    const x = gx.data32F;
    const y = gy.data32F;
    const out = new Float32Array(x.length);
    for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(x[i]! * x[i]! + y[i]! * y[i]!);
    return makePlane(p.width, p.height, out);
  });
}

/**
 * Quantiles (q in [0, 1]) of the values where `mask` is non-zero (all values
 * without a mask), from a fine histogram with linear interpolation inside a
 * bin: exact enough for photometric fits and O(n), unlike sorting.
 */
export function quantiles(values: Float32Array, qs: readonly number[], mask?: Uint8Array, bins = 4096): number[] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    if (mask && mask[i] === 0) continue;
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    n++;
  }
  if (n === 0) return qs.map(() => Number.NaN);
  if (hi - lo < 1e-9) return qs.map(() => lo);
  const hist = new Float64Array(bins);
  const k = bins / (hi - lo);
  for (let i = 0; i < values.length; i++) {
    if (mask && mask[i] === 0) continue;
    hist[Math.min(bins - 1, Math.floor((values[i]! - lo) * k))]! += 1;
  }
  const out: number[] = [];
  for (const q of qs) {
    const target = Math.min(n, Math.max(0, q * n));
    let acc = 0;
    let b = 0;
    while (b < bins - 1 && acc + hist[b]! < target) acc += hist[b++]!;
    const inBin = hist[b]! > 0 ? (target - acc) / hist[b]! : 0;
    out.push(lo + (b + Math.min(1, Math.max(0, inBin))) / k);
  }
  return out;
}

/** The k-th smallest of values[from..to) (reorders that range); deterministic median-of-three pivots. */
export function selectKth(values: Float32Array, from: number, to: number, k: number): number {
  let lo = from;
  let hi = to - 1;
  let target = from + k;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    let a = values[lo]!;
    let b = values[mid]!;
    const c = values[hi]!;
    if (a > b) [a, b] = [b, a];
    const pivot = c < a ? a : c > b ? b : c;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return values[target]!;
  }
  return values[target]!;
}

export function median(values: Float32Array, count = values.length): number {
  if (count === 0) return Number.NaN;
  return selectKth(values, 0, count, count >> 1);
}

/** Minimum of `mask` over each k×k block (a pixel stays valid only if its whole footprint is). */
export function shrinkMask(mask: Uint8Array, width: number, height: number, outWidth: number, outHeight: number): Uint8Array {
  const out = new Uint8Array(outWidth * outHeight);
  const sx = width / outWidth;
  const sy = height / outHeight;
  for (let y = 0; y < outHeight; y++) {
    const y0 = Math.floor(y * sy);
    const y1 = Math.min(height, Math.max(y0 + 1, Math.ceil((y + 1) * sy)));
    for (let x = 0; x < outWidth; x++) {
      const x0 = Math.floor(x * sx);
      const x1 = Math.min(width, Math.max(x0 + 1, Math.ceil((x + 1) * sx)));
      let ok = 255;
      for (let yy = y0; yy < y1 && ok; yy++) {
        const row = yy * width;
        for (let xx = x0; xx < x1; xx++) {
          if (mask[row + xx] === 0) {
            ok = 0;
            break;
          }
        }
      }
      out[y * outWidth + x] = ok;
    }
  }
  return out;
}

/** Binary erosion of a 0/255 mask by a (2r+1)² square; outside the image counts as invalid. */
export async function erodeMask(mask: Uint8Array, width: number, height: number, radius: number): Promise<Uint8Array> {
  if (radius <= 0) return new Uint8Array(mask);
  const cv = await loadOpenCv();
  return withMats((track) => {
    const src = track(u8ToMat(cv, mask, width, height));
    const dst = track(new cv.Mat());
    const kernel = track(cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(2 * radius + 1, 2 * radius + 1)));
    cv.erode(src, dst, kernel, new cv.Point(-1, -1), 1, cv.BORDER_CONSTANT, new cv.Scalar(0));
    return new Uint8Array(dst.data);
  });
}

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

/** Normalised Gaussian taps for radius ⌈2.5σ⌉ (what lies beyond weighs under 2 %). */
function gaussianKernel(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(2.5 * sigma));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  return k;
}

/** Mirror an index into [0, n) without repeating the edge pixel (OpenCV's BORDER_REFLECT_101). */
function mirror(i: number, n: number): number {
  if (n === 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
  return i;
}

let scratch = new Float32Array(0);

/**
 * The horizontal pass's buffer, kept between calls (the blur is synchronous,
 * and each thread has its own module state): a fresh multi-megabyte array
 * per call costs page faults that can exceed the blur itself. Every element
 * is written before it is read, so it is never cleared.
 */
function blurScratch(n: number): Float32Array {
  if (scratch.length < n) scratch = new Float32Array(n);
  return scratch.length === n ? scratch : scratch.subarray(0, n);
}

/**
 * Gaussian blur with mirrored borders; sigma ≤ 0 returns a copy. `into`
 * (width × height values, possibly the input's own) takes the result instead
 * of a fresh array: for temporaries, which spares a page fault per 4 KiB
 * and the collector's work. Separable
 * passes in JavaScript: for the small sigmas used here they cost less than
 * copying the plane into the WebAssembly heap and back.
 */
export function gaussianBlur(p: Plane, sigma: number, into?: Float32Array): Plane {
  const { width: w, height: h } = p;
  if (into && into.length !== w * h) throw new RangeError(`blur output has ${into.length} values, expected ${w * h}`);
  if (!(sigma > 0)) return makePlane(w, h, into ? (into === p.data ? into : (into.set(p.data), into)) : new Float32Array(p.data));
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) >> 1;
  if (w <= 2 * r || h <= 2 * r) return gaussianBlurSmall(p, k, into);
  const src = p.data;
  const tmp = blurScratch(w * h);
  // The second pass reads only the first pass's buffer: `into` may be the input itself.
  const out = into ?? new Float32Array(w * h);
  // The kernel is symmetric: pair the taps (half the multiplications); radii 2 and 3 (the usual) unrolled.
  const c0 = k[r]!;
  const c1 = k[r + 1]!;
  const c2 = r >= 2 ? k[r + 2]! : 0;
  const c3 = r >= 3 ? k[r + 3]! : 0;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < r; x++) {
      let acc = 0;
      for (let t = -r; t <= r; t++) acc += k[t + r]! * src[row + mirror(x + t, w)]!;
      tmp[row + x] = acc;
    }
    const end = row + w - r;
    if (r === 2) {
      for (let i = row + 2; i < end; i++) tmp[i] = c0 * src[i]! + c1 * (src[i - 1]! + src[i + 1]!) + c2 * (src[i - 2]! + src[i + 2]!);
    } else if (r === 3) {
      for (let i = row + 3; i < end; i++) tmp[i] = c0 * src[i]! + c1 * (src[i - 1]! + src[i + 1]!) + c2 * (src[i - 2]! + src[i + 2]!) + c3 * (src[i - 3]! + src[i + 3]!);
    } else {
      for (let i = row + r; i < end; i++) {
        let acc = c0 * src[i]!;
        for (let t = 1; t <= r; t++) acc += k[r + t]! * (src[i - t]! + src[i + t]!);
        tmp[i] = acc;
      }
    }
    for (let x = w - r; x < w; x++) {
      let acc = 0;
      for (let t = -r; t <= r; t++) acc += k[t + r]! * src[row + mirror(x + t, w)]!;
      tmp[row + x] = acc;
    }
  }
  for (let y = 0; y < h; y++) {
    const row = y * w;
    const end = row + w;
    if (y >= r && y < h - r) {
      if (r === 2) {
        for (let i = row; i < end; i++) out[i] = c0 * tmp[i]! + c1 * (tmp[i - w]! + tmp[i + w]!) + c2 * (tmp[i - 2 * w]! + tmp[i + 2 * w]!);
        continue;
      }
      if (r === 3) {
        const w2 = 2 * w;
        const w3 = 3 * w;
        for (let i = row; i < end; i++) out[i] = c0 * tmp[i]! + c1 * (tmp[i - w]! + tmp[i + w]!) + c2 * (tmp[i - w2]! + tmp[i + w2]!) + c3 * (tmp[i - w3]! + tmp[i + w3]!);
        continue;
      }
    }
    for (let x = 0; x < w; x++) out[row + x] = 0;
    for (let t = -r; t <= r; t++) {
      const wt = k[t + r]!;
      const from = mirror(y + t, h) * w;
      for (let x = 0; x < w; x++) out[row + x]! += wt * tmp[from + x]!;
    }
  }
  return makePlane(w, h, out);
}

/** The plain form, for planes not larger than the kernel. */
function gaussianBlurSmall(p: Plane, k: Float32Array, into?: Float32Array): Plane {
  const { width: w, height: h } = p;
  const r = (k.length - 1) >> 1;
  const tmp = new Float32Array(w * h);
  const out = into ?? new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let t = -r; t <= r; t++) acc += k[t + r]! * p.data[y * w + mirror(x + t, w)]!;
      tmp[y * w + x] = acc;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let t = -r; t <= r; t++) acc += k[t + r]! * tmp[mirror(y + t, h) * w + x]!;
      out[y * w + x] = acc;
    }
  }
  return makePlane(w, h, out);
}

/**
 * A large byte buffer kept from one call to the next in this thread (each
 * worker has its own module state): a fresh multi-megabyte array costs a
 * page fault for every 4 KiB on first touch, and the garbage collector's
 * attention, more than many of the passes that fill it. `take` lends it with
 * its old bytes in place, or a fresh zeroed array while it is lent (a second
 * call in flight in the same thread); `give back` the view taken when done
 * with it. Only for buffers that do not outlive the call that took them.
 */
export class ReusableBytes {
  private buffer = new Uint8Array(0);
  private lent = false;

  take(length: number): Uint8Array {
    if (this.lent) return new Uint8Array(length);
    this.lent = true;
    if (this.buffer.length < length) this.buffer = new Uint8Array(length);
    return this.buffer.subarray(0, length);
  }

  giveBack(view: Uint8Array): void {
    if (view.buffer === this.buffer.buffer) this.lent = false;
  }
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

/**
 * Quantiles (q in [0, 1]) of the values where `mask` is non-zero (all values
 * without a mask), from a fine histogram with linear interpolation inside a
 * bin: exact enough for photometric fits and O(n), unlike sorting. `step`
 * samples every step-th value (a whole-image statistic rarely needs all).
 */
export function quantiles(values: Float32Array, qs: readonly number[], mask?: Uint8Array, bins = 4096, step = 1): number[] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let n = 0;
  for (let i = 0; i < values.length; i += step) {
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
  for (let i = 0; i < values.length; i += step) {
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

/**
 * Square-kernel morphology of 0/255 masks, separable, at a cost that does
 * not grow with the radius (OpenCV's row and column filters cost O(radius)
 * per pixel), and with no copies into the WebAssembly heap and back. Along
 * rows the mask is walked as runs of set pixels (zero stretches skipped four
 * bytes at a time), each run grown or shrunk by r; down columns the rows are
 * combined four pixels per 32-bit word, the OR (dilation) or AND (erosion)
 * of every window of 2r + 1 rows from prefix and suffix combinations within
 * blocks of that many rows (van Herk / Gil–Werman). The outside of the image
 * counts as unset: the same masks as cv.dilate / cv.erode with a (2r+1)²
 * MORPH_RECT and a constant 0 border.
 */
function squareMorphology(mask: Uint8Array, width: number, height: number, radius: number, dilate: boolean, into?: Uint8Array): Uint8Array {
  const r = radius;
  const n = width * height;
  // Rows padded to whole words for the column pass.
  const stride = (width + 3) & ~3;
  const wordsPerRow = stride >> 2;
  const k = 2 * r + 1;
  const padded = height + 2 * r;
  const rowWords = height * wordsPerRow;
  const bandWords = padded * wordsPerRow;
  const words = morphologyScratch(2 * rowWords + 2 * bandWords);
  const src = words.subarray(0, rowWords);
  const across = new Uint8Array(src.buffer, src.byteOffset, rowWords * 4).fill(0);
  const aligned = (mask.byteOffset & 3) === 0;
  const maskWords = aligned ? new Uint32Array(mask.buffer, mask.byteOffset, n >> 2) : null;
  let i = 0;
  let row = 0;
  let rowStart = 0;
  let firstRow = height;
  let lastRow = -1;
  while (i < n) {
    if (maskWords && (i & 3) === 0) {
      let w = i >> 2;
      while (w < maskWords.length && maskWords[w] === 0) w++;
      i = Math.max(i, w << 2);
    }
    while (i < n && !mask[i]) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && mask[i]) {
      if (maskWords && (i & 3) === 0 && i >> 2 < maskWords.length && maskWords[i >> 2] === 0xffffffff) i += 4;
      else i++;
    }
    // The run [start, i) of the flat mask, cut at row ends.
    let a = start;
    while (a < i) {
      while (a >= rowStart + width) {
        row++;
        rowStart += width;
      }
      const b = Math.min(i, rowStart + width);
      const x0 = a - rowStart;
      const x1 = b - rowStart;
      const base = row * stride;
      if (dilate) across.fill(255, base + Math.max(0, x0 - r), base + Math.min(width, x1 + r));
      else if (x1 - x0 > 2 * r) across.fill(255, base + x0 + r, base + x1 - r);
      if (row < firstRow) firstRow = row;
      lastRow = row;
      a = b;
    }
  }
  const out = into ? into.fill(0) : new Uint8Array(n);
  // Only rows within r of a set row can be set (dilation), or rows r inside the set ones (erosion): a sparse
  // mask, the usual case (flagged pixels), costs its band of rows only.
  const top = dilate ? Math.max(0, firstRow - r) : firstRow + r;
  const bottom = dilate ? Math.min(height - 1, lastRow + r) : lastRow - r;
  if (top > bottom) return out;
  // Columns: windows of k rows over the rows padded by r unset rows at either end; output row y reads
  // padded rows y … y + 2r, and prefix and suffix combinations restart at every k-th padded row.
  const pFrom = top - (top % k);
  const pTo = Math.min(padded - 1, bottom + 2 * r + (k - 1 - ((bottom + 2 * r) % k)));
  const prefix = words.subarray(rowWords, rowWords + bandWords);
  const suffix = words.subarray(rowWords + bandWords, rowWords + 2 * bandWords);
  const outWords = words.subarray(rowWords + 2 * bandWords, 2 * rowWords + 2 * bandWords);
  for (let p = pFrom; p <= pTo; p++) {
    const y = p - r;
    const at = p * wordsPerRow;
    const from = y * wordsPerRow;
    const inside = y >= 0 && y < height;
    if (p % k === 0) {
      if (inside) prefix.set(src.subarray(from, from + wordsPerRow), at);
      else prefix.fill(0, at, at + wordsPerRow);
    } else if (inside) {
      const prev = at - wordsPerRow;
      if (dilate) for (let c = 0; c < wordsPerRow; c++) prefix[at + c] = prefix[prev + c]! | src[from + c]!;
      else for (let c = 0; c < wordsPerRow; c++) prefix[at + c] = prefix[prev + c]! & src[from + c]!;
    } else if (dilate) {
      prefix.copyWithin(at, at - wordsPerRow, at);
    } else {
      prefix.fill(0, at, at + wordsPerRow);
    }
  }
  for (let p = pTo; p >= pFrom; p--) {
    const y = p - r;
    const at = p * wordsPerRow;
    const from = y * wordsPerRow;
    const inside = y >= 0 && y < height;
    if (p % k === k - 1 || p === pTo) {
      if (inside) suffix.set(src.subarray(from, from + wordsPerRow), at);
      else suffix.fill(0, at, at + wordsPerRow);
    } else if (inside) {
      const next = at + wordsPerRow;
      if (dilate) for (let c = 0; c < wordsPerRow; c++) suffix[at + c] = suffix[next + c]! | src[from + c]!;
      else for (let c = 0; c < wordsPerRow; c++) suffix[at + c] = suffix[next + c]! & src[from + c]!;
    } else if (dilate) {
      suffix.copyWithin(at, at + wordsPerRow, at + 2 * wordsPerRow);
    } else {
      suffix.fill(0, at, at + wordsPerRow);
    }
  }
  for (let y = top; y <= bottom; y++) {
    // Window rows y − r … y + r are padded rows y … y + k − 1.
    const s = y * wordsPerRow;
    const e = (y + k - 1) * wordsPerRow;
    const at = y * wordsPerRow;
    if (dilate) for (let c = 0; c < wordsPerRow; c++) outWords[at + c] = suffix[s + c]! | prefix[e + c]!;
    else for (let c = 0; c < wordsPerRow; c++) outWords[at + c] = suffix[s + c]! & prefix[e + c]!;
  }
  const outBytes = new Uint8Array(outWords.buffer, outWords.byteOffset, rowWords * 4);
  for (let y = top; y <= bottom; y++) out.set(outBytes.subarray(y * stride, y * stride + width), y * width);
  return out;
}

let morphologyWords = new Uint32Array(0);

/**
 * The working words of squareMorphology, kept between calls (it is
 * synchronous, and each thread has its own module state): fresh arrays
 * would fault in every page, which costs more than the passes themselves.
 * Every word is written before it is read.
 */
function morphologyScratch(length: number): Uint32Array {
  if (morphologyWords.length < length) morphologyWords = new Uint32Array(length);
  return morphologyWords.subarray(0, length);
}

let closingBytes = new Uint8Array(0);

/** Binary dilation of a 0/255 mask by a (2r+1)² square (a copy for r ≤ 0). */
export function dilateMask(mask: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  if (mask.length !== width * height) throw new RangeError(`mask has ${mask.length} values, expected ${width * height}`);
  return radius > 0 ? squareMorphology(mask, width, height, radius, true) : new Uint8Array(mask);
}

/** Binary erosion of a 0/255 mask by a (2r+1)² square; outside the image counts as unset (a copy for r ≤ 0). */
export function erodeMask(mask: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  if (mask.length !== width * height) throw new RangeError(`mask has ${mask.length} values, expected ${width * height}`);
  return radius > 0 ? squareMorphology(mask, width, height, radius, false) : new Uint8Array(mask);
}

/** Binary closing (dilation, then erosion with the outside unset) of a 0/255 mask by a (2r+1)² square. */
export function closeMask(mask: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  if (radius <= 0) return erodeMask(mask, width, height, radius);
  if (mask.length !== width * height) throw new RangeError(`mask has ${mask.length} values, expected ${width * height}`);
  // The dilated mask only feeds the erosion: it is kept between calls, like the working words.
  if (closingBytes.length < mask.length) closingBytes = new Uint8Array(mask.length);
  const dilated = squareMorphology(mask, width, height, radius, true, closingBytes.subarray(0, mask.length));
  return squareMorphology(dilated, width, height, radius, false);
}

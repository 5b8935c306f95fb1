/**
 * Brings the questioned image into the reference frame. The homography maps
 * reference pixel coordinates to questioned ones (the alignment output), so
 * every reference pixel looks up its questioned value directly (inverse
 * mapping, bilinear) and nothing is lost to forward-mapping holes. Pixels
 * whose source lies outside the questioned image are marked invalid and are
 * never compared.
 */
import type { AnalysisImage } from '../derivatives/decode-for-analysis';
import { applyHomography, homographyDenominator, isHomography, normalizeHomography, type Homography } from './geometry';

/** 8-bit interleaved pixels, grey or RGB (what `decodeForAnalysis` returns). */
export type PixelImage = Pick<AnalysisImage, 'data' | 'width' | 'height' | 'channels'>;

export interface WarpResult {
  /** The questioned image resampled on the reference grid (reference size, questioned channels). */
  image: PixelImage;
  /** 255 where the source point lies inside the questioned image (bilinear footprint included), else 0. */
  valid: Uint8Array;
  /** Share of reference pixels that are valid. */
  validFraction: number;
}

export function checkPixelImage(name: string, img: PixelImage): void {
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 || img.height < 1) {
    throw new TypeError(`${name}: width and height must be positive integers`);
  }
  if (img.channels !== 1 && img.channels !== 3) throw new TypeError(`${name}: channels must be 1 or 3`);
  if (!(img.data instanceof Uint8Array) || img.data.length !== img.width * img.height * img.channels) {
    throw new TypeError(`${name}: data must be a Uint8Array of width × height × channels bytes`);
  }
}

/**
 * Validity of each reference pixel under H. A pixel is valid when its mapped
 * point lies in front of the camera (positive homogeneous denominator, the
 * same side as the reference centre) and inside [0, w−1] × [0, h−1] of the
 * questioned image, so bilinear interpolation never reads past its edge.
 * `grid` evaluates it at the pixel centres of a resampled copy of the reference.
 */
export function validityMask(
  h: Homography,
  refWidth: number,
  refHeight: number,
  qWidth: number,
  qHeight: number,
  grid: { width: number; height: number } = { width: refWidth, height: refHeight },
): Uint8Array {
  return validityWithCount(h, refWidth, refHeight, qWidth, qHeight, grid).mask;
}

/** Margin (questioned pixels, or denominator units) within which a row is tested pixel by pixel. */
const ROW_MARGIN = 1e-6;

/**
 * validityMask and its count of valid pixels. Along a row the denominator is
 * linear and each mapped coordinate monotonic (a ratio of linear functions
 * whose denominator keeps its sign), so the valid pixels of a row form one
 * run: its ends are found by testing from either side, and the run between
 * is filled without testing each pixel when the pixels next to its ends lie
 * inside every bound by a margin (the values in between lie between theirs).
 * A row where a coordinate stays at a bound (the first and last rows of an
 * identity) is tested pixel by pixel, so the mask is exactly the per-pixel test's.
 */
function validityWithCount(
  h: Homography,
  refWidth: number,
  refHeight: number,
  qWidth: number,
  qHeight: number,
  grid: { width: number; height: number },
  into?: Uint8Array,
): { mask: Uint8Array; count: number } {
  if (into && into.length !== grid.width * grid.height) throw new RangeError(`validity mask has ${into.length} bytes, expected ${grid.width * grid.height}`);
  const out = into ? into.fill(0) : new Uint8Array(grid.width * grid.height);
  const side = Math.sign(homographyDenominator(h, (refWidth - 1) / 2, (refHeight - 1) / 2)) || 1;
  const [a, b, c, d, e, f, g, i, j] = h as [number, number, number, number, number, number, number, number, number];
  const xMax = qWidth - 1;
  const yMax = qHeight - 1;
  // Grid pixel centres in reference coordinates (the grid may be a reduced copy of the reference).
  const kx = refWidth / grid.width;
  const ky = refHeight / grid.height;
  const gw = grid.width;
  let count = 0;
  for (let gy = 0; gy < grid.height; gy++) {
    const y = (gy + 0.5) * ky - 0.5;
    const row = gy * gw;
    // Inside every bound by `margin` (and the denominator above `wMin`).
    const inside = (gx: number, wMin: number, margin: number): boolean => {
      const x = (gx + 0.5) * kx - 0.5;
      const w = g * x + i * y + j;
      if (w * side <= wMin) return false;
      const u = (a * x + b * y + c) / w;
      const v = (d * x + e * y + f) / w;
      return u >= margin && v >= margin && u <= xMax - margin && v <= yMax - margin;
    };
    const valid = (gx: number): boolean => inside(gx, 1e-12, 0);
    const wellInside = (gx: number): boolean => inside(gx, ROW_MARGIN, ROW_MARGIN);
    let x0 = 0;
    while (x0 < gw && !valid(x0)) x0++;
    if (x0 === gw) continue;
    let x1 = gw - 1;
    while (!valid(x1)) x1--;
    if (x1 - x0 < 2 || (wellInside(x0 + 1) && wellInside(x1 - 1))) {
      out.fill(255, row + x0, row + x1 + 1);
      count += x1 - x0 + 1;
      continue;
    }
    for (let gx = x0; gx <= x1; gx++) {
      if (valid(gx)) {
        out[row + gx] = 255;
        count++;
      }
    }
  }
  return { mask: out, count };
}

/** Sub-pixel steps per pixel of OpenCV's fixed-point bilinear remap (INTER_BITS = 5). */
const TAB = 32;

/**
 * cv.warpPerspective(src, INTER_LINEAR | WARP_INVERSE_MAP, BORDER_REPLICATE)
 * in JavaScript, to the byte: each destination pixel's source point is
 * computed in doubles in the same order as OpenCV (which restarts the sum at
 * every 64-column block of 16-row bands), rounded to 1/32 pixel half to
 * even, and interpolated with the same 15-bit integer weights (exact for
 * 32 steps) and rounding; coordinates outside the image are clamped to its
 * edge. It spares the copies of the image into the WebAssembly heap and
 * back, and runs faster than the WebAssembly build's scalar loops.
 */
export function warpBilinear(src: PixelImage, h: readonly number[], width: number, height: number, into?: Uint8Array): Uint8Array {
  const { width: sw, height: sh, channels: cn, data: S } = src;
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = h as [number, number, number, number, number, number, number, number, number];
  if (into && into.length !== width * height * cn) throw new RangeError(`warp output has ${into.length} bytes, expected ${width * height * cn}`);
  // Every byte is written: a reused buffer needs no clearing.
  const out = into ?? new Uint8Array(width * height * cn);
  const bandRows = Math.min(16, height);
  const blockCols = Math.min(Math.floor(1024 / bandRows), width);
  const lastX = sw - 1;
  const lastY = sh - 1;
  const rowStride = sw * cn;
  for (let y = 0; y < height; y++) {
    let o = y * width * cn;
    for (let bx = 0; bx < width; bx += blockCols) {
      const X0 = m0 * bx + m1 * y + m2;
      const Y0 = m3 * bx + m4 * y + m5;
      const W0 = m6 * bx + m7 * y + m8;
      const bw = Math.min(blockCols, width - bx);
      for (let x1 = 0; x1 < bw; x1++, o += cn) {
        let w = W0 + m6 * x1;
        w = w ? TAB / w : 0;
        // int32 from here on, which keeps the loads below on the fast path.
        const X = cvRound((X0 + m0 * x1) * w);
        const Y = cvRound((Y0 + m3 * x1) * w);
        const ax = X & (TAB - 1);
        const ay = Y & (TAB - 1);
        let ix = X >> 5;
        let iy = Y >> 5;
        let dx = cn;
        let dy = rowStride;
        if (ix < 0 || ix >= lastX || iy < 0 || iy >= lastY) {
          // Integer part saturated to 16 bits as OpenCV stores it, then clamped to the image (replicated border).
          ix = Math.max(-32768, Math.min(32767, ix));
          iy = Math.max(-32768, Math.min(32767, iy));
          const x0 = ix < 0 ? 0 : ix > lastX ? lastX : ix;
          const x1c = ix + 1 < 0 ? 0 : ix + 1 > lastX ? lastX : ix + 1;
          const y0 = iy < 0 ? 0 : iy > lastY ? lastY : iy;
          const y1c = iy + 1 < 0 ? 0 : iy + 1 > lastY ? lastY : iy + 1;
          dx = (x1c - x0) * cn;
          dy = (y1c - y0) * rowStride;
          ix = x0;
          iy = y0;
        }
        const w11 = ay * ax * TAB;
        const w10 = ay * TAB * TAB - w11;
        const w01 = ax * TAB * TAB - w11;
        const w00 = TAB * TAB * TAB - w01 - w10 - w11;
        const p = (iy * rowStride + ix * cn) | 0;
        if (cn === 3) {
          out[o] = (S[p]! * w00 + S[p + dx]! * w01 + S[p + dy]! * w10 + S[p + dy + dx]! * w11 + 16384) >> 15;
          out[o + 1] = (S[p + 1]! * w00 + S[p + dx + 1]! * w01 + S[p + dy + 1]! * w10 + S[p + dy + dx + 1]! * w11 + 16384) >> 15;
          out[o + 2] = (S[p + 2]! * w00 + S[p + dx + 2]! * w01 + S[p + dy + 2]! * w10 + S[p + dy + dx + 2]! * w11 + 16384) >> 15;
        } else {
          for (let c = 0; c < cn; c++) out[o + c] = (S[p + c]! * w00 + S[p + dx + c]! * w01 + S[p + dy + c]! * w10 + S[p + dy + dx + c]! * w11 + 16384) >> 15;
        }
      }
    }
  }
  return out;
}

/**
 * OpenCV's saturate_cast<int>(v): clamped to int32 (NaN to its minimum), then
 * rounded half to even as cvRound (lrint) does. One small function both warp
 * loops share; V8 inlines it.
 */
function cvRound(v: number): number {
  if (!(v > -2147483648)) v = -2147483648;
  else if (v > 2147483647) v = 2147483647;
  const r = Math.round(v);
  return (r - v === 0.5 && (r & 1) !== 0 ? r - 1 : r) | 0;
}

/**
 * Where cv.warpPerspective(INTER_NEAREST | WARP_INVERSE_MAP, BORDER_CONSTANT)
 * of a source of sw × sh finds a source pixel, to the pixel: 255 there, 0
 * elsewhere (what warping an all-255 image would give, without making one).
 * Same coordinate arithmetic as OpenCV's (see warpBilinear), rounded half to
 * even to whole pixels.
 */
export function nearestFootprint(h: readonly number[], width: number, height: number, sw: number, sh: number): Uint8Array {
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = h as [number, number, number, number, number, number, number, number, number];
  const out = new Uint8Array(width * height);
  const bandRows = Math.min(16, height);
  const blockCols = Math.min(Math.floor(1024 / bandRows), width);
  for (let y = 0; y < height; y++) {
    let o = y * width;
    for (let bx = 0; bx < width; bx += blockCols) {
      const X0 = m0 * bx + m1 * y + m2;
      const Y0 = m3 * bx + m4 * y + m5;
      const W0 = m6 * bx + m7 * y + m8;
      const bw = Math.min(blockCols, width - bx);
      for (let x1 = 0; x1 < bw; x1++, o++) {
        let w = W0 + m6 * x1;
        w = w ? 1 / w : 0;
        const X = cvRound((X0 + m0 * x1) * w);
        const Y = cvRound((Y0 + m3 * x1) * w);
        // Saturation to 16 bits cannot bring a coordinate inside the image.
        if (X >= 0 && X < sw && Y >= 0 && Y < sh) out[o] = 255;
      }
    }
  }
  return out;
}

/**
 * Resamples `questioned` onto the reference grid of refWidth × refHeight
 * through H (reference → questioned). `into` may lend the buffers of the
 * image (refWidth × refHeight × channels bytes) and of the mask.
 */
export async function warpToReference(
  questioned: PixelImage,
  homography: Homography,
  refWidth: number,
  refHeight: number,
  into: { image?: Uint8Array; valid?: Uint8Array } = {},
): Promise<WarpResult> {
  checkPixelImage('questioned', questioned);
  if (!isHomography(homography)) throw new TypeError('homography must be 9 finite numbers (row-major 3×3)');
  const h = normalizeHomography(homography);
  const [cx, cy] = applyHomography(h, (refWidth - 1) / 2, (refHeight - 1) / 2);
  if (!Number.isFinite(cx) || !Number.isFinite(cy)) throw new RangeError('homography sends the reference centre to infinity');
  // Replicated borders keep the bilinear weights of edge pixels from mixing in black; those pixels are masked anyway.
  const data = warpBilinear(questioned, h, refWidth, refHeight, into.image);
  const { mask: valid, count } = validityWithCount(h, refWidth, refHeight, questioned.width, questioned.height, { width: refWidth, height: refHeight }, into.valid);
  return {
    image: { data, width: refWidth, height: refHeight, channels: questioned.channels },
    valid,
    validFraction: count / valid.length,
  };
}

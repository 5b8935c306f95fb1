/**
 * Brings the questioned image into the reference frame. The homography maps
 * reference pixel coordinates to questioned ones (the alignment output), so
 * every reference pixel looks up its questioned value directly (inverse
 * mapping, bilinear) and nothing is lost to forward-mapping holes. Pixels
 * whose source lies outside the questioned image are marked invalid and are
 * never compared.
 */
import { loadOpenCv, withMats } from '../cv/opencv';
import type { AnalysisImage } from '../derivatives/decode-for-analysis';
import { applyHomography, homographyDenominator, isHomography, normalizeHomography, type Homography } from './geometry';
import { u8ToMat } from './planes';

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
): { mask: Uint8Array; count: number } {
  const out = new Uint8Array(grid.width * grid.height);
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

/** Resamples `questioned` onto the reference grid of refWidth × refHeight through H (reference → questioned). */
export async function warpToReference(questioned: PixelImage, homography: Homography, refWidth: number, refHeight: number): Promise<WarpResult> {
  checkPixelImage('questioned', questioned);
  if (!isHomography(homography)) throw new TypeError('homography must be 9 finite numbers (row-major 3×3)');
  const h = normalizeHomography(homography);
  const [cx, cy] = applyHomography(h, (refWidth - 1) / 2, (refHeight - 1) / 2);
  if (!Number.isFinite(cx) || !Number.isFinite(cy)) throw new RangeError('homography sends the reference centre to infinity');
  const cv = await loadOpenCv();
  const data = await withMats((track) => {
    const src = track(u8ToMat(cv, questioned.data, questioned.width, questioned.height, questioned.channels));
    const dst = track(new cv.Mat());
    const m = track(cv.matFromArray(3, 3, cv.CV_64F, h));
    // Replicated borders keep the bilinear weights of edge pixels from mixing in black; those pixels are masked anyway.
    cv.warpPerspective(src, dst, m, new cv.Size(refWidth, refHeight), cv.INTER_LINEAR | cv.WARP_INVERSE_MAP, cv.BORDER_REPLICATE, new cv.Scalar());
    return new Uint8Array(dst.data);
  });
  const { mask: valid, count } = validityWithCount(h, refWidth, refHeight, questioned.width, questioned.height, { width: refWidth, height: refHeight });
  return {
    image: { data, width: refWidth, height: refHeight, channels: questioned.channels },
    valid,
    validFraction: count / valid.length,
  };
}

/**
 * Simulated hand-held photos of a document, for alignment tests and
 * benchmarks: a seeded perspective view (tilt, in-plane rotation, scale)
 * on a textured table, with uneven light, a cast shadow, optical blur,
 * sensor noise and JPEG compression — and the exact homography from
 * document pixels to photo pixels.
 *
 * Pixel convention (OpenCV's, and that of the Oxford H1toN files): a pixel's
 * centre has integer coordinates; the document covers [-0.5, W-0.5] × [-0.5, H-0.5].
 */
import sharp from 'sharp';
import { applyHomography, composeHomographies, invertHomography, normalizeHomography } from '../ops/geometry';
import { homographyFromPoints, type Point } from './geometry';
import { createRng, hashSeed, normalTable, NORMAL_TABLE_SIZE, pick, uniform, type Rng } from './prng';

// Module-local Math: under jest's sandbox a global lookup in a per-pixel loop costs ~1 µs.
const Math = globalThis.Math;

export interface SimulatePhotoOptions {
  seed: number;
  /** Largest out-of-plane tilt, degrees (default 20). */
  maxTiltDeg?: number;
  /** Largest in-plane rotation either way, degrees (default 15). */
  maxRotationDeg?: number;
  /** Range of the document's scale in the photo (default [0.6, 1.1]). */
  scale?: [number, number];
  /** JPEG quality; drawn from 80–92 when absent. */
  quality?: number;
  /** Rounded corners of a card, px in the input: the scanner background there is replaced by the table. */
  cornerRadiusPx?: number;
  /** Surface under the document; drawn at random when absent ('dark-cloth' suits UV photos, taken in the dark). */
  background?: BackgroundKind;
}

export interface SimulatedPhoto {
  /** JPEG; grey when the input was single-channel (an IR capture), colour otherwise. */
  image: Buffer;
  /** Row-major 3×3, maps document (reference) pixel coordinates to photo pixel coordinates; h[8] = 1. */
  homography: number[];
  width: number;
  height: number;
  /** The drawn parameters, for reports. */
  params: { tiltXDeg: number; tiltYDeg: number; rotationDeg: number; scale: number; cameraDistance: number; blurSigma: number; noiseSigma: number; quality: number; background: BackgroundKind };
}

export type BackgroundKind = 'light-wood' | 'dark-wood' | 'grey-desk' | 'dark-cloth';

const deg = Math.PI / 180;

/** Projects the document plane through a pinhole camera looking at its centre. */
function perspectiveCorners(width: number, height: number, tiltX: number, tiltY: number, roll: number, scale: number, distance: number): { src: Point[]; dst: Point[] } {
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const [sa, ca, sb, cb, sr, cr] = [Math.sin(tiltX), Math.cos(tiltX), Math.sin(tiltY), Math.cos(tiltY), Math.sin(roll), Math.cos(roll)];
  const project = ([x, y]: Point): Point => {
    const X = x - cx;
    const Y = y - cy;
    // Ry then Rx then Rz (roll about the optical axis).
    const x1 = X * cb;
    const z1 = -X * sb;
    const y2 = Y * ca - z1 * sa;
    const z2 = Y * sa + z1 * ca;
    const x3 = x1 * cr - y2 * sr;
    const y3 = x1 * sr + y2 * cr;
    const z = distance + z2;
    return [(scale * distance * x3) / z, (scale * distance * y3) / z];
  };
  const src: Point[] = [
    [0, 0],
    [width - 1, 0],
    [width - 1, height - 1],
    [0, height - 1],
  ];
  return { src, dst: src.map(project) };
}

/** Smooth noise in [−1, 1] on a grid of `cellX` × `cellY` pixels (anisotropic for wood grain), several octaves. */
function fractalNoise(width: number, height: number, cellX: number, cellY: number, octaves: number, rng: Rng): Float32Array {
  const out = new Float32Array(width * height);
  let amp = 1;
  let total = 0;
  for (let o = 0; o < octaves; o++) {
    const c = Math.max(2, cellX / 2 ** o);
    const cy = Math.max(2, cellY / 2 ** o);
    const gw = Math.ceil(width / c) + 2;
    const gh = Math.ceil(height / cy) + 2;
    const grid = new Float32Array(gw * gh);
    for (let i = 0; i < grid.length; i++) grid[i] = rng() * 2 - 1;
    for (let y = 0; y < height; y++) {
      const gy = y / cy;
      const y0 = Math.floor(gy);
      let fy = gy - y0;
      fy = fy * fy * (3 - 2 * fy);
      for (let x = 0; x < width; x++) {
        const gx = x / c;
        const x0 = Math.floor(gx);
        let fx = gx - x0;
        fx = fx * fx * (3 - 2 * fx);
        const i = y0 * gw + x0;
        const top = grid[i]! + (grid[i + 1]! - grid[i]!) * fx;
        const bottom = grid[i + gw]! + (grid[i + gw + 1]! - grid[i + gw]!) * fx;
        out[y * width + x]! += amp * (top + (bottom - top) * fy);
      }
    }
    total += amp;
    amp *= 0.5;
  }
  for (let i = 0; i < out.length; i++) out[i]! /= total;
  return out;
}

/** A table top, generated at a quarter of the size and enlarged (the grain is coarse anyway). */
async function tableTexture(width: number, height: number, kind: BackgroundKind, rng: Rng): Promise<Buffer> {
  const w = Math.max(8, Math.ceil(width / 4));
  const h = Math.max(8, Math.ceil(height / 4));
  const px = Buffer.alloc(w * h * 3);
  // Boards run horizontally in the photo; the document's own rotation provides the variety.
  const warp = fractalNoise(w, h, 90, 12, 4, rng);
  const fine = fractalNoise(w, h, 40, 1.5, 2, rng);
  const base: Record<BackgroundKind, [number, number, number]> = { 'light-wood': [184, 140, 96], 'dark-wood': [104, 66, 40], 'grey-desk': [150, 152, 150], 'dark-cloth': [22, 22, 28] };
  const [r0, g0, b0] = base[kind];
  const ringFreq = uniform(rng, 0.25, 0.45);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      let shade: number;
      if (kind === 'grey-desk' || kind === 'dark-cloth') {
        shade = 1 + 0.05 * warp[i]! + 0.06 * fine[i]!;
      } else {
        // Grain: stretched rings along the board, distorted by low-frequency noise.
        const rings = Math.sin((y + 14 * warp[i]!) * ringFreq);
        shade = 1 + 0.07 * rings + 0.09 * fine[i]! + 0.1 * warp[i]!;
      }
      px[i * 3] = Math.max(0, Math.min(255, r0 * shade));
      px[i * 3 + 1] = Math.max(0, Math.min(255, g0 * shade));
      px[i * 3 + 2] = Math.max(0, Math.min(255, b0 * shade));
    }
  }
  return sharp(px, { raw: { width: w, height: h, channels: 3 } }).resize(width, height, { kernel: 'cubic', fit: 'fill' }).raw().toBuffer();
}

/** Shadow cast by the document on the table: the quad, offset and blurred, as 0..255 coverage. */
async function shadowMask(width: number, height: number, quad: Point[], offset: Point, sigma: number): Promise<Buffer> {
  const pts = quad.map(([x, y]) => `${(x + offset[0]).toFixed(1)},${(y + offset[1]).toFixed(1)}`).join(' ');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="${width}" height="${height}" fill="#000"/><polygon points="${pts}" fill="#fff"/></svg>`;
  return sharp(Buffer.from(svg)).blur(sigma).extractChannel(0).raw().toBuffer();
}

/** Raw 8-bit pixels with exactly `channels` channels (sharp would turn grey into RGB on output). */
async function rawPixels(pipeline: sharp.Sharp, channels: 1 | 3): Promise<Buffer> {
  const { data, info } = await pipeline.toColourspace(channels === 1 ? 'b-w' : 'srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== channels) throw new Error(`expected ${channels} channels, got ${info.channels}`);
  return data;
}

export interface PhotoPlan {
  /** Document pixel coordinates → photo pixel coordinates, h[8] = 1. */
  homography: number[];
  width: number;
  height: number;
  params: SimulatedPhoto['params'];
  /** The document's outline in the photo. */
  outline: Point[];
  lighting: { direction: number; gradient: number; vignette: number; exposure: number; cast: [number, number, number] };
  shadowOffset: Point;
}

/**
 * Draws the geometry and conditions of a photo of a `docWidth` × `docHeight`
 * document without rendering it: what simulatePhoto will produce for the same
 * seed (benchmarks can list ground truth without paying for pixels).
 */
export function planPhoto(docWidth: number, docHeight: number, options: SimulatePhotoOptions): PhotoPlan {
  const W = docWidth;
  const H = docHeight;
  const rng = createRng(hashSeed('simulate-photo', options.seed));
  const maxTilt = options.maxTiltDeg ?? 20;
  const maxRot = options.maxRotationDeg ?? 15;
  const [sMin, sMax] = options.scale ?? [0.6, 1.1];
  const tilt = maxTilt * Math.sqrt(rng());
  const dir = uniform(rng, 0, 2 * Math.PI);
  const tiltX = tilt * Math.cos(dir) * deg;
  const tiltY = tilt * Math.sin(dir) * deg;
  const roll = uniform(rng, -maxRot, maxRot) * deg;
  const scale = uniform(rng, sMin, sMax);
  const drawnBackground = pick(rng, ['light-wood', 'dark-wood', 'grey-desk'] as const);
  const background = options.background ?? drawnBackground;
  const blurSigma = uniform(rng, 0.45, 1.0);
  const noiseSigma = uniform(rng, 1.5, 3.5);
  const drawnQuality = Math.round(uniform(rng, 80, 92));
  const quality = options.quality ?? drawnQuality;
  const distance = uniform(rng, 1.4, 2.4) * Math.max(W, H);

  const { src: srcCorners, dst } = perspectiveCorners(W, H, tiltX, tiltY, roll, scale, distance);
  const centred = homographyFromPoints(srcCorners, dst);
  // Frame the photo round the document's outline with uneven margins.
  const outline = ([[-0.5, -0.5], [W - 0.5, -0.5], [W - 0.5, H - 0.5], [-0.5, H - 0.5]] as Point[]).map(([x, y]) => applyHomography(centred, x, y));
  const xs = outline.map((p) => p[0]);
  const ys = outline.map((p) => p[1]);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const margin = () => uniform(rng, 0.05, 0.16);
  const left = (maxX - minX) * margin();
  const right = (maxX - minX) * margin();
  const top = (maxY - minY) * margin();
  const bottom = (maxY - minY) * margin();
  const width = Math.ceil(maxX - minX + left + right);
  const height = Math.ceil(maxY - minY + top + bottom);
  const shift = [1, 0, left - minX, 0, 1, top - minY, 0, 0, 1];
  const lighting = {
    direction: uniform(rng, 0, 2 * Math.PI),
    gradient: uniform(rng, 0.08, 0.25),
    vignette: uniform(rng, 0.1, 0.3),
    exposure: uniform(rng, 0.9, 1.08),
    cast: [uniform(rng, 0.97, 1.04), 1, uniform(rng, 0.9, 1.02)] as [number, number, number],
  };
  const shadowOffset: Point = [uniform(rng, -10, 10) * scale, uniform(rng, 6, 16) * scale];
  return {
    homography: normalizeHomography(composeHomographies(shift, centred)),
    width,
    height,
    params: { tiltXDeg: tiltX / deg, tiltYDeg: tiltY / deg, rotationDeg: roll / deg, scale, cameraDistance: distance, blurSigma, noiseSigma, quality, background },
    outline: outline.map(([x, y]): Point => [x + left - minX, y + top - minY]),
    lighting,
    shadowOffset,
  };
}

export async function simulatePhoto(image: Buffer, options: SimulatePhotoOptions): Promise<SimulatedPhoto> {
  // sharp hands out RGB unless told otherwise: keep a grey (IR) capture grey.
  const meta = await sharp(image).metadata();
  const channels: 1 | 3 = (meta.channels ?? 3) <= 2 ? 1 : 3;
  const W = meta.autoOrient?.width ?? meta.width;
  const H = meta.autoOrient?.height ?? meta.height;
  const plan = planPhoto(W, H, options);
  const { width, height, homography, params } = plan;
  const { scale, background, blurSigma, noiseSigma, quality } = params;
  let src = await rawPixels(sharp(image).autoOrient().removeAlpha(), channels);
  if (src.length !== W * H * channels) throw new Error('unexpected decoded size');
  // Anti-aliasing before a reduction: without it fine guilloche would alias into moiré.
  const aa = 0.6 * Math.sqrt(Math.max(0, 1 / (scale * scale) - 1));
  if (aa >= 0.3) src = await rawPixels(sharp(src, { raw: { width: W, height: H, channels } }).blur(aa), channels);
  const inverse = invertHomography(homography);
  const rng = createRng(hashSeed('photo-texture', options.seed));
  const table = await tableTexture(width, height, background, rng);
  const shadow = await shadowMask(width, height, plan.outline, plan.shadowOffset, 10 * scale + 4);

  // The table under its shadow, in the output's channels.
  const ground = new Uint8Array(width * height * channels);
  for (let p = 0; p < width * height; p++) {
    const shade = 1 - (0.42 * shadow[p]!) / 255;
    const t = p * 3;
    if (channels === 1) ground[p] = Math.round((0.3 * table[t]! + 0.59 * table[t + 1]! + 0.11 * table[t + 2]!) * shade);
    else {
      ground[t] = Math.round(table[t]! * shade);
      ground[t + 1] = Math.round(table[t + 1]! * shade);
      ground[t + 2] = Math.round(table[t + 2]! * shade);
    }
  }

  // Warp: inverse mapping with bilinear sampling; the document edge is blended by its coverage.
  const warped = Buffer.from(ground);
  const [a, b, c, d, e, f, g, h, i] = inverse as [number, number, number, number, number, number, number, number, number];
  const edgeScale = scale;
  const radius = Math.max(0, options.cornerRadiusPx ?? 0);
  // Coverage of a point by the (rounded) document, in output pixels from the edge.
  const cornerCoverage = (x: number, y: number): number => {
    const dx = x < radius - 0.5 ? radius - 0.5 - x : x > W - 0.5 - radius ? x - (W - 0.5 - radius) : 0;
    const dy = y < radius - 0.5 ? radius - 0.5 - y : y > H - 0.5 - radius ? y - (H - 0.5 - radius) : 0;
    return dx > 0 && dy > 0 ? (radius - Math.hypot(dx, dy)) * edgeScale + 0.5 : Infinity;
  };
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      const wz = g * u + h * v + i;
      const x = (a * u + b * v + c) / wz;
      const y = (d * u + e * v + f) / wz;
      const edge = Math.min(x + 0.5, W - 0.5 - x, y + 0.5, H - 0.5 - y) * edgeScale + 0.5;
      if (edge <= 0) continue;
      let alpha = edge >= 1 ? 1 : edge;
      if (radius > 0) alpha = Math.min(alpha, Math.max(0, cornerCoverage(x, y)));
      if (alpha <= 0) continue;
      const xc = x < 0 ? 0 : x > W - 1 ? W - 1 : x;
      const yc = y < 0 ? 0 : y > H - 1 ? H - 1 : y;
      const x0 = Math.min(W - 2, Math.floor(xc));
      const y0 = Math.min(H - 2, Math.floor(yc));
      const fx = xc - x0;
      const fy = yc - y0;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const p00 = (y0 * W + x0) * channels;
      const p10 = p00 + W * channels;
      const o = (v * width + u) * channels;
      for (let k = 0; k < channels; k++) {
        const docValue = src[p00 + k]! * w00 + src[p00 + channels + k]! * w01 + src[p10 + k]! * w10 + src[p10 + channels + k]! * w11;
        warped[o + k] = Math.round(alpha * docValue + (1 - alpha) * ground[o + k]!);
      }
    }
  }

  // Optics, then the sensor: uneven light (gradient and vignette), a colour cast, noise.
  const blurred = await rawPixels(sharp(warped, { raw: { width, height, channels } }).blur(blurSigma), channels);
  const { direction: lightDir, gradient, vignette, exposure } = plan.lighting;
  const cast = channels === 3 ? plan.lighting.cast : [1];
  const out = new Uint8ClampedArray(width * height * channels);
  const [lx, ly] = [Math.cos(lightDir), Math.sin(lightDir)];
  const half = Math.hypot(width, height) / 2;
  const noiseRng = createRng(hashSeed('photo-noise', options.seed));
  const normals = normalTable();
  const mask = NORMAL_TABLE_SIZE - 1;
  for (let v = 0; v < height; v++) {
    let idx = Math.floor(noiseRng() * NORMAL_TABLE_SIZE);
    const stride = (Math.floor(noiseRng() * 4096) << 1) | 1;
    for (let u = 0; u < width; u++) {
      const dx = (u - width / 2) / half;
      const dy = (v - height / 2) / half;
      const gain = exposure * (1 + gradient * (dx * lx + dy * ly)) * (1 - vignette * (dx * dx + dy * dy));
      const o = (v * width + u) * channels;
      for (let k = 0; k < channels; k++) {
        idx = (idx + stride) & mask;
        out[o + k] = blurred[o + k]! * gain * cast[k]! + noiseSigma * normals[idx]!;
      }
    }
  }
  const encoded = sharp(Buffer.from(out.buffer, out.byteOffset, out.byteLength), { raw: { width, height, channels } });
  const jpeg = await (channels === 1 ? encoded.toColourspace('b-w') : encoded).jpeg({ quality, mozjpeg: false }).toBuffer();
  return { image: jpeg, homography, width, height, params };
}

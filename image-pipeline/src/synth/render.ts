/**
 * Renders a scene under one light source: the SVG is rasterised by sharp
 * (librsvg, fonts through fontconfig), then the capture device is imitated —
 * paper mottling, lamp fall-off under UV, sensor noise and a slight optical
 * blur — with seeded noise so that the same inputs give the same bytes.
 */
import sharp from 'sharp';
import { composeScene, type DocumentVariant } from './compose';
import type { DocumentDesign } from './designs';
import type { Holder } from './holders';
import type { SynthLight } from './light';
import { createRng, gaussian, hashSeed, normalTable, NORMAL_TABLE_SIZE } from './prng';
import type { AlteredRegion, Scene, SynthFeatureZone } from './scene';
import { n } from './guilloche';

export type SynthImageFormat = 'png' | 'jpeg';

export interface RenderOptions {
  /** Fraud variant of the document (see DocumentVariant). */
  variant?: DocumentVariant;
  /** PNG (lossless, the default) or JPEG at `quality`. */
  format?: SynthImageFormat;
  quality?: number;
  /** Seed of the capture noise: two captures of one document differ only by it. */
  noiseSeed?: number;
}

export interface RenderedDocument {
  /** Encoded image: RGB for white and UV, single-channel grey for IR. */
  image: Buffer;
  width: number;
  height: number;
  channels: 1 | 3;
  format: SynthImageFormat;
  zones: SynthFeatureZone[];
  altered: AlteredRegion[];
  mrz: string[];
}

/** Colour of the scanner lid round the rounded corners of a card. */
const LID: Record<SynthLight, string> = { white: '#2b2b2e', 'uv-365': '#06060c', 'ir-870': '#1e1e1e' };

function cornerMask(scene: Scene, light: SynthLight): string {
  const { width: W, height: H, cornerRadius: r } = scene;
  if (r <= 0) return '';
  const inner = `M${n(r)} 0H${n(W - r)}A${n(r)} ${n(r)} 0 0 1 ${W} ${n(r)}V${n(H - r)}A${n(r)} ${n(r)} 0 0 1 ${n(W - r)} ${H}H${n(r)}A${n(r)} ${n(r)} 0 0 1 0 ${n(H - r)}V${n(r)}A${n(r)} ${n(r)} 0 0 1 ${n(r)} 0Z`;
  return `<path fill-rule="evenodd" fill="${LID[light]}" d="M-1 -1H${W + 1}V${H + 1}H-1Z${inner}"/>`;
}

function svgDocument(scene: Scene, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${scene.width}" height="${scene.height}" viewBox="0 0 ${scene.width} ${scene.height}">${body}</svg>`;
}

function backgroundBody(scene: Scene, light: SynthLight): string {
  return `<rect width="${scene.width}" height="${scene.height}" fill="${scene.paper[light]}"/>${scene.background.map((layer) => layer(light)).join('')}`;
}

function overlayBody(scene: Scene, light: SynthLight): string {
  return scene.overlay.map((layer) => layer(light)).join('') + cornerMask(scene, light);
}

/** The whole scene under one light as a single SVG document (for inspection; rendering goes through the cache). */
export function sceneSvg(scene: Scene, light: SynthLight): string {
  return svgDocument(scene, backgroundBody(scene, light) + overlayBody(scene, light));
}

/**
 * Rasterised backgrounds (raw RGB), most recently used last. A demo library
 * reuses a handful of designs for many holders and frauds, and the
 * background (guilloche, rainbow print) is most of the rasterising work.
 */
const backgroundCache = new Map<string, Promise<Buffer>>();
const BACKGROUND_CACHE_ENTRIES = 12;

function rasteriseBackground(scene: Scene, light: SynthLight): Promise<Buffer> {
  const key = `${scene.backgroundKey}|${light}|${scene.width}x${scene.height}`;
  const cached = backgroundCache.get(key);
  if (cached) {
    backgroundCache.delete(key);
    backgroundCache.set(key, cached);
    return cached;
  }
  const pending = sharp(Buffer.from(svgDocument(scene, backgroundBody(scene, light))), { limitInputPixels: false }).removeAlpha().raw().toBuffer();
  backgroundCache.set(key, pending);
  pending.catch(() => backgroundCache.delete(key));
  while (backgroundCache.size > BACKGROUND_CACHE_ENTRIES) backgroundCache.delete(backgroundCache.keys().next().value!);
  return pending;
}

/** Grey levels per standard deviation in the 8-bit paper field. */
const MOTTLE_UNIT = 40;
const paperCache = new Map<string, Promise<Buffer>>();

/**
 * Smooth random paper texture, one byte per pixel (128 = mean, MOTTLE_UNIT per
 * standard deviation): a coarse grid of normal deviates enlarged by sharp. The
 * paper is the document's, so all light sources of one capture share it.
 */
function paperTexture(width: number, height: number, seed: number): Promise<Buffer> {
  const key = `${width}x${height}|${seed}`;
  let cached = paperCache.get(key);
  if (!cached) {
    const cell = 40;
    const rng = createRng(seed);
    const gw = Math.ceil(width / cell) + 1;
    const gh = Math.ceil(height / cell) + 1;
    const grid = Buffer.alloc(gw * gh);
    for (let i = 0; i < grid.length; i++) grid[i] = Math.max(0, Math.min(255, Math.round(128 + MOTTLE_UNIT * gaussian(rng))));
    cached = sharp(grid, { raw: { width: gw, height: gh, channels: 1 } })
      .resize(gw * cell, gh * cell, { kernel: 'cubic', fit: 'fill' })
      .extract({ left: 0, top: 0, width, height })
      .toColourspace('b-w')
      .raw()
      .toBuffer();
    paperCache.set(key, cached);
    cached.catch(() => paperCache.delete(key));
    // A capture's three lights are rendered together; older papers are not needed again.
    while (paperCache.size > 4) paperCache.delete(paperCache.keys().next().value!);
  }
  return cached;
}

interface DeviceModel {
  /** Relative amplitude of paper mottling. */
  mottle: number;
  /** Sensor noise, standard deviation in grey levels. */
  noise: number;
  /** Optical blur, Gaussian sigma in pixels. */
  blur: number;
  /** Lamp fall-off towards the corners (fraction lost at the corner). */
  falloff: number;
}

const DEVICE: Record<SynthLight, DeviceModel> = {
  white: { mottle: 0.018, noise: 1.6, blur: 0.55, falloff: 0.04 },
  'uv-365': { mottle: 0.03, noise: 2.2, blur: 0.9, falloff: 0.3 },
  'ir-870': { mottle: 0.011, noise: 1.6, blur: 0.65, falloff: 0.06 },
};

function imitateDevice(raw: Buffer, paper: Buffer, width: number, height: number, light: SynthLight, seed: number): Buffer {
  const dev = DEVICE[light];
  const outChannels = light === 'ir-870' ? 1 : 3;
  // Clamped array: rounding and clipping to 0..255 without branches in the hot loop.
  const out = new Uint8ClampedArray(width * height * outChannels);
  const table = normalTable();
  const rng = createRng(hashSeed(seed, 'noise'));
  // Lamp fall-off is separable: 1 − f·(dx² + dy²)/r².
  const cx = width * 0.47;
  const cy = height * 0.45;
  const rmax2 = cx * cx + cy * cy;
  const fx = new Float32Array(width);
  for (let x = 0; x < width; x++) fx[x] = (dev.falloff * (x - cx) * (x - cx)) / rmax2;
  const mask = NORMAL_TABLE_SIZE - 1;
  const mottle = dev.mottle / MOTTLE_UNIT;
  for (let y = 0; y < height; y++) {
    let idx = Math.floor(rng() * NORMAL_TABLE_SIZE);
    const stride = (Math.floor(rng() * 4096) << 1) | 1;
    const fy = 1 - (dev.falloff * (y - cy) * (y - cy)) / rmax2;
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const p = row + x;
      const gain = (fy - fx[x]!) * (1 + mottle * (paper[p]! - 128));
      if (outChannels === 1) {
        idx = (idx + stride) & mask;
        out[p] = raw[p * 3]! * gain + dev.noise * table[idx]!;
      } else {
        const o = p * 3;
        idx = (idx + stride) & mask;
        out[o] = raw[o]! * gain + dev.noise * table[idx]!;
        idx = (idx + stride) & mask;
        out[o + 1] = raw[o + 1]! * gain + dev.noise * table[idx]!;
        idx = (idx + stride) & mask;
        out[o + 2] = raw[o + 2]! * gain + dev.noise * table[idx]!;
      }
    }
  }
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** Rasterises a composed scene under one light source and imitates the capture device. */
export async function renderScene(scene: Scene, light: SynthLight, options: Omit<RenderOptions, 'variant'> = {}): Promise<{ image: Buffer; channels: 1 | 3; format: SynthImageFormat }> {
  const background = await rasteriseBackground(scene, light);
  const { data, info } = await sharp(background, { raw: { width: scene.width, height: scene.height, channels: 3 } })
    .composite([{ input: Buffer.from(svgDocument(scene, overlayBody(scene, light))), top: 0, left: 0 }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== scene.width || info.height !== scene.height || info.channels !== 3) {
    throw new Error(`scene rasterised to ${info.width}×${info.height}×${info.channels}, expected ${scene.width}×${scene.height}×3`);
  }
  const channels = light === 'ir-870' ? 1 : 3;
  const paper = await paperTexture(info.width, info.height, hashSeed(options.noiseSeed ?? 0, 'paper'));
  if (paper.length !== info.width * info.height) throw new Error('paper texture has the wrong size');
  const pixels = imitateDevice(data, paper, info.width, info.height, light, hashSeed(options.noiseSeed ?? 0, light));
  const format = options.format ?? 'png';
  let img = sharp(pixels, { raw: { width: info.width, height: info.height, channels } }).blur(DEVICE[light].blur);
  if (channels === 1) img = img.toColourspace('b-w');
  const image =
    format === 'png'
      ? await img.png({ compressionLevel: 2, adaptiveFiltering: false }).toBuffer() // PNG serves tests and benchmarks: speed over size
      : await img.jpeg({ quality: options.quality ?? 92, chromaSubsampling: '4:4:4', mozjpeg: false }).toBuffer();
  return { image, channels, format };
}

/** Renders one page of a document for one holder under one light source. */
export async function renderDocument(design: DocumentDesign, holder: Holder, light: SynthLight, options: RenderOptions = {}): Promise<RenderedDocument> {
  const scene = composeScene(design, holder, options.variant);
  const { image, channels, format } = await renderScene(scene, light, options);
  return { image, width: scene.width, height: scene.height, channels, format, zones: scene.zones, altered: scene.altered, mrz: scene.mrz };
}

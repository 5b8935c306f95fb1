/**
 * A photo taken at an angle resolves the near side of the document more
 * finely than the far side: its own blur, uniform in the photo, is seen in
 * the reference frame as a blur that grows with distance. Equalising
 * sharpness with one page-wide sigma over-blurs the reference on the near
 * side and under-blurs it on the far side; blurring it as the homography's
 * local scale says brings both closer to the photo.
 */
import sharp from 'sharp';
import { HOLDERS, renderDocument, simulatePhoto, UTOPIA_PASSPORT_2019 } from '../synth';
import { localScaleMap } from './geometry';
import { LIGHT_PROFILES, normaliseToReference, perspectiveSigmas, varyingBlur } from './normalise';
import { gaussianBlur, makePlane, type Plane } from './planes';
import { warpToReference } from './warp';

jest.setTimeout(120_000);

async function greyPlane(image: Buffer): Promise<Plane> {
  const { data, info } = await sharp(image).greyscale().raw().toBuffer({ resolveWithObject: true });
  return makePlane(info.width, info.height, Float32Array.from(data));
}

describe('varyingBlur', () => {
  const w = 64;
  const h = 48;
  const impulse = () => {
    const p = makePlane(w, h);
    p.data[20 * w + 20] = 1000;
    p.data[20 * w + 44] = 1000;
    return p;
  };

  it('blurs each pixel by its own sigma, as a Gaussian of that sigma would', () => {
    // Left half at a sigma of 2, right half at 3.
    const sigmas = new Float32Array(w * h).map((_, i) => (i % w < w / 2 ? 2 : 3));
    const [out] = varyingBlur([impulse()], sigmas) as [Plane];
    const narrow = gaussianBlur(impulse(), 2);
    const wide = gaussianBlur(impulse(), 3);
    for (const [x, y] of [[20, 20], [22, 21], [25, 20]]) expect(out.data[y! * w + x!]).toBeCloseTo(narrow.data[y! * w + x!]!, 0);
    for (const [x, y] of [[44, 20], [46, 21], [49, 20]]) expect(out.data[y! * w + x!]).toBeCloseTo(wide.data[y! * w + x!]!, 0);
    // Below the ladder's floor a pixel is left as it is.
    const [none] = varyingBlur([impulse()], new Float32Array(w * h).map((_, i) => (i % w < w / 2 ? 0 : 3))) as [Plane];
    expect(none.data[20 * w + 20]).toBe(1000);
    expect(none.data[20 * w + 44]).toBeCloseTo(wide.data[20 * w + 44]!, 0);
  });

  it('leaves a scan (an affine homography, one scale everywhere) to the page-wide sigma', () => {
    const scale = makePlane(w, h, localScaleMap([1.2, 0.1, 5, -0.1, 1.2, 3, 0, 0, 1], w, h, w, h));
    const page = impulse();
    expect(perspectiveSigmas(page, gaussianBlur(page, 1), new Uint8Array(w * h).fill(255), scale, 1)).toBeNull();
  });
});

describe('sharpness equalised along a tilted photo', () => {
  it('leaves the reference closer to the photo than one page-wide blur, most of all on the near side', async () => {
    const genuine = await renderDocument(UTOPIA_PASSPORT_2019, HOLDERS.passportA, 'ir-870', { noiseSeed: 1 });
    const png = await sharp(genuine.image).resize({ width: 1000 }).png().toBuffer();
    // Steeply tilted, the document a little over half its size in the photo: the near side about 1.35× as fine as the far.
    const photo = await simulatePhoto(png, { seed: 9, maxTiltDeg: 35, scale: [0.55, 0.6] });
    const reference = await greyPlane(png);
    const { width: W, height: H } = reference;
    const decoded = await sharp(photo.image).greyscale().raw().toBuffer({ resolveWithObject: true });
    const warped = await warpToReference({ data: new Uint8Array(decoded.data), width: decoded.info.width, height: decoded.info.height, channels: 1 }, photo.homography, W, H);
    const questioned = makePlane(W, H, Float32Array.from(warped.image.data));
    const valid = warped.valid;
    const scale = localScaleMap(photo.homography, W, H, W, H);

    const params = { illuminationTile: Math.round(Math.max(W, H) / 48), transferMinGain: 1 };
    const run = (captureScale?: () => Plane) => normaliseToReference([reference], [questioned], { valid, learn: valid }, LIGHT_PROFILES.ir, { ...params, captureScale });
    const uniform = await run();
    const varying = await run(() => makePlane(W, H, scale));
    expect(uniform.stats.sharpness.blurred).toBe('reference');
    const { sigma, range } = varying.stats.sharpness;
    expect(sigma).toBe(uniform.stats.sharpness.sigma);
    // Less blur where the photo is finer, more where it is coarser.
    expect(range![0]).toBeLessThan(sigma);
    expect(range![1]).toBeGreaterThan(sigma);

    // Mean absolute difference at the print's edges, over the page and over its finest quarter.
    const sorted = Float32Array.from(scale.filter((_, i) => valid[i])).sort();
    const finest = sorted[Math.floor(0.75 * sorted.length)]!;
    const edges = (p: Plane, i: number) => Math.abs(p.data[i + 1]! - p.data[i - 1]!) + Math.abs(p.data[i + W]! - p.data[i - W]!) > 40;
    const error = (n: { reference: Plane[]; questioned: Plane[] }, side: (s: number) => boolean) => {
      let sum = 0;
      let count = 0;
      for (let y = 1; y < H - 1; y++) {
        for (let x = 1; x < W - 1; x++) {
          const i = y * W + x;
          if (!valid[i] || !side(scale[i]!) || !edges(reference, i)) continue;
          sum += Math.abs(n.reference[0]!.data[i]! - n.questioned[0]!.data[i]!);
          count++;
        }
      }
      expect(count).toBeGreaterThan(1000);
      return sum / count;
    };
    const page = () => true;
    const near = (s: number) => s >= finest;
    expect(error(varying, page)).toBeLessThan(0.95 * error(uniform, page));
    expect(error(varying, near)).toBeLessThan(0.8 * error(uniform, near));
  });
});

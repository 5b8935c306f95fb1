import { loadOpenCv, withMats } from '../cv/opencv';
import { invertHomography } from './geometry';
import { u8ToMat } from './planes';
import { createRng } from '../synth/prng';
import { nearestFootprint, validityMask, warpBilinear, warpToReference, type PixelImage } from './warp';

/** A deterministic textured grey image: smooth gradients plus a sharp grid, so bilinear errors show. */
function texture(width: number, height: number): PixelImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = 128 + 60 * Math.sin(x / 7) * Math.cos(y / 11) + ((x >> 3) + (y >> 3)) % 2 * 40 - 20;
      data[y * width + x] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return { data, width, height, channels: 1 };
}

function bilinear(img: PixelImage, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const at = (xx: number, yy: number) => img.data[Math.min(img.height - 1, yy) * img.width + Math.min(img.width - 1, xx)]!;
  return (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
}

describe('warpToReference', () => {
  it('reproduces the questioned image under the identity, every pixel valid', async () => {
    const q = texture(64, 48);
    const out = await warpToReference(q, [1, 0, 0, 0, 1, 0, 0, 0, 1], 64, 48);
    expect(Buffer.from(out.image.data).equals(Buffer.from(q.data))).toBe(true);
    expect(out.valid.every((v) => v === 255)).toBe(true);
    expect(out.validFraction).toBe(1);
  });

  it('looks up questioned pixels through H (reference → questioned) with bilinear interpolation', async () => {
    const q = texture(80, 60);
    // Reference pixel (x, y) shows questioned pixel (x + 5.25, y − 3.5).
    const h = [1, 0, 5.25, 0, 1, -3.5, 0, 0, 1];
    const out = await warpToReference(q, h, 80, 60);
    let worst = 0;
    for (let y = 0; y < 60; y++) {
      for (let x = 0; x < 80; x++) {
        const inside = x + 5.25 <= 79 && y - 3.5 >= 0;
        expect(out.valid[y * 80 + x]).toBe(inside ? 255 : 0);
        if (inside) worst = Math.max(worst, Math.abs(out.image.data[y * 80 + x]! - bilinear(q, x + 5.25, y - 3.5)));
      }
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('keeps colour channels and undoes a perspective warp', async () => {
    const w = 90;
    const hgt = 70;
    const grey = texture(w, hgt);
    const rgb = new Uint8Array(w * hgt * 3);
    for (let i = 0; i < w * hgt; i++) {
      rgb[i * 3] = grey.data[i]!;
      rgb[i * 3 + 1] = 255 - grey.data[i]!;
      rgb[i * 3 + 2] = 100;
    }
    const h = [1.05, 0.04, 3, -0.03, 0.98, 2, 0.0004, 0.0002, 1];
    // Questioned = reference warped by H (so that H maps reference → questioned), then warped back.
    const questioned = await warpToReference({ data: rgb, width: w, height: hgt, channels: 3 }, invertHomography(h), w, hgt);
    const back = await warpToReference(questioned.image, h, w, hgt);
    expect(back.image.channels).toBe(3);
    let n = 0;
    let sum = 0;
    for (let y = 10; y < hgt - 10; y++) {
      for (let x = 10; x < w - 10; x++) {
        const i = y * w + x;
        if (!back.valid[i]) continue;
        n++;
        sum += Math.abs(back.image.data[i * 3 + 2]! - 100) + Math.abs(back.image.data[i * 3]! + back.image.data[i * 3 + 1]! - 255);
      }
    }
    expect(n).toBeGreaterThan(1000);
    expect(sum / n).toBeLessThan(1.5);
  });

  it('refuses malformed input', async () => {
    const q = texture(8, 8);
    await expect(warpToReference(q, [1, 0, 0, 0, 1, 0, 0, 0], 8, 8)).rejects.toThrow(/9 finite numbers/);
    await expect(warpToReference({ ...q, data: new Uint8Array(10) }, [1, 0, 0, 0, 1, 0, 0, 0, 1], 8, 8)).rejects.toThrow(/width × height × channels/);
  });
});

describe('warpBilinear', () => {
  /** What warpToReference used to run: OpenCV's own warp. */
  async function openCvWarp(img: PixelImage, h: number[], width: number, height: number): Promise<Uint8Array> {
    const cv = await loadOpenCv();
    return withMats((track) => {
      const src = track(u8ToMat(cv, img.data, img.width, img.height, img.channels));
      const dst = track(new cv.Mat());
      const m = track(cv.matFromArray(3, 3, cv.CV_64F, h));
      cv.warpPerspective(src, dst, m, new cv.Size(width, height), cv.INTER_LINEAR | cv.WARP_INVERSE_MAP, cv.BORDER_REPLICATE, new cv.Scalar());
      return new Uint8Array(dst.data);
    });
  }

  it('gives the bytes of cv.warpPerspective (bilinear, inverse map, replicated border) for scales, shears, perspective and sizes', async () => {
    const rnd = createRng(11);
    let differing = 0;
    let outside = 0;
    for (let t = 0; t < 40; t++) {
      const channels = t % 2 ? 3 : 1;
      const [w, hgt] = [20 + Math.floor(rnd() * 200), 10 + Math.floor(rnd() * 150)];
      const data = new Uint8Array(w * hgt * channels);
      for (let i = 0; i < data.length; i++) data[i] = Math.floor(rnd() * 256);
      const img: PixelImage = { data, width: w, height: hgt, channels };
      // Output sizes below and above the 16-row bands and 64-column blocks OpenCV computes coordinates in.
      const [ow, oh] = [5 + Math.floor(rnd() * 200), 3 + Math.floor(rnd() * 150)];
      const s = 0.3 + rnd() * 3;
      const h =
        t === 0
          ? [1, 0, 0, 0, 1, 0, 0, 0, 1]
          : t === 1
            ? [1 / 64, 0, 0.75, 0, 1 / 64, 0.5, 0, 0, 1] // source points on half of a 1/32 step: rounding ties
            : [s * (1 + 0.1 * (rnd() - 0.5)), 0.2 * (rnd() - 0.5), (rnd() - 0.5) * 40, 0.2 * (rnd() - 0.5), s * (1 + 0.1 * (rnd() - 0.5)), (rnd() - 0.5) * 40, t % 3 ? (rnd() - 0.5) * 0.004 : 0, t % 3 ? (rnd() - 0.5) * 0.004 : 0, 1];
      const expected = await openCvWarp(img, h, ow, oh);
      const got = warpBilinear(img, h, ow, oh);
      if (!Buffer.from(got).equals(Buffer.from(expected))) differing++;
      if (validityMask(h, ow, oh, w, hgt).includes(0)) outside++;
    }
    expect(differing).toBe(0);
    // Many cases sample outside the questioned image (the replicated border matters).
    expect(outside).toBeGreaterThan(20);
  });
});

describe('nearestFootprint', () => {
  it('marks the pixels where OpenCV’s nearest-pixel warp of an all-white image is white', async () => {
    const cv = await loadOpenCv();
    const rnd = createRng(5);
    let differing = 0;
    let partial = 0;
    for (let t = 0; t < 40; t++) {
      const [sw, sh] = [10 + Math.floor(rnd() * 200), 10 + Math.floor(rnd() * 150)];
      const [ow, oh] = [5 + Math.floor(rnd() * 220), 3 + Math.floor(rnd() * 160)];
      const s = 0.3 + rnd() * 2;
      const h =
        t === 0
          ? [2, 0, 0.5, 0, 2, -0.5, 0, 0, 1] // source points on half pixels: rounding ties
          : [s * (1 + 0.1 * (rnd() - 0.5)), 0.2 * (rnd() - 0.5), (rnd() - 0.5) * 60, 0.2 * (rnd() - 0.5), s * (1 + 0.1 * (rnd() - 0.5)), (rnd() - 0.5) * 60, t % 3 ? (rnd() - 0.5) * 0.004 : 0, t % 3 ? (rnd() - 0.5) * 0.004 : 0, 1];
      const expected = await withMats((track) => {
        const ones = track(new cv.Mat(sh, sw, cv.CV_8UC1, new cv.Scalar(255)));
        const dst = track(new cv.Mat());
        const m = track(cv.matFromArray(3, 3, cv.CV_64F, h));
        cv.warpPerspective(ones, dst, m, new cv.Size(ow, oh), cv.INTER_NEAREST | cv.WARP_INVERSE_MAP, cv.BORDER_CONSTANT, new cv.Scalar(0));
        return new Uint8Array(dst.data);
      });
      const got = nearestFootprint(h, ow, oh, sw, sh);
      if (!Buffer.from(got).equals(Buffer.from(expected))) differing++;
      if (expected.includes(0) && expected.includes(255)) partial++;
    }
    expect(differing).toBe(0);
    expect(partial).toBeGreaterThan(20);
  });
});

describe('validityMask', () => {
  it('marks points behind the camera invalid', () => {
    // The line x = 50 maps to infinity; the reference centre (x ≈ 20) is in front.
    const h = [1, 0, 0, 0, 1, 0, -0.02, 0, 1];
    const m = validityMask(h, 100, 10, 1000, 1000);
    expect(m[5 * 100 + 10]).toBe(255);
    expect(m[5 * 100 + 60]).toBe(0);
  });

  it('evaluates at the pixel centres of a reduced grid', () => {
    const h = [1, 0, 40, 0, 1, 0, 0, 0, 1];
    // Questioned 100 wide: reference x in [−40, 59] is valid; on a half-size grid, cells up to centre x ≤ 59.
    const full = validityMask(h, 100, 20, 100, 20);
    const half = validityMask(h, 100, 20, 100, 20, { width: 50, height: 10 });
    expect(full.slice(0, 100).filter((v) => v).length).toBe(60);
    expect(half.slice(0, 50).filter((v) => v).length).toBe(30);
  });

  it('equals the pixel-by-pixel definition for rotations, perspective, mirrors and the identity', () => {
    // The mask fills each row's run of valid pixels between its tested ends; here every pixel is tested.
    const perPixel = (h: number[], rw: number, rh: number, qw: number, qh: number, gw: number, gh: number) => {
      const out = new Uint8Array(gw * gh);
      const [a, b, c, d, e, f, g, i, j] = h as [number, number, number, number, number, number, number, number, number];
      const cx = (rw - 1) / 2;
      const cy = (rh - 1) / 2;
      const side = Math.sign(g * cx + i * cy + j) || 1;
      for (let gy = 0; gy < gh; gy++) {
        for (let gx = 0; gx < gw; gx++) {
          const x = ((gx + 0.5) * rw) / gw - 0.5;
          const y = ((gy + 0.5) * rh) / gh - 0.5;
          const w = g * x + i * y + j;
          if (w * side <= 1e-12) continue;
          const u = (a * x + b * y + c) / w;
          const v = (d * x + e * y + f) / w;
          if (u >= 0 && v >= 0 && u <= qw - 1 && v <= qh - 1) out[gy * gw + gx] = 255;
        }
      }
      return out;
    };
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    let partial = 0;
    for (let t = 0; t < 120; t++) {
      const [rw, rh, qw, qh] = [0, 0, 0, 0].map(() => 40 + Math.floor(rnd() * 160)) as [number, number, number, number];
      const th = (rnd() - 0.5) * 1.5;
      const s = 0.5 + rnd();
      const shapes = [
        [s * Math.cos(th), -s * Math.sin(th), (rnd() - 0.5) * 120, s * Math.sin(th), s * Math.cos(th), (rnd() - 0.5) * 120, (rnd() - 0.5) * 0.006, (rnd() - 0.5) * 0.006, 1],
        [1, 0, 0, 0, 1, 0, 0, 0, 1],
        [1, 0, Math.floor(rnd() * 20) - 10, 0, 1, Math.floor(rnd() * 20) - 10, 0, 0, 1],
        [-1, 0, rw - 1, 0, 1, 0, 0, 0, 1],
      ];
      const h = shapes[t % shapes.length]!;
      const [gw, gh] = t % 2 ? [Math.max(8, Math.round(rw / 2.3)), Math.max(8, Math.round(rh / 2.3))] : [rw, rh];
      const mask = validityMask(h, rw, rh, qw, qh, { width: gw, height: gh });
      const expected = perPixel(h, rw, rh, qw, qh, gw, gh);
      expect(Buffer.from(mask).equals(Buffer.from(expected))).toBe(true);
      if (expected.includes(0) && expected.includes(255)) partial++;
    }
    // Most cases cut the reference by the questioned image's edges (the interesting ones).
    expect(partial).toBeGreaterThan(60);
  });
});

import type { GreyImage } from './align-types';
import { applyHomography } from './geometry';
import { chooseAnchorLight, homographyForLight, refineLightHomography } from './multispectral';

/** Gaussian blobs drawn analytically, so that a sub-pixel shift of the pattern is exact. */
function blobs(width: number, height: number, dx: number, dy: number, seed = 7): GreyImage {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
  const spots = Array.from({ length: 90 }, () => ({ x: rnd() * width, y: rnd() * height, sigma: 2 + rnd() * 6, a: (rnd() < 0.5 ? -1 : 1) * (40 + rnd() * 80) }));
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 128;
      for (const b of spots) {
        const ex = x - dx - b.x;
        const ey = y - dy - b.y;
        const d2 = ex * ex + ey * ey;
        if (d2 < 16 * b.sigma * b.sigma) v += b.a * Math.exp(-d2 / (2 * b.sigma * b.sigma));
      }
      data[y * width + x] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return { data, width, height };
}

const IDENTITY = [1, 0, 0, 0, 1, 0, 0, 0, 1];

describe('refineLightHomography', () => {
  const reference = blobs(420, 300, 0, 0);

  it('recovers a small sub-pixel shift between two lights of one capture', async () => {
    // The questioned image's content sits 1.6 px right and 1.2 px up of where the anchor homography puts it.
    const questioned = blobs(420, 300, 1.6, -1.2);
    const r = await refineLightHomography(reference, questioned, IDENTITY, 'white');
    expect(r.outcome).toBe('refined');
    expect(r.shift[0]).toBeCloseTo(1.6, 0);
    expect(r.shift[1]).toBeCloseTo(-1.2, 0);
    expect(Math.abs(r.shift[0] - 1.6)).toBeLessThan(0.25);
    expect(Math.abs(r.shift[1] + 1.2)).toBeLessThan(0.25);
    const [x, y] = applyHomography(r.homography, 100, 100);
    expect(x).toBeCloseTo(101.6, 0);
    expect(y).toBeCloseTo(98.8, 0);
    expect(r.correlation.best!).toBeGreaterThan(r.correlation.anchor!);
  });

  it('keeps the anchor homography when the images already agree', async () => {
    const r = await refineLightHomography(reference, blobs(420, 300, 0, 0), IDENTITY, 'white');
    expect(['anchor', 'refined']).toContain(r.outcome);
    expect(Math.hypot(...r.shift)).toBeLessThan(0.2);
  });

  it('never moves further than the limit: a larger offset keeps the anchor homography, flagged unverified', async () => {
    const r = await refineLightHomography(reference, blobs(420, 300, 9, 0), IDENTITY, 'white', { maxShiftPx: 3 });
    expect(r.outcome).toBe('anchor-unverified');
    expect(r.shift).toEqual([0, 0]);
    expect(r.homography).toEqual(IDENTITY);
  });

  it('keeps the anchor homography on an image without structure', async () => {
    const flat = { data: new Uint8Array(420 * 300).fill(90), width: 420, height: 300 };
    const r = await refineLightHomography(flat, flat, IDENTITY, 'white');
    expect(r.outcome).toBe('anchor-unverified');
    expect(r.homography).toEqual(IDENTITY);
  });
});

describe('chooseAnchorLight', () => {
  it('prefers white, then other reflected visible light, then IR; never UV when another light is common', () => {
    expect(chooseAnchorLight(['uv-365', 'ir-870', 'white'], ['white', 'uv-365'])).toBe('white');
    expect(chooseAnchorLight(['uv-365', 'ir-870'], ['uv-365', 'ir-870'])).toBe('ir-870');
    expect(chooseAnchorLight(['uv-365'], ['uv-365'])).toBe('uv-365');
    expect(chooseAnchorLight(['white'], ['uv-365'])).toBeUndefined();
  });
});

describe('homographyForLight', () => {
  it('reuses the anchor homography unchanged for images of the same sizes', () => {
    const h = [1.1, 0.02, 5, -0.01, 0.98, 7, 1e-5, 2e-5, 1];
    const sizes = { reference: [1000, 700] as [number, number], questioned: [1200, 900] as [number, number] };
    expect(homographyForLight(h, sizes, sizes)).toEqual(h);
  });

  it('rescales it for a light captured at half the resolution on both sides', () => {
    const h = [1, 0, 10, 0, 1, 20, 0, 0, 1];
    const out = homographyForLight(h, { reference: [1000, 700], questioned: [1000, 700] }, { reference: [500, 350], questioned: [500, 350] });
    // Pixel centres: half-size 100 is full-size 200.5; +10 → 210.5 full-size → 105 half-size (and 110 for y, +20).
    const [x, y] = applyHomography(out, 100, 100);
    expect(x).toBeCloseTo(105, 6);
    expect(y).toBeCloseTo(110, 6);
  });
});

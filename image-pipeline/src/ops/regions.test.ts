import { makePlane } from './planes';
import { extractRegions, rasterisePolygons, type RegionParams, type WorkingFrame } from './regions';

const W = 400;
const H = 250;
const PARAMS: RegionParams = { threshold: 0.5, minAreaFraction: 1e-4, mergeDistance: 0.012 };
/** Working grid at half the reference resolution. */
const FRAME: WorkingFrame = { sx: 0.5, sy: 0.5, referenceWidth: 800, referenceHeight: 500 };

type Blob = [x: number, y: number, w: number, h: number, score: number];

function scoreWith(blobs: Blob[]) {
  const d = new Float32Array(W * H);
  for (const [x0, y0, w, h, v] of blobs) for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) d[y * W + x] = v;
  return makePlane(W, H, d);
}
const valid = () => new Uint8Array(W * H).fill(255);

describe('extractRegions', () => {
  it('merges the letters of a word into one region, in reference coordinates', async () => {
    // Five "letters" 6 px wide with 3 px gaps, as a re-typed name looks in the score map.
    const letters: Blob[] = [0, 1, 2, 3, 4].map((i) => [100 + i * 9, 50, 6, 12, 0.9]);
    const regions = await extractRegions(scoreWith(letters), valid(), FRAME, PARAMS);
    expect(regions).toHaveLength(1);
    const r = regions[0]!;
    expect(r.box).toEqual({ x: 200, y: 100, width: 84, height: 24 });
    expect(r.score).toBeCloseTo(0.9, 4);
    expect(r.peak).toBeCloseTo(0.9, 4);
    // The polygon encloses every letter and stays inside the box.
    for (const [x, y] of r.polygon) {
      expect(x).toBeGreaterThanOrEqual(199);
      expect(x).toBeLessThanOrEqual(284);
      expect(y).toBeGreaterThanOrEqual(99);
      expect(y).toBeLessThanOrEqual(124);
    }
    expect(r.polygon.length).toBeGreaterThanOrEqual(4);
  });

  it('keeps distant changes apart, sorted by score, and drops specks', async () => {
    const score = scoreWith([
      [20, 20, 30, 30, 0.7],
      [300, 180, 40, 20, 0.95],
      [200, 120, 2, 2, 1], // 4 px: below the minimum area (1e-4 of 100 000 px = 10 px)
    ]);
    const regions = await extractRegions(score, valid(), FRAME, PARAMS);
    expect(regions.map((r) => r.box)).toEqual([
      { x: 600, y: 360, width: 80, height: 40 },
      { x: 40, y: 40, width: 60, height: 60 },
    ]);
    expect(regions[0]!.area).toBe(3200);
  });

  it('merges fragments nested in or touching a larger region', async () => {
    const score = scoreWith([
      [100, 100, 80, 80, 0.9],
      [184, 150, 10, 10, 0.8],
    ]);
    const regions = await extractRegions(score, valid(), FRAME, PARAMS);
    expect(regions).toHaveLength(1);
    expect(regions[0]!.box).toEqual({ x: 200, y: 200, width: 188, height: 160 });
  });

  it('looks only inside the mask, with the minimum area taken from the whole compared area', async () => {
    const score = scoreWith([
      [50, 50, 40, 20, 0.9],
      // At the threshold: the minimum area applies in full (see the next test).
      [300, 50, 3, 3, 0.5],
    ]);
    const left = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < 200; x++) left[y * W + x] = 255;
    const regions = await extractRegions(score, left, FRAME, PARAMS);
    expect(regions.map((r) => r.box)).toEqual([{ x: 100, y: 100, width: 80, height: 40 }]);
    // A 9 px change is a region in a 10 000 px area but not against 100 000 px.
    const right = new Uint8Array(W * H);
    for (let y = 0; y < 100; y++) for (let x = 250; x < 350; x++) right[y * W + x] = 255;
    expect(await extractRegions(score, right, FRAME, PARAMS)).toHaveLength(1);
    expect(await extractRegions(score, right, FRAME, PARAMS, W * H)).toHaveLength(0);
    expect(await extractRegions(score, new Uint8Array(W * H), FRAME, PARAMS)).toEqual([]);
  });

  it('keeps a region smaller than the minimum area when its differences are strong, down to half of it', async () => {
    // Minimum area 10 px (1e-4 of 100 000); each blob well apart from the others.
    const score = scoreWith([
      [40, 40, 2, 4, 0.9], // 8 px, far above the threshold: kept
      [140, 40, 2, 4, 0.55], // 8 px, just above it: dropped
      [240, 40, 2, 2, 1], // 4 px: below half the minimum, however strong
      [340, 40, 2, 5, 0.6], // 10 px: the minimum area, kept at any score
    ]);
    const regions = await extractRegions(score, valid(), FRAME, PARAMS);
    expect(regions.map((r) => r.box)).toEqual([
      { x: 80, y: 80, width: 4, height: 8 },
      { x: 680, y: 80, width: 4, height: 10 },
    ]);
  });

  it('records the share of a region’s differing pixels that are blown out, only when given them', async () => {
    const score = scoreWith([
      [50, 50, 40, 20, 0.9],
      [300, 150, 40, 20, 0.8],
    ]);
    // Glare over the left half of the first change and the unchanged page round it (which is not a differing pixel).
    const blown = new Uint8Array(W * H);
    for (let y = 30; y < 90; y++) for (let x = 30; x < 70; x++) blown[y * W + x] = 255;
    const regions = await extractRegions(score, valid(), FRAME, PARAMS, undefined, blown);
    expect(regions.map((r) => [r.box.x, r.overexposed])).toEqual([
      [100, 0.5],
      [600, 0],
    ]);
    // Without the blown-out pixels (an older caller), nothing is said, not 0.
    for (const r of await extractRegions(score, valid(), FRAME, PARAMS)) expect(r).not.toHaveProperty('overexposed');
  });
});

describe('rasterisePolygons', () => {
  it('fills overlapping polygons (reference coordinates) on the working grid', async () => {
    const square = (x: number, y: number, s: number): [number, number][] => [
      [x, y],
      [x + s, y],
      [x + s, y + s],
      [x, y + s],
    ];
    const m = await rasterisePolygons([square(100, 100, 100), square(150, 150, 100)], W, H, 0.5, 0.5);
    // Working (62, 62) is inside both squares: overlapping polygons must not cancel out.
    expect(m[62 * W + 62]).toBe(255);
    expect(m[55 * W + 55]).toBe(255);
    expect(m[120 * W + 120]).toBe(255);
    expect(m[40 * W + 40]).toBe(0);
    expect(m[60 * W + 120]).toBe(0);
  });
});

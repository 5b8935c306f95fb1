import { loadOpenCv, withMats } from '../cv/opencv';
import { closeMask, dilateMask, erodeMask, gaussianBlur, makePlane, u8ToMat } from './planes';

/** A deterministic 0/255 mask: blobs and specks, so that windows are full, empty and mixed. */
function randomMask(width: number, height: number, seed: number, density: number): Uint8Array {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const m = new Uint8Array(width * height);
  for (let i = 0; i < m.length; i++) if (next() < density) m[i] = 255;
  // A few solid blocks, some touching the borders.
  for (let b = 0; b < 4; b++) {
    const x0 = Math.floor(next() * width);
    const y0 = Math.floor(next() * height);
    const bw = 1 + Math.floor(next() * width * 0.4);
    const bh = 1 + Math.floor(next() * height * 0.4);
    for (let y = y0; y < Math.min(height, y0 + bh); y++) m.fill(255, y * width + x0, y * width + Math.min(width, x0 + bw));
  }
  return m;
}

type Op = 'dilate' | 'erode' | 'close';

/** The same operation through OpenCV, as the comparison used to run it. */
async function withOpenCv(op: Op, mask: Uint8Array, width: number, height: number, radius: number): Promise<Uint8Array> {
  const cv = await loadOpenCv();
  return withMats((track) => {
    const src = track(u8ToMat(cv, mask, width, height));
    const dst = track(new cv.Mat());
    const kernel = track(cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(2 * radius + 1, 2 * radius + 1)));
    if (op === 'dilate') cv.dilate(src, dst, kernel);
    else if (op === 'erode') cv.erode(src, dst, kernel, new cv.Point(-1, -1), 1, cv.BORDER_CONSTANT, new cv.Scalar(0));
    else cv.morphologyEx(src, dst, cv.MORPH_CLOSE, kernel, new cv.Point(-1, -1), 1, cv.BORDER_CONSTANT, new cv.Scalar(0));
    return new Uint8Array(dst.data);
  });
}

const ours = { dilate: dilateMask, erode: erodeMask, close: closeMask } as const;

describe('square-kernel mask morphology', () => {
  const cases: [width: number, height: number, radius: number, density: number][] = [
    [97, 61, 1, 0.02],
    [97, 61, 2, 0.3],
    [120, 80, 6, 0.01],
    [120, 80, 6, 0.6],
    [40, 300, 20, 0.005],
    [13, 9, 20, 0.1], // kernel larger than the image
    [1, 50, 3, 0.2],
  ];
  for (const op of ['dilate', 'erode', 'close'] as const) {
    it.each(cases)(`${op} matches OpenCV on a %i×%i mask, radius %i`, async (width, height, radius, density) => {
      const mask = randomMask(width, height, width * 7919 + height * 31 + radius, density);
      const expected = await withOpenCv(op, mask, width, height, radius);
      const got = ours[op](mask, width, height, radius);
      expect(got.length).toBe(expected.length);
      let mismatches = 0;
      for (let i = 0; i < got.length; i++) if (got[i] !== expected[i]) mismatches++;
      expect(mismatches).toBe(0);
      // The masks are not trivial: the operation changed something.
      let changed = 0;
      for (let i = 0; i < got.length; i++) if (got[i] !== mask[i]) changed++;
      expect(changed).toBeGreaterThan(0);
    });
  }

  it.each([1, 4, 13])('matches OpenCV on empty and sparse masks (a few rows set), radius %i', async (radius) => {
    const [width, height] = [150, 120];
    const sparse = new Uint8Array(width * height);
    for (let y = 50; y < 62; y++) sparse.fill(255, y * width + 30, y * width + 70);
    sparse[55 * width + 100] = 255;
    sparse[3 * width + 5] = 255;
    for (const mask of [new Uint8Array(width * height), sparse]) {
      for (const op of ['dilate', 'erode', 'close'] as const) {
        const expected = await withOpenCv(op, mask, width, height, radius);
        expect(Buffer.from(ours[op](mask, width, height, radius)).equals(Buffer.from(expected))).toBe(true);
      }
    }
  });

  it('erodes from the image border (the outside counts as unset) and leaves the input untouched', () => {
    const full = new Uint8Array(10 * 6).fill(255);
    const eroded = erodeMask(full, 10, 6, 2);
    const set: number[] = [];
    eroded.forEach((v, i) => v && set.push(i));
    // Only pixels at least two from every edge survive: x 2..7, y 2..3.
    expect(set).toEqual([22, 23, 24, 25, 26, 27, 32, 33, 34, 35, 36, 37]);
    expect(full.every((v) => v === 255)).toBe(true);
  });

  it('returns a copy for radius 0 and refuses a mask of the wrong size', () => {
    const m = randomMask(8, 8, 3, 0.5);
    const d = dilateMask(m, 8, 8, 0);
    expect(d).toEqual(m);
    expect(d).not.toBe(m);
    expect(() => erodeMask(m, 9, 8, 1)).toThrow(RangeError);
  });
});

describe('gaussianBlur into a given buffer', () => {
  it.each([
    [64, 48, 1],
    [64, 48, 0.8],
    [5, 40, 2.5], // narrower than the kernel
  ])('gives the same values in place and into another array as into a fresh one (%i×%i, sigma %f)', (width, height, sigma) => {
    const data = Float32Array.from({ length: width * height }, (_, i) => ((i * 2654435761) % 1000) / 4);
    const fresh = gaussianBlur(makePlane(width, height, data), sigma);
    const other = new Float32Array(width * height);
    expect(gaussianBlur(makePlane(width, height, data), sigma, other).data).toBe(other);
    expect(other).toEqual(fresh.data);
    const own = new Float32Array(data);
    expect(gaussianBlur(makePlane(width, height, own), sigma, own).data).toBe(own);
    expect(own).toEqual(fresh.data);
    // The blur did something, and the input given a separate output is untouched.
    expect(fresh.data).not.toEqual(data);
    expect(data[7]).toBe(((7 * 2654435761) % 1000) / 4);
  });
});

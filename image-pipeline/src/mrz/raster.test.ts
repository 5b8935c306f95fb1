import { connectedComponents, inkMask, rotateQuarter, unrotatePoint } from './raster';

function image(width: number, height: number, fill: (x: number, y: number) => number) {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = fill(x, y);
  return { data, width, height };
}

describe('MRZ raster primitives', () => {
  it('marks dark marks as ink on a shaded background, and not the shading', () => {
    // A left-to-right gradient with two dark squares and a diagonal stroke (8-connected).
    const img = image(60, 30, (x, y) => {
      const bg = 120 + 2 * x;
      if (x >= 5 && x < 10 && y >= 5 && y < 10) return bg - 80;
      if (x >= 40 && x < 46 && y >= 10 && y < 20) return bg - 80;
      if (x >= 20 && x < 30 && x - 20 === y - 10) return bg - 80;
      return bg;
    });
    const mask = inkMask(img, 15);
    const { blobs, labels } = connectedComponents(mask, img.width, img.height);
    const boxes = blobs.map((b) => [b.x0, b.y0, b.x1, b.y1, b.area]).sort((a, b) => a[0]! - b[0]!);
    expect(boxes).toEqual([
      [5, 5, 9, 9, 25],
      [20, 10, 29, 19, 10],
      [40, 10, 45, 19, 60],
    ]);
    expect(labels[7 * 60 + 7]).toBeGreaterThan(0);
    expect(labels[0]).toBe(0);
  });

  it('turns images by quarters and maps points back', () => {
    const img = image(4, 3, (x, y) => 10 * y + x);
    for (const q of [0, 1, 2, 3] as const) {
      const r = rotateQuarter(img, q);
      expect(r.width * r.height).toBe(12);
      for (let y = 0; y < r.height; y++) {
        for (let x = 0; x < r.width; x++) {
          const [ox, oy] = unrotatePoint(x, y, q, img.width, img.height);
          expect(r.data[y * r.width + x]).toBe(img.data[oy * img.width + ox]);
        }
      }
    }
    // A quarter turn clockwise: the top-left corner goes to the top-right.
    expect(rotateQuarter(img, 1).data[3 - 1]).toBe(0);
  });
});

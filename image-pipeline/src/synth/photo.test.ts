import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { applyHomography } from '../ops/geometry';
import { planPhoto, simulatePhoto } from './photo';

// Module-local Math: under jest's sandbox a global lookup in a per-pixel loop costs ~1 µs.
const Math = globalThis.Math;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A dark document with bright square markers whose centres are known exactly. */
const W = 900;
const H = 620;
const MARKER = 14;
const MARKERS: Array<[number, number]> = [
  [80, 80],
  [W - 81, 80],
  [W - 81, H - 81],
  [80, H - 81],
  [450.5, 300.5],
];

async function markerDocument(channels: 1 | 3): Promise<Buffer> {
  const squares = MARKERS.map(([cx, cy]) => `<rect x="${cx + 0.5 - MARKER / 2}" y="${cy + 0.5 - MARKER / 2}" width="${MARKER}" height="${MARKER}" fill="#ffffff"/>`).join('');
  // Pixel (i, j) covers [i, i+1) in SVG units, so its centre is at i + 0.5: the +0.5 above centres each square on pixel coordinates (cx, cy).
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="${W}" height="${H}" fill="#2a2e36"/>${squares}</svg>`;
  const img = sharp(Buffer.from(svg)).removeAlpha();
  return (channels === 1 ? img.toColourspace('b-w') : img).png().toBuffer();
}

/** Intensity-weighted centroid of the bright blob near (x, y) in a grey image. */
function blobCentre(data: Buffer, width: number, height: number, x: number, y: number, radius: number): [number, number] {
  let lo = 255;
  let hi = 0;
  const x0 = Math.max(0, Math.round(x - radius));
  const x1 = Math.min(width - 1, Math.round(x + radius));
  const y0 = Math.max(0, Math.round(y - radius));
  const y1 = Math.min(height - 1, Math.round(y + radius));
  for (let v = y0; v <= y1; v++) for (let u = x0; u <= x1; u++) {
    const p = data[v * width + u]!;
    lo = Math.min(lo, p);
    hi = Math.max(hi, p);
  }
  const threshold = (lo + hi) / 2;
  let sw = 0;
  let sx = 0;
  let sy = 0;
  for (let v = y0; v <= y1; v++) for (let u = x0; u <= x1; u++) {
    const w = data[v * width + u]! - threshold;
    if (w <= 0) continue;
    sw += w;
    sx += w * u;
    sy += w * v;
  }
  return [sx / sw, sy / sw];
}

describe('simulatePhoto', () => {
  it.each([
    [3, 1],
    [3, 2],
    [1, 3],
    [3, 4],
  ] as Array<[1 | 3, number]>)('returns a homography that maps document markers onto the photo within 1 px (%i channel(s), seed %i)', async (channels, seed) => {
    const photo = await simulatePhoto(await markerDocument(channels), { seed, quality: 95 });
    const meta = await sharp(photo.image).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['jpeg', photo.width, photo.height, channels]);
    expect(photo.homography).toHaveLength(9);
    expect(photo.homography[8]).toBeCloseTo(1, 12);
    const { data } = await sharp(photo.image).greyscale().raw().toBuffer({ resolveWithObject: true });
    let worst = 0;
    for (const [mx, my] of MARKERS) {
      const [px, py] = applyHomography(photo.homography, mx, my);
      expect(px).toBeGreaterThan(0);
      expect(py).toBeGreaterThan(0);
      expect(px).toBeLessThan(photo.width);
      expect(py).toBeLessThan(photo.height);
      const [cx, cy] = blobCentre(data, photo.width, photo.height, px, py, MARKER * photo.params.scale * 1.4 + 6);
      expect(Math.hypot(cx - px, cy - py)).toBeLessThan(1);
      worst = Math.max(worst, Math.hypot(cx - px, cy - py));
    }
    // The blob centroid is far better than the tolerance; a sign or half-pixel error in the homography would show here.
    expect(worst).toBeLessThan(0.35);
  });

  it('draws a perspective view within the requested limits, with the whole document in the frame', () => {
    for (let seed = 0; seed < 200; seed++) {
      const plan = planPhoto(W, H, { seed });
      const p = plan.params;
      expect(Math.hypot(p.tiltXDeg, p.tiltYDeg)).toBeLessThanOrEqual(20);
      expect(Math.abs(p.rotationDeg)).toBeLessThanOrEqual(15);
      expect(p.scale).toBeGreaterThanOrEqual(0.6);
      expect(p.scale).toBeLessThanOrEqual(1.1);
      for (const [x, y] of [[-0.5, -0.5], [W - 0.5, -0.5], [W - 0.5, H - 0.5], [-0.5, H - 0.5]] as Array<[number, number]>) {
        const [u, v] = applyHomography(plan.homography, x, y);
        expect(u).toBeGreaterThanOrEqual(0);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(u).toBeLessThanOrEqual(plan.width);
        expect(v).toBeLessThanOrEqual(plan.height);
      }
    }
    const tilts = Array.from({ length: 200 }, (_, seed) => planPhoto(W, H, { seed }).params).map((p) => Math.hypot(p.tiltXDeg, p.tiltYDeg));
    expect(Math.max(...tilts)).toBeGreaterThan(15);
  });

  it('renders exactly the planned photo', async () => {
    const photo = await simulatePhoto(await markerDocument(3), { seed: 12 });
    const plan = planPhoto(W, H, { seed: 12 });
    expect([photo.width, photo.height, photo.homography, photo.params]).toEqual([plan.width, plan.height, plan.homography, plan.params]);
  });

  it('is deterministic for a seed and differs between seeds', async () => {
    const doc = await markerDocument(3);
    const [a, b, c] = await Promise.all([simulatePhoto(doc, { seed: 5 }), simulatePhoto(doc, { seed: 5 }), simulatePhoto(doc, { seed: 6 })]);
    expect(sha256(a.image)).toBe(sha256(b.image));
    expect(a.homography).toEqual(b.homography);
    expect(c.homography).not.toEqual(a.homography);
  });

  it('puts the table, not the scanner background, round the corners of a card', async () => {
    // A light card whose rounded corners were captured against a black scanner lid.
    const r = 60;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="${W}" height="${H}" fill="#000"/><rect width="${W}" height="${H}" rx="${r}" fill="#e8e8e8"/></svg>`;
    const card = await sharp(Buffer.from(svg)).removeAlpha().png().toBuffer();
    const plain = await simulatePhoto(card, { seed: 9, background: 'light-wood' });
    const rounded = await simulatePhoto(card, { seed: 9, background: 'light-wood', cornerRadiusPx: r });
    const grey = async (img: Buffer) => (await sharp(img).greyscale().raw().toBuffer());
    const [a, b] = await Promise.all([grey(plain.image), grey(rounded.image)]);
    // Just inside the document's corner, on the diagonal: lid in one, table in the other.
    const [u, v] = applyHomography(plain.homography, 6, 6).map(Math.round) as [number, number];
    expect(a[v * plain.width + u]!).toBeLessThan(60);
    expect(b[v * rounded.width + u]!).toBeGreaterThan(90);
  });
});

import { differenceScore, type DifferenceParams } from './difference';
import { LIGHT_PROFILES } from './normalise';
import { gaussianBlur, makePlane, type Plane } from './planes';

const W = 300;
const H = 200;
const PARAMS: DifferenceParams = { levels: 3, preBlur: 0.8, envelopeRadius: 1, poolBlur: 1 };

/** Grey document-like content: fine guilloche lines, text strokes, a photo-like gradient block. */
function content(shiftX = 0, shiftY = 0): Plane {
  const d = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const u = x - shiftX;
      const v = y - shiftY;
      let val = 215 + 25 * Math.sin(u / 3.1 + 4 * Math.sin(v / 17));
      if (v > 30 && v < 44 && u > 40 && u < 200 && Math.floor(u / 6) % 2 === 0 && (u % 6 < 2 || (v - 30) % 7 < 2)) val = 25;
      if (u > 220 && u < 280 && v > 60 && v < 150) val = 60 + (u - 220) * 2 + Math.sin(v / 4) * 20;
      d[y * W + x] = val;
    }
  }
  return makePlane(W, H, d);
}

const valid = () => new Uint8Array(W * H).fill(255);
const scoreMax = (s: Plane, x0 = 0, y0 = 0, x1 = W, y1 = H) => {
  let m = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m = Math.max(m, s.data[y * W + x]!);
  return m;
};

describe('differenceScore', () => {
  it('scores identical images zero everywhere', async () => {
    const a = content();
    const out = await differenceScore([a], [a], valid(), LIGHT_PROFILES.ir, null, PARAMS);
    expect(scoreMax(out.score)).toBeLessThan(0.01);
    expect(out.levels).toHaveLength(3);
  });

  it('tolerates a one-pixel misalignment and resampling blur', async () => {
    const a = content();
    const shifted = gaussianBlur(content(1, 1), 0.6);
    // Half a pixel to the right, resampled bilinearly.
    const next = content(1, 0);
    const subpixel = makePlane(W, H, Float32Array.from(a.data, (v, i) => (v + next.data[i]!) / 2));
    for (const q of [shifted, subpixel]) {
      const out = await differenceScore([a], [q], valid(), LIGHT_PROFILES.ir, null, PARAMS);
      expect(scoreMax(out.score, 4, 4, W - 4, H - 4)).toBeLessThan(0.5);
    }
  });

  it('flags a planted change and nothing far from it', async () => {
    const a = content();
    const q = makePlane(W, H, new Float32Array(a.data));
    // An extra stroke drawn on the paper between the text and the photo.
    for (let y = 100; y < 112; y++) for (let x = 90; x < 150; x++) q.data[y * W + x] = 40;
    const out = await differenceScore([a], [q], valid(), LIGHT_PROFILES.ir, null, PARAMS);
    expect(scoreMax(out.score, 95, 102, 145, 110)).toBeGreaterThan(0.9);
    expect(scoreMax(out.score, 0, 0, W, 80)).toBeLessThan(0.2);
    expect(scoreMax(out.score, 200, 0, W, H)).toBeLessThan(0.2);
  });

  it('sees colour changes in opponent channels, weighted by profile', async () => {
    const a = content();
    const r = [a, a, a];
    // Same luminance, different hue in a block: invisible to a grey comparison.
    const red = makePlane(W, H, new Float32Array(a.data));
    const blue = makePlane(W, H, new Float32Array(a.data));
    for (let y = 150; y < 180; y++) {
      for (let x = 20; x < 80; x++) {
        red.data[y * W + x] = a.data[y * W + x]! + 40;
        blue.data[y * W + x] = a.data[y * W + x]! - 40;
      }
    }
    const q = [red, a, blue];
    const grey = await differenceScore(r, q, valid(), LIGHT_PROFILES.ir, null, PARAMS);
    const colour = await differenceScore(r, q, valid(), LIGHT_PROFILES.white, null, PARAMS);
    expect(scoreMax(grey.score, 25, 155, 75, 175)).toBeLessThan(0.2);
    expect(scoreMax(colour.score, 25, 155, 75, 175)).toBeGreaterThan(0.5);
  });

  it('scores nothing where pixels are not valid', async () => {
    const a = content();
    const q = makePlane(W, H, new Float32Array(W * H));
    const mask = valid();
    for (let i = 0; i < W * H; i++) if (i % W >= W / 2) mask[i] = 0;
    const out = await differenceScore([a], [q], mask, LIGHT_PROFILES.ir, null, PARAMS);
    expect(scoreMax(out.score, W / 2, 0, W, H)).toBe(0);
  });
});

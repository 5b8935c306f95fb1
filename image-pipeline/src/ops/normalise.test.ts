import { fitToneTransform, illuminationField, lightProfileFor, matchSharpness, LIGHT_PROFILES, normaliseToReference } from './normalise';
import { gaussianBlur, makePlane, type Plane } from './planes';

const W = 240;
const H = 160;

/** Paper with dark text-like strokes and a few mid-grey blocks: what a document page looks like to these statistics. */
function page(seed = 1): Plane {
  const d = new Float32Array(W * H).fill(225);
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let k = 0; k < 160; k++) {
    const x0 = Math.floor(rnd() * (W - 20));
    const y0 = Math.floor(rnd() * (H - 8));
    const len = 4 + Math.floor(rnd() * 14);
    const v = rnd() < 0.5 ? 30 : 110;
    for (let x = x0; x < x0 + len; x++) for (let y = y0; y < y0 + 2; y++) d[y * W + x] = v;
  }
  for (let k = 0; k < 6; k++) {
    const x0 = Math.floor(rnd() * (W - 30));
    const y0 = Math.floor(rnd() * (H - 20));
    for (let y = y0; y < y0 + 18; y++) for (let x = x0; x < x0 + 28; x++) d[y * W + x] = 150 + 10 * k;
  }
  return makePlane(W, H, d);
}

const allValid = () => new Uint8Array(W * H).fill(255);
const map = (p: Plane, f: (v: number, x: number, y: number) => number) =>
  makePlane(p.width, p.height, Float32Array.from(p.data, (v, i) => f(v, i % p.width, Math.floor(i / p.width))));
const meanAbs = (a: Plane, b: Plane) => a.data.reduce((s, v, i) => s + Math.abs(v - b.data[i]!), 0) / a.data.length;

describe('lightProfileFor', () => {
  it('groups the vocabulary by band and mode', () => {
    expect(lightProfileFor('white')).toBe('white');
    expect(lightProfileFor('coaxial')).toBe('white');
    expect(lightProfileFor('white-transmitted')).toBe('white');
    expect(lightProfileFor('uv-365')).toBe('uv');
    expect(lightProfileFor('uv-254')).toBe('uv');
    expect(lightProfileFor('ir-870')).toBe('ir');
    expect(lightProfileFor('ir-luminescence')).toBe('other');
    expect(lightProfileFor('ovd')).toBe('other');
    expect(lightProfileFor('anti-stokes')).toBe('other');
    expect(lightProfileFor('sunlight')).toBeUndefined();
  });
});

describe('fitToneTransform', () => {
  it('undoes exposure, contrast and gamma of a grey image', async () => {
    const r = page();
    const q = map(r, (v) => 255 * Math.pow(v / 255, 1.4) * 0.8 + 12);
    expect(meanAbs(q, r)).toBeGreaterThan(20);
    const fit = await fitToneTransform([r], [q], allValid());
    expect(meanAbs(fit.planes[0]!, r)).toBeLessThan(1.5);
  });

  it('is not bent by content that differs', async () => {
    const r = page();
    // The questioned image is the reference, darker, with a fifth of it replaced by something else entirely.
    const q = map(r, (v, x) => (x < W / 5 ? 60 : v * 0.85 + 5));
    const fit = await fitToneTransform([r], [q], allValid());
    const out = fit.planes[0]!;
    let err = 0;
    let n = 0;
    for (let i = 0; i < out.data.length; i++) {
      if (i % W < W / 5 + 3) continue;
      err += Math.abs(out.data[i]! - r.data[i]!);
      n++;
    }
    expect(err / n).toBeLessThan(1.5);
  });
});

describe('illuminationField', () => {
  it('recovers uneven lighting, unmoved by a large altered patch', async () => {
    const r = page();
    const light = (x: number, y: number) => 0.55 + 0.35 * (x / W) + 0.15 * Math.cos((3 * y) / H);
    const q = map(r, (v, x, y) => {
      // A patch much darker than the reference that the field must not follow.
      const patch = x > 150 && x < 200 && y > 40 && y < 100;
      return (patch ? v * 0.3 : v) * light(x, y);
    });
    const gain = await illuminationField(q, r, allValid(), 10);
    let worst = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const patchNear = x > 140 && x < 210 && y > 30 && y < 110;
        if (patchNear) continue;
        const truth = 1 / light(x, y);
        worst = Math.max(worst, Math.abs(gain.data[y * W + x]! / truth - 1));
      }
    }
    expect(worst).toBeLessThan(0.05);
    // Inside the patch the gain stays that of the lighting (about 1/0.87), not the patch's 1/0.26.
    expect(gain.data[70 * W + 175]!).toBeLessThan(1.5);
  });
});

describe('matchSharpness', () => {
  it('finds which image is sharper and by about how much', async () => {
    const r = page();
    const q = gaussianBlur(map(r, (v) => 0.9 * v + 10), 1.25);
    const m = await matchSharpness(r, q, allValid());
    expect(m.blurred).toBe('reference');
    expect(m.sigma).toBeGreaterThanOrEqual(0.8);
    expect(m.sigma).toBeLessThanOrEqual(1.8);
    const back = await matchSharpness(q, r, allValid());
    expect(back.blurred).toBe('questioned');
    expect(await matchSharpness(r, r, allValid())).toEqual({ blurred: 'none', sigma: 0 });
  });

  it('does not mistake a one-pixel shift for blur', async () => {
    const r = page();
    const q = map(r, (_v, x, y) => r.data[y * W + Math.max(0, x - 1)]!);
    expect((await matchSharpness(r, q, allValid())).sigma).toBeLessThanOrEqual(0.4);
  });
});

describe('fitToneTransform (colour)', () => {
  it('undoes a cross-channel colour transform that per-channel curves cannot', async () => {
    const base = page();
    const g = page(7);
    const r = [base, map(base, (v, x) => 0.5 * v + 0.5 * g.data[x]!), map(g, (v) => 0.8 * v + 30)];
    const q = [0, 1, 2].map((c) =>
      map(base, (_v, x, y) => {
        const i = y * W + x;
        const [a, b, d] = [r[0]!.data[i]!, r[1]!.data[i]!, r[2]!.data[i]!];
        const mixed = [0.7 * a + 0.25 * b + 0.05 * d, 0.15 * a + 0.7 * b + 0.15 * d, 0.05 * a + 0.3 * b + 0.65 * d][c]!;
        return mixed * 0.9 + 10;
      }),
    );
    const before = (meanAbs(q[0]!, r[0]!) + meanAbs(q[1]!, r[1]!) + meanAbs(q[2]!, r[2]!)) / 3;
    const fit = await fitToneTransform(r, q, allValid());
    const after = (meanAbs(fit.planes[0]!, r[0]!) + meanAbs(fit.planes[1]!, r[1]!) + meanAbs(fit.planes[2]!, r[2]!)) / 3;
    expect(before).toBeGreaterThan(8);
    expect(after).toBeLessThan(1.5);
  });
});

describe('normaliseToReference', () => {
  it('keeps UV colour ratios: one common gain, no per-channel matching', async () => {
    const r = page();
    // A UV capture: dark, with one channel fluorescing; the questioned one exposed 1.6× longer.
    const ref = [map(r, (v) => v * 0.1), map(r, (v) => v * 0.1), map(r, (v) => v * 0.5)];
    const q = ref.map((p) => map(p, (v) => v * 1.6));
    const out = await normaliseToReference(ref, q, { valid: allValid(), learn: allValid() }, LIGHT_PROFILES.uv, { illuminationTile: 10, transferMinGain: 0.3 });
    expect(out.stats.tone.model).toBe('gain');
    for (let c = 0; c < 3; c++) expect(meanAbs(out.questioned[c]!, ref[c]!)).toBeLessThan(1);
    // A questioned image whose blue fluorescence is missing stays different after normalisation.
    const dull = [ref[0]!, ref[1]!, map(r, (v) => v * 0.1)];
    const out2 = await normaliseToReference(ref, dull, { valid: allValid(), learn: allValid() }, LIGHT_PROFILES.uv, { illuminationTile: 10, transferMinGain: 0.3 });
    expect(meanAbs(out2.questioned[2]!, ref[2]!)).toBeGreaterThan(20);
  });
});

import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { validate, validateSpecimenCreate } from '@exemplar/specimens-schema';
import { pointInPolygon, type Polygon } from './geometry';
import { demoLibraryPlan, renderDemoSpecimen, toCaptureCreate, type DemoSpecimen } from './library';
import { SYNTH_LIGHTS, type SynthLight } from './light';
import { checkMrzLines } from '../mrz/correct';

// Module-local Math: under jest's sandbox a global lookup in a per-pixel loop costs ~1 µs.
const Math = globalThis.Math;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function maskOf(polygons: Polygon[], width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (const poly of polygons) {
    const xs = poly.map((p) => p[0]);
    const ys = poly.map((p) => p[1]);
    const [x0, x1] = [Math.max(0, Math.floor(Math.min(...xs))), Math.min(width, Math.ceil(Math.max(...xs)) + 1)];
    const [y0, y1] = [Math.max(0, Math.floor(Math.min(...ys))), Math.min(height, Math.ceil(Math.max(...ys)) + 1)];
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        if (!mask[y * width + x] && pointInPolygon(x, y, poly)) mask[y * width + x] = 1;
      }
    }
  }
  return mask;
}

interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

async function decode(img: Buffer): Promise<RawImage> {
  const { channels } = await sharp(img).metadata();
  const { data, info } = await (channels === 1 ? sharp(img).extractChannel(0) : sharp(img).toColourspace('srgb')).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** Largest per-channel absolute difference of two images of the same size, per pixel. */
function differenceMap(x: RawImage, y: RawImage): { diff: Uint8Array; width: number; height: number } {
  expect([y.width, y.height, y.channels]).toEqual([x.width, x.height, x.channels]);
  const { width, height, channels } = x;
  // Views made here: element access on the addon's Buffers from jest's sandbox is very slow.
  const a = new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.length);
  const b = new Uint8Array(y.data.buffer, y.data.byteOffset, y.data.length);
  const diff = new Uint8Array(width * height);
  for (let i = 0; i < width * height; i++) {
    let d = 0;
    for (let c = 0; c < channels; c++) {
      const v = a[i * channels + c]! - b[i * channels + c]!;
      d = Math.max(d, v < 0 ? -v : v);
    }
    diff[i] = d;
  }
  return { diff, width, height };
}

/** Share of the pixels selected by `mask` (or by its complement) that differ by more than `threshold`. */
function changedShare(d: { diff: Uint8Array }, mask: Uint8Array, inside: boolean, threshold: number): number {
  let n = 0;
  let changed = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!!mask[i] !== inside) continue;
    n++;
    if (d.diff[i]! > threshold) changed++;
  }
  return n === 0 ? 0 : changed / n;
}

// Two captures of the same print differ only by sensor noise, paper mottling and rounding:
// differences beyond this are print, not noise.
const PRINT = 30;

describe('demo library', () => {
  const plans = demoLibraryPlan();
  const byKey = new Map(plans.map((p) => [p.key, p]));

  it('plans schema-valid specimen records; every fraud imitates a genuine specimen planned before it', () => {
    expect(new Set(plans.map((p) => p.key)).size).toBe(plans.length);
    for (const [i, plan] of plans.entries()) {
      const check = validateSpecimenCreate(plan.specimen);
      expect({ key: plan.key, errors: check.ok ? [] : check.errors }).toEqual({ key: plan.key, errors: [] });
      expect(plan.specimen.tags).toContain('demo');
      if (plan.isFraud) {
        const target = plans.findIndex((p) => p.key === plan.specimen.imitates);
        expect(target).toBeGreaterThanOrEqual(0);
        expect(target).toBeLessThan(i);
        expect(plans[target]!.specimen.status).toBe('genuine');
      }
    }
    const statuses = new Set(plans.map((p) => p.specimen.status));
    expect([...statuses].sort()).toEqual(['counterfeit', 'forgery', 'genuine']);
    expect(new Set(plans.map((p) => p.specimen.documentCategory))).toEqual(new Set(['passport', 'id-card', 'residence-permit']));
  });

  describe('rendered passports', () => {
    const keys = [
      'uto-passport-2019-a',
      'uto-passport-2019-b',
      'uto-passport-2019-photo-substitution',
      'uto-passport-2019-altered-birth-date',
      'uto-passport-2019-missing-uv-emblem',
      'uto-passport-2019-wrong-font',
      'uto-passport-2019-wrong-guilloche',
    ];
    const rendered = new Map<string, DemoSpecimen>();
    const pixels = new Map<string, RawImage>();
    const raw = (key: string, light: SynthLight) => pixels.get(`${key}|${light}`)!;

    beforeAll(async () => {
      // PNG: the comparisons below must see print differences, not JPEG artefacts.
      for (const key of keys) {
        const s = await renderDemoSpecimen(byKey.get(key)!, { format: 'png' });
        rendered.set(key, s);
        for (const light of SYNTH_LIGHTS) pixels.set(`${key}|${light}`, await decode(s.captures[0]!.images[light]));
      }
    }, 600_000);

    const genuine = () => rendered.get('uto-passport-2019-a')!;

    it('gives each capture three images of one size and schema-valid capture metadata', () => {
      for (const s of rendered.values()) {
        const check = validate('capture-create', toCaptureCreate(s.captures[0]!));
        expect(check.ok ? [] : check.errors).toEqual([]);
        expect(Object.keys(s.captures[0]!.images).sort()).toEqual([...SYNTH_LIGHTS].sort());
        expect(s.captures[0]).toMatchObject({ page: 'data-page', dpi: 400, width: 1969, height: 1386, format: 'png' });
      }
    });

    it.each([
      'uto-passport-2019-photo-substitution',
      'uto-passport-2019-altered-birth-date',
      'uto-passport-2019-missing-uv-emblem',
      'uto-passport-2019-wrong-font',
      'uto-passport-2019-wrong-guilloche',
    ])('%s differs from the genuine inside its altered regions and nowhere else', (key) => {
      const fraud = rendered.get(key)!;
      const regions = fraud.groundTruth!.alteredRegions;
      expect(regions.length).toBeGreaterThan(0);
      for (const light of SYNTH_LIGHTS) {
        const d = differenceMap(raw('uto-passport-2019-a', light), raw(key, light));
        const here = regions.filter((r) => r.lightSource === light);
        for (const r of here) {
          expect({ light, label: r.label, share: changedShare(d, maskOf([r.polygon], d.width, d.height), true, PRINT) > 0.03 }).toEqual({ light, label: r.label, share: true });
        }
        const outside = changedShare(d, maskOf(here.map((r) => r.polygon), d.width, d.height), false, PRINT);
        expect({ light, outside: outside < 2e-4 }).toEqual({ light, outside: true });
      }
    });

    it('has a second genuine holder that differs from the first only in personalised zones', () => {
      const other = rendered.get('uto-passport-2019-b')!;
      const personalised = genuine().captures[0]!.zones.filter((z) => z.personalised);
      for (const light of SYNTH_LIGHTS) {
        const d = differenceMap(raw('uto-passport-2019-a', light), raw('uto-passport-2019-b', light));
        const mask = maskOf(personalised.map((z) => z.polygon), d.width, d.height);
        expect({ light, outside: changedShare(d, mask, false, PRINT) < 2e-4 }).toEqual({ light, outside: true });
        if (light !== 'uv-365') expect(changedShare(d, mask, true, PRINT)).toBeGreaterThan(0.03);
      }
      expect(checkMrzLines(other.captures[0]!.mrz)?.valid).toBe(true);
      expect(other.groundTruth).toBeUndefined();
    });

    it('renders the same bytes for the same seed, and other fibres and noise for another seed', async () => {
      const plan = byKey.get('uto-passport-2019-missing-uv-emblem')!;
      const again = await renderDemoSpecimen(plan, { format: 'png' });
      const first = rendered.get(plan.key)!;
      for (const light of SYNTH_LIGHTS) expect(sha256(again.captures[0]!.images[light])).toBe(sha256(first.captures[0]!.images[light]));
      const reseeded = demoLibraryPlan({ seed: 2 }).find((p) => p.key === plan.key)!;
      const other = await renderDemoSpecimen(reseeded, { format: 'png', seed: 2 });
      const uv: SynthLight = 'uv-365';
      expect(sha256(other.captures[0]!.images[uv])).not.toBe(sha256(first.captures[0]!.images[uv]));
    });
  });
});

import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { validate } from '@exemplar/specimens-schema';
import { composeScene } from './compose';
import { UTOPIA_ID_CARD_2021_BACK, UTOPIA_ID_CARD_2021_FRONT, UTOPIA_PASSPORT_2019, UTOPIA_RESIDENCE_PERMIT_2020_FRONT, type DocumentDesign } from './designs';
import { pointInPolygon, type Polygon } from './geometry';
import { HOLDERS } from './holders';
import { checkMrzLines } from '../mrz/correct';
import { renderDocument } from './render';
import type { SynthFeatureZone } from './scene';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Grey levels of an encoded image (luminance for colour images). */
async function greyPixels(image: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(image).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** 1 where a pixel centre lies inside any of the polygons. */
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

/** Values of the pixels whose centre lies inside `keep` and outside every polygon of `exclude`. */
function sample(img: { data: Buffer; width: number; height: number }, keep: Polygon, exclude: Polygon[] = [], step = 2): number[] {
  const inside = maskOf([keep], img.width, img.height);
  const excluded = maskOf(exclude, img.width, img.height);
  const out: number[] = [];
  for (let y = 0; y < img.height; y += step) {
    for (let x = 0; x < img.width; x += step) {
      const i = y * img.width + x;
      if (inside[i] && !excluded[i]) out.push(img.data[i]!);
    }
  }
  return out;
}

const percentile = (v: number[], p: number) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor((p / 100) * v.length))]!;
const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
const stdev = (v: number[]) => {
  const m = mean(v);
  return Math.sqrt(v.reduce((s, x) => s + (x - m) * (x - m), 0) / v.length);
};
const zone = (zones: SynthFeatureZone[], id: string) => {
  const z = zones.find((x) => x.id === id);
  if (!z) throw new Error(`no zone ${id}`);
  return z;
};

describe('renderDocument', () => {
  const holder = HOLDERS.passportA;

  it('is deterministic: the same inputs give byte-identical images, another noise seed does not', async () => {
    const a = await renderDocument(UTOPIA_PASSPORT_2019, holder, 'white', { noiseSeed: 7 });
    const b = await renderDocument(UTOPIA_PASSPORT_2019, holder, 'white', { noiseSeed: 7 });
    const c = await renderDocument(UTOPIA_PASSPORT_2019, holder, 'white', { noiseSeed: 8 });
    expect(sha256(a.image)).toBe(sha256(b.image));
    expect(sha256(c.image)).not.toBe(sha256(a.image));
  });

  it.each([
    ['passport data page', UTOPIA_PASSPORT_2019, 1969, 1386],
    ['ID card front', UTOPIA_ID_CARD_2021_FRONT, 1685, 1063],
    ['ID card back', UTOPIA_ID_CARD_2021_BACK, 1685, 1063],
  ] as Array<[string, DocumentDesign, number, number]>)('renders the %s at its physical size and resolution', async (_name, design, width, height) => {
    for (const light of ['white', 'ir-870'] as const) {
      const r = await renderDocument(design, HOLDERS.idCard, light, { format: light === 'white' ? 'png' : 'jpeg' });
      const meta = await sharp(r.image).metadata();
      expect([meta.width, meta.height, r.width, r.height]).toEqual([width, height, width, height]);
      expect(meta.format).toBe(light === 'white' ? 'png' : 'jpeg');
      expect(meta.channels).toBe(light === 'white' ? 3 : 1);
    }
  });

  it('places every zone inside the image, with schema-valid fields and unique ids', () => {
    for (const design of [UTOPIA_PASSPORT_2019, UTOPIA_ID_CARD_2021_FRONT, UTOPIA_ID_CARD_2021_BACK, UTOPIA_RESIDENCE_PERMIT_2020_FRONT]) {
      const scene = composeScene(design, HOLDERS.passportA);
      const ids = scene.zones.map((z) => z.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const z of scene.zones) {
        const check = validate('feature-zone', z);
        expect(check.ok ? [] : check.errors).toEqual([]);
        for (const [x, y] of z.polygon) {
          expect(x).toBeGreaterThanOrEqual(0);
          expect(y).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThanOrEqual(scene.width);
          expect(y).toBeLessThanOrEqual(scene.height);
        }
      }
      const types = new Set(scene.zones.map((z) => z.type));
      for (const t of ['guilloche', 'rainbow-printing', 'microprint', 'uv-fibres', 'uv-dull-substrate', 'ir-absorbing-ink'] as const) expect(types).toContain(t);
      if (design.photo) for (const t of ['photo', 'ghost-image', 'name', 'signature', 'uv-fluorescent-ink'] as const) expect(types).toContain(t);
      if (design.mrz) expect(types).toContain('mrz');
    }
  });

  it('prints an MRZ whose check digits are valid and that matches the holder', () => {
    const td3Lines = composeScene(UTOPIA_PASSPORT_2019, holder).mrz;
    expect(checkMrzLines(td3Lines)).toMatchObject({ format: 'TD3', valid: true });
    expect(td3Lines[0]!.slice(2, 5)).toBe('UTO');
    expect(td3Lines[0]!.slice(5).startsWith('LINDQVIST<<')).toBe(true);
    expect(td3Lines[1]!.slice(0, 9).replace(/</g, '')).toBe(holder.documentNumber);
    expect(td3Lines[1]!.slice(13, 19)).toBe('870314');
    const td1Lines = composeScene(UTOPIA_ID_CARD_2021_BACK, HOLDERS.idCard).mrz;
    expect(checkMrzLines(td1Lines)).toMatchObject({ format: 'TD1', valid: true });
    expect(td1Lines[0]!.slice(0, 2)).toBe('ID');
    expect(td1Lines[0]!.slice(5, 14).replace(/</g, '')).toBe(HOLDERS.idCard.documentNumber);
  });

  it('leaves the check digits of an altered MRZ unchanged, so the alteration is detectable', () => {
    const scene = composeScene(UTOPIA_PASSPORT_2019, holder, { alterFields: { dateOfBirth: '1984-03-14' } });
    expect(scene.mrz[1]!.slice(13, 19)).toBe('840314');
    const reading = checkMrzLines(scene.mrz)!;
    expect(reading.valid).toBe(false);
    expect(reading.checks.filter((c) => !c.valid).map((c) => c.name).sort()).toEqual(['birthDate', 'composite']);
  });

  it('shows a dark UV image in which the fluorescent features glow', async () => {
    const r = await renderDocument(UTOPIA_PASSPORT_2019, holder, 'uv-365', { format: 'png' });
    const img = await greyPixels(r.image);
    const page = r.zones.find((z) => z.type === 'uv-dull-substrate')!.polygon;
    expect(percentile(sample(img, page, [], 4), 50)).toBeLessThan(60);
    const emblem = sample(img, zone(r.zones, 'zone-uv-emblem').polygon);
    expect(percentile(emblem, 97)).toBeGreaterThan(160);
    expect(emblem.filter((v) => v > 140).length / emblem.length).toBeGreaterThan(0.05);
    const ghost = sample(img, zone(r.zones, 'zone-ghost-image').polygon);
    expect(percentile(ghost, 50)).toBeGreaterThan(100);
    // Below the rainbow print there is only paper and the odd fibre.
    const mrz = sample(img, zone(r.zones, 'zone-mrz').polygon);
    expect(percentile(mrz, 90)).toBeLessThan(60);
  });

  it('keeps only the IR-absorbing inks under IR: background print vanishes, personal data and MRZ stay dark', async () => {
    const [ir, white] = await Promise.all(['ir-870', 'white'].map((l) => renderDocument(UTOPIA_PASSPORT_2019, holder, l as 'ir-870' | 'white', { format: 'png' })));
    const irImg = await greyPixels(ir!.image);
    const whiteImg = await greyPixels(white!.image);
    // Rosette and rainbow background, away from anything printed with carbon.
    const dark = ir!.zones.filter((z) => z.personalised || z.lightSources.includes('ir-870')).map((z) => z.polygon);
    // Share of pixels clearly darker than the paper around them: printed lines.
    const inked = (v: number[]) => {
      const paper = percentile(v, 50);
      return v.filter((x) => x < paper - 30).length / v.length;
    };
    const rosette = zone(ir!.zones, 'zone-guilloche-1').polygon;
    expect(inked(sample(irImg, rosette, dark))).toBeLessThan(0.002);
    expect(inked(sample(whiteImg, rosette, dark))).toBeGreaterThan(0.05);
    expect(stdev(sample(irImg, rosette, dark))).toBeLessThan(5);
    const rainbow = zone(ir!.zones, 'zone-rainbow-printing').polygon;
    expect(inked(sample(irImg, rainbow, dark, 3))).toBeLessThan(0.005);
    expect(inked(sample(whiteImg, rainbow, dark, 3))).toBeGreaterThan(0.02);
    const mrz = sample(irImg, zone(ir!.zones, 'zone-mrz').polygon);
    expect(percentile(mrz, 2)).toBeLessThan(60);
    expect(mrz.filter((v) => v < 100).length / mrz.length).toBeGreaterThan(0.08);
    const star = sample(irImg, zone(ir!.zones, 'zone-arms-ir-star').polygon, [], 1);
    expect(percentile(star, 10)).toBeLessThan(100);
  });
});

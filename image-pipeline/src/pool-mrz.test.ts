/**
 * Which light a capture comparison reads the questioned MRZ under, through
 * the pool with real worker threads (the compiled worker in dist/: run
 * `npx tsc -b image-pipeline` first) on rendered documents whose MRZ is set
 * in OCR-B.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createPipelinePool } from './pool';
import { UTOPIA_PASSPORT_2019 } from './synth/designs';
import { HOLDERS } from './synth/holders';
import { simulatePhoto } from './synth/photo';
import { renderDocument } from './synth/render';

jest.setTimeout(300_000);

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exemplar-pool-mrz-'));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const centre = (poly: readonly (readonly [number, number])[]) => [poly.reduce((s, p) => s + p[0], 0) / poly.length, poly.reduce((s, p) => s + p[1], 0) / poly.length] as const;
const inside = ([x, y]: readonly [number, number], b: { x: number; y: number; width: number; height: number }) => x > b.x && x < b.x + b.width && y > b.y && y < b.y + b.height;

test('without white light, the MRZ is read under infrared, not under the anchor light, and its findings say so', async () => {
  const design = { ...UTOPIA_PASSPORT_2019, dpi: 240 };
  // Retyped in laser toner, which absorbs IR like the original print: the altered year reads under IR too.
  const altered = { alterFields: { dateOfBirth: '1984-03-14' }, alterInk: 'toner' as const };
  // The renderer draws white, UV and IR. Its white image stands in for a coaxial one (visible reflected light, the
  // anchor here), and the reference marks no MRZ under it; the IR image carries the MRZ.
  const files: Record<'reference' | 'questioned', Record<string, string>> = { reference: {}, questioned: {} };
  let zones: Awaited<ReturnType<typeof renderDocument>>['zones'] = [];
  let overtyped: readonly (readonly [number, number])[] = [];
  for (const [light, rendered] of [['coaxial', 'white'], ['ir-870', 'ir-870']] as const) {
    const r = await renderDocument(design, HOLDERS.passportA, rendered, { format: 'png', noiseSeed: 1 });
    const q = await renderDocument(design, HOLDERS.passportA, rendered, { format: 'png', noiseSeed: 2, variant: altered });
    // One hand-held sitting: the document does not move between lights (same seed, same perspective).
    const shot = await simulatePhoto(q.image, { seed: 9, maxTiltDeg: 8, maxRotationDeg: 5, scale: [0.9, 1.0] });
    files.reference[light] = path.join(dir, `r-${light}.png`);
    files.questioned[light] = path.join(dir, `q-${light}.jpg`);
    await fs.writeFile(files.reference[light]!, r.image);
    await fs.writeFile(files.questioned[light]!, shot.image);
    if (rendered === 'ir-870') {
      zones = r.zones;
      overtyped = q.altered.find((a) => a.lightSource === 'ir-870' && a.label.startsWith('MRZ characters overtyped'))!.polygon;
    }
  }
  const mrzZone = zones.find((z) => z.type === 'mrz')!;
  expect(mrzZone.lightSources).not.toContain('coaxial');

  const pool = createPipelinePool({ threads: 2, maxQueue: 4, taskTimeoutMs: 300_000 });
  try {
    const result = await pool.compareCapture({ reference: { images: files.reference, zones }, questioned: { images: files.questioned } });
    expect(result.anchorLight).toBe('coaxial');
    const coaxial = result.lights.find((l) => l.lightSource === 'coaxial')!;
    const ir = result.lights.find((l) => l.lightSource === 'ir-870')!;
    expect(coaxial.findings).toEqual([]);
    expect(coaxial.stats.mrz).toEqual([]);
    expect(ir.stats.mrz).toEqual([expect.objectContaining({ zoneId: 'zone-mrz', lightSource: 'ir-870', found: true, checkDigitsValid: false })]);
    const failed = ir.findings.find((f) => f.kind === 'mrz-check-failed');
    expect(failed).toMatchObject({ fields: ['birthDate', 'composite'], lightSource: 'ir-870' });
    expect(failed!.checks![0]).toEqual({ field: 'birthDate', data: '840314', printed: '5', expected: 6, position: [1, 19] });
    // Read on the IR photo, placed through the IR light's homography into the reference frame: inside the MRZ zone, over the overtyped year.
    const xs = mrzZone.polygon.map((p) => p[0]);
    const ys = mrzZone.polygon.map((p) => p[1]);
    const zoneBox = { x: Math.min(...xs), y: Math.min(...ys), width: Math.max(...xs) - Math.min(...xs), height: Math.max(...ys) - Math.min(...ys) };
    expect(inside([failed!.box.x + failed!.box.width / 2, failed!.box.y + failed!.box.height / 2], zoneBox)).toBe(true);
    expect(inside(centre(overtyped), failed!.box)).toBe(true);
  } finally {
    await pool.close();
  }
});

import { existsSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { readMrzFromFile } from '../mrz/read-file';
import { UTOPIA_PASSPORT_2019 } from '../synth/designs';
import { addGlare } from '../synth/glare';
import { HOLDERS } from '../synth/holders';
import { renderDocument } from '../synth/render';
import { compareImages } from './compare';
import { chooseMrzLight, mrzFindings, mrzReadingFindings } from './mrz-findings';
import type { RegionBox } from './regions';
import type { ComparisonZone } from './zone-verdicts';
import type { PixelImage } from './warp';

jest.setTimeout(180_000);

const BENCH = path.resolve(__dirname, '../../../../shared/benchdata');
/** ../shared is not part of a clone: the test on its specimen is skipped without it. */
const withBenchdata = existsSync(BENCH) ? it : it.skip;
const design = { ...UTOPIA_PASSPORT_2019, dpi: 200 };
/** The demo fraud: year of birth 1987 → 1984 in the VIZ and overtyped in the MRZ, check digits left as they were. */
const ALTERED = { alterFields: { dateOfBirth: '1984-03-14' } };

async function pixels(png: Buffer): Promise<PixelImage> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 };
}

function zoneBox(polygon: readonly (readonly [number, number])[]): RegionBox {
  const xs = polygon.map((p) => p[0]);
  const ys = polygon.map((p) => p[1]);
  return { x: Math.min(...xs), y: Math.min(...ys), width: Math.max(...xs) - Math.min(...xs), height: Math.max(...ys) - Math.min(...ys) };
}

const centreInside = (b: RegionBox, z: RegionBox, pad: number) =>
  b.x + b.width / 2 >= z.x - pad && b.x + b.width / 2 <= z.x + z.width + pad && b.y + b.height / 2 >= z.y - pad && b.y + b.height / 2 <= z.y + z.height + pad;

describe('mrzFindings', () => {
  it('reports the failing date-of-birth and composite check digits of the demo fraud, boxed inside the MRZ zone', async () => {
    const doc = await renderDocument(design, HOLDERS.passportA, 'white', { format: 'png', noiseSeed: 2, variant: ALTERED });
    const img = await pixels(doc.image);
    const { findings, inspections } = await mrzFindings(img, new Uint8Array(img.width * img.height).fill(255), doc.zones, 'white');
    expect(inspections).toEqual([expect.objectContaining({ zoneId: 'zone-mrz', lightSource: 'white', found: true, format: 'TD3', checkDigitsValid: false })]);
    // Read as printed, not "corrected" back to a valid MRZ: the overtyped year is there.
    expect(inspections[0]!.lines![1]!.slice(13, 19)).toBe('840314');
    const failed = findings.find((f) => f.kind === 'mrz-check-failed');
    expect(failed).toBeDefined();
    expect(failed!.fields).toEqual(['birthDate', 'composite']);
    // TD3 line 2: the date-of-birth check digit is column 19, the composite column 43.
    expect(failed!.characters).toEqual(
      expect.arrayContaining([
        [1, 19],
        [1, 43],
      ]),
    );
    // Each failing digit as printed and as its data give it (840314 → 6: 8·7 + 4·3 + 0 + 3·7 + 1·3 + 4·1 = 96), and the light read under.
    expect(failed!.checks).toEqual([
      { field: 'birthDate', data: '840314', printed: '5', expected: 6, position: [1, 19] },
      { field: 'composite', data: expect.stringContaining('8403145'), printed: '0', expected: expect.any(Number), position: [1, 43] },
    ]);
    expect(failed!.checks![1]!.expected).not.toBe(0);
    expect(failed!.lightSource).toBe('white');
    const mrz = zoneBox(doc.zones.find((z) => z.type === 'mrz')!.polygon);
    expect(centreInside(failed!.box, mrz, 0)).toBe(true);
    // The box covers the date of birth (about 7 of 44 characters), not the whole MRZ.
    expect(failed!.box.width).toBeLessThan(mrz.width / 2);
    for (const f of findings) expect(centreInside(f.box, mrz, 0)).toBe(true);
    // The overtyped year digit stands out of the printer's grid, in the field whose check fails.
    const misaligned = findings.find((f) => f.kind === 'mrz-characters-misaligned');
    expect(misaligned?.characters).toEqual([[1, 14]]);
    expect(misaligned?.characterFields).toEqual(['birthDate']);
  });

  it('reads the MRZ under infrared, where its carbon ink shows; a digit retyped in an ink IR does not see is a blank cell there: not read for sure', async () => {
    const genuine = await renderDocument(design, HOLDERS.passportA, 'ir-870', { format: 'png', noiseSeed: 2 });
    const gImg = await pixels(genuine.image);
    const read = await mrzFindings(gImg, new Uint8Array(gImg.width * gImg.height).fill(255), genuine.zones, 'ir-870');
    expect(read.inspections).toEqual([expect.objectContaining({ zoneId: 'zone-mrz', lightSource: 'ir-870', found: true, checkDigitsValid: true })]);
    expect(read.findings).toEqual([]);

    // The forger's year digit vanishes under IR. Whatever digit a blank cell is "read" as, its check is chance
    // (the original digit would even make it hold): the reading counts as none, not as valid or failed.
    const forged = await renderDocument(design, HOLDERS.passportA, 'ir-870', { format: 'png', noiseSeed: 2, variant: ALTERED });
    const fImg = await pixels(forged.image);
    const { findings, inspections } = await mrzFindings(fImg, new Uint8Array(fImg.width * fImg.height).fill(255), forged.zones, 'ir-870');
    expect(inspections).toEqual([expect.objectContaining({ zoneId: 'zone-mrz', lightSource: 'ir-870', found: false, lines: null })]);
    expect(findings).toEqual([]);
  });

  it('finds nothing on the genuine document, and reads nothing where the questioned image does not cover the zone', async () => {
    const doc = await renderDocument(design, HOLDERS.passportA, 'white', { format: 'png', noiseSeed: 2 });
    const img = await pixels(doc.image);
    const genuine = await mrzFindings(img, new Uint8Array(img.width * img.height).fill(255), doc.zones, 'white');
    expect(genuine.findings).toEqual([]);
    expect(genuine.inspections).toEqual([expect.objectContaining({ found: true, checkDigitsValid: true })]);

    const uncovered = await mrzFindings(img, new Uint8Array(img.width * img.height), doc.zones, 'white');
    expect(uncovered).toEqual({ findings: [], inspections: [expect.objectContaining({ zoneId: 'zone-mrz', found: false, lines: null })] });
    // No MRZ zone under this light (the reference marks where the MRZ is): nothing is read.
    const noZone = await mrzFindings(img, new Uint8Array(img.width * img.height).fill(255), doc.zones, 'uv-365');
    expect(noZone).toEqual({ findings: [], inspections: [] });
  });

  it('does not accuse a genuine MRZ that a glare washes out in part: it was not read for sure', async () => {
    const doc = await renderDocument(design, HOLDERS.passportA, 'white', { format: 'png', noiseSeed: 2 });
    const img = await pixels(doc.image);
    // Light off the laminate over the dates of the second line.
    const mrz = zoneBox(doc.zones.find((z) => z.id === 'zone-mrz')!.polygon);
    addGlare(img, { cx: mrz.x + 0.45 * mrz.width, cy: mrz.y + 0.75 * mrz.height, rx: 0.08 * mrz.width, ry: 0.5 * mrz.height, peak: 330 });
    const glared = await mrzFindings(img, new Uint8Array(img.width * img.height).fill(255), doc.zones, 'white');
    // Read as it stood, the washed-out digits failed their checks: "the MRZ was altered or misprinted".
    expect(glared.findings).toEqual([]);
    expect(glared.inspections).toEqual([expect.objectContaining({ zoneId: 'zone-mrz', found: false })]);
  });

  withBenchdata('does not take the jitter of a genuine printed MRZ for overtyping (a government specimen whose characters sit slightly off the grid)', async () => {
    const read = await readMrzFromFile(path.join(BENCH, 'passporteye-specimens/100_pass-isl.png'));
    expect(read.reading?.checkDigitsValid).toBe(true);
    // The reader does see characters a little out of line on this genuine page …
    expect(read.reading!.misaligned.length).toBeGreaterThan(0);
    // … which alone is no finding.
    expect(mrzReadingFindings(read.reading!, 'zone-mrz', 'white', (x, y) => [x, y], 4000, 4000)).toEqual([]);
  });

  it('is part of a white-light comparison: the altered birth date, a personalised difference only, is also a finding', async () => {
    const small = { ...UTOPIA_PASSPORT_2019, dpi: 150 };
    const ref = await renderDocument(small, HOLDERS.passportA, 'white', { format: 'png', noiseSeed: 1 });
    const q = await renderDocument(small, HOLDERS.passportA, 'white', { format: 'png', noiseSeed: 2, variant: ALTERED });
    const input = { reference: await pixels(ref.image), questioned: await pixels(q.image), homography: [1, 0, 0, 0, 1, 0, 0, 0, 1], lightSource: 'white', zones: ref.zones };
    const result = await compareImages(input);
    expect(result.findings.map((f) => f.kind)).toContain('mrz-check-failed');
    expect(result.stats.mrz).toEqual([expect.objectContaining({ zoneId: 'zone-mrz', found: true, checkDigitsValid: false })]);
    const off = await compareImages({ ...input, readMrz: false });
    expect(off.findings).toEqual([]);
    expect(off.stats.mrz).toEqual([]);
  });

  it('is part of a single-light comparison under IR too, where the reference marks its MRZ zone', async () => {
    const small = { ...UTOPIA_PASSPORT_2019, dpi: 150 };
    const ref = await renderDocument(small, HOLDERS.passportA, 'ir-870', { format: 'png', noiseSeed: 1 });
    const q = await renderDocument(small, HOLDERS.passportA, 'ir-870', { format: 'png', noiseSeed: 2, variant: ALTERED });
    const grey = async (png: Buffer): Promise<PixelImage> => {
      const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
      return { data: new Uint8Array(data), width: info.width, height: info.height, channels: 1 };
    };
    const result = await compareImages({ reference: await grey(ref.image), questioned: await grey(q.image), homography: [1, 0, 0, 0, 1, 0, 0, 0, 1], lightSource: 'ir-870', zones: ref.zones });
    // The retyped digit does not show under IR: no reading for sure, and no check-digit finding either way …
    expect(result.stats.mrz).toEqual([expect.objectContaining({ zoneId: 'zone-mrz', lightSource: 'ir-870', found: false })]);
    expect(result.findings).toEqual([]);
    // … while the genuine capture reads, every check digit valid.
    const genuine = await renderDocument(small, HOLDERS.passportA, 'ir-870', { format: 'png', noiseSeed: 2 });
    const clean = await compareImages({ reference: await grey(ref.image), questioned: await grey(genuine.image), homography: [1, 0, 0, 0, 1, 0, 0, 0, 1], lightSource: 'ir-870', zones: ref.zones });
    expect(clean.stats.mrz).toEqual([expect.objectContaining({ zoneId: 'zone-mrz', lightSource: 'ir-870', found: true, checkDigitsValid: true })]);
  });
});

describe('chooseMrzLight', () => {
  const zone = (lightSources: string[]) => ({ id: 'zone-mrz', type: 'mrz', polygon: [[0, 0], [10, 0], [10, 5], [0, 5]], lightSources, personalised: true }) as unknown as ComparisonZone;
  const mrz = [zone(['white', 'ir-870', 'ir-940', 'ir-720', 'coaxial', 'uv-365'])];

  it('prefers white, then infrared (nearest the band MRZ readers use first), then the anchor light', () => {
    expect(chooseMrzLight(['coaxial', 'ir-870', 'white'], 'coaxial', mrz)).toBe('white');
    expect(chooseMrzLight(['coaxial', 'ir-720', 'ir-870', 'uv-365'], 'coaxial', mrz)).toBe('ir-870');
    expect(chooseMrzLight(['ir-720', 'ir-940'], 'ir-720', mrz)).toBe('ir-940');
    expect(chooseMrzLight(['uv-365', 'coaxial'], 'coaxial', mrz)).toBe('coaxial');
  });

  it('only takes a light the reference marks its MRZ zone under', () => {
    // The zone is not marked under IR 780: the anchor it is.
    expect(chooseMrzLight(['coaxial', 'ir-780'], 'coaxial', mrz)).toBe('coaxial');
    expect(chooseMrzLight(['uv-254', 'ir-780'], 'ir-780', mrz)).toBeUndefined();
    expect(chooseMrzLight(['white', 'ir-870'], 'white', [])).toBeUndefined();
    expect(chooseMrzLight(['white', 'ir-870'], 'white', [{ ...mrz[0]!, type: 'photo' } as ComparisonZone])).toBeUndefined();
  });
});

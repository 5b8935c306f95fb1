/**
 * `exemplar compare` on real image files: decoded by sharp, aligned and
 * compared by OpenCV, outputs written to a temporary folder; run through the
 * program's own `runCli` so that exit codes and error output are those a
 * user sees.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { addGlare } from '@exemplar/image-pipeline';
import sharp from 'sharp';
import { runCli } from './program';

jest.setTimeout(300_000);

const SPECIMENS = path.resolve(__dirname, '../../../../shared/benchdata/passporteye-specimens');
const TD3_PNG = path.join(SPECIMENS, 'passport-td3.png');
const TD3_JPG = path.join(SPECIMENS, 'passport-td3.jpg');
/** ../shared is not part of a clone: every test here compares its images, and is skipped without it. */
const HAVE_BENCHDATA = existsSync(SPECIMENS);

/** `exemplar compare ARGS` through the real `runCli`, stdout and stderr captured. */
async function runCompare(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  const stdout = new PassThrough().on('data', (c: Buffer) => chunks.stdout.push(c));
  const stderr = new PassThrough().on('data', (c: Buffer) => chunks.stderr.push(c));
  const code = await runCli(['node', 'exemplar', 'compare', ...args], { stdout, stderr });
  return { code, stdout: Buffer.concat(chunks.stdout).toString('utf8'), stderr: Buffer.concat(chunks.stderr).toString('utf8') };
}

let tmp: string;
let planted: string;
/** Where the block is planted, in reference (td3.png) pixels. */
const BLOCK = { x: 1050, y: 20, width: 60, height: 40 };
const OFFSET = { x: 37, y: 21 };

beforeAll(async () => {
  if (!HAVE_BENCHDATA) return;
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'exemplar-compare-'));
  // The reference on a larger dark background (as a photo would hold it), re-encoded as JPEG, with a dark block planted on blank paper.
  const buf = await sharp(TD3_PNG)
    .extend({ left: OFFSET.x, top: OFFSET.y, right: 60, bottom: 45, background: '#2a2a2a' })
    .composite([{ input: { create: { width: BLOCK.width, height: BLOCK.height, channels: 3, background: '#202020' } }, left: BLOCK.x + OFFSET.x, top: BLOCK.y + OFFSET.y }])
    .jpeg({ quality: 90 })
    .toBuffer();
  planted = path.join(tmp, 'planted.jpg');
  await fs.writeFile(planted, buf);
});

afterAll(async () => {
  if (!HAVE_BENCHDATA) return;
  await fs.rm(tmp, { recursive: true, force: true });
});

(HAVE_BENCHDATA ? describe : describe.skip)('exemplar compare', () => {
  it('prints the contract JSON and writes the outputs, nothing flagged between PNG and JPEG', async () => {
    const out = path.join(tmp, 'identity');
    const r = await runCompare(['--reference', TD3_PNG, '--questioned', TD3_JPG, '--homography', '[1,0,0,0,1,0,0,0,1]', '--out', out, '--json']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['aligned', 'blownOutRegions', 'heatmap', 'homography', 'ok', 'regions']);
    expect(body).toMatchObject({ ok: true, homography: [1, 0, 0, 0, 1, 0, 0, 0, 1], regions: [], blownOutRegions: [] });
    const heat = await sharp(body['heatmap'] as string).metadata();
    const aligned = await sharp(body['aligned'] as string).metadata();
    expect([heat.width, heat.height, aligned.width, aligned.height]).toEqual([1334, 880, 1334, 880]);
    const full = JSON.parse(await fs.readFile(path.join(out, 'regions-white.json'), 'utf8')) as Record<string, unknown>;
    expect(full).toMatchObject({ lightSource: 'white', regions: [], personalisedRegions: [], zoneVerdicts: [] });
    expect(full).toHaveProperty('versions.opencvJs');
    expect(full).toHaveProperty('parameters.workingLongEdge');
    expect((await fs.readdir(out)).sort()).toEqual(['aligned-white.png', 'heatmap-white.png', 'regions-white.json']);
  });

  it('aligns first, then reports the planted block in reference pixels', async () => {
    const r = await runCompare(['--reference', TD3_PNG, '--questioned', planted, '--out', path.join(tmp, 'aligned'), '--json']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as { homography: number[]; regions: { x: number; y: number; width: number; height: number; score: number }[] };
    expect(body.homography[2]).toBeCloseTo(OFFSET.x, 0);
    expect(body.homography[5]).toBeCloseTo(OFFSET.y, 0);
    expect(body.regions).toHaveLength(1);
    const [region] = body.regions;
    expect(Math.abs(region!.x - BLOCK.x)).toBeLessThanOrEqual(12);
    expect(Math.abs(region!.y - BLOCK.y)).toBeLessThanOrEqual(12);
    expect(Math.abs(region!.x + region!.width - (BLOCK.x + BLOCK.width))).toBeLessThanOrEqual(12);
    expect(region!.score).toBeGreaterThan(0.5);
  });

  it('reports a change inside a personalised zone separately', async () => {
    const zones = path.join(tmp, 'zones.json');
    const { x, y, width, height } = { x: BLOCK.x - 20, y: BLOCK.y - 10, width: BLOCK.width + 40, height: BLOCK.height + 20 };
    const polygon = [
      [x, y],
      [x + width, y],
      [x + width, y + height],
      [x, y + height],
    ];
    await fs.writeFile(zones, JSON.stringify({ zones: [{ id: 'zone-number', type: 'document-number', polygon, lightSources: ['white'], personalised: true }] }));
    const out = path.join(tmp, 'zoned');
    const r = await runCompare(['--reference', TD3_PNG, '--questioned', planted, '--zones', zones, '--out', out, '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { regions: unknown[] }).regions).toEqual([]);
    const full = JSON.parse(await fs.readFile(path.join(out, 'regions-white.json'), 'utf8')) as { personalisedRegions: unknown[] };
    expect(full.personalisedRegions).toHaveLength(1);
  });

  it('says in its text summary where the questioned image is blown out by glare', async () => {
    // A glare off the laminate over the portrait and the printed labels beside it.
    const { data, info } = await sharp(TD3_PNG).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    addGlare({ data, width: info.width, height: info.height, channels: info.channels }, { cx: 0.3 * info.width, cy: 0.45 * info.height, rx: 0.12 * info.width, ry: 0.16 * info.height, peak: 400 });
    const glared = path.join(tmp, 'glared.jpg');
    await sharp(data, { raw: info }).jpeg({ quality: 92 }).toFile(glared);
    const r = await runCompare(['--reference', TD3_PNG, '--questioned', glared, '--homography', '[1,0,0,0,1,0,0,0,1]', '--out', path.join(tmp, 'glared')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^The questioned image is blown out \(glare or overexposure\) over \d+(\.\d)? % of the compared area; those pixels show no detail\.$/m);
    // What differs only where the photo is blown out is listed apart, as not judged, with the share in words.
    const blownLines = r.stdout.split('\n').filter((l) => l.startsWith('  blown out, not judged: '));
    expect(blownLines.length).toBeGreaterThan(0);
    expect(blownLines.every((l) => / \(questioned image blown out \(glare\) over \d+ % of this region — the difference may be the light\)$/.test(l))).toBe(true);
    expect(r.stdout).toMatch(/^compared under white: \d+ region\(s\), 0 in personalised zones, \d+ blown out \(not judged\)$/m);
    for (const l of r.stdout.split('\n').filter((x) => x.startsWith('  region '))) expect(l).not.toMatch(/the difference may be the light/);
    const json = await runCompare(['--reference', TD3_PNG, '--questioned', glared, '--homography', '[1,0,0,0,1,0,0,0,1]', '--out', path.join(tmp, 'glared-json'), '--json']);
    const body = JSON.parse(json.stdout) as { regions: unknown[]; blownOutRegions: { x: number; y: number; width: number; height: number; score: number; overexposed: number }[] };
    expect(body.blownOutRegions.length).toBe(blownLines.length);
    for (const b of body.blownOutRegions) expect(b.overexposed).toBeGreaterThanOrEqual(0.5);
    // Without glare, the summary says nothing of it.
    const clean = await runCompare(['--reference', TD3_PNG, '--questioned', TD3_JPG, '--homography', '[1,0,0,0,1,0,0,0,1]', '--out', path.join(tmp, 'unglared')]);
    expect(clean.stdout).not.toMatch(/blown out/);
  });

  it('exits 2 with {ok: false, reason} when the images do not align', async () => {
    const other = path.join(SPECIMENS, '100_id-rou.jpg');
    const out = path.join(tmp, 'refused');
    const r = await runCompare(['--reference', TD3_PNG, '--questioned', other, '--out', out, '--json']);
    expect(r.code).toBe(2);
    const body = JSON.parse(r.stdout) as { ok: boolean; reason: string };
    expect(body.ok).toBe(false);
    expect(typeof body.reason).toBe('string');
    await expect(fs.access(out)).rejects.toThrow();
  });

  it('refuses bad input with a coded message and exit 1', async () => {
    const out = path.join(tmp, 'bad');
    const missing = await runCompare(['--reference', path.join(tmp, 'nope.png'), '--questioned', TD3_JPG, '--homography', '[1,0,0,0,1,0,0,0,1]', '--out', out, '--json']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/IMAGE_NOT_FOUND/);

    const badZones = path.join(tmp, 'bad-zones.json');
    await fs.writeFile(badZones, JSON.stringify([{ id: 'z1', type: 'photo', polygon: [[0, 0]], lightSources: ['white'], personalised: true }]));
    const zones = await runCompare(['--reference', TD3_PNG, '--questioned', TD3_JPG, '--zones', badZones, '--out', out]);
    expect(zones.code).toBe(1);
    expect(zones.stderr).toMatch(/VALIDATION_FAILED/);

    const light = await runCompare(['--reference', TD3_PNG, '--questioned', TD3_JPG, '--light', 'sunlight', '--out', out]);
    expect(light.code).not.toBe(0);
    expect(light.stderr).toMatch(/unknown light source/);

    const h = await runCompare(['--reference', TD3_PNG, '--questioned', TD3_JPG, '--homography', '[1,0,0]', '--out', out]);
    expect(h.code).not.toBe(0);
    expect(h.stderr).toMatch(/9 finite numbers/);
    await expect(fs.access(out)).rejects.toThrow();
  });
});

/**
 * The pipeline pool with real worker threads running real OpenCV (the
 * compiled worker in dist/: run `npx tsc -b image-pipeline` first).
 */
import { decodeForAnalysis } from './derivatives/decode-for-analysis';
import sharp from 'sharp';
import { applyHomography, cornerError } from './ops/geometry';
import { createPipelinePool, isPipelineError, type PipelinePool } from './pool';
import { UTOPIA_PASSPORT_2019 } from './synth/designs';
import { HOLDERS } from './synth/holders';
import { simulatePhoto } from './synth/photo';
import { renderDocument } from './synth/render';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AnalysisImage } from './derivatives/decode-for-analysis';

jest.setTimeout(240_000);

let dir: string;
let reference: AnalysisImage;
let photo: AnalysisImage;
let truth: number[];

/** The pool transfers pixel buffers to its workers (they become unusable here), so each call gets its own copy. */
const copy = (img: AnalysisImage): AnalysisImage => ({ ...img, data: new Uint8Array(img.data) });

async function expectPipelineError(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toMatchObject({ name: 'PipelineError', code });
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exemplar-pool-'));
  const page = await renderDocument({ ...UTOPIA_PASSPORT_2019, dpi: 160 }, HOLDERS.passportA, 'white', { format: 'png', noiseSeed: 11 });
  const shot = await simulatePhoto(page.image, { seed: 5, maxTiltDeg: 12, maxRotationDeg: 8, scale: [0.8, 1.0] });
  await fs.writeFile(path.join(dir, 'reference.png'), page.image);
  await fs.writeFile(path.join(dir, 'photo.jpg'), shot.image);
  reference = await decodeForAnalysis(path.join(dir, 'reference.png'), { channels: 'grey' });
  photo = await decodeForAnalysis(path.join(dir, 'photo.jpg'), { channels: 'grey' });
  truth = shot.homography;
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('pipeline pool', () => {
  let pool: PipelinePool;
  beforeAll(() => {
    pool = createPipelinePool({ threads: 2, maxQueue: 2, taskTimeoutMs: 120_000 });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('aligns a perspective photo to its reference in a worker thread', async () => {
    const r = await pool.align(copy(reference), copy(photo));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(cornerError(r.homography, truth, reference.width, reference.height)).toBeLessThan(1.5);
  });

  it('aligns two image files decoded as a capture comparison decodes them, the homography in original pixels', async () => {
    const files = { reference: path.join(dir, 'reference.png'), questioned: path.join(dir, 'photo.jpg') };
    // Reduced for analysis: the homography is mapped back to the originals.
    const r = await pool.alignFiles({ ...files, lightSource: 'white', decode: { maxLongEdge: 600 } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Math.max(reference.width, reference.height)).toBeGreaterThan(600);
    expect(cornerError(r.homography, truth, reference.width, reference.height)).toBeLessThan(3);
    await expectPipelineError(pool.alignFiles({ ...files, lightSource: 'no-such-light' }), 'INVALID_INPUT');
  });

  it('refuses a task whose input fails the checks, then keeps working with a fresh worker', async () => {
    const before = pool.stats().recycled;
    await expectPipelineError(pool.align({ data: new Uint8Array(10), width: 5, height: 5 }, copy(photo)), 'INVALID_INPUT');
    const after = await pool.align(copy(reference), copy(photo));
    expect(after.ok).toBe(true);
    expect(pool.stats().recycled).toBeGreaterThan(before);
  });

  it('times a running task out, terminating its worker, and stays usable', async () => {
    const before = pool.stats().recycled;
    await expectPipelineError(pool.align(copy(reference), copy(photo), {}, { timeoutMs: 40 }), 'TIMEOUT');
    expect(pool.stats().recycled).toBeGreaterThan(before);
    const r = await pool.align(copy(reference), copy(photo));
    expect(r.ok).toBe(true);
  });

  it('cancels a running task through its AbortSignal, and a task cancelled before it starts never runs', async () => {
    const ac = new AbortController();
    const running = pool.align(copy(reference), copy(photo), {}, { signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    await expectPipelineError(running, 'CANCELLED');
    await expectPipelineError(pool.align(copy(reference), copy(photo), {}, { signal: AbortSignal.abort() }), 'CANCELLED');
    const completed = pool.stats().completed;
    const r = await pool.align(copy(reference), copy(photo));
    expect(r.ok).toBe(true);
    expect(pool.stats().completed).toBe(completed + 1);
  });

  it('answers QUEUE_FULL beyond threads + maxQueue tasks instead of queueing without bound', async () => {
    const tasks = Array.from({ length: 5 }, () => pool.align(copy(reference), copy(photo)));
    const settled = await Promise.allSettled(tasks);
    const full = settled.filter((s) => s.status === 'rejected' && isPipelineError(s.reason) && s.reason.code === 'QUEUE_FULL');
    const ok = settled.filter((s) => s.status === 'fulfilled');
    expect(full).toHaveLength(1);
    expect(ok).toHaveLength(4);
  });
});

describe('compareCapture', () => {
  it('compares a multi-light capture reduced for analysis and reports everything in original pixels', async () => {
    const design = { ...UTOPIA_PASSPORT_2019, dpi: 150 };
    const files: Record<'reference' | 'questioned', Record<string, string>> = { reference: {}, questioned: {} };
    let zones: Awaited<ReturnType<typeof renderDocument>>['zones'] = [];
    let altered: Awaited<ReturnType<typeof renderDocument>>['altered'] = [];
    let size: [number, number] = [0, 0];
    for (const light of ['white', 'ir-870'] as const) {
      const r = await renderDocument(design, HOLDERS.passportA, light, { format: 'png', noiseSeed: 1 });
      const q = await renderDocument(design, HOLDERS.passportA, light, { format: 'png', noiseSeed: 2, variant: { alterFields: { dateOfBirth: '1984-03-14' } } });
      files.reference[light] = path.join(dir, `cap-r-${light}.png`);
      files.questioned[light] = path.join(dir, `cap-q-${light}.png`);
      await fs.writeFile(files.reference[light]!, r.image);
      await fs.writeFile(files.questioned[light]!, q.image);
      zones = r.zones;
      altered = q.altered;
      size = [r.width, r.height];
    }
    // The reference has a UV image the questioned capture lacks.
    files.reference['uv-365'] = files.reference.white!;
    const pool = createPipelinePool({ threads: 2, maxQueue: 4, taskTimeoutMs: 300_000 });
    const stages: string[] = [];
    try {
      const result = await pool.compareCapture(
        { reference: { images: files.reference, zones }, questioned: { images: files.questioned }, decode: { maxLongEdge: 500 } },
        { onProgress: (p) => stages.push(p.stage) },
      );
      expect(result.anchorLight).toBe('white');
      expect(result.skipped).toEqual([{ lightSource: 'uv-365', reason: 'not-in-questioned' }]);
      expect(stages.slice(0, 3)).toEqual(['decode', 'align', 'compare']);
      expect(stages).toContain('compare:ir-870');
      // Same framing: in original pixels, the homography maps the document's centre onto itself.
      const [cx, cy] = applyHomography(result.alignment.homography, size[0] / 2, size[1] / 2);
      expect(Math.hypot(cx - size[0] / 2, cy - size[1] / 2)).toBeLessThan(2);
      const white = result.lights.find((l) => l.lightSource === 'white')!;
      expect(white.analysisScale.reference).toBeCloseTo(500 / size[0], 2);
      expect(white.referenceSize).toEqual(size);
      expect(white.outputSize[0]).toBeLessThanOrEqual(500);
      const ir = result.lights.find((l) => l.lightSource === 'ir-870')!;
      expect(ir.registration.anchorLight).toBe('white');
      expect(Math.hypot(...ir.registration.shift)).toBeLessThanOrEqual(4);
      // Regions are in original reference pixels: inside the image, and over the altered field.
      const flagged = [...white.regions, ...white.personalisedRegions, ...ir.regions, ...ir.personalisedRegions];
      for (const r of flagged) {
        expect(r.box.x + r.box.width).toBeLessThanOrEqual(size[0] + 1);
        expect(r.box.y + r.box.height).toBeLessThanOrEqual(size[1] + 1);
      }
      const targets = altered.map((a) => a.polygon);
      const hit = flagged.some((r) =>
        targets.some((poly) => {
          const xs = poly.map((p) => p[0]);
          const ys = poly.map((p) => p[1]);
          return r.box.x < Math.max(...xs) && r.box.x + r.box.width > Math.min(...xs) && r.box.y < Math.max(...ys) && r.box.y + r.box.height > Math.min(...ys);
        }),
      );
      expect(hit).toBe(true);
      expect(white.heatmapPng.subarray(1, 4).toString()).toBe('PNG');
    } finally {
      await pool.close();
    }
  });

  it('takes an alignment alignFiles accepted for the anchor light instead of aligning again, and not one made for another light', async () => {
    const files = { reference: path.join(dir, 'reference.png'), questioned: path.join(dir, 'photo.jpg') };
    const pool = createPipelinePool({ threads: 1, maxQueue: 4, taskTimeoutMs: 300_000 });
    try {
      const aligned = await pool.alignFiles({ ...files, lightSource: 'white' });
      expect(aligned.ok).toBe(true);
      if (!aligned.ok) return;
      // Moved by a pixel, so that only a comparison that took it can report it.
      const given = { ...aligned, homography: aligned.homography.map((v, i) => (i === 2 ? v + 1 : v)) };
      const input = { reference: { images: { white: files.reference } }, questioned: { images: { white: files.questioned } } };
      const tasks = async (anchorAlignment: { lightSource: string; result: typeof given }) => {
        const before = pool.stats().completed;
        const result = await pool.compareCapture({ ...input, anchorAlignment });
        return { result, tasks: pool.stats().completed - before };
      };
      const reused = await tasks({ lightSource: 'white', result: given });
      // The comparison of the one light, and no alignment.
      expect(reused.tasks).toBe(1);
      expect(reused.result.alignment.homography).toEqual(given.homography);
      expect(reused.result.lights[0]!.homography).toEqual(given.homography);
      expect(reused.result.alignment.inliers).toBe(aligned.inliers);

      const other = await tasks({ lightSource: 'ir-870', result: given });
      expect(other.tasks).toBe(2);
      expect(cornerError(other.result.alignment.homography, aligned.homography, reference.width, reference.height)).toBeLessThan(0.05);
    } finally {
      await pool.close();
    }
  });

  it('names in its progress the light being compared, while it is compared, not once it is done', async () => {
    const page = path.join(dir, 'reference.png');
    const images = { white: page, 'ir-870': page, 'uv-365': page };
    // One thread: the lights are compared one after another, so the fraction says how many are done.
    const pool = createPipelinePool({ threads: 1, maxQueue: 4, taskTimeoutMs: 300_000 });
    const events: { stage: string; fraction: number }[] = [];
    try {
      const result = await pool.compareCapture({ reference: { images }, questioned: { images }, decode: { maxLongEdge: 400 } }, { onProgress: (p) => events.push(p) });
      const perLight = events.filter((e) => e.stage.startsWith('compare:'));
      expect(perLight.map((e) => e.stage)).toEqual(result.lights.map((l) => `compare:${l.lightSource}`));
      // Each light is named when its comparison starts: with none of its own work counted yet.
      perLight.forEach((e, done) => expect(e.fraction).toBeCloseTo(0.35 + (0.65 * done) / 3, 5));
      expect(events[events.length - 1]).toEqual({ stage: 'compare', fraction: 1 });
    } finally {
      await pool.close();
    }
  });

  it('gives a capture compared after another (its shared pixel buffers reused) the results it gets alone', async () => {
    const design = { ...UTOPIA_PASSPORT_2019, dpi: 120 };
    const capture = async (name: string, seed: number, alter: boolean) => {
      const images: Record<string, string> = {};
      for (const light of ['white', 'ir-870'] as const) {
        const r = await renderDocument(design, HOLDERS.passportA, light, { format: 'png', noiseSeed: seed, ...(alter && { variant: { alterFields: { dateOfBirth: '1984-03-14' } } }) });
        images[light] = path.join(dir, `reuse-${name}-${light}.png`);
        await fs.writeFile(images[light]!, r.image);
      }
      return images;
    };
    const reference = await capture('r', 1, false);
    const altered = await capture('a', 2, true);
    const genuine = await capture('g', 3, false);
    const { zones } = await renderDocument(design, HOLDERS.passportA, 'white', { format: 'png', noiseSeed: 1 });
    const input = (questioned: Record<string, string>) => ({ reference: { images: reference, zones }, questioned: { images: questioned } });
    const outputs = (r: Awaited<ReturnType<PipelinePool['compareCapture']>>) =>
      r.lights.map((l) => ({ light: l.lightSource, heatmap: l.heatmapPng.toString('base64'), aligned: l.alignedPng.toString('base64'), regions: l.regions, personal: l.personalisedRegions, zones: l.zoneVerdicts }));
    const alone = createPipelinePool({ threads: 2, maxQueue: 4, taskTimeoutMs: 300_000 });
    const inTurn = createPipelinePool({ threads: 2, maxQueue: 4, taskTimeoutMs: 300_000 });
    try {
      const expected = outputs(await alone.compareCapture(input(altered)));
      const other = outputs(await inTurn.compareCapture(input(genuine)));
      const after = outputs(await inTurn.compareCapture(input(altered)));
      expect(after).toEqual(expected);
      // The two questioned captures differ, so stale pixels would have shown.
      expect(other).not.toEqual(expected);
    } finally {
      await Promise.all([alone.close(), inTurn.close()]);
    }
  });

  it('reads the MRZ of a hand-held photo of the demo fraud beside the alignment and reports its failing check digits in reference pixels', async () => {
    const design = { ...UTOPIA_PASSPORT_2019, dpi: 200 };
    const r = await renderDocument(design, HOLDERS.passportA, 'white', { format: 'png', noiseSeed: 1 });
    const q = await renderDocument(design, HOLDERS.passportA, 'white', { format: 'png', noiseSeed: 2, variant: { alterFields: { dateOfBirth: '1984-03-14' } } });
    const shot = await simulatePhoto(q.image, { seed: 9, maxTiltDeg: 10, maxRotationDeg: 6, scale: [0.9, 1.0] });
    const files = { reference: path.join(dir, 'mrz-r-white.png'), questioned: path.join(dir, 'mrz-q-white.jpg') };
    await fs.writeFile(files.reference, r.image);
    await fs.writeFile(files.questioned, shot.image);
    const pool = createPipelinePool({ threads: 2, maxQueue: 4, taskTimeoutMs: 300_000 });
    try {
      const result = await pool.compareCapture({ reference: { images: { white: files.reference }, zones: r.zones }, questioned: { images: { white: files.questioned } } });
      const white = result.lights[0]!;
      expect(white.stats.mrz).toEqual([expect.objectContaining({ zoneId: 'zone-mrz', found: true, checkDigitsValid: false })]);
      const failed = white.findings.find((f) => f.kind === 'mrz-check-failed');
      expect(failed?.fields).toEqual(['birthDate', 'composite']);
      // Read on the photo, placed in the reference frame: inside the reference's MRZ zone.
      const zone = r.zones.find((z) => z.type === 'mrz')!.polygon;
      const xs = zone.map((p) => p[0]);
      const ys = zone.map((p) => p[1]);
      const cx = failed!.box.x + failed!.box.width / 2;
      const cy = failed!.box.y + failed!.box.height / 2;
      expect(cx).toBeGreaterThan(Math.min(...xs));
      expect(cx).toBeLessThan(Math.max(...xs));
      expect(cy).toBeGreaterThan(Math.min(...ys));
      expect(cy).toBeLessThan(Math.max(...ys));
      // The overtyped year digits lie within the box.
      const overtyped = q.altered.find((a) => a.lightSource === 'white' && a.label.startsWith('MRZ characters overtyped'))!.polygon;
      const ox = overtyped.reduce((sum, p) => sum + p[0], 0) / overtyped.length;
      const oy = overtyped.reduce((sum, p) => sum + p[1], 0) / overtyped.length;
      expect(ox).toBeGreaterThan(failed!.box.x);
      expect(ox).toBeLessThan(failed!.box.x + failed!.box.width);
      expect(oy).toBeGreaterThan(failed!.box.y);
      expect(oy).toBeLessThan(failed!.box.y + failed!.box.height);
    } finally {
      await pool.close();
    }
  });

  it('refuses captures with no light source in common, and fails with ALIGNMENT_FAILED on unrelated images', async () => {
    const pool = createPipelinePool({ threads: 1, maxQueue: 2, taskTimeoutMs: 120_000 });
    try {
      const noise = path.join(dir, 'noise.png');
      const raw = Buffer.alloc(600 * 400 * 3);
      for (let i = 0, x = 7; i < raw.length; i++) raw[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
      await sharp(raw, { raw: { width: 600, height: 400, channels: 3 } }).png().toFile(noise);
      await expectPipelineError(pool.compareCapture({ reference: { images: { white: noise } }, questioned: { images: { 'uv-365': noise } } }), 'NO_COMMON_LIGHT');
      await expectPipelineError(
        pool.compareCapture({ reference: { images: { white: path.join(dir, 'reference.png') } }, questioned: { images: { white: noise } } }),
        'ALIGNMENT_FAILED',
      );
    } finally {
      await pool.close();
    }
  });
});

describe('pipeline pool memory bound', () => {
  it('replaces a worker whose WebAssembly heap passed the limit, between tasks, without failing any', async () => {
    // A limit below OpenCV's initial heap: every worker retires after each task.
    const pool = createPipelinePool({ threads: 1, maxQueue: 4, taskTimeoutMs: 120_000, heapLimitBytes: 1 });
    try {
      const results = await Promise.all([pool.align(copy(reference), copy(photo)), pool.align(copy(reference), copy(photo)), pool.align(copy(reference), copy(photo))]);
      expect(results.every((r) => r.ok)).toBe(true);
      expect(pool.stats().recycled).toBeGreaterThanOrEqual(2);
    } finally {
      await pool.close();
    }
  });

  it('refuses work once closed', async () => {
    const pool = createPipelinePool({ threads: 1, maxQueue: 1, taskTimeoutMs: 1000 });
    await pool.close();
    await expectPipelineError(pool.align(copy(reference), copy(photo)), 'POOL_CLOSED');
  });
});

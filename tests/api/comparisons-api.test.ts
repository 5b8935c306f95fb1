/**
 * Comparison jobs end to end through the API: real HTTP (inject), real
 * SQLite job queue, real object folder, the comparison runner of the app and
 * real OpenCV in the pipeline's worker threads (run `npx tsc -b` first: the
 * workers load the compiled pipeline).
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { addGlare } from '@exemplar/image-pipeline';
import { closerKnownFrauds, REGION_MOSTLY_OVEREXPOSED, type Capture, type Specimen } from '@exemplar/specimens-schema';
import { buildTestApp, multipartBody, type TestApp } from '../../server/src/test-helpers';
import { catalogue, DESIGNS, HOLDERS, overlapShare, renderCapture, waitForComparison, type RenderedCapture } from './comparison-fixtures';

jest.setTimeout(1_200_000);

const DPI = 150;
const LIGHTS = ['white', 'uv-365', 'ir-870'] as const;
/** The difference stage is slowest under UV; white (the anchor) and IR (a reused homography) cover the job's logic. */
const COMPARED = ['white', 'ir-870'];

let t: TestApp;
let specimen: Specimen;
let capture: Capture;
let genuineAgain: RenderedCapture;
let fraud: RenderedCapture;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function uploadParts(c: RenderedCapture, request: unknown, lights: readonly string[] = COMPARED) {
  return multipartBody([
    { name: 'comparison', value: JSON.stringify(request) },
    ...lights.map((l) => ({ name: l, filename: `q-${l}.png`, data: c.images[l as 'white']!, contentType: 'image/png' })),
  ]);
}

async function submit(c: RenderedCapture, request: unknown, lights?: readonly string[]) {
  const { payload, headers } = uploadParts(c, request, lights);
  return (await t.login('examiner')).inject({ method: 'POST', url: '/api/comparisons', payload, headers });
}

beforeAll(async () => {
  t = await buildTestApp({ EXEMPLAR_PIPELINE_THREADS: '2' });
  const reference = await renderCapture(DESIGNS.passport, HOLDERS.passportA, { dpi: DPI, lights: LIGHTS, noiseSeed: 1 });
  // The same genuine document captured again (new sensor noise), and a fraud with an altered date of birth.
  genuineAgain = await renderCapture(DESIGNS.passport, HOLDERS.passportA, { dpi: DPI, lights: COMPARED as never, noiseSeed: 2 });
  fraud = await renderCapture(DESIGNS.passport, HOLDERS.passportA, { dpi: DPI, lights: COMPARED as never, noiseSeed: 3, variant: { alterFields: { dateOfBirth: '1984-03-14' } } });
  const made = await catalogue(t, { title: 'Utopia passport, 2019 series (test reference)' }, [{ page: 'data-page', capture: reference }]);
  specimen = made.specimen;
  capture = made.captures[0]!;
});

afterAll(async () => {
  await t?.close();
});

describe('POST /api/comparisons (multipart) → GET /api/comparisons/:id', () => {
  let fraudJob: Record<string, any>;

  it('accepts a questioned capture with 202, stores its originals as evidence, and runs the job to the end', async () => {
    const res = await submit(fraud, { reference: { specimenId: specimen.id, captureId: capture.id }, notes: 'seized at border post 7' });
    expect(res.statusCode).toBe(202);
    const queued = res.json();
    expect(res.headers.location).toBe(`/api/comparisons/${queued.id}`);
    expect(queued).toMatchObject({ status: 'queued', reference: { specimenId: specimen.id, captureId: capture.id }, result: null, createdBy: 'examiner' });
    for (const l of COMPARED) {
      expect(queued.questioned[l].sha256).toBe(sha(fraud.images[l as 'white']!));
      // The original is stored byte-exact and downloadable.
      const original = await (await t.login('examiner')).inject({ method: 'GET', url: queued.questioned[l].url });
      expect(original.statusCode).toBe(200);
      expect(sha(original.rawPayload)).toBe(queued.questioned[l].sha256);
    }

    fraudJob = await waitForComparison(t, queued.id);
    expect(fraudJob.status).toBe('done');
    expect(fraudJob.error).toBeNull();
    expect(fraudJob.progress).toEqual({ fraction: 1, stage: 'done' });
    expect(fraudJob.attempts).toBe(1);
  });

  it('flags a region over the altered field in white, aligned on white and reused for IR', () => {
    const r = fraudJob.result;
    expect(r.anchorLight).toBe('white');
    expect(r.lights.map((l: any) => l.lightSource).sort()).toEqual([...COMPARED].sort());
    // Same document, same framing: the homography is close to the identity.
    const h: number[] = r.alignment.homography;
    expect(Math.abs(h[2]!)).toBeLessThan(2);
    expect(Math.abs(h[5]!)).toBeLessThan(2);
    // The whole reference is in view, and the agreeing refinement points are counted among those tried.
    expect(r.alignment.referenceShown).toBe(1);
    expect(r.alignment.refinementPoints).toBeGreaterThanOrEqual(r.alignment.inliers);
    expect(r.alignment.inliers).toBeGreaterThan(0.25 * r.alignment.refinementPoints);

    const white = r.lights.find((l: any) => l.lightSource === 'white');
    expect(white.registration).toMatchObject({ outcome: 'aligned', anchorLight: 'white' });
    const altered = fraud.altered.filter((a) => a.lightSource === 'white');
    expect(altered.length).toBeGreaterThan(0);
    // The date of birth is a personalised zone: its change is reported there, as a difference an examiner sees.
    const flagged = [...white.regions, ...white.personalisedRegions];
    const dateOfBirth = altered[0]!.polygon;
    expect(flagged.some((reg: any) => overlapShare(reg.box, dateOfBirth) > 0.3)).toBe(true);
    // Where the questioned image is blown out (glare) is recorded per region and per light, for the page and the exhibit.
    for (const reg of flagged) expect(reg.overexposed).toEqual(expect.any(Number));
    for (const reg of flagged) expect(reg.overexposed).toBeLessThanOrEqual(1);
    expect(white.stats.overexposedShare).toEqual(expect.any(Number));

    const ir = r.lights.find((l: any) => l.lightSource === 'ir-870');
    expect(ir.registration.anchorLight).toBe('white');
    expect(['refined', 'anchor', 'anchor-unverified']).toContain(ir.registration.outcome);
    expect(Math.hypot(...(ir.registration.shift as [number, number]))).toBeLessThanOrEqual(4);
    expect(r.skipped).toEqual([{ lightSource: 'uv-365', reason: 'not-in-questioned' }]);
    expect(r.versions).toMatchObject({ exemplar: expect.any(String), opencvJs: expect.any(String), sharp: expect.any(String) });
    expect(r.parameters.compare.white).toBeDefined();
  });

  it('reports the overtyped MRZ of the altered birth date as a finding of the white light (the date itself is personal data)', () => {
    const white = fraudJob.result.lights.find((l: any) => l.lightSource === 'white');
    const failed = white.findings.find((f: any) => f.kind === 'mrz-check-failed');
    expect(failed).toMatchObject({ zoneId: expect.any(String), fields: ['birthDate', 'composite'], message: expect.stringContaining('date of birth') });
    const mrzZone = capture.zones.find((z) => z.type === 'mrz')!;
    expect(failed.zoneId).toBe(mrzZone.id);
    // In reference pixels, over the overtyped digits of the MRZ (the fraud's altered area inside the MRZ zone).
    const xs = mrzZone.polygon.map((p) => p[0]);
    const ys = mrzZone.polygon.map((p) => p[1]);
    const insideMrz = (poly: readonly (readonly number[])[]) => {
      const cx = poly.reduce((sum, p) => sum + p[0]!, 0) / poly.length;
      const cy = poly.reduce((sum, p) => sum + p[1]!, 0) / poly.length;
      return cx > Math.min(...xs) && cx < Math.max(...xs) && cy > Math.min(...ys) && cy < Math.max(...ys);
    };
    const overtyped = fraud.altered.find((a) => a.lightSource === 'white' && insideMrz(a.polygon))!;
    expect(overtyped).toBeDefined();
    expect(overlapShare(failed.box, overtyped.polygon)).toBeGreaterThan(0.3);
    expect(white.stats.mrz).toEqual([expect.objectContaining({ zoneId: mrzZone.id, lightSource: 'white', found: true, checkDigitsValid: false })]);
    // The finding carries the digits, so no reader recomputes them: the overtyped date gives another digit than the one printed.
    expect(failed.lightSource).toBe('white');
    expect(failed.checks.map((c: any) => [c.field, c.position])).toEqual([
      ['birthDate', [1, 19]],
      ['composite', [1, 43]],
    ]);
    const birth = failed.checks[0];
    expect(birth).toEqual({ field: 'birthDate', data: expect.stringMatching(/^\d{6}$/), printed: expect.stringMatching(/^\d$/), expected: expect.any(Number), position: [1, 19] });
    expect(birth.expected).not.toBe(Number(birth.printed));
    // Read once per capture, under white light.
    const ir = fraudJob.result.lights.find((l: any) => l.lightSource === 'ir-870');
    expect(ir.findings).toEqual([]);
  });

  it('serves every output with the sha256 recorded in the result', async () => {
    for (const light of fraudJob.result.lights) {
      for (const out of Object.values<any>(light.outputs)) {
        const res = await (await t.login('examiner')).inject({ method: 'GET', url: out.url });
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toContain(out.contentType);
        expect(res.headers.etag).toBe(`"${out.sha256}"`);
        expect(sha(res.rawPayload)).toBe(out.sha256);
        if (out.contentType === 'application/json') {
          const regions = JSON.parse(res.body);
          expect(regions.regions).toEqual(light.regions);
          expect(regions.zoneVerdicts).toEqual(light.zoneVerdicts);
          expect(regions.findings).toEqual(light.findings);
        } else {
          expect(res.rawPayload.subarray(1, 4).toString()).toBe('PNG');
        }
      }
    }
    const missing = await (await t.login('examiner')).inject({ method: 'GET', url: `/api/comparisons/${fraudJob.id}/outputs/uv-365.heatmap.png` });
    expect(missing.statusCode).toBe(404);
  });

  it('finds nothing between a genuine capture and itself (its catalogued originals named by sha256)', async () => {
    const images = Object.fromEntries(capture.images.filter((i) => COMPARED.includes(i.lightSource)).map((i) => [i.lightSource, i.sha256]));
    const res = await (await t.login('examiner')).inject({ method: 'POST', url: '/api/comparisons', payload: { reference: { specimenId: specimen.id, captureId: capture.id }, questioned: { images } } });
    expect(res.statusCode).toBe(202);
    const done = await waitForComparison(t, res.json().id);
    expect(done.status).toBe('done');
    for (const light of done.result.lights) {
      expect({ light: light.lightSource, regions: light.regions, personalised: light.personalisedRegions }).toEqual({ light: light.lightSource, regions: [], personalised: [] });
      for (const v of light.zoneVerdicts) expect(v.verdict).toBe('consistent');
      expect(light.findings).toEqual([]);
    }
  });

  it('flags at most one false region between a genuine document and another capture of it (the issue\'s bound for genuine pairs)', async () => {
    const res = await submit(genuineAgain, { reference: { specimenId: specimen.id, captureId: capture.id } });
    expect(res.statusCode).toBe(202);
    const done = await waitForComparison(t, res.json().id);
    expect(done.status).toBe('done');
    const white = done.result.lights.find((l: any) => l.lightSource === 'white');
    expect(white.regions.length + white.personalisedRegions.length).toBeLessThanOrEqual(1);
  });

  it('lists apart, as blown out and not judged, what differs only where glare blows out the questioned photo', async () => {
    // Another genuine capture with a glare off the laminate over the printed header (no personalised zone there).
    const { data, info } = await sharp(genuineAgain.images.white!).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const glare = { cx: 0.56 * info.width, cy: 0.1 * info.height, rx: 0.14 * info.width, ry: 0.09 * info.height, peak: 400 };
    addGlare({ data, width: info.width, height: info.height, channels: info.channels }, glare);
    const glared = await sharp(data, { raw: info }).png().toBuffer();
    const res = await submit({ ...genuineAgain, images: { ...genuineAgain.images, white: glared } }, { reference: { specimenId: specimen.id, captureId: capture.id } }, ['white']);
    expect(res.statusCode).toBe(202);
    const done = await waitForComparison(t, res.json().id);
    expect(done.status).toBe('done');
    const white = done.result.lights.find((l: any) => l.lightSource === 'white');
    expect(white.stats.overexposedShare).toBeGreaterThan(0.005);
    // Recorded like the regions (the contract's fields, in reference pixels), each mostly blown out and under the glare.
    expect(white.blownOutRegions.length).toBeGreaterThan(0);
    for (const b of white.blownOutRegions) {
      expect(Object.keys(b).sort()).toEqual(['area', 'box', 'overexposed', 'peak', 'polygon', 'score']);
      expect(b.overexposed).toBeGreaterThanOrEqual(REGION_MOSTLY_OVEREXPOSED);
      expect(b.overexposed).toBeLessThanOrEqual(1);
      const u = (b.box.x + b.box.width / 2 - glare.cx) / glare.rx;
      const v = (b.box.y + b.box.height / 2 - glare.cy) / glare.ry;
      expect(Math.hypot(u, v)).toBeLessThan(1.5);
    }
    // Not differences: none of the regions is mostly blown out (a genuine pair: at most one false region).
    for (const r of white.regions) expect(r.overexposed).toBeLessThan(REGION_MOSTLY_OVEREXPOSED);
    expect(white.regions.length + white.personalisedRegions.length).toBeLessThanOrEqual(1);
    // The light's regions JSON output carries them too.
    const out = await (await t.login('examiner')).inject({ method: 'GET', url: white.outputs.regions.url });
    expect(out.statusCode).toBe(200);
    expect(JSON.parse(out.payload).blownOutRegions).toHaveLength(white.blownOutRegions.length);
  });

  it('gives the same result for the same inputs: JSON naming the stored questioned images reproduces every output byte for byte', async () => {
    const images = Object.fromEntries(COMPARED.map((l) => [l, fraudJob.questioned[l].sha256]));
    const res = await (await t.login('examiner')).inject({
      method: 'POST',
      url: '/api/comparisons',
      payload: { reference: { specimenId: specimen.id, captureId: capture.id }, questioned: { images } },
    });
    expect(res.statusCode).toBe(202);
    const again = await waitForComparison(t, res.json().id);
    expect(again.status).toBe('done');
    const outputs = (job: any) => job.result.lights.map((l: any) => [l.lightSource, l.outputs.aligned.sha256, l.outputs.heatmap.sha256, l.outputs.regions.sha256]);
    expect(outputs(again)).toEqual(outputs(fraudJob));
    expect(again.result.alignment).toEqual(fraudJob.result.alignment);
  });

  it('lists comparisons newest first', async () => {
    const res = await (await t.login('examiner')).inject({ method: 'GET', url: '/api/comparisons?limit=10' });
    expect(res.statusCode).toBe(200);
    const items = res.json().items;
    expect(items.length).toBeGreaterThanOrEqual(3);
    const created = items.map((i: any) => Date.parse(i.createdAt));
    expect([...created].sort((a, b) => b - a)).toEqual(created);
    expect(items.map((i: any) => i.id)).toContain(fraudJob.id);
  });
});

describe('refused submissions leave nothing behind', () => {
  async function expectRefused(res: { statusCode: number; json(): any }, status: number, code: string, before: string[]) {
    expect({ status: res.statusCode, code: res.json().code }).toEqual({ status, code });
    expect(Object.keys(res.json()).sort()).toEqual(['code', 'details', 'message']);
    expect(await t.objectKeys()).toEqual(before);
  }

  it('415 for a file that is not an image, 422 for a truncated one, 400 for an unknown light field', async () => {
    const reference = { specimenId: specimen.id, captureId: capture.id };
    const jobsBefore = (await (await t.login('examiner')).inject({ method: 'GET', url: '/api/comparisons?limit=100' })).json().items.length;
    const before = await t.objectKeys();
    const notImage = multipartBody([
      { name: 'comparison', value: JSON.stringify({ reference }) },
      { name: 'white', filename: 'q.png', data: fraud.images.white! },
      { name: 'ir-870', filename: 'notes.txt', data: Buffer.from('<html>not an image</html>') },
    ]);
    await expectRefused(await (await t.login('examiner')).inject({ method: 'POST', url: '/api/comparisons', ...notImage }), 415, 'IMAGE_UNSUPPORTED', before);
    const png = fraud.images.white!;
    const truncated = multipartBody([
      { name: 'comparison', value: JSON.stringify({ reference }) },
      { name: 'white', filename: 'q.png', data: png.subarray(0, Math.floor(png.length / 2)) },
    ]);
    await expectRefused(await (await t.login('examiner')).inject({ method: 'POST', url: '/api/comparisons', ...truncated }), 422, 'IMAGE_CORRUPT', before);
    const unknownLight = multipartBody([
      { name: 'comparison', value: JSON.stringify({ reference }) },
      { name: 'daylight', filename: 'q.png', data: png },
    ]);
    await expectRefused(await (await t.login('examiner')).inject({ method: 'POST', url: '/api/comparisons', ...unknownLight }), 400, 'VALIDATION_FAILED', before);
    expect((await (await t.login('examiner')).inject({ method: 'GET', url: '/api/comparisons?limit=100' })).json().items.length).toBe(jobsBefore);
  });

  it('413 for an image over the byte limit', async () => {
    const small = await buildTestApp({ EXEMPLAR_MAX_UPLOAD_BYTES: '2000', EXEMPLAR_SERVER_COMPARISONS: '0' });
    try {
      const before = await small.objectKeys();
      const { payload, headers } = multipartBody([
        { name: 'comparison', value: JSON.stringify({ reference: 'auto' }) },
        { name: 'white', filename: 'q.png', data: fraud.images.white! },
      ]);
      const res = await (await small.login('examiner')).inject({ method: 'POST', url: '/api/comparisons', payload, headers });
      expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 413, code: 'IMAGE_TOO_LARGE' });
      expect(await small.objectKeys()).toEqual(before);
    } finally {
      await small.close();
    }
  });

  it('503 QUEUE_FULL when too many comparisons wait, storing nothing for the refused one', async () => {
    const full = await buildTestApp({ EXEMPLAR_COMPARISON_QUEUE: '1', EXEMPLAR_SERVER_COMPARISONS: '0' });
    try {
      const first = multipartBody([
        { name: 'comparison', value: JSON.stringify({ reference: 'auto' }) },
        { name: 'white', filename: 'q.png', data: fraud.images.white! },
      ]);
      expect((await (await full.login('examiner')).inject({ method: 'POST', url: '/api/comparisons', ...first })).statusCode).toBe(202);
      const before = await full.objectKeys();
      const second = multipartBody([
        { name: 'comparison', value: JSON.stringify({ reference: 'auto' }) },
        { name: 'white', filename: 'q.png', data: genuineAgain.images.white! },
      ]);
      const res = await (await full.login('examiner')).inject({ method: 'POST', url: '/api/comparisons', ...second });
      expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 503, code: 'QUEUE_FULL' });
      expect(await full.objectKeys()).toEqual(before);
    } finally {
      await full.close();
    }
  });

  it('422 for `auto` without a questioned image under visible light: identification would have nothing to search with', async () => {
    const before = await t.objectKeys();
    const jobsBefore = (await (await t.login('examiner')).inject({ method: 'GET', url: '/api/comparisons?limit=100' })).json().items.length;
    const irOnly = await submit(fraud, { reference: 'auto' }, ['ir-870']);
    await expectRefused(irOnly, 422, 'UNPROCESSABLE', before);
    expect(irOnly.json().message).toMatch(/white/);
    // The same for stored images named by sha256 (here the reference's own IR original).
    const ir = capture.images.find((i) => i.lightSource === 'ir-870')!;
    const named = await (await t.login('examiner')).inject({ method: 'POST', url: '/api/comparisons', payload: { reference: 'auto', questioned: { images: { 'ir-870': ir.sha256 } } } });
    await expectRefused(named, 422, 'UNPROCESSABLE', before);
    expect((await (await t.login('examiner')).inject({ method: 'GET', url: '/api/comparisons?limit=100' })).json().items.length).toBe(jobsBefore);
  });

  it('404 for a reference capture or a named image that does not exist, 400 for a request without questioned images', async () => {
    const before = await t.objectKeys();
    await expectRefused(await submit(fraud, { reference: { specimenId: specimen.id, captureId: 'NoSuchCapture00' } }), 404, 'CAPTURE_NOT_FOUND', before);
    await expectRefused(await submit(fraud, { reference: { specimenId: 'NoSuchSpecimen0', captureId: capture.id } }), 404, 'SPECIMEN_NOT_FOUND', before);
    // The request part sent as application/json (as HTTP client libraries label it) is read as the same JSON.
    const typed = multipartBody([
      { name: 'comparison', value: JSON.stringify({ reference: { specimenId: specimen.id, captureId: 'NoSuchCapture00' } }), contentType: 'application/json' },
      { name: 'white', filename: 'q-white.png', data: fraud.images.white!, contentType: 'image/png' },
    ]);
    await expectRefused(await (await t.login('examiner')).inject({ method: 'POST', url: '/api/comparisons', ...typed }), 404, 'CAPTURE_NOT_FOUND', before);
    const named = await (await t.login('examiner')).inject({ method: 'POST', url: '/api/comparisons', payload: { reference: 'auto', questioned: { images: { white: 'a'.repeat(64) } } } });
    await expectRefused(named, 404, 'IMAGE_NOT_FOUND', before);
    const none = await (await t.login('examiner')).inject({ method: 'POST', url: '/api/comparisons', payload: { reference: 'auto' } });
    await expectRefused(none, 400, 'VALIDATION_FAILED', before);
    const badRequest = await (await t.login('examiner')).inject({ method: 'POST', url: '/api/comparisons', payload: { reference: 'auto', questioned: { images: { white: 'A' } } } });
    await expectRefused(badRequest, 400, 'VALIDATION_FAILED', before);
  });
});

describe('DELETE /api/comparisons/:id', () => {
  it('cancels a comparison: it never completes and keeps no outputs', async () => {
    const res = await submit(genuineAgain, { reference: { specimenId: specimen.id, captureId: capture.id } });
    const { id } = res.json();
    const cancelled = await (await t.login('examiner')).inject({ method: 'DELETE', url: `/api/comparisons/${id}` });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json().status).toBe('cancelled');
    // Whether the runner had started it or not, it stays cancelled; a runner that had started stops at its next heartbeat.
    while (t.context.comparisonRunner.activeJobIds.includes(id)) await new Promise((resolve) => setTimeout(resolve, 100));
    const later = (await (await t.login('examiner')).inject({ method: 'GET', url: `/api/comparisons/${id}` })).json();
    expect(later.status).toBe('cancelled');
    expect(later.result).toBeNull();
    expect((await t.objectKeys()).filter((k) => k.startsWith(`comparisons/${id}/`))).toEqual([]);
    expect((await (await t.login('examiner')).inject({ method: 'DELETE', url: '/api/comparisons/NoSuchComparison' })).statusCode).toBe(404);
  });
});

describe('reference `auto`', () => {
  it('identifies the reference capture, then compares with it', async () => {
    const res = await submit(genuineAgain, { reference: 'auto', identify: { issuingState: 'UTO', documentCode: 'P' } }, ['white']);
    expect(res.statusCode).toBe(202);
    expect(res.json().reference).toBeNull();
    const done = await waitForComparison(t, res.json().id);
    expect(done.status).toBe('done');
    expect(done.reference).toEqual({ specimenId: specimen.id, captureId: capture.id });
    expect(done.identification.candidates[0]).toMatchObject({ specimenId: specimen.id, captureId: capture.id, verified: true });
    expect(done.result.lights.map((l: any) => l.lightSource)).toEqual(['white']);
    // Found by the title of the reference it chose, as the lists now show it.
    const found = await (await t.login('examiner')).inject({ method: 'GET', url: `/api/comparisons?q=${encodeURIComponent('utopia test ref')}&status=done&limit=100` });
    expect(found.json().items.map((c: { id: string }) => c.id)).toContain(done.id);
  });

  describe('when identification verifies no genuine candidate, the best ranked are tried with the full alignment', () => {
    let permit: { specimen: Specimen; captures: Capture[] };
    beforeAll(async () => {
      // A second genuine specimen of the issuer, of another design: identification ranks it too.
      const back = await renderCapture(DESIGNS.permitBack, HOLDERS.residencePermit, { dpi: DPI, lights: ['white'] as never, noiseSeed: 7 });
      permit = await catalogue(t, { title: 'Utopia residence permit, 2020 series', documentCategory: 'residence-permit', documentCode: 'IR', series: '2020' }, [{ page: 'back', capture: back }]);
    });

    it('takes the top-ranked capture that identification does not verify when the full alignment accepts it, and says so', async () => {
      // A close-up of the data page's centre at 3× (a fresh rendering at three times the resolution, cropped to the
      // reference's pixel size): it shows a ninth of the document, less than the share of a candidate that
      // identification's quick verification needs its agreeing keypoints to cover, while the full alignment's zoom
      // fallback aligns it.
      const zoom = 3;
      const page = await renderCapture(DESIGNS.passport, HOLDERS.passportA, { dpi: DPI * zoom, lights: ['white'] as never, noiseSeed: 2 });
      const [w, h] = [Math.round(page.width / zoom), Math.round(page.height / zoom)];
      const closeUp = await sharp(page.images.white!).extract({ left: Math.round(page.width * 0.3), top: Math.round(page.height * 0.3), width: w, height: h }).png().toBuffer();
      const res = await submit({ ...page, images: { white: closeUp }, width: w, height: h }, { reference: 'auto' }, ['white']);
      expect(res.statusCode).toBe(202);
      const done = await waitForComparison(t, res.json().id);
      expect(done.error).toBeNull();
      expect(done.status).toBe('done');
      expect(done.reference).toEqual({ specimenId: specimen.id, captureId: capture.id });
      // Ranked first, not verified, confirmed by the full alignment (the one tried): the record says how the reference was chosen.
      const candidates = done.identification.candidates as { specimenId: string; captureId: string; verified: boolean; fullAlignment?: string }[];
      expect(candidates.map((c) => c.specimenId)).toEqual([specimen.id, permit.specimen.id]);
      expect(candidates[0]).toMatchObject({ captureId: capture.id, verified: false, fullAlignment: 'accepted' });
      expect(candidates[1]).toMatchObject({ verified: false });
      expect(candidates[1]).not.toHaveProperty('fullAlignment');
      expect(done.result.alignment.referenceShown).toBeLessThan(0.25);
    });

    it('still fails with NO_CANDIDATE for a questioned document unlike every catalogued one, saying how many candidates the full alignment refused', async () => {
      // An identity card of the same issuer: it shares the other documents' palette and captions, not their layout.
      const idCard = await renderCapture(DESIGNS.idFront, HOLDERS.idCard, { dpi: DPI, lights: ['white'] as never, noiseSeed: 4 });
      const failed = await waitForComparison(t, (await submit(idCard, { reference: 'auto' }, ['white'])).json().id);
      expect(failed.status).toBe('failed');
      expect(failed.error.code).toBe('NO_CANDIDATE');
      // Both catalogued captures are unverified candidates, each tried and refused.
      expect(failed.error.message).toMatch(/\(2 images searched, none verified; 2 candidates tried by full alignment, none aligned\)$/);
      expect(failed.reference).toBeNull();
    });
  });
});

describe('known-fraud check', () => {
  it('with a chosen reference, identification still runs and names a catalogued forgery the questioned document matches more closely', async () => {
    // Catalogued last: the tests above expect the genuine specimen to be the only one of its design.
    // A known forgery of another holder's passport (its date of birth altered), catalogued as a fraud sample.
    const forged = (noiseSeed: number) => renderCapture(DESIGNS.passport, HOLDERS.passportB, { dpi: DPI, lights: ['white'] as never, noiseSeed, variant: { alterFields: { dateOfBirth: '1979-11-27' } } });
    const forgery = await catalogue(t, { title: 'Utopia passport, 2019 series (forged date of birth)', status: 'forgery', forgeryMethods: ['data-alteration'] }, [{ page: 'data-page', capture: await forged(5) }]);
    // That forged document presented again (a new capture), compared with the genuine reference the officer chose.
    const suspect = await waitForComparison(t, (await submit(await forged(6), { reference: { specimenId: specimen.id, captureId: capture.id } }, ['white'])).json().id);
    expect(suspect.status).toBe('done');
    expect(suspect.reference).toEqual({ specimenId: specimen.id, captureId: capture.id });
    expect(closerKnownFrauds(suspect.identification).map((c) => c.specimenId)).toEqual([forgery.specimen.id]);

    // The genuine document of the reference's holder: the forgery shares its design, yet is not the closer match.
    const genuine = await waitForComparison(t, (await submit(genuineAgain, { reference: { specimenId: specimen.id, captureId: capture.id } }, ['white'])).json().id);
    expect(genuine.status).toBe('done');
    expect(genuine.identification.candidates.map((c: { specimenId: string }) => c.specimenId)).toEqual(expect.arrayContaining([specimen.id, forgery.specimen.id]));
    expect(closerKnownFrauds(genuine.identification)).toEqual([]);
  });
});

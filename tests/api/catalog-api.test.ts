/**
 * The catalogue API end to end, as a lab's script uses it: real HTTP through
 * Fastify's inject, a real SQLite file and object folder, real images made
 * by sharp, multipart bodies built byte by byte.
 */
import fs from 'node:fs/promises';
import sharp from 'sharp';
import type { Capture, Specimen } from '@exemplar/specimens-schema';
import { systemActor } from '../../server/src/services/actor';
import { buildTestApp, makeTestImage, MINIMAL_SPECIMEN, multipartBody, sha256, type TestApp } from '../../server/src/test-helpers';

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t.close();
});

async function createSpecimen(body: object = MINIMAL_SPECIMEN): Promise<Specimen> {
  const res = await (await t.login('examiner')).inject({ method: 'POST', url: '/api/specimens', payload: body });
  expect(res.statusCode).toBe(201);
  return res.json<Specimen>();
}

describe('specimens', () => {
  it('creates from the minimal contract body, reads back, patches with revision checks', async () => {
    const res = await (await t.login('examiner')).inject({ method: 'POST', url: '/api/specimens', payload: MINIMAL_SPECIMEN });
    expect(res.statusCode).toBe(201);
    const created = res.json<Specimen>();
    expect(created.id).toMatch(/^[A-Za-z0-9_-]{6,64}$/);
    expect(res.headers.location).toBe(`/api/specimens/${created.id}`);
    expect(created).toMatchObject({ ...MINIMAL_SPECIMEN, revision: 1, captures: [], createdBy: 'examiner', updatedBy: 'examiner' });
    expect(Date.parse(created.createdAt)).not.toBeNaN();

    const got = await (await t.login('examiner')).inject({ method: 'GET', url: `/api/specimens/${created.id}` });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(created);

    const patched = await (await t.login('examiner')).inject({
      method: 'PATCH',
      url: `/api/specimens/${created.id}`,
      payload: { revision: 1, description: 'Booklet with polycarbonate data page', series: null },
    });
    expect(patched.statusCode).toBe(200);
    const p = patched.json<Specimen>();
    expect(p.revision).toBe(2);
    expect(p.description).toBe('Booklet with polycarbonate data page');
    expect(p).not.toHaveProperty('series');
    expect(p.createdAt).toBe(created.createdAt);

    const stale = await (await t.login('examiner')).inject({ method: 'PATCH', url: `/api/specimens/${created.id}`, payload: { revision: 1, title: 'Lost update' } });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toEqual({ code: 'REVISION_CONFLICT', message: expect.any(String), details: expect.objectContaining({ currentRevision: 2 }) });
    expect((await (await t.login('examiner')).inject({ method: 'GET', url: `/api/specimens/${created.id}` })).json<Specimen>().title).toBe(MINIMAL_SPECIMEN.title);
  });

  it('refuses invalid bodies with VALIDATION_FAILED and the issues', async () => {
    const res = await (await t.login('examiner')).inject({
      method: 'POST',
      url: '/api/specimens',
      payload: { ...MINIMAL_SPECIMEN, status: 'forgery', issuingState: 'NOWHERE', colour: 'blue' },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ code: string; message: string; details: { errors: Array<{ path: string; message: string }> } }>();
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(Object.keys(body).sort()).toEqual(['code', 'details', 'message']);
    const paths = body.details.errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['/issuingState']));
    expect(JSON.stringify(body)).not.toMatch(/at .*\.(js|ts):\d+/);

    const unknownField = await (await t.login('examiner')).inject({ method: 'POST', url: '/api/specimens', payload: { ...MINIMAL_SPECIMEN, colour: 'blue' } });
    expect(unknownField.statusCode).toBe(400);
    expect(unknownField.json().details.errors).toEqual([expect.objectContaining({ path: '/colour' })]);

    const forgeryWithoutMethods = await (await t.login('examiner')).inject({ method: 'POST', url: '/api/specimens', payload: { ...MINIMAL_SPECIMEN, status: 'forgery' } });
    expect(forgeryWithoutMethods.statusCode).toBe(400);
    expect(forgeryWithoutMethods.json().details.errors).toEqual([expect.objectContaining({ path: '/forgeryMethods' })]);

    const badJson = await (await t.login('examiner')).inject({ method: 'POST', url: '/api/specimens', payload: '{"status":', headers: { 'content-type': 'application/json' } });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json().code).toBe('BAD_REQUEST');
  });

  it('checks that imitates names an existing specimen and keeps a fraud from losing its genuine', async () => {
    const genuine = await createSpecimen();
    const missing = await (await t.login('examiner')).inject({ method: 'POST', url: '/api/specimens', payload: { ...MINIMAL_SPECIMEN, status: 'counterfeit', imitates: 'doesNotExist1' } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().details.errors).toEqual([expect.objectContaining({ path: '/imitates' })]);

    const fraud = await createSpecimen({ ...MINIMAL_SPECIMEN, status: 'counterfeit', imitates: genuine.id, title: 'Counterfeit of the Utopia passport' });
    const blocked = await (await t.login('examiner')).inject({ method: 'DELETE', url: `/api/specimens/${genuine.id}` });
    expect(blocked.statusCode).toBe(409);
    expect(blocked.json()).toMatchObject({ code: 'CONFLICT', details: { imitatedBy: [fraud.id] } });

    expect((await (await t.login('examiner')).inject({ method: 'DELETE', url: `/api/specimens/${fraud.id}?revision=1` })).statusCode).toBe(204);
    expect((await (await t.login('examiner')).inject({ method: 'DELETE', url: `/api/specimens/${genuine.id}?revision=2` })).statusCode).toBe(409);
    expect((await (await t.login('examiner')).inject({ method: 'DELETE', url: `/api/specimens/${genuine.id}?revision=1` })).statusCode).toBe(204);
    expect((await (await t.login('examiner')).inject({ method: 'GET', url: `/api/specimens/${genuine.id}` })).statusCode).toBe(404);
  });

  it('searches with filters as repeated keys or comma lists, with facets and cursor pages', async () => {
    const tag = `batch${Date.now()}`;
    const ids: string[] = [];
    for (const [i, state] of ['UTO', 'UTO', 'D', 'XXA'].entries()) {
      ids.push((await createSpecimen({ ...MINIMAL_SPECIMEN, issuingState: state, title: `Searchable specimen number ${i}`, tags: [tag] })).id);
    }
    const comma = await (await t.login('examiner')).inject({ method: 'GET', url: `/api/specimens?tags=${tag}&issuingState=UTO,D&limit=2&sort=createdAt` });
    expect(comma.statusCode).toBe(200);
    const page1 = comma.json<{ items: Specimen[]; total: number; nextCursor: string | null; facets: Record<string, Array<{ value: string; count: number }>> }>();
    expect(page1.total).toBe(3);
    expect(page1.items.map((s) => s.id)).toEqual(ids.slice(0, 2));
    // The issuingState facet ignores its own filter: XXA is offered as an alternative.
    expect(page1.facets.issuingState).toEqual(
      expect.arrayContaining([
        { value: 'UTO', count: 2 },
        { value: 'D', count: 1 },
        { value: 'XXA', count: 1 },
      ]),
    );
    expect(page1.nextCursor).toEqual(expect.any(String));

    const page2 = await (await t.login('examiner')).inject({
      method: 'GET',
      url: `/api/specimens?tags=${tag}&issuingState=UTO&issuingState=D&limit=2&sort=createdAt&cursor=${encodeURIComponent(page1.nextCursor as string)}`,
    });
    expect(page2.statusCode).toBe(200);
    expect(page2.json().items.map((s: Specimen) => s.id)).toEqual([ids[2]]);
    expect(page2.json().nextCursor).toBeNull();

    const text = await (await t.login('examiner')).inject({ method: 'GET', url: `/api/specimens?q=searchable%20numb&tags=${tag}` });
    expect(text.json().total).toBe(4);

    const badEnum = await (await t.login('examiner')).inject({ method: 'GET', url: '/api/specimens?status=genuine,fake' });
    expect(badEnum.statusCode).toBe(400);
    expect(badEnum.json().code).toBe('VALIDATION_FAILED');
    const unknownParam = await (await t.login('examiner')).inject({ method: 'GET', url: '/api/specimens?state=UTO' });
    expect(unknownParam.statusCode).toBe(400);
  });
});

describe('capture upload and image download', () => {
  let specimen: Specimen;
  let capture: Capture;
  const originals: Record<string, Buffer> = {};

  beforeAll(async () => {
    specimen = await createSpecimen({ ...MINIMAL_SPECIMEN, title: 'Utopia passport with a 3-light capture' });
    originals.white = await makeTestImage({ width: 2400, height: 1500, format: 'jpeg', seed: 11 });
    originals['uv-365'] = await makeTestImage({ width: 800, height: 500, format: 'png', seed: 12 });
    originals['ir-870'] = await makeTestImage({ width: 800, height: 500, format: 'tiff', seed: 13, bitDepth: 16 });
  });

  it('uploads a 3-light capture and records every image with its sha256', async () => {
    const before = await t.objectKeys();
    const zone = { type: 'mrz', polygon: [[10, 400], [790, 400], [790, 490], [10, 490]], lightSources: ['white', 'ir-870'], personalised: true };
    const { payload, headers } = multipartBody([
      { name: 'capture', value: JSON.stringify({ page: 'data-page', dpi: 600, device: 'VSC test rig', zones: [zone] }) },
      { name: 'white', filename: 'white.jpg', data: originals.white as Buffer, contentType: 'image/jpeg' },
      { name: 'uv-365', filename: 'C:\\scans\\uv.png', data: originals['uv-365'] as Buffer },
      { name: 'ir-870', filename: 'ir.tif', data: originals['ir-870'] as Buffer },
    ]);
    const res = await (await t.login('examiner')).inject({ method: 'POST', url: `/api/specimens/${specimen.id}/captures`, payload, headers });
    expect(res.statusCode).toBe(201);
    capture = res.json<Capture>();
    expect(capture.page).toBe('data-page');
    expect(capture.zones).toEqual([{ id: expect.any(String), ...zone }]);
    expect(capture.images.map((i) => i.lightSource)).toEqual(['white', 'uv-365', 'ir-870']);
    for (const image of capture.images) expect(image.sha256).toBe(sha256(originals[image.lightSource] as Buffer));
    expect(capture.images[0]).toMatchObject({ format: 'jpeg', width: 2400, height: 1500, bitDepth: 8, originalName: 'white.jpg' });
    expect(capture.images[1]).toMatchObject({ format: 'png', originalName: 'uv.png' });
    expect(capture.images[2]).toMatchObject({ format: 'tiff', bitDepth: 16 });
    // Only the large original gets a deep-zoom pyramid.
    expect(capture.images[0]?.derivatives.dzi).toEqual(expect.any(String));
    expect(capture.images[1]?.derivatives.dzi).toBeUndefined();

    const stored = (await (await t.login('examiner')).inject({ method: 'GET', url: `/api/specimens/${specimen.id}` })).json<Specimen>();
    expect(stored.revision).toBe(2);
    expect(stored.captures).toEqual([capture]);
    const after = await t.objectKeys();
    for (const image of capture.images) {
      expect(after).toContain(`originals/${image.sha256.slice(0, 2)}/${image.sha256}`);
      expect(after).toContain(image.derivatives.thumbnail);
      expect(after).toContain(image.derivatives.preview);
    }
    expect(after.length).toBeGreaterThan(before.length + 6);

    const found = await (await t.login('examiner')).inject({ method: 'GET', url: `/api/specimens?lightSource=uv-365&featureType=mrz&q=3-light` });
    expect(found.json().items.map((s: Specimen) => s.id)).toContain(specimen.id);
  });

  it('serves each original byte-exact with ETag, 304 and byte ranges', async () => {
    for (const image of capture.images) {
      const bytes = originals[image.lightSource] as Buffer;
      const res = await (await t.login('examiner')).inject({ method: 'GET', url: `/api/images/${image.sha256}` });
      expect(res.statusCode).toBe(200);
      expect(sha256(res.rawPayload)).toBe(image.sha256);
      expect(res.headers.etag).toBe(`"${image.sha256}"`);
      expect(res.headers['content-type']).toBe(`image/${image.format}`);
      expect(res.headers['content-length']).toBe(String(bytes.length));
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['accept-ranges']).toBe('bytes');

      const notModified = await (await t.login('examiner')).inject({ method: 'GET', url: `/api/images/${image.sha256}`, headers: { 'if-none-match': `"${image.sha256}"` } });
      expect(notModified.statusCode).toBe(304);
      expect(notModified.rawPayload.length).toBe(0);
    }

    const { sha256: sha } = capture.images[0] as Capture['images'][number];
    const white = originals.white as Buffer;
    const range = await (await t.login('examiner')).inject({ method: 'GET', url: `/api/images/${sha}`, headers: { range: 'bytes=100-199' } });
    expect(range.statusCode).toBe(206);
    expect(range.headers['content-range']).toBe(`bytes 100-199/${white.length}`);
    expect(range.rawPayload.equals(white.subarray(100, 200))).toBe(true);

    const suffix = await (await t.login('examiner')).inject({ method: 'GET', url: `/api/images/${sha}`, headers: { range: 'bytes=-50' } });
    expect(suffix.statusCode).toBe(206);
    expect(suffix.rawPayload.equals(white.subarray(white.length - 50))).toBe(true);

    const open = await (await t.login('examiner')).inject({ method: 'GET', url: `/api/images/${sha}`, headers: { range: `bytes=${white.length - 10}-` } });
    expect(open.rawPayload.equals(white.subarray(white.length - 10))).toBe(true);

    const outside = await (await t.login('examiner')).inject({ method: 'GET', url: `/api/images/${sha}`, headers: { range: `bytes=${white.length}-` } });
    expect(outside.statusCode).toBe(416);
    expect(outside.headers['content-range']).toBe(`bytes */${white.length}`);
    expect(outside.json().code).toBe('RANGE_NOT_SATISFIABLE');

    const staleIfRange = await (await t.login('examiner')).inject({ method: 'GET', url: `/api/images/${sha}`, headers: { range: 'bytes=0-9', 'if-range': '"other"' } });
    expect(staleIfRange.statusCode).toBe(200);
    expect(staleIfRange.rawPayload.length).toBe(white.length);
  });

  it('serves thumbnail, preview and deep-zoom tiles as valid images', async () => {
    const white = capture.images[0] as Capture['images'][number];
    const thumb = await (await t.login('examiner')).inject({ method: 'GET', url: `/api/images/${white.sha256}/thumbnail` });
    expect(thumb.statusCode).toBe(200);
    expect(thumb.headers['content-type']).toBe('image/webp');
    const thumbMeta = await sharp(thumb.rawPayload).metadata();
    expect(Math.max(thumbMeta.width, thumbMeta.height)).toBeLessThanOrEqual(320);

    const preview = await (await t.login('examiner')).inject({ method: 'GET', url: `/api/images/${white.sha256}/preview` });
    expect(preview.statusCode).toBe(200);
    expect(preview.headers['content-type']).toBe('image/jpeg');
    const previewMeta = await sharp(preview.rawPayload).metadata();
    expect(previewMeta.width).toBe(2048);
    expect(previewMeta.height).toBe(1280);

    const ir = capture.images[2] as Capture['images'][number];
    const irPreview = await (await t.login('examiner')).inject({ method: 'GET', url: `/api/images/${ir.sha256}/preview` });
    expect((await sharp(irPreview.rawPayload).metadata()).width).toBe(800);

    const dzi = await (await t.login('examiner')).inject({ method: 'GET', url: `/api/images/${white.sha256}/tiles/image.dzi` });
    expect(dzi.statusCode).toBe(200);
    expect(dzi.headers['content-type']).toMatch(/^application\/xml/);
    expect(dzi.body).toMatch(/Width="2400"/);
    const level = Math.ceil(Math.log2(2400));
    const tile = await (await t.login('examiner')).inject({ method: 'GET', url: `/api/images/${white.sha256}/tiles/image_files/${level}/0_0.jpeg` });
    expect(tile.statusCode).toBe(200);
    expect((await sharp(tile.rawPayload).metadata()).format).toBe('jpeg');

    // Only DZI names are served under tiles/, never another derivative or a path out of the set.
    expect((await (await t.login('examiner')).inject({ method: 'GET', url: `/api/images/${white.sha256}/tiles/preview.jpg` })).statusCode).toBe(404);
    expect((await (await t.login('examiner')).inject({ method: 'GET', url: `/api/images/${white.sha256}/tiles/image_files/..%2F..%2Fpreview.jpg` })).statusCode).toBe(404);
    expect((await (await t.login('examiner')).inject({ method: 'GET', url: `/api/images/${white.sha256}/tiles/../../originals` })).statusCode).not.toBe(200);
    expect((await (await t.login('examiner')).inject({ method: 'GET', url: `/api/images/${white.sha256}/tiles/image_files/99/0_0.jpeg` })).statusCode).toBe(404);
    expect((await (await t.login('examiner')).inject({ method: 'GET', url: `/api/images/${ir.sha256}/tiles/image.dzi` })).statusCode).toBe(404);
  });

  it('edits zones with revision checks', async () => {
    const current = (await (await t.login('examiner')).inject({ method: 'GET', url: `/api/specimens/${specimen.id}` })).json<Specimen>();
    const [kept] = capture.zones;
    const added = { type: 'photo', polygon: [[20, 20], [200, 20], [200, 260]], lightSources: ['white'], personalised: true };
    const put = await (await t.login('examiner')).inject({
      method: 'PUT',
      url: `/api/specimens/${specimen.id}/captures/${capture.id}/zones`,
      payload: { revision: current.revision, zones: [kept, added] },
    });
    expect(put.statusCode).toBe(200);
    const after = put.json<Specimen>();
    expect(after.revision).toBe(current.revision + 1);
    const zones = after.captures[0]?.zones ?? [];
    expect(zones[0]).toEqual(kept);
    expect(zones[1]).toEqual({ id: expect.any(String), ...added });

    const stale = await (await t.login('examiner')).inject({
      method: 'PUT',
      url: `/api/specimens/${specimen.id}/captures/${capture.id}/zones`,
      payload: { revision: current.revision, zones: [] },
    });
    expect(stale.statusCode).toBe(409);

    const zonesUrl = `/api/specimens/${specimen.id}/captures/${capture.id}/zones`;
    const foreignId = await (await t.login('examiner')).inject({ method: 'PUT', url: zonesUrl, payload: { revision: after.revision, zones: [{ ...added, id: 'notAZoneHere' }] } });
    expect(foreignId.statusCode).toBe(400);
    expect(foreignId.json().details.errors).toEqual([expect.objectContaining({ path: '/zones/0/id' })]);
    const incomplete = await (await t.login('examiner')).inject({ method: 'PUT', url: zonesUrl, payload: { revision: after.revision, zones: [{ type: 'photo', lightSources: ['white'], personalised: true }] } });
    expect(incomplete.statusCode).toBe(400);
    expect(incomplete.json().details.errors).toEqual([expect.objectContaining({ path: '/zones/0/polygon' })]);
    // Through the service (as the CLI calls it) the same body gets the same answer.
    const direct = await t.context.services.specimens
      .replaceZones(specimen.id, capture.id, { revision: after.revision, zones: [{ type: 'photo', lightSources: ['white'], personalised: true }] }, systemActor('cli'))
      .catch((err: { code: string; details: unknown }) => err);
    expect(direct).toMatchObject({ code: 'VALIDATION_FAILED', details: { errors: [expect.objectContaining({ path: '/zones/0/polygon' })] } });

    const outside = await (await t.login('examiner')).inject({
      method: 'PATCH',
      url: `/api/specimens/${specimen.id}/captures/${capture.id}/zones/${zones[1]?.id}`,
      payload: { revision: after.revision, polygon: [[0, 0], [9000, 0], [0, 10]] },
    });
    expect(outside.statusCode).toBe(400);

    const relabel = await (await t.login('examiner')).inject({
      method: 'PATCH',
      url: `/api/specimens/${specimen.id}/captures/${capture.id}/zones/${zones[1]?.id}`,
      payload: { revision: after.revision, label: 'Holder portrait' },
    });
    expect(relabel.statusCode).toBe(200);
    expect(relabel.json<Specimen>().captures[0]?.zones[1]?.label).toBe('Holder portrait');
  });
});

describe('bad uploads leave no trace', () => {
  let specimen: Specimen;
  let good: Buffer;

  beforeAll(async () => {
    specimen = await createSpecimen({ ...MINIMAL_SPECIMEN, title: 'Target of refused uploads' });
    good = await makeTestImage({ width: 300, height: 200, seed: 99 });
  });

  async function expectRefused(parts: Parameters<typeof multipartBody>[0], status: number, code: string, app: TestApp = t, target = specimen) {
    const before = await app.objectKeys();
    const record = (await (await app.login('examiner')).inject({ method: 'GET', url: `/api/specimens/${target.id}` })).json<Specimen>();
    const { payload, headers } = multipartBody(parts);
    const res = await (await app.login('examiner')).inject({ method: 'POST', url: `/api/specimens/${target.id}/captures`, payload, headers });
    expect({ status: res.statusCode, code: res.json().code }).toEqual({ status, code });
    expect(Object.keys(res.json()).sort()).toEqual(['code', 'details', 'message']);
    expect(await app.objectKeys()).toEqual(before);
    expect((await (await app.login('examiner')).inject({ method: 'GET', url: `/api/specimens/${target.id}` })).json()).toEqual(record);
    // Spooled parts and derivative scratch space are gone too.
    expect((await fs.readdir(app.config.tmpDir)).filter((n) => n.startsWith('upload-') || n.startsWith('derivatives-'))).toEqual([]);
    return res.json<{ code: string; message: string; details: Record<string, unknown> }>();
  }

  const capture = { name: 'capture', value: JSON.stringify({ page: 'front' }) };

  it('unknown light-source field → 400', async () => {
    const body = await expectRefused([capture, { name: 'white', filename: 'a.jpg', data: good }, { name: 'ultraviolet', filename: 'b.jpg', data: good }], 400, 'VALIDATION_FAILED');
    expect(body.details.errors).toEqual([expect.objectContaining({ path: '/ultraviolet' })]);
  });

  it('the same light source twice → 400', async () => {
    await expectRefused([capture, { name: 'white', filename: 'a.jpg', data: good }, { name: 'white', filename: 'b.jpg', data: good }], 400, 'VALIDATION_FAILED');
  });

  it('GIF → 415', async () => {
    const gif = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#884422' } }).gif().toBuffer();
    await expectRefused([capture, { name: 'white', filename: 'ok.jpg', data: good }, { name: 'uv-365', filename: 'x.gif', data: gif, contentType: 'image/jpeg' }], 415, 'IMAGE_UNSUPPORTED');
  });

  it('an empty file → 415, saying it is empty', async () => {
    const body = await expectRefused([capture, { name: 'white', filename: 'ok.jpg', data: good }, { name: 'ir-870', filename: 'scan.jpg', data: Buffer.alloc(0) }], 415, 'IMAGE_UNSUPPORTED');
    expect(body.message).toBe('The IR 870 nm image file is empty');
  });

  it('SVG → 415, whatever its declared type', async () => {
    const svg = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>');
    await expectRefused([capture, { name: 'white', filename: 'x.png', data: svg, contentType: 'image/png' }], 415, 'IMAGE_UNSUPPORTED');
  });

  it('truncated JPEG → 422', async () => {
    const jpeg = await makeTestImage({ width: 600, height: 400, seed: 5 });
    await expectRefused([capture, { name: 'white', filename: 'ok.jpg', data: good }, { name: 'ir-870', filename: 'cut.jpg', data: jpeg.subarray(0, Math.floor(jpeg.length * 0.6)) }], 422, 'IMAGE_CORRUPT');
  });

  it('bad capture JSON → 400 (syntax, schema, missing)', async () => {
    await expectRefused([{ name: 'capture', value: '{"page": "front",' }, { name: 'white', filename: 'a.jpg', data: good }], 400, 'VALIDATION_FAILED');
    const schema = await expectRefused([{ name: 'capture', value: JSON.stringify({ page: 'inside-out', dpi: 3 }) }, { name: 'white', filename: 'a.jpg', data: good }], 400, 'VALIDATION_FAILED');
    expect((schema.details.errors as Array<{ path: string }>).map((e) => e.path).sort()).toEqual(['/dpi', '/page']);
    await expectRefused([{ name: 'white', filename: 'a.jpg', data: good }], 400, 'VALIDATION_FAILED');
    await expectRefused([capture], 400, 'VALIDATION_FAILED');
  });

  it('a zone outside the images, found only after the images were stored → 400, stored objects removed', async () => {
    const fresh = await makeTestImage({ width: 320, height: 200, seed: 77 });
    const zone = { type: 'photo', polygon: [[0, 0], [5000, 0], [0, 100]], lightSources: ['white'], personalised: true };
    const body = await expectRefused(
      [{ name: 'capture', value: JSON.stringify({ page: 'front', zones: [zone] }) }, { name: 'white', filename: 'fresh.jpg', data: fresh }],
      400,
      'VALIDATION_FAILED',
    );
    expect(body.details.errors).toEqual([expect.objectContaining({ path: expect.stringMatching(/zones\/0\/polygon\/1$/) })]);
  });

  it('a specimen that does not exist → 404, nothing stored', async () => {
    await expectRefused([capture, { name: 'white', filename: 'a.jpg', data: good }], 404, 'SPECIMEN_NOT_FOUND', t, { ...specimen, id: 'noSuchSpecimen' });
  });

  it('not multipart → 415', async () => {
    const res = await (await t.login('examiner')).inject({ method: 'POST', url: `/api/specimens/${specimen.id}/captures`, payload: { page: 'front' } });
    expect(res.statusCode).toBe(415);
    expect(res.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  describe('with small limits', () => {
    let small: TestApp;
    let target: Specimen;
    beforeAll(async () => {
      small = await buildTestApp({ EXEMPLAR_MAX_UPLOAD_BYTES: '20000', EXEMPLAR_MAX_IMAGE_PIXELS: '100000' });
      const res = await (await small.login('examiner')).inject({ method: 'POST', url: '/api/specimens', payload: MINIMAL_SPECIMEN });
      target = res.json<Specimen>();
    });
    afterAll(async () => small.close());

    it('over the byte limit → 413 while streaming', async () => {
      const big = await makeTestImage({ width: 300, height: 300, format: 'png', seed: 3 });
      expect(big.length).toBeGreaterThan(20000);
      const body = await expectRefused([capture, { name: 'white', filename: 'small.jpg', data: await makeTestImage({ width: 60, height: 40 }) }, { name: 'uv-365', filename: 'big.png', data: big }], 413, 'IMAGE_TOO_LARGE', small, target);
      expect(body.details).toMatchObject({ lightSource: 'uv-365', maxBytes: 20000 });
      // Said as a person names the image and reads a size.
      expect(body.message).toBe('The UV 365 nm image is larger than 20,000 bytes');
    });

    it('over the pixel limit → 413', async () => {
      // Flat colour: few bytes, many pixels.
      const wide = await sharp({ create: { width: 500, height: 210, channels: 3, background: '#d0c8b0' } }).jpeg().toBuffer();
      expect(wide.length).toBeLessThan(20000);
      const body = await expectRefused([capture, { name: 'white', filename: 'wide.jpg', data: wide }], 413, 'IMAGE_TOO_LARGE', small, target);
      expect(body.message).toBe('White light image: Image is 500 × 210 px (105,000 pixels); at most 100,000 pixels are accepted');
    });
  });
});

describe('errors and documentation', () => {
  it('answers 404s with the error shape', async () => {
    for (const url of ['/api/specimens/noSuchSpecimen', `/api/images/${'a'.repeat(64)}`, `/api/images/${'a'.repeat(64)}/thumbnail`, '/api/nothing-here']) {
      const res = await (await t.login('examiner')).inject({ method: 'GET', url });
      expect(res.statusCode).toBe(404);
      const body = res.json();
      expect(Object.keys(body).sort()).toEqual(['code', 'details', 'message']);
    }
    expect((await (await t.login('examiner')).inject({ method: 'GET', url: '/api/specimens/noSuchSpecimen' })).json().code).toBe('SPECIMEN_NOT_FOUND');
    const badSha = await (await t.login('examiner')).inject({ method: 'GET', url: '/api/images/not-a-hash' });
    expect(badSha.statusCode).toBe(400);
    expect(badSha.json().code).toBe('VALIDATION_FAILED');
  });

  it('reports health and request ids', async () => {
    const res = await (await t.login('examiner')).inject({ method: 'GET', url: '/api/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', version: expect.any(String), catalog: 'sqlite', objects: 'fs' });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves the OpenAPI document with every route and its schemas', async () => {
    const res = await (await t.login('examiner')).inject({ method: 'GET', url: '/api/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{ openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>>; components: { schemas: Record<string, unknown> } }>();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/health',
        '/api/specimens',
        '/api/specimens/{id}',
        '/api/specimens/{id}/captures',
        '/api/specimens/{id}/captures/{captureId}/zones',
        '/api/images/{sha256}',
        '/api/images/{sha256}/thumbnail',
      ]),
    );
    for (const [route, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        expect({ route, method, documented: Object.keys(op.responses).length > 1 }).toEqual({ route, method, documented: true });
      }
    }
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Specimen', 'Capture', 'ErrorResponse']));
    const ui = await (await t.login('examiner')).inject({ method: 'GET', url: '/api/docs' });
    expect([200, 302]).toContain(ui.statusCode);
  });
});

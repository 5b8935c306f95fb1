/**
 * The MRZ routes on the real app (inject): parse contract and errors, and a
 * read of a rendered MRZ image through the worker-thread reader (the
 * compiled image-pipeline, as in production).
 */
import fs from 'node:fs/promises';
import sharp from 'sharp';
import { renderMrzImage } from '@exemplar/image-pipeline';
import { buildTestApp, multipartBody, type TestApp } from '../../test-helpers';

const TD3 = ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO7408122F1204159ZE184226B<<<<<10'];
const GBR_VISA = ['VBGBROCONNOR<<ENYA<SIOBHAN<<<<<<<<<<<<<<<<<<', '5114278475DOM7510223M150611808<<<<<<<<<<<<<<'];

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t.close();
});

const post = async (url: string, body: unknown) => (await t.login('examiner')).inject({ method: 'POST', url, payload: body as Record<string, unknown> });

describe('POST /api/mrz/parse', () => {
  it('answers the fields and one result per check digit', async () => {
    const res = await post('/api/mrz/parse', { lines: TD3 });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      format: 'TD3',
      valid: false,
      checkDigitsValid: true,
      checks: { documentNumber: true, birthDate: true, expirationDate: true, personalNumber: true, composite: true },
      fields: { documentNumber: 'L898902C3', lastName: 'ERIKSSON', firstName: 'ANNA MARIA', issuingState: null },
      errors: [
        { field: 'issuingState', message: 'invalid state code: UTO', line: 0 },
        { field: 'nationality', message: 'invalid state code: UTO', line: 1 },
      ],
    });
  });

  it('parses visas, with only their three check digits', async () => {
    const body = (await post('/api/mrz/parse', { lines: GBR_VISA })).json();
    expect(body).toMatchObject({ format: 'MRVA', valid: true, fields: { documentCode: 'VB', optionalData: '08', nationality: 'DOM' } });
    expect(body.checks).toEqual({ documentNumber: true, birthDate: true, expirationDate: true });
  });

  it('autocorrects on request', async () => {
    const noisy = ['P<UT0ERIK55ON<<ANNA<MAR1A<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO740BIZZF12041S9ZE184226B<<<<<1O'];
    const plain = (await post('/api/mrz/parse', { lines: noisy })).json();
    expect(plain.checkDigitsValid).toBe(false);
    const fixed = (await post('/api/mrz/parse', { lines: noisy, autocorrect: true })).json();
    expect(fixed).toMatchObject({ checkDigitsValid: true, lines: TD3 });
    expect(fixed.autocorrected.length).toBeGreaterThan(5);
  });

  it('refuses what is not MRZ lines with 400 and the reason', async () => {
    const short = await post('/api/mrz/parse', { lines: [TD3[0], TD3[1]!.slice(2)] });
    expect(short.statusCode).toBe(400);
    expect(short.json()).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('expected 3 × 30 (TD1)'), details: { errors: [{ path: '/lines' }] } });
    const chars = await post('/api/mrz/parse', { lines: [TD3[0], TD3[1]!.replace('F', 'f')] });
    expect(chars.json()).toMatchObject({ code: 'VALIDATION_FAILED', details: { errors: [{ path: '/lines/1' }] } });
    for (const body of [{ lines: [TD3[0]] }, { lines: TD3, extra: 1 }, { lines: 'P<UTO' }, {}]) {
      const res = await post('/api/mrz/parse', body);
      expect([res.statusCode, res.json().code]).toEqual([400, 'VALIDATION_FAILED']);
    }
  });
});

describe('POST /api/mrz/read', () => {
  const upload = async (parts: Parameters<typeof multipartBody>[0]) => {
    const { payload, headers } = multipartBody(parts);
    return (await t.login('examiner')).inject({ method: 'POST', url: '/api/mrz/read', payload, headers });
  };

  it('reads the MRZ of a photo-like image and parses it', async () => {
    const jpeg = await renderMrzImage(TD3, { pitch: 17, rotateDeg: 2.5, blurSigma: 0.8, noiseSigma: 7, jpegQuality: 80, seed: 21, caption: 'UTOPIA — PASSPORT' });
    const res = await upload([{ name: 'image', filename: 'passport.jpg', data: jpeg, contentType: 'image/jpeg' }]);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ found: true, reading: { format: 'TD3', lines: TD3, checkDigitsValid: true, misaligned: [] }, parse: { format: 'TD3', lines: TD3, checkDigitsValid: true } });
    expect(body.reading.confidence).toHaveLength(2);
    expect(body.reading.confidence[1]).toHaveLength(44);
    expect(body.reading.quad).toHaveLength(4);
    expect(body.reading.angleDeg).toBeCloseTo(2.5, 0);
  });

  it('answers found: false for an image without an MRZ', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="200"><rect width="100%" height="100%" fill="#fafafa"/><text x="20" y="110" font-family="DejaVu Sans" font-size="30">Nothing machine readable</text></svg>';
    const png = await sharp(Buffer.from(svg)).png().toBuffer();
    const res = await upload([{ name: 'image', filename: 'x.png', data: png, contentType: 'image/png' }]);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ found: false, reading: null, parse: null, elapsedMs: expect.any(Number) });
  });

  it('refuses bad uploads with the upload error codes and leaves no temp file', async () => {
    const notImage = await upload([{ name: 'image', filename: 'a.png', data: Buffer.from('not an image at all') }]);
    expect([notImage.statusCode, notImage.json().code]).toEqual([415, 'IMAGE_UNSUPPORTED']);
    const truncated = (await renderMrzImage(TD3, { pitch: 12, jpegQuality: 90 })).subarray(0, 600);
    const corrupt = await upload([{ name: 'image', filename: 'a.jpg', data: truncated }]);
    expect([corrupt.statusCode, corrupt.json().code]).toEqual([422, 'IMAGE_CORRUPT']);
    const wrongField = await upload([{ name: 'photo', filename: 'a.png', data: Buffer.from('x') }]);
    expect([wrongField.statusCode, wrongField.json().code]).toEqual([400, 'VALIDATION_FAILED']);
    const none = await upload([]);
    expect([none.statusCode, none.json().code]).toEqual([400, 'VALIDATION_FAILED']);
    const json = await post('/api/mrz/read', { image: 'x' });
    expect(json.statusCode).toBe(415);
    expect(await fs.readdir(t.config.tmpDir)).toEqual([]);
  });

  it('refuses an image larger than the upload limit', async () => {
    const small = await buildTestApp({ EXEMPLAR_MAX_UPLOAD_BYTES: '2000' });
    try {
      const { payload, headers } = multipartBody([{ name: 'image', filename: 'a.png', data: await renderMrzImage(TD3, { pitch: 14, noiseSigma: 20 }) }]);
      const res = await (await small.login('examiner')).inject({ method: 'POST', url: '/api/mrz/read', payload, headers });
      expect([res.statusCode, res.json().code]).toEqual([413, 'IMAGE_TOO_LARGE']);
    } finally {
      await small.close();
    }
  });
});

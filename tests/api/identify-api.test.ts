/**
 * Identification through the API: descriptors computed at ingest (real
 * OpenCV in the pipeline's worker threads), a perspective photo of a
 * catalogued document ranked against the demo documents.
 */
import { simulatePhoto, type Holder } from '@exemplar/image-pipeline';
import type { Capture, Specimen } from '@exemplar/specimens-schema';
import { buildTestApp, makeTestImage, multipartBody, type TestApp } from '../../server/src/test-helpers';
import { catalogue, DESIGNS, HOLDERS, renderCapture } from './comparison-fixtures';

jest.setTimeout(900_000);

const DPI = 150;
let t: TestApp;
const caught: Record<string, { specimen: Specimen; captures: Capture[] }> = {};

async function identify(image: Buffer, fields: Record<string, string> = {}) {
  const { payload, headers } = multipartBody([
    ...Object.entries(fields).map(([name, value]) => ({ name, value })),
    { name: 'image', filename: 'photo.jpg', data: image, contentType: 'image/jpeg' },
  ]);
  return (await t.login('examiner')).inject({ method: 'POST', url: '/api/identify', payload, headers });
}

const white = async (design: (typeof DESIGNS)[keyof typeof DESIGNS], holder: Holder = HOLDERS.passportA, noiseSeed = 1) =>
  renderCapture(design, holder, { dpi: DPI, lights: ['white'], noiseSeed });

beforeAll(async () => {
  t = await buildTestApp({ EXEMPLAR_SERVER_COMPARISONS: '0' });
  caught.passport = await catalogue(t, { title: 'Utopia passport 2019' }, [{ page: 'data-page', capture: await white(DESIGNS.passport) }]);
  caught.idCard = await catalogue(t, { title: 'Utopia identity card 2021', documentCategory: 'id-card', documentCode: 'ID', series: '2021' }, [
    { page: 'front', capture: await white(DESIGNS.idFront, HOLDERS.idCard) },
    { page: 'back', capture: await white(DESIGNS.idBack, HOLDERS.idCard) },
  ]);
  caught.permit = await catalogue(t, { title: 'Utopia residence permit 2020', documentCategory: 'residence-permit', documentCode: 'IR', series: '2020' }, [
    { page: 'front', capture: await white(DESIGNS.permitFront, HOLDERS.residencePermit) },
    { page: 'back', capture: await white(DESIGNS.permitBack, HOLDERS.residencePermit) },
  ]);
});

afterAll(async () => {
  await t?.close();
});

describe('ingest', () => {
  it('stores an identification descriptor with each white image and its keypoints as an object', async () => {
    const image = caught.passport!.captures[0]!.images[0]!;
    expect(image.identification).toMatchObject({ method: 'orb-lsh-v2', keypoints: `derivatives/${image.sha256.slice(0, 2)}/${image.sha256}/identify-orb-lsh-v2.bin` });
    expect(image.identification!.keypointCount).toBeGreaterThan(100);
    expect(await t.objectKeys()).toContain(image.identification!.keypoints);
  });
});

describe('POST /api/identify', () => {
  it.each([
    ['residence permit, front', 'permit', 0, DESIGNS.permitFront, HOLDERS.residencePermit, 21],
    ['identity card, back', 'idCard', 1, DESIGNS.idBack, HOLDERS.idCard, 22],
  ] as const)('ranks the right capture first for a perspective photo of the %s', async (_what, key, captureIndex, design, holder, seed) => {
    const doc = await white(design, holder, 7);
    const photo = await simulatePhoto(doc.images.white!, { seed, maxTiltDeg: 18, maxRotationDeg: 12 });
    const res = await identify(photo.image);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const expected = caught[key]!;
    expect(body.candidates[0]).toMatchObject({ specimenId: expected.specimen.id, captureId: expected.captures[captureIndex]!.id, verified: true, lightSource: 'white' });
    expect(body.candidates[0].score).toBeGreaterThan(0.5);
    // No other document verifies as well.
    for (const other of body.candidates.slice(1)) expect(other.inliers).toBeLessThan(body.candidates[0].inliers);
    expect(body.searched).toBe(5);
  });

  it('recognises the document type regardless of the holder: another holder’s passport finds the catalogued passport', async () => {
    const doc = await white(DESIGNS.passport, HOLDERS.passportB, 9);
    const photo = await simulatePhoto(doc.images.white!, { seed: 31, maxTiltDeg: 15 });
    const body = (await identify(photo.image)).json();
    expect(body.candidates[0]).toMatchObject({ specimenId: caught.passport!.specimen.id, verified: true });
  });

  it('narrows by issuing state and document code from the MRZ', async () => {
    // A scan of the residence permit's front: the identity card's front shares its layout, but ranks below it.
    const doc = await white(DESIGNS.permitFront, HOLDERS.residencePermit, 7);
    const all = (await identify(doc.images.white!)).json();
    expect(all.candidates[0]).toMatchObject({ specimenId: caught.permit!.specimen.id, captureId: caught.permit!.captures[0]!.id, verified: true });
    const narrowed = (await identify(doc.images.white!, { issuingState: 'UTO', documentCode: 'ID', k: '3' })).json();
    expect(narrowed.filter).toEqual({ issuingState: 'UTO', documentCode: 'ID' });
    expect(narrowed.searched).toBe(2);
    expect(narrowed.candidates).toHaveLength(2);
    expect(narrowed.candidates.every((c: any) => c.specimenId === caught.idCard!.specimen.id)).toBe(true);
  });

  it('verifies nothing for an unrelated image', async () => {
    const body = (await identify(await makeTestImage({ width: 700, height: 500, seed: 5 }))).json();
    expect(body.candidates.some((c: any) => c.verified)).toBe(false);
  });

  it('answers 503 QUEUE_FULL when the pipeline has no room, and serves the requests it took', async () => {
    const busy = await buildTestApp({ EXEMPLAR_PIPELINE_THREADS: '1', EXEMPLAR_PIPELINE_QUEUE: '0', EXEMPLAR_SERVER_COMPARISONS: '0' });
    try {
      const doc = await white(DESIGNS.idFront, HOLDERS.idCard, 4);
      const requests = Array.from({ length: 3 }, async () => {
        const { payload, headers } = multipartBody([{ name: 'image', filename: 'photo.png', data: doc.images.white!, contentType: 'image/png' }]);
        return (await busy.login('examiner')).inject({ method: 'POST', url: '/api/identify', payload, headers });
      });
      const answers = await Promise.all(requests);
      const statuses = answers.map((a) => a.statusCode);
      expect(statuses).toContain(200);
      expect(statuses).toContain(503);
      const refused = answers.find((a) => a.statusCode === 503)!;
      expect(refused.json()).toMatchObject({ code: 'QUEUE_FULL', message: expect.any(String), details: expect.any(Object) });
    } finally {
      await busy.close();
    }
  });

  it('refuses what is not an image (415), a bad filter (400), a missing image (400)', async () => {
    const notImage = await identify(Buffer.from('%PDF-1.4 not an image'));
    expect({ status: notImage.statusCode, code: notImage.json().code }).toEqual({ status: 415, code: 'IMAGE_UNSUPPORTED' });
    const doc = await white(DESIGNS.idFront, HOLDERS.idCard, 3);
    const badState = await identify(doc.images.white!, { issuingState: 'utopia' });
    expect({ status: badState.statusCode, code: badState.json().code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    const { payload, headers } = multipartBody([{ name: 'k', value: '3' }]);
    const missing = await (await t.login('examiner')).inject({ method: 'POST', url: '/api/identify', payload, headers });
    expect({ status: missing.statusCode, code: missing.json().code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
  });
});

/**
 * Naming stored images in a comparison (`questioned.images`: SHA-256 per
 * light source) reaches only images the submitter may read already. The
 * comparison's questioned download hands the named bytes back, so a hash
 * alone must never be enough. Real HTTP (inject) on the real app and a real
 * SQLite file; comparisons are only queued (nothing here needs them to run).
 */
import type { Capture, Specimen } from '@exemplar/specimens-schema';
import { COMPARISON_JOB_KIND } from '../../server/src/services/comparisons.service';
import { buildTestApp, makeTestImage, MINIMAL_SPECIMEN, multipartBody, sha256, type LoggedIn, type TestApp } from '../../server/src/test-helpers';

// Uploads go through the real ingest (decode, derivatives, identification descriptor) on a shared machine: slowness is not a failure.
jest.setTimeout(300_000);

let t: TestApp;
let officer: LoggedIn;
let otherOfficer: LoggedIn;
let examiner: LoggedIn;
let reference: { specimenId: string; captureId: string };
let publicSha: string;
let confidentialSha: string;

async function catalogued(classification: string, seed: number): Promise<{ specimen: Specimen; capture: Capture }> {
  const created = await examiner.inject({ method: 'POST', url: '/api/specimens', payload: { ...MINIMAL_SPECIMEN, classification, title: `${classification} sample` } });
  expect(created.statusCode).toBe(201);
  const { payload, headers } = multipartBody([
    { name: 'capture', value: JSON.stringify({ page: 'data-page' }) },
    { name: 'white', filename: 'white.jpg', data: await makeTestImage({ seed }), contentType: 'image/jpeg' },
  ]);
  const uploaded = await examiner.inject({ method: 'POST', url: `/api/specimens/${created.json().id}/captures`, payload, headers });
  expect(uploaded.statusCode).toBe(201);
  return { specimen: created.json(), capture: uploaded.json() };
}

beforeAll(async () => {
  t = await buildTestApp({ EXEMPLAR_SERVER_COMPARISONS: '0' });
  officer = await t.login('border-officer');
  examiner = await t.login('examiner');
  otherOfficer = await t.loginAs('officer2', 'border-officer');

  const pub = await catalogued('public', 21);
  reference = { specimenId: pub.specimen.id, captureId: pub.capture.id };
  publicSha = pub.capture.images[0]!.sha256;
  confidentialSha = (await catalogued('confidential', 22)).capture.images[0]!.sha256;
});

afterAll(async () => {
  await t?.close();
});

const named = (who: LoggedIn, sha: string) => who.inject({ method: 'POST', url: '/api/comparisons', payload: { reference, questioned: { images: { white: sha } } } });

/** A comparison of a seized document uploaded as its white-light image. */
function upload(who: LoggedIn, white: Buffer) {
  const { payload, headers } = multipartBody([
    { name: 'comparison', value: JSON.stringify({ reference }) },
    { name: 'white', filename: 'seized.jpg', data: white, contentType: 'image/jpeg' },
  ]);
  return who.inject({ method: 'POST', url: '/api/comparisons', payload, headers });
}

describe('naming questioned images by SHA-256', () => {
  it('refuses a border officer the original of a confidential specimen, as if it were not stored, and queues nothing', async () => {
    expect((await officer.inject({ method: 'GET', url: `/api/images/${confidentialSha}` })).statusCode).toBe(404);
    const refused = await named(officer, confidentialSha);
    expect(refused.statusCode).toBe(404);
    expect(refused.json()).toMatchObject({ code: 'IMAGE_NOT_FOUND' });
    expect((await officer.inject({ method: 'GET', url: '/api/comparisons' })).json().items).toEqual([]);
  });

  it("lets a border officer name a library original they may see, and their own questioned image again; not another officer's", async () => {
    expect((await named(officer, publicSha)).statusCode).toBe(202);

    const seized = await makeTestImage({ seed: 23 });
    const uploaded = await upload(officer, seized);
    expect(uploaded.statusCode).toBe(202);
    expect(uploaded.json().questioned.white.sha256).toBe(sha256(seized));

    const again = await named(officer, sha256(seized));
    expect(again.statusCode).toBe(202);
    const theirs = await named(otherOfficer, sha256(seized));
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json()).toMatchObject({ code: 'IMAGE_NOT_FOUND' });
  });

  it('keeps the file name a questioned image was uploaded under when it is named again (run with another reference)', async () => {
    const seized = await makeTestImage({ seed: 24 });
    const uploaded = await upload(officer, seized);
    expect(uploaded.json().questioned.white.originalName).toBe('seized.jpg');
    const again = await named(officer, sha256(seized));
    expect(again.statusCode).toBe(202);
    expect(again.json().questioned.white).toMatchObject({ sha256: sha256(seized), originalName: 'seized.jpg' });
    expect((await officer.inject({ method: 'GET', url: `/api/comparisons/${again.json().id}` })).json().questioned.white.originalName).toBe('seized.jpg');
  });

  it('lets an examiner name any stored image', async () => {
    expect((await named(examiner, confidentialSha)).statusCode).toBe(202);
  });
});

describe("a border officer's own comparisons, however many others came since", () => {
  it('lists an older comparison and lets its questioned image be named again after 1000 newer ones by another officer', async () => {
    const seized = await makeTestImage({ seed: 24 });
    const older = await upload(officer, seized);
    expect(older.statusCode).toBe(202);

    // A busy lab: another officer's comparisons, as the service records them, written straight to the job store so the test stays fast.
    // They are cancelled, so they do not fill the queue.
    for (let i = 0; i < 1000; i++) {
      const sha = sha256(Buffer.from(`other seizure ${i}`));
      const id = `busy-lab-${String(i).padStart(4, '0')}`;
      const key = `questioned/${sha}`;
      await t.context.catalog.jobs.enqueue({
        id,
        kind: COMPARISON_JOB_KIND,
        payload: { v: 1, request: { reference }, questioned: { white: { sha256: sha, key, bytes: 1, width: 1, height: 1, format: 'jpeg' } }, createdBy: 'officer2' },
        createdBy: 'officer2',
        inputs: [key],
      });
      await t.context.catalog.jobs.cancel(id);
    }

    const listed = await officer.inject({ method: 'GET', url: '/api/comparisons?limit=100' });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items.map((c: { id: string }) => c.id)).toContain(older.json().id);
    expect((await officer.inject({ method: 'GET', url: '/api/comparisons?status=queued&limit=100' })).json().items.map((c: { id: string }) => c.id)).toContain(older.json().id);
    const again = await named(officer, sha256(seized));
    expect(again.statusCode).toBe(202);
    expect(again.json().questioned.white.sha256).toBe(sha256(seized));
    expect((await named(otherOfficer, sha256(seized))).statusCode).toBe(404);

    // Pages: the examiner reaches every comparison of the busy lab, each once, newest first; the officer only their own.
    const pages = async (who: LoggedIn, query: string) => {
      const items: { id: string; createdAt: string; createdBy: string }[] = [];
      for (let cursor: string | null = null, n = 0; n === 0 || cursor !== null; n++) {
        const res = await who.inject({ method: 'GET', url: `/api/comparisons?${query}${cursor ? `&cursor=${cursor}` : ''}` });
        expect(res.statusCode).toBe(200);
        items.push(...res.json().items);
        cursor = res.json().nextCursor;
        expect(n).toBeLessThan(1100);
      }
      return items;
    };
    const everything = await pages(examiner, 'limit=100');
    const ids = everything.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining([older.json().id, again.json().id, 'busy-lab-0000', 'busy-lab-0999']));
    expect(ids.indexOf('busy-lab-0999')).toBeLessThan(ids.indexOf('busy-lab-0000'));
    const created = everything.map((c) => Date.parse(c.createdAt));
    expect([...created].sort((a, b) => b - a)).toEqual(created);
    const cancelled = await pages(examiner, 'status=cancelled&limit=70');
    expect(cancelled.map((c) => c.id)).toEqual(ids.filter((id) => id.startsWith('busy-lab-')));

    const own = await pages(officer, 'limit=1');
    expect(own.map((c) => c.id)).toEqual(ids.filter((id) => everything.find((c) => c.id === id)!.createdBy === officer.username));
    expect(own.map((c) => c.id)).toEqual(expect.arrayContaining([older.json().id, again.json().id]));

    // Another officer's comparison, or an id never given, is no cursor for the officer; the examiner may go on from it.
    for (const cursor of ['busy-lab-0500', 'never-listed-0001']) {
      const refused = await officer.inject({ method: 'GET', url: `/api/comparisons?cursor=${cursor}` });
      expect({ status: refused.statusCode, code: refused.json().code }).toEqual({ status: 400, code: 'BAD_REQUEST' });
    }
    expect((await officer.inject({ method: 'GET', url: '/api/comparisons?cursor=..%2Fx' })).statusCode).toBe(400);
    const after = await examiner.inject({ method: 'GET', url: '/api/comparisons?cursor=busy-lab-0500&limit=2' });
    expect(after.json()).toMatchObject({ items: [{ id: 'busy-lab-0499' }, { id: 'busy-lab-0498' }], nextCursor: 'busy-lab-0498' });
  });
});

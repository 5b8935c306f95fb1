/**
 * Searching comparisons (`GET /api/comparisons?q=`) by what the lists show
 * of them: notes, questioned file names, the reference's title, the id, the
 * submitter. Real HTTP (inject) on the real app and a real SQLite file;
 * comparisons are only queued (nothing here needs them to run).
 */
import type { Specimen } from '@exemplar/specimens-schema';
import { COMPARISON_JOB_KIND, type ComparisonJobPayload } from '../../server/src/services/comparisons.service';
import { buildTestApp, makeTestImage, MINIMAL_SPECIMEN, multipartBody, sha256, type LoggedIn, type TestApp } from '../../server/src/test-helpers';

// Uploads go through the real ingest (decode, derivatives, identification descriptor) on a shared machine: slowness is not a failure.
jest.setTimeout(300_000);

let t: TestApp;
let officer: LoggedIn;
let otherOfficer: LoggedIn;
let examiner: LoggedIn;
let reference: { specimenId: string; captureId: string };
/** The officer's comparison of a seized passport, submitted before every other. */
let seized: { id: string };
let lorry: { id: string };

interface Listed {
  id: string;
  createdBy: string;
  createdAt: string;
}

/** A comparison uploaded as its white-light image, with notes, under a file name. */
async function upload(who: LoggedIn, notes: string, filename: string, seed: number): Promise<{ id: string }> {
  const { payload, headers } = multipartBody([
    { name: 'comparison', value: JSON.stringify({ reference, notes }) },
    { name: 'white', filename, data: await makeTestImage({ seed }), contentType: 'image/jpeg' },
  ]);
  const res = await who.inject({ method: 'POST', url: '/api/comparisons', payload, headers });
  expect(res.statusCode).toBe(202);
  return res.json();
}

/** A comparison job as the service wrote it before comparisons had search text, straight to the job store (fast, and what an upgraded library holds). */
async function earlierComparison(id: string, createdBy: string, notes: string, originalName: string): Promise<void> {
  const sha = sha256(Buffer.from(`earlier seizure ${id}`));
  const key = `questioned/${sha}`;
  const payload: ComparisonJobPayload = {
    v: 1,
    request: { reference, notes },
    questioned: { white: { sha256: sha, key, bytes: 1, width: 1, height: 1, format: 'jpeg', originalName } },
    createdBy,
  };
  await t.context.catalog.jobs.enqueue({ id, kind: COMPARISON_JOB_KIND, payload, createdBy, inputs: [key] });
  // Cancelled, so that they do not fill the queue.
  await t.context.catalog.jobs.cancel(id);
}

async function search(who: LoggedIn, query: string): Promise<{ items: Listed[]; nextCursor: string | null }> {
  const res = await who.inject({ method: 'GET', url: `/api/comparisons?${query}` });
  expect({ query, status: res.statusCode }).toEqual({ query, status: 200 });
  return res.json();
}

const ids = async (who: LoggedIn, q: string) => (await search(who, `q=${encodeURIComponent(q)}&limit=100`)).items.map((c) => c.id);

/** Every page of a listing, `cursor` after `cursor`. */
async function pages(who: LoggedIn, query: string): Promise<Listed[]> {
  const items: Listed[] = [];
  for (let cursor: string | null = null, n = 0; n === 0 || cursor !== null; n++) {
    const page = await search(who, `${query}${cursor ? `&cursor=${cursor}` : ''}`);
    items.push(...page.items);
    cursor = page.nextCursor;
    expect(n).toBeLessThan(200);
  }
  return items;
}

beforeAll(async () => {
  t = await buildTestApp({ EXEMPLAR_SERVER_COMPARISONS: '0' });
  officer = await t.login('border-officer');
  examiner = await t.login('examiner');
  otherOfficer = await t.loginAs('officer2', 'border-officer');

  const created = await examiner.inject({ method: 'POST', url: '/api/specimens', payload: { ...MINIMAL_SPECIMEN, classification: 'public', title: 'Passeport République Utopia 2019' } });
  expect(created.statusCode).toBe(201);
  const specimen = created.json() as Specimen;
  const { payload, headers: multipart } = multipartBody([
    { name: 'capture', value: JSON.stringify({ page: 'data-page' }) },
    { name: 'white', filename: 'white.jpg', data: await makeTestImage({ seed: 31 }), contentType: 'image/jpeg' },
  ]);
  const uploaded = await examiner.inject({ method: 'POST', url: `/api/specimens/${specimen.id}/captures`, payload, headers: multipart });
  expect(uploaded.statusCode).toBe(201);
  reference = { specimenId: specimen.id, captureId: uploaded.json().id };

  seized = await upload(officer, 'Seized at Calais ferry terminal\nholder detained', 'IMG_4471.jpg', 32);
  lorry = await upload(otherOfficer, 'Calais lorry check', 'scan-lorry.png', 33);
  // Sixty newer comparisons of both officers, as a library upgraded from before search held them.
  for (let i = 0; i < 60; i++) {
    const n = String(i).padStart(2, '0');
    await earlierComparison(`routine-${n}-check`, i % 2 ? officer.username : 'officer2', `Routine check ${n} at the border`, `routine-${n}.jpg`);
  }
  await earlierComparison('earlier-calais-0001', officer.username, 'Old Calais case', 'old.tif');
});

afterAll(async () => {
  await t?.close();
});

describe('searching comparisons', () => {
  it('finds a comparison far below the first page by its notes, file name, reference title or id; border officers only their own', async () => {
    // Not on the first page of the listing: 61 comparisons came since.
    const first = await search(officer, 'limit=20');
    expect(first.items.map((c) => c.id)).not.toContain(seized.id);

    // Notes (folded, by word prefix); comparisons written before search had words are found too.
    expect(await ids(officer, 'calais')).toEqual(['earlier-calais-0001', seized.id]);
    expect(await ids(officer, 'CALAÏS FERR')).toEqual([seized.id]);
    expect(await ids(officer, 'detained')).toEqual([seized.id]);
    // The questioned file name, the reference's title (accents folded), the id's start.
    expect(await ids(officer, 'img_4471')).toEqual([seized.id]);
    expect(await ids(officer, 'img 44')).toEqual([seized.id]);
    expect(await ids(officer, 'republique utopia')).toEqual(expect.arrayContaining([seized.id, 'earlier-calais-0001']));
    expect(await ids(officer, `${seized.id.slice(0, 6)}`)).toContain(seized.id);
    expect(await ids(officer, 'old.tif')).toEqual(['earlier-calais-0001']);
    expect(await ids(officer, 'calais zzz')).toEqual([]);

    // Another officer's comparison is not the officer's to find, by any word; the examiner finds every one.
    expect(await ids(officer, 'lorry')).toEqual([]);
    expect(await ids(otherOfficer, 'calais')).toEqual([lorry.id]);
    expect(await ids(otherOfficer, 'ferry')).toEqual([]);
    expect(await ids(examiner, 'calais')).toEqual(['earlier-calais-0001', lorry.id, seized.id]);
    expect(await ids(examiner, 'officer2 lorry')).toEqual([lorry.id]);

    // With a status filter.
    expect((await search(officer, 'q=calais&status=queued')).items.map((c) => c.id)).toEqual([seized.id]);
    expect((await search(officer, 'q=calais&status=cancelled')).items.map((c) => c.id)).toEqual(['earlier-calais-0001']);
  });

  it('pages a search newest first without repeats or gaps, through the same cursor rules', async () => {
    const routine = (c: Listed) => c.id.startsWith('routine-');
    const everything = await pages(examiner, 'limit=100');
    const found = await pages(examiner, 'q=routine%20check&limit=7');
    expect(found.map((c) => c.id)).toEqual(everything.filter(routine).map((c) => c.id));
    expect(found).toHaveLength(60);
    const own = await pages(officer, 'q=routine&limit=4');
    expect(own.map((c) => c.id)).toEqual(everything.filter((c) => routine(c) && c.createdBy === officer.username).map((c) => c.id));
    expect(own).toHaveLength(30);
    // The last page says so.
    const last = await search(officer, `q=routine&limit=4&cursor=${own[own.length - 5]!.id}`);
    expect(last).toMatchObject({ items: own.slice(-4), nextCursor: null });

    // Another officer's comparison is no cursor for the officer, with a search or without.
    const refused = await officer.inject({ method: 'GET', url: `/api/comparisons?q=routine&cursor=${lorry.id}` });
    expect({ status: refused.statusCode, code: refused.json().code }).toEqual({ status: 400, code: 'BAD_REQUEST' });
  });

  it('answers 400 with a coded error for a search that is too long or has too many words', async () => {
    for (const q of ['x'.repeat(201), Array.from({ length: 17 }, (_, i) => `word${i}`).join(' ')]) {
      const res = await examiner.inject({ method: 'GET', url: `/api/comparisons?q=${encodeURIComponent(q)}` });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ code: expect.stringMatching(/^(VALIDATION_FAILED|BAD_REQUEST)$/), message: expect.any(String), details: expect.any(Object) });
    }
    // Text without words lists everything.
    expect((await search(examiner, 'q=%20-%20&limit=100')).items).toHaveLength(63);
  });
});

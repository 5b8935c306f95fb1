/**
 * The evidence guard for a comparison's questioned images that are
 * catalogued originals (named by SHA-256): once the comparison has finished
 * it holds nothing itself, and a case or verification request that links it
 * must keep the capture that keeps each such original, exactly as it keeps
 * the reference capture: an exhibit gives the questioned originals with
 * their hashes, and deleting the last capture holding an original deletes
 * it. Real app over a real SQLite file, the real runner and pipeline workers
 * (run `npx tsc -b` first).
 */
import type { LightMyRequestResponse } from 'fastify';
import type { Capture, Specimen } from '@exemplar/specimens-schema';
import { buildTestApp, MINIMAL_SPECIMEN, multipartBody, sha256, type LoggedIn, type TestApp } from '../../server/src/test-helpers';
import { objectKeys } from '../../server/src/stores/objects.port';
import { catalogue, DESIGNS, HOLDERS, renderCapture } from './comparison-fixtures';

jest.setTimeout(900_000);

const DPI = 150;
let t: TestApp;
let examiner: LoggedIn;
let officer: LoggedIn;
let reference: { specimen: Specimen; capture: Capture };

beforeAll(async () => {
  // No runner of its own: each comparison is run to its end by the test that submits it.
  t = await buildTestApp({ EXEMPLAR_SERVER_COMPARISONS: '0' });
  examiner = await t.login('examiner');
  officer = await t.login('border-officer');
  const made = await catalogue(t, { title: 'Reference of the comparisons' }, [{ page: 'data-page', capture: await renderCapture(DESIGNS.passport, HOLDERS.passportA, { dpi: DPI, lights: ['white'], noiseSeed: 1 }) }]);
  reference = { specimen: made.specimen, capture: made.captures[0]! };
});

afterAll(async () => {
  await t?.close();
});

interface Questioned {
  /** The specimen and capture the questioned original was catalogued in. */
  specimen: string;
  capture: string;
  sha: string;
  comparison: string;
}

/** A catalogued original (its own specimen), compared as the questioned image with the shared reference, run to its end (done). */
async function finishedComparison(title: string, noiseSeed: number): Promise<Questioned> {
  const rendered = await renderCapture(DESIGNS.passport, HOLDERS.passportA, { dpi: DPI, lights: ['white'], noiseSeed });
  const source = await catalogue(t, { title }, [{ page: 'data-page', capture: rendered }]);
  const sha = sha256(rendered.images.white!);
  const submitted = await examiner.inject({
    method: 'POST',
    url: '/api/comparisons',
    payload: { reference: { specimenId: reference.specimen.id, captureId: reference.capture.id }, questioned: { images: { white: sha } } },
  });
  expect(submitted.statusCode).toBe(202);
  const comparison = submitted.json().id as string;
  expect(await t.context.comparisonRunner.runOnce()).toBe(true);
  const ended = (await examiner.inject({ method: 'GET', url: `/api/comparisons/${comparison}` })).json();
  expect({ status: ended.status, error: ended.error }).toEqual({ status: 'done', error: null });
  // Ended, the comparison holds nothing: only what links it can keep its evidence.
  expect((await t.context.catalog.specimens.holds(source.specimen.id)).holds).toEqual([]);
  return { specimen: source.specimen.id, capture: source.captures[0]!.id, sha, comparison };
}

const revisionOf = async (specimenId: string) => (await examiner.inject({ method: 'GET', url: `/api/specimens/${specimenId}` })).json().revision as number;
const deleteCapture = async (specimenId: string, captureId: string) =>
  examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimenId}/captures/${captureId}?revision=${await revisionOf(specimenId)}` });
const deleteSpecimen = (specimenId: string) => examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimenId}` });
const captureIds = async (specimenId: string) => (await examiner.inject({ method: 'GET', url: `/api/specimens/${specimenId}` })).json().captures.map((c: { id: string }) => c.id);

async function newCase(reference: string, comparisons: string[]): Promise<{ id: string; revision: number }> {
  const res = await examiner.inject({ method: 'POST', url: '/api/cases', payload: { title: `Case ${reference}`, reference, comparisons } });
  expect(res.statusCode).toBe(201);
  return res.json();
}

describe('a catalogued original a finished comparison was given as its questioned image', () => {
  it('is kept while a case links the comparison: deleting its capture or its specimen answers 409 EVIDENCE naming the case', async () => {
    const q = await finishedComparison('Questioned original of a case', 2);
    const kase = await newCase('QUESTIONED-1', [q.comparison]);

    const refused = await deleteCapture(q.specimen, q.capture);
    expect({ status: refused.statusCode, code: refused.json().code, details: refused.json().details }).toMatchObject({
      status: 409,
      code: 'CONFLICT',
      details: { reason: 'EVIDENCE', cases: [kase.id], verificationRequests: [], comparisons: [q.comparison] },
    });
    const whole = await deleteSpecimen(q.specimen);
    expect({ status: whole.statusCode, details: whole.json().details }).toMatchObject({ status: 409, details: { reason: 'EVIDENCE', cases: [kase.id], comparisons: [q.comparison] } });
    expect(await captureIds(q.specimen)).toEqual([q.capture]);
    expect(await t.objectKeys()).toContain(objectKeys.original(q.sha));
    // The reference is kept as before.
    expect((await deleteCapture(reference.specimen.id, reference.capture.id)).statusCode).toBe(409);
  });

  it('is kept while a verification request links the comparison: deleting its capture or its specimen answers 409 EVIDENCE naming the request', async () => {
    const q = await finishedComparison('Questioned original of a verification request', 3);
    const { payload, headers } = multipartBody([
      { name: 'request', value: JSON.stringify({ urgency: 'routine' }) },
      { name: 'white', filename: 'white.png', data: (await renderCapture(DESIGNS.passport, HOLDERS.passportA, { dpi: DPI, lights: ['white'], noiseSeed: 3 })).images.white!, contentType: 'image/png' },
    ]);
    const submitted = await officer.inject({ method: 'POST', url: '/api/verification-requests', payload, headers });
    expect(submitted.statusCode).toBe(201);
    const request = submitted.json().id as string;
    expect((await examiner.inject({ method: 'POST', url: `/api/verification-requests/${request}/claim`, payload: {} })).statusCode).toBe(200);
    expect((await examiner.inject({ method: 'POST', url: `/api/verification-requests/${request}/comparisons`, payload: { comparisonId: q.comparison } })).statusCode).toBe(200);

    const refused = await deleteCapture(q.specimen, q.capture);
    expect({ status: refused.statusCode, details: refused.json().details }).toMatchObject({
      status: 409,
      details: { reason: 'EVIDENCE', cases: [], verificationRequests: [request], comparisons: [q.comparison] },
    });
    const whole = await deleteSpecimen(q.specimen);
    expect({ status: whole.statusCode, details: whole.json().details }).toMatchObject({ status: 409, details: { reason: 'EVIDENCE', verificationRequests: [request], comparisons: [q.comparison] } });
    expect(await captureIds(q.specimen)).toEqual([q.capture]);
    expect(await t.objectKeys()).toContain(objectKeys.original(q.sha));
    // The link left no hold behind: what keeps the capture is the link itself.
    expect((await t.context.catalog.specimens.holds(q.specimen)).holds).toEqual([]);
  });

  it('is let go once the case is changed to drop the comparison: the delete then goes ahead', async () => {
    const q = await finishedComparison('Questioned original of a case that lets it go', 4);
    const kase = await newCase('QUESTIONED-3', [q.comparison]);
    expect((await deleteCapture(q.specimen, q.capture)).statusCode).toBe(409);

    const dropped = await examiner.inject({ method: 'PATCH', url: `/api/cases/${kase.id}`, payload: { revision: kase.revision, comparisons: [] } });
    expect(dropped.statusCode).toBe(200);
    expect((await deleteCapture(q.specimen, q.capture)).statusCode).toBe(200);
    expect(await t.objectKeys()).not.toContain(objectKeys.original(q.sha));
    expect((await deleteSpecimen(q.specimen)).statusCode).toBe(204);
  });

  it('kept by the capture the comparison held: another capture holding the same original may go, that one may not', async () => {
    const q = await finishedComparison('Questioned original held by the comparison', 5);
    // The same bytes catalogued again, after the comparison was submitted, in a specimen listed before the one it held (ids are random).
    let copy: string;
    do {
      const created = await examiner.inject({ method: 'POST', url: '/api/specimens', payload: { ...MINIMAL_SPECIMEN, title: 'Another specimen with the same original' } });
      expect(created.statusCode).toBe(201);
      copy = created.json().id as string;
    } while (copy > q.specimen);
    const { payload, headers } = multipartBody([
      { name: 'capture', value: JSON.stringify({ page: 'data-page' }) },
      { name: 'white', filename: 'white.png', data: (await renderCapture(DESIGNS.passport, HOLDERS.passportA, { dpi: DPI, lights: ['white'], noiseSeed: 5 })).images.white!, contentType: 'image/png' },
    ]);
    const added = await examiner.inject({ method: 'POST', url: `/api/specimens/${copy}/captures`, payload, headers });
    expect(added.statusCode).toBe(201);
    expect(added.json().images[0].sha256).toBe(q.sha);
    expect(await t.context.catalog.specimens.referencingSpecimens(objectKeys.original(q.sha))).toEqual([copy, q.specimen]);
    const kase = await newCase('QUESTIONED-4', [q.comparison]);

    expect((await deleteCapture(copy, added.json().id)).statusCode).toBe(200);
    const refused = await deleteCapture(q.specimen, q.capture);
    expect({ status: refused.statusCode, details: refused.json().details }).toMatchObject({ status: 409, details: { reason: 'EVIDENCE', cases: [kase.id], comparisons: [q.comparison] } });
    expect(await t.objectKeys()).toContain(objectKeys.original(q.sha));
  });

  it('linked by a case between the capture delete\'s check and its write: the delete is refused and the original stays', async () => {
    const q = await finishedComparison('Questioned original linked while its capture is deleted', 7);
    const revision = await revisionOf(q.specimen);
    // The case is created (holding the capture first) once the delete has checked what relies on the capture, before it writes the specimen.
    const port = t.context.catalog.specimens;
    const replace = port.replace;
    let created: LightMyRequestResponse | undefined;
    port.replace = async (...args) => {
      port.replace = replace;
      created = await examiner.inject({ method: 'POST', url: '/api/cases', payload: { title: 'Case QUESTIONED-6', reference: 'QUESTIONED-6', comparisons: [q.comparison] } });
      return replace.apply(port, args);
    };
    try {
      const deleted = await examiner.inject({ method: 'DELETE', url: `/api/specimens/${q.specimen}/captures/${q.capture}?revision=${revision}` });
      expect(created?.statusCode).toBe(201);
      expect({ status: deleted.statusCode, details: deleted.json().details }).toMatchObject({ status: 409, details: { reason: 'EVIDENCE', cases: [created!.json().id], comparisons: [q.comparison] } });
    } finally {
      port.replace = replace;
    }
    expect(await captureIds(q.specimen)).toEqual([q.capture]);
    expect(await t.objectKeys()).toContain(objectKeys.original(q.sha));
  });

  it('no longer catalogued: a case or request cannot link the comparison (400, as for a deleted reference)', async () => {
    const q = await finishedComparison('Questioned original deleted before any link', 6);
    // Nothing links the finished comparison yet: the capture, and with it the original, may go.
    expect((await deleteCapture(q.specimen, q.capture)).statusCode).toBe(200);
    expect(await t.objectKeys()).not.toContain(objectKeys.original(q.sha));

    const refused = await examiner.inject({ method: 'POST', url: '/api/cases', payload: { title: 'Case QUESTIONED-5', reference: 'QUESTIONED-5', comparisons: [q.comparison] } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ code: 'VALIDATION_FAILED', details: { errors: [{ path: '/comparisons/0', keyword: 'evidenceExists' }] } });
    const kase = await newCase('QUESTIONED-5b', []);
    const patched = await examiner.inject({ method: 'PATCH', url: `/api/cases/${kase.id}`, payload: { revision: kase.revision, comparisons: [q.comparison] } });
    expect(patched.statusCode).toBe(400);
    expect((await examiner.inject({ method: 'GET', url: `/api/cases/${kase.id}` })).json().comparisons).toEqual([]);
  });
});

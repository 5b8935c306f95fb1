/**
 * The evidence guard under concurrency: a case or a verification request
 * that comes to rely on a specimen or a reference capture while it is being
 * deleted. The other request is made to run at the worst moment every time,
 * through the catalog port (one of its methods runs it first, then carries
 * on), on the real app over a real SQLite file: either the delete is refused
 * and the evidence stays, or the link is refused; never a case or request
 * pointing at deleted evidence.
 */
import type { LightMyRequestResponse } from 'fastify';
import { makeTestImage, MINIMAL_SPECIMEN, multipartBody, buildTestApp, sha256, type LoggedIn, type TestApp } from '../../server/src/test-helpers';
import type { SpecimenRepository } from '../../server/src/stores/catalog.port';

let t: TestApp;
let examiner: LoggedIn;
let officer: LoggedIn;

beforeAll(async () => {
  // Comparisons are queued only: a queued comparison with a chosen reference already relies on it.
  t = await buildTestApp({ EXEMPLAR_SERVER_COMPARISONS: '0' });
  examiner = await t.login('examiner');
  officer = await t.login('border-officer');
});

afterAll(async () => {
  await t?.close();
});

/**
 * The next call of the port's `method` first waits for `meanwhile` (another
 * request, made now), then does its work; `before` decides whether it runs
 * before or after the call's own read.
 */
function interleave<M extends 'get' | 'delete' | 'replace'>(method: M, meanwhile: () => Promise<LightMyRequestResponse>, order: 'before' | 'after' = 'before') {
  const port = t.context.catalog.specimens as SpecimenRepository;
  const original = port[method] as (...args: unknown[]) => Promise<unknown>;
  const done: { response?: LightMyRequestResponse } = {};
  (port as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
    (port as unknown as Record<string, unknown>)[method] = original;
    if (order === 'before') done.response = await meanwhile();
    const result = await original.apply(port, args);
    if (order === 'after') done.response = await meanwhile();
    return result;
  };
  return done;
}

async function newSpecimen(title: string): Promise<string> {
  const res = await examiner.inject({ method: 'POST', url: '/api/specimens', payload: { ...MINIMAL_SPECIMEN, title } });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
}

async function newCapture(specimenId: string, seed: number): Promise<string> {
  const { payload, headers } = multipartBody([
    { name: 'capture', value: JSON.stringify({ page: 'data-page' }) },
    { name: 'white', filename: 'white.jpg', data: await makeTestImage({ width: 320, height: 220, seed }), contentType: 'image/jpeg' },
  ]);
  const res = await examiner.inject({ method: 'POST', url: `/api/specimens/${specimenId}/captures`, payload, headers });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
}

async function newCase(reference: string): Promise<{ id: string; revision: number }> {
  const res = await examiner.inject({ method: 'POST', url: '/api/cases', payload: { title: `Case ${reference}`, reference } });
  expect(res.statusCode).toBe(201);
  return res.json();
}

/** A queued comparison of a questioned image with that reference capture. */
async function comparisonWith(specimenId: string, captureId: string, questioned: Buffer): Promise<string> {
  const { payload, headers } = multipartBody([
    { name: 'comparison', value: JSON.stringify({ reference: { specimenId, captureId } }) },
    { name: 'white', filename: 'questioned.jpg', data: questioned, contentType: 'image/jpeg' },
  ]);
  const res = await examiner.inject({ method: 'POST', url: '/api/comparisons', payload, headers });
  expect(res.statusCode).toBe(202);
  return res.json().id as string;
}

const specimenStatus = async (id: string) => (await examiner.inject({ method: 'GET', url: `/api/specimens/${id}` })).statusCode;
const caseOf = async (id: string) => (await examiner.inject({ method: 'GET', url: `/api/cases/${id}` })).json();

describe('a specimen listed by a case while it is deleted', () => {
  it('listed after the delete checked the cases: the delete is refused and the specimen stays', async () => {
    const specimen = await newSpecimen('Listed while being deleted');
    const kase = await newCase('RACE-1');
    // The case is changed between the delete's check of the cases and the delete itself.
    const link = interleave('delete', () => examiner.inject({ method: 'PATCH', url: `/api/cases/${kase.id}`, payload: { revision: kase.revision, specimens: [specimen] } }));
    const deleted = await examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimen}` });
    expect(link.response?.statusCode).toBe(200);
    expect({ status: deleted.statusCode, reason: deleted.json().details?.reason, cases: deleted.json().details?.cases }).toEqual({ status: 409, reason: 'EVIDENCE', cases: [kase.id] });
    expect(await specimenStatus(specimen)).toBe(200);
    expect((await caseOf(kase.id)).specimens).toEqual([specimen]);

    // Nothing is left in the way once the case lets it go.
    const current = await caseOf(kase.id);
    expect((await examiner.inject({ method: 'PATCH', url: `/api/cases/${kase.id}`, payload: { revision: current.revision, specimens: [] } })).statusCode).toBe(200);
    expect((await examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimen}` })).statusCode).toBe(204);
  });

  it('listed after the delete checked the cases, while a second delete lets the finished hold go: the first delete is still refused', async () => {
    const specimen = await newSpecimen('Listed while deleted twice');
    const kase = await newCase('RACE-5');
    // Between the first delete's check of the cases and its delete, a second delete runs: the case is changed (held, then written)
    // between the second delete's own check and its delete, so the second meets the hold, finds the case written and lets the hold go.
    let second: LightMyRequestResponse | undefined;
    const link = interleave('delete', async () => {
      const linking = interleave('delete', () => examiner.inject({ method: 'PATCH', url: `/api/cases/${kase.id}`, payload: { revision: kase.revision, specimens: [specimen] } }));
      second = await examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimen}` });
      return linking.response!;
    });
    const first = await examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimen}` });
    expect(link.response?.statusCode).toBe(200);
    const outcome = (res: LightMyRequestResponse | undefined) => ({ status: res?.statusCode, ...(res?.body && { reason: res.json().details?.reason, cases: res.json().details?.cases }) });
    expect(outcome(second)).toEqual({ status: 409, reason: 'EVIDENCE', cases: [kase.id] });
    expect(outcome(first)).toEqual({ status: 409, reason: 'EVIDENCE', cases: [kase.id] });
    expect(await specimenStatus(specimen)).toBe(200);
    expect((await caseOf(kase.id)).specimens).toEqual([specimen]);
  });

  it('deleted after the case change checked that it exists: the change is refused and the case lists nothing deleted', async () => {
    const specimen = await newSpecimen('Deleted while being listed');
    const kase = await newCase('RACE-2');
    // The case change reads the specimen (it exists), then the delete runs to the end, then the change goes on.
    const removal = interleave('get', () => examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimen}` }), 'after');
    const linked = await examiner.inject({ method: 'PATCH', url: `/api/cases/${kase.id}`, payload: { revision: kase.revision, specimens: [specimen] } });
    expect(removal.response?.statusCode).toBe(204);
    expect(linked.statusCode).toBe(400);
    expect(linked.json()).toMatchObject({ code: 'VALIDATION_FAILED', details: { errors: [{ path: '/specimens/0', keyword: 'evidenceExists' }] } });
    expect((await caseOf(kase.id)).specimens).toEqual([]);
  });
});

describe('the reference capture of a comparison linked while the capture is deleted', () => {
  it('linked to a verification request after the capture delete checked the requests: the delete is refused and the capture stays', async () => {
    const specimen = await newSpecimen('Reference linked through a request');
    const capture = await newCapture(specimen, 41);
    const questioned = await makeTestImage({ width: 320, height: 220, seed: 42 });
    const { payload, headers } = multipartBody([
      { name: 'request', value: JSON.stringify({ urgency: 'routine' }) },
      { name: 'white', filename: 'white.jpg', data: questioned, contentType: 'image/jpeg' },
    ]);
    const request = (await officer.inject({ method: 'POST', url: '/api/verification-requests', payload, headers })).json();
    expect((await examiner.inject({ method: 'POST', url: `/api/verification-requests/${request.id}/claim`, payload: {} })).statusCode).toBe(200);
    const comparison = await examiner.inject({ method: 'POST', url: '/api/comparisons', payload: { reference: { specimenId: specimen, captureId: capture }, questioned: { images: { white: sha256(questioned) } } } });
    expect(comparison.statusCode).toBe(202);

    const { revision } = (await examiner.inject({ method: 'GET', url: `/api/specimens/${specimen}` })).json();
    // The link is written between the capture delete's check and its write of the specimen.
    const link = interleave('replace', () => examiner.inject({ method: 'POST', url: `/api/verification-requests/${request.id}/comparisons`, payload: { comparisonId: comparison.json().id } }));
    const deleted = await examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimen}/captures/${capture}?revision=${revision}` });
    expect(link.response?.statusCode).toBe(200);
    expect({ status: deleted.statusCode, details: deleted.json().details }).toMatchObject({
      status: 409,
      details: { reason: 'EVIDENCE', verificationRequests: [request.id], comparisons: [comparison.json().id] },
    });
    const kept = (await examiner.inject({ method: 'GET', url: `/api/specimens/${specimen}` })).json();
    expect(kept.captures.map((c: { id: string }) => c.id)).toEqual([capture]);
  });

  it('deleted after the case change checked the comparison: the change is refused and the case links nothing deleted', async () => {
    const specimen = await newSpecimen('Reference deleted while linked to a case');
    const capture = await newCapture(specimen, 43);
    const comparison = await comparisonWith(specimen, capture, await makeTestImage({ width: 320, height: 220, seed: 44 }));
    const kase = await newCase('RACE-4');
    const { revision } = (await examiner.inject({ method: 'GET', url: `/api/specimens/${specimen}` })).json();
    // The case change has checked the comparison; the capture delete then runs to the end before the change reads anything of the specimen.
    const jobs = t.context.catalog.jobs;
    const getJob = jobs.get.bind(jobs);
    let removal: LightMyRequestResponse | undefined;
    jobs.get = async (id: string) => {
      const job = await getJob(id);
      if (id === comparison && removal === undefined) {
        jobs.get = getJob;
        removal = await examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimen}/captures/${capture}?revision=${revision}` });
      }
      return job;
    };
    try {
      const linked = await examiner.inject({ method: 'PATCH', url: `/api/cases/${kase.id}`, payload: { revision: kase.revision, comparisons: [comparison] } });
      expect(removal?.statusCode).toBe(200);
      expect(linked.statusCode).toBe(400);
      expect(linked.json()).toMatchObject({ code: 'VALIDATION_FAILED', details: { errors: [{ path: '/comparisons/0', keyword: 'evidenceExists' }] } });
      expect((await caseOf(kase.id)).comparisons).toEqual([]);
    } finally {
      jobs.get = getJob;
    }
  });
});

describe('holds left behind', () => {
  it('a hold of a case still being created keeps the specimen; one of a creation that never finished is let go', async () => {
    const specimen = await newSpecimen('Held by a case being created');
    const at = new Date().toISOString();
    // What a case create leaves between its hold and its insert (here: never inserted).
    await t.context.catalog.specimens.hold(specimen, { holder: 'case:not-yet-written', holderRevision: 1, captureId: null, at });
    const refused = await examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimen}` });
    expect({ status: refused.statusCode, details: refused.json().details }).toMatchObject({ status: 409, details: { reason: 'EVIDENCE', cases: ['not-yet-written'] } });
    // Ten minutes on, a creation that has not written its case has failed.
    const old = new Date(Date.now() - 11 * 60_000).toISOString();
    await t.context.catalog.specimens.releaseHold(specimen, { holder: 'case:not-yet-written', holderRevision: 1, captureId: null, at });
    await t.context.catalog.specimens.hold(specimen, { holder: 'case:never-written', holderRevision: 1, captureId: null, at: old });
    expect((await examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimen}` })).statusCode).toBe(204);
  });
});

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
import { objectKeys } from '../../server/src/stores/objects.port';

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
function interleave<M extends 'get' | 'delete' | 'replace' | 'hold'>(method: M, meanwhile: () => Promise<LightMyRequestResponse>, order: 'before' | 'after' = 'before') {
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

/** A verification request sent by the officer with a white image made from `seed`, claimed by the examiner; and that image. */
async function claimedRequest(seed: number): Promise<{ request: { id: string }; questioned: Buffer }> {
  const questioned = await makeTestImage({ width: 320, height: 220, seed });
  const { payload, headers } = multipartBody([
    { name: 'request', value: JSON.stringify({ urgency: 'routine' }) },
    { name: 'white', filename: 'white.jpg', data: questioned, contentType: 'image/jpeg' },
  ]);
  const request = (await officer.inject({ method: 'POST', url: '/api/verification-requests', payload, headers })).json();
  expect((await examiner.inject({ method: 'POST', url: `/api/verification-requests/${request.id}/claim`, payload: {} })).statusCode).toBe(200);
  return { request, questioned };
}

async function newCase(reference: string): Promise<{ id: string; revision: number }> {
  const res = await examiner.inject({ method: 'POST', url: '/api/cases', payload: { title: `Case ${reference}`, reference } });
  expect(res.statusCode).toBe(201);
  return res.json();
}

/** A queued comparison of a questioned image with that reference capture (which it holds until it ends). */
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
    const { request, questioned } = await claimedRequest(42);
    const comparison = await examiner.inject({ method: 'POST', url: '/api/comparisons', payload: { reference: { specimenId: specimen, captureId: capture }, questioned: { images: { white: sha256(questioned) } } } });
    expect(comparison.statusCode).toBe(202);
    // Ended, the comparison no longer holds its reference: only the request's link (and its hold) can keep it.
    expect((await examiner.inject({ method: 'DELETE', url: `/api/comparisons/${comparison.json().id}` })).statusCode).toBe(200);

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
    // Ended, the comparison no longer holds its reference: only the case's link (and its hold) can keep it.
    expect((await examiner.inject({ method: 'DELETE', url: `/api/comparisons/${comparison}` })).statusCode).toBe(200);
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

describe('the reference and questioned images a comparison names', () => {
  const holdsOn = async (specimenId: string) => (await t.context.catalog.specimens.holds(specimenId)).holds;
  const deleteCapture = async (specimenId: string, captureId: string) => {
    const { revision } = (await examiner.inject({ method: 'GET', url: `/api/specimens/${specimenId}` })).json();
    return examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimenId}/captures/${captureId}?revision=${revision}` });
  };
  const captureIds = async (specimenId: string) => (await examiner.inject({ method: 'GET', url: `/api/specimens/${specimenId}` })).json().captures.map((c: { id: string }) => c.id);

  it('accepted, its reference is held until the job ends: a delete meanwhile is refused naming it, and the job, once cancelled, lets go', async () => {
    const specimen = await newSpecimen('Named reference of a queued comparison');
    const capture = await newCapture(specimen, 51);
    const comparison = await comparisonWith(specimen, capture, await makeTestImage({ width: 320, height: 220, seed: 52 }));
    const refused = await deleteCapture(specimen, capture);
    expect({ status: refused.statusCode, details: refused.json().details }).toMatchObject({ status: 409, details: { reason: 'EVIDENCE', comparisons: [comparison] } });
    expect((await examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimen}` })).statusCode).toBe(409);
    expect(await captureIds(specimen)).toEqual([capture]);

    expect((await examiner.inject({ method: 'DELETE', url: `/api/comparisons/${comparison}` })).json().status).toBe('cancelled');
    expect(await holdsOn(specimen)).toEqual([]);
    expect((await deleteCapture(specimen, capture)).statusCode).toBe(200);
  });

  it('held while it runs, let go once it has ended', async () => {
    const specimen = await newSpecimen('Named reference of a comparison that runs');
    const capture = await newCapture(specimen, 53);
    const comparison = await comparisonWith(specimen, capture, await makeTestImage({ width: 320, height: 220, seed: 53 }));
    // Every other comparison of this file has ended: the runner takes this one.
    expect((await t.context.catalog.jobs.list({ kind: 'comparison', status: 'queued' })).map((j) => j.id)).toEqual([comparison]);
    // The delete comes while the runner works on the job (once it has read the reference).
    const removal = interleave('get', () => deleteCapture(specimen, capture), 'after');
    expect(await t.context.comparisonRunner.runOnce()).toBe(true);
    expect({ status: removal.response?.statusCode, details: removal.response?.json().details }).toMatchObject({ status: 409, details: { reason: 'EVIDENCE', comparisons: [comparison] } });
    const ended = (await examiner.inject({ method: 'GET', url: `/api/comparisons/${comparison}` })).json();
    expect(['done', 'failed']).toContain(ended.status);
    expect(ended.error?.code).not.toBe('REFERENCE_NOT_FOUND');
    expect(await holdsOn(specimen)).toEqual([]);
    expect((await deleteCapture(specimen, capture)).statusCode).toBe(200);
  });

  it('deleted after the submission checked that it exists: the submission is refused and nothing is queued or kept', async () => {
    const specimen = await newSpecimen('Named reference deleted while submitted');
    const capture = await newCapture(specimen, 55);
    const questioned = await makeTestImage({ width: 320, height: 220, seed: 56 });
    // The submission reads the reference (it exists), then the capture delete runs to the end, then the submission goes on.
    const removal = interleave('get', () => deleteCapture(specimen, capture), 'after');
    const { payload, headers } = multipartBody([
      { name: 'comparison', value: JSON.stringify({ reference: { specimenId: specimen, captureId: capture } }) },
      { name: 'white', filename: 'questioned.jpg', data: questioned, contentType: 'image/jpeg' },
    ]);
    const before = (await t.context.catalog.jobs.list({ kind: 'comparison', limit: 1000 })).length;
    const submitted = await examiner.inject({ method: 'POST', url: '/api/comparisons', payload, headers });
    expect(removal.response?.statusCode).toBe(200);
    expect({ status: submitted.statusCode, code: submitted.json().code }).toEqual({ status: 404, code: 'CAPTURE_NOT_FOUND' });
    expect((await t.context.catalog.jobs.list({ kind: 'comparison', limit: 1000 })).length).toBe(before);
    expect(await t.objectKeys()).not.toContain(objectKeys.questioned(sha256(questioned)));
    expect(await holdsOn(specimen)).toEqual([]);
  });

  it('submitted after the delete judged the holds: the delete is refused and the queued comparison keeps its reference', async () => {
    const specimen = await newSpecimen('Named reference submitted while deleted');
    const capture = await newCapture(specimen, 57);
    const questioned = await makeTestImage({ width: 320, height: 220, seed: 58 });
    const { payload, headers } = multipartBody([
      { name: 'comparison', value: JSON.stringify({ reference: { specimenId: specimen, captureId: capture } }) },
      { name: 'white', filename: 'questioned.jpg', data: questioned, contentType: 'image/jpeg' },
    ]);
    // The comparison is submitted between the capture delete's checks and its write of the specimen.
    const submission = interleave('replace', () => examiner.inject({ method: 'POST', url: '/api/comparisons', payload, headers }));
    const deleted = await deleteCapture(specimen, capture);
    expect(submission.response?.statusCode).toBe(202);
    const comparison = submission.response!.json().id as string;
    expect({ status: deleted.statusCode, details: deleted.json().details }).toMatchObject({ status: 409, details: { reason: 'EVIDENCE', comparisons: [comparison] } });
    expect(await captureIds(specimen)).toEqual([capture]);
    expect((await examiner.inject({ method: 'DELETE', url: `/api/comparisons/${comparison}` })).statusCode).toBe(200);
  });

  it('a catalogued original named as the questioned image is held too: its capture is kept while the comparison is queued', async () => {
    const reference = await newSpecimen('Reference of a comparison with a catalogued questioned image');
    const referenceCapture = await newCapture(reference, 59);
    const source = await newSpecimen('Catalogued image named as questioned');
    const image = await makeTestImage({ width: 320, height: 220, seed: 60 });
    const { payload, headers } = multipartBody([
      { name: 'capture', value: JSON.stringify({ page: 'data-page' }) },
      { name: 'white', filename: 'white.jpg', data: image, contentType: 'image/jpeg' },
    ]);
    const added = await examiner.inject({ method: 'POST', url: `/api/specimens/${source}/captures`, payload, headers });
    expect(added.statusCode).toBe(201);
    const sourceCapture = added.json().id as string;
    const submitted = await examiner.inject({ method: 'POST', url: '/api/comparisons', payload: { reference: { specimenId: reference, captureId: referenceCapture }, questioned: { images: { white: sha256(image) } } } });
    expect(submitted.statusCode).toBe(202);
    const comparison = submitted.json().id as string;

    const refused = await deleteCapture(source, sourceCapture);
    expect({ status: refused.statusCode, details: refused.json().details }).toMatchObject({ status: 409, details: { reason: 'EVIDENCE', comparisons: [comparison] } });
    expect(await t.objectKeys()).toContain(objectKeys.original(sha256(image)));
    expect((await examiner.inject({ method: 'DELETE', url: `/api/comparisons/${comparison}` })).statusCode).toBe(200);
    expect(await holdsOn(source)).toEqual([]);
    expect(await holdsOn(reference)).toEqual([]);
    expect((await deleteCapture(source, sourceCapture)).statusCode).toBe(200);
  });
});

describe('a delete on a specimen others keep holding and letting go', () => {
  /**
   * Before each write of the delete, a case lists the specimen and then lets
   * it go: a hold taken since the delete judged the holds (and released once
   * the case is written), so the store refuses that write, though nothing
   * holds the specimen when the delete looks again.
   */
  function churn(): { count: number; restore: () => void } {
    const port = t.context.catalog.specimens;
    const replace = port.replace;
    const remove = port.delete;
    const state = { count: 0, restore: () => Object.assign(port, { replace, delete: remove }) };
    const listAndLetGo = async () => {
      const n = state.count++;
      const created = await examiner.inject({ method: 'POST', url: '/api/cases', payload: { title: `Busy ${n}`, reference: `BUSY-${n}`, specimens: [specimenOf.id] } });
      expect(created.statusCode).toBe(201);
      const letGo = await examiner.inject({ method: 'PATCH', url: `/api/cases/${created.json().id}`, payload: { revision: created.json().revision, specimens: [] } });
      expect(letGo.statusCode).toBe(200);
    };
    port.replace = async (...args) => {
      await listAndLetGo();
      return replace.apply(port, args);
    };
    port.delete = async (...args) => {
      await listAndLetGo();
      return remove.apply(port, args);
    };
    return state;
  }
  const specimenOf = { id: '' };

  it('a capture delete outrun at every attempt answers a retryable 503 (not that the capture is held), and goes ahead when tried again', async () => {
    specimenOf.id = await newSpecimen('Busy specimen, capture deleted');
    const capture = await newCapture(specimenOf.id, 71);
    const { revision } = (await examiner.inject({ method: 'GET', url: `/api/specimens/${specimenOf.id}` })).json();
    const busy = churn();
    let refused: LightMyRequestResponse;
    try {
      refused = await examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimenOf.id}/captures/${capture}?revision=${revision}` });
    } finally {
      busy.restore();
    }
    expect(busy.count).toBe(8);
    expect({ status: refused.statusCode, code: refused.json().code, reason: refused.json().details.reason, retryAfter: refused.headers['retry-after'] }).toEqual({ status: 503, code: 'SPECIMEN_BUSY', reason: 'HOLDS_CHANGING', retryAfter: '1' });
    const kept = (await examiner.inject({ method: 'GET', url: `/api/specimens/${specimenOf.id}` })).json();
    expect({ revision: kept.revision, captures: kept.captures.map((c: { id: string }) => c.id) }).toEqual({ revision, captures: [capture] });
    expect((await t.context.catalog.specimens.holds(specimenOf.id)).holds).toEqual([]);
    expect((await examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimenOf.id}/captures/${capture}?revision=${revision}` })).statusCode).toBe(200);
  });

  it('a specimen delete outrun at every attempt answers the same, and goes ahead when tried again', async () => {
    specimenOf.id = await newSpecimen('Busy specimen, deleted');
    const busy = churn();
    let refused: LightMyRequestResponse;
    try {
      refused = await examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimenOf.id}` });
    } finally {
      busy.restore();
    }
    expect(busy.count).toBe(8);
    expect({ status: refused.statusCode, code: refused.json().code, reason: refused.json().details.reason, retryAfter: refused.headers['retry-after'] }).toEqual({ status: 503, code: 'SPECIMEN_BUSY', reason: 'HOLDS_CHANGING', retryAfter: '1' });
    expect(await specimenStatus(specimenOf.id)).toBe(200);
    expect((await examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimenOf.id}` })).statusCode).toBe(204);
  });

  it('a delete outrun at every attempt by a hold that then stands answers that it is held', async () => {
    specimenOf.id = await newSpecimen('Busy specimen, held at last');
    const capture = await newCapture(specimenOf.id, 72);
    const { revision } = (await examiner.inject({ method: 'GET', url: `/api/specimens/${specimenOf.id}` })).json();
    const busy = churn();
    const port = t.context.catalog.specimens;
    const churning = port.replace;
    let comparison: string | undefined;
    // At the last attempt a comparison of the capture is submitted too: its hold stands.
    port.replace = async (...args) => {
      if (busy.count === 7) comparison = await comparisonWith(specimenOf.id, capture, await makeTestImage({ width: 320, height: 220, seed: 73 }));
      return churning.apply(port, args);
    };
    let refused: LightMyRequestResponse;
    try {
      refused = await examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimenOf.id}/captures/${capture}?revision=${revision}` });
    } finally {
      busy.restore();
    }
    expect(comparison).toBeDefined();
    expect({ status: refused.statusCode, details: refused.json().details }).toMatchObject({ status: 409, details: { reason: 'EVIDENCE', comparisons: [comparison] } });
    expect((await examiner.inject({ method: 'DELETE', url: `/api/comparisons/${comparison}` })).statusCode).toBe(200);
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

  const holdsOn = async (specimenId: string) => (await t.context.catalog.specimens.holds(specimenId)).holds;

  it('a case lets its holds go once its change is written: however often it lists the specimen, none is left', async () => {
    const specimen = await newSpecimen('Listed and let go again and again');
    const created = await examiner.inject({ method: 'POST', url: '/api/cases', payload: { title: 'Listing at creation', reference: 'PILE-0', specimens: [specimen] } });
    expect(created.statusCode).toBe(201);
    expect(await holdsOn(specimen)).toEqual([]);
    const kase = await newCase('PILE-1');
    let revision = kase.revision;
    for (let i = 0; i < 6; i++) {
      for (const specimens of [[specimen], []]) {
        const changed = await examiner.inject({ method: 'PATCH', url: `/api/cases/${kase.id}`, payload: { revision, specimens } });
        expect(changed.statusCode).toBe(200);
        revision = changed.json().revision;
      }
    }
    expect(await holdsOn(specimen)).toEqual([]);
    // What the holds guarded is found from the records: listed again, the specimen is kept.
    expect((await examiner.inject({ method: 'PATCH', url: `/api/cases/${kase.id}`, payload: { revision, specimens: [specimen] } })).statusCode).toBe(200);
    expect(await holdsOn(specimen)).toEqual([]);
    const refused = await examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimen}` });
    expect({ status: refused.statusCode, reason: refused.json().details?.reason }).toEqual({ status: 409, reason: 'EVIDENCE' });
    expect(refused.json().details.cases.sort()).toEqual([created.json().id, kase.id].sort());
  });

  it('a verification request lets its holds go once each link is written', async () => {
    const specimen = await newSpecimen('Reference linked to a request again and again');
    const capture = await newCapture(specimen, 61);
    const { request, questioned } = await claimedRequest(62);
    const comparisons: string[] = [];
    for (let i = 0; i < 4; i++) {
      const comparison = await examiner.inject({ method: 'POST', url: '/api/comparisons', payload: { reference: { specimenId: specimen, captureId: capture }, questioned: { images: { white: sha256(questioned) } } } });
      expect(comparison.statusCode).toBe(202);
      comparisons.push(comparison.json().id);
      // Ended, the comparison holds nothing itself: what is left is the request's.
      expect((await examiner.inject({ method: 'DELETE', url: `/api/comparisons/${comparison.json().id}` })).statusCode).toBe(200);
      expect((await examiner.inject({ method: 'POST', url: `/api/verification-requests/${request.id}/comparisons`, payload: { comparisonId: comparison.json().id } })).statusCode).toBe(200);
    }
    expect(await holdsOn(specimen)).toEqual([]);
    const { revision } = (await examiner.inject({ method: 'GET', url: `/api/specimens/${specimen}` })).json();
    const refused = await examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimen}/captures/${capture}?revision=${revision}` });
    expect({ status: refused.statusCode, details: refused.json().details }).toMatchObject({ status: 409, details: { reason: 'EVIDENCE', verificationRequests: [request.id], comparisons: comparisons.sort() } });
  });

  it('a case change that lost the race to another writer lets its hold go', async () => {
    const specimen = await newSpecimen('Listed by a change that lost');
    const kase = await newCase('PILE-2');
    // Right after the listing change holds the specimen, another change of the case is written first.
    const other = interleave('hold', () => examiner.inject({ method: 'PATCH', url: `/api/cases/${kase.id}`, payload: { revision: kase.revision, title: 'Renamed first' } }), 'after');
    const lost = await examiner.inject({ method: 'PATCH', url: `/api/cases/${kase.id}`, payload: { revision: kase.revision, specimens: [specimen] } });
    expect(other.response?.statusCode).toBe(200);
    expect({ status: lost.statusCode, code: lost.json().code }).toEqual({ status: 409, code: 'REVISION_CONFLICT' });
    expect((await caseOf(kase.id)).specimens).toEqual([]);
    expect(await holdsOn(specimen)).toEqual([]);
  });

  it('a capture delete lets go of every hold on the specimen that has done its work, not only those on the capture', async () => {
    const specimen = await newSpecimen('Stale holds beside the capture deleted');
    const kept = await newCapture(specimen, 63);
    const deleted = await newCapture(specimen, 64);
    const old = new Date(Date.now() - 11 * 60_000).toISOString();
    // Left by a case creation and a case change whose writes never came, and by a comparison that ended.
    await t.context.catalog.specimens.hold(specimen, { holder: 'case:never-written-either', holderRevision: 1, captureId: null, at: old });
    await t.context.catalog.specimens.hold(specimen, { holder: 'case:never-changed', holderRevision: 2, captureId: kept, at: old });
    const ended = await comparisonWith(specimen, kept, await makeTestImage({ width: 320, height: 220, seed: 65 }));
    await t.context.catalog.jobs.cancel(ended);
    expect(await holdsOn(specimen)).toHaveLength(3);
    const { revision } = (await examiner.inject({ method: 'GET', url: `/api/specimens/${specimen}` })).json();
    expect((await examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimen}/captures/${deleted}?revision=${revision}` })).statusCode).toBe(200);
    expect(await holdsOn(specimen)).toEqual([]);
  });
});

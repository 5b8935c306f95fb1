/**
 * The evidence guard for comparisons whose reference is `auto`: the runner
 * picks the reference by identification, and a case or request may link the
 * comparison before it has one (nothing to hold then). The delete is made to
 * run at the worst moment every time — right after identification has
 * chosen, or right after the runner has looked the chosen capture up —
 * through the identification service and the catalog port (one of their
 * methods runs it, then carries on), on the real app over a real SQLite file
 * with the real runner and pipeline workers (run `npx tsc -b` first). Either
 * the delete is refused while the comparison runs on the capture, or the job
 * fails saying its reference was deleted; never a comparison that finished
 * on deleted evidence.
 */
import type { LightMyRequestResponse } from 'fastify';
import type { Capture, Specimen } from '@exemplar/specimens-schema';
import { buildTestApp, multipartBody, type LoggedIn, type TestApp } from '../../server/src/test-helpers';
import { catalogue, DESIGNS, HOLDERS, renderCapture, type RenderedCapture } from './comparison-fixtures';

jest.setTimeout(900_000);

const DPI = 150;
let t: TestApp;
let examiner: LoggedIn;
let questioned: RenderedCapture;

beforeAll(async () => {
  // No runner of its own: each test runs the job itself, once the race is set up.
  t = await buildTestApp({ EXEMPLAR_SERVER_COMPARISONS: '0' });
  examiner = await t.login('examiner');
  questioned = await renderCapture(DESIGNS.passport, HOLDERS.passportA, { dpi: DPI, lights: ['white'], noiseSeed: 2 });
});

afterAll(async () => {
  await t?.close();
});

/** The only catalogued capture of its design, so that identification chooses it. Each test deletes its own by the end. */
async function reference(title: string, noiseSeed: number): Promise<{ specimen: Specimen; capture: Capture }> {
  const made = await catalogue(t, { title }, [{ page: 'data-page', capture: await renderCapture(DESIGNS.passport, HOLDERS.passportA, { dpi: DPI, lights: ['white'], noiseSeed }) }]);
  return { specimen: made.specimen, capture: made.captures[0]! };
}

async function submitAuto(): Promise<string> {
  const { payload, headers } = multipartBody([
    { name: 'comparison', value: JSON.stringify({ reference: 'auto', identify: { issuingState: 'UTO', documentCode: 'P' } }) },
    { name: 'white', filename: 'questioned.png', data: questioned.images.white!, contentType: 'image/png' },
  ]);
  const res = await examiner.inject({ method: 'POST', url: '/api/comparisons', payload, headers });
  expect(res.statusCode).toBe(202);
  expect(res.json().reference).toBeNull();
  return res.json().id as string;
}

/**
 * Runs the queued comparison. `meanwhile` (another request) runs right after
 * identification has chosen the reference (`at: 'chosen'`), right after the
 * runner has then read the chosen specimen (`at: 'read'`), or once the
 * runner has fetched the images and hands them to the pipeline (`at:
 * 'comparing'`).
 */
async function runWith(at: 'chosen' | 'read' | 'comparing', meanwhile: () => Promise<LightMyRequestResponse>): Promise<LightMyRequestResponse | undefined> {
  const identify = t.context.services.identify;
  const specimens = t.context.catalog.specimens;
  const pool = t.context.pipeline;
  const identifyFile = identify.identifyFile;
  const get = specimens.get;
  const compareCapture = pool.compareCapture;
  let response: LightMyRequestResponse | undefined;
  identify.identifyFile = async (...args) => {
    identify.identifyFile = identifyFile;
    const result = await identifyFile.apply(identify, args);
    if (at === 'chosen') response = await meanwhile();
    else if (at === 'read') {
      specimens.get = async (id) => {
        specimens.get = get;
        const found = await get.call(specimens, id);
        response = await meanwhile();
        return found;
      };
    }
    return result;
  };
  if (at === 'comparing') {
    pool.compareCapture = async (...args) => {
      pool.compareCapture = compareCapture;
      response = await meanwhile();
      return compareCapture.apply(pool, args);
    };
  }
  try {
    expect(await t.context.comparisonRunner.runOnce()).toBe(true);
  } finally {
    identify.identifyFile = identifyFile;
    specimens.get = get;
    pool.compareCapture = compareCapture;
  }
  return response;
}

const comparison = async (id: string) => (await examiner.inject({ method: 'GET', url: `/api/comparisons/${id}` })).json();
const captureIds = async (specimenId: string) => (await examiner.inject({ method: 'GET', url: `/api/specimens/${specimenId}` })).json().captures.map((c: { id: string }) => c.id);
const deleteCapture = async (specimenId: string, captureId: string) => {
  const { revision } = (await examiner.inject({ method: 'GET', url: `/api/specimens/${specimenId}` })).json();
  return examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimenId}/captures/${captureId}?revision=${revision}` });
};

describe('the reference an `auto` comparison is given while it is deleted', () => {
  it('deleted once the runner has it, the comparison linked to a case before it had a reference: the delete is refused while it runs, then the case keeps it', async () => {
    const { specimen, capture } = await reference('Chosen by identification, then deleted', 1);
    const id = await submitAuto();
    // Linked while queued: the case holds nothing, the comparison has no reference yet.
    const created = await examiner.inject({ method: 'POST', url: '/api/cases', payload: { title: 'Auto reference', reference: 'AUTO-1', comparisons: [id] } });
    expect(created.statusCode).toBe(201);
    const kase = created.json();

    const removal = await runWith('read', () => deleteCapture(specimen.id, capture.id));
    expect({ status: removal?.statusCode, reason: removal?.json().details?.reason, comparisons: removal?.json().details?.comparisons }).toEqual({ status: 409, reason: 'EVIDENCE', comparisons: [id] });
    const done = await comparison(id);
    expect({ status: done.status, reference: done.reference }).toEqual({ status: 'done', reference: { specimenId: specimen.id, captureId: capture.id } });
    expect(await captureIds(specimen.id)).toEqual([capture.id]);
    // Finished, the job has let its hold go (none piles up on a reference chosen again and again) ...
    expect((await t.context.catalog.specimens.holds(specimen.id)).holds).toEqual([]);

    // ... and the comparison is evidence of the case as one with a chosen reference is.
    const refused = await deleteCapture(specimen.id, capture.id);
    expect({ status: refused.statusCode, details: refused.json().details }).toMatchObject({ status: 409, details: { reason: 'EVIDENCE', cases: [kase.id], comparisons: [id] } });
    // Let go by the case, nothing else keeps it.
    expect((await examiner.inject({ method: 'PATCH', url: `/api/cases/${kase.id}`, payload: { revision: kase.revision, comparisons: [] } })).statusCode).toBe(200);
    expect((await deleteCapture(specimen.id, capture.id)).statusCode).toBe(200);
    expect((await t.context.catalog.specimens.holds(specimen.id)).holds).toEqual([]);
  });

  it('deleted after identification chose it, before the runner held it: the job fails saying so, and stores nothing', async () => {
    const { specimen, capture } = await reference('Chosen by identification, deleted at once', 3);
    const id = await submitAuto();
    const removal = await runWith('chosen', () => deleteCapture(specimen.id, capture.id));
    expect(removal?.statusCode).toBe(200);
    const failed = await comparison(id);
    expect({ status: failed.status, reference: failed.reference, code: failed.error?.code }).toEqual({ status: 'failed', reference: null, code: 'REFERENCE_NOT_FOUND' });
    expect(failed.error.message).toBe(`identification chose capture ${capture.id} of specimen ${specimen.id} as the reference, but it was deleted before the comparison could start; submit the comparison again`);
    expect((await t.objectKeys()).filter((k) => k.startsWith(`comparisons/${id}/`))).toEqual([]);
    expect((await t.context.catalog.specimens.holds(specimen.id)).holds).toEqual([]);
  });

  it('cancelled after the runner held its reference: the hold goes with the job, and the capture may be deleted', async () => {
    const { specimen, capture } = await reference('Chosen by identification, comparison cancelled', 5);
    const id = await submitAuto();
    const cancelled = await runWith('read', () => examiner.inject({ method: 'DELETE', url: `/api/comparisons/${id}` }));
    expect(cancelled?.json().status).toBe('cancelled');
    expect((await comparison(id)).status).toBe('cancelled');
    expect((await t.context.catalog.specimens.holds(specimen.id)).holds).toEqual([]);
    expect((await deleteCapture(specimen.id, capture.id)).statusCode).toBe(200);
  });

  // Last of those that let identification choose: the request keeps its reference catalogued for good.
  it('deleted while the pipeline works on it, the comparison linked to a request before it had a reference: the delete is refused, the job finishes on the kept capture', async () => {
    const { specimen, capture } = await reference('Chosen by identification, deleted during the comparison', 9);
    const id = await submitAuto();
    const officer = await t.login('border-officer');
    const { payload, headers } = multipartBody([
      { name: 'request', value: JSON.stringify({ urgency: 'routine' }) },
      { name: 'white', filename: 'white.png', data: questioned.images.white!, contentType: 'image/png' },
    ]);
    const request = (await officer.inject({ method: 'POST', url: '/api/verification-requests', payload, headers })).json();
    expect((await examiner.inject({ method: 'POST', url: `/api/verification-requests/${request.id}/claim`, payload: {} })).statusCode).toBe(200);
    expect((await examiner.inject({ method: 'POST', url: `/api/verification-requests/${request.id}/comparisons`, payload: { comparisonId: id } })).statusCode).toBe(200);

    const removal = await runWith('comparing', () => deleteCapture(specimen.id, capture.id));
    expect({ status: removal?.statusCode, reason: removal?.json().details?.reason, comparisons: removal?.json().details?.comparisons }).toEqual({ status: 409, reason: 'EVIDENCE', comparisons: [id] });
    const done = await comparison(id);
    expect({ status: done.status, reference: done.reference }).toEqual({ status: 'done', reference: { specimenId: specimen.id, captureId: capture.id } });
    expect(await captureIds(specimen.id)).toEqual([capture.id]);
    const refused = await deleteCapture(specimen.id, capture.id);
    expect({ status: refused.statusCode, details: refused.json().details }).toMatchObject({ status: 409, details: { reason: 'EVIDENCE', verificationRequests: [request.id], comparisons: [id] } });
  });
});

describe('a comparison holding its reference', () => {
  it('keeps it however long the job runs (a stalled run is still running); once the job has failed, it does not', async () => {
    const { specimen, capture } = await reference('Held by a stalled comparison', 7);
    const id = await submitAuto();
    // A runner that chose the reference and took its hold eleven minutes ago, and is still at work.
    const job = await t.context.catalog.jobs.claim('stalled-runner', 3_600_000, ['comparison']);
    expect(job?.id).toBe(id);
    const at = new Date(Date.now() - 11 * 60_000).toISOString();
    await t.context.catalog.specimens.hold(specimen.id, { holder: `comparison:${id}`, holderRevision: 1, captureId: capture.id, at });
    const refused = await deleteCapture(specimen.id, capture.id);
    expect({ status: refused.statusCode, details: refused.json().details }).toMatchObject({ status: 409, details: { reason: 'EVIDENCE', comparisons: [id] } });
    expect(refused.json().message).toContain(`comparison(s) ${id}`);

    // Failed, it can link nothing any more.
    await t.context.catalog.jobs.fail(id, 'stalled-runner', { code: 'PIPELINE_FAILED', message: 'the run broke off' });
    expect((await deleteCapture(specimen.id, capture.id)).statusCode).toBe(200);
    expect(await captureIds(specimen.id)).toEqual([]);
  });
});

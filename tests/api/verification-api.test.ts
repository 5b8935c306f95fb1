/**
 * Verification requests end to end through the API: real HTTP (inject), a
 * real SQLite file and object folder, real images through sharp, users of
 * each role logged in through /api/auth/login; and the webhook against a real
 * HTTP server listening on 127.0.0.1.
 */
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemActor } from '../../server/src/services/actor';
import { buildTestApp, injectWith, makeTestImage, MINIMAL_SPECIMEN, multipartBody, type LoggedIn, type TestApp } from '../../server/src/test-helpers';

/** The ICAO Doc 9303 specimen passport (issuing state UTO, number L898902C3). */
const TD3 = ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO7408122F1204159ZE184226B<<<<<10'];
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let white: Buffer;
let uv: Buffer;

beforeAll(async () => {
  white = await makeTestImage({ width: 320, height: 220, seed: 11 });
  uv = await makeTestImage({ width: 320, height: 220, seed: 12, format: 'png' });
});

function submission(request: unknown, images: Record<string, Buffer> = { white, 'uv-365': uv }) {
  return multipartBody([
    { name: 'request', value: JSON.stringify(request) },
    ...Object.entries(images).map(([light, data]) => ({ name: light, filename: `${light}.img`, data, contentType: 'application/octet-stream' })),
  ]);
}

async function submit(who: LoggedIn, request: unknown, images?: Record<string, Buffer>) {
  const { payload, headers } = submission(request, images);
  return who.inject({ method: 'POST', url: '/api/verification-requests', payload, headers });
}

/** A second user of a role (testApp.login gives one per role). */
async function loginAs(t: TestApp, username: string, role: 'border-officer' | 'examiner'): Promise<LoggedIn> {
  const password = 'a-long-test-password-1';
  await t.context.services.auth.createUser({ username, role, password }, systemActor('test'));
  const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  expect(res.statusCode).toBe(200);
  const { token, csrfToken } = res.json();
  const headers = { authorization: `Bearer ${token}` };
  return { username, role, headers, token, csrfToken, inject: injectWith(t.app, headers) };
}

describe('verification requests', () => {
  let t: TestApp;
  let officer: LoggedIn;
  let otherOfficer: LoggedIn;
  let examiner: LoggedIn;
  let otherExaminer: LoggedIn;
  let viewer: LoggedIn;
  let registerEntryId: string;

  beforeAll(async () => {
    // Comparisons are queued only: linking one needs it to exist, not to run.
    t = await buildTestApp({ EXEMPLAR_SERVER_COMPARISONS: '0' });
    officer = await t.login('border-officer');
    examiner = await t.login('examiner');
    viewer = await t.login('viewer');
    otherOfficer = await loginAs(t, 'officer2', 'border-officer');
    otherExaminer = await loginAs(t, 'examiner2', 'examiner');
    const entry = await examiner.inject({ method: 'POST', url: '/api/register', payload: { issuingState: 'UTO', documentNumber: 'L898902C3', status: 'stolen', source: 'Utopia police' } });
    expect(entry.statusCode).toBe(201);
    registerEntryId = entry.json().id;
  });

  afterAll(async () => {
    await t?.close();
  });

  let request: Record<string, any>;

  it('a border officer submits images with the MRZ: stored byte-exact, document read from the MRZ, the register checked', async () => {
    const res = await submit(officer, { urgency: 'urgent', location: 'Airport T2, desk 4', notes: 'Laminate lifts at the corner', mrz: { lines: TD3 } });
    expect(res.statusCode).toBe(201);
    request = res.json();
    expect(res.headers.location).toBe(`/api/verification-requests/${request.id}`);
    expect(request).toMatchObject({
      status: 'submitted',
      urgency: 'urgent',
      submittedBy: 'border-officer',
      location: 'Airport T2, desk 4',
      document: { issuingState: 'UTO', documentCode: 'P', documentNumber: 'L898902C3' },
      mrz: { format: 'TD3', checkDigitsValid: true, lines: TD3 },
      comparisons: [],
      history: [{ actor: 'border-officer', action: 'submit', to: 'submitted' }],
    });
    expect(request.registerHits).toEqual([expect.objectContaining({ id: registerEntryId, status: 'stolen' })]);
    expect(Date.parse(request.dueAt) - Date.parse(request.submittedAt)).toBe(4 * 3_600_000);
    expect(request.questioned.white).toMatchObject({ sha256: sha(white), bytes: white.length, width: 320, height: 220, format: 'jpeg' });
    expect(request.questioned['uv-365']).toMatchObject({ sha256: sha(uv), format: 'png' });
    expect(await t.objectKeys()).toEqual(expect.arrayContaining([expect.stringContaining(sha(white)), expect.stringContaining(sha(uv))]));

    const image = await officer.inject({ method: 'GET', url: request.questioned.white.url });
    expect(image.statusCode).toBe(200);
    expect(sha(image.rawPayload)).toBe(sha(white));
  });

  it('a number typed by the officer is checked too, and a document reported after the submission shows when the request is read', async () => {
    const res = await submit(officer, { urgency: 'routine', document: { issuingState: 'UTO', documentNumber: 'zz 99<9' } }, { white });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ document: { issuingState: 'UTO', documentNumber: 'ZZ999' }, registerHits: [] });
    const entry = await examiner.inject({ method: 'POST', url: '/api/register', payload: { issuingState: 'UTO', documentNumber: 'ZZ999', status: 'lost', source: 'MFA' } });
    const later = await officer.inject({ method: 'GET', url: `/api/verification-requests/${res.json().id}` });
    expect(later.json().registerHits).toEqual([expect.objectContaining({ id: entry.json().id, status: 'lost' })]);
    // Withdrawn here so that the queue below holds only the requests it makes.
    expect((await officer.inject({ method: 'POST', url: `/api/verification-requests/${res.json().id}/withdraw`, payload: {} })).json().status).toBe('withdrawn');
  });

  it('refuses bad input with 4xx and stores nothing (corrupt image, MRZ that is not one, unknown light, no image)', async () => {
    const keys = await t.objectKeys();
    const count = (await examiner.inject({ method: 'GET', url: '/api/verification-requests' })).json().total;
    const corrupt = Buffer.concat([white.subarray(0, 2000)]);
    const newWhite = await makeTestImage({ width: 320, height: 220, seed: 99 });
    const bad = await submit(officer, { urgency: 'routine' }, { white: newWhite, 'uv-365': corrupt });
    expect(bad.statusCode).toBeGreaterThanOrEqual(400);
    expect(bad.statusCode).toBeLessThan(500);
    const mrz = await submit(officer, { urgency: 'routine', mrz: { lines: ['NOT AN MRZ', 'AT ALL'] } }, { white: newWhite });
    expect(mrz.statusCode).toBe(400);
    const light = await submit(officer, { urgency: 'routine' }, { sunlight: newWhite });
    expect(light.statusCode).toBe(400);
    const none = await submit(officer, { urgency: 'routine' }, {});
    expect(none.statusCode).toBe(400);
    const urgency = await submit(officer, { urgency: 'asap' }, { white: newWhite });
    expect(urgency.statusCode).toBe(400);
    expect(await t.objectKeys()).toEqual(keys);
    expect((await examiner.inject({ method: 'GET', url: '/api/verification-requests' })).json().total).toBe(count);
  });

  it("another officer cannot see, list or act on the request (404), a viewer may not use the service (403)", async () => {
    expect((await otherOfficer.inject({ method: 'GET', url: `/api/verification-requests/${request.id}` })).statusCode).toBe(404);
    expect((await otherOfficer.inject({ method: 'GET', url: request.questioned.white.url })).statusCode).toBe(404);
    expect((await otherOfficer.inject({ method: 'POST', url: `/api/verification-requests/${request.id}/withdraw`, payload: {} })).statusCode).toBe(404);
    const list = (await otherOfficer.inject({ method: 'GET', url: '/api/verification-requests' })).json();
    expect(list.items.map((r: { id: string }) => r.id)).not.toContain(request.id);
    expect((await viewer.inject({ method: 'GET', url: '/api/verification-requests' })).statusCode).toBe(403);
    expect((await viewer.inject({ method: 'GET', url: `/api/verification-requests/${request.id}` })).statusCode).toBe(403);
    // Officers submit; they do not claim or answer.
    expect((await officer.inject({ method: 'POST', url: `/api/verification-requests/${request.id}/claim`, payload: {} })).statusCode).toBe(403);
  });

  it('the queue is ordered by urgency, then oldest first; officers see only their own', async () => {
    const routine = (await submit(officer, { urgency: 'routine' }, { white })).json();
    const immediate = (await submit(otherOfficer, { urgency: 'immediate' }, { white })).json();
    const urgentLater = (await submit(otherOfficer, { urgency: 'urgent' }, { white })).json();
    const queue = await examiner.inject({ method: 'GET', url: '/api/verification-requests?status=submitted' });
    expect(queue.statusCode).toBe(200);
    expect(queue.json().items.map((r: { id: string }) => r.id)).toEqual([immediate.id, request.id, urgentLater.id, routine.id]);
    const page = (await examiner.inject({ method: 'GET', url: '/api/verification-requests?status=submitted&limit=2&offset=1' })).json();
    expect(page).toMatchObject({ total: 4, limit: 2, offset: 1 });
    expect(page.items.map((r: { id: string }) => r.id)).toEqual([request.id, urgentLater.id]);
    const mine = (await officer.inject({ method: 'GET', url: '/api/verification-requests?status=submitted' })).json();
    expect(mine.items.map((r: { id: string }) => r.id)).toEqual([request.id, routine.id]);

    // The officer withdraws the routine one; it can no longer be claimed.
    const withdrawn = await officer.inject({ method: 'POST', url: `/api/verification-requests/${routine.id}/withdraw`, payload: { message: 'document was returned to the traveller' } });
    expect(withdrawn.json()).toMatchObject({ status: 'withdrawn' });
    // A transition without a body at all is the same as `{}`.
    const claim = await examiner.inject({ method: 'POST', url: `/api/verification-requests/${routine.id}/claim` });
    expect(claim.statusCode).toBe(409);
    expect(claim.json().details).toMatchObject({ status: 'withdrawn' });
  });

  it('one examiner claims; another gets 409 naming the holder; claiming again is a no-op', async () => {
    const claimed = await examiner.inject({ method: 'POST', url: `/api/verification-requests/${request.id}/claim`, payload: {} });
    expect(claimed.statusCode).toBe(200);
    expect(claimed.json()).toMatchObject({ status: 'claimed', claimedBy: 'examiner' });
    const other = await otherExaminer.inject({ method: 'POST', url: `/api/verification-requests/${request.id}/claim`, payload: {} });
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({ code: 'CONFLICT', details: { claimedBy: 'examiner' } });
    const again = await examiner.inject({ method: 'POST', url: `/api/verification-requests/${request.id}/claim`, payload: {} });
    expect(again.json().revision).toBe(claimed.json().revision);
    // Only the holder answers.
    const answer = await otherExaminer.inject({ method: 'POST', url: `/api/verification-requests/${request.id}/answer`, payload: { conclusion: 'genuine', message: 'ok' } });
    expect(answer.statusCode).toBe(409);
  });

  it('concurrent claims by two examiners: exactly one wins', async () => {
    const fresh = (await submit(officer, { urgency: 'routine' }, { white })).json();
    const [a, b] = await Promise.all([
      examiner.inject({ method: 'POST', url: `/api/verification-requests/${fresh.id}/claim`, payload: {} }),
      otherExaminer.inject({ method: 'POST', url: `/api/verification-requests/${fresh.id}/claim`, payload: {} }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    const after = (await examiner.inject({ method: 'GET', url: `/api/verification-requests/${fresh.id}` })).json();
    expect(after.history.filter((h: { action: string }) => h.action === 'claim')).toHaveLength(1);
  });

  it('the examiner links a comparison run on the questioned images (by sha256); an unknown one is 404', async () => {
    const comparison = await examiner.inject({ method: 'POST', url: '/api/comparisons', payload: { reference: 'auto', questioned: { images: { white: request.questioned.white.sha256 } } } });
    expect(comparison.statusCode).toBe(202);
    const linked = await examiner.inject({ method: 'POST', url: `/api/verification-requests/${request.id}/comparisons`, payload: { comparisonId: comparison.json().id } });
    expect(linked.statusCode).toBe(200);
    expect(linked.json().comparisons).toEqual([comparison.json().id]);
    const unknown = await examiner.inject({ method: 'POST', url: `/api/verification-requests/${request.id}/comparisons`, payload: { comparisonId: 'NoSuchComparison1' } });
    expect(unknown.statusCode).toBe(404);
  });

  it('return for information → the officer replies → back with the examiner → answered → closed, every step in the history', async () => {
    const returned = await examiner.inject({ method: 'POST', url: `/api/verification-requests/${request.id}/return`, payload: { message: 'Please add an IR 870 image of the data page.' } });
    expect(returned.json()).toMatchObject({ status: 'returned-for-information' });
    expect((await otherOfficer.inject({ method: 'POST', url: `/api/verification-requests/${request.id}/reply`, payload: { message: 'x' } })).statusCode).toBe(404);
    const replied = await officer.inject({ method: 'POST', url: `/api/verification-requests/${request.id}/reply`, payload: { message: 'No IR lamp at this desk; the traveller is held.' } });
    expect(replied.json()).toMatchObject({ status: 'claimed', claimedBy: 'examiner' });

    const missingType = await examiner.inject({ method: 'POST', url: `/api/verification-requests/${request.id}/answer`, payload: { conclusion: 'fraudulent', message: 'Forged.' } });
    expect(missingType.statusCode).toBe(400);
    expect(missingType.json().details.errors).toEqual([expect.objectContaining({ path: '/fraudType' })]);

    const answered = await examiner.inject({
      method: 'POST',
      url: `/api/verification-requests/${request.id}/answer`,
      payload: { conclusion: 'fraudulent', fraudType: 'forgery', forgeryMethods: ['photo-substitution'], message: 'Photo substituted; the UV pattern breaks at its edge. Document reported stolen.' },
    });
    expect(answered.statusCode).toBe(200);
    expect(answered.json()).toMatchObject({ status: 'answered', answer: { conclusion: 'fraudulent', fraudType: 'forgery', answeredBy: 'examiner' } });

    const seen = (await officer.inject({ method: 'GET', url: `/api/verification-requests/${request.id}` })).json();
    expect(seen.answer).toMatchObject({ conclusion: 'fraudulent', message: expect.stringContaining('Photo substituted') });
    const closed = await officer.inject({ method: 'POST', url: `/api/verification-requests/${request.id}/close`, payload: {} });
    expect(closed.json()).toMatchObject({ status: 'closed' });
    // Nothing moves a closed request.
    expect((await officer.inject({ method: 'POST', url: `/api/verification-requests/${request.id}/withdraw`, payload: {} })).statusCode).toBe(409);

    const history = closed.json().history as { action: string; actor: string; from?: string; to: string; at: string }[];
    expect(history.map((h) => [h.action, h.actor, h.from ?? null, h.to])).toEqual([
      ['submit', 'border-officer', null, 'submitted'],
      ['claim', 'examiner', 'submitted', 'claimed'],
      ['link-comparison', 'examiner', 'claimed', 'claimed'],
      ['return', 'examiner', 'claimed', 'returned-for-information'],
      ['reply', 'border-officer', 'returned-for-information', 'claimed'],
      ['answer', 'examiner', 'claimed', 'answered'],
      ['close', 'border-officer', 'answered', 'closed'],
    ]);
    const times = history.map((h) => Date.parse(h.at));
    expect([...times].sort((x, y) => x - y)).toEqual(times);

    const audit = await t.context.services.audit.list(systemActor('test'), { target: `verification-request:${request.id}` });
    const actions = audit.items.map((e: { action: string }) => e.action);
    for (const a of ['verification.submit', 'verification.claim', 'verification.answer', 'verification.close', 'image.read-original']) expect(actions).toContain(a);
  });

  it("keeps the reference capture of a comparison linked to a request: deleting it is refused (409 EVIDENCE)", async () => {
    const specimen = await examiner.inject({ method: 'POST', url: '/api/specimens', payload: { ...MINIMAL_SPECIMEN, title: 'Reference of a linked comparison' } });
    const { payload, headers } = multipartBody([
      { name: 'capture', value: JSON.stringify({ page: 'data-page' }) },
      { name: 'white', filename: 'white.jpg', data: await makeTestImage({ width: 320, height: 220, seed: 31 }), contentType: 'image/jpeg' },
    ]);
    const capture = (await examiner.inject({ method: 'POST', url: `/api/specimens/${specimen.json().id}/captures`, payload, headers })).json();
    const fresh = (await submit(officer, { urgency: 'routine' }, { white })).json();
    expect((await examiner.inject({ method: 'POST', url: `/api/verification-requests/${fresh.id}/claim`, payload: {} })).statusCode).toBe(200);
    const comparison = await examiner.inject({
      method: 'POST',
      url: '/api/comparisons',
      payload: { reference: { specimenId: specimen.json().id, captureId: capture.id }, questioned: { images: { white: fresh.questioned.white.sha256 } } },
    });
    expect(comparison.statusCode).toBe(202);
    expect((await examiner.inject({ method: 'POST', url: `/api/verification-requests/${fresh.id}/comparisons`, payload: { comparisonId: comparison.json().id } })).statusCode).toBe(200);

    const current = (await examiner.inject({ method: 'GET', url: `/api/specimens/${specimen.json().id}` })).json();
    const refused = await examiner.inject({ method: 'DELETE', url: `/api/specimens/${current.id}/captures/${capture.id}?revision=${current.revision}` });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ details: { reason: 'EVIDENCE', verificationRequests: [fresh.id], comparisons: [comparison.json().id], cases: [] } });
    expect((await examiner.inject({ method: 'DELETE', url: `/api/specimens/${current.id}` })).statusCode).toBe(409);
  });
});

describe('verification webhook', () => {
  const SECRET = 'webhook-secret-for-tests';
  let t: TestApp;
  let server: http.Server;
  let received: { headers: http.IncomingHttpHeaders; body: string; status: number }[];
  /** Per event, status codes to answer in order (then 204). */
  let answers: Record<string, number[]>;
  let hold: Promise<void> | undefined;

  beforeAll(async () => {
    received = [];
    answers = {};
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        if (hold) await hold;
        const status = answers[String(req.headers['x-exemplar-event'])]?.shift() ?? 204;
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    t = await buildTestApp({
      EXEMPLAR_VERIFICATION_WEBHOOK_URL: `http://127.0.0.1:${port}/hooks/exemplar`,
      EXEMPLAR_VERIFICATION_WEBHOOK_SECRET: SECRET,
      EXEMPLAR_VERIFICATION_WEBHOOK_RETRY_MS: '20',
    });
  });

  afterAll(async () => {
    await t?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('posts a signed event per change, retries a failing receiver with the same delivery id, and never waits for it', async () => {
    const officer = await t.login('border-officer');
    const examiner = await t.login('examiner');
    let release!: () => void;
    hold = new Promise<void>((resolve) => (release = resolve));
    answers = { 'verification.submit': [500, 503] };
    // The receiver holds every call until released: the API must answer anyway.
    const res = await submit(officer, { urgency: 'immediate', mrz: { lines: TD3 } }, { white });
    expect(res.statusCode).toBe(201);
    expect(received).toHaveLength(0);
    release();
    hold = undefined;
    const id = res.json().id;
    const claimed = await examiner.inject({ method: 'POST', url: `/api/verification-requests/${id}/claim`, payload: {} });
    expect(claimed.statusCode).toBe(200);
    await t.context.services.verification.webhook!.drain();

    const submitCalls = received.filter((r) => r.headers['x-exemplar-event'] === 'verification.submit');
    expect(submitCalls.map((r) => r.status)).toEqual([500, 503, 204]);
    expect(new Set(submitCalls.map((r) => r.headers['x-exemplar-delivery'])).size).toBe(1);
    const delivered = received.filter((r) => r.status === 204);
    expect(delivered.map((r) => JSON.parse(r.body))).toEqual(
      expect.arrayContaining([
        { event: 'verification.submit', id, status: 'submitted', at: res.json().updatedAt },
        { event: 'verification.claim', id, status: 'claimed', at: claimed.json().updatedAt },
      ]),
    );
    for (const r of received) {
      // Only ids, status and time: no images, names or document numbers.
      expect(Object.keys(JSON.parse(r.body)).sort()).toEqual(['at', 'event', 'id', 'status']);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-exemplar-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(r.body).digest('hex')}`);
    }
  });
});

/**
 * A comparison whose job the store did not confirm in time, through the real
 * HTTP API. MongoDB cannot run on this machine, so — said plainly — the job
 * queue is the MongoDB adapter on the mingo stand-in, its collection wrapped
 * as MongoCatalogStore wraps its database, and the stand-in fails the job's
 * write as the driver does when a majority does not answer within wtimeoutMS
 * (applied on the primary, then MongoWriteConcernError code 64). The rest of
 * the app is real (SQLite specimens and their holds, object folder, sharp).
 */
import type { Collection } from 'mongodb';
import type { Specimen } from '@exemplar/specimens-schema';
import { MongoJobRepository, type JobDocument } from '../../server/src/stores/jobs.mongo';
import { withStoreErrors } from '../../server/src/stores/mongo-errors';
import { MingoDb, type MingoCollection } from '../../server/src/stores/mongo-standin';
import { buildTestApp, makeTestImage, MINIMAL_SPECIMEN, multipartBody, type TestApp } from '../../server/src/test-helpers';

// Uploads go through the real ingest on a shared machine: slowness is not a failure.
jest.setTimeout(300_000);

let t: TestApp;
let jobs: MingoCollection;

beforeAll(async () => {
  // No runner: the job stays queued, as it would while the majority is away.
  t = await buildTestApp({ EXEMPLAR_SERVER_COMPARISONS: '0' });
  jobs = withStoreErrors(new MingoDb()).collection('jobs');
  const repo = new MongoJobRepository(jobs as unknown as Collection<JobDocument>, Date.now);
  // The app's services read the repository from the catalog on every call.
  Object.defineProperty(t.context.catalog, 'jobs', { value: repo, configurable: true });
});
afterAll(async () => {
  await t.close();
});

describe('a comparison whose job write times out', () => {
  it('answers 503, audits the submission and keeps its reference held: the job the primary kept is still evidence', async () => {
    const examiner = await t.login('examiner');
    const officer = await t.login('border-officer');
    const created = await examiner.inject({ method: 'POST', url: '/api/specimens', payload: { ...MINIMAL_SPECIMEN, classification: 'public', title: 'Reference held while the majority is away' } });
    expect(created.statusCode).toBe(201);
    const specimen = created.json<Specimen>();
    const capture = multipartBody([
      { name: 'capture', value: JSON.stringify({ page: 'data-page' }) },
      { name: 'white', filename: 'white.jpg', data: await makeTestImage({ seed: 61 }), contentType: 'image/jpeg' },
    ]);
    const uploaded = await examiner.inject({ method: 'POST', url: `/api/specimens/${specimen.id}/captures`, payload: capture.payload, headers: capture.headers });
    expect(uploaded.statusCode).toBe(201);
    const reference = { specimenId: specimen.id, captureId: uploaded.json<{ id: string }>().id };

    const { payload, headers } = multipartBody([
      { name: 'comparison', value: JSON.stringify({ reference, notes: 'Submitted while the majority is away' }) },
      { name: 'white', filename: 'questioned.jpg', data: await makeTestImage({ seed: 62 }), contentType: 'image/jpeg' },
    ]);
    jobs.failWrites({ after: 0, kind: 'write-concern-timeout' });
    const res = await officer.inject({ method: 'POST', url: '/api/comparisons', payload, headers });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'STORE_UNAVAILABLE', details: { committed: 'unknown' } });

    // The primary kept the job: it is queued and will run against the reference it names.
    const [job] = await t.context.catalog.jobs.list({ kind: 'comparison' });
    expect(job).toMatchObject({ status: 'queued', createdBy: officer.username });
    // Its submission is in the audit trail, as a specimen write the store did not confirm is.
    const entries = await t.context.catalog.audit.list({ target: `comparison:${job!.id}` });
    expect(entries.map((e) => [e.action, e.actor])).toEqual([['comparison.submit', officer.username]]);

    // So the reference capture cannot go from under it.
    const deleted = await examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimen.id}` });
    expect(deleted.statusCode).toBe(409);
    expect(deleted.json()).toMatchObject({ code: 'CONFLICT', details: { reason: 'EVIDENCE' } });
    expect((await examiner.inject({ method: 'GET', url: `/api/specimens/${specimen.id}` })).statusCode).toBe(200);
  });
});

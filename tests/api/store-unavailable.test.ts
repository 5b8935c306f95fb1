/**
 * A catalog write the store does not confirm in time, through the real HTTP
 * API. MongoDB cannot run on this machine, so — said plainly — the specimens
 * live in the MongoDB adapter on the mingo stand-in, its collections wrapped
 * as MongoCatalogStore wraps its database, and the stand-in fails a write as
 * the driver does when a majority does not answer within wtimeoutMS (applied
 * on the primary, then MongoWriteConcernError code 64). The rest of the app
 * is real (SQLite audit trail, object folder, sharp).
 */
import type { Collection } from 'mongodb';
import type { Specimen } from '@exemplar/specimens-schema';
import { MongoSpecimenRepository, type ChangeDocument } from '../../server/src/stores/catalog.mongo';
import type { SpecimenDocument } from '../../server/src/stores/catalog.mongo-query';
import { withStoreErrors } from '../../server/src/stores/mongo-errors';
import { MingoDb, type MingoCollection } from '../../server/src/stores/mongo-standin';
import { objectKeys } from '../../server/src/stores/objects.port';
import { buildTestApp, makeTestImage, MINIMAL_SPECIMEN, multipartBody, sha256, type TestApp } from '../../server/src/test-helpers';

let t: TestApp;
let specimens: MingoCollection;
let changes: MingoCollection;

beforeAll(async () => {
  t = await buildTestApp();
  const db = withStoreErrors(new MingoDb());
  specimens = db.collection('specimens');
  changes = db.collection('specimen_changes');
  const repo = new MongoSpecimenRepository(specimens as unknown as Collection<SpecimenDocument>, changes as unknown as Collection<ChangeDocument>);
  // The app's services read the repository from the catalog on every call.
  Object.defineProperty(t.context.catalog, 'specimens', { value: repo, configurable: true });
});
afterAll(async () => {
  await t.close();
});

const timeOutNextWrite = () => specimens.failWrites({ after: 0, kind: 'write-concern-timeout' });

function expectStoreUnavailable(res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }, committed: 'unknown' | false = 'unknown') {
  expect(res.statusCode).toBe(503);
  expect(res.headers['retry-after']).toBe('5');
  expect(res.json()).toEqual({ code: 'STORE_UNAVAILABLE', message: expect.stringMatching(/did not confirm the write in time/), details: { reason: 'WRITE_CONCERN_TIMEOUT', committed, retryAfterSeconds: 5 } });
}

describe('a catalog write whose write concern times out', () => {
  it('answers 503 STORE_UNAVAILABLE on create, and the specimen the primary kept is in the audit trail', async () => {
    const examiner = await t.login('examiner');
    timeOutNextWrite();
    const res = await examiner.inject({ method: 'POST', url: '/api/specimens', payload: { ...MINIMAL_SPECIMEN, title: 'Created while the majority is away' } });
    expectStoreUnavailable(res);
    const [kept] = (await specimens.find({}).toArray()) as unknown as Array<{ _id: string }>;
    expect(kept).toBeDefined();
    const entries = await t.context.catalog.audit.list({ target: `specimen:${kept!._id}` });
    expect(entries.map((e) => e.action)).toEqual(['specimen.create']);
  });

  it('when only the change counter timed out, says nothing was written: no specimen, no audit entry, the upload\'s images removed', async () => {
    const examiner = await t.login('examiner');
    const before = await t.context.catalog.specimens.count();
    const entriesBefore = (await t.context.catalog.audit.list({})).length;
    changes.failWrites({ after: 0, kind: 'write-concern-timeout' });
    expectStoreUnavailable(await examiner.inject({ method: 'POST', url: '/api/specimens', payload: { ...MINIMAL_SPECIMEN, title: 'Never written' } }), false);
    expect(await t.context.catalog.specimens.count()).toBe(before);
    expect((await t.context.catalog.audit.list({})).length).toBe(entriesBefore);

    const specimen = (await examiner.inject({ method: 'POST', url: '/api/specimens', payload: { ...MINIMAL_SPECIMEN, title: 'Capture never written' } })).json<Specimen>();
    const image = await makeTestImage({ width: 300, height: 200, seed: 43 });
    const { payload, headers } = multipartBody([
      { name: 'capture', value: JSON.stringify({ page: 'front' }) },
      { name: 'white', filename: 'white.png', data: image },
    ]);
    changes.failWrites({ after: 0, kind: 'write-concern-timeout' });
    expectStoreUnavailable(await examiner.inject({ method: 'POST', url: `/api/specimens/${specimen.id}/captures`, payload, headers }), false);
    expect((await t.context.catalog.specimens.get(specimen.id))?.captures).toEqual([]);
    expect((await t.objectKeys()).filter((k) => k.includes(sha256(image)))).toEqual([]);
  });

  it('keeps the images an upload stored when the capture write times out: the capture the primary kept names them', async () => {
    const examiner = await t.login('examiner');
    const created = await examiner.inject({ method: 'POST', url: '/api/specimens', payload: { ...MINIMAL_SPECIMEN, title: 'Capture while the majority is away' } });
    expect(created.statusCode).toBe(201);
    const specimen = created.json<Specimen>();
    const image = await makeTestImage({ width: 320, height: 200, seed: 41 });
    const { payload, headers } = multipartBody([
      { name: 'capture', value: JSON.stringify({ page: 'front' }) },
      { name: 'white', filename: 'white.png', data: image },
    ]);
    timeOutNextWrite();
    const res = await examiner.inject({ method: 'POST', url: `/api/specimens/${specimen.id}/captures`, payload, headers });
    expectStoreUnavailable(res);

    const stored = await t.context.catalog.specimens.get(specimen.id);
    expect(stored?.captures).toHaveLength(1);
    const keys = await t.objectKeys();
    for (const key of [objectKeys.original(sha256(image)), stored!.captures[0]!.images[0]!.derivatives.thumbnail]) expect(keys).toContain(key);
    const entries = await t.context.catalog.audit.list({ target: `specimen:${specimen.id}`, order: 'asc' });
    expect(entries.map((e) => e.action)).toEqual(['specimen.create', 'capture.create']);
  });
});

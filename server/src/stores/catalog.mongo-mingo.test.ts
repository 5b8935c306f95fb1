/**
 * The MongoDB adapter's repositories run through the whole catalog contract
 * on a stand-in collection. MongoDB cannot run on this machine, so this is a
 * substitute, said plainly: `MingoCollection` implements the few collection
 * methods the repositories call by evaluating their filters, updates and
 * pipelines with `mingo`. It checks the adapter's logic (revision checks,
 * the job state machine, cursors, facets) but not the server's behaviour
 * under concurrency or its index use; catalog.mongo.test.ts does that
 * against a real server when MONGODB_URI is set.
 */
import { BSON, type Collection, type Db } from 'mongodb';
import { MongoAuditLog, type AuditDocument } from '../audit/audit.mongo';
import { describeCatalogContract } from './catalog.contract';
import { fixtureSpecimens } from './catalog.fixtures';
import { MAX_SPECIMEN_DOCUMENT_BYTES, MongoSpecimenRepository, type ChangeDocument } from './catalog.mongo';
import { toSpecimenDocument, type SpecimenDocument } from './catalog.mongo-query';
import { HOLDS_CHANGING, type CatalogStore, type ChangeHistoryOptions, type EvidenceHold } from './catalog.port';
import { MongoJobRepository, type JobDocument } from './jobs.mongo';
import { MingoCollection, MingoDb } from './mongo-standin';
import { MongoRecordStore } from './records.mongo';

async function openStandIn(options?: { changeHistory?: ChangeHistoryOptions }): Promise<CatalogStore> {
  // A short history needs a short look-back (which must stay below it).
  const history = options?.changeHistory && { ...options.changeHistory, lookBack: 2 };
  const specimens = new MongoSpecimenRepository(new MingoCollection() as unknown as Collection<SpecimenDocument>, new MingoCollection() as unknown as Collection<ChangeDocument>, history);
  const jobs = new MongoJobRepository(new MingoCollection() as unknown as Collection<JobDocument>, Date.now);
  return { kind: 'mongodb', specimens, jobs, records: new MongoRecordStore(new MingoDb() as unknown as Db), audit: new MongoAuditLog(new MingoCollection() as unknown as Collection<AuditDocument>), init: async () => undefined, close: async () => undefined };
}

// mingo copies documents in $unwind and is slow: a smaller synthetic library, still several pages deep.
describeCatalogContract('mongodb repositories on a mingo stand-in collection', openStandIn, { syntheticLibrary: 40 });

describe('MongoSpecimenRepository change history on the stand-in', () => {
  it('prunes deletion entries past the kept history however many specimens come and go', async () => {
    const changes = new MingoCollection();
    const history = { kept: 16, pruneEvery: 4, lookBack: 2 };
    const repo = new MongoSpecimenRepository(new MingoCollection() as unknown as Collection<SpecimenDocument>, changes as unknown as Collection<ChangeDocument>, history);
    const [a] = fixtureSpecimens();
    for (let i = 0; i < 40; i++) {
      const id = `churn${String(i).padStart(8, '0')}`;
      await repo.create({ ...a!, id });
      await repo.delete(id);
    }
    const entries = (await changes.find({ specimenId: { $exists: true } }).toArray()) as unknown as ChangeDocument[];
    const counter = (await changes.findOne({ _id: 'counter' })) as unknown as ChangeDocument;
    expect(counter.seq).toBe(80);
    expect(counter.floor).toBe(80 - history.kept);
    // One deletion per two change numbers: at most half the kept window (and what came since the last prune) is left.
    expect(entries.length).toBeLessThanOrEqual((history.kept + history.pruneEvery) / 2);
    expect(entries.every((e) => e.seq > counter.floor!)).toBe(true);
    expect(() => new MongoSpecimenRepository(new MingoCollection() as unknown as Collection<SpecimenDocument>, changes as unknown as Collection<ChangeDocument>, { kept: 16, lookBack: 16 })).toThrow(RangeError);
  });
});

describe('MongoSpecimenRepository on the stand-in, while other writers hold the specimen and let it go', () => {
  /**
   * A repository whose `method` of the specimens collection first lets a hold
   * be taken and released (or, with `releaseAfter`, taken before and released
   * after it): the holds change under every conditional write, though none
   * stands once it is done.
   */
  async function outrun(method: 'replaceOne' | 'deleteOne', releaseAfter = false) {
    const coll = new MingoCollection();
    const repo = new MongoSpecimenRepository(coll as unknown as Collection<SpecimenDocument>, new MingoCollection() as unknown as Collection<ChangeDocument>);
    const [a] = fixtureSpecimens();
    await repo.create(a!);
    const original = (coll as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[method]!.bind(coll);
    let writes = 0;
    (coll as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
      const hold: EvidenceHold = { holder: `case:busy-${writes++}`, holderRevision: 1, captureId: null, at: new Date().toISOString() };
      await repo.hold(a!.id, hold);
      if (!releaseAfter) await repo.releaseHold(a!.id, hold);
      try {
        return await original(...args);
      } finally {
        if (releaseAfter) await repo.releaseHold(a!.id, hold);
      }
    };
    return { repo, specimen: a!, writes: () => writes };
  }

  it('a replace whose every try meets holds changed since its read answers SPECIMEN_BUSY, not a revision conflict', async () => {
    const { repo, specimen, writes } = await outrun('replaceOne');
    await expectBusy(repo.replace(specimen.id, 1, { ...specimen, revision: 2, title: 'Changed while busy' }), specimen.id);
    expect(writes()).toBeGreaterThan(1);
    expect(await repo.get(specimen.id)).toMatchObject({ revision: 1, title: specimen.title });
  });

  it('a delete whose every try meets a hold released right after answers SPECIMEN_BUSY, not a revision conflict', async () => {
    const { repo, specimen, writes } = await outrun('deleteOne', true);
    await expectBusy(repo.delete(specimen.id, 1), specimen.id);
    expect(writes()).toBeGreaterThan(1);
    expect(await repo.get(specimen.id)).toMatchObject({ revision: 1 });
    expect((await repo.holds(specimen.id)).holds).toEqual([]);
  });

  async function expectBusy(write: Promise<unknown>, id: string): Promise<void> {
    await expect(write).rejects.toMatchObject({ code: 'SPECIMEN_BUSY', status: 503, details: { reason: HOLDS_CHANGING, id, retryAfterSeconds: 1 } });
  }
});

describe('MongoSpecimenRepository on the stand-in, with a specimen past what MongoDB stores', () => {
  it('refuses it with PAYLOAD_TOO_LARGE, creating or replacing, and leaves the stored one as it was', async () => {
    const repo = new MongoSpecimenRepository(new MingoCollection() as unknown as Collection<SpecimenDocument>, new MingoCollection() as unknown as Collection<ChangeDocument>);
    const [a] = fixtureSpecimens();
    // Many captures, each with its images' identification descriptors, as a specimen gathers them over years.
    const capture = a!.captures[0]!;
    const grown = (count: number) => Array.from({ length: count }, (_, i) => ({ ...capture, id: `cap${String(i).padStart(6, '0')}`, notes: 'n'.repeat(20_000) }));
    const size = (n: number) => BSON.calculateObjectSize(toSpecimenDocument({ ...a!, captures: grown(n) }));
    const tooMany = Math.ceil(MAX_SPECIMEN_DOCUMENT_BYTES / (size(2) - size(1))) + 1;
    await expect(repo.create({ ...a!, captures: grown(tooMany) })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413, details: { id: a!.id, maxBytes: MAX_SPECIMEN_DOCUMENT_BYTES } });
    expect(await repo.get(a!.id)).toBeNull();
    await repo.create(a!);
    await expect(repo.replace(a!.id, a!.revision, { ...a!, revision: a!.revision + 1, captures: grown(tooMany) })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(await repo.get(a!.id)).toEqual(a);
  });
});

describe('MongoJobRepository on the stand-in, with jobs written before it kept a submitter', () => {
  it("fills in the submitter and questioned keys of comparison jobs from their payload, once", async () => {
    const jobs = new MingoCollection();
    const repo = new MongoJobRepository(jobs as unknown as Collection<JobDocument>, Date.now);
    const questioned = { white: { sha256: 'a'.repeat(64), key: `questioned/${'a'.repeat(64)}` }, 'uv-365': { sha256: 'b'.repeat(64), key: `originals/${'b'.repeat(64)}` } };
    const earlier = (id: string, kind: string, payload: unknown, at: number) => jobs.insertOne(earlierJobDocument(id, kind, JSON.stringify(payload), at));
    await earlier('job-earlier-1', 'comparison', { v: 1, request: {}, questioned, createdBy: 'officer' }, 1);
    await earlier('job-earlier-2', 'comparison', 7, 2);
    await earlier('job-earlier-3', 'comparison', { questioned: ['x'], createdBy: 3 }, 3);
    await earlier('job-earlier-4', 'other', { questioned, createdBy: 'officer' }, 4);
    await repo.enqueue({ id: 'job-current', kind: 'comparison', payload: { questioned, createdBy: 'officer' }, createdBy: 'examiner', inputs: [] });

    expect(await repo.adoptEarlierJobs()).toBe(4);
    expect(await repo.adoptEarlierJobs()).toBe(0);
    expect((await repo.list({ createdBy: 'officer' })).map((j) => j.id)).toEqual(['job-earlier-1']);
    expect((await repo.list({ input: questioned['uv-365'].key })).map((j) => j.id)).toEqual(['job-earlier-1']);
    expect(await repo.get('job-earlier-1')).toMatchObject({ createdBy: 'officer', inputs: [questioned['uv-365'].key, questioned.white.key] });
    for (const id of ['job-earlier-2', 'job-earlier-3', 'job-earlier-4']) expect(await repo.get(id)).toMatchObject({ createdBy: null, inputs: [] });
    expect(await repo.get('job-current')).toMatchObject({ createdBy: 'examiner', inputs: [] });
  });
});

/** A finished job as the adapter wrote it before it kept a submitter: no `createdBy`, no `inputs`. */
function earlierJobDocument(id: string, kind: string, payload: string, at: number): JobDocument {
  return {
    _id: id,
    kind,
    status: 'done',
    priority: 0,
    payload,
    result: null,
    error: null,
    progress: null,
    attempts: 1,
    maxAttempts: 3,
    workerId: 'w',
    leaseMs: null,
    leaseExpiresAt: null,
    createdAt: new Date(at),
    updatedAt: new Date(at),
    startedAt: new Date(at),
    finishedAt: new Date(at),
  };
}

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
import type { Collection, Db } from 'mongodb';
import { MongoAuditLog, type AuditDocument } from '../audit/audit.mongo';
import { describeCatalogContract } from './catalog.contract';
import { fixtureSpecimens } from './catalog.fixtures';
import { MongoSpecimenRepository, type ChangeDocument } from './catalog.mongo';
import type { SpecimenDocument } from './catalog.mongo-query';
import type { CatalogStore, ChangeHistoryOptions } from './catalog.port';
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

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
import { MongoSpecimenRepository, type ChangeDocument } from './catalog.mongo';
import type { SpecimenDocument } from './catalog.mongo-query';
import type { CatalogStore } from './catalog.port';
import { MongoJobRepository, type JobDocument } from './jobs.mongo';
import { MingoCollection, MingoDb } from './mongo-standin';
import { MongoRecordStore } from './records.mongo';

async function openStandIn(): Promise<CatalogStore> {
  const specimens = new MongoSpecimenRepository(new MingoCollection() as unknown as Collection<SpecimenDocument>, new MingoCollection() as unknown as Collection<ChangeDocument>);
  const jobs = new MongoJobRepository(new MingoCollection() as unknown as Collection<JobDocument>, Date.now);
  return { kind: 'mongodb', specimens, jobs, records: new MongoRecordStore(new MingoDb() as unknown as Db), audit: new MongoAuditLog(new MingoCollection() as unknown as Collection<AuditDocument>), init: async () => undefined, close: async () => undefined };
}

// mingo copies documents in $unwind and is slow: a smaller synthetic library, still several pages deep.
describeCatalogContract('mongodb repositories on a mingo stand-in collection', openStandIn, { syntheticLibrary: 40 });

/**
 * Write concern failures as the MongoDB adapters report them, on the mingo
 * stand-in (MongoDB cannot run on this machine), whose failures carry the
 * driver's own error classes and codes.
 */
import { MongoBulkWriteError, MongoServerError, type Collection, type Db } from 'mongodb';
import { MongoAuditLog, type AuditDocument } from '../audit/audit.mongo';
import type { NewAuditEntry } from '../audit/audit.port';
import { isWriteConcernFailure, withStoreErrors } from './mongo-errors';
import { MingoDb, writeConcernTimeout } from './mongo-standin';
import { MongoRecordStore } from './records.mongo';
import type { StoredRecord } from './records.port';

const storeUnavailable = { code: 'STORE_UNAVAILABLE', status: 503, details: { reason: 'WRITE_CONCERN_TIMEOUT', committed: 'unknown', retryAfterSeconds: 5 } };

describe('isWriteConcernFailure', () => {
  it('knows the driver’s write concern errors, single and bulk, and nothing else', () => {
    expect(isWriteConcernFailure(writeConcernTimeout())).toBe(true);
    expect(isWriteConcernFailure(new MongoBulkWriteError({ message: 'waiting for replication timed out', code: 64 } as never, { insertedCount: 2 } as never))).toBe(true);
    expect(isWriteConcernFailure(new MongoServerError({ message: 'E11000 duplicate key', code: 11000 }))).toBe(false);
    expect(isWriteConcernFailure(new Error('write concern'))).toBe(false);
  });
});

describe('a database wrapped by withStoreErrors', () => {
  it('reports a write whose write concern timed out as STORE_UNAVAILABLE, and leaves other errors as they are', async () => {
    const db = withStoreErrors(new MingoDb());
    const things = new MongoRecordStore(db as unknown as Db).collection<StoredRecord & { n: number }>({ name: 'things' });
    await things.insert({ id: 'a', revision: 1, n: 1 });
    db.collection('records.things').failWrites({ after: 0, kind: 'write-concern-timeout' });
    await expect(things.replace('a', 1, { id: 'a', revision: 1, n: 2 })).rejects.toMatchObject(storeUnavailable);
    // Applied on the primary, as the server leaves it.
    expect(await things.get('a')).toEqual({ id: 'a', revision: 2, n: 2 });
    await expect(things.insert({ id: 'a', revision: 1, n: 3 })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('reports a bulk insert that timed out as STORE_UNAVAILABLE, with nothing of it left', async () => {
    const db = withStoreErrors(new MingoDb());
    const things = new MongoRecordStore(db as unknown as Db).collection<StoredRecord>({ name: 'things' });
    db.collection('records.things').failWrites({ after: 1, kind: 'write-concern-timeout' });
    await expect(things.insertMany([{ id: 'a', revision: 1 }, { id: 'b', revision: 1 }, { id: 'c', revision: 1 }])).rejects.toMatchObject(storeUnavailable);
    expect(await things.count()).toBe(0);
  });

  it('reports an audit append that timed out as STORE_UNAVAILABLE; the chain goes on from the entry the primary kept', async () => {
    const db = withStoreErrors(new MingoDb());
    const coll = db.collection('audit');
    const log = new MongoAuditLog(coll as unknown as Collection<AuditDocument>);
    const entry: NewAuditEntry = { actor: 'examiner', actorRole: 'examiner', action: 'specimen.create', target: 'specimen:s1', hashes: {}, time: new Date().toISOString() };
    coll.failWrites({ after: 0, kind: 'write-concern-timeout' });
    await expect(log.append(entry)).rejects.toMatchObject(storeUnavailable);
    const next = await log.append({ ...entry, target: 'specimen:s2' });
    expect(next.seq).toBe(2);
  });
});

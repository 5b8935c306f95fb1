/**
 * The RecordStore contract on every adapter: SQLite on a real file, the
 * MongoDB adapter on the mingo stand-in always, and on a real server when
 * MONGODB_URI is set. The SQLite and MongoDB translations of the same
 * queries are also compared directly on the same records.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { find } from 'mingo';
import { MongoClient, MongoServerError, type Db } from 'mongodb';
import { SqliteCatalogStore } from './catalog.sqlite';
import { MingoDb } from './mongo-standin';
import { describeRecordContract, ORACLE_QUERIES } from './records.contract';
import { mongoFilter, mongoIndex, MongoRecordStore } from './records.mongo';
import type { StoredRecord } from './records.port';

describeRecordContract('sqlite', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exemplar-records-'));
  const store = new SqliteCatalogStore({ file: path.join(dir, 'catalog.sqlite') });
  await store.init();
  return {
    store: store.records,
    close: async () => {
      await store.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
});

describeRecordContract('mongodb adapter on a mingo stand-in', async () => ({
  store: new MongoRecordStore(new MingoDb() as unknown as Db),
  close: async () => undefined,
}));

const uri = process.env['MONGODB_URI'];
if (uri) {
  describeRecordContract('mongodb', async () => {
    const client = new MongoClient(uri);
    await client.connect();
    const db = client.db(`exemplar_test_${randomBytes(6).toString('hex')}`);
    return {
      store: new MongoRecordStore(db),
      close: async () => {
        await db.dropDatabase();
        await client.close();
      },
    };
  });
}

describe('MongoRecordStore on a collection whose index an earlier version declared otherwise', () => {
  it('replaces the index as now declared instead of failing every use with IndexOptionsConflict', async () => {
    const db = new MingoDb();
    // As records.mongo.ts declared a unique index before null values were exempt.
    await db.collection('records.things').createIndexes([{ key: { kind: 1 }, name: 'records_0', unique: true, partialFilterExpression: { kind: { $exists: true } } }]);
    const things = new MongoRecordStore(db as unknown as Db).collection<StoredRecord & { kind?: string | null }>({ name: 'things', indexes: [{ fields: ['kind'], unique: true }] });
    await things.insert({ id: 'a', revision: 1, kind: null });
    await things.insert({ id: 'b', revision: 1, kind: null });
    await things.insert({ id: 'c', revision: 1, kind: 'lost' });
    await expect(things.insert({ id: 'd', revision: 1, kind: 'lost' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await db.collection('records.things').indexes()).toEqual([expect.objectContaining({ name: '_id_' }), expect.objectContaining({ name: 'records_0', partialFilterExpression: mongoIndex({ fields: ['kind'], unique: true }, 0).partialFilterExpression })]);
  });
});

describe('MongoRecordStore when creating its indexes failed once', () => {
  it('tries again on the next use instead of failing every use until a restart', async () => {
    const db = new MingoDb();
    const coll = db.collection('records.things');
    const createIndexes = coll.createIndexes.bind(coll);
    let failures = 1;
    coll.createIndexes = async (specs) => {
      // As a primary stepping down while the process starts answers.
      if (failures-- > 0) throw new MongoServerError({ message: 'not primary', code: 10107, codeName: 'NotWritablePrimary' });
      return createIndexes(specs);
    };
    const things = new MongoRecordStore(db as unknown as Db).collection<StoredRecord & { kind?: string }>({ name: 'things', indexes: [{ fields: ['kind'], unique: true }] });
    await expect(things.insert({ id: 'a', revision: 1, kind: 'lost' })).rejects.toMatchObject({ code: 10107 });
    await things.insert({ id: 'a', revision: 1, kind: 'lost' });
    await expect(things.insert({ id: 'b', revision: 1, kind: 'lost' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await coll.indexes()).map((i) => i.name)).toEqual(['_id_', 'records_0']);
  });
});

describe('MongoRecordStore insertMany when a write fails mid-batch', () => {
  it.each([
    ['a write concern timeout (the batch applied on the primary)', 'write-concern-timeout', 64],
    ['a dropped connection (the documents before it stored)', 'network', undefined],
  ] as const)('takes back exactly what the call stored after %s', async (_what, kind, code) => {
    const db = new MingoDb();
    const things = new MongoRecordStore(db as unknown as Db).collection<StoredRecord & { n: number }>({ name: 'things' });
    await things.insert({ id: 'kept', revision: 1, n: 0 });
    db.collection('records.things').failWrites({ after: 2, kind });
    const failure = things.insertMany([1, 2, 3, 4].map((n) => ({ id: `t${n}`, revision: 1, n })));
    await expect(failure).rejects.toMatchObject(code === undefined ? { name: 'MongoBulkWriteError' } : { code });
    expect(await things.find()).toEqual([{ id: 'kept', revision: 1, n: 0 }]);
    // The same batch again, once the store answers: nothing of the first try is in its way.
    expect((await things.insertMany([1, 2].map((n) => ({ id: `t${n}`, revision: 1, n })))).map((r) => r.id)).toEqual(['t1', 't2']);
    expect(await things.get('t1')).toEqual({ id: 't1', revision: 1, n: 1 });
  });
});

describe('mongoFilter', () => {
  it('translates every oracle query into a filter mingo accepts', () => {
    for (const q of ORACLE_QUERIES) expect(() => find([{ _id: 'x', id: 'x', revision: 1 }], mongoFilter(q.filter) as never).all()).not.toThrow();
  });

  it('keeps equality off arrays, as SQLite does', () => {
    const docs = [
      { _id: 'a', tags: ['x'] },
      { _id: 'b', tags: 'x' },
    ];
    expect(find(docs, mongoFilter({ tags: 'x' }) as never).all().map((d) => (d as { _id: string })._id)).toEqual(['b']);
    expect(find(docs, mongoFilter({ tags: { $has: 'x' } }) as never).all().length).toBe(2);
  });
});

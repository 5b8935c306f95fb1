/**
 * The stand-in answers as the driver and the server do where the adapters
 * depend on it (each rule here is one a real server applies; see the
 * comments in mongo-standin.ts). A stand-in laxer than the server lets an
 * adapter defect pass every test and show only in production.
 */
import { MongoBulkWriteError, MongoServerError } from 'mongodb';
import { MingoCollection } from './mongo-standin';

describe('MingoCollection, strict as the server', () => {
  it('findOneAndUpdate answers the document before the update unless asked for the one after, and {value} only with includeResultMetadata', async () => {
    const c = new MingoCollection();
    await c.insertOne({ _id: 'counter', seq: 1 });
    expect(await c.findOneAndUpdate({ _id: 'counter' }, { $inc: { seq: 1 } })).toEqual({ _id: 'counter', seq: 1 });
    expect(await c.findOneAndUpdate({ _id: 'counter' }, { $inc: { seq: 1 } }, { returnDocument: 'after' })).toEqual({ _id: 'counter', seq: 3 });
    expect(await c.findOneAndUpdate({ _id: 'counter' }, { $inc: { seq: 1 } }, { returnDocument: 'after', includeResultMetadata: true })).toMatchObject({ ok: 1, value: { seq: 4 } });
    expect(await c.findOneAndUpdate({ _id: 'none' }, { $inc: { seq: 1 } })).toBeNull();
  });

  it('insertMany refuses a duplicate as the driver does: a MongoBulkWriteError naming the index, what came before kept', async () => {
    const c = new MingoCollection();
    await c.insertOne({ _id: 'b' });
    const err: unknown = await c.insertMany([{ _id: 'a' }, { _id: 'b' }, { _id: 'c' }], { ordered: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoBulkWriteError);
    expect((err as MongoBulkWriteError).code).toBe(11000);
    expect([(err as MongoBulkWriteError).writeErrors].flat()[0]).toMatchObject({ code: 11000, index: 1 });
    expect((err as MongoBulkWriteError).insertedCount).toBe(1);
    expect(await c.countDocuments({})).toBe(2);
  });

  it('compares embedded documents field by field in order, as the server does', async () => {
    const c = new MingoCollection();
    await c.insertOne({ _id: 'a', holds: [{ holder: 'case:1', at: 't' }], inner: { x: 1, y: 2 } });
    expect(await c.countDocuments({ inner: { x: 1, y: 2 } })).toBe(1);
    expect(await c.countDocuments({ inner: { y: 2, x: 1 } })).toBe(0);
    expect(await c.countDocuments({ holds: [{ holder: 'case:1', at: 't' }] })).toBe(1);
    expect(await c.countDocuments({ holds: [{ at: 't', holder: 'case:1' }] })).toBe(0);
    expect(await c.countDocuments({ holds: { at: 't', holder: 'case:1' } })).toBe(0);
    expect(await c.countDocuments({ holds: { holder: 'case:1', at: 't' } })).toBe(1);
    expect((await c.replaceOne({ $and: [{ _id: 'a' }, { inner: { y: 2, x: 1 } }] }, { _id: 'a' })).matchedCount).toBe(0);
    expect((await c.updateOne({ inner: { y: 2, x: 1 } }, { $set: { z: 1 } })).matchedCount).toBe(0);
  });

  it('refuses to change _id in a replacement (ImmutableField)', async () => {
    const c = new MingoCollection();
    await c.insertOne({ _id: 'a', n: 1 });
    await expect(c.replaceOne({ _id: 'a' }, { _id: 'b', n: 2 })).rejects.toMatchObject({ code: 66 });
    expect(await c.findOne({ _id: 'a' })).toEqual({ _id: 'a', n: 1 });
  });

  it('stores no document over 16 MiB, inserted or replaced (BSONObjectTooLarge)', async () => {
    const c = new MingoCollection();
    const big = 'x'.repeat(16 * 1024 * 1024);
    await expect(c.insertOne({ _id: 'a', big })).rejects.toMatchObject({ code: 10334 });
    await c.insertOne({ _id: 'a', small: 'x' });
    await expect(c.replaceOne({ _id: 'a' }, { _id: 'a', big })).rejects.toMatchObject({ code: 10334 });
    expect(await c.findOne({ _id: 'a' })).toEqual({ _id: 'a', small: 'x' });
  });

  it('creates an index it has again without complaint, and refuses one that clashes by name or by key pattern (85, 86)', async () => {
    const c = new MingoCollection();
    const unique = { key: { a: 1 }, name: 'by_a', unique: true, partialFilterExpression: { a: { $exists: true } } };
    await c.createIndexes([unique]);
    await c.createIndexes([unique]);
    await expect(c.createIndexes([{ ...unique, partialFilterExpression: { a: { $type: 'string' } } }])).rejects.toMatchObject({ code: 85 });
    await expect(c.createIndexes([{ ...unique, unique: false }])).rejects.toMatchObject({ code: 85 });
    await expect(c.createIndexes([{ ...unique, name: 'other' }])).rejects.toMatchObject({ code: 85 });
    await expect(c.createIndexes([{ ...unique, key: { b: 1 } }])).rejects.toMatchObject({ code: 86 });
    await expect(c.createIndexes([{ key: { _id: 1 }, name: 'again' }])).rejects.toBeInstanceOf(MongoServerError);
    expect((await c.indexes()).map((i) => i.name)).toEqual(['_id_', 'by_a']);
    await c.dropIndex('by_a');
    await expect(c.dropIndex('by_a')).rejects.toMatchObject({ code: 27 });
    await c.createIndexes([{ ...unique, unique: false }]);
    await c.insertOne({ _id: 'x', a: 1 });
    await c.insertOne({ _id: 'y', a: 1 });
    await expect(c.createIndexes([{ key: { b: 1 }, name: 'one' }, { key: { b: 1 }, name: 'two' }])).rejects.toMatchObject({ code: 85 });
  });

  it('takes only the partial filters every server from 4.4 takes (CannotCreateIndex 67)', async () => {
    const c = new MingoCollection();
    await c.createIndexes([{ key: { a: 1 }, name: 'a', unique: true, partialFilterExpression: { a: { $type: ['string', 'number'] }, b: { $exists: true }, c: 'x', d: { $gt: 1 } } }]);
    for (const partialFilterExpression of [{ a: { $ne: null } }, { a: { $exists: false } }, { $or: [{ a: 1 }, { b: 1 }] }, { a: { $in: [1, 2] } }, { a: { $not: { $type: 'null' } } }]) {
      await expect(c.createIndexes([{ key: { z: 1 }, name: 'z', partialFilterExpression }])).rejects.toMatchObject({ code: 67 });
    }
  });
});

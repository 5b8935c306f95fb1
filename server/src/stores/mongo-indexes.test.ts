/**
 * ensureIndexes on the stand-in, which refuses a clashing index with the
 * server's codes (mongo-standin.test.ts): a definition changed between
 * versions is replaced, never left to stop the start.
 */
import type { IndexDescription } from 'mongodb';
import { AUDIT_INDEXES } from '../audit/audit.mongo';
import { CHANGE_INDEXES } from './catalog.mongo';
import { SPECIMEN_INDEXES } from './catalog.mongo-query';
import { JOB_INDEXES } from './jobs.mongo';
import { ensureIndexes } from './mongo-indexes';
import { mongoIndex } from './records.mongo';
import { MingoCollection } from './mongo-standin';

describe('the indexes the MongoDB adapters declare', () => {
  it.each([
    ['specimens', SPECIMEN_INDEXES],
    ['specimen_changes', CHANGE_INDEXES],
    ['jobs', JOB_INDEXES],
    ['audit', AUDIT_INDEXES],
    ['a record collection', [mongoIndex({ fields: ['issuingState', 'documentNumber'], unique: true }, 0), mongoIndex({ fields: ['documentNumber'] }, 1)]],
  ])('%s: a server takes them as one list (no name or key pattern twice, partial filters it knows)', async (_name, indexes) => {
    const c = new MingoCollection();
    await ensureIndexes(c, indexes);
    expect((await c.indexes()).length).toBe(indexes.length + 1);
  });
});

describe('ensureIndexes', () => {
  it('creates the declared indexes, again without change, and replaces those declared otherwise before', async () => {
    const c = new MingoCollection();
    await c.createIndexes([
      { key: { a: 1 }, name: 'by_a' },
      { key: { b: 1, _id: 1 }, name: 'old_name_for_b' },
      { key: { c: 1 }, name: 'no_longer_declared' },
    ]);
    const declared: IndexDescription[] = [
      { key: { a: 1 }, name: 'by_a', unique: true },
      { key: { b: 1, _id: 1 }, name: 'by_b' },
      { key: { d: -1 }, name: 'by_d', sparse: true },
    ];
    await expect(c.createIndexes(declared)).rejects.toMatchObject({ code: 85 });
    await ensureIndexes(c, declared);
    await ensureIndexes(c, declared);
    const have = await c.indexes();
    expect(have.map((i) => i.name).sort()).toEqual(['_id_', 'by_a', 'by_b', 'by_d', 'no_longer_declared']);
    expect(have.find((i) => i.name === 'by_a')).toMatchObject({ unique: true });
    await c.insertOne({ _id: 'x', a: 1 });
    await expect(c.insertOne({ _id: 'y', a: 1 })).rejects.toMatchObject({ code: 11000 });
  });

  it('passes on any other failure', async () => {
    const c = new MingoCollection();
    await c.insertOne({ _id: 'x', a: 1 });
    c.createIndexes = async () => {
      throw new Error('not primary');
    };
    await expect(ensureIndexes(c, [{ key: { a: 1 }, name: 'by_a' }])).rejects.toThrow('not primary');
  });
});

/**
 * The behaviour every RecordStore adapter must show. Each adapter's test file
 * runs it against a real backend (a SQLite file; MongoDB when MONGODB_URI is
 * set; the MongoDB adapter on a mingo stand-in collection always).
 *
 * Query answers are checked against `recordOracle`, a naive evaluation of the
 * port's documented semantics, over a seeded set of records with missing,
 * null, array, numeric and date fields.
 */
import { expectError } from './catalog.contract';
import type { RecordFilter, RecordSort, RecordStore, StoredRecord } from './records.port';

export interface Sample extends StoredRecord {
  kind?: string | null;
  n?: number;
  at?: string;
  tags?: string[];
  flag?: boolean;
  nested?: { state?: string; number?: string };
}

function sampleRecords(): Sample[] {
  let seed = 17;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const kinds = ['lost', 'stolen', 'revoked', null, undefined];
  const tags = ['a', 'b', 'c'];
  const out: Sample[] = [];
  for (let i = 0; i < 60; i++) {
    const r: Sample = { id: `r-${String(i).padStart(3, '0')}`, revision: 1 };
    const kind = kinds[Math.floor(next() * kinds.length)];
    if (kind !== undefined) r.kind = kind;
    if (next() < 0.8) r.n = Math.floor(next() * 10);
    if (next() < 0.8) r.at = new Date(Date.UTC(2025, 0, 1 + Math.floor(next() * 300))).toISOString();
    if (next() < 0.7) r.tags = tags.filter(() => next() < 0.5);
    if (next() < 0.6) r.flag = next() < 0.5;
    if (next() < 0.7) r.nested = { state: next() < 0.5 ? 'UTO' : 'D', number: `X${Math.floor(next() * 5)}` };
    out.push(r);
  }
  return out;
}

const get = (r: Record<string, unknown>, path: string): unknown =>
  path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), r);

/** The documented semantics, evaluated naively. */
export function recordOracle(records: Sample[], filter: RecordFilter = {}, sort: RecordSort[] = []): string[] {
  const scalar = (v: unknown) => v === undefined || v === null || typeof v !== 'object';
  const matches = (r: Sample) =>
    Object.entries(filter).every(([path, cond]) => {
      const v = get(r as unknown as Record<string, unknown>, path);
      if (cond === null || typeof cond !== 'object') return cond === null ? v === undefined || v === null : scalar(v) && v === cond;
      return Object.entries(cond).every(([op, x]) => {
        switch (op) {
          case '$in':
            return scalar(v) && (x as unknown[]).some((y) => (y === null ? v === undefined || v === null : y === v));
          case '$ne':
            return x === null ? !(v === undefined || v === null) : v !== x;
          case '$has':
            return Array.isArray(v) ? v.includes(x) : v === x;
          case '$exists':
            return x ? v !== undefined : v === undefined;
          default: {
            if (typeof v !== typeof x) return false;
            const a = v as string | number;
            const b = x as string | number;
            return op === '$gt' ? a > b : op === '$gte' ? a >= b : op === '$lt' ? a < b : a <= b;
          }
        }
      });
    });
  const rank = (v: unknown) => (v === undefined || v === null ? 0 : typeof v === 'number' ? 1 : 2);
  const compare = (x: Sample, y: Sample) => {
    for (const s of sort) {
      const a = get(x as unknown as Record<string, unknown>, s.field);
      const b = get(y as unknown as Record<string, unknown>, s.field);
      const c = rank(a) - rank(b) || (rank(a) === 0 ? 0 : a! < b! ? -1 : a! > b! ? 1 : 0);
      if (c !== 0) return c * s.direction;
    }
    return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
  };
  return records.filter(matches).sort(compare).map((r) => r.id);
}

export const ORACLE_QUERIES: Array<{ filter?: RecordFilter; sort?: RecordSort[] }> = [
  {},
  { filter: { kind: 'lost' } },
  { filter: { kind: null } },
  { filter: { kind: { $in: ['lost', 'stolen'] } }, sort: [{ field: 'n', direction: -1 }] },
  { filter: { kind: { $in: ['revoked', null] } } },
  { filter: { kind: { $ne: 'lost' } } },
  { filter: { kind: { $ne: null } }, sort: [{ field: 'kind', direction: 1 }] },
  { filter: { n: { $gte: 3, $lt: 7 } }, sort: [{ field: 'n', direction: 1 }] },
  { filter: { at: { $gt: '2025-06-01T00:00:00.000Z' } }, sort: [{ field: 'at', direction: -1 }] },
  { filter: { tags: { $has: 'b' } } },
  // Array fields: a range or $ne compares the field, not its elements (MongoDB alone would look inside the array).
  { filter: { tags: { $gt: 'a' } } },
  { filter: { tags: { $lte: 'b' } } },
  { filter: { tags: { $ne: 'a' } } },
  { filter: { tags: { $has: 'a' }, kind: 'stolen' } },
  { filter: { flag: true } },
  { filter: { flag: false } },
  { filter: { flag: { $exists: false } } },
  { filter: { 'nested.state': 'UTO', 'nested.number': 'X1' } },
  { filter: { 'nested.number': { $in: ['X0', 'X2'] } }, sort: [{ field: 'nested.number', direction: -1 }, { field: 'n', direction: 1 }] },
  { sort: [{ field: 'at', direction: 1 }] },
  { sort: [{ field: 'n', direction: -1 }] },
];

export function describeRecordContract(name: string, open: () => Promise<{ store: RecordStore; close(): Promise<void> }>): void {
  describe(`RecordStore contract: ${name}`, () => {
    let handle: { store: RecordStore; close(): Promise<void> };
    let seq = 0;
    const fresh = <T extends StoredRecord = Sample>(indexes?: { fields: string[]; unique?: boolean }[]) =>
      handle.store.collection<T>({ name: `t-${++seq}-${Date.now() % 100000}`, ...(indexes ? { indexes } : {}) });

    beforeAll(async () => {
      handle = await open();
    });
    afterAll(async () => {
      await handle.close();
    });

    it('inserts at revision 1, reads a copy, refuses a taken id', async () => {
      const c = fresh();
      const input: Sample = { id: 'a1', revision: 99, kind: 'lost', tags: ['x'] };
      const stored = await c.insert(input);
      expect(stored).toEqual({ ...input, revision: 1 });
      input.tags!.push('mutated');
      expect(await c.get('a1')).toEqual({ id: 'a1', revision: 1, kind: 'lost', tags: ['x'] });
      expect(await c.get('missing')).toBeNull();
      await expectError(c.insert({ id: 'a1', revision: 1 }), 'CONFLICT');
      await expectError(c.insert({ id: '../x', revision: 1 }), 'BAD_REQUEST');
    });

    it('inserts many all or none', async () => {
      const c = fresh<Sample>([{ fields: ['nested.number'], unique: true }]);
      await c.insert({ id: 'm0', revision: 1, nested: { number: 'N0' } });
      const batch = (ids: string[], numbers: string[]) => ids.map((id, i) => ({ id, revision: 7, nested: { number: numbers[i]! } }));
      const stored = await c.insertMany(batch(['m1', 'm2'], ['N1', 'N2']));
      expect(stored.map((r) => r.revision)).toEqual([1, 1]);
      // A taken unique value third in line: nothing of the batch stays.
      await expectError(c.insertMany(batch(['m3', 'm4', 'm5'], ['N3', 'N4', 'N0'])), 'CONFLICT', { index: 2 });
      // A repeated id inside the batch.
      await expectError(c.insertMany(batch(['m6', 'm6'], ['N6', 'N7'])), 'CONFLICT', { index: 1 });
      expect((await c.find()).map((r) => r.id)).toEqual(['m0', 'm1', 'm2']);
      expect(await c.insertMany([])).toEqual([]);
    });

    it('replaces at the expected revision only', async () => {
      const c = fresh();
      await c.insert({ id: 'b1', revision: 1, n: 1 });
      const next = await c.replace('b1', 1, { id: 'b1', revision: 1, n: 2 });
      expect(next).toEqual({ id: 'b1', revision: 2, n: 2 });
      await expectError(c.replace('b1', 1, { id: 'b1', revision: 1, n: 3 }), 'REVISION_CONFLICT', { currentRevision: 2 });
      await expectError(c.replace('nope', 1, { id: 'nope', revision: 1 }), 'NOT_FOUND');
      await expectError(c.replace('b1', 2, { id: 'other', revision: 2 }), 'BAD_REQUEST');
      expect(await c.get('b1')).toEqual({ id: 'b1', revision: 2, n: 2 });
    });

    it('deletes, with or without a revision check', async () => {
      const c = fresh();
      await c.insert({ id: 'd1', revision: 1 });
      await c.insert({ id: 'd2', revision: 1 });
      await expectError(c.delete('d1', 5), 'REVISION_CONFLICT');
      expect(await c.delete('d1', 1)).toBe(true);
      expect(await c.delete('d1')).toBe(false);
      expect(await c.delete('d2')).toBe(true);
      expect(await c.count()).toBe(0);
    });

    it('keeps collections apart', async () => {
      const a = fresh();
      const b = fresh();
      await a.insert({ id: 'same', revision: 1, kind: 'lost' });
      await b.insert({ id: 'same', revision: 1, kind: 'stolen' });
      expect((await a.get('same'))?.kind).toBe('lost');
      expect(await b.count({ kind: 'lost' })).toBe(0);
    });

    it('enforces unique indexes, exempting records without the fields', async () => {
      const c = fresh<Sample>([{ fields: ['nested.state', 'nested.number'], unique: true }, { fields: ['kind'] }]);
      await c.insert({ id: 'u1', revision: 1, nested: { state: 'UTO', number: 'A1' } });
      await c.insert({ id: 'u2', revision: 1, nested: { state: 'D', number: 'A1' } });
      await c.insert({ id: 'u3', revision: 1 });
      await c.insert({ id: 'u4', revision: 1 });
      await expectError(c.insert({ id: 'u5', revision: 1, nested: { state: 'UTO', number: 'A1' } }), 'CONFLICT');
      await expectError(c.replace('u2', 1, { id: 'u2', revision: 1, nested: { state: 'UTO', number: 'A1' } }), 'CONFLICT');
      expect(await c.get('u5')).toBeNull();
      expect((await c.get('u2'))?.nested?.state).toBe('D');
      // The same collection asked for again is the same collection (indexes created once).
      const again = handle.store.collection<Sample>({ name: c.name, indexes: [{ fields: ['nested.state', 'nested.number'], unique: true }] });
      expect(await again.count()).toBe(4);
    });

    it('refuses a collection asked for again with an index it was first asked for without (it would never be created)', async () => {
      const c = fresh<Sample>();
      expect(() => handle.store.collection<Sample>({ name: c.name, indexes: [{ fields: ['kind'] }] })).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
      const d = fresh<Sample>([{ fields: ['kind'] }]);
      expect(() => handle.store.collection<Sample>({ name: d.name, indexes: [{ fields: ['kind'], unique: true }] })).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
      expect(handle.store.collection<Sample>({ name: d.name })).toBe(d);
    });

    it('exempts records holding null in a unique field, as those missing it ({f: null} reads both)', async () => {
      const c = fresh<Sample>([{ fields: ['kind'], unique: true }]);
      await c.insert({ id: 'n1', revision: 1, kind: null });
      await c.insert({ id: 'n2', revision: 1, kind: null });
      await c.insert({ id: 'n3', revision: 1 });
      await c.insert({ id: 'n4', revision: 1, kind: 'lost' });
      await c.replace('n4', 1, { id: 'n4', revision: 1, kind: null });
      await c.insert({ id: 'n5', revision: 1, kind: 'lost' });
      await expectError(c.insert({ id: 'n6', revision: 1, kind: 'lost' }), 'CONFLICT');
      expect(await c.count({ kind: null })).toBe(4);
    });

    describe('queries agree with the documented semantics', () => {
      const records = sampleRecords();
      let c: ReturnType<typeof fresh>;
      beforeAll(async () => {
        c = fresh([{ fields: ['kind'] }, { fields: ['nested.state', 'nested.number'] }]);
        for (const r of records) await c.insert(r);
      });

      it.each(ORACLE_QUERIES.map((q, i) => [i, q] as const))('query %i', async (_i, q) => {
        const expected = recordOracle(records, q.filter, q.sort);
        const found = await c.find({ ...(q.filter ? { filter: q.filter } : {}), ...(q.sort ? { sort: q.sort } : {}) });
        expect(found.map((r) => r.id)).toEqual(expected);
        expect(await c.count(q.filter)).toBe(expected.length);
      });

      it('pages with limit and offset in sort order', async () => {
        const sort: RecordSort[] = [{ field: 'at', direction: -1 }];
        const expected = recordOracle(records, {}, sort);
        const pages: string[] = [];
        for (let offset = 0; offset < records.length; offset += 7) {
          pages.push(...(await c.find({ sort, limit: 7, offset })).map((r) => r.id));
        }
        expect(pages).toEqual(expected);
        expect((await c.findOne({ kind: 'lost' }, sort))?.id).toBe(recordOracle(records, { kind: 'lost' }, sort)[0]);
      });

      it('refuses malformed queries', async () => {
        await expectError(c.find({ filter: { "x') OR 1=1 --": 1 } }), 'BAD_REQUEST');
        await expectError(c.find({ filter: { kind: { $regex: 'x' } as never } }), 'BAD_REQUEST');
        await expectError(c.find({ filter: { kind: { $in: 'lost' } as never } }), 'BAD_REQUEST');
        await expectError(c.find({ filter: { n: { $gt: true } as never } }), 'BAD_REQUEST');
        await expectError(c.find({ limit: 0 }), 'BAD_REQUEST');
        await expectError(c.find({ sort: [{ field: 'n', direction: 2 as never }] }), 'BAD_REQUEST');
      });
    });

    it('deletes many by filter', async () => {
      const c = fresh();
      for (let i = 0; i < 5; i++) await c.insert({ id: `m${i}`, revision: 1, at: `2025-01-0${i + 1}T00:00:00.000Z` });
      expect(await c.deleteMany({ at: { $lt: '2025-01-03T00:00:00.000Z' } })).toBe(2);
      expect((await c.find()).map((r) => r.id)).toEqual(['m2', 'm3', 'm4']);
    });
  });
}

/**
 * RecordStore on MongoDB: one collection per record collection, the record
 * id as `_id`. Filters are the port's MongoDB subset, translated by
 * `mongoFilter` (pure, checked against the SQLite adapter with mingo in
 * records.test.ts); unique indexes are partial so that records missing a
 * field, or holding null there, are exempt, as in SQLite.
 */
import { randomUUID } from 'node:crypto';
import { MongoBulkWriteError, MongoServerError, type Collection, type Db, type Document, type Filter, type IndexDescription } from 'mongodb';
import { ExemplarError } from '../errors';
import { ensureIndexes } from './mongo-indexes';
import {
  checkCollectionSpec,
  checkRecordId,
  checkSameIndexes,
  duplicateRecord,
  jsonCopy,
  normaliseFilter,
  normaliseFind,
  recordNotFound,
  revisionConflict,
  type CollectionSpec,
  type IndexSpec,
  type RecordCollection,
  type RecordFilter,
  type RecordFind,
  type RecordSort,
  type RecordStore,
  type StoredRecord,
} from './records.port';

export type RecordDocument = Document & { _id: string; id: string; revision: number };

/** The port's filter as a MongoDB filter (validated the same way as for SQLite). */
export function mongoFilter(filter: RecordFilter | undefined): Document {
  const and: Document[] = [];
  for (const [path, op, operand] of normaliseFilter(filter)) {
    switch (op) {
      case '$eq':
        // A plain equality on an array field would match its elements; $has says that explicitly, $eq must not.
        and.push(operand === null ? { [path]: null } : { [path]: { $eq: operand, $not: { $type: 'array' } } });
        break;
      case '$has':
        and.push({ [path]: operand });
        break;
      case '$in':
        and.push({ [path]: { $in: operand, $not: { $type: 'array' } } });
        break;
      case '$ne':
        // On an array MongoDB's $ne tests the elements (an array holding the value is excluded); the port compares the field, and an array is no scalar.
        and.push(operand === null ? { [path]: { $ne: null } } : { $or: [{ [path]: { $ne: operand } }, { [path]: { $type: 'array' } }] });
        break;
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        // On an array MongoDB's range operators match any element; the port compares scalars only (SQLite: json_type).
        and.push({ [path]: { [op]: operand, $not: { $type: 'array' } } });
        break;
      default:
        and.push({ [path]: { [op]: operand } });
    }
  }
  return and.length === 0 ? {} : and.length === 1 ? and[0]! : { $and: and };
}

export function mongoSort(sort: readonly RecordSort[]): Document {
  const out: Document = {};
  for (const s of sort) out[s.field] = s.direction;
  out._id = 1;
  return out;
}

/**
 * Every type a JSON record's field can hold but null. A unique index covers
 * only records whose fields all have one of them: a field that is missing or
 * null exempts the record, as in SQLite (whose partial index asks IS NOT NULL)
 * and as the port's `{f: null}` reads both. `$exists: true` would not do:
 * it holds for a null field, so two records with a null value would clash.
 * (A partial filter takes `$type`, not `$ne`, on every server from 4.4.)
 */
const NON_NULL_TYPES = ['string', 'number', 'bool', 'object', 'array'];

export function mongoIndex(index: IndexSpec, i: number): IndexDescription & { key: Document; name: string } {
  const key: Document = {};
  for (const f of index.fields) key[f] = 1;
  if (!index.unique) return { key, name: `records_${i}` };
  const partialFilterExpression: Document = {};
  for (const f of index.fields) partialFilterExpression[f] = { $type: NON_NULL_TYPES };
  return { key, name: `records_${i}`, unique: true, partialFilterExpression };
}

const fromDocument = <T>(doc: RecordDocument | null): T | null => {
  if (!doc) return null;
  const { _id: _ignored, _insertedBy: _mark, ...rest } = doc;
  return rest as unknown as T;
};

const isDuplicateKey = (err: unknown) =>
  (err instanceof MongoServerError && err.code === 11000) ||
  (err instanceof MongoBulkWriteError && err.writeErrors !== undefined && [err.writeErrors].flat().some((e) => e.code === 11000));

/** The index of the record an ordered insertMany stopped at. */
function failedIndex(err: unknown, count: number): number {
  if (err instanceof MongoBulkWriteError) {
    const first = [err.writeErrors].flat()[0];
    if (first) return first.index;
    return Math.min(err.insertedCount, count - 1);
  }
  const index = (err as { index?: unknown }).index;
  return typeof index === 'number' ? index : 0;
}

export class MongoRecordCollection<T extends StoredRecord> implements RecordCollection<T> {
  readonly name: string;
  private readonly indexes: IndexDescription[];
  private ensuring: Promise<void> | null = null;

  constructor(
    private readonly coll: Collection<RecordDocument>,
    spec: CollectionSpec,
  ) {
    this.name = spec.name;
    this.indexes = (spec.indexes ?? []).map(mongoIndex);
    // Started at once; a failure is reported on first use, not as an unhandled rejection meanwhile.
    this.ready().catch(() => undefined);
  }

  /**
   * The indexes, ensured once. A failed attempt is not kept: a primary
   * stepping down or a dropped connection while the process starts would
   * otherwise fail every later use of the collection until a restart.
   */
  private ready(): Promise<void> {
    if (!this.ensuring) {
      const attempt = ensureIndexes(this.coll, this.indexes);
      this.ensuring = attempt;
      attempt.catch(() => {
        if (this.ensuring === attempt) this.ensuring = null;
      });
    }
    return this.ensuring;
  }

  async insert(record: T): Promise<T> {
    checkRecordId(record.id);
    await this.ready();
    const stored = { ...jsonCopy(record), revision: 1 } as T;
    try {
      await this.coll.insertOne({ ...(stored as unknown as Document), _id: record.id } as RecordDocument);
    } catch (err) {
      if (isDuplicateKey(err)) throw duplicateRecord(this.name, record.id);
      throw err;
    }
    return stored;
  }

  /**
   * All or nothing. Each document carries this call's mark (`_insertedBy`),
   * so that after any failure (a duplicate key, a write concern timeout, a
   * dropped connection, with an unknown part of the batch stored) exactly
   * the documents this call stored are taken back out, and none that another
   * writer stored under the same id or changed since.
   */
  async insertMany(records: readonly T[]): Promise<T[]> {
    records.forEach((r) => checkRecordId(r.id));
    await this.ready();
    const stored = records.map((r) => ({ ...jsonCopy(r), revision: 1 }) as T);
    if (stored.length === 0) return [];
    const mark = randomUUID();
    try {
      await this.coll.insertMany(
        stored.map((r) => ({ ...(r as unknown as RecordDocument), _id: r.id, _insertedBy: mark })),
        { ordered: true },
      );
    } catch (err) {
      await this.coll.deleteMany({ _id: { $in: stored.map((r) => r.id) }, _insertedBy: mark });
      if (!isDuplicateKey(err)) throw err;
      const failed = failedIndex(err, stored.length);
      throw duplicateRecord(this.name, stored[failed]?.id ?? '', failed);
    }
    return stored;
  }

  async get(id: string): Promise<T | null> {
    checkRecordId(id);
    await this.ready();
    return fromDocument<T>(await this.coll.findOne({ _id: id }));
  }

  async replace(id: string, expectedRevision: number, next: T): Promise<T> {
    checkRecordId(id);
    if (next.id !== id) throw new ExemplarError('BAD_REQUEST', 'a record id cannot change');
    await this.ready();
    const stored = { ...jsonCopy(next), revision: expectedRevision + 1 } as T;
    let matched: number;
    try {
      const result = await this.coll.replaceOne({ _id: id, revision: expectedRevision }, { ...(stored as unknown as Document), _id: id } as RecordDocument);
      matched = result.matchedCount;
    } catch (err) {
      if (isDuplicateKey(err)) throw duplicateRecord(this.name, id);
      throw err;
    }
    if (matched === 0) {
      const current = await this.coll.findOne({ _id: id }, { projection: { revision: 1 } });
      if (!current) throw recordNotFound(this.name, id);
      throw revisionConflict(this.name, id, expectedRevision, current.revision);
    }
    return stored;
  }

  async delete(id: string, expectedRevision?: number): Promise<boolean> {
    checkRecordId(id);
    await this.ready();
    const filter: Filter<RecordDocument> = expectedRevision === undefined ? { _id: id } : { _id: id, revision: expectedRevision };
    const { deletedCount } = await this.coll.deleteOne(filter);
    if (deletedCount === 1) return true;
    if (expectedRevision === undefined) return false;
    const current = await this.coll.findOne({ _id: id }, { projection: { revision: 1 } });
    if (!current) return false;
    throw revisionConflict(this.name, id, expectedRevision, current.revision);
  }

  async find(query: RecordFind = {}): Promise<T[]> {
    const { sort, limit, offset } = normaliseFind(query);
    await this.ready();
    const docs = await this.coll
      .find(mongoFilter(query.filter) as Filter<RecordDocument>, { sort: mongoSort(sort) })
      .skip(offset)
      .limit(limit)
      .toArray();
    return docs.map((d) => fromDocument<T>(d)!);
  }

  async findOne(filter: RecordFilter, sort: readonly RecordSort[] = []): Promise<T | null> {
    const [first] = await this.find({ filter, sort, limit: 1 });
    return first ?? null;
  }

  async count(filter?: RecordFilter): Promise<number> {
    await this.ready();
    return this.coll.countDocuments(mongoFilter(filter) as Filter<RecordDocument>);
  }

  async deleteMany(filter: RecordFilter): Promise<number> {
    await this.ready();
    const { deletedCount } = await this.coll.deleteMany(mongoFilter(filter) as Filter<RecordDocument>);
    return deletedCount;
  }
}

export class MongoRecordStore implements RecordStore {
  private readonly collections = new Map<string, { spec: CollectionSpec; collection: MongoRecordCollection<StoredRecord> }>();

  constructor(private readonly db: Pick<Db, 'collection'>) {}

  collection<T extends StoredRecord>(spec: CollectionSpec): RecordCollection<T> {
    const known = this.collections.get(spec.name);
    if (known) {
      checkSameIndexes(known.spec, spec);
      return known.collection as unknown as RecordCollection<T>;
    }
    checkCollectionSpec(spec);
    const collection = new MongoRecordCollection<T>(this.db.collection<RecordDocument>(`records.${spec.name}`), spec);
    this.collections.set(spec.name, { spec, collection: collection as unknown as MongoRecordCollection<StoredRecord> });
    return collection;
  }
}

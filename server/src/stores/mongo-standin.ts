/**
 * A stand-in for a MongoDB collection, said plainly: MongoDB cannot run on
 * this machine, so `MingoCollection` implements the few collection methods the
 * adapters call by evaluating their filters, updates and pipelines with
 * `mingo`, and enforces the unique indexes it is given (partial filters
 * included). It checks the adapters' logic (revision checks, state machines,
 * cursors, query translation) but not a server's behaviour under concurrency
 * or its index use; the adapters' tests run against a real server when
 * MONGODB_URI is set. Test support only.
 */
import { aggregate, find, updateMany, updateOne } from 'mingo';
import { BSON, MongoBulkWriteError, MongoNetworkError, MongoServerError, MongoWriteConcernError, type Document } from 'mongodb';

type Doc = Document & { _id: string };
type Criteria = Parameters<typeof find>[1];
type Modifier = Parameters<typeof updateOne>[2];

/**
 * A copy, as a round trip to the server makes one: through BSON, with the
 * adapter's client options (`ignoreUndefined`), so that whatever BSON cannot
 * hold comes back as the server would give it (a lone UTF-16 surrogate as
 * U+FFFD, for one).
 */
function stored<T>(value: T): T {
  return BSON.deserialize(BSON.serialize(value as Document, { ignoreUndefined: true })) as T;
}

interface IndexSpec {
  key: Document;
  name?: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Document;
}

/** The server stores no document over 16 MiB. */
const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
function checkDocumentSize(doc: Document): void {
  const bytes = BSON.calculateObjectSize(doc, { ignoreUndefined: true });
  if (bytes > MAX_BSON_OBJECT_SIZE) throw new MongoServerError({ message: `document of ${bytes} bytes is larger than 16777216`, code: 10334, codeName: 'BSONObjectTooLarge' });
}

const duplicateKey = (what: string) => new MongoServerError({ message: `E11000 duplicate key error: ${what}`, code: 11000 });

/** The server's name for an index given none: `field_direction` joined by `_`. */
const defaultIndexName = (key: Document) => Object.entries(key).map(([f, d]) => `${f}_${String(d)}`).join('_');
/** Key patterns and options compare as the server stores them: in order. */
const sameKey = (a: Document, b: Document) => JSON.stringify(Object.entries(a)) === JSON.stringify(Object.entries(b));
const sameOptions = (a: IndexSpec, b: IndexSpec) =>
  Boolean(a.unique) === Boolean(b.unique) && Boolean(a.sparse) === Boolean(b.sparse) && JSON.stringify(a.partialFilterExpression ?? null) === JSON.stringify(b.partialFilterExpression ?? null);
/**
 * What a partial index filter may hold on every server from 4.4 (MongoDB
 * manual, Partial Indexes): equalities, `$exists: true`, `$gt`/`$gte`/`$lt`/
 * `$lte`, `$type`, and `$and` at the top. (`$or` and `$in` came with 6.0;
 * `$ne`, `$not`, `$exists: false`, `$regex` are refused: CannotCreateIndex 67.)
 */
function checkPartialFilter(filter: Document, top = true): void {
  const refuse = (what: string) => {
    throw new MongoServerError({ message: `unsupported expression in partial index: ${what}`, code: 67, codeName: 'CannotCreateIndex' });
  };
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and') {
      if (!top || !Array.isArray(value)) refuse('$and below the top level');
      for (const part of value as Document[]) checkPartialFilter(part, false);
      continue;
    }
    if (key.startsWith('$')) refuse(key);
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.keys(value as Document).some((k) => k.startsWith('$'))) continue;
    for (const [op, operand] of Object.entries(value as Document)) {
      if (op === '$exists' ? operand !== true : !['$eq', '$gt', '$gte', '$lt', '$lte', '$type'].includes(op)) refuse(`${key} ${op}`);
    }
  }
}

/** As the server refuses an index that clashes with one it has (IndexOptionsConflict 85, IndexKeySpecsConflict 86). */
const indexConflict = (code: 85 | 86, message: string) => new MongoServerError({ message, code, codeName: code === 85 ? 'IndexOptionsConflict' : 'IndexKeySpecsConflict' });

const isPlainObject = (v: unknown): v is Document => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);

/**
 * The equalities of a filter on an embedded document or an array of them (at
 * its top level and under `$and`): the server compares those field by field,
 * in order, so `{a: {y: 2, x: 1}}` does not match `{a: {x: 1, y: 2}}`, where
 * mingo ignores the order.
 */
function orderedEqualities(filter: Document): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(value)) for (const part of value) out.push(...orderedEqualities(part as Document));
    if (key.startsWith('$')) continue;
    if ((isPlainObject(value) && !Object.keys(value).some((k) => k.startsWith('$'))) || (Array.isArray(value) && value.some(isPlainObject))) out.push([key, value]);
  }
  return out;
}

/** Whether `doc` holds `value` at `path` in the same order (or, as the server also matches, as one element of an array there). */
function equalInOrder(doc: Doc, [path, value]: [string, unknown]): boolean {
  let at: unknown = doc;
  for (const step of path.split('.')) {
    // A path through an array: the server looks in every element; not checked here.
    if (Array.isArray(at)) return true;
    at = isPlainObject(at) ? at[step] : undefined;
  }
  const same = (x: unknown) => JSON.stringify(x) === JSON.stringify(value);
  return same(at) || (Array.isArray(at) && at.some(same));
}

/**
 * What the server answers when the write concern is not satisfied within
 * `wtimeout` (a majority unreachable): the write was applied on the primary,
 * but not acknowledged by enough nodes. Code 64 (WriteConcernFailed, named
 * WriteConcernTimeout from 8.1) with `errInfo.wtimeout`, as the driver
 * raises it for a single write.
 */
export function writeConcernTimeout(): MongoWriteConcernError {
  return new MongoWriteConcernError({
    ok: 1,
    n: 1,
    writeConcernError: { code: 64, codeName: 'WriteConcernFailed', errmsg: 'waiting for replication timed out', errInfo: { wtimeout: true } },
  } as never);
}

/** A connection dropped before the server answered (nothing is known of the write). */
const networkError = () => new MongoNetworkError('connection 1 to 127.0.0.1:27017 closed');

/** A planned failure of the collection's next writes (see `failWrites`). */
interface PlannedFailure {
  /** Writes (or, in an insertMany, documents) still applied before the failure. */
  after: number;
  /** A write concern timeout (the write applied, then the error) or a dropped connection (nothing applied). */
  kind: 'write-concern-timeout' | 'network';
}

export class MingoCollection {
  private docs: Doc[] = [];
  private planned: PlannedFailure | null = null;

  /**
   * Test support: the write after `after` more writes (an insertMany counts
   * each of its documents) fails, once. `write-concern-timeout` applies the
   * write, then throws what the driver throws when a majority did not answer
   * within `wtimeout` (MongoWriteConcernError code 64; for insertMany the
   * driver's MongoBulkWriteError code 64, the batch's documents before it
   * stored); `network` applies nothing and throws a dropped connection.
   */
  failWrites(plan: PlannedFailure | null): void {
    this.planned = plan && { ...plan };
  }

  /** Whether the write now starting fails (counting it down otherwise), and how. */
  private failing(): PlannedFailure['kind'] | null {
    if (!this.planned) return null;
    if (this.planned.after > 0) {
      this.planned.after--;
      return null;
    }
    const { kind } = this.planned;
    this.planned = null;
    return kind;
  }

  /** Runs a write as the planned failure says: applied, then the write concern error; or not at all. */
  private async write<T>(apply: () => Promise<T> | T): Promise<T> {
    const kind = this.failing();
    if (kind === 'network') throw networkError();
    const result = await apply();
    if (kind === 'write-concern-timeout') throw writeConcernTimeout();
    return result;
  }

  /** The documents a filter may match once embedded documents are compared in order as the server does; mingo then applies the filter itself. */
  private pool(filter: Criteria): Doc[] {
    const checks = orderedEqualities(filter as Document);
    return checks.length === 0 ? this.docs : this.docs.filter((d) => checks.every((c) => equalInOrder(d, c)));
  }
  private indexSpecs: (IndexSpec & { name: string })[] = [];

  /**
   * Idempotent for an index it has, as the server is; an index that clashes
   * with one it has by name or by key pattern, or whose partial filter the
   * server does not take, is refused with the server's codes, and nothing of
   * the call is created (the server checks them all first).
   */
  async createIndexes(specs: IndexSpec[]): Promise<string[]> {
    const named = specs.map((spec) => ({ ...spec, name: spec.name ?? defaultIndexName(spec.key) }));
    for (const spec of named) if (spec.partialFilterExpression) checkPartialFilter(spec.partialFilterExpression);
    for (const [i, spec] of named.entries()) {
      // Against the indexes it has, and those named before it in the same call.
      for (const have of [{ name: '_id_', key: { _id: 1 } }, ...this.indexSpecs, ...named.slice(0, i)]) {
        if (have.name === spec.name && !sameKey(have.key, spec.key)) throw indexConflict(86, `An existing index has the same name as the requested index but a different key: ${spec.name}`);
        if (have.name === spec.name && !sameOptions(have, spec)) throw indexConflict(85, `An existing index has the same name as the requested index but different options: ${spec.name}`);
        if (have.name !== spec.name && sameKey(have.key, spec.key)) throw indexConflict(85, `Index already exists with a different name: ${have.name}`);
      }
    }
    for (const spec of named) if (!this.indexSpecs.some((have) => have.name === spec.name)) this.indexSpecs.push(stored(spec));
    return named.map((s) => s.name);
  }

  /** `listIndexes`, `_id_` first, as the server lists them. */
  async indexes(): Promise<Document[]> {
    return [{ v: 2, key: { _id: 1 }, name: '_id_' }, ...this.indexSpecs.map((spec) => ({ v: 2, ...stored(spec) }))];
  }

  async dropIndex(name: string): Promise<Document> {
    if (!this.indexSpecs.some((spec) => spec.name === name)) throw new MongoServerError({ message: `index not found with name [${name}]`, code: 27, codeName: 'IndexNotFound' });
    this.indexSpecs = this.indexSpecs.filter((spec) => spec.name !== name);
    return { ok: 1 };
  }

  /** Throws a duplicate-key error when `doc` would break a unique index (ignoring the document it replaces). */
  private checkUnique(doc: Doc, replacing?: string): void {
    for (const index of this.indexSpecs.filter((i) => i.unique)) {
      const inIndex = (d: Doc) => !index.partialFilterExpression || find([d], index.partialFilterExpression as Criteria).all().length === 1;
      if (!inIndex(doc)) continue;
      const fields = Object.keys(index.key);
      const value = (d: Doc) => JSON.stringify(fields.map((f) => f.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], d) ?? null));
      const mine = value(doc);
      if (this.docs.some((d) => d._id !== replacing && d._id !== doc._id && inIndex(d) && value(d) === mine)) throw duplicateKey(`${index.name} ${mine}`);
    }
  }

  async insertOne(doc: Doc): Promise<{ acknowledged: true; insertedId: string }> {
    return this.write(() => this.insertOneNow(doc));
  }

  private insertOneNow(doc: Doc): { acknowledged: true; insertedId: string } {
    checkDocumentSize(doc);
    if (this.docs.some((d) => d._id === doc._id)) throw duplicateKey(doc._id);
    this.checkUnique(doc);
    this.docs.push(stored(doc));
    return { acknowledged: true, insertedId: doc._id };
  }

  /**
   * Ordered: stops at the first duplicate, keeping what came before, and
   * throws what the driver throws (insertMany is a bulk write): a
   * MongoBulkWriteError whose `writeErrors` carry the code and the index of
   * the refused document (the driver's WriteError has getters of those names).
   */
  async insertMany(docs: Doc[], _options: { ordered?: boolean } = {}): Promise<{ acknowledged: true; insertedCount: number }> {
    for (const [index, doc] of docs.entries()) {
      const kind = this.failing();
      if (kind === 'network') throw new MongoBulkWriteError(networkError(), { insertedCount: index } as never);
      // The driver sends the batch and hears of the write concern failure once the server applied it.
      if (kind === 'write-concern-timeout') {
        for (const rest of docs.slice(index)) this.insertOneNow(rest);
        throw new MongoBulkWriteError({ message: 'waiting for replication timed out', code: 64 } as never, { insertedCount: docs.length } as never);
      }
      try {
        this.insertOneNow(doc);
      } catch (err) {
        if (!(err instanceof MongoServerError) || err.code !== 11000) throw err;
        const writeError = { code: 11000, index, errmsg: err.message };
        throw new MongoBulkWriteError({ message: err.message, code: 11000, writeErrors: [writeError] } as never, { insertedCount: index } as never);
      }
    }
    return { acknowledged: true, insertedCount: docs.length };
  }

  async findOne(filter: Criteria, options: { projection?: Document } = {}): Promise<Doc | null> {
    const hit = find(this.pool(filter), filter, options.projection).next() as Doc | undefined;
    return hit ? stored(hit) : null;
  }

  async replaceOne(filter: Criteria, replacement: Doc): Promise<{ matchedCount: number; modifiedCount: number }> {
    return this.write(() => {
      const hit = find(this.pool(filter), filter).next() as Doc | undefined;
      if (!hit) return { matchedCount: 0, modifiedCount: 0 };
      if ('_id' in replacement && replacement._id !== hit._id) {
        throw new MongoServerError({ message: "After applying the update, the (immutable) field '_id' was found to have been altered", code: 66, codeName: 'ImmutableField' });
      }
      checkDocumentSize(replacement);
      this.checkUnique(replacement, hit._id);
      this.docs[this.docs.findIndex((d) => d._id === hit._id)] = stored(replacement);
      return { matchedCount: 1, modifiedCount: 1 };
    });
  }

  async deleteOne(filter: Criteria): Promise<{ deletedCount: number }> {
    return this.write(() => {
      const hit = find(this.pool(filter), filter).next() as Doc | undefined;
      if (!hit) return { deletedCount: 0 };
      this.docs = this.docs.filter((d) => d._id !== hit._id);
      return { deletedCount: 1 };
    });
  }

  async deleteMany(filter: Criteria): Promise<{ deletedCount: number }> {
    return this.write(() => {
      const hits = new Set((find(this.pool(filter), filter).all() as Doc[]).map((d) => d._id));
      this.docs = this.docs.filter((d) => !hits.has(d._id));
      return { deletedCount: hits.size };
    });
  }

  async countDocuments(filter: Criteria): Promise<number> {
    return find(this.pool(filter), filter).all().length;
  }

  aggregate(pipeline: Document[]) {
    const run = () => aggregate(this.docs, pipeline).map((d) => stored(d));
    return {
      toArray: async () => run(),
      async *[Symbol.asyncIterator]() {
        yield* run();
      },
    };
  }

  find(filter: Criteria, options: { projection?: Document; sort?: Document } = {}) {
    let sort = options.sort;
    let limit: number | undefined;
    let skip = 0;
    const run = () => {
      let cursor = find(this.pool(filter), filter, options.projection);
      if (sort) cursor = cursor.sort(sort as Parameters<typeof cursor.sort>[0]);
      if (skip) cursor = cursor.skip(skip);
      if (limit !== undefined) cursor = cursor.limit(limit);
      return cursor.all().map((d) => stored(d));
    };
    const chain = {
      sort(s: Document) {
        sort = s;
        return chain;
      },
      limit(n: number) {
        limit = n;
        return chain;
      },
      skip(n: number) {
        skip = n;
        return chain;
      },
      toArray: async () => run(),
      async *[Symbol.asyncIterator]() {
        yield* run();
      },
    };
    return chain;
  }

  async updateOne(filter: Criteria, update: Modifier): Promise<{ matchedCount: number; modifiedCount: number }> {
    return this.write(() => {
      return updateOne(this.pool(filter), filter, update);
    });
  }

  async updateMany(filter: Criteria, update: Modifier): Promise<{ matchedCount: number; modifiedCount: number }> {
    return this.write(() => {
      return updateMany(this.pool(filter), filter, update);
    });
  }

  /**
   * As the driver answers since v6: the document itself (not `{value}`,
   * unless `includeResultMetadata`), as it was before the update unless
   * `returnDocument: 'after'`.
   */
  async findOneAndUpdate(
    filter: Criteria,
    update: Modifier,
    options: { sort?: Document; returnDocument?: 'before' | 'after'; includeResultMetadata?: boolean } = {},
  ): Promise<Doc | null | { ok: 1; value: Doc | null }> {
    return this.write(() => {
      let cursor = find(this.pool(filter), filter);
      if (options.sort) cursor = cursor.sort(options.sort as Parameters<typeof cursor.sort>[0]);
      const hit = cursor.limit(1).next() as Doc | undefined;
      let value: Doc | null = null;
      if (hit) {
        const before = stored(hit);
        updateOne(this.docs, { _id: hit._id }, update);
        value = options.returnDocument === 'after' ? stored(this.docs.find((d) => d._id === hit._id)!) : before;
      }
      return options.includeResultMetadata ? { ok: 1 as const, value } : value;
    });
  }
}

/** A stand-in database: one `MingoCollection` per name. */
export class MingoDb {
  private readonly collections = new Map<string, MingoCollection>();

  collection(name: string): MingoCollection {
    let c = this.collections.get(name);
    if (!c) this.collections.set(name, (c = new MingoCollection()));
    return c;
  }
}

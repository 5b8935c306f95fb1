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
import { MongoServerError, type Document } from 'mongodb';

type Doc = Document & { _id: string };
type Criteria = Parameters<typeof find>[1];
type Modifier = Parameters<typeof updateOne>[2];

/** A copy, as a round trip to the server makes one; undefined fields dropped, as the adapter's client does (`ignoreUndefined`). */
function stored<T>(value: T): T {
  const copy = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(copy);
    if (v instanceof Date) return new Date(v.getTime());
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).flatMap(([k, x]) => (x === undefined ? [] : [[k, copy(x)]])));
    }
    return v;
  };
  return copy(value) as T;
}

interface IndexSpec {
  key: Document;
  name?: string;
  unique?: boolean;
  partialFilterExpression?: Document;
}

const duplicateKey = (what: string) => new MongoServerError({ message: `E11000 duplicate key error: ${what}`, code: 11000 });

export class MingoCollection {
  private docs: Doc[] = [];
  private unique: IndexSpec[] = [];

  async createIndexes(specs: IndexSpec[]): Promise<string[]> {
    for (const spec of specs) if (spec.unique && !this.unique.some((u) => u.name === spec.name)) this.unique.push(spec);
    return specs.map((s) => s.name ?? '');
  }

  /** Throws a duplicate-key error when `doc` would break a unique index (ignoring the document it replaces). */
  private checkUnique(doc: Doc, replacing?: string): void {
    for (const index of this.unique) {
      const inIndex = (d: Doc) => !index.partialFilterExpression || find([d], index.partialFilterExpression as Criteria).all().length === 1;
      if (!inIndex(doc)) continue;
      const fields = Object.keys(index.key);
      const value = (d: Doc) => JSON.stringify(fields.map((f) => f.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], d) ?? null));
      const mine = value(doc);
      if (this.docs.some((d) => d._id !== replacing && d._id !== doc._id && inIndex(d) && value(d) === mine)) throw duplicateKey(`${index.name ?? fields.join(',')} ${mine}`);
    }
  }

  async insertOne(doc: Doc): Promise<{ acknowledged: true; insertedId: string }> {
    if (this.docs.some((d) => d._id === doc._id)) throw duplicateKey(doc._id);
    this.checkUnique(doc);
    this.docs.push(stored(doc));
    return { acknowledged: true, insertedId: doc._id };
  }

  /** Ordered: stops at the first duplicate, keeping what came before, and reports its index as the server does. */
  async insertMany(docs: Doc[], _options: { ordered?: boolean } = {}): Promise<{ acknowledged: true; insertedCount: number }> {
    for (const [index, doc] of docs.entries()) {
      try {
        await this.insertOne(doc);
      } catch (err) {
        (err as { index?: number }).index = index;
        throw err;
      }
    }
    return { acknowledged: true, insertedCount: docs.length };
  }

  async findOne(filter: Criteria, options: { projection?: Document } = {}): Promise<Doc | null> {
    const hit = find(this.docs, filter, options.projection).next() as Doc | undefined;
    return hit ? stored(hit) : null;
  }

  async replaceOne(filter: Criteria, replacement: Doc): Promise<{ matchedCount: number; modifiedCount: number }> {
    const hit = find(this.docs, filter).next() as Doc | undefined;
    if (!hit) return { matchedCount: 0, modifiedCount: 0 };
    this.checkUnique(replacement, hit._id);
    this.docs[this.docs.findIndex((d) => d._id === hit._id)] = stored(replacement);
    return { matchedCount: 1, modifiedCount: 1 };
  }

  async deleteOne(filter: Criteria): Promise<{ deletedCount: number }> {
    const hit = find(this.docs, filter).next() as Doc | undefined;
    if (!hit) return { deletedCount: 0 };
    this.docs = this.docs.filter((d) => d._id !== hit._id);
    return { deletedCount: 1 };
  }

  async deleteMany(filter: Criteria): Promise<{ deletedCount: number }> {
    const hits = new Set((find(this.docs, filter).all() as Doc[]).map((d) => d._id));
    this.docs = this.docs.filter((d) => !hits.has(d._id));
    return { deletedCount: hits.size };
  }

  async countDocuments(filter: Criteria): Promise<number> {
    return find(this.docs, filter).all().length;
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
      let cursor = find(this.docs, filter, options.projection);
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
    return updateOne(this.docs, filter, update);
  }

  async updateMany(filter: Criteria, update: Modifier): Promise<{ matchedCount: number; modifiedCount: number }> {
    return updateMany(this.docs, filter, update);
  }

  async findOneAndUpdate(filter: Criteria, update: Modifier, options: { sort?: Document } = {}): Promise<Doc | null> {
    let cursor = find(this.docs, filter);
    if (options.sort) cursor = cursor.sort(options.sort as Parameters<typeof cursor.sort>[0]);
    const hit = cursor.limit(1).next() as Doc | undefined;
    if (!hit) return null;
    updateOne(this.docs, { _id: hit._id }, update);
    return stored(this.docs.find((d) => d._id === hit._id)!);
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

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
import { aggregate, find, updateMany, updateOne } from 'mingo';
import { MongoServerError, type Collection, type Document } from 'mongodb';
import { describeCatalogContract } from './catalog.contract';
import { MongoSpecimenRepository } from './catalog.mongo';
import type { SpecimenDocument } from './catalog.mongo-query';
import type { CatalogStore } from './catalog.port';
import { MongoJobRepository, type JobDocument } from './jobs.mongo';

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

class MingoCollection {
  private docs: Doc[] = [];

  async createIndexes(specs: { name?: string }[]): Promise<string[]> {
    return specs.map((s) => s.name ?? '');
  }

  async insertOne(doc: Doc): Promise<{ acknowledged: true; insertedId: string }> {
    if (this.docs.some((d) => d._id === doc._id)) throw new MongoServerError({ message: `E11000 duplicate key error: ${doc._id}`, code: 11000 });
    this.docs.push(stored(doc));
    return { acknowledged: true, insertedId: doc._id };
  }

  async findOne(filter: Criteria, options: { projection?: Document } = {}): Promise<Doc | null> {
    const hit = find(this.docs, filter, options.projection).next() as Doc | undefined;
    return hit ? stored(hit) : null;
  }

  async replaceOne(filter: Criteria, replacement: Doc): Promise<{ matchedCount: number; modifiedCount: number }> {
    const hit = find(this.docs, filter).next() as Doc | undefined;
    if (!hit) return { matchedCount: 0, modifiedCount: 0 };
    this.docs[this.docs.findIndex((d) => d._id === hit._id)] = stored(replacement);
    return { matchedCount: 1, modifiedCount: 1 };
  }

  async deleteOne(filter: Criteria): Promise<{ deletedCount: number }> {
    const hit = find(this.docs, filter).next() as Doc | undefined;
    if (!hit) return { deletedCount: 0 };
    this.docs = this.docs.filter((d) => d._id !== hit._id);
    return { deletedCount: 1 };
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
    const run = () => {
      let cursor = find(this.docs, filter, options.projection);
      if (sort) cursor = cursor.sort(sort as Parameters<typeof cursor.sort>[0]);
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
      toArray: async () => run(),
      async *[Symbol.asyncIterator]() {
        yield* run();
      },
    };
    return chain;
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

async function openStandIn(): Promise<CatalogStore> {
  const specimens = new MongoSpecimenRepository(new MingoCollection() as unknown as Collection<SpecimenDocument>);
  const jobs = new MongoJobRepository(new MingoCollection() as unknown as Collection<JobDocument>, Date.now);
  return { kind: 'mongodb', specimens, jobs, init: async () => undefined, close: async () => undefined };
}

// mingo copies documents in $unwind and is slow: a smaller synthetic library, still several pages deep.
describeCatalogContract('mongodb repositories on a mingo stand-in collection', openStandIn, { syntheticLibrary: 40 });

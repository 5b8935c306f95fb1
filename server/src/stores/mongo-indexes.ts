/**
 * Index creation for every MongoDB adapter, at start and on first use.
 * `createIndexes` is idempotent only for an index exactly as the server has
 * it: a declared index that changed between versions of Exemplar (its key
 * pattern, `unique`, `sparse` or partial filter, under the same name; or the
 * same key pattern under another name) is refused with IndexOptionsConflict
 * (85) or IndexKeySpecsConflict (86), and the catalog would not start after
 * an upgrade. On that refusal the clashing indexes are dropped and created
 * as now declared. Indexes no longer declared are left alone.
 *
 * Between the drop and the creation an index is briefly absent; several
 * processes starting at once may each drop it (a drop of one already gone is
 * ignored) and creating the same index twice is harmless. A unique index
 * that cannot be built because stored documents break it fails the start
 * with the server's duplicate-key error, which names the index.
 */
import { MongoServerError, type Document, type IndexDescription } from 'mongodb';

export const INDEX_OPTIONS_CONFLICT = 85;
export const INDEX_KEY_SPECS_CONFLICT = 86;
const INDEX_NOT_FOUND = 27;

/** The collection methods this needs (a driver Collection, or the test stand-in). */
export interface IndexedCollection {
  createIndexes(specs: IndexDescription[]): Promise<string[]>;
  indexes(): Promise<Document[]>;
  dropIndex(name: string): Promise<unknown>;
}

const isIndexConflict = (err: unknown) => err instanceof MongoServerError && (err.code === INDEX_OPTIONS_CONFLICT || err.code === INDEX_KEY_SPECS_CONFLICT);

/** Key patterns are ordered: {a: 1, b: 1} and {b: 1, a: 1} are different indexes. */
const keyOf = (key: unknown) => JSON.stringify(Object.entries(key as Document));

/** The definition as listIndexes reports it, which the comparison below reads. */
function definition(index: Document | IndexDescription): string {
  const d = index as Document;
  return JSON.stringify([d['name'], keyOf(d['key']), Boolean(d['unique']), Boolean(d['sparse']), d['partialFilterExpression'] ?? null]);
}

export async function ensureIndexes(coll: IndexedCollection, specs: readonly IndexDescription[]): Promise<void> {
  if (specs.length === 0) return;
  try {
    await coll.createIndexes([...specs]);
    return;
  } catch (err) {
    if (!isIndexConflict(err)) throw err;
  }
  for (const have of await coll.indexes()) {
    if (have['name'] === '_id_') continue;
    const wanted = specs.find((s) => s.name === have['name'] || keyOf(s.key) === keyOf(have['key']));
    if (!wanted || definition(wanted) === definition(have)) continue;
    try {
      await coll.dropIndex(have['name'] as string);
    } catch (err) {
      // Another process starting at the same time dropped it first.
      if (!(err instanceof MongoServerError && err.code === INDEX_NOT_FOUND)) throw err;
    }
  }
  await coll.createIndexes([...specs]);
}

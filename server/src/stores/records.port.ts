/**
 * RecordStore port: small document collections that are not specimens —
 * users, sessions, API tokens, cases, verification requests, alerts, the
 * lost/stolen register, partner keys. Each record is one JSON document with
 * an `id` and a `revision` (optimistic concurrency, as for specimens).
 *
 * Queries are deliberately few: an AND of per-field conditions (a subset of
 * MongoDB's filter language, so the MongoDB adapter passes them through and
 * the SQLite adapter translates them to `json_extract`), a sort, and
 * limit/offset. Adapters: `records.sqlite.ts` (one table in the catalog
 * file) and `records.mongo.ts` (one collection per name). Both pass
 * `records.contract.ts`.
 *
 * Semantics both adapters keep:
 * - `{ f: value }` matches a scalar equal to value; `{ f: null }` matches a
 *   missing or null field.
 * - `{ f: { $has: v } }` matches an array field containing v (or a scalar equal to v).
 * - `{ f: { $in: [...] } }`, `$ne`, `$gt`/`$gte`/`$lt`/`$lte` compare scalars
 *   of one type (strings — ISO dates included — or numbers). They compare the
 *   field itself: an array field equals no scalar (so `$ne` matches it) and is
 *   in no range (MongoDB alone would look at its elements).
 * - `{ f: { $exists: bool } }`.
 * - Sorting puts missing/null first in ascending order; ties are broken by id.
 */
import { ExemplarError } from '../errors';

export interface StoredRecord {
  readonly id: string;
  readonly revision: number;
}

export type FieldValue = string | number | boolean | null;

export interface FieldOperators {
  $in?: readonly FieldValue[];
  $ne?: FieldValue;
  $gt?: string | number;
  $gte?: string | number;
  $lt?: string | number;
  $lte?: string | number;
  $has?: FieldValue;
  $exists?: boolean;
}

export type FieldCondition = FieldValue | FieldOperators;

/** An AND over fields; a key is a field path (`status`, `subject.documentNumber`). */
export type RecordFilter = Readonly<Record<string, FieldCondition>>;

export interface RecordSort {
  field: string;
  direction: 1 | -1;
}

export interface RecordFind {
  filter?: RecordFilter;
  sort?: readonly RecordSort[];
  /** 1..10000, default 1000. */
  limit?: number;
  offset?: number;
}

export interface IndexSpec {
  fields: readonly string[];
  /** Records missing any of the fields are exempt from uniqueness. */
  unique?: boolean;
}

export interface CollectionSpec {
  /** Lower-case letters, digits and dashes; also the MongoDB collection name. */
  name: string;
  indexes?: readonly IndexSpec[];
}

export interface RecordCollection<T extends StoredRecord> {
  readonly name: string;
  /** Stores a new record at revision 1 (the given revision is ignored). CONFLICT when the id or a unique index value is taken. */
  insert(record: T): Promise<T>;
  /**
   * Stores new records at revision 1, all or none: on a taken id or unique
   * value nothing stays stored and CONFLICT names the first refused record
   * (`details.index`). One transaction on SQLite; on MongoDB an ordered
   * insert whose successful part is removed again on failure.
   */
  insertMany(records: readonly T[]): Promise<T[]>;
  get(id: string): Promise<T | null>;
  /** Replaces a record at `expectedRevision` with `next` at revision + 1; NOT_FOUND, REVISION_CONFLICT, CONFLICT (unique index). */
  replace(id: string, expectedRevision: number, next: T): Promise<T>;
  /** Deletes a record (at `expectedRevision` when given); false when there was none. REVISION_CONFLICT on a stale revision. */
  delete(id: string, expectedRevision?: number): Promise<boolean>;
  find(query?: RecordFind): Promise<T[]>;
  findOne(filter: RecordFilter, sort?: readonly RecordSort[]): Promise<T | null>;
  count(filter?: RecordFilter): Promise<number>;
  deleteMany(filter: RecordFilter): Promise<number>;
}

export interface RecordStore {
  /** The collection of that name; its indexes are created on first use (idempotent). */
  collection<T extends StoredRecord>(spec: CollectionSpec): RecordCollection<T>;
}

// ------------------------------------------------------------ validation shared by adapters

const FIELD_PATH = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/;
const COLLECTION_NAME = /^[a-z][a-z0-9-]{0,47}$/;
const RECORD_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;
const OPERATORS = new Set(['$in', '$ne', '$gt', '$gte', '$lt', '$lte', '$has', '$exists']);
export const DEFAULT_FIND_LIMIT = 1000;
export const MAX_FIND_LIMIT = 10_000;

export function checkCollectionSpec(spec: CollectionSpec): void {
  if (!COLLECTION_NAME.test(spec.name)) throw new ExemplarError('INTERNAL', `invalid record collection name ${JSON.stringify(spec.name)}`);
  for (const index of spec.indexes ?? []) {
    if (index.fields.length === 0) throw new ExemplarError('INTERNAL', `an index of ${spec.name} has no fields`);
    for (const f of index.fields) checkFieldPath(f);
  }
}

/**
 * A collection asked for again may not declare an index it was first asked
 * for without: the adapters create a collection's indexes when it is first
 * asked for, so that index would silently never exist.
 */
export function checkSameIndexes(first: CollectionSpec, again: CollectionSpec): void {
  const key = (index: IndexSpec) => JSON.stringify([index.fields, Boolean(index.unique)]);
  const declared = new Set((first.indexes ?? []).map(key));
  const undeclared = (again.indexes ?? []).filter((index) => !declared.has(key(index)));
  if (undeclared.length > 0) {
    throw new ExemplarError('INTERNAL', `record collection ${again.name} was first asked for without the indexes ${JSON.stringify(undeclared)}; declare its indexes in one place`, {
      collection: again.name,
    });
  }
}

export function checkFieldPath(path: string): void {
  if (!FIELD_PATH.test(path)) throw new ExemplarError('BAD_REQUEST', `invalid record field ${JSON.stringify(path)}`);
}

export function checkRecordId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || !RECORD_ID.test(id)) throw new ExemplarError('BAD_REQUEST', `invalid record id ${JSON.stringify(id)}`);
}

function isOperators(c: FieldCondition): c is FieldOperators {
  return c !== null && typeof c === 'object';
}

const isScalar = (v: unknown): v is FieldValue => v === null || ['string', 'number', 'boolean'].includes(typeof v);

/** Normalised conditions: a list of [path, operator, operand]. Throws BAD_REQUEST on anything else. */
export function normaliseFilter(filter: RecordFilter = {}): Array<[string, keyof FieldOperators | '$eq', unknown]> {
  const out: Array<[string, keyof FieldOperators | '$eq', unknown]> = [];
  for (const [path, condition] of Object.entries(filter)) {
    checkFieldPath(path);
    if (!isOperators(condition)) {
      if (!isScalar(condition)) throw new ExemplarError('BAD_REQUEST', `invalid condition on ${path}`);
      out.push([path, '$eq', condition]);
      continue;
    }
    const entries = Object.entries(condition).filter(([, v]) => v !== undefined);
    if (entries.length === 0) throw new ExemplarError('BAD_REQUEST', `empty condition on ${path}`);
    for (const [op, operand] of entries) {
      if (!OPERATORS.has(op)) throw new ExemplarError('BAD_REQUEST', `unknown operator ${op} on ${path}`);
      if (op === '$in') {
        if (!Array.isArray(operand) || !operand.every(isScalar)) throw new ExemplarError('BAD_REQUEST', `$in on ${path} needs a list of values`);
      } else if (op === '$exists') {
        if (typeof operand !== 'boolean') throw new ExemplarError('BAD_REQUEST', `$exists on ${path} needs true or false`);
      } else if (op === '$ne' || op === '$has') {
        if (!isScalar(operand)) throw new ExemplarError('BAD_REQUEST', `${op} on ${path} needs a value`);
      } else if (typeof operand !== 'string' && typeof operand !== 'number') {
        throw new ExemplarError('BAD_REQUEST', `${op} on ${path} needs a string or a number`);
      }
      out.push([path, op as keyof FieldOperators, operand]);
    }
  }
  return out;
}

export function normaliseFind(query: RecordFind = {}): { sort: RecordSort[]; limit: number; offset: number } {
  const limit = query.limit ?? DEFAULT_FIND_LIMIT;
  const offset = query.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_FIND_LIMIT) throw new ExemplarError('BAD_REQUEST', `limit must be 1..${MAX_FIND_LIMIT}`);
  if (!Number.isInteger(offset) || offset < 0) throw new ExemplarError('BAD_REQUEST', 'offset must be a non-negative integer');
  const sort = [...(query.sort ?? [])];
  for (const s of sort) {
    checkFieldPath(s.field);
    if (s.direction !== 1 && s.direction !== -1) throw new ExemplarError('BAD_REQUEST', `invalid sort direction on ${s.field}`);
  }
  return { sort, limit, offset };
}

export const recordNotFound = (collection: string, id: string) =>
  new ExemplarError('NOT_FOUND', `${collection} record not found`, { collection, id });

export const revisionConflict = (collection: string, id: string, expected: number, actual: number) =>
  new ExemplarError('REVISION_CONFLICT', `the ${collection} record was changed meanwhile (revision ${actual}, expected ${expected})`, {
    collection,
    id,
    expectedRevision: expected,
    currentRevision: actual,
  });

export const duplicateRecord = (collection: string, id: string, index?: number) =>
  new ExemplarError('CONFLICT', `a ${collection} record with that id or unique value already exists`, { collection, id, ...(index !== undefined && { index }) });

/** A deep copy through JSON: what a store gives back is never the caller's object. */
export const jsonCopy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/**
 * RecordStore on the SQLite catalog file: one `records` table keyed by
 * (collection, id) with the document as JSON. Declared indexes become partial
 * expression indexes (`json_extract` per field, `WHERE collection = '<name>'`),
 * so lookups such as a user by name or a register entry by document number
 * use an index. Collection names and field paths are validated before they
 * are spliced into SQL; values are always bound.
 */
import type { Database } from 'better-sqlite3';
import { ExemplarError } from '../errors';
import {
  checkCollectionSpec,
  checkSameIndexes,
  checkRecordId,
  duplicateRecord,
  jsonCopy,
  normaliseFilter,
  normaliseFind,
  recordNotFound,
  revisionConflict,
  type CollectionSpec,
  type RecordCollection,
  type RecordFilter,
  type RecordFind,
  type RecordSort,
  type RecordStore,
  type StoredRecord,
} from './records.port';

export const RECORDS_SCHEMA_V1 = `
CREATE TABLE records (
  collection TEXT NOT NULL,
  id TEXT NOT NULL,
  revision INTEGER NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (collection, id)
) STRICT, WITHOUT ROWID;
`;

const extract = (path: string) => `json_extract(doc, '$.${path}')`;

/** SQL bound values: booleans as 1/0, which is what json_extract gives for JSON true/false. */
const bindable = (v: unknown): string | number | null => (typeof v === 'boolean' ? (v ? 1 : 0) : (v as string | number | null));

/** The WHERE clause (after the collection condition) and its parameters. */
export function sqliteWhere(filter: RecordFilter | undefined): { sql: string; params: Array<string | number | null> } {
  const parts: string[] = [];
  const params: Array<string | number | null> = [];
  for (const [path, op, operand] of normaliseFilter(filter)) {
    const f = extract(path);
    switch (op) {
      case '$eq':
        if (operand === null) parts.push(`${f} IS NULL`);
        else {
          parts.push(`${f} = ?`);
          params.push(bindable(operand));
        }
        break;
      case '$ne':
        if (operand === null) parts.push(`${f} IS NOT NULL`);
        else {
          // MongoDB's $ne also matches a missing field.
          parts.push(`(${f} IS NULL OR ${f} <> ?)`);
          params.push(bindable(operand));
        }
        break;
      case '$in': {
        const values = operand as unknown[];
        const nonNull = values.filter((v) => v !== null);
        const alternatives: string[] = [];
        if (nonNull.length > 0) {
          alternatives.push(`${f} IN (${nonNull.map(() => '?').join(', ')})`);
          params.push(...nonNull.map(bindable));
        }
        if (nonNull.length < values.length) alternatives.push(`${f} IS NULL`);
        parts.push(alternatives.length === 0 ? '0' : `(${alternatives.join(' OR ')})`);
        break;
      }
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte': {
        const sqlOp = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }[op];
        // Like MongoDB, compare only values of the operand's type.
        parts.push(`(${f} ${sqlOp} ? AND json_type(doc, '$.${path}') ${typeof operand === 'string' ? "= 'text'" : "IN ('integer', 'real')"})`);
        params.push(operand as string | number);
        break;
      }
      case '$has':
        if (operand === null) parts.push(`${f} IS NULL`);
        else {
          parts.push(`EXISTS (SELECT 1 FROM json_each(doc, '$.${path}') WHERE value = ?)`);
          params.push(bindable(operand));
        }
        break;
      case '$exists':
        parts.push(operand ? `json_type(doc, '$.${path}') IS NOT NULL` : `json_type(doc, '$.${path}') IS NULL`);
        break;
    }
  }
  return { sql: parts.length ? ` AND ${parts.join(' AND ')}` : '', params };
}

export function sqliteOrder(sort: readonly RecordSort[]): string {
  const keys = sort.map((s) => `${extract(s.field)} ${s.direction === 1 ? 'ASC' : 'DESC'}`);
  return ` ORDER BY ${[...keys, 'id ASC'].join(', ')}`;
}

/** A primary-key or unique-index violation. Checked by shape, not `instanceof`: errors thrown across a VM realm (jest) are not `Error`s of this one. */
const isUniqueViolation = (err: unknown): boolean => {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
};

class SqliteRecordCollection<T extends StoredRecord> implements RecordCollection<T> {
  readonly name: string;
  private readonly literal: string;

  constructor(
    private readonly db: Database,
    spec: CollectionSpec,
  ) {
    this.name = spec.name;
    // Validated by checkCollectionSpec: [a-z0-9-] only, safe as a literal (a literal lets SQLite use the partial indexes).
    this.literal = `'${spec.name}'`;
  }

  async insert(record: T): Promise<T> {
    checkRecordId(record.id);
    const stored = { ...jsonCopy(record), revision: 1 };
    try {
      this.db.prepare(`INSERT INTO records (collection, id, revision, doc) VALUES (${this.literal}, ?, 1, ?)`).run(record.id, JSON.stringify(stored));
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicateRecord(this.name, record.id);
      throw err;
    }
    return stored;
  }

  async insertMany(records: readonly T[]): Promise<T[]> {
    records.forEach((r) => checkRecordId(r.id));
    const insert = this.db.prepare(`INSERT INTO records (collection, id, revision, doc) VALUES (${this.literal}, ?, 1, ?)`);
    return this.db
      .transaction(() =>
        records.map((record, index) => {
          const stored = { ...jsonCopy(record), revision: 1 };
          try {
            insert.run(record.id, JSON.stringify(stored));
          } catch (err) {
            if (isUniqueViolation(err)) throw duplicateRecord(this.name, record.id, index);
            throw err;
          }
          return stored;
        }),
      )
      .immediate();
  }

  async get(id: string): Promise<T | null> {
    checkRecordId(id);
    const doc = this.db.prepare(`SELECT doc FROM records WHERE collection = ${this.literal} AND id = ?`).pluck().get(id) as string | undefined;
    return doc === undefined ? null : (JSON.parse(doc) as T);
  }

  async replace(id: string, expectedRevision: number, next: T): Promise<T> {
    checkRecordId(id);
    if (next.id !== id) throw new ExemplarError('BAD_REQUEST', 'a record id cannot change');
    const stored = { ...jsonCopy(next), revision: expectedRevision + 1 };
    return this.db
      .transaction(() => {
        const current = this.db.prepare(`SELECT revision FROM records WHERE collection = ${this.literal} AND id = ?`).pluck().get(id) as number | undefined;
        if (current === undefined) throw recordNotFound(this.name, id);
        if (current !== expectedRevision) throw revisionConflict(this.name, id, expectedRevision, current);
        try {
          this.db
            .prepare(`UPDATE records SET revision = ?, doc = ? WHERE collection = ${this.literal} AND id = ?`)
            .run(stored.revision, JSON.stringify(stored), id);
        } catch (err) {
          if (isUniqueViolation(err)) throw duplicateRecord(this.name, id);
          throw err;
        }
        return stored;
      })
      .immediate();
  }

  async delete(id: string, expectedRevision?: number): Promise<boolean> {
    checkRecordId(id);
    return this.db
      .transaction(() => {
        const current = this.db.prepare(`SELECT revision FROM records WHERE collection = ${this.literal} AND id = ?`).pluck().get(id) as number | undefined;
        if (current === undefined) return false;
        if (expectedRevision !== undefined && current !== expectedRevision) throw revisionConflict(this.name, id, expectedRevision, current);
        this.db.prepare(`DELETE FROM records WHERE collection = ${this.literal} AND id = ?`).run(id);
        return true;
      })
      .immediate();
  }

  async find(query: RecordFind = {}): Promise<T[]> {
    const { sort, limit, offset } = normaliseFind(query);
    const where = sqliteWhere(query.filter);
    const rows = this.db
      .prepare(`SELECT doc FROM records WHERE collection = ${this.literal}${where.sql}${sqliteOrder(sort)} LIMIT ? OFFSET ?`)
      .pluck()
      .all(...where.params, limit, offset) as string[];
    return rows.map((doc) => JSON.parse(doc) as T);
  }

  async findOne(filter: RecordFilter, sort: readonly RecordSort[] = []): Promise<T | null> {
    const [first] = await this.find({ filter, sort, limit: 1 });
    return first ?? null;
  }

  async count(filter?: RecordFilter): Promise<number> {
    const where = sqliteWhere(filter);
    return this.db.prepare(`SELECT count(*) FROM records WHERE collection = ${this.literal}${where.sql}`).pluck().get(...where.params) as number;
  }

  async deleteMany(filter: RecordFilter): Promise<number> {
    const where = sqliteWhere(filter);
    return this.db.prepare(`DELETE FROM records WHERE collection = ${this.literal}${where.sql}`).run(...where.params).changes;
  }
}

export class SqliteRecordStore implements RecordStore {
  private readonly collections = new Map<string, { spec: CollectionSpec; collection: SqliteRecordCollection<StoredRecord> }>();

  constructor(private readonly db: Database) {}

  collection<T extends StoredRecord>(spec: CollectionSpec): RecordCollection<T> {
    const known = this.collections.get(spec.name);
    if (known) {
      checkSameIndexes(known.spec, spec);
      return known.collection as unknown as RecordCollection<T>;
    }
    checkCollectionSpec(spec);
    for (const [i, index] of (spec.indexes ?? []).entries()) {
      const name = `records_${spec.name.replace(/-/g, '_')}_${i}`;
      const exprs = index.fields.map(extract).join(', ');
      // Partial: only this collection's rows, and (for unique) only records that have every field.
      const present = index.fields.map((f) => ` AND ${extract(f)} IS NOT NULL`).join('');
      this.db.exec(
        `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${name} ON records (${exprs}) WHERE collection = '${spec.name}'${index.unique ? present : ''}`,
      );
    }
    const collection = new SqliteRecordCollection<T>(this.db, spec);
    this.collections.set(spec.name, { spec, collection: collection as unknown as SqliteRecordCollection<StoredRecord> });
    return collection;
  }
}

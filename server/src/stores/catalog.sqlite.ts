/**
 * The embedded catalog: one SQLite file (better-sqlite3, WAL) that several
 * processes may share.
 *
 * - `specimens` holds each specimen as one JSON document plus the columns the
 *   search index is rebuilt from (facet values, issued years, sort keys).
 * - `specimen_text` (FTS5) indexes the folded words of title, series,
 *   description and notes. Words are folded in JS by the shared `tokenize`, and
 *   the table uses FTS5's `ascii` tokenizer, which splits only on the spaces
 *   between them: both adapters therefore agree on what a word is, and a query
 *   is built from quoted words only, so no user input is FTS syntax.
 * - `specimen_objects` lists the object keys each specimen references.
 * - `changes` logs every specimen write; a process brings its in-memory
 *   search index (catalog.sqlite-index.ts) up to date from it before each
 *   search, so a write by any process is seen by the next search of every one.
 *   Only the last `changeHistory.kept` entries are kept: the floor in `meta`
 *   says how far back it reaches, and a reader behind it reloads.
 * - `evidence_holds` lists the holds on each specimen (catalog.port.ts
 *   EvidenceHold), and `specimens.holds_taken` counts the holds taken on it;
 *   a hold, and the delete or replace it stops, each check the other inside
 *   one IMMEDIATE transaction.
 * - `jobs` is the work queue (jobs.sqlite.ts), with `job_inputs` listing the
 *   object keys each job reads.
 *
 * Migrations are numbered by `PRAGMA user_version` and run in one IMMEDIATE
 * transaction, so concurrent starts apply each exactly once.
 */
import Database from 'better-sqlite3';
import type { Specimen } from '@exemplar/specimens-schema';
import { AUDIT_SCHEMA_V1, SqliteAuditLog } from '../audit/audit.sqlite';
import type { AuditLog } from '../audit/audit.port';
import { ExemplarError, notFound } from '../errors';
import { changeHistoryOptions, evidenceHeld, holdsDropped, type EvidenceHold, type SpecimenHolds, type CatalogStore, type ChangeHistoryOptions, type JobRepository, type SpecimenChanges, type SpecimenPage, type SpecimenQuery, type SpecimenRepository } from './catalog.port';
import { currentYear, encodeCursor, indexFields, normalizeQuery, type ValueFacet } from './catalog.search';
import { SpecimenIndex, type IndexEntry } from './catalog.sqlite-index';
import { JOBS_SCHEMA_V1, JOBS_SCHEMA_V2, JOBS_SCHEMA_V3, SqliteJobRepository } from './jobs.sqlite';
import type { RecordStore } from './records.port';
import { RECORDS_SCHEMA_V1, SqliteRecordStore } from './records.sqlite';

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE specimens (
    rid INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    revision INTEGER NOT NULL,
    doc TEXT NOT NULL,
    facets TEXT NOT NULL,
    year_from INTEGER,
    year_to INTEGER,
    title_key TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    imitates TEXT
  ) STRICT;
  CREATE TABLE specimen_objects (
    key TEXT NOT NULL,
    rid INTEGER NOT NULL REFERENCES specimens (rid) ON DELETE CASCADE,
    PRIMARY KEY (key, rid)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX specimen_objects_rid ON specimen_objects (rid);
  CREATE VIRTUAL TABLE specimen_text USING fts5 (
    title, series, description, notes,
    content = '', contentless_delete = 1, tokenize = 'ascii', prefix = '1 2 3', detail = 'column'
  );
  CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, rid INTEGER NOT NULL) STRICT;
  CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
  INSERT INTO meta (key, value) VALUES ('changes_floor', 0);
  ${JOBS_SCHEMA_V1}
  `,
  RECORDS_SCHEMA_V1,
  AUDIT_SCHEMA_V1,
  // The id survives the row, so `changedSince` can name deleted specimens; entries logged before have none.
  `ALTER TABLE changes ADD COLUMN specimen_id TEXT;`,
  JOBS_SCHEMA_V2,
  // capture_id '' holds the specimen itself (a key column cannot be null). IF NOT EXISTS: a file taken back to an earlier schema by hand may have it.
  `
  CREATE TABLE IF NOT EXISTS evidence_holds (
    rid INTEGER NOT NULL REFERENCES specimens (rid) ON DELETE CASCADE,
    holder TEXT NOT NULL,
    holder_revision INTEGER NOT NULL,
    capture_id TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (rid, holder, holder_revision, capture_id)
  ) STRICT, WITHOUT ROWID;
  `,
  // Holds taken on each specimen, releases aside: a delete that judged the holds it read goes ahead only if none was taken since.
  `ALTER TABLE specimens ADD COLUMN holds_taken INTEGER NOT NULL DEFAULT 0;`,
  JOBS_SCHEMA_V3,
];

const PAGE = 1000;
const TEXT_CACHE_ENTRIES = 16;
const INDEX_LOAD_SLICE = 2000;

export interface SqliteCatalogOptions {
  /** Path of the database file (created when absent). */
  file: string;
  /** `FULL` (default) survives power loss; `NORMAL` may lose the last commits then, never consistency. */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long a write waits for another process's write lock. */
  busyTimeoutMs?: number;
  /** Clock for job leases and timestamps the store sets (tests). */
  now?: () => number;
  /** Rows per slice of the first, sliced load of the search index. */
  indexLoadSlice?: number;
  /** How much of the change log is kept (a process further behind rebuilds its indexes); DEFAULT_CHANGE_HISTORY when absent. */
  changeHistory?: Partial<ChangeHistoryOptions> | undefined;
}

interface SpecimenRow {
  rid: number;
  id: string;
  facets: string;
  year_from: number | null;
  year_to: number | null;
  title_key: string;
  created_at: number;
  updated_at: number;
  imitates: string | null;
}

const INDEX_COLUMNS = 'rid, id, facets, year_from, year_to, title_key, created_at, updated_at, imitates';

function entryOf(r: SpecimenRow): IndexEntry {
  return {
    id: r.id,
    facets: JSON.parse(r.facets) as Record<ValueFacet, string[]>,
    yearFrom: r.year_from,
    yearTo: r.year_to,
    titleKey: r.title_key,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    imitates: r.imitates,
  };
}

interface HoldRow {
  holder: string;
  holder_revision: number;
  capture_id: string;
  at: string;
}

const holdOfRow = (r: HoldRow): EvidenceHold => ({ holder: r.holder, holderRevision: r.holder_revision, captureId: r.capture_id === '' ? null : r.capture_id, at: r.at });

const ftsPrefixQuery = (terms: readonly string[]) =>
  // Terms contain only letters and digits (see tokenize), so quoting makes each a plain word.
  terms.map((t) => `"${t}"*`).join(' ');

export class SqliteCatalogStore implements CatalogStore {
  readonly kind = 'sqlite' as const;
  readonly specimens: SpecimenRepository;
  private readonly db: Database.Database;
  private readonly now: () => number;
  private jobRepo: SqliteJobRepository | null = null;
  private recordStore: SqliteRecordStore | null = null;
  private auditLog: SqliteAuditLog | null = null;
  private stmts: ReturnType<SqliteCatalogStore['prepare']> | null = null;
  private index = new SpecimenIndex();
  /** The change-log position the index reflects; -1 before it is loaded. */
  private indexSeq = -1;
  private indexLoading: Promise<void> | null = null;
  private readonly textCache = new Map<string, Uint8Array>();
  private readonly history: ChangeHistoryOptions;

  constructor(private readonly options: SqliteCatalogOptions) {
    this.now = options.now ?? Date.now;
    this.history = changeHistoryOptions(options.changeHistory);
    this.db = new Database(options.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 10_000))}`);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    this.specimens = {
      create: async (s) => this.create(s),
      get: async (id) => this.get(id),
      replace: async (id, expected, next, holdsTaken) => this.replace(id, expected, next, holdsTaken),
      delete: async (id, expected, holdsTaken) => this.remove(id, expected, holdsTaken),
      hold: async (id, hold) => this.hold(id, hold),
      holds: async (id) => this.holdsOf(id),
      releaseHold: async (id, hold) => this.releaseHold(id, hold),
      releaseHolder: async (holder) => this.ready().holderDelete.run(holder).changes,
      search: (q) => this.search(q),
      referencedObjectKeys: () => this.keysetPages('objectKeysAfter'),
      referencingSpecimens: async (key, limit) => this.referencingSpecimens(key, limit),
      ids: () => this.keysetPages('idsAfter'),
      count: async () => this.ready().count.get() as number,
      changedSince: async (marker) => this.changedSince(marker),
    };
  }

  get jobs(): JobRepository {
    if (!this.jobRepo) throw new ExemplarError('INTERNAL', 'catalog store used before init()');
    return this.jobRepo;
  }

  get records(): RecordStore {
    if (!this.recordStore) throw new ExemplarError('INTERNAL', 'catalog store used before init()');
    return this.recordStore;
  }

  get audit(): AuditLog {
    if (!this.auditLog) throw new ExemplarError('INTERNAL', 'catalog store used before init()');
    return this.auditLog;
  }

  async init(): Promise<void> {
    if (this.stmts) return;
    this.db
      .transaction(() => {
        const version = this.db.pragma('user_version', { simple: true }) as number;
        if (version > MIGRATIONS.length) {
          throw new ExemplarError('INTERNAL', `the catalog file ${this.options.file} was written by a newer Exemplar (schema ${version})`);
        }
        for (let v = version; v < MIGRATIONS.length; v++) this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${MIGRATIONS.length}`);
      })
      .immediate();
    this.stmts = this.prepare();
    this.jobRepo = new SqliteJobRepository(this.db, this.now);
    this.recordStore = new SqliteRecordStore(this.db);
    this.auditLog = new SqliteAuditLog(this.db);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private prepare() {
    const p = (sql: string) => this.db.prepare(sql);
    return {
      insert: p(`INSERT INTO specimens (id, revision, doc, facets, year_from, year_to, title_key, created_at, updated_at, imitates)
                 VALUES (@id, @revision, @doc, @facets, @yearFrom, @yearTo, @titleKey, @createdAt, @updatedAt, @imitates)`),
      update: p(`UPDATE specimens SET revision = @revision, doc = @doc, facets = @facets, year_from = @yearFrom, year_to = @yearTo,
                 title_key = @titleKey, created_at = @createdAt, updated_at = @updatedAt, imitates = @imitates WHERE rid = @rid`),
      head: p(`SELECT rid, revision FROM specimens WHERE id = ?`),
      doc: p(`SELECT doc FROM specimens WHERE id = ?`).pluck(),
      docs: p(`SELECT rid, doc FROM specimens WHERE rid IN (SELECT value FROM json_each(?))`),
      deleteRow: p(`DELETE FROM specimens WHERE rid = ?`),
      textInsert: p(`INSERT INTO specimen_text (rowid, title, series, description, notes) VALUES (?, ?, ?, ?, ?)`),
      textDelete: p(`DELETE FROM specimen_text WHERE rowid = ?`),
      textMatch: p(`SELECT rowid FROM specimen_text WHERE specimen_text MATCH ?`).pluck(),
      objectInsert: p(`INSERT OR IGNORE INTO specimen_objects (key, rid) VALUES (?, ?)`),
      objectsDelete: p(`DELETE FROM specimen_objects WHERE rid = ?`),
      logChange: p(`INSERT INTO changes (rid, specimen_id) VALUES (?, ?)`),
      changedIds: p(`SELECT c.specimen_id AS id, max(s.revision) AS revision FROM changes c LEFT JOIN specimens s ON s.id = c.specimen_id
                     WHERE c.seq > ? GROUP BY c.specimen_id`),
      pruneChanges: p(`DELETE FROM changes WHERE seq <= ?`),
      raiseFloor: p(`UPDATE meta SET value = max(value, ?) WHERE key = 'changes_floor'`),
      changesHead: p(`SELECT coalesce(max(seq), 0) FROM changes`).pluck(),
      changesFloor: p(`SELECT value FROM meta WHERE key = 'changes_floor'`).pluck(),
      changedRids: p(`SELECT DISTINCT rid FROM changes WHERE seq > ?`).pluck(),
      indexRows: p(`SELECT ${INDEX_COLUMNS} FROM specimens WHERE rid IN (SELECT value FROM json_each(?))`),
      allIndexRows: p(`SELECT ${INDEX_COLUMNS} FROM specimens`),
      indexRowsAfter: p(`SELECT ${INDEX_COLUMNS} FROM specimens WHERE rid > ? ORDER BY rid LIMIT ?`),
      count: p(`SELECT count(*) FROM specimens`).pluck(),
      objectKeysAfter: p(`SELECT DISTINCT key FROM specimen_objects WHERE key > ? ORDER BY key LIMIT ?`).pluck(),
      // The (key, rid) primary key answers this without a scan.
      referencingIds: p(`SELECT s.id FROM specimen_objects o JOIN specimens s ON s.rid = o.rid WHERE o.key = ? ORDER BY s.id LIMIT ?`).pluck(),
      idsAfter: p(`SELECT id FROM specimens WHERE id > ? ORDER BY id LIMIT ?`).pluck(),
      holdsOf: p(`SELECT holder, holder_revision, capture_id, at FROM evidence_holds WHERE rid = ? ORDER BY at, holder, holder_revision, capture_id`),
      // One statement: the holds and the count they go with are read at one moment.
      holdsOfId: p(`SELECT s.holds_taken, h.holder, h.holder_revision, h.capture_id, h.at FROM specimens s LEFT JOIN evidence_holds h ON h.rid = s.rid
                    WHERE s.id = ? ORDER BY h.at, h.holder, h.holder_revision, h.capture_id`),
      holdsTaken: p(`SELECT holds_taken FROM specimens WHERE rid = ?`).pluck(),
      countHold: p(`UPDATE specimens SET holds_taken = holds_taken + 1 WHERE rid = ?`),
      dropCaptureHolds: p(`DELETE FROM evidence_holds WHERE rid = ? AND capture_id = ?`),
      hasCapture: p(`SELECT 1 FROM json_each((SELECT doc FROM specimens WHERE rid = ?), '$.captures') WHERE json_extract(value, '$.id') = ?`).pluck(),
      holdInsert: p(`INSERT OR IGNORE INTO evidence_holds (rid, holder, holder_revision, capture_id, at) VALUES (?, ?, ?, ?, ?)`),
      holdDelete: p(`DELETE FROM evidence_holds WHERE rid = (SELECT rid FROM specimens WHERE id = ?) AND holder = ? AND holder_revision = ? AND capture_id = ?`),
      // A scan: holds are few at any time (each goes once the write it guards has landed).
      holderDelete: p(`DELETE FROM evidence_holds WHERE holder = ?`),
    };
  }

  private ready() {
    if (!this.stmts) throw new ExemplarError('INTERNAL', 'catalog store used before init()');
    return this.stmts;
  }

  // ------------------------------------------------------------ writes

  private rowParams(s: Specimen) {
    if (typeof s.id !== 'string' || s.id.length === 0) throw new ExemplarError('BAD_REQUEST', 'a specimen needs an id');
    if (!Number.isInteger(s.revision) || s.revision < 1) throw new ExemplarError('BAD_REQUEST', 'a specimen revision is an integer >= 1', { revision: s.revision });
    const f = indexFields(s);
    return {
      f,
      params: {
        id: s.id,
        revision: s.revision,
        doc: JSON.stringify(s),
        facets: JSON.stringify(f.facets),
        yearFrom: f.yearFrom,
        yearTo: f.yearTo,
        titleKey: f.titleKey,
        createdAt: f.createdAt,
        updatedAt: f.updatedAt,
        imitates: f.imitates,
      },
    };
  }

  /** Text, object keys and change log of a specimen row just written. */
  private writeDependents(rid: number, id: string, f: ReturnType<typeof indexFields>, replacing: boolean): void {
    const st = this.ready();
    if (replacing) {
      st.textDelete.run(rid);
      st.objectsDelete.run(rid);
    }
    st.textInsert.run(rid, f.words.title.join(' '), f.words.series.join(' '), f.words.description.join(' '), f.words.notes.join(' '));
    for (const key of f.objectKeys) st.objectInsert.run(key, rid);
    this.logChange(rid, id);
  }

  private logChange(rid: number, id: string): void {
    const st = this.ready();
    const seq = Number(st.logChange.run(rid, id).lastInsertRowid);
    const { kept, pruneEvery } = this.history;
    if (seq % pruneEvery === 0 && seq > kept) {
      st.pruneChanges.run(seq - kept);
      st.raiseFloor.run(seq - kept);
    }
  }

  private create(s: Specimen): Specimen {
    const st = this.ready();
    const { f, params } = this.rowParams(s);
    this.db
      .transaction(() => {
        let rid: number;
        try {
          rid = Number(st.insert.run(params).lastInsertRowid);
        } catch (err) {
          if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new ExemplarError('CONFLICT', 'a specimen with this id exists', { id: s.id });
          throw err;
        }
        this.writeDependents(rid, s.id, f, false);
      })
      .immediate();
    return s;
  }

  private get(id: string): Specimen | null {
    const doc = this.ready().doc.get(id) as string | undefined;
    return doc === undefined ? null : (JSON.parse(doc) as Specimen);
  }

  private checkRevision(id: string, expectedRevision: number | undefined): { rid: number; revision: number } {
    const head = this.ready().head.get(id) as { rid: number; revision: number } | undefined;
    if (!head) throw notFound('SPECIMEN_NOT_FOUND', 'specimen', { id });
    if (expectedRevision !== undefined && head.revision !== expectedRevision) {
      throw new ExemplarError('REVISION_CONFLICT', 'the specimen was changed by someone else; reload it and try again', {
        id,
        expectedRevision,
        currentRevision: head.revision,
      });
    }
    return head;
  }

  private replace(id: string, expectedRevision: number, next: Specimen, holdsTaken: number | undefined): Specimen {
    const st = this.ready();
    if (next.id !== id) throw new ExemplarError('BAD_REQUEST', 'a specimen id cannot change', { id, nextId: next.id });
    if (!Number.isInteger(expectedRevision)) throw new ExemplarError('BAD_REQUEST', 'expectedRevision must be an integer', { expectedRevision });
    if (!(next.revision > expectedRevision)) {
      throw new ExemplarError('BAD_REQUEST', 'the new revision must be greater than the expected one', { expectedRevision, revision: next.revision });
    }
    const { f, params } = this.rowParams(next);
    this.db
      .transaction(() => {
        const { rid } = this.checkRevision(id, expectedRevision);
        const holds = this.holdsOfRow(rid);
        const dropped = holdsDropped(holds, next);
        if (holdsTaken === undefined) {
          if (dropped.length > 0) throw evidenceHeld(id, dropped);
        } else {
          this.checkNoHoldTaken(id, rid, holdsTaken, holds);
          for (const h of dropped) st.dropCaptureHolds.run(rid, h.captureId);
        }
        st.update.run({ ...params, rid });
        this.writeDependents(rid, id, f, true);
      })
      .immediate();
    return next;
  }

  private remove(id: string, expectedRevision: number | undefined, holdsTaken: number | undefined): void {
    const st = this.ready();
    this.db
      .transaction(() => {
        const { rid } = this.checkRevision(id, expectedRevision);
        const holds = this.holdsOfRow(rid);
        if (holdsTaken === undefined) {
          if (holds.length > 0) throw evidenceHeld(id, holds);
        } else this.checkNoHoldTaken(id, rid, holdsTaken, holds);
        // The holds go with the row (ON DELETE CASCADE).
        st.deleteRow.run(rid);
        st.textDelete.run(rid);
        this.logChange(rid, id);
      })
      .immediate();
  }

  /** The specimen (and capture) are looked up in the transaction that stores the hold: a delete cannot come in between. */
  private hold(id: string, hold: EvidenceHold): void {
    const st = this.ready();
    this.db
      .transaction(() => {
        const { rid } = this.checkRevision(id, undefined);
        if (hold.captureId !== null && st.hasCapture.get(rid, hold.captureId) === undefined) {
          throw notFound('CAPTURE_NOT_FOUND', `capture ${hold.captureId} of specimen ${id}`, { id, captureId: hold.captureId });
        }
        st.holdInsert.run(rid, hold.holder, hold.holderRevision, hold.captureId ?? '', hold.at);
        st.countHold.run(rid);
      })
      .immediate();
  }

  /** Inside a write's transaction: CONFLICT (EVIDENCE_HELD) if a hold was taken since the caller read `taken`. */
  private checkNoHoldTaken(id: string, rid: number, taken: number, holds: readonly EvidenceHold[]): void {
    if (this.ready().holdsTaken.get(rid) !== taken) throw evidenceHeld(id, holds);
  }

  private releaseHold(id: string, hold: EvidenceHold): boolean {
    return this.ready().holdDelete.run(id, hold.holder, hold.holderRevision, hold.captureId ?? '').changes > 0;
  }

  private holdsOf(id: string): SpecimenHolds {
    const rows = this.ready().holdsOfId.all(id) as Array<{ holds_taken: number } & (HoldRow | { [K in keyof HoldRow]: null })>;
    return { holds: rows.flatMap((r) => (r.holder === null ? [] : [holdOfRow(r as HoldRow)])), taken: rows[0]?.holds_taken ?? 0 };
  }

  private holdsOfRow(rid: number): EvidenceHold[] {
    return (this.ready().holdsOf.all(rid) as HoldRow[]).map(holdOfRow);
  }

  // ------------------------------------------------------------ reads

  /** The change log read in one snapshot: its head is the marker, entries after `marker` the changes. */
  private changedSince(marker: number): SpecimenChanges {
    const st = this.ready();
    return this.db.transaction((): SpecimenChanges => {
      const head = st.changesHead.get() as number;
      const floor = st.changesFloor.get() as number;
      if (!Number.isInteger(marker) || marker < floor || marker > head) return { marker: head, reset: true, changes: [] };
      const rows = st.changedIds.all(marker) as { id: string | null; revision: number | null }[];
      // Entries logged before the id was recorded cannot say which specimen they were.
      if (rows.some((r) => r.id === null)) return { marker: head, reset: true, changes: [] };
      return { marker: head, reset: false, changes: rows.map((r) => ({ id: r.id!, revision: r.revision })) };
    }).deferred();
  }

  private referencingSpecimens(key: string, limit?: number): string[] {
    // SQLite reads a negative LIMIT as none.
    return this.ready().referencingIds.all(key, limit === undefined ? -1 : Math.max(0, Math.floor(limit))) as string[];
  }

  private async *keysetPages(which: 'objectKeysAfter' | 'idsAfter'): AsyncIterable<string> {
    // Pages rather than one iterator: a better-sqlite3 connection cannot run
    // other statements while an iterator is open, and the caller may.
    const stmt = this.ready()[which];
    let after = '';
    for (;;) {
      const page = stmt.all(after, PAGE) as string[];
      for (const k of page) yield k;
      if (page.length < PAGE) return;
      after = page[page.length - 1]!;
    }
  }

  /**
   * The first load of the index, in slices between which the event loop runs,
   * so that a large catalogue does not stall the server; searches meanwhile
   * wait for it. Rows written during the load carry later change numbers than
   * the one read first, so the next catch-up applies them.
   */
  private loadIndex(): Promise<void> {
    this.indexLoading ??= this.loadIndexInSlices().finally(() => {
      this.indexLoading = null;
    });
    return this.indexLoading;
  }

  private async loadIndexInSlices(): Promise<void> {
    const st = this.ready();
    const head = st.changesHead.get() as number;
    const index = new SpecimenIndex();
    const slice = Math.max(1, this.options.indexLoadSlice ?? INDEX_LOAD_SLICE);
    for (let after = 0; ; ) {
      const rows = st.indexRowsAfter.all(after, slice) as SpecimenRow[];
      for (const row of rows) index.upsert(row.rid, entryOf(row));
      if (rows.length < slice) break;
      after = rows[rows.length - 1]!.rid;
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.index = index;
    this.indexSeq = head;
    this.textCache.clear();
  }

  /** Applies the changes other processes (and this one) logged since the index was last brought up to date. */
  private catchUp(): void {
    const st = this.ready();
    const head = st.changesHead.get() as number;
    if (head === this.indexSeq) return;
    const floor = st.changesFloor.get() as number;
    if (this.indexSeq < 0 || this.indexSeq < floor) {
      this.index.clear();
      for (const row of st.allIndexRows.iterate() as IterableIterator<SpecimenRow>) this.index.upsert(row.rid, entryOf(row));
    } else {
      const rids = st.changedRids.all(this.indexSeq) as number[];
      for (let i = 0; i < rids.length; i += PAGE) {
        const chunk = rids.slice(i, i + PAGE);
        const present = new Set<number>();
        for (const row of st.indexRows.all(JSON.stringify(chunk)) as SpecimenRow[]) {
          this.index.upsert(row.rid, entryOf(row));
          present.add(row.rid);
        }
        for (const rid of chunk) if (!present.has(rid)) this.index.remove(rid);
      }
    }
    this.indexSeq = head;
    this.textCache.clear();
  }

  private textRids(ftsQuery: string): Uint8Array {
    const cached = this.textCache.get(ftsQuery);
    if (cached) {
      // Most recently used last.
      this.textCache.delete(ftsQuery);
      this.textCache.set(ftsQuery, cached);
      return cached;
    }
    const rids = this.ready().textMatch.all(ftsQuery) as number[];
    const marks = new Uint8Array(this.index.ridLimit);
    for (const rid of rids) if (rid < marks.length) marks[rid] = 1;
    this.textCache.set(ftsQuery, marks);
    if (this.textCache.size > TEXT_CACHE_ENTRIES) this.textCache.delete(this.textCache.keys().next().value!);
    return marks;
  }

  private async search(query: SpecimenQuery): Promise<SpecimenPage> {
    const q = normalizeQuery(query);
    const st = this.ready();
    if (this.indexSeq < 0) await this.loadIndex();
    // One read transaction: the index catch-up, the text match and the documents see the same snapshot.
    return this.db.transaction((): SpecimenPage => {
      this.catchUp();
      const text = q.terms.length > 0 ? this.textRids(ftsPrefixQuery(q.terms)) : null;
      const result = this.index.search(q, text, currentYear());
      const docs = new Map<number, string>();
      for (const row of st.docs.all(JSON.stringify(result.rids)) as { rid: number; doc: string }[]) docs.set(row.rid, row.doc);
      return {
        items: result.rids.map((rid) => JSON.parse(docs.get(rid)!) as Specimen),
        facets: result.facets,
        total: result.total,
        nextCursor: result.next ? encodeCursor(q, result.next.values, result.next.id) : null,
      };
    }).deferred();
  }
}

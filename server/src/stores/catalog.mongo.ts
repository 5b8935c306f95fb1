/**
 * The production catalog on MongoDB (official driver). Specimens live in the
 * `specimens` collection, one document each (see catalog.mongo-query.ts for
 * the document shape and the search translation); jobs in `jobs`
 * (jobs.mongo.ts). Revision checks are part of the write's filter, so a
 * stale write changes nothing. Evidence holds live in the specimen's
 * document (`_holds`, with the count of holds taken in `_holdsTaken`): a hold
 * is one update whose filter names the capture, a delete's filter requires no
 * hold (or the count its caller read), and a replace's requires the holds and
 * the count it read, so each is one atomic single-document write against the
 * others. Writes use the configured write concern
 * (`majority` by default: an acknowledged write survives a primary failover)
 * with a time limit (`wtimeoutMS`); a write not confirmed within it fails
 * with STORE_UNAVAILABLE (mongo-errors.ts).
 *
 * A search runs two aggregations (the page and the facet counts); on a busy
 * catalog they may see slightly different moments.
 */
import { BSON, MongoClient, MongoServerError, type Collection, type Db, type Document, type IndexDescription, type W, type WriteConcern } from 'mongodb';
import type { Specimen } from '@exemplar/specimens-schema';
import { MongoAuditLog } from '../audit/audit.mongo';
import type { AuditLog } from '../audit/audit.port';
import { DEFAULT_MONGODB_WRITE_TIMEOUT_MS } from '../config';
import { ExemplarError, isUnconfirmedWrite, notFound } from '../errors';
import { changeHistoryOptions, evidenceHeld, holdsChanging, holdsDropped, type EvidenceHold, type SpecimenHolds, type CatalogStore, type ChangeHistoryOptions, type JobRepository, type SpecimenChanges, type SpecimenPage, type SpecimenQuery, type SpecimenRepository } from './catalog.port';
import { fromSpecimenDocument, pageFromResults, planMongoSearch, SPECIMEN_INDEXES, toSpecimenDocument, type SpecimenDocument } from './catalog.mongo-query';
import { currentYear, normalizeQuery } from './catalog.search';
import { JOB_INDEXES, MongoJobRepository, type JobDocument } from './jobs.mongo';
import { withStoreErrors } from './mongo-errors';
import { ensureIndexes } from './mongo-indexes';
import { MongoRecordStore } from './records.mongo';
import type { RecordStore } from './records.port';

export interface MongoCatalogOptions {
  uri: string;
  dbName: string;
  /** `majority` (default) or a number of nodes. */
  writeConcern?: W;
  /** How long a write waits for its write concern (wtimeoutMS) before it fails with STORE_UNAVAILABLE; DEFAULT_MONGODB_WRITE_TIMEOUT_MS when absent. */
  writeTimeoutMs?: number;
  /** Clock for job leases and timestamps the store sets (tests). */
  now?: () => number;
  /** How many change numbers of deletions are kept; DEFAULT_CHANGE_HISTORY when absent. */
  changeHistory?: Partial<MongoChangeHistoryOptions> | undefined;
}

const isDuplicateKey = (err: unknown) => err instanceof MongoServerError && err.code === 11000;

/**
 * `specimen_changes` holds the change counter (`_id: 'counter'`) and one
 * entry per deleted specimen. A created or replaced specimen carries its
 * change number in `_search.changeSeq`, written with it in one operation.
 * Deletion entries are the only part that grows with use: they are pruned
 * past the kept history, and the counter's `floor` says up to which change
 * number they are gone.
 */
export interface ChangeDocument {
  _id: string;
  seq: number;
  /** Set on deletion entries. */
  specimenId?: string;
  /** On the counter: deletion entries numbered up to this were pruned. */
  floor?: number;
}

export interface MongoChangeHistoryOptions extends ChangeHistoryOptions {
  /**
   * A change number is taken before its write lands, so a listing may see a
   * later number land first: listings look this many numbers back, which
   * covers writes that overtake each other within a round trip. Less than `kept`.
   */
  lookBack: number;
}

const COUNTER_ID = 'counter';
/**
 * The largest specimen document written. MongoDB stores no document over
 * 16 MiB (the server's BSON limit), where SQLite has no such bound; evidence
 * holds are pushed into the document after it is written, so room is kept
 * for them. A specimen past it is refused (413) instead of failing as an
 * internal error.
 */
export const MAX_SPECIMEN_DOCUMENT_BYTES = 16 * 1024 * 1024 - 256 * 1024;
/** Writes retried when only the holds changed under them (a hold or a release landed between the read and the write). */
const HOLD_RACE_RETRIES = 8;

/** A replace's filter: the holds are still exactly those it read (no hold is lost, none slips past the check). */
const sameHolds = (holds: readonly EvidenceHold[]) => (holds.length === 0 ? { '_holds.0': { $exists: false } } : { _holds: holds });
/** A write's filter: no hold taken since `taken` was read (a document that never had one has no count). */
const takenIs = (taken: number) => ({ _holdsTaken: taken === 0 ? { $not: { $gt: 0 } } : taken });

const holdOrder = (a: EvidenceHold, b: EvidenceHold) =>
  a.at.localeCompare(b.at) || a.holder.localeCompare(b.holder) || a.holderRevision - b.holderRevision || (a.captureId ?? '').localeCompare(b.captureId ?? '');
const DEFAULT_LOOK_BACK = 256;

export const CHANGE_INDEXES: IndexDescription[] = [{ key: { seq: 1 }, name: 'seq' }];

/** Specimens in one collection (their change log in a second); the store below connects and ensures the indexes. */
export class MongoSpecimenRepository implements SpecimenRepository {
  private readonly history: MongoChangeHistoryOptions;

  constructor(
    private readonly coll: Collection<SpecimenDocument>,
    private readonly changes: Collection<ChangeDocument>,
    history?: Partial<MongoChangeHistoryOptions>,
  ) {
    const lookBack = history?.lookBack ?? DEFAULT_LOOK_BACK;
    this.history = { ...changeHistoryOptions(history), lookBack };
    if (!Number.isInteger(lookBack) || lookBack < 0 || lookBack >= this.history.kept) throw new RangeError('changeHistory.lookBack must be a whole number below changeHistory.kept');
  }

  private async nextChange(): Promise<number> {
    for (;;) {
      const counter = await this.changes.findOneAndUpdate({ _id: COUNTER_ID }, { $inc: { seq: 1 } }, { returnDocument: 'after' });
      if (counter) {
        const { kept, pruneEvery } = this.history;
        if (counter.seq % pruneEvery === 0 && counter.seq > kept) await this.pruneDeletions(counter.seq - kept);
        return counter.seq;
      }
      try {
        await this.changes.insertOne({ _id: COUNTER_ID, seq: 0 });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
  }

  /** The floor is raised before entries go, so a listing that misses one of them sees the new floor when it checks again. */
  private async pruneDeletions(floor: number): Promise<void> {
    await this.changes.findOneAndUpdate({ _id: COUNTER_ID }, { $max: { floor } });
    await this.changes.deleteMany({ seq: { $lte: floor }, specimenId: { $exists: true } });
  }

  private async stamped(s: Specimen): Promise<SpecimenDocument> {
    const doc = toSpecimenDocument(s);
    const bytes = BSON.calculateObjectSize(doc, { ignoreUndefined: true });
    if (bytes > MAX_SPECIMEN_DOCUMENT_BYTES) {
      throw new ExemplarError('PAYLOAD_TOO_LARGE', `the specimen is too large for the MongoDB catalog (${bytes} bytes as a document; at most ${MAX_SPECIMEN_DOCUMENT_BYTES}): spread its captures over more specimens`, {
        id: s.id,
        bytes,
        maxBytes: MAX_SPECIMEN_DOCUMENT_BYTES,
      });
    }
    let changeSeq: number;
    try {
      changeSeq = await this.nextChange();
    } catch (err) {
      // Only the counter was written: the specimen's own write was not made, so nothing that depends on it may stay.
      if (isUnconfirmedWrite(err)) throw new ExemplarError('STORE_UNAVAILABLE', err.message, { ...err.details, committed: false }, { cause: err });
      throw err;
    }
    return { ...doc, _search: { ...doc._search, changeSeq } };
  }

  async create(s: Specimen): Promise<Specimen> {
    try {
      await this.coll.insertOne(await this.stamped(s));
    } catch (err) {
      if (isDuplicateKey(err)) throw new ExemplarError('CONFLICT', 'a specimen with this id exists', { id: s.id });
      throw err;
    }
    return s;
  }

  async get(id: string): Promise<Specimen | null> {
    const doc = await this.coll.findOne({ _id: id });
    return doc ? fromSpecimenDocument(doc) : null;
  }

  /**
   * Why a write retried HOLD_RACE_RETRIES times matched nothing: the specimen
   * is gone or at another revision, or else only the holds kept changing
   * under it (SPECIMEN_BUSY, retryable; never a revision conflict at the
   * revision asked for).
   */
  private async outrunByHolds(id: string, expectedRevision: number | undefined): Promise<never> {
    const current = await this.coll.findOne({ _id: id }, { projection: { revision: 1 } });
    if (!current || (expectedRevision !== undefined && current.revision !== expectedRevision)) return this.missOrConflict(id, expectedRevision);
    throw holdsChanging(id, { attempts: HOLD_RACE_RETRIES });
  }

  /** Why a revision-checked write matched nothing. */
  private async missOrConflict(id: string, expectedRevision: number | undefined): Promise<never> {
    const current = await this.coll.findOne({ _id: id }, { projection: { revision: 1 } });
    if (!current) throw notFound('SPECIMEN_NOT_FOUND', 'specimen', { id });
    throw new ExemplarError('REVISION_CONFLICT', 'the specimen was changed by someone else; reload it and try again', {
      id,
      expectedRevision,
      currentRevision: current.revision,
    });
  }

  async replace(id: string, expectedRevision: number, next: Specimen, holdsTaken?: number): Promise<Specimen> {
    if (next.id !== id) throw new ExemplarError('BAD_REQUEST', 'a specimen id cannot change', { id, nextId: next.id });
    if (!Number.isInteger(expectedRevision)) throw new ExemplarError('BAD_REQUEST', 'expectedRevision must be an integer', { expectedRevision });
    if (!(next.revision > expectedRevision)) {
      throw new ExemplarError('BAD_REQUEST', 'the new revision must be greater than the expected one', { expectedRevision, revision: next.revision });
    }
    const doc = await this.stamped(next);
    for (let attempt = 1; ; attempt++) {
      const { holds, taken } = await this.holdsBeforeWrite(id, expectedRevision);
      const dropped = holdsDropped(holds, next);
      if (holdsTaken === undefined) {
        if (dropped.length > 0) throw evidenceHeld(id, dropped);
      } else if (taken !== holdsTaken) throw evidenceHeld(id, holds);
      const kept = holds.filter((h) => !dropped.includes(h));
      // The holds and their count are written back as read, and only if they are still so: none is lost, none slips past.
      const result = await this.coll.replaceOne(
        { _id: id, revision: expectedRevision, ...sameHolds(holds), ...takenIs(taken) },
        { ...doc, ...(kept.length > 0 && { _holds: kept }), ...(taken > 0 && { _holdsTaken: taken }) },
      );
      if (result.matchedCount === 1) return next;
      if (attempt >= HOLD_RACE_RETRIES) return this.outrunByHolds(id, expectedRevision);
    }
  }

  async delete(id: string, expectedRevision?: number, holdsTaken?: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const filter = {
        _id: id,
        ...(expectedRevision !== undefined && { revision: expectedRevision }),
        ...(holdsTaken === undefined ? { '_holds.0': { $exists: false } } : takenIs(holdsTaken)),
      };
      if ((await this.coll.deleteOne(filter)).deletedCount === 1) break;
      const { holds, taken } = await this.holdsBeforeWrite(id, expectedRevision);
      if (holdsTaken === undefined ? holds.length > 0 : taken !== holdsTaken) throw evidenceHeld(id, holds);
      // The holds were released since the delete was tried.
      if (attempt >= HOLD_RACE_RETRIES) return this.outrunByHolds(id, expectedRevision);
    }
    const seq = await this.nextChange();
    await this.changes.insertOne({ _id: `deleted:${seq}`, seq, specimenId: id });
  }

  /** The stored holds and their count, once the specimen is known to exist at the expected revision (else SPECIMEN_NOT_FOUND, REVISION_CONFLICT). */
  private async holdsBeforeWrite(id: string, expectedRevision: number | undefined): Promise<SpecimenHolds> {
    const current = await this.coll.findOne({ _id: id }, { projection: { revision: 1, _holds: 1, _holdsTaken: 1 } });
    if (!current || (expectedRevision !== undefined && current.revision !== expectedRevision)) return this.missOrConflict(id, expectedRevision);
    return { holds: current._holds ?? [], taken: current._holdsTaken ?? 0 };
  }

  async hold(id: string, hold: EvidenceHold): Promise<void> {
    const same = { holder: hold.holder, holderRevision: hold.holderRevision, captureId: hold.captureId };
    const capture = hold.captureId !== null && { 'captures.id': hold.captureId };
    for (let attempt = 1; ; attempt++) {
      // Stored, or (the same hold is stored already) counted again; the filter names the capture, so a delete cannot come in between.
      if ((await this.coll.updateOne({ _id: id, ...capture, _holds: { $not: { $elemMatch: same } } }, { $push: { _holds: { ...same, at: hold.at } }, $inc: { _holdsTaken: 1 } })).matchedCount === 1) return;
      if ((await this.coll.updateOne({ _id: id, ...capture, _holds: { $elemMatch: same } }, { $inc: { _holdsTaken: 1 } })).matchedCount === 1) return;
      const current = await this.coll.findOne({ _id: id }, { projection: { captures: 1 } });
      if (!current) throw notFound('SPECIMEN_NOT_FOUND', 'specimen', { id });
      if (hold.captureId !== null && !current.captures.some((c) => c.id === hold.captureId)) {
        throw notFound('CAPTURE_NOT_FOUND', `capture ${hold.captureId} of specimen ${id}`, { id, captureId: hold.captureId });
      }
      // The same hold was released between the two tries.
      if (attempt >= HOLD_RACE_RETRIES) throw holdsChanging(id, { attempts: HOLD_RACE_RETRIES });
    }
  }

  async holds(id: string): Promise<SpecimenHolds> {
    const current = await this.coll.findOne({ _id: id }, { projection: { _holds: 1, _holdsTaken: 1 } });
    return { holds: [...(current?._holds ?? [])].sort(holdOrder), taken: current?._holdsTaken ?? 0 };
  }

  async releaseHolder(holder: string): Promise<number> {
    // Served by the holders index (SPECIMEN_INDEXES).
    const result = await this.coll.updateMany({ '_holds.holder': holder }, { $pull: { _holds: { holder } } });
    return result.modifiedCount;
  }

  async releaseHold(id: string, hold: EvidenceHold): Promise<boolean> {
    const result = await this.coll.updateOne({ _id: id }, { $pull: { _holds: { holder: hold.holder, holderRevision: hold.holderRevision, captureId: hold.captureId } } });
    return result.modifiedCount > 0;
  }

  async changedSince(marker: number): Promise<SpecimenChanges> {
    const counter = await this.changes.findOne({ _id: COUNTER_ID });
    const head = counter?.seq ?? 0;
    const reset = { marker: head, reset: true, changes: [] };
    if (!Number.isInteger(marker) || marker < 0 || marker > head) return reset;
    if (marker === head) return { marker: head, reset: false, changes: [] };
    const from = Math.max(0, marker - this.history.lookBack);
    // Deletions numbered up to the floor are gone: a reader that far behind cannot be told which specimens went.
    if (from < (counter?.floor ?? 0)) return reset;
    const [live, deleted] = await Promise.all([
      this.coll.find({ '_search.changeSeq': { $gt: from } }, { projection: { _id: 1, revision: 1 } }).toArray(),
      this.changes.find({ seq: { $gt: from }, specimenId: { $exists: true } }, { projection: { specimenId: 1 } }).toArray(),
    ]);
    // A prune that ran meanwhile may have taken entries this listing needed.
    if (from < ((await this.changes.findOne({ _id: COUNTER_ID }, { projection: { floor: 1 } }))?.floor ?? 0)) return reset;
    const revisions = new Map<string, number | null>(live.map((d) => [d._id, d.revision]));
    // A specimen deleted and created again is listed live (its new write has the later number).
    for (const d of deleted) if (d.specimenId !== undefined && !revisions.has(d.specimenId)) revisions.set(d.specimenId, null);
    return { marker: head, reset: false, changes: [...revisions].map(([id, revision]) => ({ id, revision })) };
  }

  async search(query: SpecimenQuery): Promise<SpecimenPage> {
    const q = normalizeQuery(query);
    const plan = planMongoSearch(q, currentYear());
    const [items, facets] = await Promise.all([
      this.coll.aggregate<Document>(plan.items, { allowDiskUse: true }).toArray(),
      this.coll.aggregate<Document>(plan.facets, { allowDiskUse: true }).toArray(),
    ]);
    return pageFromResults(q, items, facets);
  }

  async *referencedObjectKeys(): AsyncIterable<string> {
    const cursor = this.coll.aggregate<{ _id: string }>(
      [{ $unwind: '$_search.objectKeys' }, { $group: { _id: '$_search.objectKeys' } }, { $sort: { _id: 1 } }],
      { allowDiskUse: true },
    );
    for await (const doc of cursor) yield doc._id;
  }

  async referencingSpecimens(key: string, limit?: number): Promise<string[]> {
    // Served by the object_keys index (SPECIMEN_INDEXES).
    // MongoDB reads a limit of 0 as none.
    if (limit !== undefined && limit < 1) return [];
    let cursor = this.coll.find({ '_search.objectKeys': key }, { projection: { _id: 1 }, sort: { _id: 1 } });
    if (limit !== undefined) cursor = cursor.limit(Math.floor(limit));
    return (await cursor.toArray()).map((doc) => doc._id);
  }

  async *ids(): AsyncIterable<string> {
    const cursor = this.coll.find({}, { projection: { _id: 1 }, sort: { _id: 1 } });
    for await (const doc of cursor) yield doc._id;
  }

  async count(): Promise<number> {
    return this.coll.countDocuments({});
  }
}

export class MongoCatalogStore implements CatalogStore {
  readonly kind = 'mongodb' as const;
  private readonly client: MongoClient;
  private readonly db: Db;
  private specimenRepo: MongoSpecimenRepository | null = null;
  private jobRepo: MongoJobRepository | null = null;
  private recordStore: MongoRecordStore | null = null;
  private auditLog: MongoAuditLog | null = null;
  private readonly now: () => number;

  constructor(private readonly options: MongoCatalogOptions) {
    this.now = options.now ?? Date.now;
    // Absent optional fields must stay absent (as in the SQLite adapter's JSON), not come back as null.
    this.client = new MongoClient(options.uri, { ignoreUndefined: true });
    // Without a wtimeout a write whose majority is unreachable never returns; past it, the write concern error becomes STORE_UNAVAILABLE.
    this.db = withStoreErrors(
      this.client.db(options.dbName, { writeConcern: { w: options.writeConcern ?? 'majority', wtimeoutMS: options.writeTimeoutMs ?? DEFAULT_MONGODB_WRITE_TIMEOUT_MS } }),
    );
  }

  /** The write concern every write of the store is sent with. */
  get writeConcern(): WriteConcern | undefined {
    return this.db.writeConcern;
  }

  get specimens(): SpecimenRepository {
    if (!this.specimenRepo) throw new ExemplarError('INTERNAL', 'catalog store used before init()');
    return this.specimenRepo;
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
    if (this.specimenRepo) return;
    await this.client.connect();
    const db = this.db;
    const specimens = db.collection<SpecimenDocument>('specimens');
    const jobs = db.collection<JobDocument>('jobs');
    const changes = db.collection<ChangeDocument>('specimen_changes');
    await ensureIndexes(specimens, SPECIMEN_INDEXES);
    await ensureIndexes(changes, CHANGE_INDEXES);
    await ensureIndexes(jobs, JOB_INDEXES);
    this.specimenRepo = new MongoSpecimenRepository(specimens, changes, this.options.changeHistory);
    this.jobRepo = new MongoJobRepository(jobs, this.now);
    await this.jobRepo.adoptEarlierJobs();
    this.auditLog = await MongoAuditLog.open(db);
    this.recordStore = new MongoRecordStore(db);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

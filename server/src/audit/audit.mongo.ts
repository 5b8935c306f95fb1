/**
 * The audit log on MongoDB: collection `audit`, one document per entry with
 * `_id` and `seq` both the entry's position (the unique `_id` is what makes
 * two writers unable to take the same seq). An append reads the head and
 * inserts `seq + 1`; when another process got there first the insert fails
 * with a duplicate key and the append starts again from the new head.
 * Appends from one process are queued, so they only race other processes.
 */
import { MongoServerError, type Collection, type Db, type Document, type Filter, type IndexDescription } from 'mongodb';
import { ExemplarError } from '../errors';
import { chainAuditEntry } from '../exhibits/chain';
import { ensureIndexes } from '../stores/mongo-indexes';
import { auditLimit, auditTargets, type AuditLog, type AuditQuery, type NewAuditEntry, type StoredAuditEntry } from './audit.port';

export type AuditDocument = Document & { _id: number; seq: number };

export const AUDIT_COLLECTION = 'audit';

export const AUDIT_INDEXES: IndexDescription[] = [
  { key: { seq: 1 }, name: 'seq_unique', unique: true },
  { key: { target: 1, seq: 1 }, name: 'target_seq' },
  { key: { actor: 1, seq: 1 }, name: 'actor_seq' },
  { key: { action: 1, seq: 1 }, name: 'action_seq' },
  { key: { time: 1 }, name: 'time' },
];

/** Appends that lose this many races in a row give up (CONFLICT) rather than spin. */
const APPEND_ATTEMPTS = 64;
const SCAN_PAGE = 500;

const isDuplicateKey = (err: unknown) => err instanceof MongoServerError && err.code === 11000;

/**
 * The entry as MongoDB will store it. BSON holds strings (and keys) as UTF-8,
 * so the driver writes a lone surrogate as U+FFFD: hashed as given, such an
 * entry would read back different from what its hash covers, and `audit
 * verify` would report it as tampered with. It is hashed as it will be stored.
 */
function asStored<T>(value: T): T {
  // toWellFormed puts U+FFFD for each UTF-16 surrogate without its pair (a JSON body may carry "\ud800"), as the driver does.
  if (typeof value === 'string') return value.toWellFormed() as T;
  if (Array.isArray(value)) return value.map(asStored) as T;
  // Plain objects only (by shape, as canonicalJson tells them: another realm has its own Object.prototype).
  const proto = value !== null && typeof value === 'object' ? (Object.getPrototypeOf(value) as object | null) : undefined;
  if (proto === null || (proto !== undefined && Object.getPrototypeOf(proto) === null)) {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [asStored(k), asStored(v)])) as T;
  }
  return value;
}

function entryOf(doc: Document): StoredAuditEntry {
  const { _id, ...entry } = doc;
  void _id;
  return entry as StoredAuditEntry;
}

export class MongoAuditLog implements AuditLog {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly coll: Collection<AuditDocument>) {}

  /** The collection on `db`, with its indexes. */
  static async open(db: Db): Promise<MongoAuditLog> {
    const coll = db.collection<AuditDocument>(AUDIT_COLLECTION);
    await ensureIndexes(coll, AUDIT_INDEXES);
    return new MongoAuditLog(coll);
  }

  append(input: NewAuditEntry): Promise<StoredAuditEntry> {
    const run = this.queue.then(
      () => this.appendNow(input),
      () => this.appendNow(input),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async appendNow(input: NewAuditEntry): Promise<StoredAuditEntry> {
    for (let attempt = 0; attempt < APPEND_ATTEMPTS; attempt++) {
      const head = await this.head();
      const entry = chainAuditEntry({ ...asStored(input), seq: (head?.seq ?? 0) + 1 }, head) as StoredAuditEntry;
      try {
        await this.coll.insertOne({ _id: entry.seq, ...entry } as AuditDocument);
        return entry;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
    throw new ExemplarError('CONFLICT', 'the audit log is too busy to append to; try again', { attempts: APPEND_ATTEMPTS });
  }

  async head(): Promise<StoredAuditEntry | null> {
    const [doc] = await this.coll.find({}, { sort: { seq: -1 } }).limit(1).toArray();
    return doc ? entryOf(doc) : null;
  }

  async list(query: AuditQuery = {}): Promise<StoredAuditEntry[]> {
    const and: Document[] = [];
    const targets = auditTargets(query.target);
    if (targets) {
      if (targets.length === 0) return [];
      and.push({ target: { $in: [...targets] } });
    }
    if (query.actor !== undefined) and.push({ actor: query.actor });
    if (query.action !== undefined) and.push({ action: query.action });
    if (query.from !== undefined) and.push({ time: { $gte: query.from } });
    if (query.to !== undefined) and.push({ time: { $lt: query.to } });
    const desc = query.order !== 'asc';
    if (query.afterSeq !== undefined) and.push({ seq: desc ? { $lt: query.afterSeq } : { $gt: query.afterSeq } });
    const filter = (and.length === 0 ? {} : and.length === 1 ? and[0]! : { $and: and }) as Filter<AuditDocument>;
    const docs = await this.coll
      .find(filter, { sort: { seq: desc ? -1 : 1 } })
      .limit(auditLimit(query.limit))
      .toArray();
    return docs.map(entryOf);
  }

  async *scan(afterSeq = 0): AsyncIterable<unknown> {
    let after = afterSeq;
    for (;;) {
      const docs = await this.coll
        .find({ seq: { $gt: after } } as Filter<AuditDocument>, { sort: { seq: 1 } })
        .limit(SCAN_PAGE)
        .toArray();
      for (const doc of docs) yield entryOf(doc);
      if (docs.length < SCAN_PAGE) return;
      after = docs[docs.length - 1]!.seq;
    }
  }

  async count(): Promise<number> {
    return this.coll.countDocuments({});
  }
}

/**
 * The job queue as a MongoDB collection. Every transition is one atomic
 * `findOneAndUpdate` whose filter states the state it leaves, so concurrent
 * workers on any number of hosts cannot both win. Payloads and results are
 * kept as JSON text: they are opaque to the store, and text keeps any key
 * (dots, dollars) and any number exactly.
 */
import { MongoServerError, type Collection, type Filter, type IndexDescription } from 'mongodb';
import { ExemplarError } from '../errors';
import { escapeRegex } from './catalog.mongo-query';
import { type Job, type JobError, type JobListQuery, type JobProgress, type JobRepository, type JobStatus, type NewJob } from './catalog.port';
import {
  earlierSubmission,
  jobNotFound,
  LEASE_EXPIRED_ERROR,
  leaseLost,
  searchWords,
  toJson,
  unknownAfter,
  validateJobError,
  validateKinds,
  validateLease,
  validateListQuery,
  validateNewJob,
  validateProgress,
  validateWorker,
  type ValidListQuery,
} from './jobs.common';

export interface JobDocument {
  _id: string;
  kind: string;
  status: JobStatus;
  priority: number;
  payload: string;
  result: string | null;
  error: JobError | null;
  progress: JobProgress | null;
  attempts: number;
  maxAttempts: number;
  workerId: string | null;
  /** Absent in documents written before jobs kept a submitter, until `adoptEarlierJobs` fills it in. */
  createdBy?: string | null;
  inputs?: string[];
  /** The folded words the job is found by (`list({q})`); absent until given (at enqueue or by `addSearchText`). */
  words?: string[];
  leaseMs: number | null;
  leaseExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export const JOB_INDEXES: IndexDescription[] = [
  { key: { status: 1, priority: -1, createdAt: 1, _id: 1 }, name: 'claim' },
  { key: { status: 1, leaseExpiresAt: 1 }, name: 'lease' },
  { key: { createdAt: -1, _id: -1 }, name: 'recent' },
  { key: { createdBy: 1, createdAt: -1, _id: -1 }, name: 'submitter' },
  { key: { inputs: 1, createdAt: -1, _id: -1 }, name: 'inputs' },
  { key: { words: 1, createdAt: -1, _id: -1 }, name: 'words' },
];

/**
 * The filter of a listing, without its page position: every field an
 * equality, and each query word an anchored, case-sensitive regular
 * expression on the folded words (`^word`), which the `words` index answers
 * as a range, as the specimen search does (`$text` matches no prefixes).
 */
export function jobListFilter(q: ValidListQuery): Filter<JobDocument> {
  const filter: Filter<JobDocument> = {};
  if (q.status) filter.status = q.status;
  if (q.kind) filter.kind = q.kind;
  if (q.createdBy !== null) filter.createdBy = q.createdBy;
  if (q.input !== null) filter.inputs = q.input;
  if (q.unindexed) filter.words = { $exists: false };
  if (q.terms.length > 0) filter.$and = q.terms.map((t) => ({ words: { $regex: `^${escapeRegex(t)}` } }));
  return filter;
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function toJob(d: JobDocument): Job {
  return {
    id: d._id,
    kind: d.kind,
    status: d.status,
    priority: d.priority,
    payload: JSON.parse(d.payload) as unknown,
    result: d.result === null ? null : (JSON.parse(d.result) as unknown),
    error: d.error,
    progress: d.progress,
    attempts: d.attempts,
    maxAttempts: d.maxAttempts,
    workerId: d.workerId,
    createdBy: d.createdBy ?? null,
    inputs: d.inputs ?? [],
    leaseExpiresAt: iso(d.leaseExpiresAt),
    createdAt: iso(d.createdAt)!,
    updatedAt: iso(d.updatedAt)!,
    startedAt: iso(d.startedAt),
    finishedAt: iso(d.finishedAt),
  };
}

export class MongoJobRepository implements JobRepository {
  constructor(
    private readonly jobs: Collection<JobDocument>,
    private readonly now: () => number,
  ) {}

  async enqueue(job: NewJob): Promise<Job> {
    const v = validateNewJob(job);
    const at = new Date(this.now());
    const doc: JobDocument = {
      _id: v.id,
      kind: v.kind,
      status: 'queued',
      priority: v.priority,
      payload: v.payloadJson,
      result: null,
      error: null,
      progress: null,
      attempts: 0,
      maxAttempts: v.maxAttempts,
      workerId: null,
      createdBy: v.createdBy,
      inputs: v.inputs,
      ...(v.words !== null && { words: v.words }),
      leaseMs: null,
      leaseExpiresAt: null,
      createdAt: at,
      updatedAt: at,
      startedAt: null,
      finishedAt: null,
    };
    try {
      await this.jobs.insertOne(doc);
    } catch (err) {
      if (err instanceof MongoServerError && err.code === 11000) throw new ExemplarError('CONFLICT', 'a job with this id exists', { id: v.id });
      throw err;
    }
    return toJob(doc);
  }

  async claim(workerId: string, leaseMs: number, kinds?: readonly string[]): Promise<Job | null> {
    validateWorker(workerId);
    validateLease(leaseMs);
    const only = validateKinds(kinds);
    const now = new Date(this.now());
    // A job that lost its lease on its last allowed attempt is not run again: failExhausted fails it.
    const claimable: Filter<JobDocument> = {
      $or: [{ status: 'queued' }, { status: 'running', leaseExpiresAt: { $lte: now }, $expr: { $lt: ['$attempts', '$maxAttempts'] } }],
      ...(only ? { kind: { $in: only } } : {}),
    };
    const doc = await this.jobs.findOneAndUpdate(
      claimable,
      {
        $set: { status: 'running', workerId, leaseMs, leaseExpiresAt: new Date(now.getTime() + leaseMs), startedAt: now, updatedAt: now },
        $inc: { attempts: 1 },
      },
      { sort: { priority: -1, createdAt: 1, _id: 1 }, returnDocument: 'after' },
    );
    return doc ? toJob(doc) : null;
  }

  async failExhausted(kinds?: readonly string[]): Promise<Job[]> {
    const only = validateKinds(kinds);
    const now = new Date(this.now());
    const exhausted: Filter<JobDocument> = {
      status: 'running',
      leaseExpiresAt: { $lte: now },
      $expr: { $gte: ['$attempts', '$maxAttempts'] },
      ...(only ? { kind: { $in: only } } : {}),
    };
    const failed: Job[] = [];
    for (const candidate of await this.jobs.find(exhausted, { projection: { _id: 1 } }).toArray()) {
      // Conditional on still being exhausted: of several processes asking at once, one fails it and gets it.
      const doc = await this.jobs.findOneAndUpdate(
        { ...exhausted, _id: candidate._id },
        { $set: { status: 'failed', error: { ...LEASE_EXPIRED_ERROR }, leaseExpiresAt: null, finishedAt: now, updatedAt: now } },
        { returnDocument: 'after' },
      );
      if (doc) failed.push(toJob(doc));
    }
    return failed;
  }

  async heartbeat(id: string, workerId: string, progress: JobProgress): Promise<Job> {
    const p = validateProgress(progress);
    const now = new Date(this.now());
    const doc = await this.jobs.findOneAndUpdate(
      { _id: id, status: 'running', workerId },
      [{ $set: { progress: { $literal: p }, leaseExpiresAt: { $add: [now, '$leaseMs'] }, updatedAt: now } }],
      { returnDocument: 'after' },
    );
    return doc ? toJob(doc) : this.lost(id, workerId);
  }

  async complete(id: string, workerId: string, result: unknown): Promise<Job> {
    return this.finish(id, workerId, { status: 'done', result: toJson(result ?? null, 'result'), error: null });
  }

  async fail(id: string, workerId: string, error: JobError): Promise<Job> {
    return this.finish(id, workerId, { status: 'failed', result: null, error: validateJobError(error) });
  }

  private async finish(id: string, workerId: string, set: Pick<JobDocument, 'status' | 'result' | 'error'>): Promise<Job> {
    const now = new Date(this.now());
    const doc = await this.jobs.findOneAndUpdate(
      { _id: id, status: 'running', workerId },
      { $set: { ...set, leaseExpiresAt: null, finishedAt: now, updatedAt: now } },
      { returnDocument: 'after' },
    );
    return doc ? toJob(doc) : this.lost(id, workerId);
  }

  async cancel(id: string): Promise<Job> {
    const now = new Date(this.now());
    const doc = await this.jobs.findOneAndUpdate(
      { _id: id, status: { $in: ['queued', 'running'] } },
      { $set: { status: 'cancelled', leaseExpiresAt: null, finishedAt: now, updatedAt: now } },
      { returnDocument: 'after' },
    );
    if (doc) return toJob(doc);
    const current = await this.jobs.findOne({ _id: id });
    if (!current) throw jobNotFound(id);
    return toJob(current);
  }

  async get(id: string): Promise<Job | null> {
    const doc = await this.jobs.findOne({ _id: id });
    return doc ? toJob(doc) : null;
  }

  async list(query: JobListQuery = {}): Promise<Job[]> {
    const q = validateListQuery(query);
    const filter = jobListFilter(q);
    if (q.after !== null) {
      const last = await this.jobs.findOne({ _id: q.after }, { projection: { createdAt: 1 } });
      if (!last) throw unknownAfter(q.after);
      // After it in the order (createdAt, _id), both descending, which the indexes below follow.
      filter.$or = [{ createdAt: { $lt: last.createdAt } }, { createdAt: last.createdAt, _id: { $lt: last._id } }];
    }
    const docs = await this.jobs.find(filter).sort({ createdAt: -1, _id: -1 }).limit(q.limit).toArray();
    return docs.map(toJob);
  }

  async addSearchText(id: string, texts: readonly string[]): Promise<void> {
    const words = searchWords(texts);
    const { matchedCount } = await this.jobs.updateOne({ _id: id }, { $addToSet: { words: { $each: words } } });
    if (matchedCount === 0) throw jobNotFound(id);
  }

  /**
   * Fills in the submitter and inputs of jobs written before the store kept
   * them (from the payload, `earlierSubmission`), so that their submitters
   * keep finding them. Idempotent: the catalog runs it at every start, and it
   * touches only documents without the field.
   */
  async adoptEarlierJobs(): Promise<number> {
    let adopted = 0;
    for await (const d of this.jobs.find({ createdBy: { $exists: false } })) {
      const { createdBy, inputs } = earlierSubmission(d.kind, d.payload);
      const { modifiedCount } = await this.jobs.updateOne({ _id: d._id, createdBy: { $exists: false } }, { $set: { createdBy, inputs } });
      adopted += modifiedCount;
    }
    return adopted;
  }

  private async lost(id: string, workerId: string): Promise<never> {
    const current = await this.jobs.findOne({ _id: id });
    if (!current) throw jobNotFound(id);
    throw leaseLost(toJob(current), workerId);
  }
}

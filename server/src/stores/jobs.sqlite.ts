/**
 * The job queue on the SQLite catalog file. Claims run in an IMMEDIATE
 * transaction (SQLite's write lock), so two processes sharing the file never
 * claim the same job; single-row transitions are one `UPDATE … RETURNING`.
 */
import type { Database, Statement } from 'better-sqlite3';
import { ExemplarError } from '../errors';
import { type Job, type JobError, type JobListQuery, type JobProgress, type JobRepository, type JobStatus, type NewJob } from './catalog.port';
import {
  jobNotFound,
  LEASE_EXPIRED_ERROR,
  leaseLost,
  toJson,
  prefixEnd,
  searchWords,
  unknownAfter,
  validateJobError,
  validateKinds,
  validateLease,
  validateListQuery,
  validateNewJob,
  validateProgress,
  validateWorker,
  type ValidNewJob,
} from './jobs.common';

export const JOBS_SCHEMA_V1 = `
CREATE TABLE jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  priority INTEGER NOT NULL,
  payload TEXT NOT NULL,
  result TEXT,
  error TEXT,
  progress TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  worker_id TEXT,
  lease_ms INTEGER,
  lease_expires_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER
) STRICT;
CREATE INDEX jobs_claim ON jobs (status, priority DESC, seq);
CREATE INDEX jobs_lease ON jobs (status, lease_expires_at);
`;

/**
 * Each job's submitter and the object keys it reads, indexed, so that a
 * user's jobs (or the jobs reading an object) are found however many others
 * came since. Comparison jobs enqueued before kept both only in their payload,
 * as the comparison service wrote it (`{createdBy, questioned: {<light>:
 * {key}}}`): they are taken from there once, so existing files keep finding them.
 */
export const JOBS_SCHEMA_V2 = `
ALTER TABLE jobs ADD COLUMN created_by TEXT;
CREATE INDEX jobs_created_by ON jobs (created_by, seq);
CREATE TABLE job_inputs (
  key TEXT NOT NULL,
  seq INTEGER NOT NULL REFERENCES jobs (seq) ON DELETE CASCADE,
  PRIMARY KEY (key, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX job_inputs_seq ON job_inputs (seq);
UPDATE jobs SET created_by = json_extract(payload, '$.createdBy')
  WHERE kind = 'comparison' AND json_type(payload, '$.createdBy') = 'text';
INSERT OR IGNORE INTO job_inputs (key, seq)
  SELECT json_extract(q.value, '$.key'), jobs.seq FROM jobs, json_each(jobs.payload, '$.questioned') AS q
  WHERE jobs.kind = 'comparison' AND json_type(jobs.payload, '$.questioned') = 'object' AND json_type(q.value, '$.key') = 'text';
`;

/**
 * The words each job is found by (`list({q})`), one row each, keyed by job
 * so that a listing checks a job's words as it walks the jobs newest first.
 * Jobs enqueued before have none and `search_indexed` 0 until the comparison
 * service gives them theirs (`addSearchText`), which `jobs_unindexed` finds.
 */
export const JOBS_SCHEMA_V3 = `
ALTER TABLE jobs ADD COLUMN search_indexed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_unindexed ON jobs (seq) WHERE search_indexed = 0;
CREATE TABLE job_words (
  seq INTEGER NOT NULL REFERENCES jobs (seq) ON DELETE CASCADE,
  word TEXT NOT NULL,
  PRIMARY KEY (seq, word)
) STRICT, WITHOUT ROWID;
`;

interface JobRow {
  seq: number;
  id: string;
  kind: string;
  status: JobStatus;
  priority: number;
  payload: string;
  result: string | null;
  error: string | null;
  progress: string | null;
  attempts: number;
  max_attempts: number;
  worker_id: string | null;
  lease_ms: number | null;
  lease_expires_at: number | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  created_by: string | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function toJob(r: JobRow, inputs: string[]): Job {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    priority: r.priority,
    payload: JSON.parse(r.payload) as unknown,
    result: r.result === null ? null : (JSON.parse(r.result) as unknown),
    error: r.error === null ? null : (JSON.parse(r.error) as JobError),
    progress: r.progress === null ? null : (JSON.parse(r.progress) as JobProgress),
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    workerId: r.worker_id,
    createdBy: r.created_by,
    inputs,
    leaseExpiresAt: iso(r.lease_expires_at),
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
  };
}

/**
 * The listing for a query's shape. A submitter or an input is looked up in
 * its index (newest first along it), so how many other jobs there are does
 * not matter; status and kind only filter. A page starts below `@beforeSeq`
 * (the seq of the previous page's last job, or past every seq) as a range of
 * that index, so a deep page costs what the first does.
 */
export function jobListSql(by: { createdBy: boolean; input: boolean; unindexed: boolean; terms: number }): string {
  // Each query word is a range of the job's words (binary order is code point order): @tN <= word < @tNend.
  const words = Array.from(
    { length: by.terms },
    (_, i) => ` AND EXISTS (SELECT 1 FROM job_words AS w WHERE w.seq = jobs.seq AND w.word >= @t${i} AND w.word < @t${i}end)`,
  ).join('');
  const filters = `(@status IS NULL OR jobs.status = @status) AND (@kind IS NULL OR jobs.kind = @kind)${by.unindexed ? ' AND jobs.search_indexed = 0' : ''}${words}`;
  if (by.input) {
    return `SELECT jobs.* FROM job_inputs JOIN jobs ON jobs.seq = job_inputs.seq
            WHERE job_inputs.key = @input AND job_inputs.seq < @beforeSeq AND ${by.createdBy ? 'jobs.created_by = @createdBy' : 'TRUE'} AND ${filters}
            ORDER BY job_inputs.seq DESC LIMIT @limit`;
  }
  return `SELECT * FROM jobs WHERE ${by.createdBy ? 'created_by = @createdBy' : 'TRUE'} AND seq < @beforeSeq AND ${filters} ORDER BY seq DESC LIMIT @limit`;
}

/** `@beforeSeq` of a first page: above any seq. */
const PAST_EVERY_SEQ = Number.MAX_SAFE_INTEGER;

const EXHAUSTED_ERROR = JSON.stringify(LEASE_EXPIRED_ERROR);
const CLAIMABLE_KIND = `(@kinds IS NULL OR kind IN (SELECT value FROM json_each(@kinds)))`;

export class SqliteJobRepository implements JobRepository {
  private readonly s: Record<string, Statement>;
  /** Listing statements by query shape, prepared when first used. */
  private readonly lists = new Map<string, Statement>();
  private readonly addWordsTx: (seq: number, words: readonly string[]) => void;
  private readonly insertTx: (v: ValidNewJob, now: number) => JobRow;
  private readonly claimTx: (workerId: string, leaseMs: number, kinds: string[] | null) => JobRow | undefined;

  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insert: p(`INSERT INTO jobs (id, kind, status, priority, payload, max_attempts, created_by, search_indexed, created_at, updated_at)
                 VALUES (@id, @kind, 'queued', @priority, @payload, @maxAttempts, @createdBy, @searchIndexed, @now, @now) RETURNING *`),
      insertInput: p(`INSERT INTO job_inputs (key, seq) VALUES (?, ?)`),
      insertWord: p(`INSERT OR IGNORE INTO job_words (seq, word) VALUES (?, ?)`),
      markIndexed: p(`UPDATE jobs SET search_indexed = 1 WHERE seq = ?`),
      inputs: p(`SELECT key FROM job_inputs WHERE seq = ?`),
      get: p(`SELECT * FROM jobs WHERE id = ?`),
      seqOf: p(`SELECT seq FROM jobs WHERE id = ?`),
      exhaust: p(`UPDATE jobs SET status = 'failed', error = @error, lease_expires_at = NULL, finished_at = @now, updated_at = @now
                  WHERE status = 'running' AND lease_expires_at <= @now AND attempts >= max_attempts AND ${CLAIMABLE_KIND} RETURNING *`),
      nextQueued: p(`SELECT * FROM jobs WHERE status = 'queued' AND ${CLAIMABLE_KIND} ORDER BY priority DESC, seq LIMIT 1`),
      nextExpired: p(`SELECT * FROM jobs WHERE status = 'running' AND lease_expires_at <= @now AND attempts < max_attempts AND ${CLAIMABLE_KIND}
                      ORDER BY priority DESC, seq LIMIT 1`),
      take: p(`UPDATE jobs SET status = 'running', worker_id = @workerId, lease_ms = @leaseMs, lease_expires_at = @now + @leaseMs,
                 attempts = attempts + 1, started_at = @now, updated_at = @now WHERE seq = @seq RETURNING *`),
      heartbeat: p(`UPDATE jobs SET progress = @progress, lease_expires_at = @now + lease_ms, updated_at = @now
                    WHERE id = @id AND status = 'running' AND worker_id = @workerId RETURNING *`),
      finish: p(`UPDATE jobs SET status = @status, result = @result, error = @error, lease_expires_at = NULL, finished_at = @now, updated_at = @now
                 WHERE id = @id AND status = 'running' AND worker_id = @workerId RETURNING *`),
      cancel: p(`UPDATE jobs SET status = 'cancelled', lease_expires_at = NULL, finished_at = @now, updated_at = @now
                 WHERE id = @id AND status IN ('queued', 'running') RETURNING *`),
    };
    this.insertTx = db.transaction((v: ValidNewJob, now: number) => {
      const row = this.s.insert!.get({
        id: v.id,
        kind: v.kind,
        priority: v.priority,
        payload: v.payloadJson,
        maxAttempts: v.maxAttempts,
        createdBy: v.createdBy,
        searchIndexed: v.words === null ? 0 : 1,
        now,
      }) as JobRow;
      for (const key of v.inputs) this.s.insertInput!.run(key, row.seq);
      for (const word of v.words ?? []) this.s.insertWord!.run(row.seq, word);
      return row;
    }).immediate;
    this.addWordsTx = db.transaction((seq: number, words: readonly string[]) => {
      for (const word of words) this.s.insertWord!.run(seq, word);
      this.s.markIndexed!.run(seq);
    }).immediate;
    this.claimTx = db.transaction((workerId: string, leaseMs: number, kinds: string[] | null) => {
      const now = this.now();
      const kindsJson = kinds === null ? null : JSON.stringify(kinds);
      // A job that lost its lease on its last allowed attempt is not run again: failExhausted fails it, for its caller to let go of what it held.
      const queued = this.s.nextQueued!.get({ kinds: kindsJson }) as JobRow | undefined;
      const expired = this.s.nextExpired!.get({ kinds: kindsJson, now }) as JobRow | undefined;
      const pick =
        queued && expired ? (expired.priority > queued.priority || (expired.priority === queued.priority && expired.seq < queued.seq) ? expired : queued) : (queued ?? expired);
      if (!pick) return undefined;
      return this.s.take!.get({ workerId, leaseMs, now, seq: pick.seq }) as JobRow;
    }).immediate;
  }

  async enqueue(job: NewJob): Promise<Job> {
    const v = validateNewJob(job);
    try {
      return this.toJob(this.insertTx(v, this.now()));
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new ExemplarError('CONFLICT', 'a job with this id exists', { id: v.id });
      throw err;
    }
  }

  async claim(workerId: string, leaseMs: number, kinds?: readonly string[]): Promise<Job | null> {
    validateWorker(workerId);
    validateLease(leaseMs);
    const row = this.claimTx(workerId, leaseMs, validateKinds(kinds));
    return row ? this.toJob(row) : null;
  }

  async failExhausted(kinds?: readonly string[]): Promise<Job[]> {
    const only = validateKinds(kinds);
    // One UPDATE … RETURNING: a job it fails is returned to this caller only.
    return (this.s.exhaust!.all({ error: EXHAUSTED_ERROR, now: this.now(), kinds: only === null ? null : JSON.stringify(only) }) as JobRow[]).map((r) => this.toJob(r));
  }

  async heartbeat(id: string, workerId: string, progress: JobProgress): Promise<Job> {
    const p = validateProgress(progress);
    const row = this.s.heartbeat!.get({ id, workerId, progress: JSON.stringify(p), now: this.now() }) as JobRow | undefined;
    return row ? this.toJob(row) : this.lost(id, workerId);
  }

  async complete(id: string, workerId: string, result: unknown): Promise<Job> {
    const json = toJson(result ?? null, 'result');
    const row = this.s.finish!.get({ id, workerId, status: 'done', result: json, error: null, now: this.now() }) as JobRow | undefined;
    return row ? this.toJob(row) : this.lost(id, workerId);
  }

  async fail(id: string, workerId: string, error: JobError): Promise<Job> {
    const e = validateJobError(error);
    const row = this.s.finish!.get({ id, workerId, status: 'failed', result: null, error: JSON.stringify(e), now: this.now() }) as JobRow | undefined;
    return row ? this.toJob(row) : this.lost(id, workerId);
  }

  async cancel(id: string): Promise<Job> {
    const row = this.s.cancel!.get({ id, now: this.now() }) as JobRow | undefined;
    if (row) return this.toJob(row);
    const current = this.s.get!.get(id) as JobRow | undefined;
    if (!current) throw jobNotFound(id);
    return this.toJob(current);
  }

  async get(id: string): Promise<Job | null> {
    const row = this.s.get!.get(id) as JobRow | undefined;
    return row ? this.toJob(row) : null;
  }

  async list(query: JobListQuery = {}): Promise<Job[]> {
    const q = validateListQuery(query);
    const shape = { createdBy: q.createdBy !== null, input: q.input !== null, unindexed: q.unindexed, terms: q.terms.length };
    const key = JSON.stringify(shape);
    let list = this.lists.get(key);
    if (!list) this.lists.set(key, (list = this.db.prepare(jobListSql(shape))));
    let beforeSeq = PAST_EVERY_SEQ;
    if (q.after !== null) {
      const row = this.s.seqOf!.get(q.after) as { seq: number } | undefined;
      if (!row) throw unknownAfter(q.after);
      beforeSeq = row.seq;
    }
    const terms = Object.fromEntries(q.terms.flatMap((t, i) => [[`t${i}`, t], [`t${i}end`, prefixEnd(t)]]));
    const { status, kind, createdBy, input, limit } = q;
    return (list.all({ status, kind, createdBy, input, limit, beforeSeq, ...terms }) as JobRow[]).map((r) => this.toJob(r));
  }

  async addSearchText(id: string, texts: readonly string[]): Promise<void> {
    const words = searchWords(texts);
    const row = this.s.seqOf!.get(id) as { seq: number } | undefined;
    if (!row) throw jobNotFound(id);
    this.addWordsTx(row.seq, words);
  }

  private toJob(row: JobRow): Job {
    return toJob(row, (this.s.inputs!.all(row.seq) as { key: string }[]).map((r) => r.key).sort());
  }

  private lost(id: string, workerId: string): never {
    const current = this.s.get!.get(id) as JobRow | undefined;
    if (!current) throw jobNotFound(id);
    throw leaseLost(this.toJob(current), workerId);
  }
}

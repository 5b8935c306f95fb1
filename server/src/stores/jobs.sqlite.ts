/**
 * The job queue on the SQLite catalog file. Claims run in an IMMEDIATE
 * transaction (SQLite's write lock), so two processes sharing the file never
 * claim the same job; single-row transitions are one `UPDATE … RETURNING`.
 */
import type { Database, Statement } from 'better-sqlite3';
import { ExemplarError } from '../errors';
import { JOB_LEASE_EXPIRED, type Job, type JobError, type JobListQuery, type JobProgress, type JobRepository, type JobStatus, type NewJob } from './catalog.port';
import {
  jobNotFound,
  leaseLost,
  toJson,
  validateJobError,
  validateKinds,
  validateLease,
  validateListQuery,
  validateNewJob,
  validateProgress,
  validateWorker,
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
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function toJob(r: JobRow): Job {
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
    leaseExpiresAt: iso(r.lease_expires_at),
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
  };
}

const EXHAUSTED_ERROR = JSON.stringify({ code: JOB_LEASE_EXPIRED, message: 'the worker lease expired on every allowed attempt' } satisfies JobError);
const CLAIMABLE_KIND = `(@kinds IS NULL OR kind IN (SELECT value FROM json_each(@kinds)))`;

export class SqliteJobRepository implements JobRepository {
  private readonly s: Record<string, Statement>;
  private readonly claimTx: (workerId: string, leaseMs: number, kinds: string[] | null) => JobRow | undefined;

  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insert: p(`INSERT INTO jobs (id, kind, status, priority, payload, max_attempts, created_at, updated_at)
                 VALUES (@id, @kind, 'queued', @priority, @payload, @maxAttempts, @now, @now) RETURNING *`),
      get: p(`SELECT * FROM jobs WHERE id = ?`),
      exhaust: p(`UPDATE jobs SET status = 'failed', error = @error, lease_expires_at = NULL, finished_at = @now, updated_at = @now
                  WHERE status = 'running' AND lease_expires_at <= @now AND attempts >= max_attempts`),
      nextQueued: p(`SELECT * FROM jobs WHERE status = 'queued' AND ${CLAIMABLE_KIND} ORDER BY priority DESC, seq LIMIT 1`),
      nextExpired: p(`SELECT * FROM jobs WHERE status = 'running' AND lease_expires_at <= @now AND ${CLAIMABLE_KIND}
                      ORDER BY priority DESC, seq LIMIT 1`),
      take: p(`UPDATE jobs SET status = 'running', worker_id = @workerId, lease_ms = @leaseMs, lease_expires_at = @now + @leaseMs,
                 attempts = attempts + 1, started_at = @now, updated_at = @now WHERE seq = @seq RETURNING *`),
      heartbeat: p(`UPDATE jobs SET progress = @progress, lease_expires_at = @now + lease_ms, updated_at = @now
                    WHERE id = @id AND status = 'running' AND worker_id = @workerId RETURNING *`),
      finish: p(`UPDATE jobs SET status = @status, result = @result, error = @error, lease_expires_at = NULL, finished_at = @now, updated_at = @now
                 WHERE id = @id AND status = 'running' AND worker_id = @workerId RETURNING *`),
      cancel: p(`UPDATE jobs SET status = 'cancelled', lease_expires_at = NULL, finished_at = @now, updated_at = @now
                 WHERE id = @id AND status IN ('queued', 'running') RETURNING *`),
      list: p(`SELECT * FROM jobs WHERE (@status IS NULL OR status = @status) AND (@kind IS NULL OR kind = @kind) ORDER BY seq DESC LIMIT @limit`),
    };
    this.claimTx = db.transaction((workerId: string, leaseMs: number, kinds: string[] | null) => {
      const now = this.now();
      const kindsJson = kinds === null ? null : JSON.stringify(kinds);
      // A job that lost its lease on its last allowed attempt fails instead of running again.
      this.s.exhaust!.run({ error: EXHAUSTED_ERROR, now });
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
      const row = this.s.insert!.get({ id: v.id, kind: v.kind, priority: v.priority, payload: v.payloadJson, maxAttempts: v.maxAttempts, now: this.now() });
      return toJob(row as JobRow);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new ExemplarError('CONFLICT', 'a job with this id exists', { id: v.id });
      throw err;
    }
  }

  async claim(workerId: string, leaseMs: number, kinds?: readonly string[]): Promise<Job | null> {
    validateWorker(workerId);
    validateLease(leaseMs);
    const row = this.claimTx(workerId, leaseMs, validateKinds(kinds));
    return row ? toJob(row) : null;
  }

  async heartbeat(id: string, workerId: string, progress: JobProgress): Promise<Job> {
    const p = validateProgress(progress);
    const row = this.s.heartbeat!.get({ id, workerId, progress: JSON.stringify(p), now: this.now() }) as JobRow | undefined;
    return row ? toJob(row) : this.lost(id, workerId);
  }

  async complete(id: string, workerId: string, result: unknown): Promise<Job> {
    const json = toJson(result ?? null, 'result');
    const row = this.s.finish!.get({ id, workerId, status: 'done', result: json, error: null, now: this.now() }) as JobRow | undefined;
    return row ? toJob(row) : this.lost(id, workerId);
  }

  async fail(id: string, workerId: string, error: JobError): Promise<Job> {
    const e = validateJobError(error);
    const row = this.s.finish!.get({ id, workerId, status: 'failed', result: null, error: JSON.stringify(e), now: this.now() }) as JobRow | undefined;
    return row ? toJob(row) : this.lost(id, workerId);
  }

  async cancel(id: string): Promise<Job> {
    const row = this.s.cancel!.get({ id, now: this.now() }) as JobRow | undefined;
    if (row) return toJob(row);
    const current = this.s.get!.get(id) as JobRow | undefined;
    if (!current) throw jobNotFound(id);
    return toJob(current);
  }

  async get(id: string): Promise<Job | null> {
    const row = this.s.get!.get(id) as JobRow | undefined;
    return row ? toJob(row) : null;
  }

  async list(query: JobListQuery = {}): Promise<Job[]> {
    const q = validateListQuery(query);
    return (this.s.list!.all(q) as JobRow[]).map(toJob);
  }

  private lost(id: string, workerId: string): never {
    const current = this.s.get!.get(id) as JobRow | undefined;
    if (!current) throw jobNotFound(id);
    throw leaseLost(toJob(current), workerId);
  }
}

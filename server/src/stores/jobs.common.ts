/**
 * Rules of the job queue that both catalog adapters share: input validation,
 * defaults and the errors a worker gets when it no longer holds a job.
 */
import { ExemplarError } from '../errors';
import { MAX_QUERY_TERMS, tokenize } from './catalog.search';
import { JOB_LEASE_EXPIRED, JOB_STATUSES, type Job, type JobError, type JobListQuery, type JobProgress, type JobStatus, type NewJob } from './catalog.port';

export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_JOB_LIST_LIMIT = 50;
export const MAX_JOB_LIST_LIMIT = 1000;
const JOB_ID = /^[A-Za-z0-9_-]{6,64}$/;
/** The error of a job whose lease expired on its last allowed attempt (`failExhausted`). */
export const LEASE_EXPIRED_ERROR: JobError = Object.freeze({ code: JOB_LEASE_EXPIRED, message: 'the worker lease expired on every allowed attempt' });
/** A week: longer leases would let a dead worker hold a job for ever in practice. */
const MAX_LEASE_MS = 7 * 24 * 3600 * 1000;

const bad = (message: string, details: Record<string, unknown> = {}, cause?: unknown) =>
  new ExemplarError('BAD_REQUEST', message, details, cause === undefined ? undefined : { cause });

export const MAX_JOB_INPUTS = 100;
/** Longest search text of a listing (`q`): a few words typed in a search box. */
export const MAX_JOB_QUERY_CHARS = 200;
/** Most characters of a job's search texts together (a comparison's notes are at most 20000). */
const MAX_SEARCH_TEXT_CHARS = 100_000;
const MAX_CREATED_BY = 200;
const MAX_INPUT_KEY = 1024;

export interface ValidNewJob {
  id: string;
  kind: string;
  payloadJson: string;
  priority: number;
  maxAttempts: number;
  createdBy: string | null;
  inputs: string[];
  /** Null: enqueued without search text (not indexed). */
  words: string[] | null;
}

export function validateNewJob(job: NewJob): ValidNewJob {
  if (typeof job.id !== 'string' || !JOB_ID.test(job.id)) throw bad('job id must match ^[A-Za-z0-9_-]{6,64}$', { id: job.id });
  if (typeof job.kind !== 'string' || job.kind.length === 0 || job.kind.length > 100) throw bad('job kind must be a non-empty string', { kind: job.kind });
  const priority = job.priority ?? 0;
  if (!Number.isSafeInteger(priority)) throw bad('job priority must be an integer', { priority });
  const maxAttempts = job.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) throw bad('job maxAttempts must be a positive integer', { maxAttempts });
  const createdBy = job.createdBy ?? null;
  if (createdBy !== null) validateCreatedBy(createdBy);
  const inputs = job.inputs ?? [];
  if (!Array.isArray(inputs) || inputs.length > MAX_JOB_INPUTS) throw bad(`job inputs must be a list of at most ${MAX_JOB_INPUTS} object keys`, { inputs: job.inputs });
  for (const key of inputs) validateInput(key);
  const words = job.searchText === undefined ? null : searchWords(job.searchText);
  return { id: job.id, kind: job.kind, payloadJson: toJson(job.payload, 'payload'), priority, maxAttempts, createdBy, inputs: [...new Set(inputs)].sort(), words };
}

/** The distinct folded words of a job's search texts, sorted (`tokenize`, as the specimen search indexes). */
export function searchWords(texts: readonly string[]): string[] {
  if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) throw bad('search text must be a list of strings');
  const chars = texts.reduce((n, t) => n + t.length, 0);
  if (chars > MAX_SEARCH_TEXT_CHARS) throw bad(`search text must be at most ${MAX_SEARCH_TEXT_CHARS} characters`, { chars });
  return [...new Set(texts.flatMap((t) => tokenize(t)))].sort();
}

/**
 * The first string after every word that `term` is a prefix of, so that a
 * prefix is a range [term, end) of an index in binary (code point) order:
 * the term with its last character the next code point.
 */
export function prefixEnd(term: string): string {
  const chars = Array.from(term);
  const last = chars.pop()!;
  return chars.join('') + String.fromCodePoint(last.codePointAt(0)! + 1);
}

function validateCreatedBy(createdBy: unknown): asserts createdBy is string {
  if (typeof createdBy !== 'string' || createdBy.length === 0 || createdBy.length > MAX_CREATED_BY) throw bad(`createdBy must be a string of 1 to ${MAX_CREATED_BY} characters`, { createdBy });
}

function validateInput(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_INPUT_KEY) throw bad(`an input must be an object key of 1 to ${MAX_INPUT_KEY} characters`, { input: key });
}

export function toJson(value: unknown, what: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw bad(`job ${what} is not JSON-serialisable`, {}, err);
  }
  if (json === undefined) throw bad(`job ${what} is not JSON-serialisable`);
  return json;
}

export function validateLease(leaseMs: number): void {
  if (!Number.isSafeInteger(leaseMs) || leaseMs < 1 || leaseMs > MAX_LEASE_MS) throw bad(`leaseMs must be an integer from 1 to ${MAX_LEASE_MS}`, { leaseMs });
}

export function validateWorker(workerId: string): void {
  if (typeof workerId !== 'string' || workerId.length === 0 || workerId.length > 200) throw bad('workerId must be a non-empty string', { workerId });
}

export function validateProgress(p: JobProgress): JobProgress {
  if (typeof p !== 'object' || p === null || typeof p.fraction !== 'number' || !(p.fraction >= 0 && p.fraction <= 1) || typeof p.stage !== 'string') {
    throw bad('progress must be {fraction: 0..1, stage: string}', { progress: p });
  }
  return { fraction: p.fraction, stage: p.stage };
}

export function validateJobError(e: JobError): JobError {
  if (typeof e !== 'object' || e === null || typeof e.code !== 'string' || typeof e.message !== 'string') {
    throw bad('a job error must be {code: string, message: string}', { error: e });
  }
  return { code: e.code, message: e.message };
}

export function validateKinds(kinds: readonly string[] | undefined): string[] | null {
  if (kinds === undefined || kinds.length === 0) return null;
  if (!Array.isArray(kinds) || kinds.some((k) => typeof k !== 'string')) throw bad('kinds must be a list of strings');
  return [...new Set(kinds)];
}

export interface ValidListQuery {
  status: JobStatus | null;
  kind: string | null;
  createdBy: string | null;
  input: string | null;
  /** Folded query words, each a prefix of a word the job must have; empty: no text condition. */
  terms: string[];
  unindexed: boolean;
  limit: number;
  after: string | null;
}

export function validateListQuery(q: JobListQuery): ValidListQuery {
  const limit = q.limit ?? DEFAULT_JOB_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_JOB_LIST_LIMIT) throw bad(`limit must be an integer from 1 to ${MAX_JOB_LIST_LIMIT}`, { limit });
  if (q.status !== undefined && !(JOB_STATUSES as readonly string[]).includes(q.status)) throw bad('unknown job status', { status: q.status });
  if (q.createdBy !== undefined) validateCreatedBy(q.createdBy);
  if (q.input !== undefined) validateInput(q.input);
  if (q.after !== undefined && (typeof q.after !== 'string' || !JOB_ID.test(q.after))) throw unknownAfter(q.after);
  const text = q.q ?? '';
  if (typeof text !== 'string') throw bad('q must be a string');
  if (text.length > MAX_JOB_QUERY_CHARS) throw bad(`the search text is longer than ${MAX_JOB_QUERY_CHARS} characters`, { maxChars: MAX_JOB_QUERY_CHARS });
  const terms = [...new Set(tokenize(text))];
  if (terms.length > MAX_QUERY_TERMS) throw bad(`the search text has more than ${MAX_QUERY_TERMS} words`, { maxTerms: MAX_QUERY_TERMS });
  if (q.unindexed !== undefined && typeof q.unindexed !== 'boolean') throw bad('unindexed must be true or false', { unindexed: q.unindexed });
  return {
    status: q.status ?? null,
    kind: q.kind ?? null,
    createdBy: q.createdBy ?? null,
    input: q.input ?? null,
    terms,
    unindexed: q.unindexed ?? false,
    limit,
    after: q.after ?? null,
  };
}

/** `after` names no job: it is not the last job of an earlier page. */
export const unknownAfter = (after: unknown) => bad('after must be the id of a job listed before', { after: typeof after === 'string' ? after.slice(0, 100) : after });

/**
 * The submitter and inputs of a job written before the store kept them: a
 * comparison job had both in its payload, as the comparison service wrote it
 * (`{createdBy, questioned: {<light>: {key}}}`); any other job has none.
 * (JOBS_SCHEMA_V2 reads the same from SQL.)
 */
export function earlierSubmission(kind: string, payloadJson: string): { createdBy: string | null; inputs: string[] } {
  if (kind !== 'comparison') return { createdBy: null, inputs: [] };
  const payload = JSON.parse(payloadJson) as { createdBy?: unknown; questioned?: unknown } | null;
  const createdBy = typeof payload?.createdBy === 'string' ? payload.createdBy : null;
  const questioned = payload?.questioned;
  const keys =
    typeof questioned === 'object' && questioned !== null && !Array.isArray(questioned)
      ? Object.values(questioned).flatMap((q: unknown) => (typeof (q as { key?: unknown } | null)?.key === 'string' ? [(q as { key: string }).key] : []))
      : [];
  return { createdBy, inputs: [...new Set(keys)].sort() };
}

export const jobNotFound = (id: string) => new ExemplarError('JOB_NOT_FOUND', 'job not found', { id });

/** The worker no longer holds the job: it finished, was cancelled, or another worker took it over. */
export const leaseLost = (job: Pick<Job, 'id' | 'status' | 'workerId'>, workerId: string) =>
  new ExemplarError('CONFLICT', `job ${job.id} is no longer held by worker ${workerId}`, {
    reason: 'LEASE_LOST',
    id: job.id,
    status: job.status,
  });

export const TERMINAL: readonly JobStatus[] = ['done', 'failed', 'cancelled'];

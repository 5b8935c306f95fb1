/**
 * CatalogStore port: everything the services need from the metadata store.
 * Adapters: `catalog.sqlite.ts` (embedded default, better-sqlite3 + FTS5) and
 * `catalog.mongo.ts` (official driver). Both pass `catalog.contract.ts`.
 *
 * A specimen is stored as one document (captures, images and feature zones
 * embedded): reading a specimen is one lookup, and a write is one atomic
 * revision-checked replacement.
 */
import type { Specimen } from '@exemplar/specimens-schema';
import type { AuditLog } from '../audit/audit.port';
import { ExemplarError } from '../errors';
import type { RecordStore } from './records.port';

/** Facets counted by `search`. Each facet's counts apply every other filter
 * but its own (disjunctive faceting), so a user sees the alternatives.
 * `tags` is the exception: its filter is an AND, so its counts apply every
 * filter including its own and each count is the size of the result if that
 * tag were added. `year` counts every year a specimen was issued in (an open
 * `issued.to` runs to the current year). Values with a zero count are left
 * out; values are ordered by count, then value. */
export const FACETS = [
  'issuingState',
  'documentCategory',
  'documentCode',
  'status',
  'forgeryMethod',
  'featureType',
  'lightSource',
  'classification',
  'tags',
  'year',
] as const;
export type FacetName = (typeof FACETS)[number];

export const SORTS = ['-updatedAt', 'updatedAt', '-createdAt', 'createdAt', 'title', '-title', 'issuingState', '-issuingState', 'relevance'] as const;
export type SpecimenSort = (typeof SORTS)[number];

export interface SpecimenQuery {
  /**
   * Free text over title, description, notes and series. The text is split
   * into words (letters and digits, case and accents folded); every word must
   * be the prefix of a word in one of those fields. Punctuation and search
   * syntax have no meaning, so no input is an error except one too long
   * (BAD_REQUEST); text without any word matches everything.
   */
  q?: string;
  issuingState?: string[];
  documentCategory?: string[];
  documentCode?: string[];
  status?: string[];
  forgeryMethod?: string[];
  /** Feature-zone types present on any capture. */
  featureType?: string[];
  /** Light sources present on any capture. */
  lightSource?: string[];
  classification?: string[];
  /** Every tag listed must be present (AND), unlike the other facets (OR). */
  tags?: string[];
  /** Specimens whose issued years overlap [yearFrom, yearTo] (either bound may be omitted). */
  yearFrom?: number;
  yearTo?: number;
  /** Specimens that imitate this one. */
  imitates?: string;
  sort?: SpecimenSort;
  /** 1..200, default 50. */
  limit?: number;
  /** Opaque, from a previous page's `nextCursor`; only valid with the same query and sort (else BAD_REQUEST). */
  cursor?: string;
}

/*
 * Sort order: every sort ends with the id in the same direction, so pages are
 * stable under ties. `title` orders by the folded words of the title.
 * `relevance` puts first the specimens with the most query words matching the
 * title, then the most recently updated; without `q` it is `-updatedAt`.
 */

export interface FacetCount {
  value: string;
  count: number;
}

export interface SpecimenPage {
  items: Specimen[];
  facets: Record<FacetName, FacetCount[]>;
  total: number;
  nextCursor: string | null;
}

/** What `changedSince` reports: the specimens written or deleted after a change marker. */
export interface SpecimenChanges {
  /** The marker to pass next time (it covers every change listed here). */
  marker: number;
  /**
   * True when the changes since the marker given cannot be listed (the
   * marker is negative, older than the store's change history, or from
   * another store): the caller must reload everything. `changes` is empty then.
   */
  reset: boolean;
  /**
   * Each specimen changed since the marker, once, with its current revision,
   * or null when it no longer exists. A specimen listed before may be listed
   * again (consumers compare revisions).
   */
  changes: { id: string; revision: number | null }[];
}

/**
 * How much change history a catalog keeps for `changedSince`. Entries older
 * than the last `kept` change numbers are pruned (once every `pruneEvery`
 * writes), so the history stays bounded however many specimens come and go;
 * a reader whose marker is older than what is kept gets `reset` and reloads,
 * never a list that silently misses a deletion.
 */
export interface ChangeHistoryOptions {
  kept: number;
  pruneEvery: number;
}

export const DEFAULT_CHANGE_HISTORY: Readonly<ChangeHistoryOptions> = Object.freeze({ kept: 65536, pruneEvery: 1024 });

/** The options as given, checked (both whole numbers, at least 1). */
export function changeHistoryOptions(given: Partial<ChangeHistoryOptions> | undefined): ChangeHistoryOptions {
  const o = { ...DEFAULT_CHANGE_HISTORY, ...given };
  for (const [name, v] of Object.entries(o)) if (!Number.isInteger(v) || v < 1) throw new RangeError(`changeHistory.${name} must be a whole number ≥ 1`);
  return o;
}

/**
 * A hold on a specimen, or on one of its captures, by a record that is about
 * to rely on it as evidence (a case, a verification request, a comparison
 * job: what its submission named, or the reference identification gave it),
 * taken before that record is written. While a hold is stored the store refuses to delete
 * the specimen, and to replace it without a held capture: CONFLICT with
 * `details.reason` EVIDENCE_HELD and `details.holds`. Taking a hold checks
 * that the specimen (and capture) exists in the same atomic step, so a hold
 * and a delete can never both succeed: whichever comes second fails. Holds
 * are not part of the specimen: they leave its revision and change history
 * alone, and `get` and `search` do not show them.
 *
 * A delete may go ahead over holds its caller has judged done (their
 * holders have written what they were for, and the caller checked what
 * those writes link only after judging): it reads them with `holds`, and
 * passes that read's `taken` to `delete` or `replace`, which then refuse only
 * if a hold was taken since, in the same atomic step as the write. Releases
 * do not count, so a holder may let its hold go once its write is done
 * without a delete that judged the holds before that write slipping past
 * (and holders do: a stored hold is one whose write is still to come, or
 * one a failed write or a dead process left, which the next delete judges).
 */
export interface EvidenceHold {
  /** `<kind>:<id>` of the record relying on it, e.g. `case:<id>`, `verification-request:<id>`, `comparison:<job id>`. */
  holder: string;
  /** The holder's revision whose write needs the hold: once the holder is at or past it, the hold has done its work (for a comparison job, 0 for the holds its submission took, else the attempt that took it; they stand while the job is queued or running). */
  holderRevision: number;
  /** The capture held; null holds the specimen itself (its captures may go, it may not). */
  captureId: string | null;
  /** When the hold was taken (ISO 8601). */
  at: string;
}

export const EVIDENCE_HELD = 'EVIDENCE_HELD';

/** The CONFLICT a delete or replace answers while holds stand in its way. */
export function evidenceHeld(id: string, holds: readonly EvidenceHold[]): ExemplarError {
  return new ExemplarError('CONFLICT', `specimen ${id} is held as evidence by ${[...new Set(holds.map((h) => h.holder))].join(', ')}`, { reason: EVIDENCE_HELD, id, holds });
}

export const HOLDS_CHANGING = 'HOLDS_CHANGING';

/**
 * The answer when holds on a specimen kept changing under a write that
 * checks them, attempt after attempt, though none was found standing in its
 * way: contention, not evidence (SPECIMEN_BUSY, 503 with Retry-After); the
 * same write tried again a moment later goes ahead.
 */
export function holdsChanging(id: string, details: Record<string, unknown> = {}): ExemplarError {
  return new ExemplarError('SPECIMEN_BUSY', `the evidence holds on specimen ${id} kept changing while this change checked them (other records are being linked to it and let go), though none was found in its way; try again in a moment`, {
    reason: HOLDS_CHANGING,
    id,
    ...details,
    retryAfterSeconds: 1,
  });
}

/** The holds of a CONFLICT from `evidenceHeld`; null for any other error. */
export function heldBy(err: unknown): EvidenceHold[] | null {
  return err instanceof ExemplarError && err.code === 'CONFLICT' && err.details.reason === EVIDENCE_HELD ? (err.details.holds as EvidenceHold[]) : null;
}

/** The holds on a specimen, read in one step. */
export interface SpecimenHolds {
  holds: EvidenceHold[];
  /** How many times a hold was taken on the specimen (each `hold` that stored or repeated one); never goes down, releases leave it. */
  taken: number;
}

/** The holds that stop `next` from replacing the stored specimen: those on a capture it no longer has. */
export function holdsDropped(holds: readonly EvidenceHold[], next: Specimen): EvidenceHold[] {
  const kept = new Set(next.captures.map((c) => c.id));
  return holds.filter((h) => h.captureId !== null && !kept.has(h.captureId));
}

export interface SpecimenRepository {
  /** Inserts a new specimen as given (the service sets id, revision 1 and timestamps). CONFLICT if the id exists. */
  create(specimen: Specimen): Promise<Specimen>;
  get(id: string): Promise<Specimen | null>;
  /**
   * Replaces the stored specimen when its revision equals `expectedRevision`;
   * the stored revision becomes `next.revision` (the service sets it to expected + 1).
   * SPECIMEN_NOT_FOUND when absent, REVISION_CONFLICT (with `details.currentRevision`) when stale,
   * CONFLICT (EVIDENCE_HELD) when `next` lacks a capture that is held. Holds stay.
   * With `holdsTaken` (the `taken` of a `holds` read whose holds the caller judged done):
   * CONFLICT (EVIDENCE_HELD) only if a hold was taken since; the holds on a capture
   * `next` lacks go with it.
   */
  replace(id: string, expectedRevision: number, next: Specimen, holdsTaken?: number): Promise<Specimen>;
  /**
   * SPECIMEN_NOT_FOUND when absent; REVISION_CONFLICT when `expectedRevision` is given and stale; CONFLICT (EVIDENCE_HELD)
   * while any hold is stored, or with `holdsTaken` (as for replace) only if a hold was taken since; the holds go with the specimen.
   */
  delete(id: string, expectedRevision?: number, holdsTaken?: number): Promise<void>;
  /**
   * Stores a hold (see EvidenceHold) if the specimen, and the capture named,
   * exist at that moment: SPECIMEN_NOT_FOUND or CAPTURE_NOT_FOUND, and nothing
   * stored, otherwise. A hold with the same holder, holder revision and
   * capture as a stored one is not stored twice (it still counts as taken).
   */
  hold(id: string, hold: EvidenceHold): Promise<void>;
  /** The holds stored on a specimen and how many were taken, in one read (none and 0 when no specimen). */
  holds(id: string): Promise<SpecimenHolds>;
  /** Removes the hold with that holder, holder revision and capture; false when there was none. */
  releaseHold(id: string, hold: EvidenceHold): Promise<boolean>;
  /**
   * Removes every hold of `holder`, on any specimen, and says how many went
   * (releases leave the count of holds taken). For a holder that has ended and
   * writes nothing more — a comparison job done, failed or cancelled — whose
   * holds include ones it cannot name: the reference an earlier attempt, in a
   * process that died, chose and held.
   */
  releaseHolder(holder: string): Promise<number>;
  search(query: SpecimenQuery): Promise<SpecimenPage>;
  /**
   * Every object key any specimen references (originals and derivatives), each
   * once, in key order, for verify and repair. A `dzi` derivative key names the
   * descriptor; its tiles live under the same prefix.
   */
  referencedObjectKeys(): AsyncIterable<string>;
  /**
   * Ids of the specimens that reference `key` (an original's or a
   * derivative's object key), in id order, at most `limit` (default all).
   * Indexed: what an object clean-up asks before removing one image.
   */
  referencingSpecimens(key: string, limit?: number): Promise<string[]>;
  /** Every specimen id, in id order, for export and verify. */
  ids(): AsyncIterable<string>;
  count(): Promise<number>;
  /**
   * The specimens created, replaced or deleted after `marker` (from a previous
   * answer; -1 asks only for the current marker, with `reset` true). Cheap when
   * nothing changed, so a process can ask before every use of an in-memory
   * copy of the catalogue. The history behind it is bounded
   * (`ChangeHistoryOptions`): a marker older than it answers `reset`.
   */
  changedSince(marker: number): Promise<SpecimenChanges>;
}

export const JOB_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export interface JobProgress {
  /** 0..1 */
  fraction: number;
  stage: string;
}

export interface JobError {
  code: string;
  message: string;
}

export interface NewJob {
  /** Chosen by the caller (pattern ^[A-Za-z0-9_-]{6,64}$, it names object keys); CONFLICT if it exists. */
  id: string;
  kind: string;
  /** JSON-serialisable. */
  payload: unknown;
  /** Higher runs first; default 0. */
  priority?: number;
  /** Claims allowed before a job whose lease keeps expiring is failed; default 3. */
  maxAttempts?: number;
  /** Who submitted it (a user id, 1..200 characters); `list({createdBy})` finds every job of theirs, however old. */
  createdBy?: string;
  /** Object keys the job reads (at most 100, each 1..1024 characters); `list({input})` finds the jobs reading one. */
  inputs?: readonly string[];
  /**
   * What the job is found by (`list({q})`): texts whose words, folded as the
   * specimen search folds them, are indexed with the job. Absent: the job is
   * not indexed, and `list({unindexed: true})` finds it until `addSearchText`.
   */
  searchText?: readonly string[];
}

export interface Job {
  id: string;
  kind: string;
  status: JobStatus;
  priority: number;
  payload: unknown;
  result: unknown;
  error: JobError | null;
  progress: JobProgress | null;
  /** Number of claims so far. */
  attempts: number;
  maxAttempts: number;
  /** The worker holding (or last holding) the lease. */
  workerId: string | null;
  /** The submitter given at enqueue; null when none was. */
  createdBy: string | null;
  /** The object keys given at enqueue, without repeats, sorted. */
  inputs: string[];
  leaseExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface JobListQuery {
  status?: JobStatus;
  kind?: string;
  /** Only the jobs of this submitter (indexed: no limit on how far back they are found). */
  createdBy?: string;
  /** Only the jobs reading this object key (indexed). */
  input?: string;
  /**
   * Free text: split into words (letters and digits, case and accents folded,
   * as the specimen search does); every word must be the prefix of a word of
   * the job's search text. Text without words matches every job; more than
   * MAX_JOB_QUERY_CHARS characters or MAX_QUERY_TERMS words → BAD_REQUEST.
   * Jobs are still listed newest first and paged with `after`.
   */
  q?: string;
  /** Only the jobs enqueued without search text and given none since (`addSearchText`). */
  unindexed?: boolean;
  /** 1..1000, default 50. Newest first. */
  limit?: number;
  /**
   * The next page: only the jobs listed after this one (the id of the last
   * job of the previous page). Jobs are kept for good and never move in the
   * order, so pages neither repeat nor skip a job, however many are enqueued
   * meanwhile. An unknown id → BAD_REQUEST.
   */
  after?: string;
}

/** The code a job gets when its lease expired `maxAttempts` times. */
export const JOB_LEASE_EXPIRED = 'LEASE_EXPIRED';

/**
 * A persistent work queue shared by every server and worker process on the
 * same store. A worker claims a job for `leaseMs`, extends the lease with
 * heartbeats while it works and finishes with complete or fail. A job whose
 * lease expires (the worker died) is claimed again, until it has been claimed
 * `maxAttempts` times; then `claim` passes it by and `failExhausted` fails it
 * with code `LEASE_EXPIRED`, handing it to its caller. Timestamps are
 * the clocks of the processes involved, which must agree to well within a lease.
 *
 * heartbeat, complete and fail succeed only while the job is running under the
 * caller's `workerId` (a lease that expired but was not yet taken over is still
 * held); otherwise they throw CONFLICT with `details.reason = 'LEASE_LOST'` and
 * `details.status`. They throw JOB_NOT_FOUND for an unknown id.
 */
export interface JobRepository {
  enqueue(job: NewJob): Promise<Job>;
  /** Atomically claims the highest-priority, oldest claimable job (queued, or running with an expired lease) of the given kinds (any kind when omitted or empty). */
  claim(workerId: string, leaseMs: number, kinds?: readonly string[]): Promise<Job | null>;
  /** Records progress and extends the lease by the `leaseMs` given at claim. */
  heartbeat(id: string, workerId: string, progress: JobProgress): Promise<Job>;
  complete(id: string, workerId: string, result: unknown): Promise<Job>;
  fail(id: string, workerId: string, error: JobError): Promise<Job>;
  /**
   * Fails (LEASE_EXPIRED) the running jobs of the given kinds (any when omitted
   * or empty) whose lease expired on their last allowed attempt, and returns
   * them: nobody runs them again, so the caller lets go of what they held.
   * Each is returned by one call only, however many processes ask at once.
   */
  failExhausted(kinds?: readonly string[]): Promise<Job[]>;
  /** Cancels a queued or running job (its worker's next heartbeat fails); a finished job is returned unchanged. */
  cancel(id: string): Promise<Job>;
  get(id: string): Promise<Job | null>;
  list(query?: JobListQuery): Promise<Job[]>;
  /** Adds the words of these texts to what the job is found by (it counts as indexed from then on); idempotent. JOB_NOT_FOUND for an unknown id. */
  addSearchText(id: string, texts: readonly string[]): Promise<void>;
}

export interface CatalogStore {
  readonly kind: 'sqlite' | 'mongodb';
  readonly specimens: SpecimenRepository;
  readonly jobs: JobRepository;
  /** Users, sessions, cases, alerts and the other small collections (records.port.ts). */
  readonly records: RecordStore;
  /** The append-only, hash-chained audit trail (audit/audit.port.ts). */
  readonly audit: AuditLog;
  /** Creates tables / collections and indexes; idempotent. */
  init(): Promise<void>;
  close(): Promise<void>;
}

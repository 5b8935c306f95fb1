/**
 * Comparison jobs as the API sees them: submission (questioned images
 * uploaded, or named by sha256), status and results, output downloads,
 * cancellation. The work itself is done by ComparisonRunner, in this process
 * or in `exemplar worker` processes sharing the catalog and object stores.
 *
 * Questioned originals are evidence: they are stored byte-exact, content-
 * addressed under `questioned/<sha>` (a catalogued original named by the JSON
 * form stays where it is), and a submission that fails part way removes
 * the objects it created and enqueues nothing.
 *
 * Jobs record who submitted them (`createdBy`, in the payload and to the job
 * store, which finds a submitter's jobs however many others came since), so
 * that a border officer reads only their own submissions.
 *
 * A comparison is found by the words the lists show of it (`comparisonSearchText`):
 * its id, its submitter, its notes, the file names of its questioned images
 * and its reference's title, given to the job store at submission (an `auto`
 * reference's title when the runner has chosen it). The title is taken as it
 * was then: the job store holds words, not specimens. Jobs written before
 * comparisons had search text are given theirs by the first search to meet
 * them (`indexEarlierComparisons`).
 *
 * What a comparison names in the catalogue is evidence it relies on until it
 * ends: a named reference capture, and the capture of any catalogued original
 * named as a questioned image, are held (EvidenceHold, holder
 * `comparison:<job id>`, holder revision SUBMISSION_HOLD_REVISION) before the
 * job is enqueued. The catalog takes a hold only while the capture exists, in
 * one atomic step, so a delete either came first (the submission answers 404,
 * nothing queued) or is refused while the job is queued or running
 * (CaseService.liveHolds). The payload lists these holds; the runner lets
 * them go when the job ends, and a cancellation when it cancels the job.
 * From then on what a case or verification request linking the comparison
 * relies on keeps them: the reference, and the capture keeping each
 * catalogued questioned original (CaseService.evidenceOf, evidenceUses).
 */
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  validate,
  type Comparison,
  type ComparisonReference,
  type ComparisonRequest,
  type ComparisonRequestRecord,
  type ComparisonResult,
  type IdentificationResult,
  type LightSourceId,
  type QuestionedImage,
} from '@exemplar/specimens-schema';
import { assertCan, can, canSee, READ_COMPARISONS, visibleClassifications } from '../auth/policy';
import type { LimitsConfig } from '../config';
import { ExemplarError, isExemplarError, isUnconfirmedWrite, mayHaveBeenWritten, notFound } from '../errors';
import type { CatalogStore, EvidenceHold, Job, JobStatus } from '../stores/catalog.port';
import { objectKeys, type ObjectStat, type ObjectStore } from '../stores/objects.port';
import type { Actor } from './actor';
import { KeyLocks, newRecordId, timestamp, validationFailed, valueOrThrow } from './common';
import { storeQuestionedImages, type StoredQuestionedFile } from './questioned-images';
import { describesLight } from './identify.service';
import { checkLightSourceField, type IngestFile, type IngestService } from './ingest.service';
import type { StoredImage } from './images.service';
import type { SpecimenService } from './specimens.service';
import type { AuditService } from '../audit/audit.service';

export const COMPARISON_JOB_KIND = 'comparison';
/**
 * How a comparison names itself in the evidence holds on what it relies on
 * (`comparison:<job id>`, EvidenceHold.holder): those its submission takes,
 * and the one the runner takes on the reference `auto` chooses.
 */
export const COMPARISON_HOLDER = 'comparison:';
/** The holder name of a comparison job's holds. */
export const comparisonHolder = (jobId: string): string => `${COMPARISON_HOLDER}${jobId}`;
/**
 * The holder revision of the holds a submission takes (before the job exists,
 * so before any attempt): they stand for every attempt, while the runner's
 * hold on an `auto` reference names the attempt that took it (1 and up).
 */
export const SUBMISSION_HOLD_REVISION = 0;
export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;
/** Output names under /api/comparisons/:id/outputs/. */
const OUTPUT_NAME = /^([a-z0-9-]+)\.(aligned\.png|heatmap\.png|regions\.json)$/;

/** A questioned original as the job payload records it. */
export type StoredQuestioned = Omit<StoredQuestionedFile, 'lightSource'>;

/** `payload` of a comparison job. */
export interface ComparisonJobPayload {
  v: 1;
  request: ComparisonRequestRecord;
  questioned: Partial<Record<LightSourceId, StoredQuestioned>>;
  /** The submitting actor: the owner of the comparison. */
  createdBy: string;
  /** The classifications the submitter may see: an automatic reference is chosen only among them (absent: any). */
  classifications?: string[];
  /** The captures the submission holds (SUBMISSION_HOLD_REVISION), let go when the job ends; absent in jobs submitted before submissions held anything. */
  holds?: HeldCapture[];
}

/** A capture a comparison's submission holds as evidence. */
export interface HeldCapture {
  specimenId: string;
  captureId: string;
}

const submissionHold = (jobId: string, captureId: string, at: string): EvidenceHold => ({ holder: comparisonHolder(jobId), holderRevision: SUBMISSION_HOLD_REVISION, captureId, at });

/** The holds a job's submission took (their `at` does not identify them: the job's creation stands in for it). */
export function submissionHolds(job: Job): Array<{ specimenId: string; hold: EvidenceHold }> {
  const payload = job.payload as ComparisonJobPayload;
  return (payload.holds ?? []).map(({ specimenId, captureId }) => ({ specimenId, hold: submissionHold(job.id, captureId, job.createdAt) }));
}

/** Whether two references name the same capture. */
export const sameCapture = (a: HeldCapture, b: HeldCapture): boolean => a.specimenId === b.specimenId && a.captureId === b.captureId;

/** Whether a questioned image was read from a catalogued original (`originals/<sha>`) rather than stored with the comparison. */
export const isCatalogued = (q: StoredQuestioned): boolean => q.key === objectKeys.original(q.sha256);

/**
 * The captures whose images include this catalogued original, in specimen id
 * order then capture order (the specimens of the first
 * NAMED_REFERENCES_CHECKED referencing it): those a comparison naming it as a
 * questioned image may hold, and among which CaseService finds the one a
 * case or request linking the comparison keeps.
 */
export async function capturesKeeping(catalog: CatalogStore, sha256: string): Promise<HeldCapture[]> {
  const captures: HeldCapture[] = [];
  for (const specimenId of await catalog.specimens.referencingSpecimens(objectKeys.original(sha256), NAMED_REFERENCES_CHECKED)) {
    const specimen = await catalog.specimens.get(specimenId);
    for (const c of specimen?.captures ?? []) if (c.images.some((i) => i.sha256 === sha256)) captures.push({ specimenId, captureId: c.id });
  }
  return captures;
}

/** `result` of a finished comparison job. */
export interface ComparisonJobResult {
  v: 1;
  reference: ComparisonReference;
  identification: IdentificationResult | null;
  result: ComparisonResult;
}

export interface ComparisonServiceDeps {
  catalog: CatalogStore;
  objects: ObjectStore;
  specimens: SpecimenService;
  ingest: IngestService;
  limits: LimitsConfig;
  tmpDir: string;
  /** Comparisons allowed to wait for a worker; more are refused with QUEUE_FULL (503). */
  maxQueued: number;
  /** Told after a job is enqueued (wakes an idle runner in this process). */
  onEnqueued?: () => void;
  onCleanupError?: (key: string, err: unknown) => void;
  /** Submissions, cancellations, reads of questioned originals and of outputs (when their bytes are sent) are recorded in the audit trail. */
  audit?: AuditService;
  /** The per-key locks of everything that stores or removes images (context.ts); a private table when absent. */
  imageLocks?: KeyLocks;
}

export interface ListQuery {
  status?: JobStatus | undefined;
  /** Words, each the start of a word the lists show of a comparison (comparisonSearchText); case and accents folded. */
  q?: string | undefined;
  limit?: number | undefined;
  /** `nextCursor` of the previous page (with the same status). */
  cursor?: string | undefined;
}

/** A page of comparisons, newest first. */
export interface ComparisonPage {
  items: Comparison[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/** A stored output to stream (an object never rewritten once the job is done). */
export interface StoredOutput extends StoredImage {
  readonly sha256: string;
}

export const outputUrl = (id: string, name: string) => `/api/comparisons/${id}/outputs/${name}`;
export const questionedUrl = (id: string, lightSource: string) => `/api/comparisons/${id}/questioned/${lightSource}`;

export function isComparisonPayload(p: unknown): p is ComparisonJobPayload {
  return typeof p === 'object' && p !== null && (p as { v?: unknown }).v === 1 && typeof (p as { request?: unknown }).request === 'object';
}

/**
 * What a comparison is found by: what the lists show of it — its id, its
 * submitter, its notes (the first line is its title), the file names of its
 * questioned images — and the title of its reference specimen, when known.
 */
export function comparisonSearchText(jobId: string, payload: ComparisonJobPayload, referenceTitle: string | undefined): string[] {
  const names = Object.values(payload.questioned).flatMap((q) => (q?.originalName !== undefined ? [q.originalName] : []));
  return [jobId, payload.createdBy, payload.request.notes ?? '', ...names, ...(referenceTitle !== undefined ? [referenceTitle] : [])];
}

/** Comparisons indexed per round of `indexEarlierComparisons`. */
const INDEX_SLICE = 100;

/** Specimens looked at to decide whether a named original is one the actor may see (one is enough). */
const NAMED_REFERENCES_CHECKED = 50;

/** Submitters read their own comparisons; `comparisons:read-all` every one. */
function assertCanReadComparisons(actor: Actor): void {
  assertCan(actor, READ_COMPARISONS);
}

export class ComparisonService {
  private readonly catalog: CatalogStore;
  private readonly objects: ObjectStore;
  private readonly specimens: SpecimenService;
  private readonly ingest: IngestService;
  private readonly limits: LimitsConfig;
  private readonly tmpDir: string;
  private readonly maxQueued: number;
  private readonly onEnqueued: () => void;
  private readonly onCleanupError: (key: string, err: unknown) => void;
  private readonly audit: AuditService | undefined;
  private readonly imageLocks: KeyLocks;

  constructor(deps: ComparisonServiceDeps) {
    this.catalog = deps.catalog;
    this.objects = deps.objects;
    this.specimens = deps.specimens;
    this.ingest = deps.ingest;
    this.limits = deps.limits;
    this.tmpDir = deps.tmpDir;
    this.maxQueued = deps.maxQueued;
    this.onEnqueued = deps.onEnqueued ?? (() => undefined);
    this.onCleanupError = deps.onCleanupError ?? (() => undefined);
    this.audit = deps.audit;
    this.imageLocks = deps.imageLocks ?? new KeyLocks();
  }

  /**
   * A comparison of uploaded questioned images (files on disk, one per light
   * source; only read) with a reference capture or `auto`. The files are
   * checked like a capture upload before anything is stored.
   */
  async submitUpload(body: unknown, files: readonly IngestFile[], actor: Actor): Promise<Comparison> {
    assertCan(actor, 'comparisons:submit');
    const request = this.parseRequest(body);
    if (request.questioned !== undefined) {
      throw validationFailed('comparison', [{ path: '/questioned', message: 'is given by the file parts of an upload, not in the comparison field', keyword: 'additionalProperties' }]);
    }
    if (files.length === 0) throw validationFailed('comparison upload', [{ path: '', message: 'a comparison needs at least one questioned image', keyword: 'minImages' }]);
    if (files.length > this.limits.maxImagesPerCapture) {
      throw new ExemplarError('PAYLOAD_TOO_LARGE', `A questioned capture has at most ${this.limits.maxImagesPerCapture} images`, { images: files.length, maxImages: this.limits.maxImagesPerCapture });
    }
    const seen = new Set<string>();
    for (const f of files) checkLightSourceField(f.lightSource, seen);
    const reference = await this.checkReference(request, [...seen], actor);
    await this.checkQueue();
    const deps = { objects: this.objects, ingest: this.ingest, locks: this.imageLocks, onCleanupError: this.onCleanupError };
    const comparison = await storeQuestionedImages(deps, files, async (stored) => {
      const questioned: ComparisonJobPayload['questioned'] = {};
      for (const { lightSource, ...image } of stored) questioned[lightSource] = image;
      return this.enqueue(request, questioned, actor, reference.title);
    });
    await this.recordSubmit(comparison, actor);
    return comparison;
  }

  /** A comparison of images already stored (earlier questioned uploads or catalogued originals), named by sha256. */
  async submitNamed(body: unknown, actor: Actor): Promise<Comparison> {
    assertCan(actor, 'comparisons:submit');
    const request = this.parseRequest(body);
    const named = request.questioned?.images;
    if (!named || Object.keys(named).length === 0) {
      throw validationFailed('comparison', [{ path: '/questioned', message: 'names the questioned images (sha256 per light source); or upload them as multipart/form-data', keyword: 'required' }]);
    }
    const reference = await this.checkReference(request, Object.keys(named), actor);
    await this.checkQueue();
    const questioned: ComparisonJobPayload['questioned'] = {};
    for (const [lightSource, sha256] of Object.entries(named) as [LightSourceId, string][]) {
      await this.assertMayName(sha256, actor);
      const stored = await this.describeStored(lightSource, sha256);
      const originalName = await this.uploadedName(stored, actor);
      questioned[lightSource] = { ...stored, ...(originalName !== undefined && { originalName }) };
    }
    const comparison = await this.enqueue(request, questioned, actor, reference.title);
    await this.recordSubmit(comparison, actor);
    return comparison;
  }

  private async recordSubmit(comparison: { id: string; questioned: Partial<Record<LightSourceId, { sha256: string }>>; request: Pick<ComparisonRequestRecord, 'reference'> }, actor: Actor): Promise<void> {
    await this.audit?.record({
      actor,
      action: 'comparison.submit',
      target: { kind: 'comparison', id: comparison.id },
      hashes: Object.fromEntries(Object.entries(comparison.questioned).map(([light, q]) => [`questioned/${light}`, q!.sha256])),
      details: { reference: comparison.request.reference },
    });
  }

  async get(id: string, actor: Actor): Promise<Comparison> {
    return this.view(await this.job(id, actor));
  }

  /**
   * Newest first, a page at a time; without `comparisons:read-all` (border
   * officers) only the actor's own submissions; with `q` only those whose
   * search text (comparisonSearchText) has a word starting with each word of
   * it. The cursor is the id of the
   * page's last comparison, so later pages neither repeat nor skip one
   * however many are submitted meanwhile; one the actor could not have been
   * given (another officer's comparison) is refused like a made-up one.
   */
  async list(query: ListQuery, actor: Actor): Promise<ComparisonPage> {
    assertCanReadComparisons(actor);
    const limit = query.limit ?? DEFAULT_LIST_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) throw new ExemplarError('BAD_REQUEST', `limit must be an integer from 1 to ${MAX_LIST_LIMIT}`, { limit });
    const own = !can(actor, 'comparisons:read-all');
    const { cursor } = query;
    if (cursor !== undefined) {
      const last = await this.catalog.jobs.get(cursor);
      if (!last || last.kind !== COMPARISON_JOB_KIND || (own && last.createdBy !== actor.id)) {
        throw new ExemplarError('BAD_REQUEST', 'cursor is not one this API gave', { cursor: cursor.slice(0, 100) });
      }
    }
    if (query.q !== undefined && query.q.trim() !== '') await this.indexEarlierComparisons();
    const jobs = await this.catalog.jobs.list({
      kind: COMPARISON_JOB_KIND,
      // One more than the page: whether there is a next page.
      limit: limit + 1,
      ...(query.status && { status: query.status }),
      ...(query.q !== undefined && { q: query.q }),
      ...(own && { createdBy: actor.id }),
      ...(cursor !== undefined && { after: cursor }),
    });
    const page = jobs.slice(0, limit);
    return {
      items: page.filter((j) => isComparisonPayload(j.payload)).map((j) => this.view(j)),
      nextCursor: jobs.length > limit ? page[page.length - 1]!.id : null,
    };
  }

  /**
   * Gives the comparisons enqueued before they had search text theirs, a
   * slice at a time until none is left; after that, one indexed look-up that
   * finds none. Safe in several processes at once: adding words is idempotent.
   */
  async indexEarlierComparisons(): Promise<number> {
    let indexed = 0;
    for (;;) {
      const jobs = await this.catalog.jobs.list({ kind: COMPARISON_JOB_KIND, unindexed: true, limit: INDEX_SLICE });
      for (const job of jobs) {
        if (!isComparisonPayload(job.payload)) {
          await this.catalog.jobs.addSearchText(job.id, [job.id]);
          continue;
        }
        const done = job.status === 'done' ? (job.result as ComparisonJobResult | null) : null;
        const requested = job.payload.request.reference;
        const reference = done?.reference ?? (requested === 'auto' ? null : requested);
        const title = reference ? (await this.catalog.specimens.get(reference.specimenId))?.title : undefined;
        await this.catalog.jobs.addSearchText(job.id, comparisonSearchText(job.id, job.payload, title));
      }
      indexed += jobs.length;
      if (jobs.length < INDEX_SLICE) return indexed;
    }
  }

  /** Cancels a queued or running comparison (its worker stops at its next heartbeat); a finished one is returned unchanged. Its submitter, or `comparisons:manage`. */
  async cancel(id: string, actor: Actor): Promise<Comparison> {
    const job = await this.job(id, actor);
    if ((job.payload as ComparisonJobPayload).createdBy !== actor.id) assertCan(actor, 'comparisons:manage');
    const ended = await this.catalog.jobs.cancel(id);
    // A cancelled job writes nothing more (its runner, if any, can no longer complete it): what it held is let go.
    if (ended.status === 'cancelled') await this.releaseHolds(ended);
    const cancelled = this.view(ended);
    await this.audit?.record({ actor, action: 'comparison.cancel', target: { kind: 'comparison', id }, details: { status: cancelled.status } });
    return cancelled;
  }

  /** An output of a finished comparison, by name (`white.heatmap.png` …). */
  async output(id: string, name: string, actor: Actor): Promise<StoredOutput> {
    const job = await this.job(id, actor);
    const m = OUTPUT_NAME.exec(name);
    const result = job.status === 'done' ? (job.result as ComparisonJobResult | null) : null;
    const entry = m && result ? result.result.lights.find((l) => l.lightSource === m[1]) : undefined;
    const out = entry ? Object.values(entry.outputs).find((o) => o.name === name) : undefined;
    if (!out) throw notFound('NOT_FOUND', `Output ${name} of comparison ${id}`, { id, name, status: job.status });
    const key = objectKeys.comparison(id, name);
    const stat = await this.objects.stat(key);
    if (!stat) throw notFound('OBJECT_NOT_FOUND', `Output ${name} of comparison ${id}`, { id, name });
    return {
      ...this.stored(stat, out.sha256, out.contentType),
      // What the comparison derived from the evidence (an exhibit carries it): who took it, and when, belongs in the custody log.
      recordRead: async () => {
        await this.audit?.record({ actor, action: 'comparison.read-output', target: { kind: 'comparison', id }, hashes: { output: out.sha256 }, details: { name } });
      },
    };
  }

  /** A questioned original of a comparison, by light source. */
  async questioned(id: string, lightSource: string, actor: Actor): Promise<StoredOutput> {
    const job = await this.job(id, actor);
    const q = (job.payload as ComparisonJobPayload).questioned[lightSource as LightSourceId];
    if (!q) throw notFound('IMAGE_NOT_FOUND', `Questioned ${lightSource} image of comparison ${id}`, { id, lightSource });
    const stat = await this.objects.stat(q.key);
    if (!stat) throw notFound('OBJECT_NOT_FOUND', `Questioned ${lightSource} image of comparison ${id}`, { id, lightSource });
    return {
      ...this.stored(stat, q.sha256, `image/${q.format}`),
      recordRead: async () => {
        await this.audit?.record({ actor, action: 'image.read-original', target: { kind: 'image', id: q.sha256 }, hashes: { original: q.sha256 }, details: { comparisonId: id, lightSource } });
      },
    };
  }

  private stored(stat: ObjectStat, sha256: string, contentType: string): StoredOutput {
    return { key: stat.key, sha256, bytes: stat.bytes, contentType, lastModified: stat.lastModified, open: (range) => this.objects.get(stat.key, range) };
  }

  /** JOB_NOT_FOUND also for someone else's comparison when the actor may read only their own. */
  private async job(id: string, actor: Actor): Promise<Job> {
    assertCanReadComparisons(actor);
    const job = await this.catalog.jobs.get(id);
    if (!job || job.kind !== COMPARISON_JOB_KIND || !isComparisonPayload(job.payload)) throw notFound('JOB_NOT_FOUND', `Comparison ${id}`, { id });
    if (job.payload.createdBy !== actor.id && !can(actor, 'comparisons:read-all')) throw notFound('JOB_NOT_FOUND', `Comparison ${id}`, { id });
    return job;
  }

  private parseRequest(body: unknown): ComparisonRequest {
    return valueOrThrow(validate('comparison-request', body), 'comparison');
  }

  /**
   * The named reference capture must exist and hold at least one image; `auto`
   * needs a questioned image that identification can search the library with.
   */
  private async checkReference(request: ComparisonRequest, lightSources: readonly string[], actor: Actor): Promise<{ title?: string }> {
    if (request.reference === 'auto') {
      if (!lightSources.some(describesLight)) {
        throw new ExemplarError('UNPROCESSABLE', 'Choosing the reference automatically needs a questioned image under white light (or another reflected visible light): choose the reference, or add a white-light image', { lightSources: [...lightSources] });
      }
      return {};
    }
    const { specimenId, captureId } = request.reference;
    const specimen = await this.specimens.get(specimenId, actor);
    const capture = specimen.captures.find((c) => c.id === captureId);
    if (!capture) throw notFound('CAPTURE_NOT_FOUND', `Capture ${captureId} of specimen ${specimenId}`, { specimenId, captureId });
    if (capture.images.length === 0) throw new ExemplarError('UNPROCESSABLE', `Capture ${captureId} has no images to compare with`, { specimenId, captureId });
    return { title: specimen.title };
  }

  private async checkQueue(): Promise<void> {
    const queued = await this.catalog.jobs.list({ kind: COMPARISON_JOB_KIND, status: 'queued', limit: this.maxQueued });
    if (queued.length >= this.maxQueued) {
      throw new ExemplarError('QUEUE_FULL', `${queued.length} comparisons are waiting already; retry later`, { queued: queued.length, maxQueued: this.maxQueued });
    }
  }

  /**
   * A hash is not a permission. Without `comparisons:read-all` an image may
   * be named only when the actor may read it already: an original of a
   * specimen they may see, or a questioned image of one of their own
   * comparisons (run again with another reference). Otherwise naming the
   * SHA-256 of a confidential specimen's original, or of another officer's
   * seized document, handed over its bytes through the comparison's
   * questioned download. IMAGE_NOT_FOUND, as for an image that is not stored.
   */
  private async assertMayName(sha256: string, actor: Actor): Promise<void> {
    if (can(actor, 'comparisons:read-all')) return;
    for (const id of await this.catalog.specimens.referencingSpecimens(objectKeys.original(sha256), NAMED_REFERENCES_CHECKED)) {
      const specimen = await this.catalog.specimens.get(id);
      if (specimen && canSee(actor, specimen.classification)) return;
    }
    // A questioned image of theirs was stored under either key (describeStored): a job of theirs reads it.
    for (const input of [objectKeys.questioned(sha256), objectKeys.original(sha256)]) {
      if ((await this.catalog.jobs.list({ kind: COMPARISON_JOB_KIND, createdBy: actor.id, input, limit: 1 })).length > 0) return;
    }
    throw notFound('IMAGE_NOT_FOUND', `Image ${sha256}`, { sha256 });
  }

  /**
   * The file name a questioned image was uploaded under, from the latest
   * comparison the actor may read that holds it: a comparison run again on
   * the same images (another reference, a retry) names the document as the
   * first did, in its viewer and in an exhibit. None for a catalogued
   * original named directly.
   */
  private async uploadedName(stored: StoredQuestioned, actor: Actor): Promise<string | undefined> {
    const own = !can(actor, 'comparisons:read-all');
    const [job] = await this.catalog.jobs.list({ kind: COMPARISON_JOB_KIND, input: stored.key, limit: 1, ...(own && { createdBy: actor.id }) });
    if (!job || !isComparisonPayload(job.payload)) return undefined;
    return Object.values(job.payload.questioned).find((q) => q?.sha256 === stored.sha256 && q.originalName !== undefined)?.originalName;
  }

  /** Metadata of a stored original named by sha256: a questioned upload first, else a catalogued original (probed from a temp copy). */
  private async describeStored(lightSource: LightSourceId, sha256: string): Promise<StoredQuestioned> {
    for (const key of [objectKeys.questioned(sha256), objectKeys.original(sha256)]) {
      const stat = await this.objects.stat(key);
      if (!stat) continue;
      await fs.mkdir(this.tmpDir, { recursive: true });
      const dir = await fs.mkdtemp(path.join(this.tmpDir, 'named-'));
      try {
        const file = path.join(dir, 'image');
        await pipeline(await this.objects.get(key), createWriteStream(file, { flags: 'wx' }));
        const checked = await this.ingest.checkFile({ lightSource, path: file });
        return { sha256, key, bytes: checked.bytes, width: checked.probe.width, height: checked.probe.height, format: checked.probe.format };
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    }
    throw notFound('IMAGE_NOT_FOUND', `Image ${sha256}`, { lightSource, sha256 });
  }

  private async enqueue(request: ComparisonRequest, questioned: ComparisonJobPayload['questioned'], actor: Actor, referenceTitle: string | undefined): Promise<Comparison> {
    const { questioned: _named, ...record } = request;
    const id = newRecordId();
    const at = timestamp();
    // Held before the job exists: a delete that judges the holds from now on finds the comparison (being) queued.
    const holds = await this.holdEvidence(id, at, request, questioned);
    const payload: ComparisonJobPayload = { v: 1, request: record, questioned, createdBy: actor.id, classifications: [...visibleClassifications(actor)], ...(holds.length > 0 && { holds }) };
    const inputs = Object.values(questioned).flatMap((q) => (q ? [q.key] : []));
    let job: Job;
    try {
      job = await this.catalog.jobs.enqueue({ id, kind: COMPARISON_JOB_KIND, payload, createdBy: actor.id, inputs, searchText: comparisonSearchText(id, payload, referenceTitle) });
    } catch (err) {
      // A job the store did not confirm may stand and run: what it names stays held (a hold whose job never came is judged done,
      // CaseService.liveHolds), and its submission is audited all the same, as SpecimenService does for such a write.
      if (!mayHaveBeenWritten(err)) await this.release(id, at, holds);
      if (isUnconfirmedWrite(err)) await this.recordSubmit({ id, questioned, request: record }, actor).catch(() => undefined);
      throw err;
    }
    this.onEnqueued();
    return this.view(job);
  }

  /**
   * Holds what the comparison names in the catalogue: the reference capture,
   * and for each questioned image read from a catalogued original a capture
   * holding it (one already held does; otherwise the first of the specimens
   * referencing it). Each hold is taken only while its capture exists, so
   * what is named cannot go between this check and the job's end. 404 (and
   * nothing held) when the reference, or every capture holding a questioned
   * original, was deleted since the request was checked.
   */
  private async holdEvidence(id: string, at: string, request: ComparisonRequest, questioned: ComparisonJobPayload['questioned']): Promise<HeldCapture[]> {
    const taken: HeldCapture[] = [];
    const take = async (specimenId: string, captureId: string): Promise<boolean> => {
      try {
        await this.catalog.specimens.hold(specimenId, submissionHold(id, captureId, at));
      } catch (err) {
        if (isExemplarError(err) && (err.code === 'SPECIMEN_NOT_FOUND' || err.code === 'CAPTURE_NOT_FOUND')) return false;
        throw err;
      }
      taken.push({ specimenId, captureId });
      return true;
    };
    try {
      if (request.reference !== 'auto') {
        const { specimenId, captureId } = request.reference;
        if (!(await take(specimenId, captureId))) throw notFound('CAPTURE_NOT_FOUND', `Capture ${captureId} of specimen ${specimenId}`, { specimenId, captureId });
      }
      for (const [lightSource, q] of Object.entries(questioned)) {
        if (!q || !isCatalogued(q)) continue;
        if (!(await this.holdCaptureOf(q.sha256, taken, take))) throw notFound('IMAGE_NOT_FOUND', `Image ${q.sha256}`, { lightSource, sha256: q.sha256 });
      }
    } catch (err) {
      await this.release(id, at, taken);
      throw err;
    }
    return taken;
  }

  /** Holds a capture whose images include this catalogued original (true), unless one held already does; false when no capture holds it any more. */
  private async holdCaptureOf(sha256: string, held: readonly HeldCapture[], take: (specimenId: string, captureId: string) => Promise<boolean>): Promise<boolean> {
    const candidates = await capturesKeeping(this.catalog, sha256);
    if (candidates.some((c) => held.some((h) => sameCapture(h, c)))) return true;
    for (const c of candidates) if (await take(c.specimenId, c.captureId)) return true;
    return false;
  }

  /** Lets go of the holds a submission that failed took: no job will rely on them. */
  private async release(id: string, at: string, holds: readonly HeldCapture[]): Promise<void> {
    for (const { specimenId, captureId } of holds) await this.catalog.specimens.releaseHold(specimenId, submissionHold(id, captureId, at));
  }

  /**
   * Lets go of everything a cancelled job held: its submission's holds and
   * the reference an `auto` attempt chose (whose runner may have died). A
   * release that fails is not the cancellation's failure: the next delete
   * judges the holds of an ended job done and lets them go (CaseService.liveHolds).
   */
  private async releaseHolds(job: Job): Promise<void> {
    await this.catalog.specimens.releaseHolder(comparisonHolder(job.id)).catch(() => 0);
  }

  /** The API view of a job. */
  view(job: Job): Comparison {
    const payload = job.payload as ComparisonJobPayload;
    const done = job.status === 'done' ? (job.result as ComparisonJobResult | null) : null;
    const questioned: Comparison['questioned'] = {};
    for (const [light, q] of Object.entries(payload.questioned) as [LightSourceId, StoredQuestioned][]) {
      const image: QuestionedImage = {
        sha256: q.sha256,
        bytes: q.bytes,
        width: q.width,
        height: q.height,
        format: q.format,
        ...(q.originalName !== undefined && { originalName: q.originalName }),
        url: questionedUrl(job.id, light),
      };
      questioned[light] = image;
    }
    const requested = payload.request.reference;
    return {
      id: job.id,
      status: job.status,
      progress: job.status === 'done' ? { fraction: 1, stage: 'done' } : job.progress,
      error: job.error,
      request: payload.request,
      questioned,
      reference: done ? done.reference : requested === 'auto' ? null : requested,
      identification: done ? done.identification : null,
      result: done ? done.result : null,
      attempts: job.attempts,
      createdBy: payload.createdBy,
      createdAt: job.createdAt,
      updatedAt: job.updatedAt,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
    };
  }
}

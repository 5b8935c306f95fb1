/**
 * Verification requests, the 24-hour service: a border officer submits
 * questioned images (and the MRZ when known); examiners work a queue ordered
 * by urgency then age, claim a request, compare, and answer. Every change of
 * status is appended to the request's history with its time and actor,
 * recorded in the audit trail, and announced to the optional webhook.
 *
 * States: submitted → claimed → answered → closed; a claimed request may be
 * released (back to submitted) or returned for information (the submitter's
 * reply gives it back to the examiner who asked); the submitter may withdraw
 * it until it is answered.
 *
 * Who sees what: examiners (`verification:answer`) see every request; a
 * submitter (`verification:submit`) only their own — another's answers
 * NOT_FOUND, as if it did not exist.
 *
 * The lost/stolen register is checked at submission, at every change and
 * whenever a request is read.
 *
 * Questioned originals are stored byte-exact under `questioned/<sha256>`, the
 * same content-addressed keys as comparison uploads, so an examiner can run
 * a comparison on them by sha256 without uploading again; a submission that
 * fails part way removes the objects it created.
 */
import {
  validate,
  type LightSourceId,
  type VerificationAnswer,
  type VerificationRequest,
  type VerificationRequestCreate,
  type VerificationStatus,
  type VerificationUrgency,
} from '@exemplar/specimens-schema';
import type { LimitsConfig } from '../config';
import { ExemplarError } from '../errors';
import { assertCan, can } from '../auth/policy';
import { objectKeys, type ObjectStore } from '../stores/objects.port';
import type { CollectionSpec, RecordCollection, RecordFilter, RecordStore } from '../stores/records.port';
import { systemActor, type Actor } from './actor';
import { KeyLocks, newRecordId, timestamp, validationFailed, valueOrThrow } from './common';
import type { StoredImage } from './images.service';
import { checkLightSourceField, type IngestFile, type IngestService } from './ingest.service';
import { parseMrz } from './mrz.service';
import { storeQuestionedImages } from './questioned-images';
import { documentOfMrz, normaliseDocumentNumber, type AuditRecorder, type RegisterService } from './register.service';
import type { VerificationWebhook } from './verification-webhook';

export const VERIFICATION_COLLECTION = 'verification-requests';
/** The collection with its indexes, for every service that opens it (the first to ask creates them). */
export const VERIFICATION_COLLECTION_SPEC: CollectionSpec = {
  name: VERIFICATION_COLLECTION,
  indexes: [{ fields: ['status', 'urgency', 'submittedAt'] }, { fields: ['submittedBy'] }, { fields: ['claimedBy'] }],
};
export const URGENCIES: readonly VerificationUrgency[] = ['immediate', 'urgent', 'routine'];
/** Hours from submission to the due answer. */
export const DUE_HOURS: Readonly<Record<VerificationUrgency, number>> = { immediate: 1, urgent: 4, routine: 24 };
export const DEFAULT_VERIFICATION_LIMIT = 50;
export const MAX_VERIFICATION_LIMIT = 200;
/** Retries of a transition that lost a race with another writer. */
const MAX_RACE_RETRIES = 5;

type Action = VerificationRequest['history'][number]['action'];

export interface VerificationQuery {
  status?: readonly VerificationStatus[] | undefined;
  urgency?: VerificationUrgency | undefined;
  /** Only the caller's own submissions. */
  mine?: boolean | undefined;
  /** Only requests claimed by this user. */
  claimedBy?: string | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

export interface VerificationPage {
  items: VerificationRequest[];
  total: number;
  limit: number;
  offset: number;
}

export interface StoredQuestionedImage extends StoredImage {
  readonly sha256: string;
}

export interface VerificationServiceDeps {
  records: RecordStore;
  objects: ObjectStore;
  ingest: IngestService;
  register: RegisterService;
  audit: AuditRecorder;
  limits: LimitsConfig;
  /** Throws (NOT_FOUND) unless the comparison exists and the actor may see it. */
  checkComparison: (id: string, actor: Actor) => Promise<void>;
  /**
   * Holds what comparisons rest on (their reference captures, and the
   * captures keeping their catalogued questioned originals) for the request's
   * revision about to link them (CaseService.holdComparisonReferences;
   * VALIDATION_FAILED at `path` when one is gone), so that a delete that already checked the
   * requests cannot take them away before the link is written. The release
   * it answers is called once that revision is written or lost to another.
   */
  holdComparisonReferences?: (requestId: string, holderRevision: number, comparisonIds: readonly string[], path: string) => Promise<() => Promise<void>>;
  /** Told of every change (EXEMPLAR_VERIFICATION_WEBHOOK_URL). */
  webhook?: VerificationWebhook;
  onCleanupError?: (key: string, err: unknown) => void;
  /** The per-key locks of everything that stores or removes images (context.ts); a private table when absent. */
  imageLocks?: KeyLocks;
}

export const questionedImageUrl = (id: string, lightSource: string) => `/api/verification-requests/${id}/questioned/${lightSource}`;

/** Requests read at once when listing every linked comparison. */
const LINKED_SCAN_PAGE = 1000;

/** The register check runs with the service's own rights: its answer is part of the request every party sees. */
const REGISTER_CHECKER = systemActor('verification-register-check');

export class VerificationService {
  private readonly requests: RecordCollection<VerificationRequest>;
  private readonly ownLocks = new KeyLocks();

  /** The webhook deliveries, when configured (`drain()` waits for them). */
  readonly webhook: VerificationWebhook | undefined;

  constructor(private readonly deps: VerificationServiceDeps) {
    this.webhook = deps.webhook;
    this.requests = deps.records.collection<VerificationRequest>(VERIFICATION_COLLECTION_SPEC);
  }

  /**
   * The requests an examiner linked any of these comparisons to, by id: their
   * audit entries (who submitted the questioned images, who read them) belong
   * in the custody log of a case built on the comparisons. No permission
   * check: it names records, the exhibit's readers are checked by the case.
   */
  async linking(comparisonIds: readonly string[]): Promise<string[]> {
    const ids = new Set<string>();
    for (const cid of new Set(comparisonIds)) {
      for (const r of await this.requests.find({ filter: { comparisons: { $has: cid } }, sort: [{ field: 'id', direction: 1 }] })) ids.add(r.id);
    }
    return [...ids].sort();
  }

  /** Every linked comparison with the requests it is linked to (what keeps a reference as evidence; no permission check). */
  async linkedComparisons(): Promise<Map<string, string[]>> {
    const requestsOf = new Map<string, string[]>();
    for (let offset = 0; ; offset += LINKED_SCAN_PAGE) {
      const page = await this.requests.find({ filter: { comparisons: { $exists: true } }, sort: [{ field: 'id', direction: 1 }], limit: LINKED_SCAN_PAGE, offset });
      for (const r of page) for (const cid of r.comparisons) requestsOf.set(cid, [...(requestsOf.get(cid) ?? []), r.id]);
      if (page.length < LINKED_SCAN_PAGE) return requestsOf;
    }
  }

  /** A new request from uploaded questioned images (files on disk, one per light source; only read). */
  async submit(actor: Actor, body: unknown, files: readonly IngestFile[]): Promise<VerificationRequest> {
    assertCan(actor, 'verification:submit');
    const input: VerificationRequestCreate = valueOrThrow(validate('verification-request-create', body), 'verification request');
    if (files.length === 0) throw validationFailed('verification request', [{ path: '', message: 'needs at least one questioned image (a file part named by light source)', keyword: 'minImages' }]);
    if (files.length > this.deps.limits.maxImagesPerCapture) {
      throw new ExemplarError('PAYLOAD_TOO_LARGE', `A request has at most ${this.deps.limits.maxImagesPerCapture} images`, { images: files.length, maxImages: this.deps.limits.maxImagesPerCapture });
    }
    const seen = new Set<string>();
    for (const f of files) checkLightSourceField(f.lightSource, seen);

    let mrz: VerificationRequest['mrz'];
    let document: NonNullable<VerificationRequest['document']> = {};
    if (input.mrz) {
      const parsed = parseMrz(input.mrz.lines);
      mrz = { lines: parsed.lines, format: parsed.format, valid: parsed.valid, checkDigitsValid: parsed.checkDigitsValid };
      document = documentOfMrz(parsed);
    }
    const given = input.document ?? {};
    document = {
      ...document,
      ...(given.issuingState !== undefined && { issuingState: given.issuingState }),
      ...(given.documentCode !== undefined && { documentCode: given.documentCode }),
      ...(given.documentNumber !== undefined && { documentNumber: normaliseDocumentNumber(given.documentNumber) }),
    };

    const id = newRecordId();
    const { objects, ingest, onCleanupError } = this.deps;
    const saved = await storeQuestionedImages(
      { objects, ingest, locks: this.deps.imageLocks ?? this.ownLocks, onCleanupError },
      files,
      async (stored): Promise<VerificationRequest> => {
        const questioned: VerificationRequest['questioned'] = {};
        for (const { lightSource, key: _key, originalName, ...image } of stored) {
          questioned[lightSource] = {
            ...image,
            ...(originalName !== undefined && { originalName: originalName.slice(0, 255) }),
            url: questionedImageUrl(id, lightSource),
          };
        }
        const registerHits = (await this.deps.register.hitsFor(REGISTER_CHECKER, document)) ?? [];
        const now = new Date();
        const at = timestamp(now);
        const record = valueOrThrow(
          validate('verification-request', {
            id,
            revision: 1,
            status: 'submitted',
            urgency: input.urgency,
            dueAt: timestamp(new Date(now.getTime() + DUE_HOURS[input.urgency] * 3_600_000)),
            submittedBy: actor.id,
            submittedAt: at,
            updatedAt: at,
            ...(input.location !== undefined && { location: input.location }),
            ...(input.notes !== undefined && { notes: input.notes }),
            ...(Object.keys(document).length > 0 && { document }),
            ...(mrz && { mrz }),
            questioned,
            registerHits,
            comparisons: [],
            history: [{ at, actor: actor.id, action: 'submit', to: 'submitted' }],
          }),
          'verification request',
        );
        return this.requests.insert(record);
      },
    );
    // Stored: from here on the images belong to the request, whatever else fails.
    await this.afterChange(actor, saved, 'submit', {
      hashes: Object.values(saved.questioned).flatMap((q) => (q ? [q.sha256] : [])),
      details: { urgency: saved.urgency, registerHits: saved.registerHits.map((h) => h.id) },
    });
    return saved;
  }

  async get(actor: Actor, id: string): Promise<VerificationRequest> {
    return this.withCurrentHits(await this.visible(actor, id));
  }

  /** The queue: urgency (immediate first), then oldest first. A submitter gets only their own requests. */
  async list(actor: Actor, query: VerificationQuery = {}): Promise<VerificationPage> {
    const examiner = can(actor, 'verification:answer');
    if (!examiner) assertCan(actor, 'verification:submit');
    const limit = query.limit ?? DEFAULT_VERIFICATION_LIMIT;
    const offset = query.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_VERIFICATION_LIMIT) throw new ExemplarError('BAD_REQUEST', `limit must be an integer from 1 to ${MAX_VERIFICATION_LIMIT}`, { limit });
    if (!Number.isInteger(offset) || offset < 0) throw new ExemplarError('BAD_REQUEST', 'offset must be a non-negative integer', { offset });
    const filter: Record<string, RecordFilter[string]> = {};
    if (query.status && query.status.length > 0) filter['status'] = { $in: [...query.status] };
    if (!examiner || query.mine) filter['submittedBy'] = actor.id;
    if (query.claimedBy !== undefined) filter['claimedBy'] = query.claimedBy;

    // Urgency ranks are not in alphabetical order: one query per urgency, paged across them.
    const items: VerificationRequest[] = [];
    let total = 0;
    let skip = offset;
    for (const urgency of URGENCIES) {
      if (query.urgency !== undefined && query.urgency !== urgency) continue;
      const f = { ...filter, urgency };
      const n = await this.requests.count(f);
      total += n;
      if (items.length < limit && skip < n) {
        items.push(...(await this.requests.find({ filter: f, sort: [{ field: 'submittedAt', direction: 1 }], limit: limit - items.length, offset: skip })));
        skip = 0;
      } else {
        skip = Math.max(0, skip - n);
      }
    }
    return { items: await Promise.all(items.map((r) => this.withCurrentHits(r))), total, limit, offset };
  }

  /** A questioned original of a request, for the submitter and examiners. */
  async questioned(actor: Actor, id: string, lightSource: string): Promise<StoredQuestionedImage> {
    const request = await this.visible(actor, id);
    const q = request.questioned[lightSource as LightSourceId];
    if (!q) throw new ExemplarError('IMAGE_NOT_FOUND', `No questioned ${lightSource} image in verification request ${id}`, { id, lightSource });
    const key = objectKeys.questioned(q.sha256);
    const stat = await this.deps.objects.stat(key);
    if (!stat) throw new ExemplarError('OBJECT_NOT_FOUND', `Questioned ${lightSource} image of verification request ${id} not found`, { id, lightSource });
    return {
      key,
      sha256: q.sha256,
      bytes: stat.bytes,
      contentType: `image/${q.format}`,
      lastModified: stat.lastModified,
      open: (range) => this.deps.objects.get(key, range),
      recordRead: async () => {
        await this.deps.audit.record({ actor, action: 'image.read-original', target: { kind: 'verification-request', id }, hashes: [q.sha256], details: { lightSource } });
      },
    };
  }

  /** Takes a request to work on; CONFLICT when another examiner holds it. Claiming one's own claim again changes nothing. */
  async claim(actor: Actor, id: string): Promise<VerificationRequest> {
    assertCan(actor, 'verification:answer');
    return this.transition(actor, id, 'claim', (r, at) => {
      if (r.status === 'claimed' && r.claimedBy === actor.id) return null;
      if (r.status === 'claimed') throw new ExemplarError('CONFLICT', `Verification request ${id} is claimed by ${r.claimedBy ?? 'someone else'}`, { id, status: r.status, claimedBy: r.claimedBy });
      expectStatus(r, ['submitted'], 'claim');
      return { ...r, status: 'claimed', claimedBy: actor.id, claimedAt: at };
    });
  }

  /** Gives a claimed request back to the queue (the claimer, or an administrator). */
  async release(actor: Actor, id: string): Promise<VerificationRequest> {
    assertCan(actor, 'verification:answer');
    return this.transition(actor, id, 'release', (r) => {
      expectStatus(r, ['claimed'], 'release');
      if (r.claimedBy !== actor.id && actor.role !== 'admin' && actor.role !== 'system') throw claimedByOther(r);
      const { claimedBy: _by, claimedAt: _at, ...rest } = r;
      return { ...rest, status: 'submitted' };
    });
  }

  /** Links a comparison the examiner ran for the request. */
  async linkComparison(actor: Actor, id: string, comparisonId: string): Promise<VerificationRequest> {
    assertCan(actor, 'verification:answer');
    await this.deps.checkComparison(comparisonId, actor);
    return this.transition(
      actor,
      id,
      'link-comparison',
      (r) => {
        expectStatus(r, ['claimed', 'returned-for-information', 'answered'], 'link a comparison to');
        if (r.claimedBy !== actor.id && actor.role !== 'system') throw claimedByOther(r);
        if (r.comparisons.includes(comparisonId)) return null;
        return { ...r, comparisons: [...r.comparisons, comparisonId] };
      },
      { comparisonId },
      async (current) => this.deps.holdComparisonReferences?.(id, current.revision + 1, [comparisonId], '/comparisonId'),
    );
  }

  async answer(actor: Actor, id: string, body: unknown): Promise<VerificationRequest> {
    assertCan(actor, 'verification:answer');
    const answer: VerificationAnswer = valueOrThrow(validate('verification-answer', body), 'answer');
    return this.transition(
      actor,
      id,
      'answer',
      (r, at) => {
        expectStatus(r, ['claimed'], 'answer');
        if (r.claimedBy !== actor.id && actor.role !== 'system') throw claimedByOther(r);
        return { ...r, status: 'answered', answer: { ...answer, answeredBy: actor.id, answeredAt: at } };
      },
      { message: answer.message },
    );
  }

  /** The examiner asks the submitter for more (another image, a detail). */
  async returnForInformation(actor: Actor, id: string, message: string): Promise<VerificationRequest> {
    assertCan(actor, 'verification:answer');
    return this.transition(
      actor,
      id,
      'return',
      (r) => {
        expectStatus(r, ['claimed'], 'return');
        if (r.claimedBy !== actor.id && actor.role !== 'system') throw claimedByOther(r);
        return { ...r, status: 'returned-for-information' };
      },
      { message },
    );
  }

  /** The submitter answers the examiner's question; the request goes back to that examiner. */
  async reply(actor: Actor, id: string, message: string): Promise<VerificationRequest> {
    return this.submitterTransition(actor, id, 'reply', ['returned-for-information'], (r) => ({ ...r, status: 'claimed' }), message);
  }

  async withdraw(actor: Actor, id: string, message?: string): Promise<VerificationRequest> {
    return this.submitterTransition(actor, id, 'withdraw', ['submitted', 'claimed', 'returned-for-information'], (r) => ({ ...r, status: 'withdrawn' }), message);
  }

  /** The submitter (or an examiner) closes an answered request. */
  async close(actor: Actor, id: string): Promise<VerificationRequest> {
    const current = await this.visible(actor, id);
    if (current.submittedBy !== actor.id) assertCan(actor, 'verification:answer');
    return this.transition(actor, id, 'close', (r) => {
      expectStatus(r, ['answered'], 'close');
      return { ...r, status: 'closed' };
    });
  }

  private async submitterTransition(
    actor: Actor,
    id: string,
    action: Action,
    from: readonly VerificationStatus[],
    change: (r: VerificationRequest) => VerificationRequest,
    message: string | undefined,
  ): Promise<VerificationRequest> {
    const current = await this.visible(actor, id);
    if (current.submittedBy !== actor.id && actor.role !== 'system') {
      throw new ExemplarError('FORBIDDEN', `Only the submitter (${current.submittedBy}) may ${action} this request`, { id, submittedBy: current.submittedBy });
    }
    return this.transition(
      actor,
      id,
      action,
      (r) => {
        expectStatus(r, from, action);
        return change(r);
      },
      message !== undefined ? { message } : {},
    );
  }

  /**
   * Applies a change to the current revision, with a history entry, and
   * retries when another writer got there first (the rules are checked again
   * on what that writer left). `change` answers null when there is nothing to do.
   */
  private async transition(
    actor: Actor,
    id: string,
    action: Action,
    change: (current: VerificationRequest, at: string) => VerificationRequest | null,
    extra: { message?: string; comparisonId?: string } = {},
    /** Runs before the replace of each attempt, with the record it replaces; what it answers is called once that replace has landed or lost to another writer's. */
    beforeWrite?: (current: VerificationRequest) => Promise<(() => Promise<void>) | undefined>,
  ): Promise<VerificationRequest> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.visible(actor, id);
      const at = timestamp();
      const changed = change(current, at);
      if (changed === null) return this.withCurrentHits(current);
      const next = valueOrThrow(
        validate('verification-request', {
          ...changed,
          registerHits: await this.currentHits(current),
          updatedAt: at,
          history: [...current.history, { at, actor: actor.id, action, from: current.status, to: changed.status, ...extra }],
        }),
        'verification request',
      );
      const release = await beforeWrite?.(current);
      let saved: VerificationRequest;
      try {
        saved = await this.requests.replace(id, current.revision, next);
      } catch (err) {
        const lost = err instanceof ExemplarError && err.code === 'REVISION_CONFLICT';
        // Another writer's revision landed instead: this one never will.
        if (lost) await release?.();
        if (lost && attempt < MAX_RACE_RETRIES) continue;
        throw err;
      }
      await release?.();
      await this.afterChange(actor, saved, action, { details: { from: current.status, to: saved.status, ...extra } });
      return saved;
    }
  }

  private async afterChange(actor: Actor, saved: VerificationRequest, action: Action, audit: { hashes?: string[]; details?: Record<string, unknown> }): Promise<void> {
    await this.deps.audit.record({ actor, action: `verification.${action}`, target: { kind: 'verification-request', id: saved.id }, ...audit });
    this.deps.webhook?.notify({ event: `verification.${action}`, id: saved.id, status: saved.status, at: saved.updatedAt });
  }

  /**
   * The register as it stands now for the request's document: a document
   * reported stolen after the submission shows up when the request is read
   * (and is stored with the next change).
   */
  private async currentHits(r: VerificationRequest): Promise<VerificationRequest['registerHits']> {
    if (r.document?.documentNumber === undefined) return r.registerHits;
    return (await this.deps.register.hitsFor(REGISTER_CHECKER, r.document)) ?? r.registerHits;
  }

  private async withCurrentHits(r: VerificationRequest): Promise<VerificationRequest> {
    return { ...r, registerHits: await this.currentHits(r) };
  }

  /** The request if the actor may see it; NOT_FOUND otherwise (another officer's request does not exist for them). */
  private async visible(actor: Actor, id: string): Promise<VerificationRequest> {
    const examiner = can(actor, 'verification:answer');
    if (!examiner) assertCan(actor, 'verification:submit');
    const request = await this.requests.get(id);
    if (!request || (!examiner && request.submittedBy !== actor.id)) throw new ExemplarError('NOT_FOUND', 'Verification request not found', { id });
    return request;
  }
}

function expectStatus(r: VerificationRequest, allowed: readonly VerificationStatus[], what: string): void {
  if (!allowed.includes(r.status)) {
    throw new ExemplarError('CONFLICT', `Cannot ${what} a request that is ${r.status}`, { id: r.id, status: r.status, allowed });
  }
}

const claimedByOther = (r: VerificationRequest) =>
  new ExemplarError('CONFLICT', `Verification request ${r.id} is claimed by ${r.claimedBy ?? 'nobody'}, not by you`, { id: r.id, status: r.status, claimedBy: r.claimedBy });

/**
 * Specimen records: create, read, change (revision-checked), delete, search,
 * and the edits of captures and feature zones inside a specimen. Every write
 * validates the whole resulting record (schema and `checkSpecimenRules`), so
 * the catalog only ever holds records that pass both.
 *
 * Objects (originals and derivatives) are shared between records by content
 * hash. When a record stops referencing an image, its objects are removed
 * only after the record is written and only if no record references them any
 * more; the per-hash lock shared with ingest keeps the check and the removal
 * from racing with an ingest that re-uses the same bytes.
 */
import {
  createAjv,
  formatValidationErrors,
  mergeSpecimenPatch,
  schemaId,
  validate,
  validateSpecimen,
  validateSpecimenCreate,
  type Capture,
  type CapturePatch,
  type FeatureZone,
  type FeatureZoneCreate,
  type FeatureZonePatch,
  type Specimen,
  type ValidationIssue,
} from '@exemplar/specimens-schema';
import type { ValidateFunction } from 'ajv';
import type { AuditService } from '../audit/audit.service';
import type { EvidenceUses } from './cases.service';
import { assertCan, canSee, visibleClassifications } from '../auth/policy';
import { ExemplarError, isExemplarError, isUnconfirmedWrite, notFound } from '../errors';
import { FACETS, heldBy, holdsChanging, type CatalogStore, type EvidenceHold, type SpecimenPage, type SpecimenQuery } from '../stores/catalog.port';
import { objectKeys, type ObjectStore } from '../stores/objects.port';
import type { Actor } from './actor';
import { KeyLocks, newRecordId, timestamp, validationFailed, valueOrThrow } from './common';
import { DERIVATIVE_NAMES } from './derivative-names';

export interface SpecimenServiceDeps {
  catalog: CatalogStore;
  objects: ObjectStore;
  /** Shared with IngestService: per-image-hash locks. */
  imageLocks: KeyLocks;
  /** Every write is recorded in the audit trail once it is committed. */
  audit?: AuditService;
  /** What keeps a specimen or a capture as evidence, and which holds still guard a write (CaseService, built after this service); nothing when absent. */
  evidence?: () => { evidenceUses(specimenId: string, captureId?: string): Promise<EvidenceUses>; liveHolds(holds: readonly EvidenceHold[]): Promise<EvidenceHold[]> } | undefined;
  now?: () => Date;
}

/** How a `change` is recorded in the audit trail (default `specimen.update`). */
export interface SpecimenChangeAudit {
  action: string;
  details?: Record<string, unknown>;
}

export interface SpecimenCreateOptions {
  /**
   * Keep this id instead of drawing a new one: restoring an export, so that
   * links (`imitates`, case files) and a second import find the specimen.
   * It must be a record id (the schema's pattern); CONFLICT when the
   * catalogue already holds it.
   */
  id?: string;
}

/** Body of a zones replacement: zones that keep their id, and new ones without. */
export interface ZonesReplacement {
  revision: number;
  zones: Array<FeatureZone | FeatureZoneCreate>;
}

/** How often a change computed from a fresh read is retried when another writer got in first. */
const MAX_COMMIT_ATTEMPTS = 8;

/** Specimens listed in a CONFLICT that blocks a delete. */
const MAX_LISTED_IMITATORS = 20;

export class SpecimenService {
  private readonly catalog: CatalogStore;
  private readonly objects: ObjectStore;
  private readonly imageLocks: KeyLocks;
  private readonly audit: AuditService | undefined;
  private readonly evidence: NonNullable<SpecimenServiceDeps['evidence']>;
  private readonly now: () => Date;

  constructor(deps: SpecimenServiceDeps) {
    this.catalog = deps.catalog;
    this.objects = deps.objects;
    this.imageLocks = deps.imageLocks;
    this.audit = deps.audit;
    this.evidence = deps.evidence ?? (() => undefined);
    this.now = deps.now ?? (() => new Date());
  }

  async create(body: unknown, actor: Actor, options: SpecimenCreateOptions = {}): Promise<Specimen> {
    assertCan(actor, 'specimens:write');
    const input = valueOrThrow(validateSpecimenCreate(body), 'specimen');
    assertClassificationAllowed(actor, input.classification);
    if (input.imitates !== undefined) await this.assertImitable(input.imitates, options.id);
    const at = timestamp(this.now());
    const { tags = [], ...fields } = input;
    const specimen = valueOrThrow(
      validateSpecimen({
        id: options.id ?? newRecordId(),
        revision: 1,
        ...fields,
        tags,
        captures: [],
        createdBy: actor.id,
        createdAt: at,
        updatedBy: actor.id,
        updatedAt: at,
      }),
      'specimen',
    );
    let created: Specimen;
    try {
      created = await this.catalog.specimens.create(specimen);
    } catch (err) {
      // Stands on the store's primary: audited all the same, as in change().
      if (isUnconfirmedWrite(err)) await this.audit?.record({ actor, action: 'specimen.create', target: { kind: 'specimen', id: specimen.id }, details: { revision: specimen.revision } }).catch(() => undefined);
      throw err;
    }
    await this.audit?.record({ actor, action: 'specimen.create', target: { kind: 'specimen', id: created.id }, details: { revision: created.revision } });
    return created;
  }

  /** SPECIMEN_NOT_FOUND when absent, and when the actor may not see its classification (its existence is not revealed). */
  async get(id: string, actor: Actor): Promise<Specimen> {
    assertCan(actor, 'specimens:read');
    const specimen = await this.catalog.specimens.get(id);
    if (!specimen || !canSee(actor, specimen.classification)) throw notFound('SPECIMEN_NOT_FOUND', `Specimen ${id}`, { id });
    return specimen;
  }

  /** FORBIDDEN unless the actor may change specimens; SPECIMEN_NOT_FOUND as for `get`. For checks before expensive work (an upload). */
  async assertWritable(id: string, actor: Actor): Promise<void> {
    assertCan(actor, 'specimens:write');
    await this.get(id, actor);
  }

  /**
   * The classifications the actor may not see are part of the query the
   * store runs, so totals and facet counts never count what is hidden.
   */
  async search(query: SpecimenQuery, actor: Actor): Promise<SpecimenPage> {
    assertCan(actor, 'specimens:read');
    const visible: readonly string[] = visibleClassifications(actor);
    const asked = query.classification;
    const classification = asked ? asked.filter((c) => visible.includes(c)) : [...visible];
    if (classification.length === 0) {
      return { items: [], facets: Object.fromEntries(FACETS.map((f) => [f, []])) as unknown as SpecimenPage['facets'], total: 0, nextCursor: null };
    }
    const page = await this.catalog.specimens.search({ ...query, classification });
    // A facet counts as if its own filter were not set (so other values stay choosable): drop the values the actor may not see.
    return { ...page, facets: { ...page.facets, classification: page.facets.classification.filter((f) => visible.includes(f.value)) } };
  }

  /** Applies a SpecimenPatch (with the current `revision`); `null` removes an optional field. */
  async patch(id: string, body: unknown, actor: Actor): Promise<Specimen> {
    const patch = valueOrThrow(validate('specimen-patch', body), 'specimen patch');
    if (typeof patch.imitates === 'string') await this.assertImitable(patch.imitates, id);
    return this.change(id, actor, patch.revision, (current) => mergeSpecimenPatch(current, patch), {
      action: 'specimen.update',
      details: { fields: Object.keys(patch).filter((k) => k !== 'revision') },
    });
  }

  /**
   * Deletes the record, then the objects of its images that no other record
   * references. Without `revision` the current one is used (and the delete is
   * retried if the record changes meanwhile). CONFLICT while other specimens
   * imitate this one, and while a case relies on it (assertNotEvidence) or a
   * case, request or comparison is being changed to rely on it (a hold, judgeHolds).
   * SPECIMEN_BUSY (retryable) when holds taken since they were judged kept
   * the store from deleting, attempt after attempt, though none stood
   * (outrunByHolds).
   */
  async delete(id: string, revision: number | undefined, actor: Actor): Promise<void> {
    assertCan(actor, 'specimens:write');
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(id, actor);
      if (revision !== undefined && current.revision !== revision) throw revisionConflict(id, current.revision);
      await this.assertNotImitated(id);
      const { taken: holdsTaken, live } = await this.judgeHolds(id, undefined);
      await this.assertNotEvidence(id, undefined, live);
      outrunByHolds(id, attempt);
      const recordDelete = async () => {
        await this.audit?.record({
          actor,
          action: 'specimen.delete',
          target: { kind: 'specimen', id },
          hashes: imageHashMap(current.captures),
          details: { revision: current.revision },
        });
      };
      try {
        // Refused by the store if a hold was taken since they were judged: a link written after the check above was held first.
        await this.catalog.specimens.delete(id, current.revision, holdsTaken);
      } catch (err) {
        if (revision === undefined && isRevisionConflict(err) && attempt < MAX_COMMIT_ATTEMPTS) continue;
        // Judged again: the hold may stand (409 EVIDENCE), or have done its work already.
        if (heldBy(err)) continue;
        // Stands on the store's primary: audited all the same, as in change(); its images stay (the record may come back).
        if (isUnconfirmedWrite(err)) await recordDelete().catch(() => undefined);
        throw err;
      }
      await recordDelete();
      await this.releaseImages(imageHashes(current.captures));
      return;
    }
  }

  /** Applies a CapturePatch (metadata only; with the specimen's `revision`). */
  async patchCapture(id: string, captureId: string, body: unknown, actor: Actor): Promise<Specimen> {
    const patch = valueOrThrow(validate('capture-patch', body), 'capture patch');
    return this.change(id, actor, patch.revision, (current) =>
      withCapture(current, captureId, (capture) => mergePatch(capture, patch) as Capture),
      { action: 'capture.update', details: { captureId } },
    );
  }

  /** Removes a capture, then the objects of its images no record references any more. CONFLICT while a case relies on it (or a hold stands, as for delete); SPECIMEN_BUSY as for delete. */
  async deleteCapture(id: string, captureId: string, revision: number, actor: Actor): Promise<Specimen> {
    assertCan(actor, 'specimens:write');
    for (let attempt = 1; ; attempt++) {
      await this.get(id, actor);
      const { taken: holdsTaken, live } = await this.judgeHolds(id, captureId);
      await this.assertNotEvidence(id, captureId, live);
      outrunByHolds(id, attempt, captureId);
      let removed: Capture | undefined;
      let next: Specimen;
      try {
        next = await this.change(id, actor, revision, (current) => {
          removed = findCapture(current, captureId);
          return { ...current, captures: current.captures.filter((c) => c.id !== captureId) };
        }, { action: 'capture.delete', details: { captureId } }, holdsTaken);
      } catch (err) {
        // Judged again: the hold may stand (409 EVIDENCE), or have done its work already.
        if (heldBy(err)) continue;
        throw err;
      }
      if (removed) await this.releaseImages(imageHashes([removed]));
      return next;
    }
  }

  /**
   * Replaces every zone of a capture (the zone editor saves the whole set).
   * A zone given with an id must be one of the capture's zones; zones without
   * an id are new and get one.
   */
  async replaceZones(id: string, captureId: string, body: unknown, actor: Actor): Promise<Specimen> {
    const input = parseZonesReplacement(body);
    return this.change(id, actor, input.revision, (current) =>
      withCapture(current, captureId, (capture) => {
        const known = new Set(capture.zones.map((z) => z.id));
        const issues: ValidationIssue[] = [];
        const zones = input.zones.map((zone, i): FeatureZone => {
          if ('id' in zone) {
            if (!known.has(zone.id)) issues.push({ path: `/zones/${i}/id`, message: 'is not a zone of this capture', keyword: 'zoneId' });
            return zone;
          }
          return { id: newRecordId(), ...zone };
        });
        if (issues.length) throw validationFailed('zones', issues);
        return { ...capture, zones };
      }),
      { action: 'zone.replace', details: { captureId } },
    );
  }

  /** Applies a FeatureZonePatch (with the specimen's `revision`) to one zone. */
  async patchZone(id: string, captureId: string, zoneId: string, body: unknown, actor: Actor): Promise<Specimen> {
    const patch = valueOrThrow(validate('feature-zone-patch', body), 'zone patch');
    return this.change(id, actor, patch.revision, (current) =>
      withCapture(current, captureId, (capture) => {
        const zone = capture.zones.find((z) => z.id === zoneId);
        if (!zone) throw notFound('NOT_FOUND', `Zone ${zoneId}`, { id, captureId, zoneId });
        return { ...capture, zones: capture.zones.map((z) => (z.id === zoneId ? (mergePatch(z, patch) as FeatureZone) : z)) };
      }),
      { action: 'zone.update', details: { captureId, zoneId } },
    );
  }

  async deleteZone(id: string, captureId: string, zoneId: string, revision: number, actor: Actor): Promise<Specimen> {
    return this.change(id, actor, revision, (current) =>
      withCapture(current, captureId, (capture) => {
        if (!capture.zones.some((z) => z.id === zoneId)) throw notFound('NOT_FOUND', `Zone ${zoneId}`, { id, captureId, zoneId });
        return { ...capture, zones: capture.zones.filter((z) => z.id !== zoneId) };
      }),
      { action: 'zone.delete', details: { captureId, zoneId } },
    );
  }

  /**
   * Writes `mutate(current)` as the next revision. With `expectedRevision`
   * the change applies only to that revision (REVISION_CONFLICT otherwise);
   * without, it is recomputed from a fresh read until it lands (for changes
   * that do not depend on what the client saw, such as appending a capture).
   * The result is validated as a whole before it is written, and the write
   * recorded in the audit trail with the hashes of the images it added.
   * `holdsTaken`: as for the catalog's replace (deleteCapture, whose holds
   * judgeHolds judged).
   */
  async change(
    id: string,
    actor: Actor,
    expectedRevision: number | undefined,
    mutate: (current: Specimen) => Specimen,
    audit: SpecimenChangeAudit = { action: 'specimen.update' },
    holdsTaken?: number,
  ): Promise<Specimen> {
    assertCan(actor, 'specimens:write');
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(id, actor);
      if (expectedRevision !== undefined && current.revision !== expectedRevision) throw revisionConflict(id, current.revision);
      const changed = mutate(current);
      const next = valueOrThrow(
        validateSpecimen({
          ...changed,
          id: current.id,
          revision: current.revision + 1,
          createdBy: current.createdBy,
          createdAt: current.createdAt,
          updatedBy: actor.id,
          updatedAt: laterTimestamp(timestamp(this.now()), current.updatedAt),
        }),
        'specimen',
      );
      assertClassificationAllowed(actor, next.classification);
      let written: Specimen;
      // A write the store did not confirm stands on its primary: it is audited all the same (the entry and the change are kept or rolled back together), then reported.
      let unconfirmed: ExemplarError | undefined;
      try {
        written = await this.catalog.specimens.replace(id, current.revision, next, holdsTaken);
      } catch (err) {
        if (expectedRevision === undefined && isRevisionConflict(err) && attempt < MAX_COMMIT_ATTEMPTS) continue;
        if (!isUnconfirmedWrite(err)) throw err;
        written = next;
        unconfirmed = err;
      }
      const before = new Set(imageHashes(current.captures));
      const added = Object.fromEntries(Object.entries(imageHashMap(written.captures)).filter(([, sha]) => !before.has(sha)));
      try {
        await this.audit?.record({
          actor,
          action: audit.action,
          target: { kind: 'specimen', id },
          hashes: added,
          details: { ...audit.details, revision: written.revision },
        });
      } catch (err) {
        if (unconfirmed) throw unconfirmed;
        // The record is written: a caller must not undo what it depends on (ingest keeps the stored images).
        if (isExemplarError(err) && err.code === 'STORE_UNAVAILABLE') throw new ExemplarError('STORE_UNAVAILABLE', err.message, { ...err.details, committed: true, id, revision: written.revision }, { cause: err });
        throw new ExemplarError('INTERNAL', 'the change was saved but could not be recorded in the audit trail', { committed: true, id, revision: written.revision }, { cause: err });
      }
      if (unconfirmed) throw unconfirmed;
      return written;
    }
  }

  /**
   * Removes the original and derivatives of each hash that no record
   * references. Call only after the records that dropped them are written.
   */
  async releaseImages(hashes: Iterable<string>): Promise<void> {
    const candidates = [...new Set(hashes)];
    if (candidates.length === 0) return;
    await this.imageLocks.withKeys(candidates, async () => {
      for (const sha of candidates) {
        if ((await this.catalog.specimens.referencingSpecimens(objectKeys.original(sha), 1)).length > 0) continue;
        // The thumbnail goes first (a stored thumbnail tells ingest the derivative set is complete), the original last.
        const thumbnail = objectKeys.derivative(sha, DERIVATIVE_NAMES.thumbnail);
        await this.objects.delete(thumbnail);
        const derived: string[] = [];
        for await (const stat of this.objects.list(objectKeys.derivativePrefix(sha))) derived.push(stat.key);
        for (const key of derived) await this.objects.delete(key);
        await this.objects.delete(objectKeys.original(sha));
      }
    });
  }

  private async assertImitable(target: string, self?: string): Promise<void> {
    if (target === self) return; // checkSpecimenRules reports it with the record's path
    if (!(await this.catalog.specimens.get(target))) {
      throw validationFailed('specimen', [{ path: '/imitates', message: `refers to no specimen (${target})`, keyword: 'imitatesExists' }]);
    }
  }

  /**
   * CONFLICT (reason EVIDENCE) while anything relies on the specimen (or the
   * capture): a case listing it, or a comparison that a case or a
   * verification request links and that rests on it, as its reference or as
   * the capture keeping a catalogued original it was given as a questioned
   * image (an exhibit is rebuilt from these images on every download, and
   * deleting them would also delete the originals); and the holders of the `live` holds
   * (judgeHolds): a case or request being changed to rely on it, a comparison
   * queued or running on it. Unlinking the comparison or the specimen from
   * the case (an audited change) lifts it for a case; cancelling it, for a
   * comparison. The details name them all.
   */
  private async assertNotEvidence(id: string, captureId: string | undefined, live: readonly EvidenceHold[]): Promise<void> {
    const uses = (await this.evidence()?.evidenceUses(id, captureId)) ?? { cases: [], verificationRequests: [], comparisons: [] };
    if (live.length === 0 && uses.cases.length === 0 && uses.comparisons.length === 0) return;
    const holders = (prefix: string) => [...new Set(live.filter((h) => h.holder.startsWith(prefix)).map((h) => h.holder.slice(prefix.length)))].sort();
    const held = { cases: holders('case:'), verificationRequests: holders('verification-request:'), comparisons: holders('comparison:') };
    const why: string[] = [];
    if (uses.cases.length > 0 || uses.comparisons.length > 0) {
      const where = [
        ...(uses.cases.length > 0 ? [`case(s) ${uses.cases.join(', ')}`] : []),
        ...(uses.verificationRequests.length > 0 ? [`verification request(s) ${uses.verificationRequests.join(', ')}`] : []),
      ].join(' and ');
      why.push(uses.comparisons.length > 0 ? `comparison(s) ${uses.comparisons.join(', ')} in ${where} rest on it (their reference, or a questioned original it keeps)` : `a reference specimen of ${where}`);
    }
    const changing = [...(held.cases.length > 0 ? [`case(s) ${held.cases.join(', ')}`] : []), ...(held.verificationRequests.length > 0 ? [`verification request(s) ${held.verificationRequests.join(', ')}`] : [])];
    if (changing.length > 0) why.push(`${changing.join(' and ')} is being changed to rely on it`);
    // What a comparison's submission named, or the reference an `auto` one was given: kept until the job ends.
    if (held.comparisons.length > 0) why.push(`comparison(s) ${held.comparisons.join(', ')} is queued or running on it (cancel it to let it go)`);
    if (why.length === 0) why.push('a record is being changed to rely on it');
    const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])].sort();
    const what = captureId === undefined ? `Specimen ${id}` : `Capture ${captureId} of specimen ${id}`;
    throw new ExemplarError('CONFLICT', `${what} is evidence: ${why.join('; ')}; it is kept while they rest on it`, {
      reason: 'EVIDENCE',
      cases: union(uses.cases, held.cases),
      verificationRequests: union(uses.verificationRequests, held.verificationRequests),
      comparisons: union(uses.comparisons, held.comparisons),
      ...(live.length > 0 && { holds: live }),
    });
  }

  /**
   * The holds (catalog.port.ts EvidenceHold) on the specimen, judged before
   * the caller looks for what relies on it: those whose write or job is
   * still to come are `live`, and those on the specimen or that capture stop
   * the delete (assertNotEvidence); the others have done their work (what
   * their holders wrote is found by assertNotEvidence, which runs after) and
   * are released, wherever they are on the specimen, so that what failed
   * writes and dead processes left does not pile up. `taken` is how many
   * holds had been taken, for the store to refuse the delete if another is
   * taken before it, whoever releases what meanwhile.
   */
  private async judgeHolds(id: string, captureId: string | undefined): Promise<{ taken: number; live: EvidenceHold[] }> {
    const { holds, taken } = await this.catalog.specimens.holds(id);
    if (holds.length === 0) return { taken, live: [] };
    const evidence = this.evidence();
    // Without the cases to ask, no hold can be judged done.
    const live = evidence ? await evidence.liveHolds(holds) : [...holds];
    for (const hold of holds) if (!live.includes(hold)) await this.catalog.specimens.releaseHold(id, hold);
    return { taken, live: captureId === undefined ? live : live.filter((h) => h.captureId === captureId) };
  }

  private async assertNotImitated(id: string): Promise<void> {
    const page = await this.catalog.specimens.search({ imitates: id, limit: MAX_LISTED_IMITATORS });
    const imitatedBy = page.items.map((s) => s.id).filter((other) => other !== id);
    if (imitatedBy.length > 0) {
      throw new ExemplarError('CONFLICT', `Specimen ${id} is imitated by ${page.total} other specimen(s); change their "imitates" first`, {
        imitatedBy,
        total: page.total,
      });
    }
  }
}

/**
 * A delete's write refused by the store MAX_COMMIT_ATTEMPTS times because a
 * hold had been taken since the holds were judged, and judged clear once more
 * (`attempt` past them): nothing stands in its way, other writers keep
 * holding the specimen and letting it go. That is contention, not evidence:
 * SPECIMEN_BUSY (503, Retry-After), never EVIDENCE_HELD naming holds that
 * have done their work, or none.
 */
function outrunByHolds(id: string, attempt: number, captureId?: string): void {
  if (attempt > MAX_COMMIT_ATTEMPTS) throw holdsChanging(id, { ...(captureId !== undefined && { captureId }), attempts: MAX_COMMIT_ATTEMPTS });
}

function revisionConflict(id: string, currentRevision: number): ExemplarError {
  return new ExemplarError('REVISION_CONFLICT', `Specimen ${id} was changed meanwhile (now at revision ${currentRevision}); reload and retry`, {
    id,
    currentRevision,
  });
}

function isRevisionConflict(err: unknown): boolean {
  return isExemplarError(err) && err.code === 'REVISION_CONFLICT';
}

/** Timestamps never run backwards within a record, even if the clock does. */
function laterTimestamp(candidate: string, previous: string): string {
  return Date.parse(candidate) >= Date.parse(previous) ? candidate : previous;
}

export function imageHashes(captures: readonly Capture[]): string[] {
  return captures.flatMap((c) => c.images.map((i) => i.sha256));
}

/** The images' SHA-256s by `<captureId>/<lightSource>`, as the audit trail records them. */
function imageHashMap(captures: readonly Capture[]): Record<string, string> {
  return Object.fromEntries(captures.flatMap((c) => c.images.map((i) => [`${c.id}/${i.lightSource}`, i.sha256])));
}

function findCapture(specimen: Specimen, captureId: string): Capture {
  const capture = specimen.captures.find((c) => c.id === captureId);
  if (!capture) throw notFound('CAPTURE_NOT_FOUND', `Capture ${captureId}`, { id: specimen.id, captureId });
  return capture;
}

function withCapture(specimen: Specimen, captureId: string, change: (capture: Capture) => Capture): Specimen {
  findCapture(specimen, captureId);
  return { ...specimen, captures: specimen.captures.map((c) => (c.id === captureId ? change(c) : c)) };
}

/** A present field replaces the stored one, `null` removes it; `revision` belongs to the specimen. */
function mergePatch(current: object, patch: CapturePatch | FeatureZonePatch): object {
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'revision' || value === undefined) continue;
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

/** Body of a zones replacement: every zone of the capture, existing ones with their id, new ones without. */
export const zonesReplacementSchema = {
  $id: 'https://exemplar.local/api/zones-replacement.json',
  title: 'ZonesReplacement',
  description:
    'Every zone of a capture, as the zone editor saves them: zones that keep their id, and new ones without an id (the server assigns it). Zones left out are removed.',
  type: 'object',
  required: ['revision', 'zones'],
  additionalProperties: false,
  properties: {
    revision: { $ref: `${schemaId('specimen')}#/definitions/revision` },
    zones: {
      type: 'array',
      maxItems: 1000,
      items: { if: { type: 'object', required: ['id'] }, then: { $ref: `${schemaId('feature-zone')}#` }, else: { $ref: `${schemaId('feature-zone-create')}#` } },
    },
  },
} as const;

let zonesValidator: ValidateFunction | undefined;

function parseZonesReplacement(body: unknown): ZonesReplacement {
  zonesValidator ??= createAjv().compile(zonesReplacementSchema);
  if (!zonesValidator(body)) throw validationFailed('zones', formatValidationErrors(zonesValidator.errors ?? []));
  return body as ZonesReplacement;
}

/** A writer may not file a specimen under a classification they could not read back. */
function assertClassificationAllowed(actor: Actor, classification: Specimen['classification'] | undefined): void {
  if (!canSee(actor, classification)) {
    throw new ExemplarError('FORBIDDEN', `your role (${actor.role}) may not file specimens as ${classification ?? 'public'}`, { classification });
  }
}

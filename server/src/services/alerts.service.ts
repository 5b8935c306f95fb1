/**
 * Document intelligence alerts: an examiner drafts an alert from a
 * fraudulent specimen (what to check, on which images and zones, for which
 * document type and series); a second examiner approves it, and only then do
 * border officers and viewers see it (API, Atom feed, web app).
 *
 * States: draft → pending-approval → published → withdrawn. Editing a
 * pending alert returns it to draft, so an approver always approves the text
 * they read. Four eyes: whoever drafted or edited an alert may not approve
 * it. Alerts live in the RecordStore collection `alerts`; every write is
 * recorded in the audit trail.
 */
import {
  isFraudStatus,
  validate,
  type Alert,
  type AlertAction,
  type AlertCreate,
  type AlertStatus,
  type Specimen,
  type ValidationIssue,
} from '@exemplar/specimens-schema';
import { assertCan, can, ROLE_CLASSIFICATIONS, visibleClassifications } from '../auth/policy';
import { ExemplarError, notFound } from '../errors';
import type { CatalogStore } from '../stores/catalog.port';
import type { RecordCollection, RecordFilter, RecordSort } from '../stores/records.port';
import type { Actor } from './actor';
import { newRecordId, timestamp, validationFailed, valueOrThrow } from './common';

export const ALERTS_COLLECTION = 'alerts';
export const DEFAULT_ALERT_LIST_LIMIT = 50;
export const MAX_ALERT_LIST_LIMIT = 200;
/** Entries in the Atom feed: the latest published alerts. */
export const ALERT_FEED_LIMIT_DEFAULT = 100;

export interface AlertListQuery {
  status?: AlertStatus;
  /** Alerts published after this time (ISO 8601), newest first. */
  since?: string;
  specimenId?: string;
  limit?: number;
  offset?: number;
}

export interface AlertPage {
  items: Alert[];
  total: number;
}

/** What a service needs of the audit trail (AuditService.record). */
export interface AuditRecorder {
  record(entry: { actor: Actor; action: string; target: { kind: string; id: string }; hashes?: readonly string[]; details?: Record<string, unknown> }): Promise<unknown>;
}

export interface AlertsServiceDeps {
  catalog: CatalogStore;
  audit: AuditRecorder;
  now?: () => Date;
}

const EDITABLE = ['title', 'summary', 'checks', 'specimenId', 'affected', 'severity'] as const;

export class AlertsService {
  private readonly catalog: CatalogStore;
  private readonly audit: AuditRecorder;
  private readonly now: () => Date;
  private readonly alerts: RecordCollection<Alert>;

  constructor(deps: AlertsServiceDeps) {
    this.catalog = deps.catalog;
    this.audit = deps.audit;
    this.now = deps.now ?? (() => new Date());
    this.alerts = deps.catalog.records.collection<Alert>({
      name: ALERTS_COLLECTION,
      indexes: [{ fields: ['status', 'publishedAt'] }, { fields: ['specimenId'] }, { fields: ['updatedAt'] }],
    });
  }

  async create(body: unknown, actor: Actor): Promise<Alert> {
    assertCan(actor, 'alerts:draft');
    const input = valueOrThrow(validate('alert-create', body), 'alert');
    await this.checkLinkedSpecimen(input);
    const at = this.stamp();
    const alert = this.checkRecord({
      id: newRecordId(),
      revision: 1,
      ...pickEditable(input),
      status: 'draft',
      history: [{ action: 'create', actor: actor.id, at }],
      draftedBy: actor.id,
      createdAt: at,
      updatedAt: at,
    });
    const stored = await this.alerts.insert(alert);
    await this.record(actor, 'alert.create', stored);
    return stored;
  }

  /** NOT_FOUND for an alert the actor may not see (a draft, for a border officer). */
  async get(id: string, actor: Actor): Promise<Alert> {
    assertCan(actor, 'alerts:read');
    const alert = await this.alerts.get(id);
    if (!alert || !this.maySee(actor, alert)) throw notFound('NOT_FOUND', `Alert ${id}`, { id });
    return alert;
  }

  async list(query: AlertListQuery, actor: Actor): Promise<AlertPage> {
    assertCan(actor, 'alerts:read');
    const limit = query.limit ?? DEFAULT_ALERT_LIST_LIMIT;
    const offset = query.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ALERT_LIST_LIMIT) {
      throw new ExemplarError('BAD_REQUEST', `limit must be 1..${MAX_ALERT_LIST_LIMIT}`, { limit });
    }
    if (!Number.isInteger(offset) || offset < 0) throw new ExemplarError('BAD_REQUEST', 'offset must be a non-negative integer', { offset });
    const seesDrafts = can(actor, 'alerts:draft');
    // Those who cannot draft see published alerts of their classifications only, whatever they ask for.
    const filter: Record<string, RecordFilter[string]> = this.visibleFilter(actor);
    if (seesDrafts && query.status) filter.status = query.status;
    if (query.specimenId) filter.specimenId = query.specimenId;
    let sort: RecordSort[] = seesDrafts ? [{ field: 'updatedAt', direction: -1 }] : [{ field: 'publishedAt', direction: -1 }];
    if (query.since !== undefined) {
      filter.status = 'published';
      filter.publishedAt = { $gt: isoTime(query.since, 'since') };
      sort = [{ field: 'publishedAt', direction: -1 }];
    }
    const [items, total] = await Promise.all([this.alerts.find({ filter, sort, limit, offset }), this.alerts.count(filter)]);
    return { items, total };
  }

  /**
   * What the Atom feed shows: published alerts, newest first (ties by id),
   * and when the feed last changed (a publication or a withdrawal).
   */
  async feed(actor: Actor, limit = MAX_ALERT_LIST_LIMIT): Promise<{ alerts: Alert[]; updated: string | undefined }> {
    assertCan(actor, 'alerts:read');
    const alerts = await this.alerts.find({
      filter: { ...this.visibleFilter(actor), status: 'published' },
      sort: [
        { field: 'publishedAt', direction: -1 },
        { field: 'id', direction: 1 },
      ],
      limit,
    });
    const withdrawn = await this.alerts.findOne({ status: 'withdrawn' }, [{ field: 'withdrawnAt', direction: -1 }]);
    const times = [alerts[0]?.publishedAt, withdrawn?.withdrawnAt].filter((t): t is string => t !== undefined).sort();
    return { alerts, updated: times.at(-1) };
  }

  /** Changes fields of a draft or pending alert; a pending alert returns to draft. */
  async patch(id: string, body: unknown, actor: Actor): Promise<Alert> {
    assertCan(actor, 'alerts:draft');
    const patch = valueOrThrow(validate('alert-patch', body), 'alert patch');
    return this.transition(id, patch.revision, actor, 'edit', ['draft', 'pending-approval'], async (current) => {
      const next = { ...current, ...pickEditable(patch) };
      if (patch.specimenId !== undefined || patch.checks !== undefined) await this.checkLinkedSpecimen(next);
      return { ...next, status: 'draft' as const };
    });
  }

  async submit(id: string, revision: number, actor: Actor): Promise<Alert> {
    assertCan(actor, 'alerts:draft');
    return this.transition(id, revision, actor, 'submit', ['draft'], async (current) => {
      // The specimen may have changed since the draft was written (zones removed, status corrected).
      await this.checkLinkedSpecimen(current);
      return { ...current, status: 'pending-approval' as const, submittedAt: this.stamp() };
    });
  }

  /** Sends a pending alert back to its drafter. */
  async reject(id: string, revision: number, note: string | undefined, actor: Actor): Promise<Alert> {
    assertCan(actor, 'alerts:approve');
    return this.transition(id, revision, actor, 'reject', ['pending-approval'], async (current) => {
      const { submittedAt: _submitted, ...rest } = current;
      return { ...rest, status: 'draft' as const };
    }, note);
  }

  async approve(id: string, revision: number, actor: Actor): Promise<Alert> {
    assertCan(actor, 'alerts:approve');
    return this.transition(id, revision, actor, 'approve', ['pending-approval'], async (current) => {
      const authors = new Set([current.draftedBy, ...current.history.filter((h) => h.action === 'create' || h.action === 'edit').map((h) => h.actor)]);
      if (authors.has(actor.id)) {
        throw new ExemplarError('FOUR_EYES_REQUIRED', 'an alert must be approved by an examiner who neither drafted nor edited it', {
          id,
          approver: actor.id,
          authors: [...authors],
        });
      }
      const specimen = await this.checkLinkedSpecimen(current);
      const classification = specimen.classification ?? 'public';
      // Alerts are for the front line: a specimen border officers may not see cannot be published about.
      if (!ROLE_CLASSIFICATIONS['border-officer'].includes(classification)) {
        throw validationFailed('alert', [
          { path: '/specimenId', message: `refers to a ${classification} specimen, which border officers may not see; reclassify it or link another specimen`, keyword: 'publishableSpecimen' },
        ]);
      }
      return { ...current, status: 'published' as const, approvedBy: actor.id, publishedAt: this.stamp(), classification };
    });
  }

  async withdraw(id: string, revision: number, note: string | undefined, actor: Actor): Promise<Alert> {
    assertCan(actor, 'alerts:approve');
    return this.transition(id, revision, actor, 'withdraw', ['published'], async (current) => {
      return { ...current, status: 'withdrawn' as const, withdrawnBy: actor.id, withdrawnAt: this.stamp() };
    }, note);
  }

  /** Deletes a draft (never a submitted or published alert: those stay on record). */
  async deleteDraft(id: string, revision: number, actor: Actor): Promise<void> {
    assertCan(actor, 'alerts:draft');
    const current = await this.get(id, actor);
    if (current.revision !== revision) throw staleRevision(id, current.revision);
    if (current.status !== 'draft') throw wrongState(current, 'delete', ['draft']);
    await this.alerts.delete(id, revision);
    await this.record(actor, 'alert.delete', current);
  }

  private async transition(
    id: string,
    revision: number,
    actor: Actor,
    action: AlertAction,
    from: readonly AlertStatus[],
    change: (current: Alert) => Promise<Alert>,
    note?: string,
  ): Promise<Alert> {
    const current = await this.get(id, actor);
    if (current.revision !== revision) throw staleRevision(id, current.revision);
    if (!from.includes(current.status)) throw wrongState(current, action, from);
    const changed = await change(current);
    const at = this.stamp();
    const next = this.checkRecord({
      ...changed,
      id: current.id,
      revision: current.revision + 1,
      draftedBy: current.draftedBy,
      createdAt: current.createdAt,
      updatedAt: at < current.updatedAt ? current.updatedAt : at,
      history: [...current.history, { action, actor: actor.id, at, ...(note ? { note } : {}) }],
    });
    let stored: Alert;
    try {
      stored = await this.alerts.replace(id, current.revision, next);
    } catch (err) {
      if (err instanceof ExemplarError && err.code === 'REVISION_CONFLICT') throw staleRevision(id, (err.details.currentRevision as number) ?? current.revision);
      throw err;
    }
    await this.record(actor, `alert.${action}`, stored, note ? { note } : {});
    return stored;
  }

  /** Drafters see every alert; others published ones whose classification (from publication) their role may see. */
  private maySee(actor: Actor, alert: Alert): boolean {
    if (can(actor, 'alerts:draft')) return true;
    return alert.status === 'published' && visibleClassifications(actor).includes(alert.classification ?? 'public');
  }

  /** The store filter of what `maySee` allows, for lists and the feed. */
  private visibleFilter(actor: Actor): Record<string, RecordFilter[string]> {
    // Alerts published before classifications were recorded count as public (null matches a missing field).
    return can(actor, 'alerts:draft') ? {} : { status: 'published', classification: { $in: [...visibleClassifications(actor), null] } };
  }

  /**
   * The linked specimen exists and is fraudulent; every check's image is an
   * image of it and every zone a zone of that capture. Reported as
   * VALIDATION_FAILED with paths into the alert.
   */
  private async checkLinkedSpecimen(alert: Pick<AlertCreate, 'specimenId' | 'checks'>): Promise<Specimen> {
    const specimen = await this.catalog.specimens.get(alert.specimenId);
    if (!specimen) {
      throw validationFailed('alert', [{ path: '/specimenId', message: `refers to no specimen (${alert.specimenId})`, keyword: 'specimenExists' }]);
    }
    const issues: ValidationIssue[] = [];
    if (!isFraudStatus(specimen.status)) {
      issues.push({ path: '/specimenId', message: `refers to a specimen whose status (${specimen.status}) is not a fraud status`, keyword: 'fraudulentSpecimen' });
    }
    alert.checks.forEach((check, i) => {
      if (!check.image) return;
      const capture = specimen.captures.find((c) => c.id === check.image?.captureId);
      if (!capture) {
        issues.push({ path: `/checks/${i}/image/captureId`, message: 'is not a capture of the linked specimen', keyword: 'captureExists' });
        return;
      }
      if (!capture.images.some((img) => img.lightSource === check.image?.lightSource)) {
        issues.push({ path: `/checks/${i}/image/lightSource`, message: 'the capture has no image in this light', keyword: 'imageExists' });
      }
      const zones = new Set(capture.zones.map((z) => z.id));
      (check.zoneIds ?? []).forEach((zoneId, j) => {
        if (!zones.has(zoneId)) issues.push({ path: `/checks/${i}/zoneIds/${j}`, message: 'is not a zone of the capture', keyword: 'zoneExists' });
      });
    });
    if (issues.length) throw validationFailed('alert', issues);
    return specimen;
  }

  private checkRecord(alert: unknown): Alert {
    return valueOrThrow(validate('alert', alert), 'alert');
  }

  private stamp(): string {
    return timestamp(this.now());
  }

  private async record(actor: Actor, action: string, alert: Alert, details: Record<string, unknown> = {}): Promise<void> {
    await this.audit.record({
      actor,
      action,
      target: { kind: 'alert', id: alert.id },
      details: { status: alert.status, revision: alert.revision, specimenId: alert.specimenId, ...details },
    });
  }
}

function pickEditable(source: Partial<AlertCreate>): Partial<AlertCreate> {
  const out: Partial<AlertCreate> = {};
  for (const key of EDITABLE) if (source[key] !== undefined) (out as Record<string, unknown>)[key] = source[key];
  return out;
}

function staleRevision(id: string, currentRevision: number): ExemplarError {
  return new ExemplarError('REVISION_CONFLICT', `Alert ${id} was changed meanwhile (now at revision ${currentRevision}); reload and retry`, { id, currentRevision });
}

function wrongState(alert: Alert, action: string, allowed: readonly AlertStatus[]): ExemplarError {
  return new ExemplarError('ALERT_STATE', `cannot ${action} an alert that is ${alert.status} (only when ${allowed.join(' or ')})`, {
    id: alert.id,
    status: alert.status,
    allowed,
  });
}

function isoTime(value: string, field: string): string {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) throw new ExemplarError('BAD_REQUEST', `${field} must be an ISO 8601 date or time`, { [field]: value });
  return new Date(ms).toISOString();
}

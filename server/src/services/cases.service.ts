/**
 * Cases: the questioned submissions (comparisons), reference specimens,
 * examiner notes and conclusion of one examination, and the court exhibits
 * built from them.
 *
 * Examiners (and admins) manage every case; prosecutors read the cases they
 * are assigned to — any other case answers NOT_FOUND, as if absent; other
 * roles may not use cases at all (FORBIDDEN). Every read of a case or an
 * exhibit is recorded in the audit trail, as is every write.
 *
 * An exhibit is a pure function of the records: the case, its comparisons,
 * the reference specimens' images and the custody log — the audit entries
 * about the case, its comparisons, specimens and images (and the verification
 * requests a comparison is linked to, where the questioned images came in) up to the last write
 * among them; of the entries about an image, only those that handled the
 * exhibit's own objects (handlesExhibitObject), not the same bytes elsewhere. Reads after that write (an exhibit download among them) join
 * the custody log at the next write, so downloading an exhibit twice gives
 * the same bytes while nothing changes.
 */
import { Buffer } from 'node:buffer';
import { lightOverexposedShare, validate, type Case, type CaseConclusionSet, type CaseCreate, type CasePatch, type Specimen } from '@exemplar/specimens-schema';
import type { AuditService } from '../audit/audit.service';
import type { StoredAuditEntry } from '../audit/audit.port';
import type { AuthService } from '../auth/auth.service';
import { assertCan, can, READ_CASES, ROLE_CLASSIFICATIONS, ROLE_PERMISSIONS } from '../auth/policy';
import { ExemplarError, isExemplarError, notFound } from '../errors';
import { readStream } from '../read-stream';
import {
  buildExhibit,
  buildExhibitReport,
  sha256Hex,
  type ExhibitComparison,
  type ExhibitInput,
  type ExhibitLightImage,
  type ExhibitReferenceSpecimen,
  type ExhibitSubmission,
} from '../exhibits';
import type { CatalogStore, EvidenceHold, Job } from '../stores/catalog.port';
import { objectKeys, type ObjectStore } from '../stores/objects.port';
import type { RecordCollection, RecordStore, StoredRecord } from '../stores/records.port';
import { systemActor, type Actor } from './actor';
import { newRecordId, timestamp, validationFailed, valueOrThrow } from './common';
import { capturesKeeping, COMPARISON_HOLDER, COMPARISON_JOB_KIND, isCatalogued, isComparisonPayload, sameCapture, type ComparisonJobPayload, type ComparisonService, type HeldCapture } from './comparisons.service';
import { VERIFICATION_COLLECTION_SPEC } from './verification.service';

export const CASES_COLLECTION = 'cases';
export const DEFAULT_CASE_LIST_LIMIT = 50;
export const MAX_CASE_LIST_LIMIT = 200;

/** What the case list shows (reading a whole case is `get`, audited per case). */
export interface CaseSummary {
  id: string;
  title: string;
  reference: string;
  status: Case['status'];
  examiners: string[];
  prosecutors: string[];
  opinion: string | null;
  /** What the opinion answers; null without a conclusion, or for one recorded before propositions were asked. */
  proposition: string | null;
  updatedAt: string;
}

/**
 * A comparison a case links, named for whoever may read the case (a
 * prosecutor may not open the comparison itself): the questioned document as
 * its submitter described it, when it was submitted and how it stands.
 */
export interface LinkedComparisonSummary {
  id: string;
  /** As the exhibit labels it; null when the comparison is no longer in the store. */
  label: string | null;
  status: Job['status'] | null;
  submittedAt: string | null;
}

export interface CaseListQuery {
  status?: Case['status'] | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

export type ExhibitFormat = 'pdf' | 'zip';

export interface ExhibitDownload {
  bytes: Buffer;
  sha256: string;
  contentType: string;
  filename: string;
}

export interface CaseServiceDeps {
  records: RecordStore;
  catalog: CatalogStore;
  objects: ObjectStore;
  audit: AuditService;
  auth: AuthService;
  comparisons: ComparisonService;
  /** Exemplar version printed in exhibits. */
  version: string;
  /** The verification requests linking a comparison (VerificationService, built after this service): their entries join the custody log. */
  verificationRequests?: () => { linking(comparisonIds: readonly string[]): Promise<string[]>; linkedComparisons(): Promise<Map<string, string[]>> } | undefined;
  now?: () => Date;
}

/** What keeps a specimen or capture as evidence (CaseService.evidenceUses); at most MAX_LISTED_EVIDENCE ids each. */
export interface EvidenceUses {
  cases: string[];
  verificationRequests: string[];
  comparisons: string[];
}

/** A specimen (captureId null) or capture a case or request relies on, with the request path that named it. */
interface Evidence {
  /**
   * null (and captureId null): a catalogued original a comparison was given
   * as a questioned image that no capture keeps any more. Nothing can hold
   * it, and a new link to the comparison is refused, as for a deleted reference.
   */
  specimenId: string | null;
  captureId: string | null;
  path: string;
  /** How a refusal names it. */
  what: string;
}

/** What `next` relies on that `current` did not. */
const newEvidence = (current: readonly Evidence[], next: readonly Evidence[]) => {
  const key = (e: Evidence) => (e.specimenId === null ? `gone:${e.what}` : `${e.specimenId}/${e.captureId ?? ''}`);
  const had = new Set(current.map(key));
  return next.filter((e) => !had.has(key(e)));
};

const CASE_HOLDER = 'case:';
const VERIFICATION_HOLDER = 'verification-request:';
/**
 * How long a hold waits for the write it was taken for (a request writes
 * within seconds of its hold, then lets it go); after it, the write failed
 * and the next delete releases the hold. The grace `exemplar verify --repair`
 * gives unreferenced objects.
 */
const HOLD_WRITE_GRACE_MS = 10 * 60_000;

/** Cases read at once when looking for the comparisons that use a specimen. */
const EVIDENCE_SCAN_PAGE = 1000;
/** Ids named in a refusal. */
const MAX_LISTED_EVIDENCE = 20;

/** Actions that only read: entries after the last write do not (yet) belong to an exhibit's custody log. */
const READ_ACTIONS = new Set(['case.read', 'case.list', 'exhibit.download', 'image.read-original', 'comparison.read-output']);

/** Assembling an exhibit reads comparisons and specimens whatever the reader's own rights on them: the case grants them. */
const EXHIBIT_ACTOR = systemActor('exhibit');

/** Lets go of the holds one write took, once that write has landed or is known not to. */
export type ReleaseEvidence = () => Promise<void>;

const isRevisionConflict = (err: unknown) => isExemplarError(err) && err.code === 'REVISION_CONFLICT';

/** Attempts of a change computed from a fresh read (a note) when another writer got in first. */
const MAX_COMMIT_ATTEMPTS = 8;

const EXAMINER_ROLES = new Set(['examiner', 'admin']);

export class CaseService {
  private readonly cases: RecordCollection<Case>;
  /** Read only for their revisions (liveHolds); VerificationService owns them. */
  private readonly requests: RecordCollection<StoredRecord>;
  private readonly catalog: CatalogStore;
  private readonly objects: ObjectStore;
  private readonly audit: AuditService;
  private readonly auth: AuthService;
  private readonly comparisons: ComparisonService;
  private readonly version: string;
  private readonly verificationRequests: NonNullable<CaseServiceDeps['verificationRequests']>;
  private readonly now: () => Date;

  constructor(deps: CaseServiceDeps) {
    this.cases = deps.records.collection<Case>({ name: CASES_COLLECTION, indexes: [{ fields: ['updatedAt'] }, { fields: ['reference'] }] });
    this.requests = deps.records.collection<StoredRecord>(VERIFICATION_COLLECTION_SPEC);
    this.catalog = deps.catalog;
    this.objects = deps.objects;
    this.audit = deps.audit;
    this.auth = deps.auth;
    this.comparisons = deps.comparisons;
    this.version = deps.version;
    this.verificationRequests = deps.verificationRequests ?? (() => undefined);
    this.now = deps.now ?? (() => new Date());
  }

  // ---------------------------------------------------------------- reads

  /** Newest update first; a prosecutor sees only the cases they are assigned to. */
  async list(query: CaseListQuery, actor: Actor): Promise<{ items: CaseSummary[]; total: number }> {
    assertMayReadCases(actor);
    const limit = query.limit ?? DEFAULT_CASE_LIST_LIMIT;
    const offset = query.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_CASE_LIST_LIMIT) throw new ExemplarError('BAD_REQUEST', `limit must be an integer from 1 to ${MAX_CASE_LIST_LIMIT}`, { limit });
    if (!Number.isInteger(offset) || offset < 0) throw new ExemplarError('BAD_REQUEST', 'offset must be a non-negative integer', { offset });
    const filter = {
      ...(query.status && { status: query.status }),
      ...(!can(actor, 'cases:read-all') && { prosecutors: { $has: actor.id } }),
    };
    const [items, total] = await Promise.all([
      this.cases.find({ filter, sort: [{ field: 'updatedAt', direction: -1 }], limit, offset }),
      this.cases.count(filter),
    ]);
    await this.audit.record({ actor, action: 'case.list', target: { kind: 'case-list', id: actor.id }, details: { ids: items.map((c) => c.id), ...(query.status && { status: query.status }) } });
    return { items: items.map(summaryOf), total };
  }

  /** The whole case (audited). NOT_FOUND when absent or not assigned to the prosecutor asking. */
  async get(id: string, actor: Actor): Promise<Case> {
    const found = await this.readable(id, actor);
    await this.audit.record({ actor, action: 'case.read', target: { kind: 'case', id }, details: { revision: found.revision } });
    return found;
  }

  /** The case's comparisons by name, in the case's order, for anyone who may read the case (not audited as a case read: it names, it shows no result). */
  async linkedComparisons(id: string, actor: Actor): Promise<LinkedComparisonSummary[]> {
    const found = await this.readable(id, actor);
    return Promise.all(
      found.comparisons.map(async (cid) => {
        const job = await this.catalog.jobs.get(cid);
        if (!job || job.kind !== COMPARISON_JOB_KIND || !isComparisonPayload(job.payload)) return { id: cid, label: null, status: null, submittedAt: null };
        const view = this.comparisons.view(job);
        return { id: cid, label: describeQuestioned(view.request.notes, questionedImagesOf(job.payload)).label, status: view.status, submittedAt: view.createdAt };
      }),
    );
  }

  // ---------------------------------------------------------------- writes

  async create(body: unknown, actor: Actor): Promise<Case> {
    assertCan(actor, 'cases:manage');
    const input: CaseCreate = valueOrThrow(validate('case-create', body), 'case');
    const examiners = unique([...(input.examiners ?? []), ...(EXAMINER_ROLES.has(actor.role) ? [actor.id] : [])]);
    await this.checkReferences({ ...input, examiners });
    const id = newRecordId();
    const at = timestamp(this.now());
    const record: Case = valueOrThrow(
      validate('case', {
        id,
        revision: 1,
        title: input.title,
        reference: input.reference,
        status: 'open',
        examiners,
        prosecutors: input.prosecutors ?? [],
        comparisons: input.comparisons ?? [],
        specimens: input.specimens ?? [],
        notes: [],
        createdBy: actor.id,
        createdAt: at,
        updatedBy: actor.id,
        updatedAt: at,
      }),
      'case',
    );
    // Held before the case exists: a delete that checked the cases before this one is written then meets the hold.
    const release = await this.holdEvidence(`${CASE_HOLDER}${id}`, 1, await this.evidenceOf({ comparisons: record.comparisons, specimens: record.specimens }));
    const created = await this.cases.insert(record);
    // Written, the case is found by evidenceUses: the holds have done their work. (A failed insert leaves them to the next delete.)
    await release();
    await this.audit.record({ actor, action: 'case.create', target: { kind: 'case', id: created.id }, details: { revision: 1, reference: created.reference } });
    return created;
  }

  /** Changes fields (lists replace the whole list). A closed case must be reopened (`status: open`) to change. */
  async patch(id: string, body: unknown, actor: Actor): Promise<Case> {
    assertCan(actor, 'cases:manage');
    const patch: CasePatch = valueOrThrow(validate('case-patch', body), 'case patch');
    const { revision, ...fields } = patch;
    await this.checkReferences(fields);
    return this.change(
      id,
      actor,
      revision,
      'case.update',
      { fields: Object.keys(fields) },
      (current) => {
        if (current.status === 'closed' && fields.status !== 'open') throw closedCase(id);
        return { ...current, ...fields };
      },
      // What this revision starts to rely on is held before it is written (what it relied on already is found by evidenceUses).
      fields.comparisons === undefined && fields.specimens === undefined
        ? undefined
        : async (current, next) => this.holdEvidence(`${CASE_HOLDER}${id}`, next.revision, newEvidence(await this.evidenceOf(current), await this.evidenceOf(next))),
    );
  }

  async addNote(id: string, body: unknown, actor: Actor): Promise<Case> {
    assertCan(actor, 'cases:manage');
    const { text } = valueOrThrow(validate('case-note-create', body), 'case note');
    const noteId = newRecordId();
    return this.change(id, actor, undefined, 'case.note', { noteId }, (current, at) => {
      if (current.status === 'closed') throw closedCase(id);
      return { ...current, notes: [...current.notes, { id: noteId, author: actor.id, at, text }] };
    });
  }

  /** Sets (or replaces) the conclusion — the opinion, the proposition it answers and the statement; the concluding examiner joins the case's examiners. */
  async setConclusion(id: string, body: unknown, actor: Actor): Promise<Case> {
    assertCan(actor, 'cases:manage');
    const input: CaseConclusionSet = valueOrThrow(validate('case-conclusion-set', body), 'case conclusion');
    return this.change(id, actor, input.revision, 'case.conclude', { opinion: input.opinion, proposition: input.proposition }, (current, at) => {
      if (current.status === 'closed') throw closedCase(id);
      return {
        ...current,
        examiners: unique([...current.examiners, actor.id]),
        conclusion: { opinion: input.opinion, proposition: input.proposition, statement: input.statement, concludedBy: actor.id, concludedAt: at },
      };
    });
  }

  // ---------------------------------------------------------------- exhibits

  /**
   * The exhibit of a case as a PDF report or a zip bundle (with the same
   * report inside), audited as `exhibit.download` with its SHA-256. CONFLICT
   * while the case has no conclusion or a comparison is not finished.
   */
  async exhibit(id: string, format: ExhibitFormat, actor: Actor): Promise<ExhibitDownload> {
    assertCan(actor, 'exhibits:read');
    const found = await this.readable(id, actor);
    const input = await this.exhibitInput(found);
    const load = (key: string) => this.readObject(key);
    let bytes: Buffer;
    let hashes: { report: string; bundle?: string };
    if (format === 'pdf') {
      // The same bytes as the bundle's report.pdf, without zipping every image for a download that drops the zip.
      bytes = await buildExhibitReport(input, load);
      hashes = { report: sha256Hex(bytes) };
    } else {
      const built = await buildExhibit(input, load);
      bytes = built.bundle;
      hashes = { bundle: built.bundleSha256, report: built.reportSha256 };
    }
    const sha256 = hashes.bundle ?? hashes.report;
    await this.audit.record({
      actor,
      action: 'exhibit.download',
      target: { kind: 'case', id },
      hashes,
      details: { format, revision: found.revision, generatedAt: input.generatedAt },
    });
    const stem = safeFileStem(found.reference);
    return {
      bytes,
      sha256,
      contentType: format === 'pdf' ? 'application/pdf' : 'application/zip',
      filename: `${stem}-exhibit.${format}`,
    };
  }

  /** Everything the exhibit is built from, read from the records (never the clock). */
  async exhibitInput(record: Case): Promise<ExhibitInput> {
    if (!record.conclusion) throw new ExemplarError('CONFLICT', 'the case has no conclusion yet: an exhibit reports one', { reason: 'NO_CONCLUSION', id: record.id });
    const conclusion = record.conclusion;

    const jobs = await Promise.all(record.comparisons.map(async (cid) => [cid, await this.catalog.jobs.get(cid)] as const));
    const unfinished = jobs.filter(([, job]) => !job || job.kind !== COMPARISON_JOB_KIND || job.status !== 'done').map(([cid, job]) => ({ id: cid, status: job?.status ?? 'missing' }));
    if (unfinished.length) throw new ExemplarError('CONFLICT', 'every comparison of the case must be finished before an exhibit is made', { reason: 'COMPARISONS_NOT_DONE', comparisons: unfinished });

    const specimens = new Map<string, Specimen>();
    const specimen = async (sid: string): Promise<Specimen> => {
      let s = specimens.get(sid);
      if (!s) {
        const got = await this.catalog.specimens.get(sid);
        if (!got) throw new ExemplarError('CONFLICT', `reference specimen ${sid} no longer exists`, { reason: 'SPECIMEN_MISSING', specimenId: sid });
        specimens.set(sid, (s = got));
      }
      return s;
    };

    const questioned: ExhibitSubmission[] = [];
    const comparisons: ExhibitComparison[] = [];
    const captureOf = new Map<string, string>();
    for (const [cid, job] of jobs) {
      const view = this.comparisons.view(job as Job);
      const payload = (job as Job).payload as ComparisonJobPayload;
      const result = view.result;
      const reference = view.reference;
      if (!result || !reference) throw new ExemplarError('CONFLICT', `comparison ${cid} has no result`, { reason: 'COMPARISONS_NOT_DONE', comparisons: [{ id: cid, status: view.status }] });
      const ref = await specimen(reference.specimenId);
      const capture = ref.captures.find((c) => c.id === reference.captureId);
      if (!capture) throw new ExemplarError('CONFLICT', `the reference capture of comparison ${cid} no longer exists`, { reason: 'CAPTURE_MISSING', comparisonId: cid, ...reference });
      if (!captureOf.has(ref.id)) captureOf.set(ref.id, capture.id);
      const images = questionedImagesOf(payload);
      questioned.push({ id: cid, ...describeQuestioned(view.request.notes, images), submittedBy: payload.createdBy, submittedAt: view.createdAt, images });
      comparisons.push({
        id: cid,
        submissionId: cid,
        specimenId: ref.id,
        finishedAt: view.finishedAt ?? view.updatedAt,
        anchorLight: result.anchorLight,
        // Named fields only: what the report states is what the schema records.
        alignment: {
          homography: [...result.alignment.homography],
          inliers: result.alignment.inliers,
          rmse: result.alignment.rmse,
          method: result.alignment.method,
          message: result.alignment.message,
          ...(result.alignment.refinementPoints === undefined ? {} : { refinementPoints: result.alignment.refinementPoints }),
          ...(result.alignment.referenceShown === undefined ? {} : { referenceShown: result.alignment.referenceShown }),
        },
        lights: result.lights.map((light) => {
          const refImage = capture.images.find((i) => i.lightSource === light.lightSource);
          const q = payload.questioned[light.lightSource];
          if (!refImage || !q) throw new ExemplarError('CONFLICT', `comparison ${cid} refers to a ${light.lightSource} image that is gone`, { reason: 'IMAGE_MISSING', comparisonId: cid });
          const overexposed = lightOverexposedShare(light.stats);
          return {
            lightSource: light.lightSource,
            homography: [...light.homography],
            registration: {
              outcome: light.registration.outcome,
              anchorLight: light.registration.anchorLight,
              shift: [...light.registration.shift],
              correlation: { anchor: light.registration.correlation.anchor, best: light.registration.correlation.best },
            },
            referenceSize: [light.referenceSize[0]!, light.referenceSize[1]!],
            questionedSize: [light.questionedSize[0]!, light.questionedSize[1]!],
            reference: { key: objectKeys.original(refImage.sha256), sha256: refImage.sha256, ...(refImage.originalName !== undefined && { originalName: refImage.originalName }) },
            questioned: { key: q.key, sha256: q.sha256, ...(q.originalName !== undefined && { originalName: q.originalName }) },
            aligned: { key: objectKeys.comparison(cid, light.outputs.aligned.name), sha256: light.outputs.aligned.sha256 },
            heatmap: { key: objectKeys.comparison(cid, light.outputs.heatmap.name), sha256: light.outputs.heatmap.sha256 },
            regions: light.regions,
            // Absent in results made before blown-out areas were listed apart: the report then says not recorded.
            ...(light.blownOutRegions && { blownOutRegions: light.blownOutRegions }),
            zoneVerdicts: light.zoneVerdicts,
            // Absent in results made before the difference stage measured glare: the report then says it was not recorded.
            ...(overexposed !== null && { overexposedShare: overexposed }),
            // Absent only in results made before findings existed: the report then says they were not recorded.
            ...(light.findings && { findings: light.findings }),
          };
        }),
        parameters: JSON.parse(JSON.stringify(result.parameters ?? {})) as ExhibitComparison['parameters'],
        versions: Object.fromEntries(Object.entries(result.versions ?? {}).map(([k, v]) => [k, String(v)])),
        ...(view.identification && {
          identification: {
            // Read before candidates are withheld: the one the full alignment accepted may be hidden from a reader.
            referenceChosenBy: view.request.reference !== 'auto' ? 'submitter' : view.identification.candidates.some((c) => c.fullAlignment === 'accepted') ? 'alignment' : 'identification',
            method: view.identification.method,
            searched: view.identification.searched,
            ...(await readableByEveryExhibitReader(view.identification.candidates, (sid) => this.catalog.specimens.get(sid))),
          },
        }),
      });
    }

    const referenceIds = unique([...record.specimens, ...comparisons.map((c) => c.specimenId)]);
    const references: ExhibitReferenceSpecimen[] = [];
    for (const sid of referenceIds) {
      const s = await specimen(sid);
      const capture = s.captures.find((c) => c.id === captureOf.get(sid)) ?? s.captures[0];
      references.push({
        id: s.id,
        title: s.title,
        details: Object.fromEntries(
          (
            [
              ['Issuing state', s.issuingState],
              ['Document category', s.documentCategory],
              ['Document code', s.documentCode],
              ['Series', s.series],
              ['Status', s.status],
              ['Classification', s.classification],
            ] as const
          ).flatMap(([k, v]) => (typeof v === 'string' && v !== '' ? [[k, v]] : [])),
        ),
        ...(capture && { captureId: capture.id }),
        images: (capture?.images ?? []).map((i) => ({
          lightSource: i.lightSource,
          key: objectKeys.original(i.sha256),
          sha256: i.sha256,
          ...(i.originalName !== undefined && { originalName: i.originalName }),
        })),
      });
    }

    const imageHashes = [...questioned.flatMap((q) => q.images), ...references.flatMap((r) => r.images)].map((i) => i.sha256);
    // A questioned document that came in through a verification request: its submission (who brought the images, when) and the reads there.
    const requests = (await this.verificationRequests()?.linking(record.comparisons)) ?? [];
    const targets = unique([
      `case:${record.id}`,
      ...record.comparisons.map((c) => `comparison:${c}`),
      ...requests.map((r) => `verification-request:${r}`),
      ...referenceIds.map((s) => `specimen:${s}`),
      ...imageHashes.map((h) => `image:${h}`),
    ]);
    const exhibitKeys = new Set([...questioned.flatMap((q) => q.images), ...references.flatMap((r) => r.images), ...comparisons.flatMap((c) => c.lights.flatMap((l) => [l.reference, l.questioned]))].map((i) => i.key));
    const custodyLog = custodyUpToLastWrite((await this.audit.entriesFor(targets)).filter((e) => handlesExhibitObject(e, record.comparisons, exhibitKeys)));
    const lastEntry = custodyLog[custodyLog.length - 1];
    const generatedAt = lastEntry && lastEntry.time > record.updatedAt ? lastEntry.time : record.updatedAt;

    const people = await Promise.all(record.examiners.map(async (username) => ({ id: username, name: await this.displayName(username), role: username === conclusion.concludedBy ? 'concluding examiner' : 'examiner' })));
    return {
      case: {
        id: record.id,
        title: record.title,
        reference: record.reference,
        examiners: people,
        conclusion,
        notes: record.notes.map((n) => ({ time: n.at, author: n.author, text: n.text })),
      },
      questioned,
      references,
      comparisons,
      softwareVersion: this.version,
      custodyLog,
      generatedAt,
    };
  }

  /**
   * What keeps a specimen, or one capture of it, as evidence: the cases that
   * list the specimen as a reference, and the comparisons linked to a case or
   * a verification request that rest on it (comparisonEvidence): whose
   * reference it is (or that capture is), or whose catalogued questioned
   * original it keeps. An exhibit is rebuilt from them on every download, with
   * the reference and questioned originals and their hashes, so deleting them
   * would leave the case without its images (deleting the last capture of an
   * original deletes the original). Every case and request is read: deleting
   * is rare.
   */
  async evidenceUses(specimenId: string, captureId?: string): Promise<EvidenceUses> {
    // Only a questioned original among these images can be kept by what is deleted.
    const deleted = await this.catalog.specimens.get(specimenId);
    const images = new Set((deleted?.captures ?? []).filter((c) => captureId === undefined || c.id === captureId).flatMap((c) => c.images.map((i) => i.sha256)));
    const restsOnIt = (e: { specimenId: string | null; captureId: string | null }) => e.specimenId === specimenId && (captureId === undefined || e.captureId === captureId);
    const listing = captureId === undefined ? await this.cases.find({ filter: { specimens: { $has: specimenId } }, sort: [{ field: 'id', direction: 1 }], limit: MAX_LISTED_EVIDENCE }) : [];
    const casesOf = new Map<string, string[]>();
    for (let offset = 0; ; offset += EVIDENCE_SCAN_PAGE) {
      const page = await this.cases.find({ sort: [{ field: 'id', direction: 1 }], limit: EVIDENCE_SCAN_PAGE, offset });
      for (const c of page) for (const cid of c.comparisons) casesOf.set(cid, [...(casesOf.get(cid) ?? []), c.id]);
      if (page.length < EVIDENCE_SCAN_PAGE) break;
    }
    // An answered verification request rests on its linked comparisons as a case does.
    const requestsOf = (await this.verificationRequests()?.linkedComparisons()) ?? new Map<string, string[]>();
    const comparisons: string[] = [];
    const cases = new Set(listing.map((c) => c.id));
    const requests = new Set<string>();
    for (const cid of new Set([...casesOf.keys(), ...requestsOf.keys()])) {
      const job = await this.catalog.jobs.get(cid);
      if (!job || job.kind !== COMPARISON_JOB_KIND) continue;
      if (!(await this.comparisonEvidence(cid, job, images)).some(restsOnIt)) continue;
      comparisons.push(cid);
      for (const id of casesOf.get(cid) ?? []) cases.add(id);
      for (const id of requestsOf.get(cid) ?? []) requests.add(id);
    }
    const listed = (ids: Iterable<string>) => [...ids].sort().slice(0, MAX_LISTED_EVIDENCE);
    return { cases: listed(cases), verificationRequests: listed(requests), comparisons: listed(comparisons) };
  }

  /**
   * Holds what these comparisons rest on (comparisonEvidence: the reference
   * captures, and the captures keeping their catalogued questioned originals)
   * for a verification request's next revision (`verification-request:<id>`),
   * before it links them; VALIDATION_FAILED (at `path`) when one is gone. The request
   * calls the release it gets once that revision is written, or once its
   * write lost to another writer's (REVISION_CONFLICT).
   */
  async holdComparisonReferences(requestId: string, holderRevision: number, comparisonIds: readonly string[], path: string): Promise<ReleaseEvidence> {
    const evidence = (await this.evidenceOf({ comparisons: comparisonIds, specimens: [] })).map((e) => ({ ...e, path }));
    return this.holdEvidence(`${VERIFICATION_HOLDER}${requestId}`, holderRevision, evidence, 'verification request');
  }

  /**
   * The holds that still guard a write in progress. A hold of a case or
   * request is taken for one revision of its holder before that revision is
   * written (the first, for a holder being created): once the holder is at
   * that revision or past it, the write either happened (and what it links is
   * found by evidenceUses) or lost to another, so the hold has done its work.
   * A hold whose write has not come within HOLD_WRITE_GRACE_MS never will (its
   * request failed or its process died) and is done too. The holder itself
   * lets its hold go as soon as it knows (holdEvidence's release): what is
   * judged here is only what a failed request or a dead process left.
   *
   * A comparison's hold (what its submission named, or the reference its
   * runner chose; comparisons.service.ts, comparison-runner.ts) guards the
   * job's work and result, and stands while the job is queued or running,
   * however long that takes: the queue completes a job only while it is
   * running, so once it has ended nothing more is written (what a finished
   * job rests on is found by evidenceUses while a case or request links
   * it), and a stalled run that comes back still finds its hold. A job nobody will finish is cancelled to let go.
   * A submission holds before it enqueues its job: a hold whose job does not
   * exist yet stands for HOLD_WRITE_GRACE_MS, as a case's does.
   */
  async liveHolds(holds: readonly EvidenceHold[]): Promise<EvidenceHold[]> {
    const now = this.now().getTime();
    const live: EvidenceHold[] = [];
    for (const hold of holds) {
      if (hold.holder.startsWith(COMPARISON_HOLDER)) {
        const job = await this.catalog.jobs.get(hold.holder.slice(COMPARISON_HOLDER.length));
        if (job ? job.status === 'queued' || job.status === 'running' : now - Date.parse(hold.at) < HOLD_WRITE_GRACE_MS) live.push(hold);
        continue;
      }
      const holder = hold.holder.startsWith(CASE_HOLDER)
        ? await this.cases.get(hold.holder.slice(CASE_HOLDER.length))
        : hold.holder.startsWith(VERIFICATION_HOLDER)
          ? await this.requests.get(hold.holder.slice(VERIFICATION_HOLDER.length))
          : undefined;
      // A holder of a kind this version does not know: kept, never released on a guess.
      if (holder === undefined) live.push(hold);
      else if ((holder === null || holder.revision < hold.holderRevision) && now - Date.parse(hold.at) < HOLD_WRITE_GRACE_MS) live.push(hold);
    }
    return live;
  }

  /** The specimens listed and what the comparisons rest on (comparisonEvidence), with where each came from. */
  private async evidenceOf(fields: { comparisons: readonly string[]; specimens: readonly string[] }): Promise<Evidence[]> {
    const evidence: Evidence[] = fields.specimens.map((specimenId, i) => ({ specimenId, captureId: null, path: `/specimens/${i}`, what: `specimen ${specimenId}` }));
    for (const [i, cid] of fields.comparisons.entries()) {
      const job = await this.catalog.jobs.get(cid);
      if (!job || job.kind !== COMPARISON_JOB_KIND) continue;
      for (const e of await this.comparisonEvidence(cid, job)) evidence.push({ ...e, path: `/comparisons/${i}` });
    }
    return evidence;
  }

  /**
   * The catalogued captures a comparison's result rests on, which a case or
   * request linking it relies on: its reference capture (once known), and for
   * each questioned image read from a catalogued original (`originals/<sha>`)
   * the capture keeping that original (keeperOf); one no capture keeps any
   * more is listed with specimenId null. Questioned images uploaded with the
   * comparison (`questioned/<sha>`) belong to it and are never removed.
   * `only`: the questioned originals to look at (the others are left out),
   * for a delete that can concern only these.
   */
  private async comparisonEvidence(cid: string, job: Job, only?: ReadonlySet<string>): Promise<Array<Omit<Evidence, 'path'>>> {
    const evidence: Array<Omit<Evidence, 'path'>> = [];
    const reference = this.comparisons.view(job).reference;
    if (reference) evidence.push({ specimenId: reference.specimenId, captureId: reference.captureId, what: `capture ${reference.captureId} of specimen ${reference.specimenId}, the reference of comparison ${cid}` });
    const payload = job.payload as ComparisonJobPayload;
    for (const [lightSource, q] of Object.entries(payload.questioned)) {
      if (!q || !isCatalogued(q) || (only && !only.has(q.sha256))) continue;
      const original = `the catalogued original ${q.sha256}, the questioned ${lightSource} image of comparison ${cid}`;
      const keeper = await this.keeperOf(q.sha256, payload);
      evidence.push(keeper ? { ...keeper, what: `capture ${keeper.captureId} of specimen ${keeper.specimenId}, which keeps ${original}` } : { specimenId: null, captureId: null, what: original });
    }
    return evidence;
  }

  /**
   * The capture that keeps a catalogued original for a comparison given it
   * as a questioned image: the capture its submission held while the job ran
   * (payload.holds), as long as it still holds the image, else the first of
   * capturesKeeping; null when no capture holds it any more. A function of
   * the catalogue as it stands, so the holds of a link (evidenceOf) and the
   * check of a delete (evidenceUses) name the same capture; should that one
   * go while nothing links the comparison, another holding the very same
   * original takes its place. Other captures holding the original may be
   * deleted: the one kept keeps the original.
   */
  private async keeperOf(sha256: string, payload: ComparisonJobPayload): Promise<HeldCapture | null> {
    const candidates = await capturesKeeping(this.catalog, sha256);
    const held = payload.holds ?? [];
    return candidates.find((c) => held.some((h) => sameCapture(h, c))) ?? candidates[0] ?? null;
  }

  /**
   * Holds each piece of evidence for `holder` at `holderRevision`. A hold is
   * stored only while the specimen (and capture) exists, atomically with that
   * check in the catalog: VALIDATION_FAILED naming what no longer exists, so a
   * case or request never comes to rely on deleted evidence.
   *
   * Returns the release the holder calls once the write the holds were for
   * has landed (a delete that judges the holds from then on finds what it
   * links, and one that judged them before is refused by the store, which
   * counts holds taken, not released) or is known not to land: a revision
   * conflict. Until then, or if the holder never calls it (an error that may
   * hide a write still on its way, a dead process), the holds stand and the
   * next delete judges them (liveHolds). Releasing is best effort: a hold it
   * misses is done all the same, and the next delete lets it go.
   */
  private async holdEvidence(holder: string, holderRevision: number, evidence: readonly Evidence[], what = 'case'): Promise<ReleaseEvidence> {
    const issues: { path: string; message: string; keyword: string }[] = [];
    const at = timestamp(this.now());
    const taken: Array<[string, EvidenceHold]> = [];
    for (const e of evidence) {
      if (e.specimenId === null) {
        issues.push({ path: e.path, message: `${e.what} is no longer catalogued`, keyword: 'evidenceExists' });
        continue;
      }
      const hold: EvidenceHold = { holder, holderRevision, captureId: e.captureId, at };
      try {
        await this.catalog.specimens.hold(e.specimenId, hold);
        taken.push([e.specimenId, hold]);
      } catch (err) {
        if (!isExemplarError(err) || (err.code !== 'SPECIMEN_NOT_FOUND' && err.code !== 'CAPTURE_NOT_FOUND')) throw err;
        issues.push({ path: e.path, message: `${e.what} no longer exists`, keyword: 'evidenceExists' });
      }
    }
    const release = async () => {
      for (const [specimenId, hold] of taken.splice(0)) await this.catalog.specimens.releaseHold(specimenId, hold).catch(() => false);
    };
    if (issues.length === 0) return release;
    // The write they were for will not happen.
    await release();
    throw validationFailed(what, issues);
  }

  // ---------------------------------------------------------------- internals

  private async readable(id: string, actor: Actor): Promise<Case> {
    assertMayReadCases(actor);
    const found = await this.cases.get(id);
    if (!found || !(can(actor, 'cases:read-all') || found.prosecutors.includes(actor.id))) throw notFound('NOT_FOUND', `Case ${id}`, { id });
    return found;
  }

  /** Writes `mutate(current)` as the next revision and records it; without `expectedRevision` retried from a fresh read. */
  private async change(
    id: string,
    actor: Actor,
    expectedRevision: number | undefined,
    action: string,
    details: Record<string, unknown>,
    mutate: (current: Case, at: string) => Case,
    /** Holds what `next` starts to rely on; its release is called once the write has landed or lost to another. */
    beforeWrite?: (current: Case, next: Case) => Promise<ReleaseEvidence>,
  ): Promise<Case> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.cases.get(id);
      if (!current) throw notFound('NOT_FOUND', `Case ${id}`, { id });
      if (expectedRevision !== undefined && current.revision !== expectedRevision) {
        throw new ExemplarError('REVISION_CONFLICT', 'the case was changed by someone else; reload it and try again', { id, expectedRevision, currentRevision: current.revision });
      }
      // Record times never run backwards, even if the clock does: exhibits take their date from them.
      const now = timestamp(this.now());
      const at = now > current.updatedAt ? now : current.updatedAt;
      const next: Case = valueOrThrow(
        validate('case', { ...mutate(current, at), id, revision: current.revision + 1, createdBy: current.createdBy, createdAt: current.createdAt, updatedBy: actor.id, updatedAt: at }),
        'case',
      );
      const release = await beforeWrite?.(current, next);
      let written: Case;
      try {
        written = await this.cases.replace(id, current.revision, next);
      } catch (err) {
        // Another writer's revision landed instead: this one never will.
        if (isRevisionConflict(err)) await release?.();
        if (expectedRevision === undefined && isRevisionConflict(err) && attempt < MAX_COMMIT_ATTEMPTS) continue;
        throw err;
      }
      await release?.();
      await this.audit.record({ actor, action, target: { kind: 'case', id }, details: { ...details, revision: written.revision } });
      return written;
    }
  }

  /** Assigned users must exist with a fitting role; comparisons and specimens must exist. VALIDATION_FAILED listing each that does not. */
  private async checkReferences(fields: Partial<Pick<Case, 'examiners' | 'prosecutors' | 'comparisons' | 'specimens'>>): Promise<void> {
    const issues: { path: string; message: string; keyword: string }[] = [];
    const checkUsers = async (list: readonly string[] | undefined, field: string, roles: ReadonlySet<string>, what: string) => {
      for (const [i, username] of (list ?? []).entries()) {
        const user = await this.auth.getUser(username, EXHIBIT_ACTOR).catch((err: unknown) => {
          if (isExemplarError(err) && err.status === 404) return null;
          throw err;
        });
        if (!user) issues.push({ path: `/${field}/${i}`, message: `no user ${username}`, keyword: 'userExists' });
        else if (!roles.has(user.role)) issues.push({ path: `/${field}/${i}`, message: `${username} is not ${what} (role ${user.role})`, keyword: 'userRole' });
      }
    };
    await checkUsers(fields.examiners, 'examiners', EXAMINER_ROLES, 'an examiner');
    await checkUsers(fields.prosecutors, 'prosecutors', new Set(['prosecutor']), 'a prosecutor');
    for (const [i, cid] of (fields.comparisons ?? []).entries()) {
      const job = await this.catalog.jobs.get(cid);
      if (!job || job.kind !== COMPARISON_JOB_KIND) issues.push({ path: `/comparisons/${i}`, message: `no comparison ${cid}`, keyword: 'comparisonExists' });
    }
    for (const [i, sid] of (fields.specimens ?? []).entries()) {
      if (!(await this.catalog.specimens.get(sid))) issues.push({ path: `/specimens/${i}`, message: `no specimen ${sid}`, keyword: 'specimenExists' });
    }
    if (issues.length) throw validationFailed('case', issues);
  }

  private async displayName(username: string): Promise<string> {
    try {
      const user = await this.auth.getUser(username, EXHIBIT_ACTOR);
      return user.displayName || username;
    } catch (err) {
      if (isExemplarError(err) && err.status === 404) return username;
      throw err;
    }
  }

  private async readObject(key: string): Promise<Buffer> {
    return readStream(await this.objects.get(key));
  }
}

function assertMayReadCases(actor: Actor): void {
  assertCan(actor, READ_CASES);
}

/**
 * Whether an entry about an image (`image:<sha256>`) is about this exhibit's
 * evidence. Stored objects are content-addressed, so the same bytes submitted
 * with an unrelated comparison are read under the same target: a read made
 * through a comparison the case does not link, or of a stored object the
 * exhibit does not hold, handled other evidence, and a court bundle given to
 * this case's readers must neither claim it nor disclose that other work.
 * Entries about anything else were selected by their target and all belong.
 */
export function handlesExhibitObject(entry: StoredAuditEntry, comparisons: readonly string[], exhibitKeys: ReadonlySet<string>): boolean {
  if (!entry.target.startsWith('image:')) return true;
  const details = entry.details ?? {};
  if (typeof details.comparisonId === 'string') return comparisons.includes(details.comparisonId);
  // A read of a catalogued original (ImageService) names no key: it is the one stored under its hash.
  const key = typeof details.key === 'string' ? details.key : objectKeys.original(entry.target.slice('image:'.length));
  return exhibitKeys.has(key);
}

/** The entries up to and including the last write (reads after it join at the next write). */
export function custodyUpToLastWrite(entries: readonly StoredAuditEntry[]): StoredAuditEntry[] {
  let end = entries.length;
  while (end > 0 && READ_ACTIONS.has(entries[end - 1]!.action)) end--;
  return entries.slice(0, end);
}

const closedCase = (id: string) => new ExemplarError('CONFLICT', 'the case is closed; reopen it (status: open) to change it', { reason: 'CASE_CLOSED', id });

const unique = <T>(items: readonly T[]): T[] => [...new Set(items)];

function summaryOf(c: Case): CaseSummary {
  return {
    id: c.id,
    title: c.title,
    reference: c.reference,
    status: c.status,
    examiners: c.examiners,
    prosecutors: c.prosecutors,
    opinion: c.conclusion?.opinion ?? null,
    proposition: c.conclusion?.proposition ?? null,
    updatedAt: c.updatedAt,
  };
}

/** The questioned images of a comparison, as an exhibit lists them. */
function questionedImagesOf(payload: ComparisonJobPayload): ExhibitLightImage[] {
  return Object.entries(payload.questioned).map(([lightSource, q]) => ({
    lightSource,
    key: q!.key,
    sha256: q!.sha256,
    ...(q!.originalName !== undefined && { originalName: q!.originalName }),
  }));
}

/** Longest label before it is cut: it heads the questioned document on the cover and on each comparison's page. */
const MAX_QUESTIONED_LABEL = 160;

/**
 * The questioned document as its submitter described it: the first line of
 * their notes and the file names it was uploaded under; the notes in full as
 * its description when the label does not hold them all. Without either, the
 * label says so rather than inventing a name.
 */
function describeQuestioned(notes: string | undefined, images: readonly ExhibitLightImage[]): Pick<ExhibitSubmission, 'label' | 'description'> {
  const text = (notes ?? '').trim();
  const firstLine = text.split(/\r?\n/, 1)[0]!.trim();
  const headline = firstLine.length > MAX_QUESTIONED_LABEL ? `${firstLine.slice(0, MAX_QUESTIONED_LABEL - 1).trimEnd()}…` : firstLine;
  const names = unique(images.flatMap((i) => (i.originalName ? [i.originalName] : [])));
  const uploadedAs = names.length ? `uploaded as ${names.join(', ')}` : '';
  const label = headline && uploadedAs ? `${headline} (${uploadedAs})` : headline || (uploadedAs ? `Questioned images ${uploadedAs}` : 'Questioned images (no notes or file names recorded)');
  return { label, ...(text && text !== headline && { description: text }) };
}

/** A file name from the case reference: letters, digits, dot, dash and underscore only. */
function safeFileStem(reference: string): string {
  const stem = reference.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 80);
  return stem || 'case';
}

/**
 * Classifications every role that may read exhibits may also see: one exhibit
 * serves them all (its bytes depend on the records only), so it names no
 * library specimen classified above the least cleared of them.
 */
const EXHIBIT_CLASSIFICATIONS: ReadonlySet<string> = new Set(
  (Object.keys(ROLE_PERMISSIONS) as (keyof typeof ROLE_PERMISSIONS)[])
    .filter((role) => ROLE_PERMISSIONS[role].has('exhibits:read'))
    .map((role) => ROLE_CLASSIFICATIONS[role])
    .reduce((common, levels) => common.filter((c) => levels.includes(c))),
);

/**
 * The library matches recorded with a comparison that an exhibit may name:
 * identification ran with the submitter's clearance, which may exceed the
 * exhibit readers'. A specimen deleted since is left out too (its
 * classification can no longer be told).
 */
async function readableByEveryExhibitReader<C extends { specimenId: string }>(
  candidates: readonly C[],
  specimen: (id: string) => Promise<Specimen | null | undefined>,
): Promise<{ candidates: C[]; withheld?: number }> {
  const out: C[] = [];
  for (const c of candidates) {
    const s = await specimen(c.specimenId);
    if (s && EXHIBIT_CLASSIFICATIONS.has(s.classification)) out.push(c);
  }
  const withheld = candidates.length - out.length;
  return { candidates: out, ...(withheld > 0 && { withheld }) };
}

/**
 * The comparison job loop. Every server process (unless configured not to)
 * and every `exemplar worker` process runs one; they share the work through
 * the catalog's job queue:
 *
 * - a runner claims a job with a lease and heartbeats while it works
 *   (recording the stage and progress); a job whose process died keeps its
 *   lease until it expires, then another runner claims it and starts it
 *   again from the stored inputs (attempts are bounded by the queue, after
 *   which the job fails with LEASE_EXPIRED);
 * - a heartbeat that finds the job cancelled, or taken over, aborts the work
 *   in the worker pool and removes the outputs this attempt stored;
 * - outputs (aligned PNG, heatmap PNG, regions JSON per light source) are
 *   stored under `comparisons/<job id>/` with their SHA-256 in the result; a
 *   new attempt first removes what an earlier one left;
 * - what the job relies on in the catalogue is held as evidence
 *   (EvidenceHold, holder `comparison:<job id>`): a named reference capture,
 *   and the capture of a catalogued original named as a questioned image,
 *   from the submission on (ComparisonService, listed in the payload); a
 *   reference chosen by identification (`auto`) from the moment it is chosen,
 *   by this attempt. The catalog takes a hold only while the capture exists
 *   (one atomic step), so either the delete came first and the job fails
 *   with REFERENCE_NOT_FOUND (the submission answered 404 for a named one),
 *   or the delete is refused while the job is queued or running
 *   (CaseService.liveHolds). The job lets its holds go once it has ended —
 *   every hold of its holder, including one an earlier attempt that died
 *   took: finished, its reference is in its result, where a delete that
 *   judges the holds after that looks (CaseService.evidenceUses), and a
 *   delete that judged them before is refused by the store, as a hold was
 *   taken since;
 * - before each claim (so at start-up too) the runner fails the jobs whose
 *   lease expired on their last attempt (`failExhausted`: their processes
 *   died) and lets go of what they held and stored, so a job that died does
 *   not keep its evidence from being deleted until someone tries.
 *
 * The result depends only on the inputs, the parameters and the software
 * versions it records (timings aside), so the same inputs give the same
 * outputs byte for byte.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  chooseAnchorLight,
  DEFAULT_ALIGN_OPTIONS,
  DEFAULT_ANALYSIS_LONG_EDGE,
  DEFAULT_LIGHT_REFINE_OPTIONS,
  isImageError,
  isPipelineError,
  type CaptureComparisonInput,
  type CaptureComparisonResult,
  type PipelinePool,
} from '@exemplar/image-pipeline';
import type { Capture, ComparisonOutput, ComparisonReference, ComparisonResult, IdentificationCandidate, IdentificationResult, LightComparisonResult, Specimen } from '@exemplar/specimens-schema';
import type { AuditService } from '../audit/audit.service';
import type { LimitsConfig } from '../config';
import { isExemplarError } from '../errors';
import { JOB_LEASE_EXPIRED, type CatalogStore, type EvidenceHold, type Job, type JobError, type JobProgress } from '../stores/catalog.port';
import { objectKeys, type ObjectStore } from '../stores/objects.port';
import { systemActor } from './actor';
import { COMPARISON_JOB_KIND, comparisonHolder, outputUrl, type ComparisonJobPayload, type ComparisonJobResult } from './comparisons.service';
import { describesLight, type IdentifyService } from './identify.service';

/** Statuses a reference chosen by `auto` may have: reference material, never a known fraud. */
const REFERENCE_STATUSES: readonly string[] = ['genuine', 'specimen'];
/** Candidates identification returns for a comparison: the chosen reference and the closest look-alikes, frauds among them. */
const IDENTIFY_K = 5;
/**
 * Unverified reference-status candidates that `auto` tries with the full alignment when none verified. The right
 * capture is then at the top of the ranking (a small or close-up view defeats the quick verification, not the
 * ranking), and each try costs a worker as much as the comparison's own alignment: two also cover a capture ranked
 * just below a look-alike of its design, while a questioned image unlike the whole library costs two tries, not five.
 */
const ALIGNMENT_FALLBACK_CANDIDATES = 2;

export interface RunnerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const SILENT: RunnerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface ComparisonRunnerDeps {
  catalog: CatalogStore;
  objects: ObjectStore;
  identify: IdentifyService;
  pipeline: () => PipelinePool;
  limits: LimitsConfig;
  tmpDir: string;
  /** Exemplar's version, recorded with every result. */
  version: string;
  /** Jobs this runner works on at once. */
  concurrency: number;
  leaseMs: number;
  /** How often an idle runner looks for work (an enqueue in this process wakes it at once). */
  pollMs?: number;
  /** How long `stop` waits for running jobs before abandoning them to their lease. */
  stopGraceMs?: number;
  workerId?: string;
  /** Finished and failed comparisons are recorded in the audit trail, with the outputs' hashes. */
  audit?: AuditService;
}

/** Why a job's work was interrupted without failing it. */
class Interrupted extends Error {
  constructor(readonly reason: 'lease-lost' | 'cancelled' | 'shutdown') {
    super(`interrupted: ${reason}`);
  }
}

/** A failure the job reports with its own code (not an HTTP error: nobody is waiting on a request). */
class JobFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;

function jobError(err: unknown): JobError {
  if (err instanceof JobFailure) return { code: err.code, message: err.message };
  if (isPipelineError(err)) {
    const code = err.code === 'INVALID_INPUT' ? 'UNPROCESSABLE' : err.code === 'WORKER_FAILED' ? 'PIPELINE_FAILED' : err.code;
    return { code, message: err.message };
  }
  if (isImageError(err)) return { code: err.code, message: err.message };
  if (isExemplarError(err) && err.status < 500) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: 'the comparison failed unexpectedly; the worker log has the details' };
}

function sha256Of(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** The runner acts for the submitter, whose visible classifications the job payload carries. */
const RUNNER_ACTOR = systemActor('comparison-runner');

export class ComparisonRunner {
  readonly workerId: string;
  private readonly d: ComparisonRunnerDeps;
  private readonly pollMs: number;
  private readonly stopGraceMs: number;
  private log: RunnerLog = SILENT;
  private loops: Promise<void>[] = [];
  private stopping = false;
  private wake: (() => void)[] = [];
  private readonly running = new Map<string, AbortController>();

  constructor(deps: ComparisonRunnerDeps) {
    if (!Number.isInteger(deps.concurrency) || deps.concurrency < 1) throw new RangeError('concurrency must be a positive integer');
    this.d = deps;
    this.pollMs = deps.pollMs ?? 1000;
    this.stopGraceMs = deps.stopGraceMs ?? 30_000;
    this.workerId = deps.workerId ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  get started(): boolean {
    return this.loops.length > 0;
  }

  /** Jobs this runner is working on now. */
  get activeJobIds(): string[] {
    return [...this.running.keys()];
  }

  /** Starts `concurrency` loops claiming jobs until `stop`. */
  start(log: RunnerLog = SILENT): void {
    if (this.loops.length > 0) return;
    this.stopping = false;
    this.log = log;
    for (let i = 0; i < this.d.concurrency; i++) this.loops.push(this.loop());
  }

  /** Wakes idle loops (a job was just enqueued in this process). */
  notify(): void {
    for (const w of this.wake.splice(0)) w();
  }

  /**
   * Stops claiming; waits up to the grace period for running jobs, then
   * abandons them: they stay running under their lease and another runner
   * takes them over once it expires.
   */
  async stop(): Promise<void> {
    if (this.loops.length === 0) return;
    this.stopping = true;
    this.notify();
    const all = Promise.all(this.loops);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.stopGraceMs);
      timer.unref();
    });
    await Promise.race([all, grace]);
    clearTimeout(timer);
    for (const ac of this.running.values()) ac.abort(new Interrupted('shutdown'));
    await all;
    this.loops = [];
  }

  /** Claims and runs one job if there is one; true when a job was taken. Ends the jobs whose processes died on their last attempt first. */
  async runOnce(): Promise<boolean> {
    await this.failExhausted();
    const job = await this.d.catalog.jobs.claim(this.workerId, this.d.leaseMs, [COMPARISON_JOB_KIND]);
    if (!job) return false;
    await this.process(job);
    return true;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let found = false;
      try {
        found = await this.runOnce();
      } catch (err) {
        this.log.error({ err, workerId: this.workerId }, 'comparison runner: claiming a job failed');
      }
      if (!found && !this.stopping) await this.idle();
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.pollMs);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake.push(done);
    });
  }

  private async process(job: Job): Promise<void> {
    const { catalog } = this.d;
    const ac = new AbortController();
    this.running.set(job.id, ac);
    let progress: JobProgress = { fraction: 0, stage: 'start' };
    let beating: Promise<unknown> = Promise.resolve();
    const beat = () => {
      beating = beating.then(async () => {
        if (ac.signal.aborted) return;
        try {
          await catalog.jobs.heartbeat(job.id, this.workerId, progress);
        } catch (err) {
          if (isExemplarError(err) && (err.code === 'CONFLICT' || err.code === 'JOB_NOT_FOUND')) {
            ac.abort(new Interrupted(err.details.status === 'cancelled' ? 'cancelled' : 'lease-lost'));
          } else this.log.warn({ err, jobId: job.id }, 'comparison runner: heartbeat failed');
        }
      });
      return beating;
    };
    const setProgress = (stage: string, fraction: number) => {
      const changed = stage !== progress.stage;
      progress = { stage, fraction: round(Math.min(1, Math.max(0, fraction))) };
      if (changed) void beat();
    };
    const timer = setInterval(() => void beat(), Math.max(50, Math.floor(this.d.leaseMs / 3)));
    timer.unref();
    const work = path.join(this.d.tmpDir, `comparison-${job.id}-${randomUUID().slice(0, 8)}`);
    const stored: string[] = [];
    // The submission's holds, and an `auto` reference's, stand for every attempt; whichever ends the job lets them go.
    this.log.info({ jobId: job.id, attempt: job.attempts, workerId: this.workerId }, 'comparison started');
    try {
      if (job.attempts > 1) await this.removeOutputs(job.id);
      await fs.mkdir(work, { recursive: true });
      const result = await this.compare(job, work, ac.signal, setProgress, stored);
      clearInterval(timer);
      await beating;
      if (ac.signal.aborted) throw ac.signal.reason;
      await catalog.jobs.complete(job.id, this.workerId, result);
      await this.releaseHolds(job.id);
      await this.indexChosenReference(job, result);
      this.log.info({ jobId: job.id }, 'comparison done');
      const hashes = Object.fromEntries(result.result.lights.flatMap((l) => Object.entries(l.outputs).map(([kind, o]) => [`${l.lightSource}/${kind}`, o.sha256])));
      await this.recordOutcome(job, 'comparison.complete', hashes, { reference: result.reference });
    } catch (err) {
      clearInterval(timer);
      await beating;
      const interrupted = ac.signal.aborted ? (ac.signal.reason as unknown) : err;
      if (interrupted instanceof Interrupted) {
        this.log.info({ jobId: job.id, reason: interrupted.reason }, 'comparison interrupted');
        // A cancelled job keeps nothing; a job taken over or abandoned belongs to its next attempt, which cleans up itself
        // (its holds stand while the job is running: this attempt might still be the one to finish it).
        if (interrupted.reason === 'cancelled') await this.letGo(job.id, stored);
        return;
      }
      if (isExemplarError(err) && err.code === 'CONFLICT' && err.details.reason === 'LEASE_LOST') {
        if (err.details.status === 'cancelled') await this.letGo(job.id, stored);
        return;
      }
      const e = jobError(err);
      if (e.code === 'INTERNAL') this.log.error({ err, jobId: job.id }, 'comparison failed');
      else this.log.info({ jobId: job.id, code: e.code, message: e.message }, 'comparison failed');
      await this.removeKeys(stored);
      try {
        await catalog.jobs.fail(job.id, this.workerId, e);
      } catch (failErr) {
        this.log.warn({ err: failErr, jobId: job.id }, 'comparison runner: could not record the failure');
        return;
      }
      await this.releaseHolds(job.id);
      await this.recordOutcome(job, 'comparison.fail', {}, { code: e.code });
    } finally {
      this.running.delete(job.id);
      await fs.rm(work, { recursive: true, force: true });
    }
  }

  /** The job's outcome is stored whatever happens here: a failure to audit it is logged, never undone. */
  private async recordOutcome(job: Job, action: string, hashes: Record<string, string>, details: Record<string, unknown>): Promise<void> {
    try {
      await this.d.audit?.record({ actor: RUNNER_ACTOR, action, target: { kind: 'comparison', id: job.id }, hashes, details: { ...details, attempt: job.attempts, workerId: this.workerId } });
    } catch (err) {
      this.log.error({ err, jobId: job.id, action }, 'comparison runner: could not record the outcome in the audit trail');
    }
  }

  private async compare(
    job: Job,
    work: string,
    signal: AbortSignal,
    setProgress: (stage: string, fraction: number) => void,
    stored: string[],
  ): Promise<ComparisonJobResult> {
    const payload = job.payload as ComparisonJobPayload;
    const questionedLights = Object.keys(payload.questioned);
    const fetch = async (key: string, name: string) => {
      const file = path.join(work, name);
      await pipeline(await this.d.objects.get(key), createWriteStream(file, { flags: 'wx' }));
      return file;
    };
    const questionedFiles: Record<string, string> = {};
    for (const [light, q] of Object.entries(payload.questioned)) if (q) questionedFiles[light] = await fetch(q.key, `questioned-${light}`);
    signalCheck(signal);

    // The reference: as requested, or the best reference-status candidate of identification.
    let reference: ComparisonReference;
    let identification: IdentificationResult | null = null;
    // The full alignment that confirmed an unverified candidate, reused by the comparison rather than made again.
    let anchorAlignment: CaptureComparisonInput['anchorAlignment'];
    const identifyLight = chooseAnchorLight(questionedLights.filter(describesLight), questionedLights.filter(describesLight));
    const identify = (light: string) =>
      this.withQueueRetry(signal, () => this.d.identify.identifyFile(questionedFiles[light]!, { filter: payload.request.identify, k: IDENTIFY_K, signal, classifications: payload.classifications }, RUNNER_ACTOR));
    if (payload.request.reference === 'auto') {
      setProgress('identify', 0.02);
      if (!identifyLight) throw new JobFailure('NO_VISIBLE_LIGHT', 'identification (`auto`) needs a questioned image under reflected visible light (white, coaxial …)');
      identification = await identify(identifyLight);
      let chosen = identification.candidates.find((c) => c.verified && REFERENCE_STATUSES.includes(c.status));
      if (!chosen) {
        setProgress('confirm-reference', 0.04);
        const confirmed = await this.confirmByAlignment(identification, { file: questionedFiles[identifyLight]!, light: identifyLight }, fetch, signal);
        identification = confirmed.identification;
        chosen = confirmed.chosen;
        anchorAlignment = confirmed.alignment;
        if (!chosen) {
          throw new JobFailure(
            'NO_CANDIDATE',
            `identification found no genuine reference capture matching the questioned image (${identification.searched} images searched, none verified; ${confirmed.tried} ${confirmed.tried === 1 ? 'candidate' : 'candidates'} tried by full alignment${confirmed.tried > 0 ? ', none aligned' : ''})`,
          );
        }
      }
      reference = { specimenId: chosen.specimenId, captureId: chosen.captureId };
      await this.holdReference(job, reference);
    } else reference = payload.request.reference;

    // A named reference is held from the submission on; only a job submitted before submissions held anything can miss it.
    const specimen = await this.d.catalog.specimens.get(reference.specimenId);
    const capture: Capture | undefined = specimen?.captures.find((c) => c.id === reference.captureId);
    if (!specimen || !capture) throw new JobFailure('REFERENCE_NOT_FOUND', `the reference capture ${reference.captureId} of specimen ${reference.specimenId} no longer exists`);
    // With a chosen reference (known to exist: a job failing on it pays for no search), identification still
    // tells whether the questioned document looks more like a known fraud in the library. It is advice: the
    // comparison goes on without it.
    if (payload.request.reference !== 'auto' && identifyLight) {
      setProgress('identify', 0.02);
      try {
        identification = await identify(identifyLight);
      } catch (err) {
        if (signal.aborted) throw err;
        this.log.warn({ err, jobId: job.id }, 'comparison runner: identification for the known-fraud check failed; comparing without it');
      }
    }
    setProgress('fetch', 0.08);
    // Only the images both sides have are fetched; the others are reported as skipped.
    const referenceLights = capture.images.map((i) => i.lightSource as string);
    const skipped: ComparisonResult['skipped'] = [];
    const common: string[] = [];
    for (const l of payload.request.lightSources ?? [...new Set([...referenceLights, ...questionedLights])]) {
      if (!referenceLights.includes(l)) skipped.push({ lightSource: l as LightComparisonResult['lightSource'], reason: 'not-in-reference' });
      else if (!questionedLights.includes(l)) skipped.push({ lightSource: l as LightComparisonResult['lightSource'], reason: 'not-in-questioned' });
      else common.push(l);
    }
    const referenceFiles: Record<string, string> = {};
    for (const image of capture.images) {
      if (common.includes(image.lightSource)) referenceFiles[image.lightSource] = await fetch(objectKeys.original(image.sha256), `reference-${image.lightSource}`);
    }
    signalCheck(signal);

    const refine = { ...DEFAULT_LIGHT_REFINE_OPTIONS };
    const analysisMaxLongEdge = DEFAULT_ANALYSIS_LONG_EDGE;
    const compared = await this.withQueueRetry(signal, () =>
      this.d.pipeline().compareCapture(
        {
          reference: { images: referenceFiles, zones: capture.zones },
          questioned: { images: questionedFiles },
          anchorAlignment,
          lightSources: common,
          refine,
          decode: { maxPixels: this.d.limits.maxImagePixels, maxLongEdge: analysisMaxLongEdge },
        },
        { signal, onProgress: (p) => setProgress(p.stage, 0.1 + 0.8 * p.fraction) },
      ),
    );
    setProgress('store', 0.92);
    const lights: LightComparisonResult[] = [];
    for (const l of compared.lights) lights.push(await this.storeLight(job.id, l, stored));
    signalCheck(signal);
    return { v: 1, reference, identification, result: { ...this.resultOf(compared, lights, specimen, refine, analysisMaxLongEdge), skipped } };
  }

  private resultOf(
    c: CaptureComparisonResult,
    lights: LightComparisonResult[],
    specimen: Specimen,
    refine: typeof DEFAULT_LIGHT_REFINE_OPTIONS,
    analysisMaxLongEdge: number,
  ): ComparisonResult {
    const { elapsedMs: _t, ...alignment } = c.alignment;
    return {
      anchorLight: c.anchorLight as ComparisonResult['anchorLight'],
      alignment,
      lights,
      skipped: c.skipped as ComparisonResult['skipped'],
      parameters: {
        align: { ...DEFAULT_ALIGN_OPTIONS },
        registration: refine,
        analysisMaxLongEdge,
        referenceSpecimenRevision: specimen.revision,
        compare: Object.fromEntries(c.lights.map((l) => [l.lightSource, l.parameters])),
      },
      versions: { exemplar: this.d.version, ...c.versions },
      elapsedMs: { ...c.elapsedMs, alignStages: c.alignment.elapsedMs.total },
    };
  }

  private async storeLight(jobId: string, l: CaptureComparisonResult['lights'][number], stored: string[]): Promise<LightComparisonResult> {
    const regionsJson = Buffer.from(
      `${JSON.stringify(
        {
          lightSource: l.lightSource,
          homography: l.homography,
          registration: l.registration,
          referenceSize: l.referenceSize,
          outputSize: l.outputSize,
          regions: l.regions,
          personalisedRegions: l.personalisedRegions,
          blownOutRegions: l.blownOutRegions,
          zoneVerdicts: l.zoneVerdicts,
          findings: l.findings,
        },
        null,
        2,
      )}\n`,
    );
    const put = async (suffix: 'aligned.png' | 'heatmap.png' | 'regions.json', body: Buffer, contentType: 'image/png' | 'application/json'): Promise<ComparisonOutput> => {
      const name = `${l.lightSource}.${suffix}`;
      const sha256 = sha256Of(body);
      const r = await this.d.objects.put(objectKeys.comparison(jobId, name), body, { contentType, bytes: body.length, expectedSha256: sha256 });
      if (r.created) stored.push(r.key);
      return { name, sha256, bytes: body.length, contentType, url: outputUrl(jobId, name) };
    };
    const outputs = {
      aligned: await put('aligned.png', l.alignedPng, 'image/png'),
      heatmap: await put('heatmap.png', l.heatmapPng, 'image/png'),
      regions: await put('regions.json', regionsJson, 'application/json'),
    };
    return {
      lightSource: l.lightSource as LightComparisonResult['lightSource'],
      homography: l.homography,
      registration: { ...l.registration, anchorLight: l.registration.anchorLight as LightComparisonResult['lightSource'] },
      regions: l.regions.map(regionRecord),
      personalisedRegions: l.personalisedRegions.map(regionRecord),
      // Not differences: where the questioned image is blown out, listed for the examiner as not judged.
      blownOutRegions: l.blownOutRegions.map(regionRecord),
      zoneVerdicts: l.zoneVerdicts.map(verdictRecord),
      findings: l.findings.map(findingRecord),
      outputs,
      outputSize: l.outputSize,
      referenceSize: l.referenceSize,
      questionedSize: l.questionedSize,
      stats: { ...l.stats, analysisScale: l.analysisScale, elapsedMs: l.elapsedMs },
    };
  }

  /**
   * When identification verified no reference-status candidate: the best few unverified ones (by rank) are
   * tried with the full alignment a comparison makes (pyramids, zoom and tilt fallbacks, and a quality gate that
   * refuses unrelated images), questioned image against the candidate capture's image under the same light (else
   * the image identification ranked), in the worker pool. The first it accepts is the reference. Each candidate
   * tried records the outcome (`fullAlignment`), so the stored identification says how the reference was chosen.
   */
  private async confirmByAlignment(
    identification: IdentificationResult,
    questioned: { file: string; light: string },
    fetch: (key: string, name: string) => Promise<string>,
    signal: AbortSignal,
  ): Promise<{ identification: IdentificationResult; chosen: IdentificationCandidate | undefined; tried: number; alignment: CaptureComparisonInput['anchorAlignment'] }> {
    const outcomes = new Map<IdentificationCandidate, 'accepted' | 'refused'>();
    let alignment: CaptureComparisonInput['anchorAlignment'];
    const untried = identification.candidates.filter((c) => !c.verified && REFERENCE_STATUSES.includes(c.status)).slice(0, ALIGNMENT_FALLBACK_CANDIDATES);
    let chosen: IdentificationCandidate | undefined;
    for (const [i, c] of untried.entries()) {
      const capture = (await this.d.catalog.specimens.get(c.specimenId))?.captures.find((x) => x.id === c.captureId);
      // Deleted since identification saw it: nothing to align (nor to compare with).
      const image = capture?.images.find((x) => x.lightSource === questioned.light) ?? capture?.images.find((x) => x.lightSource === c.lightSource);
      if (!image) continue;
      const file = await fetch(objectKeys.original(image.sha256), `candidate-${i}-${image.lightSource}`);
      const aligned = await this.withQueueRetry(signal, () =>
        this.d.pipeline().alignFiles(
          { reference: file, questioned: questioned.file, lightSource: image.lightSource, decode: { maxPixels: this.d.limits.maxImagePixels, maxLongEdge: DEFAULT_ANALYSIS_LONG_EDGE } },
          { signal },
        ),
      );
      await fs.rm(file, { force: true });
      outcomes.set(c, aligned.ok ? 'accepted' : 'refused');
      if (aligned.ok) {
        chosen = c;
        // The images of one light, as the comparison will align them if that light is its anchor.
        if (image.lightSource === questioned.light) alignment = { lightSource: image.lightSource, result: aligned };
        break;
      }
    }
    const candidates = identification.candidates.map((c) => {
      const outcome = outcomes.get(c);
      return outcome ? { ...c, fullAlignment: outcome } : c;
    });
    return { identification: { ...identification, candidates }, chosen: chosen && candidates[identification.candidates.indexOf(chosen)], tried: outcomes.size, alignment };
  }

  /**
   * Holds the reference identification chose, for this attempt of the job
   * (holder revision = the attempt), if the capture still exists: the catalog
   * checks and stores in one atomic step. REFERENCE_NOT_FOUND when it was
   * deleted since identification saw it.
   */
  private async holdReference(job: Job, reference: ComparisonReference): Promise<void> {
    const hold: EvidenceHold = { holder: comparisonHolder(job.id), holderRevision: job.attempts, captureId: reference.captureId, at: new Date().toISOString() };
    try {
      await this.d.catalog.specimens.hold(reference.specimenId, hold);
    } catch (err) {
      if (!isExemplarError(err) || (err.code !== 'SPECIMEN_NOT_FOUND' && err.code !== 'CAPTURE_NOT_FOUND')) throw err;
      throw new JobFailure(
        'REFERENCE_NOT_FOUND',
        `identification chose capture ${reference.captureId} of specimen ${reference.specimenId} as the reference, but it was deleted before the comparison could start; submit the comparison again`,
      );
    }
  }

  /**
   * A job that has ended writes nothing more: none of its holds — its
   * submission's, this attempt's, or one an earlier attempt that died took —
   * has a write left to guard. A release that fails is left to the next
   * delete, which judges the holds of an ended job done.
   */
  private async releaseHolds(jobId: string): Promise<void> {
    const holder = comparisonHolder(jobId);
    try {
      await this.d.catalog.specimens.releaseHolder(holder);
    } catch (err) {
      this.log.warn({ err, holder }, 'comparison runner: could not release the holds of an ended comparison');
    }
  }

  /**
   * An `auto` comparison is found by its reference's title once it has one,
   * as the lists then show it. A failure costs only that: the comparison is
   * done, and still found by everything else it showed.
   */
  private async indexChosenReference(job: Job, result: ComparisonJobResult): Promise<void> {
    if ((job.payload as ComparisonJobPayload).request.reference !== 'auto') return;
    try {
      const title = (await this.d.catalog.specimens.get(result.reference.specimenId))?.title;
      if (title !== undefined) await this.d.catalog.jobs.addSearchText(job.id, [title]);
    } catch (err) {
      this.log.warn({ err, jobId: job.id }, 'comparison runner: could not add the chosen reference to what the comparison is found by');
    }
  }

  /** What a cancelled job leaves: nothing stored, nothing held. */
  private async letGo(jobId: string, stored: readonly string[]): Promise<void> {
    await this.removeKeys(stored);
    await this.releaseHolds(jobId);
  }

  /**
   * Fails the comparisons whose lease expired on their last allowed attempt
   * (their processes died, or stopped and never came back) and lets go of
   * what they held and stored, as a job failing in this process does. Run
   * before each claim, so a runner starting up ends them at once; of several
   * runners asking together, the store hands each job to one.
   */
  private async failExhausted(): Promise<void> {
    let ended: Job[];
    try {
      ended = await this.d.catalog.jobs.failExhausted([COMPARISON_JOB_KIND]);
    } catch (err) {
      this.log.error({ err, workerId: this.workerId }, 'comparison runner: failing the comparisons whose processes died failed');
      return;
    }
    for (const job of ended) {
      this.log.info({ jobId: job.id, attempts: job.attempts }, 'comparison failed: its lease expired on every allowed attempt');
      await this.releaseHolds(job.id);
      try {
        await this.removeOutputs(job.id);
      } catch (err) {
        this.log.warn({ err, jobId: job.id }, 'comparison runner: could not list what a dead attempt stored');
      }
      await this.recordOutcome(job, 'comparison.fail', {}, { code: JOB_LEASE_EXPIRED });
    }
  }

  /** The pool is shared with API requests: a full queue means waiting a little, not failing the job. */
  private async withQueueRetry<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    for (let delay = 200; ; delay = Math.min(5000, delay * 2)) {
      try {
        return await fn();
      } catch (err) {
        const full = (isPipelineError(err) || isExemplarError(err)) && err.code === 'QUEUE_FULL';
        if (!full || signal.aborted) throw err;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async removeOutputs(jobId: string): Promise<void> {
    const keys: string[] = [];
    for await (const stat of this.d.objects.list(objectKeys.comparisonPrefix(jobId))) keys.push(stat.key);
    await this.removeKeys(keys);
  }

  private async removeKeys(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      try {
        await this.d.objects.delete(key);
      } catch (err) {
        this.log.warn({ err, key }, 'comparison runner: could not remove an output');
      }
    }
  }
}

type Region = CaptureComparisonResult['lights'][number]['regions'][number];
type Verdict = CaptureComparisonResult['lights'][number]['zoneVerdicts'][number];

/** The fields of the API contract only (comparison.schema.json), whatever else the difference stage reports. */
function regionRecord(r: Region): LightComparisonResult['regions'][number] {
  return {
    box: { x: r.box.x, y: r.box.y, width: r.box.width, height: r.box.height },
    polygon: r.polygon,
    area: r.area,
    score: r.score,
    peak: r.peak,
    // Reported by difference stages from 1.1.0 on; absent in older results, never made up as 0.
    ...(r.overexposed !== undefined && { overexposed: r.overexposed }),
  };
}

function verdictRecord(v: Verdict): LightComparisonResult['zoneVerdicts'][number] {
  return {
    zoneId: v.zoneId,
    type: v.type as LightComparisonResult['zoneVerdicts'][number]['type'],
    ...(v.label !== undefined && { label: v.label }),
    verdict: v.verdict,
    score: v.score,
    flaggedShare: v.flaggedShare,
    signal: { reference: v.signal.reference, questioned: v.signal.questioned },
    coverage: v.coverage,
    judgedShare: v.judgedShare,
  };
}

type Finding = CaptureComparisonResult['lights'][number]['findings'][number];

function findingRecord(f: Finding): NonNullable<LightComparisonResult['findings']>[number] {
  return {
    kind: f.kind,
    message: f.message,
    zoneId: f.zoneId,
    box: { x: f.box.x, y: f.box.y, width: f.box.width, height: f.box.height },
    ...(f.fields && { fields: [...f.fields] }),
    ...(f.characters && { characters: f.characters.map(([line, column]) => [line, column]) }),
    ...(f.lines && { lines: [...f.lines] }),
    ...(f.checks && { checks: f.checks.map((c) => ({ field: c.field, data: c.data, printed: c.printed, expected: c.expected, position: [c.position[0], c.position[1]] })) }),
    ...(f.characterFields && { characterFields: [...f.characterFields] }),
    ...(f.lightSource !== undefined && { lightSource: f.lightSource as LightComparisonResult['lightSource'] }),
  };
}

function signalCheck(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason;
}

/**
 * The comparison job loop on the real SQLite queue and object folder, with
 * the pipeline's worker threads (compiled: run `npx tsc -b` first): a job
 * left running by a dead process is taken over once its lease expires, a
 * cancelled job stops and keeps nothing, several runners share one queue,
 * a failing known-fraud identification leaves a chosen-reference comparison
 * to run without it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { HOLDERS, renderDocument, UTOPIA_PASSPORT_2019, type DocumentVariant } from '@exemplar/image-pipeline';
import type { Capture, Comparison, Specimen } from '@exemplar/specimens-schema';
import type { AppContext } from '../context';
import { openTestContext, MINIMAL_SPECIMEN } from '../test-helpers';
import { ExemplarError } from '../errors';
import { objectKeys } from '../stores/objects.port';
import { LOCAL_ACTOR } from './actor';
import { ComparisonRunner } from './comparison-runner';
import { COMPARISON_JOB_KIND, submissionHolds } from './comparisons.service';

jest.setTimeout(900_000);

let ctx: AppContext;
let dataDir: string;
let specimen: Specimen;
let capture: Capture;
let questionedDir: string;
const LEASE_MS = 1500;

async function render(noiseSeed: number, variant?: DocumentVariant) {
  const r = await renderDocument({ ...UTOPIA_PASSPORT_2019, dpi: 110 }, HOLDERS.passportA, 'white', { format: 'png', noiseSeed, variant });
  return r;
}

async function submit(): Promise<Comparison> {
  return ctx.services.comparisons.submitUpload(
    { reference: { specimenId: specimen.id, captureId: capture.id } },
    [{ lightSource: 'white', path: path.join(questionedDir, 'white.png') }],
    LOCAL_ACTOR,
  );
}

async function sha256Of(key: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  const hash = createHash('sha256');
  for await (const chunk of await ctx.objects.get(key)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

beforeAll(async () => {
  ({ context: ctx, dataDir } = await openTestContext({ EXEMPLAR_SERVER_COMPARISONS: '0', EXEMPLAR_JOB_LEASE_MS: String(LEASE_MS) }));
  const reference = await render(1);
  const refDir = path.join(dataDir, 'fixtures');
  await fs.mkdir(refDir, { recursive: true });
  await fs.writeFile(path.join(refDir, 'white.png'), reference.image);
  specimen = await ctx.services.specimens.create({ ...MINIMAL_SPECIMEN }, LOCAL_ACTOR);
  capture = await ctx.services.ingest.addCapture(
    specimen.id,
    { page: 'data-page', zones: reference.zones.map(({ id: _id, ...z }) => z) },
    [{ lightSource: 'white', path: path.join(refDir, 'white.png') }],
    LOCAL_ACTOR,
  );
  questionedDir = path.join(dataDir, 'questioned');
  await fs.mkdir(questionedDir, { recursive: true });
  await fs.writeFile(path.join(questionedDir, 'white.png'), (await render(2, { alterFields: { dateOfBirth: '1984-03-14' } })).image);
});

afterAll(async () => {
  await ctx?.close();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

describe('ComparisonRunner', () => {
  it('takes over a job whose worker died once its lease expired, clears what the dead attempt left, and completes it', async () => {
    const submitted = await submit();
    // A worker claims the job, writes part of an output, then dies (no more heartbeats).
    const dead = await ctx.catalog.jobs.claim('dead-worker', 50, [COMPARISON_JOB_KIND]);
    expect(dead?.id).toBe(submitted.id);
    await ctx.objects.put(objectKeys.comparison(submitted.id, 'white.heatmap.png'), Buffer.from('half-written by the dead worker'));
    await new Promise((resolve) => setTimeout(resolve, 100));

    const runner = ctx.comparisonRunner;
    expect(await runner.runOnce()).toBe(true);
    const job = await ctx.catalog.jobs.get(submitted.id);
    expect(job).toMatchObject({ status: 'done', attempts: 2, workerId: runner.workerId });
    const view = await ctx.services.comparisons.get(submitted.id, LOCAL_ACTOR);
    const heatmap = view.result!.lights[0]!.outputs.heatmap;
    expect(await sha256Of(objectKeys.comparison(submitted.id, heatmap.name))).toBe(heatmap.sha256);
    // The dead worker cannot write anything into the job any more.
    await expect(ctx.catalog.jobs.heartbeat(submitted.id, 'dead-worker', { fraction: 0.5, stage: 'compare' })).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'LEASE_LOST', status: 'done' },
    });
    await expect(ctx.catalog.jobs.complete(submitted.id, 'dead-worker', {})).rejects.toBeInstanceOf(ExemplarError);
  });

  it('stops a running job that is cancelled and removes what it stored', async () => {
    const submitted = await submit();
    const runner = ctx.comparisonRunner;
    const running = runner.runOnce();
    // Cancel once the job is being worked on.
    for (;;) {
      const job = await ctx.catalog.jobs.get(submitted.id);
      if (job?.status === 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await ctx.services.comparisons.cancel(submitted.id, LOCAL_ACTOR)).status).toBe('cancelled');
    expect(await running).toBe(true);
    const job = await ctx.catalog.jobs.get(submitted.id);
    expect(job).toMatchObject({ status: 'cancelled', result: null });
    const left: string[] = [];
    for await (const stat of ctx.objects.list(objectKeys.comparisonPrefix(submitted.id))) left.push(stat.key);
    expect(left).toEqual([]);
  });

  it('with a chosen reference, compares without the known-fraud identification when it fails, and does not search for a reference that is gone', async () => {
    let searches = 0;
    const failing = {
      identifyFile: async () => {
        searches++;
        throw new ExemplarError('INTERNAL', 'identification broke');
      },
    } as unknown as AppContext['services']['identify'];
    const runner = new ComparisonRunner({ catalog: ctx.catalog, objects: ctx.objects, identify: failing, pipeline: () => ctx.pipeline, limits: ctx.config.limits, tmpDir: ctx.config.tmpDir, version: 'test', concurrency: 1, leaseMs: LEASE_MS, pollMs: 50, workerId: 'runner-no-identify' });

    const advised = await submit();
    expect(await runner.runOnce()).toBe(true);
    expect(await ctx.catalog.jobs.get(advised.id)).toMatchObject({ status: 'done' });
    expect(searches).toBe(1);
    const view = await ctx.services.comparisons.get(advised.id, LOCAL_ACTOR);
    expect(view.identification).toBeNull();
    expect(view.result!.lights.map((l) => l.lightSource)).toEqual(['white']);

    // A reference deleted after the submission: the submission holds it, so only a job queued before submissions held their
    // reference (here: its hold let go by hand) can meet it gone; the job fails on it before any library search.
    const gone = await ctx.services.specimens.create({ ...MINIMAL_SPECIMEN }, LOCAL_ACTOR);
    const goneCapture = await ctx.services.ingest.addCapture(gone.id, { page: 'data-page' }, [{ lightSource: 'white', path: path.join(dataDir, 'fixtures', 'white.png') }], LOCAL_ACTOR);
    const orphan = await ctx.services.comparisons.submitUpload({ reference: { specimenId: gone.id, captureId: goneCapture.id } }, [{ lightSource: 'white', path: path.join(questionedDir, 'white.png') }], LOCAL_ACTOR);
    await expect(ctx.services.specimens.delete(gone.id, undefined, LOCAL_ACTOR)).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'EVIDENCE', comparisons: [orphan.id] } });
    for (const { specimenId, hold } of submissionHolds((await ctx.catalog.jobs.get(orphan.id))!)) expect(await ctx.catalog.specimens.releaseHold(specimenId, hold)).toBe(true);
    await ctx.services.specimens.delete(gone.id, undefined, LOCAL_ACTOR);
    expect(await runner.runOnce()).toBe(true);
    expect(await ctx.catalog.jobs.get(orphan.id)).toMatchObject({ status: 'failed', error: { code: 'REFERENCE_NOT_FOUND' } });
    expect(searches).toBe(1);
  });

  it('shares one queue between runners (as in several processes): each job runs once', async () => {
    const jobs = [await submit(), await submit(), await submit()];
    const make = (id: string) =>
      new ComparisonRunner({
        catalog: ctx.catalog,
        objects: ctx.objects,
        identify: ctx.services.identify,
        pipeline: () => ctx.pipeline,
        limits: ctx.config.limits,
        tmpDir: ctx.config.tmpDir,
        version: 'test',
        concurrency: 1,
        leaseMs: LEASE_MS,
        pollMs: 50,
        workerId: id,
      });
    const a = make('runner-a');
    const b = make('runner-b');
    a.start();
    b.start();
    try {
      for (const j of jobs) {
        for (;;) {
          const job = await ctx.catalog.jobs.get(j.id);
          if (job && job.status !== 'queued' && job.status !== 'running') break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    const done = await Promise.all(jobs.map((j) => ctx.catalog.jobs.get(j.id)));
    expect(done.map((j) => j?.status)).toEqual(['done', 'done', 'done']);
    expect(done.every((j) => j?.attempts === 1)).toBe(true);
    // Identical inputs: identical outputs, whichever runner did the work.
    const heatmaps = await Promise.all(jobs.map(async (j) => (await ctx.services.comparisons.get(j.id, LOCAL_ACTOR)).result!.lights[0]!.outputs.heatmap.sha256));
    expect(new Set(heatmaps).size).toBe(1);
  });

  describe('evidence held by a job whose process died', () => {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    /** A specimen with one capture of the reference image, to be held. */
    async function heldSpecimen(): Promise<{ specimen: Specimen; capture: Capture }> {
      const made = await ctx.services.specimens.create({ ...MINIMAL_SPECIMEN }, LOCAL_ACTOR);
      const madeCapture = await ctx.services.ingest.addCapture(made.id, { page: 'data-page' }, [{ lightSource: 'white', path: path.join(dataDir, 'fixtures', 'white.png') }], LOCAL_ACTOR);
      return { specimen: made, capture: madeCapture };
    }

    /** A comparison of `reference`, claimed by workers that die (no heartbeat, no end) on one or every allowed attempt; one of them (the second, when there are more) held `chosen` as an `auto` reference. */
    async function diedOn(reference: { specimen: Specimen; capture: Capture }, chosen: { specimen: Specimen; capture: Capture }, attempts: 'every' | 'one'): Promise<string> {
      const submitted = await ctx.services.comparisons.submitUpload(
        { reference: { specimenId: reference.specimen.id, captureId: reference.capture.id } },
        [{ lightSource: 'white', path: path.join(questionedDir, 'white.png') }],
        LOCAL_ACTOR,
      );
      for (let attempt = 1; ; attempt++) {
        const dead = (await ctx.catalog.jobs.claim(`dead-worker-${attempt}`, 1, [COMPARISON_JOB_KIND]))!;
        expect(dead.id).toBe(submitted.id);
        // The hold an attempt takes on the reference identification chose (holder revision = the attempt).
        if (attempt === (attempts === 'one' ? 1 : Math.min(2, dead.maxAttempts))) {
          await ctx.catalog.specimens.hold(chosen.specimen.id, { holder: `comparison:${submitted.id}`, holderRevision: attempt, captureId: chosen.capture.id, at: new Date().toISOString() });
        }
        await sleep(10);
        if (attempts === 'one' || dead.attempts === dead.maxAttempts) break;
      }
      return submitted.id;
    }

    it('at start, a runner fails a job that died on its last attempt and lets go of everything it held: the evidence can be deleted at once', async () => {
      const reference = await heldSpecimen();
      const chosen = await heldSpecimen();
      const id = await diedOn(reference, chosen, 'every');
      await ctx.objects.put(objectKeys.comparison(id, 'white.heatmap.png'), Buffer.from('half-written by a dead worker'));
      // Still recorded as running under an expired lease: its holds stand, and the evidence may not go.
      expect(await ctx.catalog.jobs.get(id)).toMatchObject({ status: 'running' });
      expect((await ctx.catalog.specimens.holds(reference.specimen.id)).holds).toEqual([expect.objectContaining({ holder: `comparison:${id}` })]);
      await expect(ctx.services.specimens.delete(chosen.specimen.id, undefined, LOCAL_ACTOR)).rejects.toMatchObject({ code: 'CONFLICT' });

      // A new runner on the same SQLite file (as in a process starting up): its loop's first pass finds no job to run.
      const runner = new ComparisonRunner({ catalog: ctx.catalog, objects: ctx.objects, identify: ctx.services.identify, pipeline: () => ctx.pipeline, limits: ctx.config.limits, tmpDir: ctx.config.tmpDir, version: 'test', concurrency: 1, leaseMs: LEASE_MS, pollMs: 50, workerId: 'runner-after-restart', audit: ctx.services.audit });
      expect(await runner.runOnce()).toBe(false);
      const failed = (await ctx.catalog.jobs.get(id))!;
      expect(failed).toMatchObject({ status: 'failed', error: { code: 'LEASE_EXPIRED' }, attempts: failed.maxAttempts });
      // Every hold of the job is gone — its submission's and the one a dead attempt took — without a delete having to judge them.
      expect((await ctx.catalog.specimens.holds(reference.specimen.id)).holds).toEqual([]);
      expect((await ctx.catalog.specimens.holds(chosen.specimen.id)).holds).toEqual([]);
      const left: string[] = [];
      for await (const stat of ctx.objects.list(objectKeys.comparisonPrefix(id))) left.push(stat.key);
      expect(left).toEqual([]);
      expect((await ctx.services.audit.entriesFor([`comparison:${id}`])).map((e) => [e.action, e.details?.code])).toContainEqual(['comparison.fail', 'LEASE_EXPIRED']);
      await ctx.services.specimens.delete(chosen.specimen.id, undefined, LOCAL_ACTOR);
      await ctx.services.specimens.delete(reference.specimen.id, undefined, LOCAL_ACTOR);
      expect(await ctx.catalog.specimens.get(reference.specimen.id)).toBeNull();
    });

    it('a cancelled job lets go of every hold, also the reference a dead attempt chose and held', async () => {
      const reference = await heldSpecimen();
      const chosen = await heldSpecimen();
      const id = await diedOn(reference, chosen, 'one');
      expect((await ctx.catalog.specimens.holds(chosen.specimen.id)).holds).toEqual([expect.objectContaining({ holder: `comparison:${id}`, holderRevision: 1 })]);
      expect((await ctx.services.comparisons.cancel(id, LOCAL_ACTOR)).status).toBe('cancelled');
      expect((await ctx.catalog.specimens.holds(reference.specimen.id)).holds).toEqual([]);
      expect((await ctx.catalog.specimens.holds(chosen.specimen.id)).holds).toEqual([]);
      await ctx.services.specimens.delete(chosen.specimen.id, undefined, LOCAL_ACTOR);
    });
  });
});

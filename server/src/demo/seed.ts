/**
 * Seeds the demo library (made by the synthetic generator in
 * @exemplar/image-pipeline, never downloaded) through the same services as
 * any upload: specimens through SpecimenService, captures through
 * IngestService (the generator's buffers are written to temp files first),
 * with their zones; `imitates` keys are resolved to the ids just created.
 *
 * Every demo specimen carries the tag `demo:<key>`; a specimen whose key tag
 * is already in the catalogue is neither rendered nor created again, so
 * seeding twice adds nothing.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { demoLibraryPlan, renderDemoSpecimen, toCaptureCreate, type DemoLibraryOptions, type DemoSpecimen, type DemoSpecimenPlan } from '@exemplar/image-pipeline';
import type { AppContext } from '../context';
import { ExemplarError } from '../errors';
import { systemActor, type Actor } from '../services/actor';
import { createSpecimenWithCaptures } from '../cli/import';
import type { PlannedCapture } from '../cli/manifest';

export const SEED_ACTOR: Actor = systemActor('seed-demo');
/** The generator's seed: the demo library is the same on every machine. */
export const DEMO_SEED = 1;

export const demoKeyTag = (key: string) => `demo:${key.toLowerCase()}`;

export interface SeedProgress {
  done: number;
  total: number;
  key: string;
  outcome: 'created' | 'present';
}

export interface SeedOptions {
  onProgress?: (p: SeedProgress) => void;
  /** Seeds only these keys (and the genuine specimens they imitate); all when absent. */
  keys?: readonly string[];
  /** Generator options (image format, quality); the seed is fixed. */
  library?: Omit<DemoLibraryOptions, 'seed'>;
  /** When aborted, the specimen in progress is finished (or rolled back) and seeding stops. */
  signal?: AbortSignal;
}

export interface SeedResult {
  created: { key: string; id: string }[];
  present: { key: string; id: string }[];
  /** Keys not seeded because seeding was interrupted. */
  notAttempted: string[];
}

export async function seedDemoLibrary(ctx: AppContext, options: SeedOptions = {}): Promise<SeedResult> {
  const libraryOptions: DemoLibraryOptions = { ...options.library, seed: DEMO_SEED };
  const plans = selectPlans(demoLibraryPlan(libraryOptions), options.keys);
  const ids = new Map<string, string>();
  const result: SeedResult = { created: [], present: [], notAttempted: [] };
  const workDir = path.join(ctx.config.tmpDir, `seed-demo-${randomUUID()}`);
  await fs.mkdir(workDir, { recursive: true });
  try {
    for (const [i, plan] of plans.entries()) {
      if (options.signal?.aborted) {
        result.notAttempted.push(plan.key);
        continue;
      }
      const existing = await findDemoSpecimen(ctx, plan.key);
      let outcome: SeedProgress['outcome'];
      if (existing) {
        ids.set(plan.key, existing);
        result.present.push({ key: plan.key, id: existing });
        outcome = 'present';
      } else {
        // Rendered one at a time: the seeder never holds the whole library's images.
        const demo = await renderDemoSpecimen(plan, libraryOptions);
        const id = await createDemoSpecimen(ctx, demo, ids, workDir);
        ids.set(plan.key, id);
        result.created.push({ key: plan.key, id });
        outcome = 'created';
      }
      options.onProgress?.({ done: i + 1, total: plans.length, key: plan.key, outcome });
    }
  } finally {
    await fs.rm(workDir, { recursive: true, force: true });
  }
  return result;
}

export type SeedIfEmptyResult = { seeded: true; result: SeedResult } | { seeded: false; reason: string };

/** What `serve` does at start: seed only an empty catalogue, and never when EXEMPLAR_SEED_DEMO=never. */
export async function seedDemoIfEmpty(ctx: AppContext, options: SeedOptions = {}): Promise<SeedIfEmptyResult> {
  if (ctx.config.seedDemo === 'never') return { seeded: false, reason: 'EXEMPLAR_SEED_DEMO=never' };
  const count = await ctx.catalog.specimens.count();
  if (count > 0) return { seeded: false, reason: `the catalogue holds ${count} specimen(s)` };
  return { seeded: true, result: await seedDemoLibrary(ctx, options) };
}

/** The plans to seed, genuine specimens before the frauds that imitate them. */
function selectPlans(all: DemoSpecimenPlan[], keys: readonly string[] | undefined): DemoSpecimenPlan[] {
  const byKey = new Map(all.map((p) => [p.key, p]));
  const wanted = new Set<string>();
  for (const key of keys ?? all.map((p) => p.key)) {
    if (!byKey.has(key)) throw new ExemplarError('BAD_REQUEST', `no demo specimen has the key ${key}`, { key, keys: [...byKey.keys()] });
    for (let k: string | undefined = key; k && !wanted.has(k); k = byKey.get(k)?.specimen.imitates) wanted.add(k);
  }
  const out: DemoSpecimenPlan[] = [];
  const placed = new Set<string>();
  const place = (plan: DemoSpecimenPlan, depth: number) => {
    if (placed.has(plan.key)) return;
    if (depth > all.length) throw new ExemplarError('INTERNAL', `demo library: imitates cycle at ${plan.key}`);
    const target = plan.specimen.imitates ? byKey.get(plan.specimen.imitates) : undefined;
    if (plan.specimen.imitates && !target) throw new ExemplarError('INTERNAL', `demo specimen ${plan.key} imitates unknown key ${plan.specimen.imitates}`);
    if (target) place(target, depth + 1);
    placed.add(plan.key);
    out.push(plan);
  };
  for (const plan of all) if (wanted.has(plan.key)) place(plan, 0);
  return out;
}

async function findDemoSpecimen(ctx: AppContext, key: string): Promise<string | undefined> {
  const page = await ctx.catalog.specimens.search({ tags: [demoKeyTag(key)], limit: 1 });
  return page.items[0]?.id;
}

async function createDemoSpecimen(ctx: AppContext, demo: DemoSpecimen, ids: Map<string, string>, workDir: string): Promise<string> {
  const { imitates, ...fields } = demo.specimen;
  const body: Record<string, unknown> = { ...fields, tags: [...new Set([...fields.tags, demoKeyTag(demo.key)])] };
  if (imitates !== undefined) {
    const target = ids.get(imitates);
    if (!target) throw new ExemplarError('INTERNAL', `demo specimen ${demo.key} imitates ${imitates}, which was not seeded first`);
    body.imitates = target;
  }
  const captures: PlannedCapture[] = [];
  try {
    for (const [c, capture] of demo.captures.entries()) {
      const { zones, ...meta } = toCaptureCreate(capture);
      const planned: PlannedCapture = { meta, images: [], zones: zones as unknown as Record<string, unknown>[] };
      captures.push(planned);
      for (const [lightSource, bytes] of Object.entries(capture.images)) {
        const name = `${demo.key}-${c}-${capture.page}-${lightSource}.${extensionOf(capture.format)}`;
        const file = path.join(workDir, name);
        await fs.writeFile(file, bytes);
        planned.images.push({ lightSource, file: name, path: file, originalName: name });
      }
    }
    const { id } = await createSpecimenWithCaptures(ctx, { body, captures }, SEED_ACTOR);
    return id;
  } finally {
    await Promise.all(captures.flatMap((c) => c.images.map((i) => fs.rm(i.path, { force: true }))));
  }
}

function extensionOf(format: string): string {
  return format === 'jpeg' ? 'jpg' : format;
}

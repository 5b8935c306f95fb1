/**
 * Demo seeding with the real synthetic generator, through the real services
 * and stores: the whole library lands with its captures, light sources,
 * zones and `imitates` links; seeding again adds nothing; a non-empty
 * catalogue needs --force; `serve`'s seed-if-empty honours
 * EXEMPLAR_SEED_DEMO=never. The library is seeded once (it takes a while)
 * and the other checks run on it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { demoLibraryPlan } from '@exemplar/image-pipeline';
import type { Specimen } from '@exemplar/specimens-schema';
import { loadConfig } from '../../server/src/config';
import { openContext } from '../../server/src/context';
import { DEMO_SEED, demoKeyTag, seedDemoIfEmpty } from '../../server/src/demo/seed';
import { allSpecimens, runExemplar, tempDir, withStores, type CliRun } from './helpers';

const plans = demoLibraryPlan({ seed: DEMO_SEED });
const genuineKey = plans.find((p) => !p.isFraud)?.key as string;

// Real images through sharp and the worker pool on a shared machine: slowness is not a failure.
jest.setTimeout(900_000);

describe('exemplar seed-demo', () => {
  let root: string;
  let dataDir: string;
  let seeded: CliRun;
  let specimens: Specimen[];
  beforeAll(async () => {
    root = await tempDir('seed');
    dataDir = path.join(root, 'data');
    seeded = await runExemplar(dataDir, 'seed-demo', '--json');
    specimens = await withStores(dataDir, allSpecimens);
  });
  afterAll(() => fs.rm(root, { recursive: true, force: true }));

  it('seeds the whole demo library: genuine specimens and the frauds that imitate them', () => {
    expect(seeded.stderr).not.toMatch(/exemplar: /);
    expect(seeded.code).toBe(0);
    const result = JSON.parse(seeded.stdout);
    expect(result.created).toHaveLength(plans.length);
    expect(result.present).toEqual([]);

    expect(specimens).toHaveLength(plans.length);
    const byKey = new Map(specimens.map((s) => [s.tags.find((t) => t.startsWith('demo:')), s]));
    for (const plan of plans) {
      const s = byKey.get(demoKeyTag(plan.key));
      expect(s).toMatchObject({ title: plan.specimen.title, status: plan.specimen.status, issuingState: 'UTO', createdBy: 'seed-demo' });
      if (plan.specimen.imitates) expect(s?.imitates).toBe(byKey.get(demoKeyTag(plan.specimen.imitates))?.id);
      else expect(s?.imitates).toBeUndefined();
      expect(s?.captures.map((c) => c.page)).toEqual(plan.pages.map((p) => p.design.page));
      for (const c of s?.captures ?? []) {
        expect(c.images.map((i) => i.lightSource).sort()).toEqual(['ir-870', 'uv-365', 'white']);
        expect(c.zones.length).toBeGreaterThan(0);
      }
    }
    expect(specimens.some((s) => s.status === 'genuine')).toBe(true);
    expect(specimens.some((s) => s.status !== 'genuine')).toBe(true);
    expect(specimens.some((s) => s.captures.some((c) => c.zones.some((z) => z.type === 'mrz')))).toBe(true);
  });

  it('refuses a non-empty catalogue without --force, and adds nothing with it', async () => {
    const refused = await runExemplar(dataDir, 'seed-demo');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`^exemplar: CONFLICT: the catalogue already holds ${plans.length} specimen\\(s\\); use --force`));

    const again = await runExemplar(dataDir, 'seed-demo', '--force');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`0 specimen\\(s\\) created, ${plans.length} already present`));
    expect(await withStores(dataDir, async (ctx) => ctx.catalog.specimens.count())).toBe(plans.length);
  });

  it('leaves a library that verifies', async () => {
    const run = await runExemplar(dataDir, 'verify', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, specimens: plans.length, unreferenced: [] });
  });

  it('refuses an unknown demo key', async () => {
    const run = await runExemplar(path.join(root, 'other'), 'seed-demo', '--keys', 'no-such-demo');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/BAD_REQUEST: no demo specimen has the key no-such-demo/);
  });

  it('seed-if-empty (what serve does) seeds only an empty catalogue, and never with EXEMPLAR_SEED_DEMO=never', async () => {
    const full = await openContext(loadConfig({ ...process.env, EXEMPLAR_DATA_DIR: dataDir }));
    try {
      expect(await seedDemoIfEmpty(full)).toEqual({ seeded: false, reason: `the catalogue holds ${plans.length} specimen(s)` });
    } finally {
      await full.close();
    }
    const env = { ...process.env, EXEMPLAR_DATA_DIR: path.join(root, 'empty') };
    const never = await openContext(loadConfig({ ...env, EXEMPLAR_SEED_DEMO: 'never' }));
    try {
      expect(await seedDemoIfEmpty(never)).toEqual({ seeded: false, reason: 'EXEMPLAR_SEED_DEMO=never' });
      expect(await never.catalog.specimens.count()).toBe(0);
    } finally {
      await never.close();
    }
    const auto = await openContext(loadConfig(env));
    try {
      const first = await seedDemoIfEmpty(auto, { keys: [genuineKey] });
      expect(first.seeded && first.result.created.map((c) => c.key)).toEqual([genuineKey]);
      expect(await auto.catalog.specimens.count()).toBe(1);
    } finally {
      await auto.close();
    }
  });
});

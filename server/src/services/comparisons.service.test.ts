/**
 * ComparisonService on the real SQLite queue and object folder: two
 * submissions of the same questioned bytes at once, the first failing after it
 * stored the object. The second must not rely on an object the first's
 * clean-up removes (the store-and-enqueue holds the per-key image locks).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Capture, Specimen } from '@exemplar/specimens-schema';
import type { AppContext } from '../context';
import { ExemplarError } from '../errors';
import { makeTestImage, MINIMAL_SPECIMEN, openTestContext } from '../test-helpers';
import { objectKeys } from '../stores/objects.port';
import { LOCAL_ACTOR } from './actor';

jest.setTimeout(120_000);

let ctx: AppContext;
let dataDir: string;
let specimen: Specimen;
let capture: Capture;

beforeAll(async () => {
  ({ context: ctx, dataDir } = await openTestContext({ EXEMPLAR_SERVER_COMPARISONS: '0' }));
  await fs.writeFile(path.join(dataDir, 'reference.png'), await makeTestImage({ width: 640, height: 420, format: 'png', seed: 5 }));
  specimen = await ctx.services.specimens.create({ ...MINIMAL_SPECIMEN }, LOCAL_ACTOR);
  capture = await ctx.services.ingest.addCapture(specimen.id, { page: 'data-page' }, [{ lightSource: 'white', path: path.join(dataDir, 'reference.png') }], LOCAL_ACTOR);
});

afterAll(async () => {
  await ctx.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

it('a failed submission does not remove the questioned object a concurrent one of the same bytes relies on', async () => {
  const bytes = await makeTestImage({ width: 500, height: 330, format: 'png', seed: 77 });
  const files = await Promise.all(
    ['a', 'b'].map(async (name) => {
      const file = path.join(dataDir, `${name}.png`);
      await fs.writeFile(file, bytes);
      return file;
    }),
  );
  // The first enqueue fails only after the second submission has had time to reach its own store step.
  const jobs = ctx.catalog.jobs;
  const enqueue = jobs.enqueue.bind(jobs);
  let calls = 0;
  jobs.enqueue = async (job) => {
    if (++calls === 1) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      throw new ExemplarError('INTERNAL', 'injected enqueue failure');
    }
    return enqueue(job);
  };
  try {
    const submit = (file: string) =>
      ctx.services.comparisons.submitUpload({ reference: { specimenId: specimen.id, captureId: capture.id } }, [{ lightSource: 'white', path: file }], LOCAL_ACTOR);
    const results = await Promise.allSettled([submit(files[0]!), submit(files[1]!)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const comparison = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))[0]!;
    const key = objectKeys.questioned(comparison.questioned.white!.sha256);
    const keys: string[] = [];
    for await (const stat of ctx.objects.list()) keys.push(stat.key);
    expect(keys).toContain(key);
  } finally {
    jobs.enqueue = enqueue;
  }
});

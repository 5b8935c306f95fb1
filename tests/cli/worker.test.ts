/**
 * `exemplar worker` as a separate process (the built binary) sharing a data
 * folder with this one: a comparison submitted here is run there.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { HOLDERS, renderDocument, UTOPIA_PASSPORT_2019 } from '@exemplar/image-pipeline';
import type { AppContext } from '../../server/src/context';
import { LOCAL_ACTOR } from '../../server/src/services/actor';
import { CLI_JS, GENUINE, REPO_ROOT, spawnExemplar, tempDir, withStores } from './helpers';

jest.setTimeout(600_000);

let root: string;

/** A reference specimen with a white capture, and a queued comparison of another capture of it. */
async function queueComparison(ctx: AppContext, dir: string): Promise<string> {
  const render = (noiseSeed: number) => renderDocument({ ...UTOPIA_PASSPORT_2019, dpi: 100 }, HOLDERS.passportA, 'white', { format: 'png', noiseSeed });
  await fs.mkdir(dir, { recursive: true });
  const ref = await render(1);
  await fs.writeFile(path.join(dir, 'reference.png'), ref.image);
  await fs.writeFile(path.join(dir, 'questioned.png'), (await render(2)).image);
  const specimen = await ctx.services.specimens.create(GENUINE, LOCAL_ACTOR);
  const capture = await ctx.services.ingest.addCapture(specimen.id, { page: 'data-page' }, [{ lightSource: 'white', path: path.join(dir, 'reference.png') }], LOCAL_ACTOR);
  const job = await ctx.services.comparisons.submitUpload(
    { reference: { specimenId: specimen.id, captureId: capture.id } },
    [{ lightSource: 'white', path: path.join(dir, 'questioned.png') }],
    LOCAL_ACTOR,
  );
  return job.id;
}

beforeAll(async () => {
  root = await tempDir('worker');
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('exemplar worker', () => {
  it('--once runs the comparisons waiting in the shared queue and exits 0', async () => {
    const dataDir = path.join(root, 'once');
    const id = await withStores(dataDir, (ctx) => queueComparison(ctx, path.join(root, 'once-files')));
    const run = await spawnExemplar(['worker', '--once'], { env: { EXEMPLAR_DATA_DIR: dataDir } });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toBe('1 comparison job(s) run\n');
    const job = await withStores(dataDir, (ctx) => ctx.services.comparisons.get(id, LOCAL_ACTOR));
    expect(job.status).toBe('done');
    expect(job.result?.lights.map((l) => l.lightSource)).toEqual(['white']);
  });

  it('runs jobs submitted while it waits, and stops cleanly on SIGTERM', async () => {
    const dataDir = path.join(root, 'long');
    await withStores(dataDir, async () => undefined);
    const child = spawn(process.execPath, [CLI_JS, 'worker'], {
      cwd: REPO_ROOT,
      env: { ...process.env, EXEMPLAR_DATA_DIR: dataDir, DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('running comparison jobs')) resolve();
      });
      void exited.then((code) => reject(new Error(`worker exited (${code}) before it was ready: ${stderr}`)));
    });
    try {
      const id = await withStores(dataDir, async (ctx) => {
        const jobId = await queueComparison(ctx, path.join(root, 'long-files'));
        for (;;) {
          const job = await ctx.catalog.jobs.get(jobId);
          if (job && job.status !== 'queued' && job.status !== 'running') return jobId;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      });
      const job = await withStores(dataDir, (ctx) => ctx.catalog.jobs.get(id));
      expect(job?.status).toBe('done');
      expect(job?.workerId).toMatch(new RegExp(`:${child.pid}:`));
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain('comparison done');
  });
});

/**
 * `exemplar align` on real image files (decoded by sharp, aligned by
 * OpenCV), run through the program's own `runCli` so that exit codes and
 * error output are those a user sees.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { ALIGN_REFUSED_EXIT } from './align';
import { runCli } from './program';

const SPECIMENS = path.resolve(__dirname, '../../../../shared/benchdata/passporteye-specimens');
const OXFORD = path.resolve(__dirname, '../../../../shared/benchdata/oxford-affine');
/** ../shared is not part of a clone: the tests on its images are skipped without it. */
const withBenchdata = existsSync(path.resolve(__dirname, '../../../../shared/benchdata')) ? it : it.skip;

/** `exemplar align ARGS` through the real `runCli`, stdout and stderr captured. */
async function runAlign(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  const stdout = new PassThrough().on('data', (c: Buffer) => chunks.stdout.push(c));
  const stderr = new PassThrough().on('data', (c: Buffer) => chunks.stderr.push(c));
  const code = await runCli(['node', 'exemplar', 'align', ...args], { stdout, stderr });
  return { code, stdout: Buffer.concat(chunks.stdout).toString('utf8'), stderr: Buffer.concat(chunks.stderr).toString('utf8') };
}

describe('exemplar align', () => {
  withBenchdata('prints exactly ok, homography, inliers, rmse and elapsedMs for an aligned pair', async () => {
    const r = await runAlign(['--reference', path.join(SPECIMENS, 'passport-td3.png'), '--questioned', path.join(SPECIMENS, 'passport-td3.jpg'), '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; homography: number[]; inliers: number; rmse: number; elapsedMs: Record<string, number> };
    expect(Object.keys(out)).toEqual(['ok', 'homography', 'inliers', 'rmse', 'elapsedMs']);
    expect(out.ok).toBe(true);
    expect(out.homography).toHaveLength(9);
    [1, 0, 0, 0, 1, 0, 0, 0, 1].forEach((v, i) => expect(Math.abs(out.homography[i]! - v)).toBeLessThan(i % 3 === 2 && i < 6 ? 0.2 : 1e-3));
    expect(out.inliers).toBeGreaterThan(50);
    expect(out.rmse).toBeLessThan(1);
    expect(out.elapsedMs.total).toBeGreaterThan(0);
    expect(out.elapsedMs.decode).toBeGreaterThan(0);
  });

  withBenchdata('prints a summary without --json', async () => {
    const r = await runAlign(['--reference', path.join(SPECIMENS, 'passport-td3.png'), '--questioned', path.join(SPECIMENS, 'passport-td3.jpg')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^aligned: \d+ refined correspondences/);
    expect(r.stdout).toMatch(/homography, reference → questioned pixels:\n\s+1\.0000/);
  });

  withBenchdata('answers {ok: false, reason} with exit code 2 when the images do not align', async () => {
    const r = await runAlign(['--reference', path.join(SPECIMENS, 'passport-td3.png'), '--questioned', path.join(OXFORD, 'graf', 'img1.png'), '--json']);
    expect(r.code).toBe(ALIGN_REFUSED_EXIT);
    const out = JSON.parse(r.stdout) as { ok: boolean; reason: string };
    expect(Object.keys(out)).toEqual(['ok', 'reason']);
    expect(out.ok).toBe(false);
    expect(['too-few-inliers', 'refinement-failed']).toContain(out.reason);
  });

  describe('unreadable inputs', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exemplar-align-'));
    });
    afterAll(async () => {
      await fs.rm(dir, { recursive: true, force: true });
    });

    withBenchdata('reports a missing file on stderr with exit code 1', async () => {
      const missing = path.join(dir, 'nope.png');
      const r = await runAlign(['--reference', path.join(SPECIMENS, 'passport-td3.png'), '--questioned', missing, '--json']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('IMAGE_NOT_FOUND');
      expect(r.stderr).toContain(missing);
    });

    withBenchdata('reports an undecodable file on stderr with exit code 1', async () => {
      const bad = path.join(dir, 'bad.png');
      const png = await fs.readFile(path.join(SPECIMENS, 'passport-td3.png'));
      await fs.writeFile(bad, png.subarray(0, 2000));
      const r = await runAlign(['--reference', bad, '--questioned', path.join(SPECIMENS, 'passport-td3.jpg'), '--json']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/IMAGE_(CORRUPT|UNSUPPORTED)/);
    });

    it('rejects a malformed --ignore-zone as a usage error', async () => {
      const r = await runAlign(['--reference', 'a.png', '--questioned', 'b.png', '--ignore-zone', '1,2,3']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('x,y,width,height');
    });
  });
});

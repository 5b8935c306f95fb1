/**
 * `exemplar verify` on a real filesystem object store: a corrupted original
 * (bytes overwritten in place) and a missing object are found and fail the
 * run; `--repair` regenerates missing derivatives from the original and
 * removes unreferenced objects — never a referenced one.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Specimen } from '@exemplar/specimens-schema';
import { GENUINE, allSpecimens, noiseImage, objectKeysIn, objectPath, runExemplar, tempDir, withStores, writeImage } from './helpers';

// Real images through sharp and the worker pool on a shared machine: slowness is not a failure.
jest.setTimeout(600_000);

describe('exemplar verify', () => {
  let root: string;
  let dataDir: string;
  let specimens: Specimen[];
  beforeEach(async () => {
    root = await tempDir('verify');
    dataDir = path.join(root, 'data');
    const folder = path.join(root, 'in');
    for (const [i, name] of ['a', 'b', 'c'].entries()) await writeImage(path.join(folder, `${name}.png`), 51 + i);
    await fs.writeFile(
      path.join(folder, 'manifest.json'),
      JSON.stringify([
        { specimen: { ...GENUINE, title: 'A' }, captures: [{ page: 'front', images: { white: 'a.png', 'uv-365': 'b.png' } }] },
        { specimen: { ...GENUINE, title: 'C' }, captures: [{ page: 'front', images: { white: 'c.png' } }] },
      ]),
    );
    expect((await runExemplar(dataDir, 'import', folder)).code).toBe(0);
    specimens = await withStores(dataDir, allSpecimens);
  });
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  const imageOf = (title: string, lightSource = 'white') =>
    specimens.find((s) => s.title === title)?.captures[0]?.images.find((i) => i.lightSource === lightSource) as NonNullable<Specimen['captures'][number]['images'][number]>;
  const originalKey = (sha: string) => `originals/${sha.slice(0, 2)}/${sha}`;

  it('passes on an intact library', async () => {
    const run = await runExemplar(dataDir, 'verify', '--json');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ ok: true, specimens: 2, originals: 3, mismatches: [], missingOriginals: [], missingDerivatives: [], unreferenced: [] });
    expect(report.bytesHashed).toBe(specimens.flatMap((s) => s.captures.flatMap((c) => c.images)).reduce((n, i) => n + i.bytes, 0));
  });

  it('detects a corrupted original and a missing one, and exits non-zero', async () => {
    const corrupted = imageOf('A');
    const file = objectPath(dataDir, originalKey(corrupted.sha256));
    await fs.chmod(file, 0o644);
    const handle = await fs.open(file, 'r+');
    await handle.write(Buffer.from('flipped'), 0, 7, 100); // same length, different bytes
    await handle.close();
    const gone = imageOf('C');
    await fs.rm(objectPath(dataDir, originalKey(gone.sha256)));

    const run = await runExemplar(dataDir, 'verify');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`MISMATCH  ${originalKey(corrupted.sha256)} hashes to `);
    expect(run.stdout).toContain(`MISSING   ${originalKey(gone.sha256)} — specimens ${specimens.find((s) => s.title === 'C')?.id}`);
    expect(run.stdout).toMatch(/hash mismatches: +1\n +missing originals: +1/);
    expect(run.stdout).toMatch(/FAILED\n$/);

    // --repair cannot mend an original, and must not remove it either.
    const repaired = await runExemplar(dataDir, 'verify', '--repair', '--grace', '0');
    expect(repaired.code).toBe(1);
    await expect(fs.stat(file)).resolves.toBeTruthy();
  });

  it('reports missing derivatives and identification keypoints and regenerates them with --repair', async () => {
    const image = imageOf('A', 'uv-365');
    const thumb = image.derivatives.thumbnail;
    await fs.rm(objectPath(dataDir, thumb));
    const keypoints = imageOf('A', 'white').identification?.keypoints as string;
    expect(keypoints).toMatch(/^derivatives\//);
    const keypointBytes = await fs.readFile(objectPath(dataDir, keypoints));
    await fs.rm(objectPath(dataDir, keypoints));

    const run = await runExemplar(dataDir, 'verify');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`MISSING   ${thumb} (thumbnail)`);
    expect(run.stdout).toContain(`MISSING   ${keypoints} (keypoints)`);

    const repair = await runExemplar(dataDir, 'verify', '--repair');
    expect(repair.code).toBe(0);
    expect(repair.stdout).toContain(`REPAIRED  ${thumb} (thumbnail)`);
    expect(repair.stdout).toContain(`REPAIRED  ${keypoints} (keypoints)`);
    const webp = await fs.readFile(objectPath(dataDir, thumb));
    expect(webp.subarray(8, 12).toString('latin1')).toBe('WEBP');
    // Keypoints are computed from the pixels alone: the same bytes again.
    expect((await fs.readFile(objectPath(dataDir, keypoints))).equals(keypointBytes)).toBe(true);
    expect((await runExemplar(dataDir, 'verify')).code).toBe(0);
  });

  it('--repair removes unreferenced objects past the grace period and keeps every referenced one', async () => {
    // What a crash between storing objects and committing the record leaves behind.
    const orphanBytes = await noiseImage(99);
    const { createHash } = await import('node:crypto');
    const orphanSha = createHash('sha256').update(orphanBytes).digest('hex');
    const before = await withStores(dataDir, async (ctx) => {
      await ctx.objects.put(originalKey(orphanSha), orphanBytes);
      await ctx.objects.put(`derivatives/${orphanSha.slice(0, 2)}/${orphanSha}/thumbnail.webp`, Buffer.from('x'));
      return objectKeysIn(ctx);
    });

    const report = await runExemplar(dataDir, 'verify');
    expect(report.code).toBe(0); // left-overs are harmless; they are reported, not failed
    expect(report.stdout).toContain(`ORPHAN    ${originalKey(orphanSha)}`);

    const young = await runExemplar(dataDir, 'verify', '--repair');
    expect(young.stdout).toMatch(/kept: younger than the grace period/);
    expect(await withStores(dataDir, objectKeysIn)).toEqual(before);

    const run = await runExemplar(dataDir, 'verify', '--repair', '--grace', '0');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`REMOVED   ${originalKey(orphanSha)}`);
    const after = await withStores(dataDir, objectKeysIn);
    expect(after).toEqual(before.filter((k) => !k.includes(orphanSha)));
    for (const s of specimens) {
      for (const i of s.captures.flatMap((c) => c.images)) {
        expect(after).toContain(originalKey(i.sha256));
        expect(after).toContain(i.derivatives.thumbnail);
        expect(after).toContain(i.derivatives.preview);
      }
    }
  });
});

/**
 * `exemplar export` → `exemplar import` into an empty data folder gives the
 * same specimens (same ids, records, zones, imitates links) and the same
 * originals, byte for byte; importing the export again adds nothing.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Specimen } from '@exemplar/specimens-schema';
import { GENUINE, MRZ_ZONE, allSpecimens, objectKeysIn, runExemplar, tempDir, withStores, writeImage } from './helpers';

/** What a round trip must keep: everything but the audit fields and the ids of captures and zones. */
function comparable(s: Specimen) {
  const { createdAt: _ca, createdBy: _cb, updatedAt: _ua, updatedBy: _ub, revision: _r, captures, ...rest } = s;
  return {
    ...rest,
    captures: captures.map(({ id: _id, createdAt: _c, createdBy: _b, zones, images, ...c }) => ({
      ...c,
      images: images.map(({ derivatives: _d, ...i }) => i),
      zones: zones.map(({ id: _z, ...z }) => z),
    })),
  };
}

async function readObject(dataDir: string, key: string): Promise<Buffer> {
  return withStores(dataDir, async (ctx) => {
    const chunks: Buffer[] = [];
    for await (const c of await ctx.objects.get(key)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  });
}

// Real images through sharp and the worker pool on a shared machine: slowness is not a failure.
jest.setTimeout(600_000);

describe('exemplar export', () => {
  let root: string;
  let source: string;
  beforeEach(async () => {
    root = await tempDir('export');
    source = path.join(root, 'source');
    const folder = path.join(root, 'in');
    await writeImage(path.join(folder, 'g-white.png'), 41);
    await writeImage(path.join(folder, 'g-uv.jpg'), 42, 'jpeg');
    await writeImage(path.join(folder, 'g-ir.tif'), 43, 'tiff');
    await writeImage(path.join(folder, 'f-white.png'), 44);
    await writeImage(path.join(folder, 'other.png'), 45);
    await fs.writeFile(
      path.join(folder, 'manifest.json'),
      JSON.stringify([
        {
          ref: 'g',
          specimen: { ...GENUINE, description: 'Reference', issued: { from: 2019 }, provenance: { source: 'Issuing authority' } },
          captures: [{ page: 'data-page', dpi: 600, images: { white: 'g-white.png', 'uv-365': 'g-uv.jpg', 'ir-870': 'g-ir.tif' }, zones: [MRZ_ZONE] }],
        },
        {
          ref: 'f',
          specimen: { ...GENUINE, status: 'forgery', forgeryMethods: ['photo-substitution'], title: 'Photo-substituted Utopia passport', imitates: 'g', classification: 'restricted' },
          // The same UV image as the genuine one, on purpose: identical bytes are exported once.
          captures: [{ page: 'data-page', images: { white: 'f-white.png', 'uv-365': 'g-uv.jpg' } }],
        },
        { ref: 'o', specimen: { ...GENUINE, issuingState: 'XXA', title: 'Other' }, captures: [{ page: 'front', images: { white: 'other.png' } }] },
      ]),
    );
    const run = await runExemplar(source, 'import', folder);
    expect(run.code).toBe(0);
  });
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  it('round-trips through import into an empty library: same ids, records and original bytes', async () => {
    const out = path.join(root, 'export');
    const exported = await runExemplar(source, 'export', out);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(/Exported 3 specimen\(s\), 6 image\(s\), 5 original file\(s\)/);

    const manifest = JSON.parse(await fs.readFile(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'exemplar-manifest', version: 1 });
    const files = (await fs.readdir(path.join(out, 'originals'))).sort();
    expect(files).toHaveLength(5);
    expect(files.every((f) => /^[0-9a-f]{64}\.(png|jpg|tif)$/.test(f))).toBe(true);

    const target = path.join(root, 'target');
    const imported = await runExemplar(target, 'import', out);
    expect(imported.stdout).toMatch(/imported 3, skipped 0, refused 0/);
    expect(imported.code).toBe(0);

    const before = await withStores(source, allSpecimens);
    const after = await withStores(target, allSpecimens);
    expect(after.map(comparable).sort((a, b) => a.id.localeCompare(b.id))).toEqual(before.map(comparable).sort((a, b) => a.id.localeCompare(b.id)));
    const forgery = after.find((s) => s.status === 'forgery');
    expect(after.find((s) => s.id === forgery?.imitates)?.status).toBe('genuine');

    // Originals byte-exact: the target's objects equal the source's, and the exported files.
    for (const s of before) {
      for (const image of s.captures.flatMap((c) => c.images)) {
        const key = `originals/${image.sha256.slice(0, 2)}/${image.sha256}`;
        const a = await readObject(source, key);
        const b = await readObject(target, key);
        expect(b.equals(a)).toBe(true);
        const ext = { jpeg: 'jpg', png: 'png', tiff: 'tif', webp: 'webp' }[image.format];
        expect((await fs.readFile(path.join(out, 'originals', `${image.sha256}.${ext}`))).equals(a)).toBe(true);
      }
    }

    // The same export again adds nothing.
    const again = await runExemplar(target, 'import', out);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/imported 0, skipped 3, refused 0/);
    expect(await withStores(target, async (ctx) => ctx.catalog.specimens.count())).toBe(3);
  });

  it('exports a selection by filters or ids, with the specimens they imitate', async () => {
    const byState = path.join(root, 'xxa');
    expect((await runExemplar(source, 'export', byState, '--issuing-state', 'XXA')).code).toBe(0);
    const m1 = JSON.parse(await fs.readFile(path.join(byState, 'manifest.json'), 'utf8'));
    expect(m1.specimens.map((r: { specimen: { title: string } }) => r.specimen.title)).toEqual(['Other']);

    const ids = await withStores(source, async (ctx) => (await allSpecimens(ctx)).filter((s) => s.status === 'forgery').map((s) => s.id));
    const byId = path.join(root, 'forgery');
    const run = await runExemplar(source, 'export', byId, '--ids', ids.join(','));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Exported 2 specimen\(s\) \(1 added because others imitate them\)/);

    // Importing just that selection into an empty library keeps the link.
    const target = path.join(root, 'target2');
    expect((await runExemplar(target, 'import', byId)).code).toBe(0);
    const after = await withStores(target, allSpecimens);
    expect(after.find((s) => s.id === ids[0])?.imitates).toBe(after.find((s) => s.status === 'genuine')?.id);
  });

  it('refuses a non-empty folder, and an unknown id, and leaves no partial export', async () => {
    const busy = path.join(root, 'busy');
    await fs.mkdir(busy);
    await fs.writeFile(path.join(busy, 'keep.txt'), 'mine');
    const run = await runExemplar(source, 'export', busy);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^exemplar: CONFLICT: export folder .* is not empty/);
    expect(await fs.readdir(busy)).toEqual(['keep.txt']);

    const missing = path.join(root, 'missing');
    const run2 = await runExemplar(source, 'export', missing, '--ids', 'no-such-id');
    expect(run2.code).toBe(1);
    expect(run2.stderr).toMatch(/SPECIMEN_NOT_FOUND: specimen no-such-id not found/);
    await expect(fs.stat(missing)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses to export an original whose stored bytes no longer match', async () => {
    const victim = await withStores(source, async (ctx) => {
      const keys = await objectKeysIn(ctx);
      return keys.find((k) => k.startsWith('originals/')) as string;
    });
    const file = path.join(source, 'objects', ...victim.split('/'));
    await fs.chmod(file, 0o644);
    await fs.writeFile(file, Buffer.from('tampered'));
    const out = path.join(root, 'bad-export');
    const run = await runExemplar(source, 'export', out);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/INTEGRITY_FAILED: stored original .* no longer matches its sha256/);
    await expect(fs.stat(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

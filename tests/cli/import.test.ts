/**
 * `exemplar import` on real stores (SQLite file + filesystem objects in a temp
 * folder) with real images: good rows land, a bad row is refused, summarised,
 * makes the exit code non-zero and leaves nothing behind — not even the
 * objects of a capture that had already been stored before a later one failed.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { GENUINE, MRZ_ZONE, allSpecimens, objectKeysIn, runExemplar, tempDir, withStores, writeImage } from './helpers';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// Real images through sharp and the worker pool on a shared machine: slowness is not a failure.
jest.setTimeout(600_000);

describe('exemplar import', () => {
  let root: string;
  let dataDir: string;
  let folder: string;
  beforeEach(async () => {
    root = await tempDir('import');
    dataDir = path.join(root, 'data');
    folder = path.join(root, 'in');
    await fs.mkdir(folder);
  });
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  it('imports a JSON manifest, resolves imitates refs and refuses the bad row without a trace', async () => {
    const white = await writeImage(path.join(folder, 'g/white.png'), 1);
    const uv = await writeImage(path.join(folder, 'g/uv.png'), 2, 'jpeg');
    const back = await writeImage(path.join(folder, 'g/back.png'), 3);
    const fake = await writeImage(path.join(folder, 'f/white.png'), 4);
    // The bad row: its first capture is fine (and gets stored), its second is a truncated PNG.
    const badFirst = await writeImage(path.join(folder, 'bad/ok.png'), 5);
    const full = await writeImage(path.join(root, 'full.png'), 6);
    await fs.writeFile(path.join(folder, 'bad/truncated.png'), full.subarray(0, Math.floor(full.length / 2)));

    const manifest = [
      // The fraud comes first: import must create the genuine one before it.
      {
        ref: 'fake',
        specimen: { ...GENUINE, status: 'counterfeit', title: 'Counterfeit Utopia passport', imitates: 'utopia' },
        captures: [{ page: 'data-page', images: { white: 'f/white.png' } }],
      },
      {
        ref: 'utopia',
        specimen: GENUINE,
        captures: [
          { page: 'data-page', dpi: 600, device: 'VSC 8000', capturedAt: '2024-03-01T10:00:00Z', images: { white: 'g/white.png', 'uv-365': 'g/uv.png' }, zones: [MRZ_ZONE] },
          { page: 'back', images: { white: 'g/back.png' } },
        ],
      },
      {
        ref: 'broken',
        specimen: { ...GENUINE, title: 'Broken row' },
        captures: [
          { page: 'data-page', images: { white: 'bad/ok.png' } },
          { page: 'back', images: { white: 'bad/truncated.png' } },
        ],
      },
    ];
    await fs.writeFile(path.join(folder, 'manifest.json'), JSON.stringify(manifest));

    const run = await runExemplar(dataDir, 'import', folder);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/imported 2, skipped 0, refused 1/);
    expect(run.stdout).toMatch(/refused +specimens\[2\] \(broken\) file bad\/truncated\.png: IMAGE_CORRUPT: /);

    await withStores(dataDir, async (ctx) => {
      const specimens = await allSpecimens(ctx);
      expect(specimens.map((s) => s.title).sort()).toEqual(['Counterfeit Utopia passport', 'Utopia passport, 2019 series']);
      const genuine = specimens.find((s) => s.status === 'genuine');
      const counterfeit = specimens.find((s) => s.status === 'counterfeit');
      expect(counterfeit?.imitates).toBe(genuine?.id);
      expect(genuine?.captures.map((c) => [c.page, c.images.map((i) => [i.lightSource, i.sha256])])).toEqual([
        ['data-page', [['white', sha(white)], ['uv-365', sha(uv)]]],
        ['back', [['white', sha(back)]]],
      ]);
      expect(genuine?.captures[0]).toMatchObject({ dpi: 600, device: 'VSC 8000', capturedAt: '2024-03-01T10:00:00Z' });
      expect(genuine?.captures[0]?.zones).toEqual([expect.objectContaining({ ...MRZ_ZONE, id: expect.any(String) })]);
      expect(genuine?.captures[0]?.images[1]?.format).toBe('jpeg');
      expect(genuine?.createdBy).toBe('cli');

      const keys = await objectKeysIn(ctx);
      for (const b of [white, uv, back, fake]) expect(keys).toContain(`originals/${sha(b).slice(0, 2)}/${sha(b)}`);
      // Nothing of the refused row: neither its original nor a derivative.
      expect(keys.filter((k) => k.includes(sha(badFirst)))).toEqual([]);
      expect(keys.filter((k) => k.includes(sha(full.subarray(0, Math.floor(full.length / 2)))))).toEqual([]);
    });
  });

  it('imports a CSV manifest (one line per image) and refuses the row whose file is not an image', async () => {
    const w1 = await writeImage(path.join(folder, 'a-white.png'), 11);
    const u1 = await writeImage(path.join(folder, 'a-uv.png'), 12);
    const b1 = await writeImage(path.join(folder, 'a-back.tif'), 13, 'tiff');
    const w2 = await writeImage(path.join(folder, 'b-white.png'), 14);
    const w3 = await writeImage(path.join(folder, 'c-white.png'), 15);
    await fs.writeFile(path.join(folder, 'c-ir.png'), 'this is not an image at all');
    await fs.writeFile(path.join(folder, 'zones-a.json'), JSON.stringify([MRZ_ZONE]));
    const csv = [
      'specimenRef,status,issuingState,documentCategory,documentCode,series,title,classification,tags,issuedFrom,page,dpi,lightSource,file,zonesFile',
      'a,genuine,UTO,id-card,ID,2020,Utopia ID card,public,demo;cards,2020,front,600,white,a-white.png,zones-a.json',
      'a,,,,,,,,,,front,,uv-365,a-uv.png,',
      'a,,,,,,,,,,back,300,white,a-back.tif,',
      'b,forgery,UTO,id-card,ID,2020,Altered Utopia ID card,restricted,,,front,600,white,b-white.png,',
      'c,genuine,UTO,passport,P,,Broken CSV row,public,,,data-page,600,white,c-white.png,',
      'c,,,,,,,,,,data-page,600,ir-870,c-ir.png,',
    ].join('\n');
    await fs.writeFile(path.join(folder, 'manifest.csv'), csv);

    const run = await runExemplar(dataDir, 'import', folder, '--json');
    expect(run.code).toBe(1);
    const summary = JSON.parse(run.stdout);
    expect(summary.imported.map((r: { ref: string }) => r.ref)).toEqual(['a']);
    // b: a forgery without forgeryMethods is invalid; c: its IR file is no image.
    expect(summary.refused).toEqual([
      expect.objectContaining({ row: 'line 5', ref: 'b', code: 'VALIDATION_FAILED' }),
      expect.objectContaining({ row: 'lines 6,7', ref: 'c', file: 'c-ir.png', code: 'IMAGE_UNSUPPORTED' }),
    ]);

    await withStores(dataDir, async (ctx) => {
      const specimens = await allSpecimens(ctx);
      expect(specimens).toHaveLength(1);
      const [a] = specimens;
      expect(a).toMatchObject({ title: 'Utopia ID card', documentCategory: 'id-card', tags: ['demo', 'cards'], issued: { from: 2020 } });
      expect(a?.captures.map((c) => [c.page, c.dpi, c.images.map((i) => [i.lightSource, i.sha256, i.format])])).toEqual([
        ['front', 600, [['white', sha(w1), 'png'], ['uv-365', sha(u1), 'png']]],
        ['back', 300, [['white', sha(b1), 'tiff']]],
      ]);
      expect(a?.captures[0]?.zones).toHaveLength(1);
      const keys = await objectKeysIn(ctx);
      expect(keys.filter((k) => k.includes(sha(w2)) || k.includes(sha(w3)))).toEqual([]);
    });
  });

  it('with --dry-run checks everything and writes nothing', async () => {
    await writeImage(path.join(folder, 'w.png'), 21);
    await fs.writeFile(path.join(folder, 'bad.png'), 'not an image');
    await fs.writeFile(
      path.join(folder, 'manifest.json'),
      JSON.stringify([
        { specimen: GENUINE, captures: [{ page: 'front', images: { white: 'w.png' } }] },
        { specimen: GENUINE, captures: [{ page: 'front', images: { white: 'bad.png' } }] },
        { specimen: GENUINE, captures: [{ page: 'front', images: { white: 'missing.png' } }] },
      ]),
    );
    const run = await runExemplar(dataDir, 'import', folder, '--dry-run');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/Dry run: would import 1, skipped 0, refused 2/);
    expect(run.stdout).toMatch(/specimens\[1\] file bad\.png: IMAGE_UNSUPPORTED/);
    expect(run.stdout).toMatch(/specimens\[2\] file missing\.png: NOT_FOUND/);
    await withStores(dataDir, async (ctx) => {
      expect(await ctx.catalog.specimens.count()).toBe(0);
      expect(await objectKeysIn(ctx)).toEqual([]);
    });
  });

  it('keeps ids from the manifest and skips them on a second import', async () => {
    await writeImage(path.join(folder, 'w.png'), 31);
    await fs.writeFile(
      path.join(folder, 'manifest.json'),
      JSON.stringify({ format: 'exemplar-manifest', version: 1, specimens: [{ id: 'fixed-id-0001', specimen: GENUINE, captures: [{ page: 'front', images: { white: 'w.png' } }] }] }),
    );
    const first = await runExemplar(dataDir, 'import', folder);
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toMatch(/imported 1, skipped 0, refused 0/);
    const second = await runExemplar(dataDir, 'import', folder);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/imported 0, skipped 1, refused 0/);
    await withStores(dataDir, async (ctx) => {
      expect((await allSpecimens(ctx)).map((s) => s.id)).toEqual(['fixed-id-0001']);
    });

    // Same id, but an image the stored specimen lacks: refused rather than silently dropped.
    await writeImage(path.join(folder, 'w.png'), 32);
    const third = await runExemplar(dataDir, 'import', folder);
    expect(third.code).toBe(1);
    expect(third.stdout).toMatch(/refused +specimens\[0\] file w\.png: CONFLICT: specimen fixed-id-0001 is already in the catalogue but lacks w\.png/);
  });

  it('fails with a coded message when there is no manifest', async () => {
    const run = await runExemplar(dataDir, 'import', folder);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^exemplar: NOT_FOUND: no manifest\.json or manifest\.csv in /);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

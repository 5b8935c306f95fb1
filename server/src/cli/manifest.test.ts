import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { checkImageFile, loadZoneFiles, locateManifest, planFromCsv, planFromJson, readManifest } from './manifest';

describe('import manifests', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'exemplar-manifest-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads the JSON row format, with refs, ids and image objects', () => {
    const rows = planFromJson(
      dir,
      JSON.stringify({
        format: 'exemplar-manifest',
        version: 1,
        specimens: [
          {
            ref: 'g',
            id: 'abcdef12',
            specimen: { status: 'genuine', title: 'G' },
            captures: [{ id: 'cap1', page: 'data-page', dpi: 600, images: { white: 'a/w.png', 'uv-365': { file: 'a/u.png', sha256: 'a'.repeat(64) } }, zones: [{ type: 'mrz' }] }],
          },
          { specimen: { status: 'counterfeit', title: 'F', imitates: 'g' }, captures: [] },
        ],
      }),
    );
    expect(rows).toHaveLength(2);
    const [g, f] = rows;
    expect(g?.problem).toBeUndefined();
    expect(g?.ref).toBe('g');
    expect(g?.id).toBe('abcdef12');
    expect(g?.captures[0]?.meta).toEqual({ page: 'data-page', dpi: 600 });
    expect(g?.captures[0]?.images.map((i) => [i.lightSource, i.path, i.sha256])).toEqual([
      ['white', path.join(dir, 'a/w.png'), undefined],
      ['uv-365', path.join(dir, 'a/u.png'), 'a'.repeat(64)],
    ]);
    expect(g?.captures[0]?.zones).toEqual([{ type: 'mrz' }]);
    expect(f?.body.imitates).toBe('g');
  });

  it('refuses only the bad row: a path leaving the folder, a missing specimen, a bad sha256', () => {
    const rows = planFromJson(
      dir,
      JSON.stringify([
        { specimen: { title: 'ok' }, captures: [{ page: 'front', images: { white: 'w.png' } }] },
        { specimen: { title: 'escape' }, captures: [{ page: 'front', images: { white: '../etc/passwd' } }] },
        { captures: [] },
        { specimen: { title: 'sha' }, captures: [{ page: 'front', images: { white: { file: 'w.png', sha256: 'xyz' } } }] },
        { specimen: { title: 'abs' }, captures: [{ page: 'front', images: { white: '/etc/passwd' } }] },
      ]),
    );
    expect(rows.map((r) => r.problem?.code ?? 'ok')).toEqual(['ok', 'BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST']);
    expect(rows[1]?.problem?.message).toMatch(/leaves the import folder/);
  });

  it('refuses a row with a misspelt key rather than dropping what it holds', () => {
    const rows = planFromJson(dir, JSON.stringify([
      { specimen: { title: 'x' }, captrues: [] },
      { specimen: { title: 'y' }, captures: [{ page: 'front', images: { white: { file: 'w.png', sha: 'x' } } }] },
    ]));
    expect(rows[0]?.problem?.message).toBe('specimens[0] has unknown key(s) captrues (known: ref, id, specimen, captures, record)');
    expect(rows[1]?.problem?.message).toMatch(/images\.white has unknown key\(s\) sha/);
  });

  it('refuses a whole manifest that is not JSON or has an unknown version', () => {
    expect(() => planFromJson(dir, '{')).toThrow(/not valid JSON/);
    expect(() => planFromJson(dir, JSON.stringify({ version: 9, specimens: [] }))).toThrow(/version 9/);
  });

  it('groups CSV lines by specimenRef and page, splitting lists and checking conflicts', () => {
    const csv = [
      'specimenRef,status,issuingState,documentCategory,title,classification,tags,page,dpi,lightSource,file,issuedFrom,imitates',
      'a,genuine,UTO,passport,Utopia,public,demo; utopia,data-page,600,white,a-w.png,2019,',
      'a,,,,,,,data-page,,uv-365,a-u.png,,',
      'a,,,,,,,back,300,white,a-b.png,,',
      'b,counterfeit,UTO,passport,Fake,public,,data-page,600,white,b-w.png,,a',
      'c,genuine,UTO,passport,Conflict,public,,data-page,600,white,c-w.png,,',
      'c,forgery,UTO,passport,Conflict,public,,data-page,600,uv-365,c-u.png,,',
    ].join('\n');
    const rows = planFromCsv(dir, csv);
    expect(rows.map((r) => r.ref)).toEqual(['a', 'b', 'c']);
    const [a, b, c] = rows;
    expect(a?.row).toBe('lines 2,3,4');
    expect(a?.body).toEqual({ status: 'genuine', issuingState: 'UTO', documentCategory: 'passport', title: 'Utopia', classification: 'public', tags: ['demo', 'utopia'], issued: { from: 2019 } });
    expect(a?.captures.map((cap) => [cap.meta, cap.images.map((i) => i.lightSource)])).toEqual([
      [{ page: 'data-page', dpi: 600 }, ['white', 'uv-365']],
      [{ page: 'back', dpi: 300 }, ['white']],
    ]);
    expect(b?.body.imitates).toBe('a');
    expect(c?.problem?.message).toMatch(/column status is "genuine" on line 6 but "forgery" on line 7/);
  });

  it('rejects unknown CSV columns so a typo never drops data', () => {
    expect(() => planFromCsv(dir, 'specimenRef,titel,page,lightSource,file\na,x,front,white,w.png\n')).toThrow(/unknown CSV column\(s\): titel/);
  });

  it('refuses duplicate refs and two images for one light source', async () => {
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify([
      { ref: 'x', specimen: { title: '1' }, captures: [] },
      { ref: 'x', specimen: { title: '2' }, captures: [] },
    ]));
    const plan = await readManifest(dir, await locateManifest(dir));
    expect(plan.rows.map((r) => r.problem?.message ?? 'ok')).toEqual(['ok', 'specimens[1]: ref "x" is already used by specimens[0]']);

    const csv = planFromCsv(dir, 'specimenRef,page,lightSource,file\na,front,white,1.png\na,front,white,2.png\n');
    expect(csv[0]?.problem).toBeUndefined(); // caught by readManifest's key checks
    await writeFile(path.join(dir, 'm.csv'), 'specimenRef,page,lightSource,file\na,front,white,1.png\na,front,white,2.png\n');
    const plan2 = await readManifest(dir, path.join(dir, 'm.csv'));
    expect(plan2.rows[0]?.problem?.message).toMatch(/two images for light source white/);
  });

  it('checks image files exist and match their sha256, and reads CSV zone files', async () => {
    await mkdir(path.join(dir, 'img'));
    await writeFile(path.join(dir, 'img/w.png'), 'hello');
    await writeFile(path.join(dir, 'zones.json'), JSON.stringify([{ type: 'mrz', polygon: [[0, 0], [1, 0], [1, 1]] }]));
    const helloSha = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';
    const rows = planFromCsv(dir, `specimenRef,page,lightSource,file,sha256,zonesFile\na,front,white,img/w.png,${helloSha},zones.json\nb,front,white,img/w.png,${'0'.repeat(64)},\nc,front,white,img/none.png,,\n`);
    await expect(checkImageFile(rows[0]!.captures[0]!.images[0]!)).resolves.toBeUndefined();
    await expect(checkImageFile(rows[1]!.captures[0]!.images[0]!)).rejects.toMatchObject({ code: 'INTEGRITY_FAILED' });
    await expect(checkImageFile(rows[2]!.captures[0]!.images[0]!)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await loadZoneFiles(rows[0]!);
    expect(rows[0]?.captures[0]?.zones).toEqual([{ type: 'mrz', polygon: [[0, 0], [1, 0], [1, 1]] }]);
  });
});

/**
 * Text files the CLI imports are stored as written or refused: a manifest or
 * zone file whose JSON holds an unpaired UTF-16 surrogate (`"\ud800"`), or a
 * manifest or register CSV that is not UTF-8 (read leniently, its bytes
 * would become U+FFFD), is refused with a coded message naming the file and
 * the field or line, a non-zero exit, and nothing imported. Real stores in a
 * temp folder, the same runCli the binary calls.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { GENUINE, allSpecimens, runExemplar, tempDir, withStores, writeImage } from './helpers';

jest.setTimeout(300_000);

describe('exemplar import and register import, with text that cannot be stored as written', () => {
  let root: string;
  let dataDir: string;
  let folder: string;
  beforeEach(async () => {
    root = await tempDir('text-files');
    dataDir = path.join(root, 'data');
    folder = path.join(root, 'in');
    await fs.mkdir(folder);
  });
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  it('refuses a JSON manifest holding an unpaired surrogate, naming the field, and imports nothing', async () => {
    await writeImage(path.join(folder, 'g/white.png'), 1);
    const manifest = [
      { ref: 'a', specimen: GENUINE, captures: [{ page: 'data-page', images: { white: 'g/white.png' } }] },
      { ref: 'b', specimen: { ...GENUINE, title: 'Utopia passport \ud800' }, captures: [] },
    ];
    // JSON.stringify writes the lone surrogate as its escape.
    const manifestPath = path.join(folder, 'manifest.json');
    await fs.writeFile(manifestPath, JSON.stringify(manifest));
    expect(await fs.readFile(manifestPath, 'utf8')).toContain('\\ud800');
    const run = await runExemplar(dataDir, 'import', folder);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^exemplar: VALIDATION_FAILED: .*manifest\.json.*\/1\/specimen\/title holds an unpaired UTF-16 surrogate/);
    expect(await withStores(dataDir, allSpecimens)).toEqual([]);
  });

  it('refuses a CSV manifest that is not UTF-8, naming the line', async () => {
    await writeImage(path.join(folder, 'white.png'), 2);
    const header = 'specimenRef,status,issuingState,documentCategory,title,page,lightSource,file\n';
    // "Pass" in Latin-1: é as the single byte 0xE9.
    const row = Buffer.concat([Buffer.from('a,genuine,UTO,passport,Utopia pass'), Buffer.from([0xe9]), Buffer.from(',data-page,white,white.png\n')]);
    await fs.writeFile(path.join(folder, 'manifest.csv'), Buffer.concat([Buffer.from(header), row]));
    const run = await runExemplar(dataDir, 'import', folder);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^exemplar: VALIDATION_FAILED: .*manifest\.csv is not UTF-8 text \(line 2\); save it as UTF-8/);
    expect(await withStores(dataDir, allSpecimens)).toEqual([]);
  });

  it('refuses a register CSV that is not UTF-8 (a surrogate written as CESU-8), naming the line, and imports nothing', async () => {
    const file = path.join(root, 'register.csv');
    const good = 'issuingState,documentNumber,status,source\nUTO,JK500001,lost,MFA\n';
    await fs.writeFile(file, Buffer.concat([Buffer.from(good + 'UTO,JK500002,lost,MFA '), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('\n')]));
    const run = await runExemplar(dataDir, 'register', 'import', file);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^exemplar: VALIDATION_FAILED: .*register\.csv is not UTF-8 text \(line 3\)/);
    await fs.writeFile(file, good);
    const ok = await runExemplar(dataDir, 'register', 'import', file, '--json');
    expect(ok.code).toBe(0);
    // Only the row of the second, well-formed file: nothing of the refused one was kept.
    expect(JSON.parse(ok.stdout)).toMatchObject({ imported: 1, duplicates: 0 });
  });
});

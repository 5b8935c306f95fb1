/**
 * `exemplar mrz`: the JSON contract, exit codes that tell a bad document (2)
 * from a bad call (1) and from an image without MRZ (3), the readable table,
 * and the built binary.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { renderMrzImage } from '@exemplar/image-pipeline';
import { runExemplar, spawnExemplar, tempDir } from './helpers';

const GERMAN = ['P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<', 'C01X0006H1D<<6408125F1710319<<<<<<<<<<<<<<<0'];
const SWISS_ID = ['IDCHEA1234567<6<<<<<<<<<<<<<<<', '7510256M2009018CHE<<<<<<<<<<<8', 'SMITH<<JOHN<ALBERT<<<<<<<<<<<<'];
const FINNISH_VISA = ['V<FINSMITH<JONES<<SUSIE<MARGARET<<<<', 'L898902C<3USA6908061F9406236ZE184226'];
const UTOPIA_TD3 = ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO7408122F1204159ZE184226B<<<<<10'];

let dataDir: string;
beforeAll(async () => {
  dataDir = await tempDir('mrz');
});
afterAll(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown> & { checks: Record<string, boolean>; fields: Record<string, string | null> };

describe('exemplar mrz LINES --json', () => {
  it('answers format, valid, fields and the check digits of a valid passport, exit 0', async () => {
    const r = await runExemplar(dataDir, 'mrz', ...GERMAN, '--json');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const out = json(r.stdout);
    expect(out).toMatchObject({ format: 'TD3', valid: true, checkDigitsValid: true });
    expect(out.checks).toEqual({ documentNumber: true, birthDate: true, expirationDate: true, personalNumber: true, composite: true });
    expect(out.fields).toMatchObject({ documentNumber: 'C01X0006H', lastName: 'MUSTERMANN', firstName: 'ERIKA', birthDate: '640812', sex: 'female', nationality: 'D' });
  });

  it('has a check key only where the format has that check digit', async () => {
    const td1 = json((await runExemplar(dataDir, 'mrz', ...SWISS_ID, '--json')).stdout);
    expect(Object.keys(td1.checks).sort()).toEqual(['birthDate', 'composite', 'documentNumber', 'expirationDate']);
    const visa = await runExemplar(dataDir, 'mrz', ...FINNISH_VISA, '--json');
    expect(visa.code).toBe(0);
    expect(json(visa.stdout)).toMatchObject({ format: 'MRVB', checks: { documentNumber: true, birthDate: true, expirationDate: true }, fields: { optionalData: 'ZE184226' } });
    expect(Object.keys(json(visa.stdout).checks)).toHaveLength(3);
  });

  it('exits 2 for a parsed MRZ that is not valid, with the failing check named', async () => {
    const tampered = [GERMAN[0]!, GERMAN[1]!.replace('6408125', '6408135')];
    const r = await runExemplar(dataDir, 'mrz', ...tampered, '--json');
    expect(r.code).toBe(2);
    const out = json(r.stdout);
    expect(out).toMatchObject({ valid: false, checkDigitsValid: false, checks: { birthDate: false, composite: false, documentNumber: true } });
    // The ICAO specimen has sound check digits but the fictitious state UTO: not valid either, for another reason.
    const utopia = await runExemplar(dataDir, 'mrz', ...UTOPIA_TD3, '--json');
    expect(utopia.code).toBe(2);
    expect(json(utopia.stdout)).toMatchObject({ valid: false, checkDigitsValid: true, errors: [{ field: 'issuingState' }, { field: 'nationality' }] });
  });

  it('exits 1 with a message on stderr for input that is not MRZ lines', async () => {
    for (const args of [[GERMAN[0]!], [GERMAN[0]!, GERMAN[1]!.slice(1)], [GERMAN[0]!.toLowerCase(), GERMAN[1]!], []]) {
      const r = await runExemplar(dataDir, 'mrz', ...args, '--json');
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^exemplar: VALIDATION_FAILED: (Not an MRZ|no MRZ lines given)/);
    }
    const lower = await runExemplar(dataDir, 'mrz', GERMAN[0]!.toLowerCase(), GERMAN[1]!);
    expect(lower.stderr).toContain('line 1 has "p" at position 1');
  });

  it('takes the lines in one argument, one per line, and fixes OCR confusions on request', async () => {
    const noisy = ['P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<', 'C01X0006H1D<<64O8I25F1710319<<<<<<<<<<<<<<<0'];
    expect((await runExemplar(dataDir, 'mrz', noisy.join('\n'), '--json')).code).toBe(2);
    const fixed = await runExemplar(dataDir, 'mrz', noisy.join('\n'), '--json', '--autocorrect');
    expect(fixed.code).toBe(0);
    expect(json(fixed.stdout)).toMatchObject({ lines: GERMAN, autocorrected: [{ line: 1, column: 15, original: 'O', corrected: '0' }, { line: 1, column: 17, original: 'I', corrected: '1' }] });
  });

  it('prints a readable table without --json', async () => {
    const r = await runExemplar(dataDir, 'mrz', ...UTOPIA_TD3);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('TD3 (passport, 2 × 44)');
    expect(r.stdout).toMatch(/valid\s+no \(2 problems\)/);
    expect(r.stdout).toMatch(/issuingState\s+— invalid state code: UTO/);
    expect(r.stdout).toMatch(/personalNumber\s+ok/);
    const bad = await runExemplar(dataDir, 'mrz', ...[GERMAN[0]!, GERMAN[1]!.replace('6408125', '6408135')]);
    expect(bad.stdout).toMatch(/birthDate\s+FAILS — invalid check digit: 5\. Must be 6/);
  });
});

describe('exemplar mrz --image', () => {
  it('reads the MRZ from an image, then parses it; exit 3 when there is none', async () => {
    const file = path.join(dataDir, 'visa.jpg');
    await fs.writeFile(file, await renderMrzImage(FINNISH_VISA, { pitch: 16, rotateDeg: -3, noiseSigma: 6, jpegQuality: 85, seed: 4 }));
    const r = await runExemplar(dataDir, 'mrz', '--image', file, '--json');
    expect(r.code).toBe(0);
    const out = json(r.stdout);
    expect(out).toMatchObject({ found: true, format: 'MRVB', valid: true, lines: FINNISH_VISA, reading: { lines: FINNISH_VISA, format: 'MRVB' } });

    const table = await runExemplar(dataDir, 'mrz', '--image', file);
    expect(table.stdout).toMatch(/^read from .*visa\.jpg in \d+ ms: text at -3°/);

    const blank = path.join(dataDir, 'blank.png');
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="700" height="240"><rect width="100%" height="100%" fill="#f4f4f4"/><text x="20" y="120" font-family="DejaVu Serif, serif" font-size="36">No machine readable zone here</text></svg>';
    await sharp(Buffer.from(svg)).png().toFile(blank);
    const none = await runExemplar(dataDir, 'mrz', '--image', blank, '--json');
    expect(none.code).toBe(3);
    expect(json(none.stdout)).toMatchObject({ found: false, reading: null });

    const both = await runExemplar(dataDir, 'mrz', ...GERMAN, '--image', file);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('either MRZ lines or --image');
  });
});

describe('the built binary', () => {
  it('runs `node server/dist/cli.js mrz … --json` with the same contract and exit codes', async () => {
    const ok = await spawnExemplar(['mrz', ...SWISS_ID, '--json']);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(json(ok.stdout)).toMatchObject({ format: 'TD1', valid: true, checks: { documentNumber: true, birthDate: true, expirationDate: true, composite: true } });
    const invalid = await spawnExemplar(['mrz', ...UTOPIA_TD3, '--json']);
    expect(invalid.code).toBe(2);
    const usage = await spawnExemplar(['mrz', 'NOT<AN<MRZ']);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toContain('VALIDATION_FAILED');
  });
});

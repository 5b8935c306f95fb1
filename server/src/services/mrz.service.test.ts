import fs from 'node:fs';
import path from 'node:path';
import { ExemplarError } from '../errors';
import { parseMrz, td1LongNumberRules, type MrzCheckName } from './mrz.service';

/** Shared benchmark data lives next to the repository (../shared/benchdata from its root). */
const VECTORS = path.resolve(__dirname, '../../../../shared/benchdata/mrz-vectors/mrz_vectors.json');

interface Vector {
  id: string;
  lines: string[];
  format: string;
  expected_library_valid?: boolean;
  expected_library_invalid_detail_count?: number;
  expected_fields?: Record<string, string | null>;
  expected_fields_partial?: Record<string, string | null>;
  ocr_noisy_lines?: string[];
  check_digits_valid_independent: Record<string, boolean | string>;
}
/** ../shared is not part of a clone: the tests on the vectors are skipped without it. */
const HAVE_VECTORS = fs.existsSync(VECTORS);
const vectors = HAVE_VECTORS ? (JSON.parse(fs.readFileSync(VECTORS, 'utf8')) as { vectors: Vector[] }).vectors : [];
const describeWithVectors = HAVE_VECTORS ? describe : describe.skip;

const CHECKS_OF_FORMAT: Record<string, MrzCheckName[]> = {
  TD1: ['documentNumber', 'birthDate', 'expirationDate', 'composite'],
  TD2: ['documentNumber', 'birthDate', 'expirationDate', 'composite'],
  TD3: ['documentNumber', 'birthDate', 'expirationDate', 'personalNumber', 'composite'],
  MRVA: ['documentNumber', 'birthDate', 'expirationDate'],
  MRVB: ['documentNumber', 'birthDate', 'expirationDate'],
};

describeWithVectors('MRZ vectors (cheminfo/mrz test suite, ICAO Doc 9303 and PRADO specimens)', () => {
  it('covers all five formats', () => {
    expect(new Set(vectors.map((v) => v.format))).toEqual(new Set(['TD1', 'TD2', 'TD3', 'MRVA', 'MRVB']));
  });

  // Without the vectors there is nothing to name a test after, and jest refuses an empty table.
  if (HAVE_VECTORS) describe.each(vectors.map((v) => [v.id, v] as const))('%s', (_id, v) => {
    const r = parseMrz(v.lines);

    it('has the format, the fields and the verdict the vector expects', () => {
      expect(r.format).toBe(v.format);
      const expected = v.expected_fields ?? v.expected_fields_partial ?? {};
      for (const [field, value] of Object.entries(expected)) expect([field, r.fields[field]]).toEqual([field, value]);
      if (v.expected_library_valid !== undefined) expect(r.valid).toBe(v.expected_library_valid);
      if (v.expected_library_invalid_detail_count !== undefined) expect(r.errors).toHaveLength(v.expected_library_invalid_detail_count);
    });

    it('reports one result per check digit of its format, as computed independently', () => {
      expect(Object.keys(r.checks).sort()).toEqual([...CHECKS_OF_FORMAT[v.format]!].sort());
      const independent = Object.fromEntries(Object.entries(v.check_digits_valid_independent).filter(([, x]) => typeof x === 'boolean'));
      expect(r.checks).toEqual(independent);
      expect(r.checkDigitsValid).toBe(Object.values(independent).every(Boolean));
    });

    it('reports a long TD1 document number under both rules', () => {
      const rule = v.check_digits_valid_independent.documentNumber_long_rule;
      if (rule === undefined) {
        expect(r.documentNumberRules).toBeUndefined();
        return;
      }
      expect(r.documentNumberRules).toBeDefined();
      if (rule === 'icao_excluding_filler') expect(r.documentNumberRules!.icao).toBe(true);
      if (rule === 'including_filler_at_pos15') expect(r.documentNumberRules).toEqual({ icao: false, includingFiller: true });
      if (rule === 'none') expect(r.documentNumberRules).toEqual({ icao: false, includingFiller: false });
      // The library's own verdict accepts either rule.
      expect(r.checks.documentNumber).toBe(r.documentNumberRules!.icao || r.documentNumberRules!.includingFiller);
    });

    if (v.ocr_noisy_lines) {
      it('recovers the clean fields from OCR-confused lines with autocorrection', () => {
        const noisy = parseMrz(v.ocr_noisy_lines!, { autocorrect: true });
        expect(noisy.fields).toEqual(r.fields);
        expect(noisy.lines).toEqual(v.lines);
        expect(noisy.autocorrected.length).toBeGreaterThan(0);
        expect(noisy.checks).toEqual(r.checks);
        // Without autocorrection the same lines do not parse to the same fields.
        expect(parseMrz(v.ocr_noisy_lines!).fields).not.toEqual(r.fields);
      });
    }
  });
});

describe('TD1 long document numbers', () => {
  it('computes the check digit with and without the filler at position 15', () => {
    // BEL-BO-03003 validates only with the filler counted, BEL-BO-11005 only without; the ICAO Part 11 sample either way.
    expect(td1LongNumberRules(['IDBEL000590240<6013<<<<<<<<<<<', '8512017F1311048BEL851201002007', 'REINARTZ<<ULRIKE<KATIA<E<<<<<<'])).toEqual({ icao: false, includingFiller: true });
    expect(td1LongNumberRules(['IDBEL600001795<0152<<<<<<<<<<<', '1301014F2311207BEL130101987398', 'SPECIMEN<<SPECIMEN<<<<<<<<<<<<'])).toEqual({ icao: true, includingFiller: false });
    expect(td1LongNumberRules(['I<UTOD23145890<7349<<<<<<<<<<<', '3407127M9507122UTO<<<<<<<<<<<2', 'STEVENSON<<PETER<JOHN<<<<<<<<<'])).toEqual({ icao: true, includingFiller: true });
    expect(td1LongNumberRules(['IDCHEA1234567<6<<<<<<<<<<<<<<<', '7510256M2009018CHE<<<<<<<<<<<8', 'SMITH<<JOHN<ALBERT<<<<<<<<<<<<'])).toBeUndefined();
  });
});

describe('input that is not an MRZ', () => {
  const fails = (lines: string[]) => {
    try {
      parseMrz(lines);
    } catch (err) {
      return err as ExemplarError;
    }
    throw new Error('parsed');
  };

  it('names the wrong line and character', () => {
    const err = fails(['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO7408122F1204159ZE184226B<<<<<1o']);
    expect(err).toBeInstanceOf(ExemplarError);
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.message).toContain('line 2 has "o" at position 44');
    expect(err.details.errors).toEqual([expect.objectContaining({ path: '/lines/1' })]);
  });

  it('names the expected shapes for a wrong line count or length', () => {
    expect(fails(['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<']).message).toMatch(/1 line of 44 characters; expected 3 × 30 \(TD1\), 2 × 36 \(TD2, MRV-B\), 2 × 44 \(TD3, MRV-A\)/);
    expect(fails(['I<UTOD231458907<<<<<<<<<<<<<<<', '7408122F1204159UTO<<<<<<<<<<<6', 'ERIKSSON<<ANNA<MARIA<<<<<<<<']).message).toContain('3 lines of 30/28 characters');
    expect(fails(['', 'ABC']).details.errors).toEqual([expect.objectContaining({ path: '/lines/0', message: 'is empty' })]);
  });

  it('trims surrounding blanks (a pasted line) but nothing inside', () => {
    expect(parseMrz([' P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO7408122F1204159ZE184226B<<<<<10 ']).format).toBe('TD3');
    expect(fails(['P<UTOERIKSSON<<ANNA MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO7408122F1204159ZE184226B<<<<<10']).message).toContain('" " at position 20');
  });
});

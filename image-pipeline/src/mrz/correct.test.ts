import fs from 'node:fs';
import path from 'node:path';
import { computeMrzCheckDigit, isValidMrzCheckDigit, MRZ_ALPHABET } from './check-digit';
import { checkDigitDetails, correctMrz, mrzPosKey, verifyCheckDigits, type CharCandidate } from './correct';
import { LAYOUTS, type MrzFormat } from './layouts';

/** Shared benchmark data lives next to the repository (../shared/benchdata from its root). */
const VECTORS = path.resolve(__dirname, '../../../../shared/benchdata/mrz-vectors/mrz_vectors.json');

interface Vector {
  id: string;
  lines: string[];
  format: MrzFormat;
  check_digits_valid_independent: Record<string, boolean | string>;
}
/** ../shared is not part of a clone: the tests on the vectors are skipped without it. */
const HAVE_VECTORS = fs.existsSync(VECTORS);
const vectors = HAVE_VECTORS ? (JSON.parse(fs.readFileSync(VECTORS, 'utf8')) as { vectors: Vector[] }).vectors : [];

/** Candidates as a reader would give them: the printed character first, the rest far behind. */
function confident(lines: readonly string[]): CharCandidate[][][] {
  return lines.map((line) => Array.from(line, (c) => [{ char: c, score: 0.95 }, ...Array.from(MRZ_ALPHABET.replace(c, ''), (o) => ({ char: o, score: 0.2 }))]));
}

/** Makes `wrong` the best candidate at a position and the printed character a close second. */
function confuse(cands: CharCandidate[][][], line: number, column: number, wrong: string, gap = 0.05): void {
  const list = cands[line]![column]!;
  const right = list[0]!.char;
  cands[line]![column] = [{ char: wrong, score: 0.9 }, { char: right, score: 0.9 - gap }, ...list.filter((c) => c.char !== wrong && c.char !== right)];
}

/** Puts `list` first among the candidates of a position, the others after it in their order. */
function lead(cands: CharCandidate[][][], line: number, column: number, list: CharCandidate[]): void {
  cands[line]![column] = [...list, ...cands[line]![column]!.filter((x) => !list.some((y) => y.char === x.char))];
}

/** A correction's position and characters, for comparing. */
const correctionsOf = (r: ReturnType<typeof correctMrz>) => r.corrections.map((x) => [x.line, x.column, x.from, x.to]);

/** The names of the TD3 check digits that fail on `lines`. */
const failingTd3Checks = (lines: readonly string[]) => verifyCheckDigits(LAYOUTS.TD3, lines).filter((x) => !x.valid).map((x) => x.name);

describe('ICAO check digit', () => {
  it('weights 7-3-1 with fillers as 0 and letters from 10', () => {
    expect(computeMrzCheckDigit('L898902C3')).toBe(6);
    expect(computeMrzCheckDigit('740812')).toBe(2);
    expect(computeMrzCheckDigit('ZE184226B<<<<<')).toBe(1);
    expect(computeMrzCheckDigit('')).toBe(0);
    expect(isValidMrzCheckDigit('D23145890', '7')).toBe(true);
    expect(isValidMrzCheckDigit('D23145890', '<')).toBe(false);
    expect(() => computeMrzCheckDigit('ab')).toThrow(RangeError);
  });

  it('says of each check digit its data, the digit printed and the digit the data give (none for a continued TD1 document number)', () => {
    // ICAO Doc 9303 part 4 specimen with the year of birth overtyped 74 → 84 and the check digits left.
    const altered = ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO8408122F1204159ZE184226B<<<<<10'];
    const details = checkDigitDetails(LAYOUTS.TD3, altered);
    expect(details.find((d) => d.name === 'birthDate')).toEqual({ name: 'birthDate', valid: false, data: '840812', printed: '2', expected: 9, position: [1, 19] });
    expect(details.find((d) => d.name === 'documentNumber')).toEqual({ name: 'documentNumber', valid: true, data: 'L898902C3', printed: '6', expected: 6, position: [1, 9] });
    expect(details.find((d) => d.name === 'composite')).toMatchObject({ valid: false, printed: '0', expected: 3, position: [1, 43] });
    expect(details.map(({ name, valid }) => ({ name, valid }))).toEqual(verifyCheckDigits(LAYOUTS.TD3, altered));
    // A long TD1 number: its check digit follows the continuation, and issuers check it with or without the filler.
    const belgian = ['IDBEL000590240<6013<<<<<<<<<<<', '8512017F1311048BEL851201002007', 'REINARTZ<<ULRIKE<KATIA<E<<<<<<'];
    const broken = [belgian[0]!.replace('<6013<', '<6014<'), belgian[1]!, belgian[2]!];
    expect(checkDigitDetails(LAYOUTS.TD1, broken)[0]).toEqual({ name: 'documentNumber', valid: false, data: '000590240601', printed: '4', expected: null, position: [0, 18] });
    expect(checkDigitDetails(LAYOUTS.TD1, belgian)[0]).toMatchObject({ valid: true, expected: null });
  });

  const everyCheckDigit = (v: Vector) => {
    const results = verifyCheckDigits(LAYOUTS[v.format], v.lines);
    const expected = Object.fromEntries(Object.entries(v.check_digits_valid_independent).filter(([, x]) => typeof x === 'boolean'));
    expect(Object.fromEntries(results.map((r) => [r.name, r.valid]))).toEqual(expected);
  };
  // jest refuses an empty table: without the vectors the test is listed once, skipped.
  if (HAVE_VECTORS) it.each(vectors.map((v) => [v.id, v] as const))('%s: every check digit as computed independently', (_id, v) => everyCheckDigit(v));
  else it.skip('each MRZ vector: every check digit as computed independently', () => vectors.forEach(everyCheckDigit));
});

describe('check-digit-driven correction', () => {
  const TD3 = ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO7408122F1204159ZE184226B<<<<<10'];
  const TD1 = ['I<UTOD231458907<<<<<<<<<<<<<<<', '7408122F1204159UTO<<<<<<<<<<<6', 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<'];

  it('keeps a confident reading as it is', () => {
    const r = correctMrz(LAYOUTS.TD3, confident(TD3));
    expect(r).toMatchObject({ lines: TD3, corrections: [], cost: 0 });
  });

  it('restricts positions to their class: a letter O in a date is the digit 0', () => {
    const c = confident(TD3);
    confuse(c, 1, 15, 'O', 0.3);
    const r = correctMrz(LAYOUTS.TD3, c);
    expect(r.lines).toEqual(TD3);
    // Not a correction: the O was never allowed there.
    expect(r.corrections).toEqual([]);
  });

  it('chooses the second candidate where a check digit requires it, and says so', () => {
    const c = confident(TD3);
    confuse(c, 1, 2, '3'); // document number L8[9→3]8902C3
    confuse(c, 1, 16, '3'); // birth date 740[8→3]12
    const r = correctMrz(LAYOUTS.TD3, c);
    expect(r.lines).toEqual(TD3);
    expect(correctionsOf(r)).toEqual([
      [1, 2, '3', '9'],
      [1, 16, '3', '8'],
    ]);
  });

  it('leaves an altered field failing with the composite, not "explained" by rewriting a character of another field', () => {
    // The demo fraud: the year of birth overtyped 87 → 84, the check digits left (birth date and composite fail).
    const printed = ['P<UTOLINDQVIST<<ASTRID<ELENA<<<<<<<<<<<<<<<<', 'U23C418976UTO8403145F3106017870314T2205<<<10'];
    const c = confident(printed);
    // A photo reads two zeros of the personal number as O (allowed there) and has B close behind its 8.
    confuse(c, 1, 30, 'O', 0.038);
    confuse(c, 1, 37, 'O', 0.038);
    lead(c, 1, 28, [{ char: '8', score: 0.9 }, { char: 'B', score: 0.834 }]);
    const r = correctMrz(LAYOUTS.TD3, c);
    expect(r.lines).toEqual(printed);
    expect(failingTd3Checks(r.lines)).toEqual(['birthDate', 'composite']);
    // Weighing the composite as a field, 8 → B (the composite then holding, the personal number failing) was the cheaper story.
    const asField = correctMrz(LAYOUTS.TD3, c, { failedCompositePenalty: 1 });
    expect(asField.lines[1]![28]).toBe('B');
  });

  it('reads a state code as the known code its candidates give (UTD for UTO), and says so', () => {
    const c = confident(TD3);
    confuse(c, 0, 4, 'D'); // issuing state UT[O→D]
    confuse(c, 1, 12, 'D'); // nationality UT[O→D]
    const r = correctMrz(LAYOUTS.TD3, c);
    expect(r.lines).toEqual(TD3);
    expect(correctionsOf(r)).toEqual([
      [0, 4, 'D', 'O'],
      [1, 12, 'D', 'O'],
    ]);
  });

  it('makes up no state code: a fantasy state printed clearly, or digits where the code stands, stay as read', () => {
    const fantasy = [TD3[0]!.replace('P<UTO', 'P<XYZ'), TD3[1]!];
    expect(correctMrz(LAYOUTS.TD3, confident(fantasy)).lines).toEqual(fantasy);
    // A specimen printing 132 in its nationality: the layout forces letters (I S Z), and ISR (a known code) is
    // within reach of their second candidates, but the cells matched digits best.
    const c = confident(TD3);
    lead(c, 1, 10, [{ char: '1', score: 0.9 }, { char: 'I', score: 0.7 }]);
    lead(c, 1, 11, [{ char: '3', score: 0.9 }, { char: 'S', score: 0.7 }]);
    lead(c, 1, 12, [{ char: '2', score: 0.9 }, { char: 'Z', score: 0.72 }, { char: 'R', score: 0.66 }]);
    expect(correctMrz(LAYOUTS.TD3, c).lines[1]!.slice(10, 13)).toBe('ISZ');
  });

  it('leaves a genuinely wrong check digit failing instead of rewriting the field', () => {
    const printed = [TD3[0]!, TD3[1]!.slice(0, 19) + '5' + TD3[1]!.slice(20)]; // birth date check digit 2 → 5
    const r = correctMrz(LAYOUTS.TD3, confident(printed));
    expect(r.lines).toEqual(printed);
    expect(failingTd3Checks(r.lines)).toEqual(['birthDate', 'composite']);
  });

  it('does not make a check hold with candidates that match poorly', () => {
    const c = confident(TD3);
    // The birth date's 8 is unreadable: every candidate scores low.
    c[1]![16] = Array.from(MRZ_ALPHABET, (ch, i) => ({ char: ch, score: 0.35 - i * 0.001 }));
    const r = correctMrz(LAYOUTS.TD3, c);
    expect(r.lines[1]![16]).toBe('0');
    expect(verifyCheckDigits(LAYOUTS.TD3, r.lines).find((x) => x.name === 'birthDate')!.valid).toBe(false);
  });

  it('changes no character to make a check hold over a cell that matches nothing (its checks are unknown)', () => {
    // The last filler of a TD1's first row does not show (blank cell): its best "glyph" is noise, which the
    // composite check digit, read clearly, then contradicts.
    const c = confident(TD1);
    const blank = [...MRZ_ALPHABET].find((ch) => {
      const lines = [TD1[0]!.slice(0, 29) + ch, TD1[1]!, TD1[2]!];
      return verifyCheckDigits(LAYOUTS.TD1, lines).find((x) => x.name === 'composite')!.valid === false;
    })!;
    const lines = [TD1[0]!.slice(0, 29) + blank, TD1[1]!, TD1[2]!];
    const wanted = [...'0123456789'].find((d) => verifyCheckDigits(LAYOUTS.TD1, [lines[0]!, lines[1]!.slice(0, 29) + d, lines[2]!]).every((x) => x.valid))!;
    c[0]![29] = [{ char: blank, score: 0.2 }, ...Array.from(MRZ_ALPHABET.replace(blank, ''), (ch) => ({ char: ch, score: 0.18 }))];
    lead(c, 1, 29, [{ char: '6', score: 0.95 }, { char: wanted, score: 0.86 }]);
    const r = correctMrz(LAYOUTS.TD1, c);
    expect(r.lines[1]![29]).toBe('6');
    expect(r.corrections).toEqual([]);
    // Over a cell that was read, the same composite would be made to hold.
    lead(c, 0, 29, [{ char: blank, score: 0.9 }]);
    expect(correctMrz(LAYOUTS.TD1, c).lines[1]![29]).toBe(wanted);
  });

  it('reads the digit 0 in a document number where the letter O matches about as well, and a clear O as O', () => {
    // Zeros in positions whose weights sum to 15: read as O, the check digit holds all the same.
    const zeros = [TD3[0]!, 'U20A000006UTO7408122F1204159ZE184226B<<<<<10'];
    expect(failingTd3Checks(zeros)).toEqual([]);
    const asO = zeros[1]!.slice(0, 2) + 'O' + zeros[1]![3] + 'OOOO' + zeros[1]!.slice(8);
    expect(failingTd3Checks([zeros[0]!, asO])).toEqual([]);
    const close = confident(zeros);
    for (const col of [2, 4, 5, 6, 7]) confuse(close, 1, col, 'O', 0.015);
    const r = correctMrz(LAYOUTS.TD3, close);
    expect(r.lines).toEqual(zeros);
    expect(correctionsOf(r)).toEqual([2, 4, 5, 6, 7].map((col) => [1, col, 'O', '0']));
    const clear = confident(zeros);
    for (const col of [2, 4, 5, 6, 7]) confuse(clear, 1, col, 'O', 0.1);
    expect(correctMrz(LAYOUTS.TD3, clear).lines[1]).toBe(asO);
  });

  it("weighs a line's score gaps at its loss scale (scores from softened templates lie closer together)", () => {
    // The birth date's 8 read as a 6 with the 8 0.12 behind: within reach on the sharp scale, not at 1.5 times it.
    const c = confident(TD3);
    confuse(c, 1, 16, '6', 0.12);
    expect(correctionsOf(correctMrz(LAYOUTS.TD3, c))).toEqual([[1, 16, '6', '8']]);
    const r = correctMrz(LAYOUTS.TD3, c, {}, [1, 1.5]);
    expect(r.corrections).toEqual([]);
    expect(failingTd3Checks(r.lines)).toEqual(['birthDate', 'composite']);
    // The name line's scale does not touch the second line.
    expect(correctionsOf(correctMrz(LAYOUTS.TD3, c, {}, [1.5, 1]))).toEqual([[1, 16, '6', '8']]);
  });

  it('keeps a character seen out of line as read, whatever the check digits want', () => {
    const c = confident(TD3);
    confuse(c, 1, 16, '6', 0.05);
    expect(correctionsOf(correctMrz(LAYOUTS.TD3, c))).toEqual([[1, 16, '6', '8']]);
    const r = correctMrz(LAYOUTS.TD3, c, {}, [], new Set([mrzPosKey([1, 16])]));
    expect(r.lines[1]![16]).toBe('6');
    expect(failingTd3Checks(r.lines)).toEqual(['birthDate', 'composite']);
  });

  it('accepts a filler as the personal-number check digit of an empty personal number', () => {
    const lines = ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO7408122F1204159<<<<<<<<<<<<<<<8'];
    expect(verifyCheckDigits(LAYOUTS.TD3, lines).every((x) => x.valid)).toBe(true);
    expect(correctMrz(LAYOUTS.TD3, confident(lines)).lines).toEqual(lines);
  });

  it('corrects through the composite check digit of a TD1', () => {
    const c = confident(TD1);
    confuse(c, 0, 20, 'O', 0.05); // optional data, only covered by the composite: < read as O
    const r = correctMrz(LAYOUTS.TD1, c);
    expect(r.lines).toEqual(TD1);
  });

  it('follows a TD1 document number that continues in the optional data, under either rule', () => {
    const belgian = ['IDBEL000590240<6013<<<<<<<<<<<', '8512017F1311048BEL851201002007', 'REINARTZ<<ULRIKE<KATIA<E<<<<<<'];
    const belgianNewer = ['IDBEL600001795<0152<<<<<<<<<<<', '1301014F2311207BEL130101987398', 'SPECIMEN<<SPECIMEN<<<<<<<<<<<<'];
    const icaoSample = ['I<UTOD23145890<7349<<<<<<<<<<<', '3407127M9507122UTO<<<<<<<<<<<2', 'STEVENSON<<PETER<JOHN<<<<<<<<<'];
    expect(correctMrz(LAYOUTS.TD1, confident(belgian))).toMatchObject({ lines: belgian, documentNumberRule: 'long-including-filler' });
    expect(correctMrz(LAYOUTS.TD1, confident(belgianNewer))).toMatchObject({ lines: belgianNewer, documentNumberRule: 'long-icao' });
    const c = confident(icaoSample);
    confuse(c, 0, 16, '8'); // the 3 of the continued number read as 8
    expect(correctMrz(LAYOUTS.TD1, c).lines).toEqual(icaoSample);
  });

  it('reads the digit 0 in the continuation of a long TD1 document number where the letter O matches about as well', () => {
    // Zeros at columns 16, 17 and 20 of a 15-character number: their weights sum to 5 (mod 5) in both the number's
    // check (7-3-1 from column 5, the filler at 14 skipped) and the composite, so read as O every check holds all the same.
    const number = 'D23145890' + '100230';
    const line1 = `I<UTO${number.slice(0, 9)}<${number.slice(9)}${computeMrzCheckDigit(number)}`.padEnd(30, '<');
    const line2 = '3407127M9507122UTO<<<<<<<<<<<';
    const composite = (l1: string) => computeMrzCheckDigit(l1.slice(5, 30) + line2.slice(0, 7) + line2.slice(8, 15) + line2.slice(18, 29));
    const zeros = [line1, line2 + composite(line1), 'STEVENSON<<PETER<JOHN<<<<<<<<<'];
    const asO = [...zeros];
    asO[0] = [...line1].map((ch, col) => ([16, 17, 20].includes(col) ? 'O' : ch)).join('');
    expect(computeMrzCheckDigit(asO[0].slice(5, 14) + asO[0].slice(15, 21))).toBe(computeMrzCheckDigit(number));
    expect(composite(asO[0])).toBe(composite(line1));
    const close = confident(zeros);
    for (const col of [16, 17, 20]) confuse(close, 0, col, 'O', 0.015);
    const r = correctMrz(LAYOUTS.TD1, close);
    expect(r).toMatchObject({ lines: zeros, documentNumberRule: 'long-icao' });
    expect(correctionsOf(r)).toEqual([16, 17, 20].map((col) => [0, col, 'O', '0']));
    // A clear O is read as O.
    const clear = confident(zeros);
    for (const col of [16, 17, 20]) confuse(clear, 0, col, 'O', 0.1);
    expect(correctMrz(LAYOUTS.TD1, clear).lines[0]).toBe(asO[0]);
  });
});

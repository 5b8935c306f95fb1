/**
 * Machine readable zones: parsing and validation by the `mrz` package
 * (cheminfo), and reading from an image by the image-pipeline reader.
 *
 * What `mrz` (v5) does not do, and is done here:
 * - the visa formats MRV-A (2 × 44) and MRV-B (2 × 36): they share every
 *   position up to the expiry check digit with TD3 and TD2, so the library's
 *   TD3/TD2 parse is kept for those positions and the rest of line 2 is
 *   optional data without check digit (the library's personal-number,
 *   optional and composite fields are dropped);
 * - the TD1 long document number (position 15 a filler, the number and its
 *   check digit continued in the optional data): ICAO Doc 9303 leaves open
 *   whether the filler counts; the library accepts either; both results are
 *   reported side by side (`documentNumberRules`) instead of one verdict.
 */
import type { Details, ParseResult } from 'mrz' with { 'resolution-mode': 'import' };
import { computeMrzCheckDigit, isImageError, isMrzReaderError, readMrzFromFile, type MrzImageReading, type MrzReader } from '@exemplar/image-pipeline';
import { assertCan } from '../auth/policy';
import { ExemplarError } from '../errors';
import type { Actor } from './actor';

// `mrz` is an ES module; Node 20.19+ loads it with require() (the server compiles to CommonJS).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const mrz = require('mrz') as typeof import('mrz', { with: { 'resolution-mode': 'import' } });

export type MrzFormat = 'TD1' | 'TD2' | 'TD3' | 'MRVA' | 'MRVB';
export const MRZ_FORMATS: readonly MrzFormat[] = ['TD1', 'TD2', 'TD3', 'MRVA', 'MRVB'];

export type MrzCheckName = 'documentNumber' | 'birthDate' | 'expirationDate' | 'personalNumber' | 'composite';
export const MRZ_CHECK_NAMES: readonly MrzCheckName[] = ['documentNumber', 'birthDate', 'expirationDate', 'personalNumber', 'composite'];

/** Line count × length of each format (a V document code tells a visa from a TD3/TD2 of the same size). */
export const MRZ_SHAPES: readonly { lines: number; length: number; formats: string }[] = [
  { lines: 3, length: 30, formats: 'TD1' },
  { lines: 2, length: 36, formats: 'TD2, MRV-B' },
  { lines: 2, length: 44, formats: 'TD3, MRV-A' },
];

export interface MrzFieldError {
  field: string;
  message: string;
  line: number;
  start: number;
  end: number;
}

export interface MrzAutocorrection {
  line: number;
  column: number;
  original: string;
  corrected: string;
}

export interface MrzParseResult {
  format: MrzFormat;
  /** The `mrz` package's verdict: every field valid (real ISO/ICAO state codes, dates, sex) and every check digit holds. */
  valid: boolean;
  /** Every check digit of the format holds (a specimen of the fictitious state UTO has valid check digits but is not `valid`). */
  checkDigitsValid: boolean;
  /** The library's field values (`null` where the field is invalid); MRV formats: `optionalData` instead of the personal number. */
  fields: Record<string, string | null>;
  /** One entry per check digit the format has. */
  checks: Partial<Record<MrzCheckName, boolean>>;
  /** TD1 document number continued in the optional data: its check digit under each reading of ICAO Doc 9303. */
  documentNumberRules?: { icao: boolean; includingFiller: boolean };
  errors: MrzFieldError[];
  /** OCR confusions fixed by autocorrection (letters in digit fields and the reverse). */
  autocorrected: MrzAutocorrection[];
  /** The lines as parsed, autocorrections applied. */
  lines: string[];
}

export interface MrzParseOptions {
  /** Fix OCR confusions (O/0, I/1, B/8, S/5, Z/2, G/6) where a field's type allows only one of them. */
  autocorrect?: boolean;
}

const MRZ_LINE = /^[A-Z0-9<]+$/;

/** Refuses input that is not MRZ lines of a supported shape, saying which line is wrong and how. */
export function checkMrzLines(lines: readonly string[]): void {
  const errors: { path: string; message: string }[] = [];
  lines.forEach((line, i) => {
    const bad = [...line].findIndex((c) => !MRZ_LINE.test(c));
    if (line.length === 0) errors.push({ path: `/lines/${i}`, message: 'is empty' });
    else if (bad >= 0) errors.push({ path: `/lines/${i}`, message: `has ${JSON.stringify(line[bad])} at position ${bad + 1}; an MRZ holds only A–Z, 0–9 and <` });
  });
  const shape = MRZ_SHAPES.find((s) => s.lines === lines.length && lines.every((l) => l.length === s.length));
  if (!shape && errors.length === 0) {
    const got = `${lines.length} line${lines.length === 1 ? '' : 's'} of ${[...new Set(lines.map((l) => l.length))].join('/')} characters`;
    errors.push({ path: '/lines', message: `${got}; expected ${MRZ_SHAPES.map((s) => `${s.lines} × ${s.length} (${s.formats})`).join(', ')}` });
  }
  if (errors.length) {
    throw new ExemplarError('VALIDATION_FAILED', `Not an MRZ: ${errors.map((e) => `${e.path === '/lines' ? 'input' : `line ${Number(e.path.split('/')[2]) + 1}`} ${e.message}`).join('; ')}`, {
      errors: errors.map((e) => ({ ...e, keyword: 'mrz' })),
    });
  }
}

/** Check-digit fields of the library and the check they report. */
const CHECK_OF_FIELD: Record<string, MrzCheckName> = {
  documentNumberCheckDigit: 'documentNumber',
  birthDateCheckDigit: 'birthDate',
  expirationDateCheckDigit: 'expirationDate',
  personalNumberCheckDigit: 'personalNumber',
  compositeCheckDigit: 'composite',
};

/** Positions of line 2 from which a visa has only optional data. */
const MRV_OPTIONAL_START = 28;

function visaFormat(lines: readonly string[]): 'MRVA' | 'MRVB' | null {
  if (lines.length !== 2 || lines[0]![0] !== 'V') return null;
  return lines[0]!.length === 44 ? 'MRVA' : lines[0]!.length === 36 ? 'MRVB' : null;
}

/** The library's details for a visa: its TD3/TD2 parse up to the expiry check digit, then the visa's own code and optional data. */
function visaDetails(parsed: ParseResult, lines: readonly string[]): Details[] {
  const kept = parsed.details.filter((d) => d.field !== 'documentCode' && !(d.line === 1 && d.start >= MRV_OPTIONAL_START) && !(d.line === 1 && d.ranges[0]!.start >= MRV_OPTIONAL_START));
  const code = lines[0]!.slice(0, 2);
  const codeOk = code[0] === 'V';
  const documentCode: Details = {
    label: 'Document code',
    field: 'documentCode',
    value: codeOk ? code.replace(/</g, '') : null,
    valid: codeOk,
    ranges: [{ line: 0, start: 0, end: 2 }],
    line: 0,
    start: 0,
    end: 2,
    autocorrect: [],
    ...(!codeOk && { error: `invalid document code: ${code}. First character must be V` }),
  };
  const raw = lines[1]!.slice(MRV_OPTIONAL_START);
  const optional: Details = {
    label: 'Optional data',
    // Not a field name of the library: visas are parsed here.
    field: 'optionalData' as Details['field'],
    value: raw.replace(/</g, ' ').trim(),
    valid: true,
    ranges: [{ line: 1, start: MRV_OPTIONAL_START, end: lines[1]!.length }],
    line: 1,
    start: MRV_OPTIONAL_START,
    end: lines[1]!.length,
    autocorrect: [],
  };
  return [documentCode, ...kept, optional];
}

/** Both readings of a TD1 document number continued in the optional data, or undefined when it is not continued. */
export function td1LongNumberRules(lines: readonly string[]): { icao: boolean; includingFiller: boolean } | undefined {
  const line1 = lines[0]!;
  if (lines.length !== 3 || line1.length !== 30 || line1[14] !== '<') return undefined;
  const firstFiller = line1.indexOf('<', 15);
  const checkAt = (firstFiller < 0 ? 30 : firstFiller) - 1;
  if (checkAt <= 15) return undefined;
  const digit = line1[checkAt]!;
  const tail = line1.slice(15, checkAt);
  const holds = (data: string) => /^[0-9]$/.test(digit) && computeMrzCheckDigit(data) === Number(digit);
  return { icao: holds(line1.slice(5, 14) + tail), includingFiller: holds(line1.slice(5, 15) + tail) };
}

/** Parses and validates MRZ lines (TD1, TD2, TD3, MRV-A, MRV-B). Throws VALIDATION_FAILED for input that is not MRZ lines. */
export function parseMrz(input: readonly string[], options: MrzParseOptions = {}): MrzParseResult {
  const lines = input.map((l) => l.trim());
  checkMrzLines(lines);
  let parsed: ParseResult;
  try {
    parsed = mrz.parse([...lines], { autocorrect: Boolean(options.autocorrect) });
  } catch (err) {
    throw new ExemplarError('VALIDATION_FAILED', `Not an MRZ: ${(err as Error).message}`, { errors: [{ path: '/lines', message: (err as Error).message, keyword: 'mrz' }] });
  }
  const autocorrected = parsed.details.flatMap((d) => d.autocorrect);
  const corrected = lines.map((line, l) => {
    const chars = [...line];
    for (const a of autocorrected) if (a.line === l) chars[a.column] = a.corrected;
    return chars.join('');
  });
  const visa = visaFormat(corrected);
  const details = visa ? visaDetails(parsed, corrected) : parsed.details;
  if (!visa && !MRZ_FORMATS.includes(parsed.format as MrzFormat)) {
    // A 2 × 36 line pair with digits where TD2 has names is a French national ID card to the library: not one of ours.
    throw new ExemplarError('VALIDATION_FAILED', `Not an ICAO MRZ: the lines have the shape of a ${parsed.format}`, { errors: [{ path: '/lines', message: `parsed as ${parsed.format}`, keyword: 'mrz' }] });
  }
  const fields: Record<string, string | null> = {};
  const checks: Partial<Record<MrzCheckName, boolean>> = {};
  for (const d of details) {
    if (!d.field) continue;
    fields[d.field] = d.valid ? d.value : null;
    const check = CHECK_OF_FIELD[d.field];
    if (check) checks[check] = d.valid;
  }
  const errors = details.filter((d) => !d.valid).map((d) => ({ field: d.field ?? d.label, message: d.error ?? 'invalid', line: d.line, start: d.start, end: d.end }));
  const documentNumberRules = parsed.format === 'TD1' ? td1LongNumberRules(corrected) : undefined;
  return {
    format: visa ?? (parsed.format as MrzFormat),
    valid: errors.length === 0,
    checkDigitsValid: Object.values(checks).every(Boolean),
    fields,
    checks,
    ...(documentNumberRules && { documentNumberRules }),
    errors,
    autocorrected,
    lines: corrected,
  };
}

export interface MrzImageResult {
  /** An MRZ was found and read with enough confidence to report. */
  found: boolean;
  /** What the reader saw: lines after check-digit-driven correction, per-character confidence, corrections, where. */
  reading: MrzImageReading | null;
  /** The reading parsed and validated like typed lines; null when nothing was found. */
  parse: MrzParseResult | null;
  elapsedMs: number;
}

export interface MrzReadImageOptions {
  maxPixels?: number;
}

/** Maps the image pipeline's errors onto the API's. */
function asExemplarError(err: unknown): unknown {
  if (isImageError(err)) return new ExemplarError(err.code, err.message, err.details);
  if (isMrzReaderError(err)) {
    if (err.code === 'BUSY') return new ExemplarError('QUEUE_FULL', err.message, err.details);
    if (err.code === 'TIMEOUT') return new ExemplarError('UNPROCESSABLE', `${err.message}; the image may be too large or too cluttered`, err.details);
  }
  return err;
}

/** The reading of an image, with its parse (null if the library will not parse what was read, e.g. a French ID card's layout). */
function withParse(found: boolean, reading: MrzImageReading | null, elapsedMs: number): MrzImageResult {
  if (!found || !reading) return { found: false, reading: null, parse: null, elapsedMs };
  let parse: MrzParseResult | null = null;
  try {
    parse = parseMrz(reading.lines);
  } catch (err) {
    if (!(err instanceof ExemplarError && err.code === 'VALIDATION_FAILED')) throw err;
  }
  return { found: true, reading, parse, elapsedMs };
}

export class MrzService {
  /** `reader` runs reads off the calling thread (the server); without it reads run in this thread (the CLI). */
  constructor(private readonly deps: { reader?: MrzReader } = {}) {}

  parse(lines: readonly string[], options: MrzParseOptions, actor: Actor): MrzParseResult {
    assertCan(actor, 'mrz');
    return parseMrz(lines, options);
  }

  async readImage(file: string, options: MrzReadImageOptions, actor: Actor): Promise<MrzImageResult> {
    assertCan(actor, 'mrz');
    const t0 = performance.now();
    try {
      const result = this.deps.reader ? await this.deps.reader.read(file, options) : await readMrzFromFile(file, options);
      return withParse(result.found, result.reading, Math.round(performance.now() - t0));
    } catch (err) {
      throw asExemplarError(err);
    }
  }
}

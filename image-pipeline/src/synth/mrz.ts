/**
 * ICAO Doc 9303 machine readable zones: composition for TD1 (3 × 30) and TD3
 * (2 × 44) documents, and a checker that recomputes every check digit, so
 * that tests (and examiners' tools) can tell a consistent MRZ from an altered one.
 */

export type MrzSex = 'F' | 'M' | 'X';

export interface MrzData {
  /** ICAO document code, e.g. "P", "ID", "IR". */
  documentCode: string;
  issuingState: string;
  surname: string;
  givenNames: string;
  documentNumber: string;
  nationality: string;
  /** ISO date YYYY-MM-DD. */
  dateOfBirth: string;
  sex: MrzSex;
  /** ISO date YYYY-MM-DD. */
  dateOfExpiry: string;
  /** TD3: personal number (14); TD1: optional data of line 1 (15). */
  optionalData?: string;
  /** TD1 only: optional data of line 2 (11). */
  optionalData2?: string;
}

const FILLER = '<';

function charValue(c: string): number {
  if (c === FILLER) return 0;
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 90) return code - 55;
  throw new RangeError(`character ${JSON.stringify(c)} is not allowed in an MRZ`);
}

/** The 7-3-1 weighted check digit of an MRZ field. */
export function mrzCheckDigit(field: string): number {
  const weights = [7, 3, 1];
  let sum = 0;
  for (let i = 0; i < field.length; i++) sum += charValue(field[i]!) * weights[i % 3]!;
  return sum % 10;
}

/** Upper-case A–Z, digits and fillers only; accents dropped, separators become fillers. */
export function toMrzText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/['’.]/g, '')
    .replace(/[^A-Z0-9]+/g, FILLER)
    .replace(/^<+|<+$/g, '');
}

function pad(text: string, length: number): string {
  if (text.length > length) return text.slice(0, length);
  return text + FILLER.repeat(length - text.length);
}

/** Primary and secondary identifiers, separated by "<<", padded or truncated to `length`. */
export function toMrzName(surname: string, givenNames: string, length: number): string {
  return pad(`${toMrzText(surname)}<<${toMrzText(givenNames)}`, length);
}

/** YYYY-MM-DD → YYMMDD. */
export function toMrzDate(isoDate: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (!m) throw new RangeError(`not an ISO date: ${isoDate}`);
  return `${m[1]!.slice(2)}${m[2]}${m[3]}`;
}

function field(text: string, length: number, what: string): string {
  const t = toMrzText(text);
  if (t.length > length) throw new RangeError(`${what} longer than ${length} characters: ${text}`);
  return pad(t, length);
}

function withCheck(value: string): string {
  return value + String(mrzCheckDigit(value));
}

function mrzSex(sex: MrzSex): string {
  return sex === 'X' ? FILLER : sex;
}

/** Two 44-character lines of a TD3 (passport) MRZ. */
export function formatTd3Mrz(d: MrzData): [string, string] {
  const line1 = pad(`${field(d.documentCode, 2, 'document code')}${field(d.issuingState, 3, 'issuing state')}${toMrzName(d.surname, d.givenNames, 39)}`, 44);
  const docNumber = withCheck(field(d.documentNumber, 9, 'document number'));
  const birth = withCheck(toMrzDate(d.dateOfBirth));
  const expiry = withCheck(toMrzDate(d.dateOfExpiry));
  const optional = field(d.optionalData ?? '', 14, 'personal number');
  // An empty personal number may carry a filler instead of a check digit (Doc 9303-4 §4.2.2).
  const optionalWithCheck = optional === FILLER.repeat(14) ? optional + FILLER : withCheck(optional);
  const composite = mrzCheckDigit(docNumber + birth + expiry + optionalWithCheck);
  const line2 = `${docNumber}${field(d.nationality, 3, 'nationality')}${birth}${mrzSex(d.sex)}${expiry}${optionalWithCheck}${composite}`;
  return [line1, line2];
}

/** Three 30-character lines of a TD1 (card) MRZ. */
export function formatTd1Mrz(d: MrzData): [string, string, string] {
  const docNumber = withCheck(field(d.documentNumber, 9, 'document number'));
  const line1 = `${field(d.documentCode, 2, 'document code')}${field(d.issuingState, 3, 'issuing state')}${docNumber}${field(d.optionalData ?? '', 15, 'optional data')}`;
  const birth = withCheck(toMrzDate(d.dateOfBirth));
  const expiry = withCheck(toMrzDate(d.dateOfExpiry));
  const optional2 = field(d.optionalData2 ?? '', 11, 'optional data');
  const composite = mrzCheckDigit(line1.slice(5, 30) + birth + expiry + optional2);
  const line2 = `${birth}${mrzSex(d.sex)}${expiry}${field(d.nationality, 3, 'nationality')}${optional2}${composite}`;
  const line3 = toMrzName(d.surname, d.givenNames, 30);
  return [line1, line2, line3];
}

export interface MrzCheck {
  field: 'document-number' | 'date-of-birth' | 'date-of-expiry' | 'personal-number' | 'composite';
  /** The digit printed in the MRZ. */
  printed: string;
  /** The digit recomputed from the field. */
  computed: string;
  valid: boolean;
}

export interface MrzReading {
  format: 'TD1' | 'TD3';
  documentCode: string;
  issuingState: string;
  documentNumber: string;
  dateOfBirth: string;
  sex: string;
  dateOfExpiry: string;
  nationality: string;
  surname: string;
  givenNames: string;
  checks: MrzCheck[];
  /** Every check digit matches. */
  valid: boolean;
}

function check(name: MrzCheck['field'], value: string, printed: string, fillerAllowed = false): MrzCheck {
  if (fillerAllowed && printed === FILLER && /^<*$/.test(value)) return { field: name, printed, computed: FILLER, valid: true };
  const computed = String(mrzCheckDigit(value));
  return { field: name, printed, computed, valid: computed === printed };
}

function splitName(name: string): { surname: string; givenNames: string } {
  const [surname = '', given = ''] = name.split('<<', 2);
  const clean = (s: string) => s.replace(/<+/g, ' ').trim();
  return { surname: clean(surname), givenNames: clean(given) };
}

/** Reads a TD1 or TD3 MRZ and recomputes its check digits. */
export function readMrz(lines: readonly string[]): MrzReading {
  const bad = lines.find((l) => !/^[A-Z0-9<]+$/.test(l));
  if (bad !== undefined) throw new RangeError(`not an MRZ line: ${bad}`);
  if (lines.length === 2 && lines.every((l) => l.length === 44)) {
    const [l1, l2] = lines as [string, string];
    const checks = [
      check('document-number', l2.slice(0, 9), l2[9]!),
      check('date-of-birth', l2.slice(13, 19), l2[19]!),
      check('date-of-expiry', l2.slice(21, 27), l2[27]!),
      check('personal-number', l2.slice(28, 42), l2[42]!, true),
      check('composite', l2.slice(0, 10) + l2.slice(13, 20) + l2.slice(21, 43), l2[43]!),
    ];
    return {
      format: 'TD3',
      documentCode: l1.slice(0, 2).replace(/</g, ''),
      issuingState: l1.slice(2, 5).replace(/</g, ''),
      documentNumber: l2.slice(0, 9).replace(/</g, ''),
      dateOfBirth: l2.slice(13, 19),
      sex: l2[20]!,
      dateOfExpiry: l2.slice(21, 27),
      nationality: l2.slice(10, 13).replace(/</g, ''),
      ...splitName(l1.slice(5)),
      checks,
      valid: checks.every((c) => c.valid),
    };
  }
  if (lines.length === 3 && lines.every((l) => l.length === 30)) {
    const [l1, l2, l3] = lines as [string, string, string];
    const checks = [
      check('document-number', l1.slice(5, 14), l1[14]!),
      check('date-of-birth', l2.slice(0, 6), l2[6]!),
      check('date-of-expiry', l2.slice(8, 14), l2[14]!),
      check('composite', l1.slice(5, 30) + l2.slice(0, 7) + l2.slice(8, 15) + l2.slice(18, 29), l2[29]!),
    ];
    return {
      format: 'TD1',
      documentCode: l1.slice(0, 2).replace(/</g, ''),
      issuingState: l1.slice(2, 5).replace(/</g, ''),
      documentNumber: l1.slice(5, 14).replace(/</g, ''),
      dateOfBirth: l2.slice(0, 6),
      sex: l2[7]!,
      dateOfExpiry: l2.slice(8, 14),
      nationality: l2.slice(15, 18).replace(/</g, ''),
      ...splitName(l3),
      checks,
      valid: checks.every((c) => c.valid),
    };
  }
  throw new RangeError('an MRZ has 2 lines of 44 (TD3) or 3 lines of 30 (TD1) characters');
}

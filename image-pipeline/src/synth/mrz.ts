/**
 * ICAO Doc 9303 machine readable zones: composition for TD1 (3 × 30) and TD3
 * (2 × 44) documents of the synthetic library. Check digits come from the
 * MRZ reader's implementation (../mrz), which also verifies them.
 */
import { computeMrzCheckDigit } from '../mrz/check-digit';

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

/** The 7-3-1 weighted check digit of an MRZ field (the reader's implementation). */
export const mrzCheckDigit = computeMrzCheckDigit;

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

/**
 * The ICAO Doc 9303 (part 3, §4.9) check digit: characters valued 0–9 for
 * digits, 10–35 for A–Z and 0 for the filler `<`, weighted 7, 3, 1 repeating,
 * summed modulo 10. Used by the reader to correct OCR candidates, and by the
 * server to report the TD1 long-document-number rules side by side (the `mrz`
 * package does not export its own).
 */

export const MRZ_FILLER = '<';

/** The 37 characters an MRZ may contain, in check-digit value order except the filler. */
export const MRZ_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<';

const WEIGHTS = [7, 3, 1] as const;

/** Value of one MRZ character, or -1 if it is not one. */
export function mrzCharValue(c: string): number {
  if (c === MRZ_FILLER) return 0;
  const code = c.charCodeAt(0);
  if (c.length === 1 && code >= 48 && code <= 57) return code - 48;
  if (c.length === 1 && code >= 65 && code <= 90) return code - 55;
  return -1;
}

/** Weight of the character at `index` of a checked field. */
export function mrzWeight(index: number): number {
  return WEIGHTS[index % 3]!;
}

/** The check digit (0–9) of a field; throws RangeError on a character that is not an MRZ character. */
export function computeMrzCheckDigit(field: string): number {
  let sum = 0;
  for (let i = 0; i < field.length; i++) {
    const v = mrzCharValue(field[i]!);
    if (v < 0) throw new RangeError(`${JSON.stringify(field[i])} is not an MRZ character`);
    sum += v * mrzWeight(i);
  }
  return sum % 10;
}

/** True when `digit` is the check digit of `field`. */
export function isValidMrzCheckDigit(field: string, digit: string): boolean {
  return /^[0-9]$/.test(digit) && /^[0-9A-Z<]*$/.test(field) && computeMrzCheckDigit(field) === Number(digit);
}

/**
 * Where each ICAO Doc 9303 format keeps what: the character class of every
 * position and the check-digit groups. The reader needs this to constrain
 * OCR candidates (digits in dates, letters in state codes) and to choose
 * among them so that check digits hold; parsing the fields is the `mrz`
 * package's job on the server.
 */

export type MrzFormat = 'TD1' | 'TD2' | 'TD3' | 'MRVA' | 'MRVB';

export type CheckName = 'documentNumber' | 'birthDate' | 'expirationDate' | 'personalNumber' | 'composite';

/** [line, column], both from 0. */
export type MrzPos = readonly [number, number];

export interface CheckGroup {
  name: CheckName;
  /** Positions of the checked characters, in order. */
  data: MrzPos[];
  check: MrzPos;
  /** The check digit may be a filler when every checked character is one (TD3 personal number). */
  fillerWhenEmpty?: boolean;
}

export interface MrzLayout {
  format: MrzFormat;
  lineCount: number;
  lineLength: number;
  /** Per line, one class code per position (see CLASS_CHARS). */
  classes: string[];
  groups: CheckGroup[];
  /** The issuing state's and the nationality's code (three positions each; a shorter code is padded with fillers). */
  codes: MrzPos[][];
}

/**
 * A: letters and filler (names, codes, states); N: digits (dates, check
 * digits); C: a digit or a filler (check digits that may be empty); X: any
 * (document numbers, optional data); S: sex.
 */
export const CLASS_CHARS: Record<string, string> = {
  A: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ<',
  N: '0123456789',
  C: '0123456789<',
  X: '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<',
  S: 'FMX<',
};

const rep = (c: string, n: number) => c.repeat(n);
const span = (line: number, from: number, to: number): MrzPos[] => Array.from({ length: to - from + 1 }, (_, i) => [line, from + i] as const);

/** Line 2 of the two-line formats up to the expiry check digit (TD2, TD3, MRV-A, MRV-B share it). */
const LINE2_HEAD = `${rep('X', 9)}N${rep('A', 3)}${rep('N', 6)}NS${rep('N', 6)}N`;

/** Issuing state on line 1 and nationality on line 2 of the two-line formats. */
const TWO_LINE_CODES: MrzPos[][] = [span(0, 2, 4), span(1, 10, 12)];

const headGroups = (line: number): CheckGroup[] => [
  { name: 'documentNumber', data: span(line, 0, 8), check: [line, 9] },
  { name: 'birthDate', data: span(line, 13, 18), check: [line, 19] },
  { name: 'expirationDate', data: span(line, 21, 26), check: [line, 27] },
];

export const LAYOUTS: Record<MrzFormat, MrzLayout> = {
  TD1: {
    format: 'TD1',
    lineCount: 3,
    lineLength: 30,
    // Position 14 is a filler when a long document number continues in the optional data.
    classes: [`AAAAA${rep('X', 9)}C${rep('X', 15)}`, `${rep('N', 6)}NS${rep('N', 6)}NAAA${rep('X', 11)}N`, rep('A', 30)],
    groups: [
      { name: 'documentNumber', data: span(0, 5, 13), check: [0, 14] },
      { name: 'birthDate', data: span(1, 0, 5), check: [1, 6] },
      { name: 'expirationDate', data: span(1, 8, 13), check: [1, 14] },
      { name: 'composite', data: [...span(0, 5, 29), ...span(1, 0, 6), ...span(1, 8, 14), ...span(1, 18, 28)], check: [1, 29] },
    ],
    codes: [span(0, 2, 4), span(1, 15, 17)],
  },
  TD2: {
    format: 'TD2',
    lineCount: 2,
    lineLength: 36,
    classes: [rep('A', 36), `${LINE2_HEAD}${rep('X', 7)}N`],
    groups: [...headGroups(1), { name: 'composite', data: [...span(1, 0, 9), ...span(1, 13, 19), ...span(1, 21, 34)], check: [1, 35] }],
    codes: TWO_LINE_CODES,
  },
  TD3: {
    format: 'TD3',
    lineCount: 2,
    lineLength: 44,
    classes: [rep('A', 44), `${LINE2_HEAD}${rep('X', 14)}CN`],
    groups: [
      ...headGroups(1),
      { name: 'personalNumber', data: span(1, 28, 41), check: [1, 42], fillerWhenEmpty: true },
      { name: 'composite', data: [...span(1, 0, 9), ...span(1, 13, 19), ...span(1, 21, 42)], check: [1, 43] },
    ],
    codes: TWO_LINE_CODES,
  },
  MRVA: { format: 'MRVA', lineCount: 2, lineLength: 44, classes: [rep('A', 44), `${LINE2_HEAD}${rep('X', 16)}`], groups: headGroups(1), codes: TWO_LINE_CODES },
  MRVB: { format: 'MRVB', lineCount: 2, lineLength: 36, classes: [rep('A', 36), `${LINE2_HEAD}${rep('X', 8)}`], groups: headGroups(1), codes: TWO_LINE_CODES },
};

/** Formats with this many lines of this length, the visa format first when the document code is a V. */
export function formatsFor(lineCount: number, lineLength: number, documentCodeFirst?: string): MrzFormat[] {
  if (lineCount === 3 && lineLength === 30) return ['TD1'];
  if (lineCount === 2 && lineLength === 36) return documentCodeFirst === 'V' ? ['MRVB', 'TD2'] : ['TD2', 'MRVB'];
  if (lineCount === 2 && lineLength === 44) return documentCodeFirst === 'V' ? ['MRVA', 'TD3'] : ['TD3', 'MRVA'];
  return [];
}

/** Chars per line of every format, for the reader's choice of pitch. */
export const LINE_LENGTHS: readonly { lineCount: 2 | 3; lineLength: number }[] = [
  { lineCount: 3, lineLength: 30 },
  { lineCount: 2, lineLength: 36 },
  { lineCount: 2, lineLength: 44 },
];

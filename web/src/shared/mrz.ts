/** MRZ lines as typed: one per line, upper case, spaces dropped (the MRZ has none; '<' is the filler). */
export function mrzLinesOf(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/\s+/g, '').toUpperCase())
    .filter(Boolean);
}

/** Why typed lines cannot be an MRZ, or null. */
export function mrzLineCountProblem(lines: string[]): string | null {
  return lines.length > 0 && (lines.length < 2 || lines.length > 3) ? 'An MRZ has 2 or 3 lines.' : null;
}

/* ---------- Check digits (ICAO Doc 9303 part 3) ---------- */

export type MrzCheckName = 'documentNumber' | 'birthDate' | 'expirationDate' | 'personalNumber' | 'composite';

/** [line, column], both from 0. */
export type MrzPosition = [number, number];

export interface MrzCheckGroup {
  name: MrzCheckName;
  /** The checked characters as [line, first column, last column] runs, in order. */
  data: [number, number, number][];
  check: MrzPosition;
}

const CHECK_LABELS: Record<MrzCheckName, string> = {
  documentNumber: 'document number',
  birthDate: 'date of birth',
  expirationDate: 'date of expiry',
  personalNumber: 'personal number',
  composite: 'composite',
};

/** What an examiner calls a check-digit group. */
export const mrzCheckLabel = (name: string): string => CHECK_LABELS[name as MrzCheckName] ?? name;

/** The check digit of `data`: weights 7, 3, 1 repeated; digits count as themselves, A–Z as 10–35, the filler as 0. */
export function mrzCheckDigit(data: string): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) {
    const c = data.charCodeAt(i);
    const value = c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 90 ? c - 55 : 0;
    sum += value * [7, 3, 1][i % 3]!;
  }
  return sum % 10;
}

/** Line 2 of the two-line formats (TD2, TD3 and the visas) up to the expiry check digit. */
const LINE2_HEAD: MrzCheckGroup[] = [
  { name: 'documentNumber', data: [[1, 0, 8]], check: [1, 9] },
  { name: 'birthDate', data: [[1, 13, 18]], check: [1, 19] },
  { name: 'expirationDate', data: [[1, 21, 26]], check: [1, 27] },
];

/**
 * The check-digit groups of an MRZ of this shape: TD1 (3 × 30), TD2 and
 * MRV-B (2 × 36), TD3 and MRV-A (2 × 44). Visas have no personal-number or
 * composite digit; a group a finding names is looked up here, so their
 * absence on a visa never matters. Empty for any other shape.
 */
export function mrzCheckGroups(lines: readonly string[]): MrzCheckGroup[] {
  const length = lines[0]?.length;
  if (lines.length === 3 && length === 30) {
    return [
      { name: 'documentNumber', data: [[0, 5, 13]], check: [0, 14] },
      { name: 'birthDate', data: [[1, 0, 5]], check: [1, 6] },
      { name: 'expirationDate', data: [[1, 8, 13]], check: [1, 14] },
      { name: 'composite', data: [[0, 5, 29], [1, 0, 6], [1, 8, 14], [1, 18, 28]], check: [1, 29] },
    ];
  }
  if (lines.length === 2 && length === 44) {
    return [
      ...LINE2_HEAD,
      { name: 'personalNumber', data: [[1, 28, 41]], check: [1, 42] },
      { name: 'composite', data: [[1, 0, 9], [1, 13, 19], [1, 21, 42]], check: [1, 43] },
    ];
  }
  if (lines.length === 2 && length === 36) return [...LINE2_HEAD, { name: 'composite', data: [[1, 0, 9], [1, 13, 19], [1, 21, 34]], check: [1, 35] }];
  return [];
}

export interface MrzCheckReading {
  name: MrzCheckName;
  /** The checked characters as read. */
  data: string;
  /** The check digit as read (may be a filler or a misread letter). */
  read: string;
  /** The digit the data as read give; null when the check digit is not in its usual place (a TD1 document number continued in the optional data). */
  expected: number | null;
}

/** A check-digit group as read in `lines`, or null when the lines have no such group. */
export function readMrzCheck(lines: readonly string[], name: MrzCheckName): MrzCheckReading | null {
  const group = mrzCheckGroups(lines).find((g) => g.name === name);
  if (!group) return null;
  const data = group.data.map(([line, from, to]) => lines[line]?.slice(from, to + 1) ?? '').join('');
  const read = lines[group.check[0]]?.[group.check[1]] ?? '';
  const continued = name === 'documentNumber' && lines.length === 3 && read === '<';
  return { name, data, read, expected: continued ? null : mrzCheckDigit(data) };
}

/** The check-digit group (other than the composite, which covers most of the MRZ) whose data or check digit hold this position. */
export function mrzFieldAt(lines: readonly string[], [line, column]: MrzPosition): MrzCheckName | null {
  for (const g of mrzCheckGroups(lines)) {
    if (g.name === 'composite') continue;
    if ((g.check[0] === line && g.check[1] === column) || g.data.some(([l, from, to]) => l === line && column >= from && column <= to)) return g.name;
  }
  return null;
}

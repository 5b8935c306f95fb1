import type { MrzCheckRecord } from '@exemplar/specimens-schema';

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

/* ---------- Check-digit fields (ICAO Doc 9303 part 3) ---------- */
// The check digits themselves are the pipeline's: comparisons record them in their findings, and the MRZ tool
// gets them from the server. Only the names an examiner reads are kept here.

/** The check-digit fields, as comparisons record them. */
export type MrzCheckName = MrzCheckRecord['field'];

/** [line, column], both from 0. */
export type MrzPosition = [number, number];

const CHECK_LABELS: Record<MrzCheckName, string> = {
  documentNumber: 'document number',
  birthDate: 'date of birth',
  expirationDate: 'date of expiry',
  personalNumber: 'personal number',
  composite: 'composite',
};

/** What an examiner calls a check-digit group. */
export const mrzCheckLabel = (name: string): string => CHECK_LABELS[name as MrzCheckName] ?? name;

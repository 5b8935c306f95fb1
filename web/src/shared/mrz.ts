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

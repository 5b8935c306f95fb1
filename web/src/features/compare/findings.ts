/**
 * Comparison findings (specimens-schema's `ComparisonFinding`, made by the
 * pipeline's MRZ check) in words an examiner reads without knowing ICAO
 * Doc 9303: which field's check digit fails, the digit printed against the
 * one its data give, and which characters stand out of the printed grid.
 * Used wherever a comparison is shown (the comparison page, verification
 * requests).
 */
import type { ComparisonFinding, Comparison as ApiComparison } from '@exemplar/specimens-schema';
import { mrzCheckLabel, mrzFieldAt, readMrzCheck, type MrzCheckName, type MrzPosition } from '../../shared/mrz';
import type { Finding, MrzOutcome } from './types';

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);
const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
/** Line and position as printed (from 1), as an examiner counts them on the document. */
const where = ([line, column]: MrzPosition) => `line ${line + 1}, position ${column + 1}`;

function checkSentence(lines: readonly string[] | undefined, name: MrzCheckName): string {
  const label = mrzCheckLabel(name);
  const reading = lines ? readMrzCheck(lines, name) : null;
  if (!reading) return `${capitalised(label)}: the check digit does not match its data.`;
  const data = reading.data.replace(/<+$/, '') || '(empty)';
  const dated = name === 'birthDate' || name === 'expirationDate' ? ' (YYMMDD)' : '';
  const what = name === 'composite' ? 'The composite check digit (over the document number, dates and optional data)' : `${capitalised(label)} ${data}${dated}`;
  const read = reading.read === '<' ? 'a filler (<)' : reading.read;
  if (reading.expected === null) return `${what}: check digit read as ${read}, which does not match its data.`;
  return `${what}: check digit read as ${read}, but the data as read give ${reading.expected}.`;
}

function describeCheckFailed(f: ComparisonFinding): Pick<Finding, 'title' | 'details'> {
  const fields = (f.fields ?? []) as MrzCheckName[];
  const named = fields.map(mrzCheckLabel);
  const title = named.length ? `MRZ check ${plural(named.length, 'digit', 'digits')} ${plural(named.length, 'fails', 'fail')}: ${named.join(', ')}` : 'MRZ check digits fail';
  const details = fields.map((name) => checkSentence(f.lines, name));
  details.push(
    fields.length > 0 && fields.every((n) => n === 'composite')
      ? 'Only the composite digit fails: a character outside the single-field groups (optional data) was changed or misread.'
      : 'The MRZ was altered without recomputing its check digits, or misprinted.',
  );
  return { title, details };
}

function describeMisaligned(f: ComparisonFinding): Pick<Finding, 'title' | 'details'> {
  const positions = (f.characters ?? []) as MrzPosition[];
  const lines = f.lines;
  const byField = new Map<string, MrzPosition[]>();
  for (const p of positions) {
    const field = lines ? mrzFieldAt(lines, p) : null;
    const label = field ? mrzCheckLabel(field) : 'the MRZ';
    byField.set(label, [...(byField.get(label) ?? []), p]);
  }
  const n = positions.length;
  const fields = [...byField.keys()];
  const title = `Overtyping in the MRZ: ${n} ${plural(n, 'character', 'characters')} out of line${fields.length && fields[0] !== 'the MRZ' ? ` (${fields.join(', ')})` : ''}`;
  const details = [...byField.entries()].map(([label, ps]) => {
    const chars = ps.map((p) => `${lines?.[p[0]]?.[p[1]] !== undefined ? `“${lines[p[0]]![p[1]]}” ` : ''}at ${where(p)}`).join('; ');
    return `${capitalised(label === 'the MRZ' ? 'in the MRZ' : `in the ${label}`)}: ${chars}.`;
  });
  details.push('These characters sit off the printer’s fixed grid in a field whose check digit fails: typed or pasted in after printing.');
  return { title, details };
}

/** The viewer's findings of one light source, numbered m1, m2 … in the pipeline's order. */
export function describeFindings(raw: readonly ComparisonFinding[]): Finding[] {
  return raw.map((f, i) => {
    const words = f.kind === 'mrz-check-failed' ? describeCheckFailed(f) : f.kind === 'mrz-characters-misaligned' ? describeMisaligned(f) : { title: f.message, details: [] };
    return {
      id: `m${i + 1}`,
      kind: f.kind,
      ...words,
      box: f.box,
      ...(f.lines?.length ? { mrz: { lines: [...f.lines], marked: (f.characters ?? []).map((c) => [c[0] ?? 0, c[1] ?? 0] as [number, number]) } } : {}),
    };
  });
}

type ApiLight = NonNullable<ApiComparison['result']>['lights'][number];

/**
 * The MRZ reading of a light source, from the stats the pipeline keeps
 * (`stats.mrz`: one inspection per MRZ zone read); undefined where the MRZ
 * was not looked for (other lights, references without an MRZ zone).
 */
export function mrzOutcomeOf(light: Pick<ApiLight, 'stats'>): MrzOutcome | undefined {
  const inspections = light.stats?.['mrz'];
  if (!Array.isArray(inspections) || inspections.length === 0) return undefined;
  const read = inspections.filter((i): i is { found: true; checkDigitsValid: boolean | null } => typeof i === 'object' && i !== null && (i as { found?: unknown }).found === true);
  if (read.length === 0) return 'not-read';
  return read.every((i) => i.checkDigitsValid === true) ? 'valid' : 'invalid';
}

/**
 * Comparison findings (specimens-schema's `ComparisonFinding`, made by the
 * pipeline's MRZ check) in words an examiner reads without knowing ICAO
 * Doc 9303: which field's check digit fails, the digit printed against the
 * one its data give, which characters stand out of the printed grid, and
 * the light the MRZ was read under. Every fact comes from the finding as
 * recorded; a comparison made before a fact was recorded says so rather than
 * work it out again here. Used wherever a comparison is shown (the
 * comparison page, verification requests, cases).
 */
import type { ComparisonFinding, Comparison as ApiComparison, MrzCheckRecord } from '@exemplar/specimens-schema';
import { mrzCheckLabel, type MrzCheckName, type MrzPosition } from '../../shared/mrz';
import { lightLabel } from '../../shared/vocabulary';
import type { Finding, MrzOutcome } from './types';

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);
const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
/** Line and position as printed (from 1), as an examiner counts them on the document. */
const where = ([line, column]: MrzPosition) => `line ${line + 1}, position ${column + 1}`;
const printedAs = (c: string) => (c === '<' ? 'a filler (<)' : c);

/** The field a check digit covers, with its data as read where recorded. */
function checkSubject(name: MrzCheckName, data: string | undefined): string {
  if (name === 'composite') return 'The composite check digit (over the document number, dates and optional data)';
  const label = capitalised(mrzCheckLabel(name));
  if (data === undefined) return label;
  const dated = name === 'birthDate' || name === 'expirationDate' ? ' (YYMMDD)' : '';
  return `${label} ${data.replace(/<+$/, '') || '(empty)'}${dated}`;
}

function checkSentence(f: ComparisonFinding, name: MrzCheckName, index: number): string {
  const recorded: MrzCheckRecord | undefined = f.checks?.find((c) => c.field === name);
  if (recorded) {
    const what = checkSubject(name, recorded.data);
    if (recorded.expected === null) return `${what}: check digit read as ${printedAs(recorded.printed)}, which does not match its data.`;
    return `${what}: check digit read as ${printedAs(recorded.printed)}, but the data as read give ${recorded.expected}.`;
  }
  // Recorded before the digits were: the MRZ as read shows the digit printed (`characters` lists the failing
  // check digits in the order of `fields`), but the one its data give is not in the record.
  const at = f.characters?.length === f.fields?.length ? f.characters?.[index] : undefined;
  const printed = at ? f.lines?.[at[0] ?? -1]?.[at[1] ?? -1] : undefined;
  const what = checkSubject(name, undefined);
  if (printed) return `${what}: check digit read as ${printedAs(printed)}; the digit its data give was not recorded with this comparison.`;
  return `${what}: the check digit does not match its data (the digit it should be was not recorded with this comparison).`;
}

/** Where the MRZ was read, when the comparison recorded it ("white light", "IR 870 nm" mid-sentence). */
const readUnder = (f: ComparisonFinding): string[] => (f.lightSource ? [`MRZ read under ${lightLabel(f.lightSource).replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase())}.`] : []);

function describeCheckFailed(f: ComparisonFinding): Pick<Finding, 'title' | 'details'> {
  const fields = (f.fields ?? []) as MrzCheckName[];
  const named = fields.map(mrzCheckLabel);
  const title = named.length ? `MRZ check ${plural(named.length, 'digit', 'digits')} ${plural(named.length, 'fails', 'fail')}: ${named.join(', ')}` : 'MRZ check digits fail';
  const details = fields.map((name, i) => checkSentence(f, name, i));
  details.push(
    fields.length > 0 && fields.every((n) => n === 'composite')
      ? 'Only the composite digit fails: a character outside the single-field groups (optional data) was changed or misread.'
      : 'The MRZ was altered without recomputing its check digits, or misprinted.',
  );
  return { title, details: [...details, ...readUnder(f)] };
}

function describeMisaligned(f: ComparisonFinding): Pick<Finding, 'title' | 'details'> {
  const positions = (f.characters ?? []) as MrzPosition[];
  const lines = f.lines;
  // Which field each character is in, as recorded; older records name none.
  const fieldOf = f.characterFields?.length === positions.length ? f.characterFields : undefined;
  const byField = new Map<string, MrzPosition[]>();
  positions.forEach((p, i) => {
    const field = fieldOf?.[i];
    const label = field ? mrzCheckLabel(field) : 'the MRZ';
    byField.set(label, [...(byField.get(label) ?? []), p]);
  });
  const n = positions.length;
  const fields = [...byField.keys()].filter((l) => l !== 'the MRZ');
  const title = `Overtyping in the MRZ: ${n} ${plural(n, 'character', 'characters')} out of line${fields.length ? ` (${fields.join(', ')})` : ''}`;
  const details = [...byField.entries()].map(([label, ps]) => {
    const chars = ps.map((p) => `${lines?.[p[0]]?.[p[1]] !== undefined ? `“${lines[p[0]]![p[1]]}” ` : ''}at ${where(p)}`).join('; ');
    return `${capitalised(label === 'the MRZ' ? 'in the MRZ' : `in the ${label}`)}: ${chars}.`;
  });
  details.push('These characters sit off the printer’s fixed grid in a field whose check digit fails: typed or pasted in after printing.');
  return { title, details: [...details, ...readUnder(f)] };
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

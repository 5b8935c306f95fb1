/**
 * The specimen form works on a draft of strings (what the inputs hold) and
 * turns it into the API's create or patch body. Validation is the JSON
 * Schema's own (specimens-schema's Ajv set-up and rules): inputs are passed
 * through as typed as possible but never "fixed", so a bad value reaches the
 * schema and the user sees the schema's message at the field.
 */
import {
  validate,
  validateSpecimenCreate,
  type ForgeryMethod,
  type Specimen,
  type SpecimenCreate,
  type SpecimenPatch,
  type ValidationIssue,
} from '@exemplar/specimens-schema';

export interface SpecimenDraft {
  title: string;
  status: string;
  forgeryMethods: string[];
  issuingState: string;
  documentCategory: string;
  documentCode: string;
  series: string;
  issuedFrom: string;
  issuedTo: string;
  classification: string;
  tags: string;
  imitates: string;
  modusOperandi: string;
  description: string;
  notes: string;
  provenanceSource: string;
  seizedPlace: string;
  seizedAt: string;
  caseReference: string;
}

export type DraftField = keyof SpecimenDraft;

export const emptyDraft: SpecimenDraft = {
  title: '',
  status: 'genuine',
  forgeryMethods: [],
  issuingState: '',
  documentCategory: 'passport',
  documentCode: '',
  series: '',
  issuedFrom: '',
  issuedTo: '',
  classification: 'public',
  tags: '',
  imitates: '',
  modusOperandi: '',
  description: '',
  notes: '',
  provenanceSource: '',
  seizedPlace: '',
  seizedAt: '',
  caseReference: '',
};

export function draftFromSpecimen(s: Specimen): SpecimenDraft {
  return {
    title: s.title,
    status: s.status,
    forgeryMethods: s.forgeryMethods ?? [],
    issuingState: s.issuingState,
    documentCategory: s.documentCategory,
    documentCode: s.documentCode ?? '',
    series: s.series ?? '',
    issuedFrom: s.issued?.from?.toString() ?? '',
    issuedTo: s.issued?.to?.toString() ?? '',
    classification: s.classification,
    tags: s.tags.join(', '),
    imitates: s.imitates ?? '',
    modusOperandi: s.modusOperandi ?? '',
    description: s.description ?? '',
    notes: s.notes ?? '',
    provenanceSource: s.provenance?.source ?? '',
    seizedPlace: s.provenance?.seizedPlace ?? '',
    seizedAt: s.provenance?.seizedAt ?? '',
    caseReference: s.provenance?.caseReference ?? '',
  };
}

function sameValue(a: SpecimenDraft[DraftField], b: SpecimenDraft[DraftField]): boolean {
  return Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => x === b[i]) : a === b;
}

/** Whether a draft holds anything other than `base` (what is stored, or the empty form): what leaving would lose. */
export function draftDiffers(draft: SpecimenDraft, base: SpecimenDraft): boolean {
  return (Object.keys(base) as DraftField[]).some((field) => !sameValue(draft[field], base[field]));
}

/** A field the user changed that the stored specimen now holds another value for. */
export interface FieldClash {
  field: DraftField;
  /** The stored value, as the form shows it. */
  stored: SpecimenDraft[DraftField];
}

/**
 * Carries unsaved edits over to a newer stored copy of the specimen. `base` is
 * the stored copy the draft was made from, `stored` the newer one. A field the
 * user left as it was in `base` takes the stored value; a changed one keeps
 * what the user typed. Where the stored value moved too, to something else
 * than the user's, the field is a clash for the user to settle; so is a clash
 * still open from before (`open`) while the stored value differs from theirs.
 */
export function rebaseDraft(
  draft: SpecimenDraft,
  base: SpecimenDraft,
  stored: SpecimenDraft,
  open: readonly DraftField[] = [],
): { draft: SpecimenDraft; clashes: FieldClash[] } {
  const next = { ...draft };
  const clashes: FieldClash[] = [];
  for (const field of Object.keys(stored) as DraftField[]) {
    const edited = !sameValue(draft[field], base[field]);
    if (!edited) {
      (next as Record<DraftField, SpecimenDraft[DraftField]>)[field] = stored[field];
      continue;
    }
    const movedUnder = !sameValue(stored[field], base[field]) || open.includes(field);
    if (movedUnder && !sameValue(draft[field], stored[field])) clashes.push({ field, stored: stored[field] });
  }
  return { draft: next, clashes };
}

/** A year as a number when it is one; otherwise the text, for the schema to refuse. */
function yearValue(text: string): number | string {
  return /^-?\d+$/.test(text) ? Number(text) : text;
}

export function splitTags(text: string): string[] {
  return text
    .split(/[,\s]+/)
    .map((t) => t.trim())
    .filter(Boolean);
}

/** The create body for a draft: empty optional fields are left out, text is trimmed. */
export function draftToBody(d: SpecimenDraft): SpecimenCreate {
  const body: Record<string, unknown> = {
    status: d.status,
    documentCategory: d.documentCategory,
    classification: d.classification,
    tags: splitTags(d.tags),
  };
  // An empty required field is left out, so the schema reports it as missing rather than as too short.
  if (d.title.trim()) body['title'] = d.title.trim();
  if (d.issuingState.trim()) body['issuingState'] = d.issuingState.trim().toUpperCase();
  // Forgery methods belong to forgeries only; stale ticks from another status are not sent.
  if (d.status === 'forgery' && d.forgeryMethods.length) body['forgeryMethods'] = d.forgeryMethods as ForgeryMethod[];
  const optional: [string, string][] = [
    ['documentCode', d.documentCode.trim().toUpperCase()],
    ['series', d.series.trim()],
    ['imitates', d.imitates.trim()],
    ['modusOperandi', d.modusOperandi.trim()],
    ['description', d.description.trim()],
    ['notes', d.notes.trim()],
  ];
  for (const [key, value] of optional) if (value) body[key] = value;
  const issued: Record<string, unknown> = {};
  if (d.issuedFrom.trim()) issued['from'] = yearValue(d.issuedFrom.trim());
  if (d.issuedTo.trim()) issued['to'] = yearValue(d.issuedTo.trim());
  if (Object.keys(issued).length) body['issued'] = issued;
  const provenance: Record<string, string> = {};
  if (d.provenanceSource.trim()) provenance['source'] = d.provenanceSource.trim();
  if (d.seizedPlace.trim()) provenance['seizedPlace'] = d.seizedPlace.trim();
  if (d.seizedAt.trim()) provenance['seizedAt'] = d.seizedAt.trim();
  if (d.caseReference.trim()) provenance['caseReference'] = d.caseReference.trim();
  if (Object.keys(provenance).length) body['provenance'] = provenance;
  return body as unknown as SpecimenCreate;
}

const PATCHABLE = [
  'status',
  'forgeryMethods',
  'issuingState',
  'documentCategory',
  'documentCode',
  'series',
  'issued',
  'title',
  'description',
  'notes',
  'imitates',
  'modusOperandi',
  'provenance',
  'classification',
  'tags',
] as const;

/** Only what changed, with `null` for optional fields the user cleared, plus the revision the edit started from. */
export function patchFrom(original: Specimen, body: SpecimenCreate): SpecimenPatch {
  const patch: Record<string, unknown> = { revision: original.revision };
  for (const key of PATCHABLE) {
    const before = (original as unknown as Record<string, unknown>)[key];
    const after = (body as unknown as Record<string, unknown>)[key];
    if (JSON.stringify(before) === JSON.stringify(after)) continue;
    patch[key] = after === undefined ? null : after;
  }
  return patch as unknown as SpecimenPatch;
}

export function hasChanges(patch: SpecimenPatch): boolean {
  return Object.keys(patch).some((k) => k !== 'revision');
}

/** Which form field a JSON pointer into the body belongs to. */
export function fieldOfPath(path: string): DraftField | 'form' {
  const parts = path.split('/').slice(1);
  const [first, second] = parts;
  switch (first) {
    case 'issued':
      return second === 'to' ? 'issuedTo' : 'issuedFrom';
    case 'provenance':
      if (second === 'source') return 'provenanceSource';
      if (second === 'seizedPlace' || second === 'seizedAt' || second === 'caseReference') return second;
      return 'form';
    case undefined:
    case '':
      return 'form';
    default:
      return first in emptyDraft ? (first as DraftField) : 'form';
  }
}

export type FieldErrors = Partial<Record<DraftField | 'form', string[]>>;

/** Groups validation issues by field, naming the item for list fields ("tag 2 …"). */
export function errorsByField(issues: readonly Pick<ValidationIssue, 'path' | 'message'>[], body?: SpecimenCreate): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of issues) {
    const field = fieldOfPath(issue.path);
    let message = issue.message;
    const tagIndex = /^\/tags\/(\d+)$/.exec(issue.path)?.[1];
    if (tagIndex !== undefined) message = `“${body?.tags?.[Number(tagIndex)] ?? ''}” ${message}`;
    else if (field === 'form' && issue.path) message = `${issue.path} ${message}`;
    (out[field] ??= []).push(message);
  }
  return out;
}

/** Schema and rule check of a draft; returns the body when it is valid. */
export function checkDraft(d: SpecimenDraft): { body: SpecimenCreate; errors: FieldErrors; ok: boolean } {
  const body = draftToBody(d);
  const result = validateSpecimenCreate(body);
  if (result.ok) return { body, errors: {}, ok: true };
  return { body, errors: errorsByField(result.errors, body), ok: false };
}

/** The patch itself is checked too (e.g. a field cleared that may not be cleared). */
export function checkPatch(patch: SpecimenPatch): ValidationIssue[] {
  const result = validate('specimen-patch', patch);
  return result.ok ? [] : result.errors;
}

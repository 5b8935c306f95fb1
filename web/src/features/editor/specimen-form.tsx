import { isFraudStatus, type Specimen, type SpecimenStatus } from '@exemplar/specimens-schema';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useApi } from '../../shared/api/api-context';
import { errorMessage, isApiError } from '../../shared/api/client';
import { useActionError } from '../../shared/auth/use-action-error';
import { Field } from '../../shared/ui/field';
import {
  categoryLabel,
  classificationLabel,
  classifications,
  documentCategories,
  forgeryMethodLabel,
  forgeryMethods,
  issuingStates,
  specimenStatuses,
  statusLabel,
} from '../../shared/vocabulary';
import { createSpecimen, patchSpecimen } from './api';
import { ImitatesPicker } from './imitates-picker';
import {
  checkDraft,
  checkPatch,
  draftDiffers,
  draftFromSpecimen,
  emptyDraft,
  errorsByField,
  hasChanges,
  patchFrom,
  rebaseDraft,
  type DraftField,
  type FieldClash,
  type FieldErrors,
  type SpecimenDraft,
} from './specimen-draft';

const FIELD_LABELS: Record<DraftField, string> = {
  title: 'Title',
  status: 'Status',
  forgeryMethods: 'Forgery methods',
  issuingState: 'Issuing state',
  documentCategory: 'Category',
  documentCode: 'Document code',
  series: 'Series',
  issuedFrom: 'Issued from (year)',
  issuedTo: 'Issued until (year)',
  classification: 'Classification',
  tags: 'Tags',
  imitates: 'Imitates',
  modusOperandi: 'Modus operandi',
  description: 'Description',
  notes: 'Notes',
  provenanceSource: 'Source',
  seizedPlace: 'Seized at (place)',
  seizedAt: 'Seized on',
  caseReference: 'Case reference',
};

/** A field's value in the words of the form, to show the user beside theirs. */
function shownValue(field: DraftField, value: SpecimenDraft[DraftField]): string {
  if (Array.isArray(value)) return value.length ? value.map((m) => forgeryMethodLabel(m)).join(', ') : '(none)';
  if (!value) return '(empty)';
  if (field === 'status') return statusLabel(value);
  if (field === 'documentCategory') return categoryLabel(value);
  if (field === 'classification') return classificationLabel(value);
  return value;
}

export interface SpecimenFormProps {
  /**
   * The stored specimen when editing; null to create one. A newer revision of
   * it (after an upload, a zone save, another user's save) does not reset the
   * form: unsaved edits are carried over to it.
   */
  specimen: Specimen | null;
  onSaved: (specimen: Specimen, created: boolean) => void;
  /** Called when the user asks to reload after a conflict; the reloaded specimen comes back as `specimen`. */
  onReload?: () => void;
  /** Told whether the form holds changes that are not saved (false again once it is gone). */
  onDirtyChange?: (dirty: boolean) => void;
}

type Conflict = { currentRevision: number | undefined } | null;

export function SpecimenForm({ specimen, onSaved, onReload, onDirtyChange }: SpecimenFormProps) {
  const api = useApi();
  const [draft, setDraft] = useState<SpecimenDraft>(() => (specimen ? draftFromSpecimen(specimen) : emptyDraft));
  // The stored copy the draft is based on: its revision is the one a save sends.
  const [base, setBase] = useState<Specimen | null>(specimen);
  const [clashes, setClashes] = useState<FieldClash[]>([]);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [submitted, setSubmitted] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useActionError();
  const [conflict, setConflict] = useState<Conflict>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const summaryRef = useRef<HTMLDivElement>(null);
  const clashRef = useRef<HTMLElement>(null);

  // A newer stored copy (an upload, a zone save or another user's save) is taken in while rendering, so no render
  // shows the new revision with the old base: untouched fields take its values, typed ones stay, clashes are listed.
  if (specimen && (!base || specimen.id !== base.id)) {
    setBase(specimen);
    setDraft(draftFromSpecimen(specimen));
    setClashes([]);
    setConflict(null);
  } else if (specimen && base && specimen.revision > base.revision) {
    const rebased = rebaseDraft(draft, draftFromSpecimen(base), draftFromSpecimen(specimen), clashes.map((c) => c.field));
    setBase(specimen);
    setDraft(rebased.draft);
    setClashes(rebased.clashes);
    setConflict(null);
  }

  const dirty = draftDiffers(draft, base ? draftFromSpecimen(base) : emptyDraft);
  const dirtyListener = useRef(onDirtyChange);
  dirtyListener.current = onDirtyChange;
  useEffect(() => dirtyListener.current?.(dirty), [dirty]);
  useEffect(() => () => dirtyListener.current?.(false), []);

  const settle = (field: DraftField, keep: 'mine' | 'stored') => {
    const clash = clashes.find((c) => c.field === field);
    if (!clash) return;
    if (keep === 'stored') update(field, clash.stored);
    setClashes(clashes.filter((c) => c !== clash));
  };

  const update = <K extends DraftField>(field: K, value: SpecimenDraft[K]) => {
    setNotice(null);
    const next = { ...draft, [field]: value };
    setDraft(next);
    // Once the user has tried to save, errors follow each change.
    if (submitted) setErrors(checkDraft(next).errors);
  };

  const submit = async () => {
    setSubmitted(true);
    setSaveError(null);
    setNotice(null);
    if (clashes.length) {
      setNotice(clashes.length === 1 ? 'Choose first which value to keep for the field changed on both sides.' : 'Choose first which values to keep for the fields changed on both sides.');
      requestAnimationFrame(() => clashRef.current?.focus());
      return;
    }
    const sent = draft;
    const checked = checkDraft(draft);
    if (!checked.ok) {
      setErrors(checked.errors);
      requestAnimationFrame(() => summaryRef.current?.focus());
      return;
    }
    setErrors({});
    setSaving(true);
    try {
      if (!base) {
        onSaved(await createSpecimen(api, checked.body), true);
        return;
      }
      const patch = patchFrom(base, checked.body);
      if (!hasChanges(patch)) {
        setNotice('Nothing to save: no field was changed.');
        return;
      }
      const patchIssues = checkPatch(patch);
      if (patchIssues.length) {
        setErrors(errorsByField(patchIssues, checked.body));
        return;
      }
      const saved = await patchSpecimen(api, base.id, patch);
      // What was typed while the save was on its way stays; the rest shows what was stored.
      setDraft((current) => rebaseDraft(current, sent, draftFromSpecimen(saved)).draft);
      setBase(saved);
      setNotice(`Saved (revision ${saved.revision}).`);
      onSaved(saved, false);
    } catch (err) {
      if (isApiError(err, 'REVISION_CONFLICT')) {
        const current = err.details['currentRevision'];
        setConflict({ currentRevision: typeof current === 'number' ? current : undefined });
      } else if (isApiError(err, 'VALIDATION_FAILED') && err.issues.length) {
        setErrors(errorsByField(err.issues, checked.body));
        setSaveError(err);
      } else {
        setSaveError(err);
      }
    } finally {
      setSaving(false);
    }
  };

  const status = draft.status as SpecimenStatus;
  const fraud = isFraudStatus(status);
  const errorList = Object.entries(errors).flatMap(([field, messages]) =>
    (messages ?? []).map((m) => ({ field, text: field === 'form' ? m : `${FIELD_LABELS[field as DraftField]} ${m}` })),
  );
  const e = (field: DraftField) => errors[field];

  const text = (field: DraftField, label: string, opts: { required?: boolean; hint?: string; placeholder?: string; className?: string } = {}): ReactNode => (
    <Field label={label} errors={e(field)} required={opts.required} hint={opts.hint} className={opts.className}>
      {(p) => <input {...p} type="text" value={draft[field] as string} placeholder={opts.placeholder} onChange={(ev) => update(field, ev.target.value)} />}
    </Field>
  );
  const area = (field: DraftField, label: string, hint?: string): ReactNode => (
    <Field label={label} errors={e(field)} hint={hint} className="field--wide">
      {(p) => <textarea {...p} value={draft[field] as string} onChange={(ev) => update(field, ev.target.value)} />}
    </Field>
  );

  return (
    <form
      className="specimen-form"
      noValidate
      aria-label={base ? 'Edit specimen' : 'New specimen'}
      data-revision={base?.revision}
      onSubmit={(ev) => {
        ev.preventDefault();
        void submit();
      }}
    >
      {errorList.length > 0 && (
        <div className="state state--error" role="alert" tabIndex={-1} ref={summaryRef}>
          <strong>
            {errorList.length === 1 ? 'One field needs attention' : `${errorList.length} fields need attention`}
          </strong>
          <ul>
            {errorList.map((item, i) => (
              <li key={i}>{item.text}</li>
            ))}
          </ul>
        </div>
      )}

      {conflict && (
        <div className="state state--error conflict" role="alertdialog" aria-labelledby="conflict-title" aria-describedby="conflict-text">
          <strong id="conflict-title">Someone else changed this specimen</strong>
          <p id="conflict-text">
            It was saved by another user while you were editing
            {conflict.currentRevision ? ` (now revision ${conflict.currentRevision}; your changes are based on revision ${base?.revision})` : ''}. Your
            changes were not saved; they stay in the form. Reload the specimen: the fields you did not change take the stored values, and any field
            you both changed is shown for you to choose.
          </p>
          <div className="button-row">
            <button type="button" className="button button--primary" onClick={() => onReload?.()}>
              Reload the specimen
            </button>
            <button type="button" className="button" onClick={() => setConflict(null)}>
              Not now
            </button>
          </div>
        </div>
      )}

      {clashes.length > 0 && (
        <section className="state state--warn clashes" aria-labelledby="clashes-title" tabIndex={-1} ref={clashRef}>
          <strong id="clashes-title">Also changed by someone else</strong>
          <p>
            Revision {base?.revision} was saved with other values for {clashes.length === 1 ? 'a field' : 'fields'} you changed. Choose what to keep; your
            other changes stay as they are.
          </p>
          <ul className="clashes__list">
            {clashes.map(({ field, stored }) => (
              <li key={field}>
                <strong>{FIELD_LABELS[field]}</strong>: yours “{shownValue(field, draft[field])}”, stored “{shownValue(field, stored)}”
                <span className="button-row">
                  <button type="button" className="button button--small" aria-label={`Keep mine: ${FIELD_LABELS[field]}`} onClick={() => settle(field, 'mine')}>
                    Keep mine
                  </button>
                  <button type="button" className="button button--small" aria-label={`Take the stored value: ${FIELD_LABELS[field]}`} onClick={() => settle(field, 'stored')}>
                    Take the stored value
                  </button>
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}

      <fieldset className="form-section">
        <legend>Document</legend>
        <div className="form-grid">
          {text('title', 'Title', { required: true, className: 'field--wide', placeholder: 'e.g. Utopia passport, 2019 series' })}
          <Field label="Status" errors={e('status')} required>
            {(p) => (
              <select {...p} value={draft.status} onChange={(ev) => update('status', ev.target.value)}>
                {specimenStatuses.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.label}
                    {s.isFraud ? ' (fraud)' : ''}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Issuing state" errors={e('issuingState')} required hint="ISO 3166-1 alpha-3 or ICAO code, e.g. UTO, D, GBR">
            {(p) => (
              <>
                <input {...p} type="text" list="issuing-states" value={draft.issuingState} onChange={(ev) => update('issuingState', ev.target.value)} autoComplete="off" />
                <datalist id="issuing-states">
                  {issuingStates.map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.label}
                    </option>
                  ))}
                </datalist>
              </>
            )}
          </Field>
          <Field label="Category" errors={e('documentCategory')} required>
            {(p) => (
              <select {...p} value={draft.documentCategory} onChange={(ev) => update('documentCategory', ev.target.value)}>
                {documentCategories.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {text('documentCode', 'Document code', { hint: 'As in the MRZ: P, PD, I, ID, V …' })}
          {text('series', 'Series')}
          {text('issuedFrom', 'Issued from (year)', { placeholder: 'e.g. 2019' })}
          {text('issuedTo', 'Issued until (year)')}
          <Field label="Classification" errors={e('classification')} required>
            {(p) => (
              <select {...p} value={draft.classification} onChange={(ev) => update('classification', ev.target.value)}>
                {classifications.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {text('tags', 'Tags', { hint: 'Lowercase keywords, separated by commas or spaces', className: 'field--wide' })}
        </div>
      </fieldset>

      {(fraud || draft.imitates) && (
        <fieldset className="form-section">
          <legend>Fraud</legend>
          <div className="form-grid">
            {status === 'forgery' && (
              <fieldset className={`field field--wide checkbox-group ${e('forgeryMethods') ? 'field--invalid' : ''}`} aria-describedby={e('forgeryMethods') ? 'forgery-error' : undefined}>
                <legend className="field__label">
                  Forgery methods <span aria-hidden="true">*</span>
                </legend>
                <div className="checkbox-grid">
                  {forgeryMethods.map((m) => (
                    <label key={m.id} className="toggle">
                      <input
                        type="checkbox"
                        checked={draft.forgeryMethods.includes(m.id)}
                        onChange={(ev) =>
                          update('forgeryMethods', ev.target.checked ? [...draft.forgeryMethods, m.id] : draft.forgeryMethods.filter((x) => x !== m.id))
                        }
                      />
                      {m.label}
                    </label>
                  ))}
                </div>
                {e('forgeryMethods') && (
                  <span id="forgery-error" className="field__error">
                    Forgery methods {e('forgeryMethods')!.join('; ')}
                  </span>
                )}
              </fieldset>
            )}
            <Field label="Imitates" errors={e('imitates')} hint="The genuine specimen this fraud copies" className="field--wide">
              {(p) => <ImitatesPicker value={draft.imitates} onChange={(id) => update('imitates', id)} control={p} />}
            </Field>
            {area('modusOperandi', 'Modus operandi', 'How the fraud was made')}
          </div>
        </fieldset>
      )}

      <fieldset className="form-section">
        <legend>Provenance</legend>
        <div className="form-grid">
          {text('provenanceSource', 'Source')}
          {text('caseReference', 'Case reference')}
          {text('seizedPlace', 'Seized at (place)')}
          <Field label="Seized on" errors={e('seizedAt')}>
            {(p) => <input {...p} type="date" value={draft.seizedAt} onChange={(ev) => update('seizedAt', ev.target.value)} />}
          </Field>
        </div>
      </fieldset>

      <fieldset className="form-section">
        <legend>Text</legend>
        <div className="form-grid">
          {area('description', 'Description')}
          {area('notes', 'Notes')}
        </div>
      </fieldset>

      {saveError !== null && !errorList.length && (
        <div className="state state--error" role="alert">
          <strong>The specimen could not be saved</strong>
          <p>{errorMessage(saveError)}</p>
        </div>
      )}
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <div className="button-row">
        <button type="submit" className="button button--primary" disabled={saving}>
          {saving ? 'Saving…' : base ? 'Save changes' : 'Create specimen'}
        </button>
      </div>
    </form>
  );
}

import { isFraudStatus, specimenStatuses, type AlertCheck, type AlertCreate, type Specimen } from '@exemplar/specimens-schema';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useApi } from '../../shared/api/api-context';
import { errorMessage, isApiError } from '../../shared/api/client';
import { useResource } from '../../shared/api/use-resource';
import { useActionError } from '../../shared/auth/use-action-error';
import { Field } from '../../shared/ui/field';
import { ErrorState, LoadingState } from '../../shared/ui/states';
import { useDocumentTitle } from '../../shared/ui/use-document-title';
import { byLightOrder, categoryLabel, documentCategories, lightLabel, pageLabel } from '../../shared/vocabulary';
import { ImitatesPicker } from '../editor/imitates-picker';
import { getSpecimen } from '../specimen/api';
import { zoneTitle } from '../specimen/zone-overlay';
import { createAlert, getAlert, SEVERITIES, updateAlert, type Alert } from './api';

const FRAUD_STATUSES = specimenStatuses.filter((s) => isFraudStatus(s.id)).map((s) => s.id as string);

export function NewAlertPage() {
  useDocumentTitle('New alert');
  return <AlertForm />;
}

export function EditAlertPage() {
  const { id = '' } = useParams();
  const api = useApi();
  const found = useResource(id, (signal) => getAlert(api, id, signal));
  useDocumentTitle(found.data ? `Edit ${found.data.title}` : 'Edit alert');
  if (found.status === 'loading' && !found.data) return <LoadingState label="Loading the alert…" />;
  if (found.status === 'error' && !found.data) return <ErrorState title="The alert could not be loaded" error={found.error} onRetry={found.reload} />;
  return found.data ? <AlertForm existing={found.data} /> : null;
}

interface Draft {
  title: string;
  summary: string;
  specimenId: string;
  severity: AlertCreate['severity'];
  issuingState: string;
  documentCategory: string;
  documentCode: string;
  series: string;
  checks: AlertCheck[];
}

function draftOf(a?: Alert): Draft {
  return {
    title: a?.title ?? '',
    summary: a?.summary ?? '',
    specimenId: a?.specimenId ?? '',
    severity: a?.severity ?? 'medium',
    issuingState: a?.affected.issuingState ?? '',
    documentCategory: a?.affected.documentCategory ?? '',
    documentCode: a?.affected.documentCode ?? '',
    series: a?.affected.series ?? '',
    checks: a?.checks.map((c) => ({ ...c })) ?? [{ text: '' }],
  };
}

/** Issues from the API by field: "/checks/0/text" belongs to check 1's text. */
function issuesAt(err: unknown, prefix: string): string[] {
  if (!isApiError(err)) return [];
  return err.issues.filter((i) => i.path === prefix || i.path.startsWith(`${prefix}/`)).map((i) => i.message);
}

function AlertForm({ existing }: { existing?: Alert }) {
  const api = useApi();
  const navigate = useNavigate();
  const [draft, setDraft] = useState<Draft>(() => draftOf(existing));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useActionError();
  const specimen = useResource(draft.specimenId || null, (signal) => getSpecimen(api, draft.specimenId, signal));
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  // A newly chosen specimen fills in the document it concerns (the examiner may still change it).
  useEffect(() => {
    const s = specimen.data;
    if (!s || existing?.specimenId === s.id) return;
    setDraft((d) => ({
      ...d,
      issuingState: s.issuingState,
      documentCategory: s.documentCategory,
      documentCode: s.documentCode ?? '',
      series: s.series ?? '',
      checks: d.checks.map((c) => ({ text: c.text })),
    }));
  }, [specimen.data, existing?.specimenId]);

  const setCheck = (i: number, check: AlertCheck) => set('checks', draft.checks.map((c, j) => (j === i ? check : c)));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body: AlertCreate = {
      title: draft.title.trim(),
      summary: draft.summary.trim(),
      specimenId: draft.specimenId,
      severity: draft.severity,
      affected: {
        issuingState: draft.issuingState.trim().toUpperCase() as AlertCreate['affected']['issuingState'],
        documentCategory: draft.documentCategory as AlertCreate['affected']['documentCategory'],
        ...(draft.documentCode.trim() ? { documentCode: draft.documentCode.trim().toUpperCase() } : {}),
        ...(draft.series.trim() ? { series: draft.series.trim() } : {}),
      },
      checks: draft.checks
        .filter((c) => c.text.trim())
        .map((c) => ({ text: c.text.trim(), ...(c.image ? { image: c.image, ...(c.zoneIds?.length ? { zoneIds: c.zoneIds } : {}) } : {}) })),
    };
    if (!body.title || !body.summary || !body.specimenId || !body.affected.issuingState || !body.affected.documentCategory || body.checks.length === 0) {
      setError(new Error('Fill in the title, summary, fraudulent specimen, affected document and at least one check.'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const saved = existing ? await updateAlert(api, existing.id, existing.revision, body) : await createAlert(api, body);
      navigate(`/alerts/${saved.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const imageOptions = (specimen.data?.captures ?? []).flatMap((c) =>
    [...c.images].sort((a, b) => byLightOrder(a.lightSource, b.lightSource)).map((i) => ({ value: `${c.id}|${i.lightSource}`, label: `${pageLabel(c.page)} — ${lightLabel(i.lightSource)}` })),
  );

  return (
    <form className="page" onSubmit={submit} noValidate aria-labelledby="alert-form-title">
      <header className="page-head">
        <div>
          <h1 id="alert-form-title">{existing ? 'Edit alert' : 'New alert'}</h1>
          {existing?.status === 'pending-approval' && <p className="notice notice--warn">Saving changes returns this alert to draft: it must be submitted and approved again.</p>}
        </div>
      </header>
      {error !== null && (
        <div className="state state--error" role="alert">
          <strong>The alert was not saved</strong>
          <p>{isApiError(error, 'REVISION_CONFLICT') ? 'Someone else changed this alert meanwhile. Open it again to see the changes.' : errorMessage(error)}</p>
        </div>
      )}
      <div className="panel form-grid">
        <Field label="Title" required errors={issuesAt(error, '/title')} className="field--wide">
          {(p) => <input {...p} value={draft.title} onChange={(e) => set('title', e.target.value)} disabled={busy} />}
        </Field>
        <Field label="Summary" hint="What was seen and why it matters" required errors={issuesAt(error, '/summary')} className="field--wide">
          {(p) => <textarea {...p} rows={4} value={draft.summary} onChange={(e) => set('summary', e.target.value)} disabled={busy} />}
        </Field>
        <Field label="Fraudulent specimen" hint="The library record the alert is drawn from" required errors={issuesAt(error, '/specimenId')} className="field--wide">
          {(p) => <ImitatesPicker value={draft.specimenId} onChange={(id) => set('specimenId', id)} control={p} statuses={FRAUD_STATUSES} noun="fraudulent specimens" />}
        </Field>
        <Field label="Severity" required>
          {(p) => (
            <select {...p} value={draft.severity} onChange={(e) => set('severity', e.target.value as Draft['severity'])} disabled={busy}>
              {SEVERITIES.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Issuing state" required errors={issuesAt(error, '/affected/issuingState')}>
          {(p) => <input {...p} value={draft.issuingState} onChange={(e) => set('issuingState', e.target.value)} disabled={busy} maxLength={3} />}
        </Field>
        <Field label="Document category" required errors={issuesAt(error, '/affected/documentCategory')}>
          {(p) => (
            <select {...p} value={draft.documentCategory} onChange={(e) => set('documentCategory', e.target.value)} disabled={busy}>
              <option value="">Choose…</option>
              {documentCategories.map((c) => (
                <option key={c.id} value={c.id}>
                  {categoryLabel(c.id)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Document code">{(p) => <input {...p} value={draft.documentCode} onChange={(e) => set('documentCode', e.target.value)} disabled={busy} maxLength={2} />}</Field>
        <Field label="Series">{(p) => <input {...p} value={draft.series} onChange={(e) => set('series', e.target.value)} disabled={busy} />}</Field>
      </div>

      <section className="panel" aria-labelledby="checks-form-heading">
        <h2 id="checks-form-heading">What to check</h2>
        <ol className="check-list">
          {draft.checks.map((check, i) => (
            <CheckEditor
              key={i}
              index={i}
              check={check}
              specimen={specimen.data}
              imageOptions={imageOptions}
              busy={busy}
              errors={issuesAt(error, `/checks/${i}`)}
              onChange={(c) => setCheck(i, c)}
              onRemove={draft.checks.length > 1 ? () => set('checks', draft.checks.filter((_, j) => j !== i)) : undefined}
            />
          ))}
        </ol>
        <button type="button" className="button" onClick={() => set('checks', [...draft.checks, { text: '' }])} disabled={busy}>
          Add a check
        </button>
      </section>

      <div className="button-row">
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? 'Saving…' : existing ? 'Save alert' : 'Create draft'}
        </button>
        <Link className="button" to={existing ? `/alerts/${existing.id}` : '/alerts'}>
          Cancel
        </Link>
      </div>
    </form>
  );
}

function CheckEditor({
  index,
  check,
  specimen,
  imageOptions,
  busy,
  errors,
  onChange,
  onRemove,
}: {
  index: number;
  check: AlertCheck;
  specimen: Specimen | undefined;
  imageOptions: { value: string; label: string }[];
  busy: boolean;
  errors: string[];
  onChange: (c: AlertCheck) => void;
  onRemove: (() => void) | undefined;
}) {
  const n = index + 1;
  const capture = check.image ? specimen?.captures.find((c) => c.id === check.image!.captureId) : undefined;
  return (
    <li className="check-list__item check-editor">
      <Field label={`Check ${n}`} errors={errors}>
        {(p) => <textarea {...p} rows={2} value={check.text} onChange={(e) => onChange({ ...check, text: e.target.value })} disabled={busy} />}
      </Field>
      {/* Labelled by id, not by wrapping: a wrapping label would add the chosen option's text to the control's name. */}
      <Field label={`Image for check ${n}`}>
        {(p) => (
          <select
            {...p}
            value={check.image ? `${check.image.captureId}|${check.image.lightSource}` : ''}
            onChange={(e) => {
              const [captureId, lightSource] = e.target.value.split('|');
              onChange(captureId && lightSource ? { text: check.text, image: { captureId, lightSource: lightSource as NonNullable<AlertCheck['image']>['lightSource'] } } : { text: check.text });
            }}
            disabled={busy || !specimen}
          >
            <option value="">{specimen ? 'No image' : 'Choose the specimen first'}</option>
            {imageOptions.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      {capture && capture.zones.length > 0 && (
        <fieldset className="checkbox-group">
          <legend className="field__label">Zones to mark on the image of check {n}</legend>
          {capture.zones.map((z) => (
            <label key={z.id} className="radio-row">
              <input
                type="checkbox"
                checked={check.zoneIds?.includes(z.id) ?? false}
                onChange={(e) => onChange({ ...check, zoneIds: e.target.checked ? [...(check.zoneIds ?? []), z.id] : (check.zoneIds ?? []).filter((x) => x !== z.id) })}
                disabled={busy}
              />
              <span>{zoneTitle(z)}</span>
            </label>
          ))}
        </fieldset>
      )}
      {onRemove && (
        <button type="button" className="link-button" onClick={onRemove} disabled={busy}>
          Remove check {n}
        </button>
      )}
    </li>
  );
}

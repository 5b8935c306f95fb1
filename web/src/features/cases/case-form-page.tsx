import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useApi } from '../../shared/api/api-context';
import { errorMessage, isApiError } from '../../shared/api/client';
import { useResource } from '../../shared/api/use-resource';
import { useActionError } from '../../shared/auth/use-action-error';
import { Field } from '../../shared/ui/field';
import { ErrorState, LoadingState } from '../../shared/ui/states';
import { useDocumentTitle } from '../../shared/ui/use-document-title';
import { createCase, getCase, splitList, updateCase, type Case, type CaseInput } from './api';
import { ComparisonPicker, SpecimenPicker } from './case-link-pickers';

export function NewCasePage() {
  useDocumentTitle('New case');
  return <CaseForm />;
}

export function EditCasePage() {
  const { id = '' } = useParams();
  const api = useApi();
  const found = useResource(id, (signal) => getCase(api, id, signal));
  useDocumentTitle(found.data ? `Edit ${found.data.reference}` : 'Edit case');
  if (found.status === 'loading' && !found.data) return <LoadingState label="Loading the case…" />;
  if (found.status === 'error' && !found.data) return <ErrorState title="The case could not be loaded" error={found.error} onRetry={found.reload} />;
  return found.data ? <CaseForm existing={found.data} /> : null;
}

/** The typed fields as typed; the linked comparisons and specimens as chosen, with ids pasted but not yet added. */
interface Draft {
  title: string;
  reference: string;
  examiners: string;
  prosecutors: string;
  comparisons: string[];
  specimens: string[];
  pastedComparisons: string;
  pastedSpecimens: string;
}

function draftOf(c?: Case): Draft {
  return {
    title: c?.title ?? '',
    reference: c?.reference ?? '',
    examiners: c?.examiners.join(', ') ?? '',
    prosecutors: c?.prosecutors.join(', ') ?? '',
    comparisons: c?.comparisons ?? [],
    specimens: c?.specimens ?? [],
    pastedComparisons: '',
    pastedSpecimens: '',
  };
}

/** The chosen ids, then any pasted ones not added yet (typing ids and saving must not lose them). */
const withPasted = (chosen: string[], pasted: string) => [...new Set([...chosen, ...splitList(pasted)])];

/** Field errors from the API: schema issues by path, and names or ids it did not find (`details.unknown`). */
function fieldErrors(err: unknown): Partial<Record<keyof CaseInput, string[]>> {
  if (!isApiError(err)) return {};
  const out: Partial<Record<keyof CaseInput, string[]>> = {};
  for (const issue of err.issues) {
    const key = issue.path.replace(/^\//, '').split('/')[0] as keyof CaseInput;
    (out[key] ??= []).push(issue.message);
  }
  const unknown = err.details['unknown'];
  if (unknown && typeof unknown === 'object') {
    for (const [key, values] of Object.entries(unknown as Record<string, unknown>)) {
      if (Array.isArray(values) && values.length) (out[key as keyof CaseInput] ??= []).push(`not found: ${values.join(', ')}`);
    }
  }
  return out;
}

function CaseForm({ existing }: { existing?: Case }) {
  const api = useApi();
  const navigate = useNavigate();
  const [draft, setDraft] = useState<Draft>(() => draftOf(existing));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useActionError();
  const errors = fieldErrors(error);
  const set = (key: 'title' | 'reference' | 'examiners' | 'prosecutors') => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [key]: e.target.value }));
  const change = <K extends keyof Draft>(key: K) => (value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!draft.title.trim() || !draft.reference.trim()) {
      setError(new Error('A case needs a title and a reference.'));
      return;
    }
    const input: CaseInput = {
      title: draft.title.trim(),
      reference: draft.reference.trim(),
      examiners: splitList(draft.examiners),
      prosecutors: splitList(draft.prosecutors),
      comparisons: withPasted(draft.comparisons, draft.pastedComparisons),
      specimens: withPasted(draft.specimens, draft.pastedSpecimens),
    };
    setBusy(true);
    setError(null);
    try {
      const saved = existing ? await updateCase(api, existing.id, existing.revision, input) : await createCase(api, input);
      navigate(`/cases/${saved.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const listHint = 'Separate several with commas or spaces.';
  return (
    <form className="page" onSubmit={submit} noValidate aria-labelledby="case-form-title">
      <header className="page-head">
        <h1 id="case-form-title">{existing ? `Edit case ${existing.reference}` : 'New case'}</h1>
      </header>
      {error !== null && (
        <div className="state state--error" role="alert">
          <strong>{existing ? 'The case was not saved' : 'The case was not created'}</strong>
          <p>
            {isApiError(error, 'REVISION_CONFLICT')
              ? 'Someone else changed this case meanwhile. Reload it to see their changes, then edit again.'
              : Object.keys(errors).length > 0
                ? 'Check the fields marked below.'
                : errorMessage(error)}
          </p>
        </div>
      )}
      <div className="panel form-grid">
        <Field label="Title" required errors={errors.title}>
          {(p) => <input {...p} value={draft.title} onChange={set('title')} disabled={busy} maxLength={300} />}
        </Field>
        <Field label="Reference" hint="Court or agency file number" required errors={errors.reference}>
          {(p) => <input {...p} value={draft.reference} onChange={set('reference')} disabled={busy} maxLength={120} />}
        </Field>
        <Field label="Examiners" hint={`User names. You are added if absent. ${listHint}`} errors={errors.examiners}>
          {(p) => <input {...p} value={draft.examiners} onChange={set('examiners')} disabled={busy} autoCapitalize="none" spellCheck={false} />}
        </Field>
        <Field label="Prosecutors" hint={`User names of prosecutors who may read the case and its exhibits. ${listHint}`} errors={errors.prosecutors}>
          {(p) => <input {...p} value={draft.prosecutors} onChange={set('prosecutors')} disabled={busy} autoCapitalize="none" spellCheck={false} />}
        </Field>
      </div>
      <div className="panel stack-form">
        <ComparisonPicker
          chosen={draft.comparisons}
          onChange={change('comparisons')}
          pasted={draft.pastedComparisons}
          onPasted={change('pastedComparisons')}
          disabled={busy}
          errors={errors.comparisons}
        />
        <SpecimenPicker
          chosen={draft.specimens}
          onChange={change('specimens')}
          pasted={draft.pastedSpecimens}
          onPasted={change('pastedSpecimens')}
          disabled={busy}
          errors={errors.specimens}
        />
      </div>
      <div className="button-row">
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? 'Saving…' : existing ? 'Save case' : 'Create case'}
        </button>
        <Link className="button" to={existing ? `/cases/${existing.id}` : '/cases'}>
          Cancel
        </Link>
      </div>
    </form>
  );
}

import type { RegisterEntry, RegisterEntryCreate } from '@exemplar/specimens-schema';
import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import { useApi } from '../../shared/api/api-context';
import { errorMessage, isApiError } from '../../shared/api/client';
import { useResource } from '../../shared/api/use-resource';
import { useCan } from '../../shared/auth/session';
import { useActionError } from '../../shared/auth/use-action-error';
import { Pager } from '../../shared/ui/pager';
import { EmptyState, ErrorState, LoadingState } from '../../shared/ui/states';
import { useDocumentTitle } from '../../shared/ui/use-document-title';
import { issuingStateShortLabel } from '../../shared/vocabulary';
import { createEntry, deleteEntry, REGISTER_PAGE_SIZE, REGISTER_STATUSES, registerStatusLabel, searchRegister } from './api';
import { RegisterImport } from './register-import';

/** The add form's labels by API field, to name the fields the server refused. */
const ENTRY_FIELD_LABELS: Record<string, string> = {
  issuingState: 'Issuing state',
  documentNumber: 'Document number',
  documentCode: 'Document code',
  status: 'Entry status',
  date: 'Date',
  source: 'Source',
  notes: 'Entry notes',
};

export function RegisterPage() {
  useDocumentTitle('Lost and stolen documents');
  const api = useApi();
  const can = useCan();
  const writer = can('register:write');
  const [params, setParams] = useSearchParams();
  const query = {
    issuingState: params.get('issuingState') ?? '',
    documentNumber: params.get('documentNumber') ?? '',
    status: params.get('status') ?? '',
    offset: Math.max(0, Number(params.get('offset')) || 0),
  };
  const lookup = Boolean(query.documentNumber);
  const list = useResource(JSON.stringify(query), (signal) =>
    searchRegister(api, { ...(query.issuingState ? { issuingState: query.issuingState } : {}), ...(query.documentNumber ? { documentNumber: query.documentNumber } : {}), ...(query.status ? { status: query.status } : {}), offset: query.offset }, signal),
  );
  const [form, setForm] = useState({ issuingState: query.issuingState, documentNumber: query.documentNumber, status: query.status });

  const search = (e: FormEvent) => {
    e.preventDefault();
    const next: Record<string, string> = {};
    if (form.issuingState.trim()) next['issuingState'] = form.issuingState.trim().toUpperCase();
    if (form.documentNumber.trim()) next['documentNumber'] = form.documentNumber.trim();
    if (form.status) next['status'] = form.status;
    setParams(next);
  };

  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Lost, stolen and revoked documents</h1>
          <p className="muted">Look up a document number, or browse the register.</p>
        </div>
      </header>
      <form className="panel lookup-form" onSubmit={search} role="search" aria-label="Register lookup">
        <label className="field">
          <span className="field__label">Document number</span>
          <input value={form.documentNumber} onChange={(e) => setForm((f) => ({ ...f, documentNumber: e.target.value }))} spellCheck={false} autoCapitalize="characters" />
        </label>
        <label className="field">
          <span className="field__label">Issuing state</span>
          <input value={form.issuingState} onChange={(e) => setForm((f) => ({ ...f, issuingState: e.target.value }))} maxLength={3} placeholder="any" />
        </label>
        <label className="field">
          <span className="field__label">Status</span>
          <select value={form.status} onChange={(e) => setForm((f) => ({ ...f, status: e.target.value }))}>
            <option value="">Any</option>
            {REGISTER_STATUSES.map((s) => (
              <option key={s.id} value={s.id}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="button button--primary">
          {form.documentNumber.trim() ? 'Look up' : 'Show'}
        </button>
        {(lookup || query.issuingState || query.status) && (
          <button
            type="button"
            className="button"
            onClick={() => {
              setForm({ issuingState: '', documentNumber: '', status: '' });
              setParams({});
            }}
          >
            Clear
          </button>
        )}
      </form>

      {list.status === 'loading' && !list.data && <LoadingState label={lookup ? 'Looking up…' : 'Loading the register…'} />}
      {list.status === 'error' && <ErrorState title="The register could not be searched" error={list.error} onRetry={list.reload} />}
      {list.data && lookup && list.status === 'ready' && (
        <div className={list.data.total > 0 ? 'register-banner' : 'register-clear-box'} role={list.data.total > 0 ? 'alert' : 'status'} aria-label="Lookup result">
          {list.data.total > 0 ? (
            <strong className="register-banner__title">
              <span aria-hidden="true">⚠ </span>
              {query.documentNumber.toUpperCase()} is in the register ({list.data.total} {list.data.total === 1 ? 'entry' : 'entries'})
            </strong>
          ) : (
            <strong>No entry for {query.documentNumber.toUpperCase()}{query.issuingState ? ` (${query.issuingState})` : ''}.</strong>
          )}
        </div>
      )}
      {list.data && list.data.items.length === 0 && !lookup && <EmptyState title="The register has no matching entries" />}
      {list.data && list.data.items.length > 0 && (
        <>
          <EntryTable entries={list.data.items} writer={writer} onDeleted={list.reload} />
          <Pager
            offset={query.offset}
            pageSize={REGISTER_PAGE_SIZE}
            total={list.data.total}
            onOffset={(o) => setParams({ ...Object.fromEntries([...params.entries()].filter(([k]) => k !== 'offset')), offset: String(o) })}
          />
        </>
      )}
      {writer && (
        <div className="two-col register-admin">
          <AddEntryForm onAdded={list.reload} />
          <RegisterImport onImported={list.reload} />
        </div>
      )}
    </div>
  );
}

function EntryTable({ entries, writer, onDeleted }: { entries: RegisterEntry[]; writer: boolean; onDeleted: () => void }) {
  const api = useApi();
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="table-wrap">
      {error && (
        <p className="field__error" role="alert">
          {error}
        </p>
      )}
      <table className="data-table">
        <caption className="visually-hidden">Register entries</caption>
        <thead>
          <tr>
            <th scope="col">Document number</th>
            <th scope="col">Issuing state</th>
            <th scope="col">Code</th>
            <th scope="col">Status</th>
            <th scope="col">Date</th>
            <th scope="col">Source</th>
            <th scope="col">Notes</th>
            {writer && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id}>
              <td>
                <code>{e.documentNumber}</code>
              </td>
              <td>{issuingStateShortLabel(e.issuingState)}</td>
              <td>{e.documentCode ?? ''}</td>
              <td>
                <span className={`pill pill--${e.status}`}>{registerStatusLabel(e.status)}</span>
              </td>
              <td>{e.date ?? ''}</td>
              <td>{e.source}</td>
              <td>{e.notes ?? ''}</td>
              {writer && (
                <td>
                  <button
                    type="button"
                    className="link-button"
                    aria-label={`Delete the entry for ${e.documentNumber}`}
                    onClick={async () => {
                      if (!window.confirm(`Delete the register entry for ${e.documentNumber}?`)) return;
                      setError(null);
                      try {
                        await deleteEntry(api, e);
                        onDeleted();
                      } catch (err) {
                        setError(`The entry was not deleted: ${errorMessage(err)}`);
                      }
                    }}
                  >
                    Delete
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const EMPTY_ENTRY = { issuingState: '', documentNumber: '', documentCode: '', status: 'stolen', date: '', source: '', notes: '' };

function AddEntryForm({ onAdded }: { onAdded: () => void }) {
  const api = useApi();
  const [entry, setEntry] = useState(EMPTY_ENTRY);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useActionError();
  const [added, setAdded] = useState<string | null>(null);
  const set = (k: keyof typeof EMPTY_ENTRY) => (e: { target: { value: string } }) => setEntry((x) => ({ ...x, [k]: e.target.value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setAdded(null);
    if (!entry.issuingState.trim() || !entry.documentNumber.trim() || !entry.source.trim()) {
      setError(new Error('An entry needs an issuing state, a document number and a source.'));
      return;
    }
    const body = {
      issuingState: entry.issuingState.trim().toUpperCase(),
      documentNumber: entry.documentNumber.trim(),
      status: entry.status,
      source: entry.source.trim(),
      ...(entry.documentCode.trim() ? { documentCode: entry.documentCode.trim().toUpperCase() } : {}),
      ...(entry.date ? { date: entry.date } : {}),
      ...(entry.notes.trim() ? { notes: entry.notes.trim() } : {}),
    } as RegisterEntryCreate;
    setBusy(true);
    setError(null);
    setAdded(null);
    try {
      const created = await createEntry(api, body);
      setAdded(created.documentNumber);
      setEntry(EMPTY_ENTRY);
      onAdded();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const issues = isApiError(error) ? error.issues : [];
  return (
    <section className="panel" aria-labelledby="add-entry-heading">
      <h2 id="add-entry-heading">Add an entry</h2>
      <form className="form-grid" onSubmit={submit} noValidate>
        <label className="field">
          <span className="field__label">Issuing state *</span>
          <input value={entry.issuingState} onChange={set('issuingState')} maxLength={3} disabled={busy} />
        </label>
        <label className="field">
          <span className="field__label">Document number *</span>
          <input value={entry.documentNumber} onChange={set('documentNumber')} disabled={busy} spellCheck={false} />
        </label>
        <label className="field">
          <span className="field__label">Document code</span>
          <input value={entry.documentCode} onChange={set('documentCode')} maxLength={2} disabled={busy} />
        </label>
        <label className="field">
          <span className="field__label">Entry status *</span>
          <select value={entry.status} onChange={set('status')} disabled={busy}>
            {REGISTER_STATUSES.map((s) => (
              <option key={s.id} value={s.id}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field__label">Date</span>
          <input type="date" value={entry.date} onChange={set('date')} disabled={busy} />
        </label>
        <label className="field">
          <span className="field__label">Source *</span>
          <input value={entry.source} onChange={set('source')} disabled={busy} placeholder="Who reported it" />
        </label>
        <label className="field field--wide">
          <span className="field__label">Entry notes</span>
          <input value={entry.notes} onChange={set('notes')} disabled={busy} />
        </label>
        <div className="field--wide">
          {error !== null && (
            <div className="field__error" role="alert">
              {isApiError(error, 'CONFLICT') ? 'This document is already in the register.' : issues.length > 0 ? 'The entry was not added:' : errorMessage(error)}
              {issues.length > 0 && (
                <ul>
                  {issues.map((i) => (
                    <li key={i.path}>
                      {ENTRY_FIELD_LABELS[i.path.replace(/^\//, '')] ?? i.path.replace(/^\//, '')} {i.message}
                    </li>
                  ))}
                </ul>
              )}
            </div>
          )}
          {added && (
            <p className="notice" role="status">
              {added} added to the register.
            </p>
          )}
          <button type="submit" className="button button--primary" disabled={busy}>
            Add to the register
          </button>
        </div>
      </form>
    </section>
  );
}

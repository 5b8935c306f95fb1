import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import { useApi } from '../../shared/api/api-context';
import { useCursorPages } from '../../shared/api/use-cursor-pages';
import { formatTimestamp } from '../../shared/ui/format';
import { EmptyState, ErrorState, LoadingState } from '../../shared/ui/states';
import { useDocumentTitle } from '../../shared/ui/use-document-title';
import { listAudit, type AuditQuery } from './api';
import { MorePages } from '../../shared/ui/more-pages';

const FILTERS = ['actor', 'action', 'target'] as const;

/** The audit trail, newest first, filtered by actor, action or target; later pages are appended. */
export function AuditPage() {
  useDocumentTitle('Audit log');
  const api = useApi();
  const [params, setParams] = useSearchParams();
  const query: AuditQuery = Object.fromEntries(FILTERS.flatMap((f) => (params.get(f) ? [[f, params.get(f)!]] : [])));
  const pages = useCursorPages(JSON.stringify(query), (cursor, signal) =>
    listAudit(api, cursor ? { ...query, cursor } : query, signal),
  );
  const { first, items } = pages;
  const [form, setForm] = useState(() => Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ''])) as Record<(typeof FILTERS)[number], string>);

  const filter = (e: FormEvent) => {
    e.preventDefault();
    setParams(Object.fromEntries(Object.entries(form).filter(([, v]) => v.trim()).map(([k, v]) => [k, v.trim()])));
  };

  return (
    <>
      <form className="panel lookup-form" onSubmit={filter} role="search" aria-label="Filter the audit log">
        <label className="field">
          <span className="field__label">Actor</span>
          <input value={form.actor} onChange={(e) => setForm((f) => ({ ...f, actor: e.target.value }))} placeholder="user name" />
        </label>
        <label className="field">
          <span className="field__label">Action</span>
          <input value={form.action} onChange={(e) => setForm((f) => ({ ...f, action: e.target.value }))} placeholder="e.g. exhibit.download" />
        </label>
        <label className="field">
          <span className="field__label">Target</span>
          <input value={form.target} onChange={(e) => setForm((f) => ({ ...f, target: e.target.value }))} placeholder="e.g. case:abc123" />
        </label>
        <button type="submit" className="button button--primary">
          Filter
        </button>
      </form>
      <p className="muted small">
        Each entry carries the hash of the one before it; check the whole chain with <code>npx exemplar audit verify</code>.
      </p>
      {first.status === 'loading' && !first.data && <LoadingState label="Loading the audit log…" />}
      {first.status === 'error' && <ErrorState title="The audit log could not be loaded" error={first.error} onRetry={first.reload} />}
      {first.data && items.length === 0 && <EmptyState title="No entries match" />}
      {items.length > 0 && (
        <div className="table-wrap">
          <table className="data-table audit-table">
            <caption className="visually-hidden">Audit entries</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Hashes</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.seq}>
                  <td>{e.seq}</td>
                  <td>{formatTimestamp(e.time)}</td>
                  <td>
                    {e.actor} <span className="muted">({e.actorRole})</span>
                  </td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>
                    <code>{e.target}</code>
                  </td>
                  <td>
                    {Object.entries(e.hashes ?? {}).map(([name, sha]) => (
                      <div key={name} className="small">
                        {name}: <code className="sha">{String(sha).slice(0, 16)}…</code>
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <MorePages pages={pages} label="Older entries" />
    </>
  );
}

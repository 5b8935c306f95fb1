import { closerKnownFrauds } from '@exemplar/specimens-schema';
import { useEffect, useId, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { useCan } from '../../shared/auth/session';
import { formatTimestamp } from '../../shared/ui/format';
import { EmptyState, ErrorState, LoadingState } from '../../shared/ui/states';
import { useDocumentTitle } from '../../shared/ui/use-document-title';
import { comparisonOutcome, questionedTitle } from './api';
import { useComparisonSearch } from './use-comparison-search';
import { useReferenceTitles } from './use-reference-titles';
import { MorePages } from '../../shared/ui/more-pages';

const STATUS_FILTERS = [
  { id: '', label: 'All', empty: 'No comparisons' },
  { id: 'done', label: 'Finished', empty: 'No finished comparisons' },
  { id: 'failed', label: 'Failed', empty: 'No failed comparisons' },
] as const;

/** The address's query of a list with this status and search (either left out when empty). */
const addressed = (status: string, q: string): Record<string, string> => ({ ...(status && { status }), ...(q && { q }) });

/**
 * Comparisons made earlier, to open again (or to name in a case or a
 * verification request): a border officer's own, an examiner's every one;
 * searched by the API (notes, file names, reference, id, submitter), so an
 * old one is found however many came since. Status and search are in the
 * address, so going back returns to the same list.
 */
export function ComparisonListPage() {
  const can = useCan();
  const all = can('comparisons:read-all');
  useDocumentTitle(all ? 'Comparisons' : 'My comparisons');
  const [params, setParams] = useSearchParams();
  const filter = STATUS_FILTERS.find((f) => f.id === (params.get('status') ?? '')) ?? STATUS_FILTERS[0];
  const addressQ = params.get('q') ?? '';
  const [text, setText] = useState(addressQ);
  const searchId = useId();
  const pages = useComparisonSearch(filter.id, text);
  const { first: list, items, q } = pages;
  // The search the list answers goes into the address once typing paused (replacing it: one history entry per
  // list, not per word); an address changed from outside (a link, going back) sets the search box. Each only
  // when its own side changed, so neither undoes the other.
  const seen = useRef({ q, addressQ });
  useEffect(() => {
    if (q === seen.current.q) return;
    seen.current.q = q;
    if (q !== addressQ) setParams(addressed(filter.id, q), { replace: true });
  }, [q, addressQ, filter.id, setParams]);
  useEffect(() => {
    if (addressQ === seen.current.addressQ) return;
    seen.current.addressQ = addressQ;
    if (addressQ !== q) setText(addressQ);
  }, [addressQ, q]);
  const titles = useReferenceTitles(items);

  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>{all ? 'Comparisons' : 'My comparisons'}</h1>
          <p className="muted">
            {all ? 'Every comparison of the laboratory' : 'The comparisons you submitted'}, newest first.
          </p>
        </div>
        {can('comparisons:submit') && (
          <Link className="button button--primary" to="/compare">
            New comparison
          </Link>
        )}
      </header>
      <div className="segmented" role="group" aria-label="Comparison status">
        {STATUS_FILTERS.map((f) => (
          <button key={f.id || 'all'} type="button" aria-pressed={f.id === filter.id} onClick={() => setParams(addressed(f.id, q))}>
            {f.label}
          </button>
        ))}
      </div>
      <div className="picker">
        <label className="field__label" htmlFor={searchId}>
          Search comparisons
        </label>
        <input id={searchId} type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="Notes, file name, reference, id…" autoComplete="off" />
      </div>
      {list.status === 'loading' && !list.data && <LoadingState label="Loading comparisons…" />}
      {list.status === 'error' && <ErrorState title="The comparisons could not be loaded" error={list.error} onRetry={list.reload} />}
      {list.data && items.length === 0 && q && <EmptyState title={`No comparison matches “${q}”`} />}
      {list.data && items.length === 0 && !q && (
        <EmptyState title={filter.empty}>
          <p>
            <Link to="/compare">Compare a questioned document</Link> with a reference of the library.
          </p>
        </EmptyState>
      )}
      {items.length > 0 && (
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">Comparisons ({items.length})</caption>
            <thead>
              <tr>
                <th scope="col">Questioned document</th>
                <th scope="col">Reference</th>
                <th scope="col">Result</th>
                <th scope="col">Submitted</th>
                {all && <th scope="col">Submitted by</th>}
                <th scope="col">Id</th>
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <tr key={c.id}>
                  <td>
                    <Link to={`/comparisons/${encodeURIComponent(c.id)}`}>{questionedTitle(c)}</Link>
                  </td>
                  <td>
                    {c.reference ? (
                      <Link to={`/specimens/${encodeURIComponent(c.reference.specimenId)}`}>{titles.get(c.reference.specimenId) ?? c.reference.specimenId}</Link>
                    ) : (
                      <span className="muted">{c.request.reference === 'auto' ? 'chosen automatically' : 'none'}</span>
                    )}
                  </td>
                  <td>
                    <span className={c.status === 'failed' ? 'error-text' : undefined}>{comparisonOutcome(c)}</span>
                    {c.identification && closerKnownFrauds(c.identification).length > 0 && <span className="error-text"> · ⚠ closer to a known fraud</span>}
                  </td>
                  <td>{formatTimestamp(c.createdAt)}</td>
                  {all && <td>{c.createdBy}</td>}
                  <td>
                    <code>{c.id}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <MorePages pages={pages} label={`Older comparisons (${items.length} shown)`} />
    </div>
  );
}

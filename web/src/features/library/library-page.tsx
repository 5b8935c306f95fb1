import { useEffect, useId, useState } from 'react';
import { Link, useLocation, useSearchParams } from 'react-router-dom';
import { errorMessage } from '../../shared/api/client';
import { EmptyState, ErrorState, LoadingState } from '../../shared/ui/states';
import { useDocumentTitle } from '../../shared/ui/use-document-title';
import { useLocationIsCurrent } from '../../shared/ui/use-location-is-current';
import { SORTS, type ListFilter, type SortOrder, type SpecimenSearch } from './api';
import { FacetPanel, facetTitle, facetValueLabel } from './facet-panel';
import { hasFilters, paramsFromSearch, searchFromParams, toggleFilter } from './search-params';
import { SpecimenCard } from './specimen-card';
import { useSpecimenSearch } from './use-specimen-search';
import { useCan } from '../../shared/auth/session';

const SORT_LABELS: Record<SortOrder, string> = {
  relevance: 'Relevance',
  '-updatedAt': 'Recently updated',
  updatedAt: 'Least recently updated',
  title: 'Title A–Z',
  '-title': 'Title Z–A',
  issuingState: 'Issuing state',
  '-createdAt': 'Newest first',
};

/** Typing searches after a short pause, so each keystroke does not start a request. */
const TYPING_PAUSE_MS = 350;

export function LibraryPage() {
  const can = useCan();
  const [params, setParams] = useSearchParams();
  const location = useLocation();
  const isCurrent = useLocationIsCurrent();
  // A change made here (a box ticked, a sort chosen) reaches the URL only when the router's navigation renders, in a
  // transition: on a full library page that is a render or more later, and meanwhile a controlled checkbox would
  // show its old state. So the page shows the change at once, until the location moves on (to the change, or
  // elsewhere: Back), when the URL is the truth again; a second change before then builds on the first.
  const [pending, setPending] = useState<{ from: string; search: SpecimenSearch } | null>(null);
  if (pending && pending.from !== location.key) setPending(null);
  const search = pending?.from === location.key ? pending.search : searchFromParams(params);
  const result = useSpecimenSearch(search);
  const [text, setText] = useState(search.q ?? '');
  const [filtersOpen, setFiltersOpen] = useState(false);
  const searchId = useId();
  useDocumentTitle(search.q ? `“${search.q}” in the library` : 'Library');

  const apply = (next: SpecimenSearch, replace = false) => {
    setPending({ from: location.key, search: next });
    setParams(paramsFromSearch(next), { replace });
  };

  // Back/forward and shared links change the URL: the box follows.
  useEffect(() => setText(search.q ?? ''), [search.q]);

  useEffect(() => {
    const trimmed = text.trim();
    if (trimmed === (search.q ?? '')) return;
    const timer = setTimeout(() => {
      // Not once the user has left (a result chosen, a link, Back): the search would land on the page they went to.
      if (isCurrent(location)) apply({ ...search, q: trimmed || undefined } as SpecimenSearch, true);
    }, TYPING_PAUSE_MS);
    return () => clearTimeout(timer);
    // Typing schedules a search; a new URL (a filter ticked during the pause) schedules it again on what the URL now
    // holds, so the search keeps the filter. A URL with other words also sets the box (above), which ends the search.
  }, [text, location.key]);

  const active: { name: ListFilter; value: string }[] = Object.entries(search.filters).flatMap(([name, values]) =>
    (values ?? []).map((value) => ({ name: name as ListFilter, value })),
  );
  const busy = result.status === 'loading';

  return (
    <div className="library">
      <form
        className="library__search"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          const trimmed = text.trim();
          const next: SpecimenSearch = { ...search };
          if (trimmed) next.q = trimmed;
          else delete next.q;
          apply(next);
        }}
      >
        <label htmlFor={searchId} className="visually-hidden">
          Search specimens
        </label>
        <input
          id={searchId}
          type="search"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder="Search title, series, description, notes…"
          autoComplete="off"
        />
        <button type="submit" className="button button--primary">
          Search
        </button>
        <button type="button" className="button filters-toggle" aria-expanded={filtersOpen} aria-controls={`${searchId}-filters`} onClick={() => setFiltersOpen((o) => !o)}>
          Filters{active.length ? ` (${active.length})` : ''}
        </button>
      </form>

      <div className="library__layout">
        <FacetPanel
          id={`${searchId}-filters`}
          open={filtersOpen}
          page={result.page}
          search={search}
          onToggle={(name, value) => apply(toggleFilter(search, name, value))}
          onYears={(from, to) => {
            const next: SpecimenSearch = { ...search };
            delete next.yearFrom;
            delete next.yearTo;
            if (from !== undefined) next.yearFrom = from;
            if (to !== undefined) next.yearTo = to;
            apply(next);
          }}
        />

        <section className="library__results" aria-labelledby={`${searchId}-results`} aria-busy={busy}>
          <div className="library__toolbar">
            <h1 id={`${searchId}-results`} className="library__count">
              {result.page ? `${result.page.total} specimen${result.page.total === 1 ? '' : 's'}` : 'Specimens'}
            </h1>
            <label className="library__sort">
              Sort by{' '}
              <select
                value={search.sort ?? (search.q ? 'relevance' : '-updatedAt')}
                onChange={(e) => apply({ ...search, sort: e.target.value as SortOrder })}
              >
                {SORTS.map((s) => (
                  <option key={s} value={s}>
                    {SORT_LABELS[s]}
                  </option>
                ))}
              </select>
            </label>
          </div>

          {hasFilters(search) && (
            <ul className="chips" aria-label="Active filters">
              {search.q && (
                <li className="chip">
                  “{search.q}”
                  <button type="button" aria-label={`Remove search text ${search.q}`} onClick={() => apply({ ...search, q: undefined } as SpecimenSearch)}>
                    ×
                  </button>
                </li>
              )}
              {active.map(({ name, value }) => (
                <li className="chip" key={`${name}=${value}`}>
                  {facetTitle(name)}: {facetValueLabel(name, value)}
                  <button type="button" aria-label={`Remove filter ${facetTitle(name)}: ${facetValueLabel(name, value)}`} onClick={() => apply(toggleFilter(search, name, value))}>
                    ×
                  </button>
                </li>
              ))}
              {(search.yearFrom !== undefined || search.yearTo !== undefined) && (
                <li className="chip">
                  Years {search.yearFrom ?? '…'}–{search.yearTo ?? '…'}
                  <button type="button" aria-label="Remove year filter" onClick={() => apply({ ...search, yearFrom: undefined, yearTo: undefined } as SpecimenSearch)}>
                    ×
                  </button>
                </li>
              )}
              <li>
                <button type="button" className="link-button" onClick={() => apply({ filters: {}, ...(search.sort ? { sort: search.sort } : {}) })}>
                  Clear all
                </button>
              </li>
            </ul>
          )}

          {result.status === 'error' && !result.page && <ErrorState title="The library could not be searched" error={result.error} onRetry={result.reload} />}
          {result.status === 'error' && result.page && (
            <ErrorState title="The search could not be updated; showing the previous results" error={result.error} onRetry={result.reload} />
          )}
          {busy && !result.page && <LoadingState label="Searching the library…" />}
          {busy && result.page && <LoadingState label="Updating results…" />}

          {result.page && result.items.length === 0 && result.status === 'ready' && (
            <EmptyState title={hasFilters(search) ? 'No specimen matches this search' : 'The library is empty'}>
              {hasFilters(search) ? (
                <p>Remove a filter or change the search words.</p>
              ) : can('specimens:write') ? (
                <p>
                  <Link to="/specimens/new">Catalogue the first specimen</Link>
                </p>
              ) : (
                <p>Specimens appear here once the laboratory catalogues them.</p>
              )}
            </EmptyState>
          )}

          {result.items.length > 0 && (
            <ul className={`grid${busy ? ' grid--stale' : ''}`} aria-label="Search results">
              {result.items.map((s) => (
                <SpecimenCard key={s.id} specimen={s} />
              ))}
            </ul>
          )}

          {result.hasMore && (
            <div className="library__more">
              <button type="button" className="button" onClick={result.loadMore} disabled={result.loadingMore}>
                {result.loadingMore ? 'Loading…' : `Load more (${result.items.length} of ${result.page?.total ?? '?'})`}
              </button>
              {result.loadMoreError !== undefined && (
                <p role="alert" className="error-text">
                  More results could not be loaded: {errorMessage(result.loadMoreError)}
                </p>
              )}
            </div>
          )}
        </section>
      </div>
    </div>
  );
}

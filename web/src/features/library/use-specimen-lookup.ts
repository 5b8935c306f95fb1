import type { Specimen } from '@exemplar/specimens-schema';
import { useEffect, useState } from 'react';
import { useApi } from '../../shared/api/api-context';
import { isAbort } from '../../shared/api/client';
import { useActionError } from '../../shared/auth/use-action-error';
import { searchSpecimens, type SpecimenSearch } from './api';

/** Fewer characters match too much to be worth a request. */
const MIN_QUERY = 2;
/** Typing pauses this long before a search goes out. */
const PAUSE_MS = 250;

/**
 * The library searched as the user types, for pickers (the library page pages
 * through a whole result with useSpecimenSearch): the most relevant `limit`
 * specimens matching `text` (null below two characters), and why the last
 * search failed (a 401 is dropped once the user logged in again over the
 * page). A newer text cancels the search in flight.
 */
export function useSpecimenLookup(text: string, filters: SpecimenSearch['filters'] = {}, limit = 8): { results: Specimen[] | null; error: unknown } {
  const api = useApi();
  const [results, setResults] = useState<Specimen[] | null>(null);
  const [error, setError] = useActionError();
  // By value: a new but equal filter object each render must not restart the search.
  const filterKey = JSON.stringify(filters);

  useEffect(() => {
    const q = text.trim();
    if (q.length < MIN_QUERY) {
      setResults(null);
      setError(null);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      const search: SpecimenSearch = { q, filters: JSON.parse(filterKey) as SpecimenSearch['filters'], sort: 'relevance' };
      searchSpecimens(api, search, { limit, signal: controller.signal }).then(
        (page) => {
          setResults(page.items);
          setError(null);
        },
        (err: unknown) => {
          if (!controller.signal.aborted && !isAbort(err)) setError(err);
        },
      );
    }, PAUSE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [api, text, filterKey, limit, setError]);

  return { results, error };
}

import { useCallback, useEffect, useRef, useState } from 'react';
import type { Specimen } from '@exemplar/specimens-schema';
import { useApi } from '../../shared/api/api-context';
import { isAbort } from '../../shared/api/client';
import { useResource } from '../../shared/api/use-resource';
import { searchSpecimens, type SpecimenPage, type SpecimenSearch } from './api';
import { searchKey } from './search-params';

export interface SpecimenSearchState {
  status: 'loading' | 'ready' | 'error';
  error: unknown;
  /** The first page's answer (facets and total describe the whole result). */
  page: SpecimenPage | undefined;
  /** Every item loaded so far, first page and "load more" pages. */
  items: Specimen[];
  hasMore: boolean;
  loadingMore: boolean;
  loadMoreError: unknown;
  loadMore: () => void;
  reload: () => void;
}

/** Runs a search; further pages follow the cursor and are appended. A new search starts over. */
export function useSpecimenSearch(search: SpecimenSearch): SpecimenSearchState {
  const api = useApi();
  const key = searchKey(search);
  const first = useResource(key, (signal) => searchSpecimens(api, search, { signal }));
  const [more, setMore] = useState<{ key: string; items: Specimen[]; cursor: string | null }>({ key: '', items: [], cursor: null });
  const [loadingMore, setLoadingMore] = useState(false);
  const [loadMoreError, setLoadMoreError] = useState<unknown>(undefined);
  const controller = useRef<AbortController | null>(null);

  // While a new search loads, the previous answer stays on screen (marked busy).
  const firstPage = first.data;
  useEffect(() => {
    controller.current?.abort();
    setMore({ key, items: [], cursor: firstPage?.nextCursor ?? null });
    setLoadingMore(false);
    setLoadMoreError(undefined);
  }, [key, firstPage]);

  const loadMore = useCallback(() => {
    if (!more.cursor || loadingMore || first.status !== 'ready') return;
    const c = new AbortController();
    controller.current = c;
    setLoadingMore(true);
    setLoadMoreError(undefined);
    searchSpecimens(api, search, { cursor: more.cursor, signal: c.signal }).then(
      (page) => {
        if (c.signal.aborted) return;
        setMore((m) => ({ key: m.key, items: [...m.items, ...page.items], cursor: page.nextCursor }));
        setLoadingMore(false);
      },
      (err: unknown) => {
        if (c.signal.aborted || isAbort(err)) return;
        setLoadMoreError(err);
        setLoadingMore(false);
      },
    );
  }, [api, key, more.cursor, loadingMore, first.status]);

  useEffect(() => () => controller.current?.abort(), []);

  const sameSearch = more.key === key;
  const items = firstPage ? [...firstPage.items, ...(sameSearch ? more.items : [])] : [];
  return {
    status: first.status,
    error: first.error,
    page: first.data,
    items,
    hasMore: first.status === 'ready' && (sameSearch ? more.cursor !== null : (firstPage?.nextCursor ?? null) !== null),
    loadingMore,
    loadMoreError,
    loadMore,
    reload: first.reload,
  };
}

import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from './client';
import { useResource, type Resource } from './use-resource';

export interface CursorPage<T> {
  items: T[];
  nextCursor: string | null;
}

export interface CursorPages<T> {
  /** The first page, as `useResource` loads it (loading, error, reload). */
  first: Resource<CursorPage<T>> & { reload: () => void };
  /** The first page and every later page loaded since, in order. */
  items: T[];
  /** Whether the API has a further page. */
  hasMore: boolean;
  loadingMore: boolean;
  /** Why the last `loadMore` failed; null once one succeeds. */
  moreError: string | null;
  /** Appends the next page (one at a time: a call while one loads does nothing). */
  loadMore: () => Promise<void>;
}

/**
 * A list the API pages with a cursor (`nextCursor` → `cursor`): the first page
 * for `key`, and the pages after it appended on demand. A new `key` (other
 * filters) starts again from the first page; a page still arriving for the
 * old key is dropped.
 */
export function useCursorPages<T>(key: string, load: (cursor: string | null, signal?: AbortSignal) => Promise<CursorPage<T>>): CursorPages<T> {
  const first = useResource(key, (signal) => load(null, signal));
  const [more, setMore] = useState<{ key: string; items: T[]; cursor: string | null; loading: boolean; error: string | null } | null>(null);
  const keyRef = useRef(key);
  keyRef.current = key;
  // Pages appended to the first page belong to that load: reloading it starts over.
  const firstData = first.data;
  useEffect(() => setMore(null), [firstData]);

  const extra = more?.key === key ? more : null;
  const items = [...(first.data?.items ?? []), ...(extra?.items ?? [])];
  // While a page loads, `extra.cursor` is the one it was asked with.
  const cursor = extra ? extra.cursor : (first.data?.nextCursor ?? null);
  const loadingMore = extra?.loading ?? false;

  const loadMore = useCallback(async () => {
    if (!cursor || loadingMore) return;
    const at = key;
    const before = extra;
    setMore({ key: at, items: before?.items ?? [], cursor, loading: true, error: null });
    try {
      const page = await load(cursor);
      if (keyRef.current === at) setMore({ key: at, items: [...(before?.items ?? []), ...page.items], cursor: page.nextCursor, loading: false, error: null });
    } catch (err) {
      if (keyRef.current === at) setMore({ key: at, items: before?.items ?? [], cursor, loading: false, error: errorMessage(err) });
    }
  }, [cursor, loadingMore, key, extra, load]);

  return { first, items, hasMore: cursor !== null, loadingMore, moreError: extra?.error ?? null, loadMore };
}

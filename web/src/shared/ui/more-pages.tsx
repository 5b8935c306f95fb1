import type { CursorPages } from '../api/use-cursor-pages';

/**
 * The foot of a list paged with a cursor (`useCursorPages`): why the last
 * page asked for failed, and, while the API has more, the button that asks
 * for the next one (`label`, "Loading…" while it arrives).
 */
export function MorePages({ pages, label, small = false }: { pages: Pick<CursorPages<unknown>, 'hasMore' | 'loadingMore' | 'moreError' | 'loadMore'>; label: string; small?: boolean }) {
  const { hasMore, loadingMore, moreError, loadMore } = pages;
  return (
    <>
      {moreError && (
        <p className="field__error" role="alert">
          {moreError}
        </p>
      )}
      {hasMore && (
        <div className="button-row">
          <button type="button" className={small ? 'button button--small' : 'button'} disabled={loadingMore} onClick={() => void loadMore()}>
            {loadingMore ? 'Loading…' : label}
          </button>
        </div>
      )}
    </>
  );
}

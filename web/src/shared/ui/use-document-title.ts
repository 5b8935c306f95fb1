import { useEffect } from 'react';

/** Names the browser tab (and the page, for screen readers announcing navigation) after what is shown. */
export function useDocumentTitle(title: string | null | undefined) {
  useEffect(() => {
    if (!title) return;
    const previous = document.title;
    document.title = `${title} — Exemplar`;
    return () => {
      document.title = previous;
    };
  }, [title]);
}

import { useApi } from '../../shared/api/api-context';
import { useCursorPages, type CursorPages } from '../../shared/api/use-cursor-pages';
import { useSettled } from '../../shared/ui/use-settled';
import { listComparisons, type ApiComparison } from './api';

/** Typing pauses this long before a search goes out. */
const TYPING_PAUSE_MS = 300;

/**
 * The comparisons the user may read with this status (empty: any) whose
 * words start with the words of `text` (the API searches what the lists show:
 * notes, file names, reference title, id, submitter), newest first, a page
 * at a time (`useCursorPages`). The search goes out once typing pauses;
 * `q` is the text the pages shown answer.
 */
export function useComparisonSearch(status: string, text: string): CursorPages<ApiComparison> & { q: string } {
  const api = useApi();
  const q = useSettled(text.trim(), TYPING_PAUSE_MS);
  const pages = useCursorPages(JSON.stringify({ status, q }), (cursor, signal) => listComparisons(api, { status, q }, cursor, signal));
  return { ...pages, q };
}

import { useCallback, useContext } from 'react';
import { UNSAFE_DataRouterContext, type Location } from 'react-router-dom';

/**
 * Whether the app is still at the location a page was drawn for, asked when a
 * page's own timer fires. The router moves as soon as the user follows a link
 * or goes back, but the next page is drawn in a transition: until it is shown,
 * the page being left is still mounted and its timers still run, and a
 * navigation they start would land on the next page. Only the data router's
 * state knows at once (React Router has no hook for it, hence its context);
 * without a data router the answer is yes.
 */
export function useLocationIsCurrent(): (location: Location) => boolean {
  const router = useContext(UNSAFE_DataRouterContext)?.router;
  return useCallback((location: Location) => router === undefined || router.state.location.key === location.key, [router]);
}

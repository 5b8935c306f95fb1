import { useLayoutEffect, useRef, useState, type Dispatch, type SetStateAction } from 'react';
import { isApiError } from '../api/client';
import { useOptionalSession } from './session';

/**
 * Calls `onResumed` when the user logs in again over a page whose session
 * ended (RequireSession's dialog). Another user logging in there gets the
 * pages fresh instead, so this is always the same user going on. Without a
 * session above (a part rendered alone) there is nothing to resume.
 */
function useSessionResumed(onResumed: () => void): void {
  const state = useOptionalSession()?.state;
  const callback = useRef(onResumed);
  const wasEnded = useRef(false);
  useLayoutEffect(() => {
    callback.current = onResumed;
  });
  // Before paint: the error goes in the same frame as the login dialog, never shown over the page logged in again.
  useLayoutEffect(() => {
    if (wasEnded.current && state?.status === 'authenticated') callback.current();
    wasEnded.current = state?.status === 'anonymous' && state.previous !== undefined;
  }, [state]);
}

/**
 * The error of a page's last action. One saying the session had ended (401)
 * is dropped once the user has logged in again over the page: the unsaved
 * work is still there and the action can simply be repeated, so "log in
 * first" no longer holds. Other errors stay until the next attempt.
 */
export function useActionError(): [unknown, Dispatch<SetStateAction<unknown>>] {
  const [error, setError] = useState<unknown>(null);
  useSessionResumed(() => setError((e: unknown) => (isApiError(e) && e.status === 401 ? null : e)));
  return [error, setError];
}

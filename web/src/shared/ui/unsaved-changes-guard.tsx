import { useEffect, useId } from 'react';
import { useBlocker } from 'react-router-dom';

/**
 * Keeps unsaved work from being lost without the user choosing it. While
 * `when` holds, leaving the page for another page of the app (a link, the
 * browser's back button) waits for an answer in a dialog, and a reload or
 * closing the tab is asked by the browser (beforeunload). Changes that stay on
 * the page (its query string) are not held. Needs a data router.
 */
export function UnsavedChangesGuard({ when, title, message }: { when: boolean; title: string; message: string }) {
  const blocker = useBlocker(({ currentLocation, nextLocation }) => when && currentLocation.pathname !== nextLocation.pathname);
  const id = useId();

  useEffect(() => {
    if (!when) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [when]);

  // Saved (or discarded) meanwhile: nothing is left to lose, so nothing is held.
  useEffect(() => {
    if (blocker.state === 'blocked' && !when) blocker.reset();
  }, [blocker, when]);

  useEffect(() => {
    if (blocker.state !== 'blocked') return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') blocker.reset();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [blocker]);

  if (blocker.state !== 'blocked') return null;
  return (
    <div className="leave-guard">
      <div className="leave-guard__dialog" role="alertdialog" aria-modal="true" aria-labelledby={`${id}-title`} aria-describedby={`${id}-text`}>
        <strong id={`${id}-title`}>{title}</strong>
        <p id={`${id}-text`}>{message}</p>
        <div className="button-row">
          {/* Staying loses nothing: it is the answer Enter gives. */}
          <button type="button" className="button button--primary" autoFocus onClick={() => blocker.reset()}>
            Stay and keep editing
          </button>
          <button type="button" className="button button--danger" onClick={() => blocker.proceed()}>
            Leave and discard the changes
          </button>
        </div>
      </div>
    </div>
  );
}

import { useEffect, useId } from 'react';
import { useBlocker } from 'react-router-dom';

/**
 * Keeps unsaved work from being lost without the user choosing it. While
 * `when` holds, leaving the page for another page of the app (a link, the
 * browser's back button) waits for an answer in a dialog, and a reload or
 * closing the tab is asked by the browser (beforeunload). Changes that stay on
 * the page (its query string) are not held. Needs a data router.
 *
 * One guard per page, covering all of its unsaved work: the router consults
 * only the blocker registered last, so a second guard would silence the first.
 */
export function UnsavedChangesGuard({ when, title, message }: { when: boolean; title: string; message: string }) {
  const blocker = useBlocker(({ currentLocation, nextLocation }) => when && currentLocation.pathname !== nextLocation.pathname);

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

  if (blocker.state !== 'blocked') return null;
  return (
    <UnsavedChangesDialog
      title={title}
      message={message}
      discardLabel="Leave and discard the changes"
      onStay={() => blocker.reset()}
      onDiscard={() => blocker.proceed()}
    />
  );
}

/**
 * The question unsaved work is asked with, for a change that would drop it
 * without leaving the page too (e.g. opening another item in the same editor).
 * Staying is focused and is also what Escape answers; only the discard button
 * loses the work.
 */
export function UnsavedChangesDialog({
  title,
  message,
  discardLabel,
  onStay,
  onDiscard,
}: {
  title: string;
  message: string;
  discardLabel: string;
  onStay: () => void;
  onDiscard: () => void;
}) {
  const id = useId();

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onStay();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onStay]);

  return (
    <div className="leave-guard">
      <div className="leave-guard__dialog" role="alertdialog" aria-modal="true" aria-labelledby={`${id}-title`} aria-describedby={`${id}-text`}>
        <strong id={`${id}-title`}>{title}</strong>
        <p id={`${id}-text`}>{message}</p>
        <div className="button-row">
          {/* Staying loses nothing: it is the answer Enter gives. */}
          <button type="button" className="button button--primary" autoFocus onClick={onStay}>
            Stay and keep editing
          </button>
          <button type="button" className="button button--danger" onClick={onDiscard}>
            {discardLabel}
          </button>
        </div>
      </div>
    </div>
  );
}

import type { ReactNode } from 'react';
import { Link, Navigate, useLocation } from 'react-router-dom';
import { EmptyState, ErrorState, LoadingState } from '../ui/states';
import { roleLabel, userCan, type Permission } from './permissions';
import { SessionEndedDialog } from './session-ended-dialog';
import { useSession, useUser } from './session';

/**
 * Pages behind a login: logged-out users go to the login page, which brings
 * them back here. When the session ends while a page is open, the page stays
 * (inert) under a login dialog, so unsaved work (zones, a note, an answer)
 * survives and the action can be repeated once logged in again. The pages
 * are keyed by user: someone else logging in there gets them fresh, never
 * what the user before them had open.
 */
export function RequireSession({ children }: { children: ReactNode }) {
  const { state, retry } = useSession();
  const location = useLocation();
  if (state.status === 'loading') return <LoadingState label="Checking your session…" />;
  if (state.status === 'error')
    return (
      <div className="app app--bare">
        <ErrorState title="Exemplar could not check your session" error={state.error} onRetry={retry} />
      </div>
    );
  if (state.status === 'anonymous' && !state.previous) {
    const next = location.pathname + location.search + location.hash;
    const query = new URLSearchParams();
    if (next !== '/') query.set('next', next);
    if (state.ended) query.set('ended', '1');
    const qs = query.toString();
    return <Navigate to={`/login${qs ? `?${qs}` : ''}`} replace />;
  }
  const user = state.status === 'authenticated' ? state.user : state.previous!;
  const ended = state.status === 'anonymous';
  return (
    <>
      <div className="session-keeper" key={user.username} inert={ended}>
        {children}
      </div>
      {ended && <SessionEndedDialog previous={user} />}
    </>
  );
}

/** A page for some roles only: others get a plain explanation and a way on, not a broken page. */
export function RequirePermission({ permission, children }: { permission: Permission | Permission[]; children: ReactNode }) {
  const user = useUser();
  const needed = Array.isArray(permission) ? permission : [permission];
  if (needed.some((p) => userCan(user, p))) return <>{children}</>;
  return (
    <EmptyState title="This page is not available to your role">
      <p>
        You are logged in as {user.displayName} ({roleLabel(user.role)}). <Link to="/">Go to the library</Link>
      </p>
    </EmptyState>
  );
}

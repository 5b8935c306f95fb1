import { useId } from 'react';
import type { SessionUser } from './session';
import { useLoginForm } from './use-login-form';

/**
 * Logging in again over a page whose session ended (see RequireSession). The
 * user name is that of the user before; another user may log in instead, and
 * then gets the pages fresh.
 */
export function SessionEndedDialog({ previous }: { previous: SessionUser }) {
  const id = useId();
  const { username, setUsername, password, setPassword, busy, failure, submit } = useLoginForm(previous.username);

  return (
    <div className="leave-guard">
      <form className="leave-guard__dialog" role="dialog" aria-modal="true" aria-labelledby={`${id}-title`} aria-describedby={`${id}-text`} onSubmit={submit} noValidate>
        <strong id={`${id}-title`}>Your session has ended</strong>
        <p id={`${id}-text`}>Log in again to go on. The page stays as you left it, with what you have not saved yet: then do again what you were doing.</p>
        {failure && (
          <p className="notice notice--error" role="alert">
            {failure}
          </p>
        )}
        <div className="field">
          <label className="field__label" htmlFor={`${id}-username`}>
            User name
          </label>
          <input id={`${id}-username`} name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} disabled={busy} />
        </div>
        <div className="field">
          <label className="field__label" htmlFor={`${id}-password`}>
            Password
          </label>
          <input id={`${id}-password`} name="password" type="password" autoComplete="current-password" autoFocus value={password} onChange={(e) => setPassword(e.target.value)} disabled={busy} />
        </div>
        <div className="button-row">
          <button type="submit" className="button button--primary" disabled={busy}>
            {busy ? 'Logging in…' : 'Log in'}
          </button>
        </div>
      </form>
    </div>
  );
}

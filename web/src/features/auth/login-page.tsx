import { Navigate, useNavigate, useSearchParams } from 'react-router-dom';
import { safeNext, useSession } from '../../shared/auth/session';
import { useLoginForm } from '../../shared/auth/use-login-form';
import { useDocumentTitle } from '../../shared/ui/use-document-title';

export function LoginPage() {
  useDocumentTitle('Log in');
  const { state } = useSession();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const next = safeNext(params.get('next'));
  const { username, setUsername, password, setPassword, busy, failure, submit } = useLoginForm('', () => navigate(next, { replace: true }));

  if (state.status === 'authenticated' && !busy) return <Navigate to={next} replace />;

  return (
    <div className="login">
      <form className="login__card" onSubmit={submit} aria-labelledby="login-title" noValidate>
        <p className="login__brand" aria-hidden="true">
          <span className="app__logo">◈</span> Exemplar
        </p>
        <h1 id="login-title">Log in</h1>
        {params.get('ended') && !failure && (
          <p className="notice" role="status">
            Your session has ended. Log in again to continue.
          </p>
        )}
        {failure && (
          <p className="notice notice--error" role="alert">
            {failure}
          </p>
        )}
        <div className="field">
          <label className="field__label" htmlFor="login-username">
            User name
          </label>
          <input
            id="login-username"
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            disabled={busy}
            required
          />
        </div>
        <div className="field">
          <label className="field__label" htmlFor="login-password">
            Password
          </label>
          <input
            id="login-password"
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            disabled={busy}
            required
          />
        </div>
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
        {state.status === 'error' && <p className="muted">The server could not be reached to check your session.</p>}
      </form>
    </div>
  );
}

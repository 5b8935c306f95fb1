import { useState, type FormEvent } from 'react';
import { useApi } from '../../shared/api/api-context';
import { errorMessage, isApiError } from '../../shared/api/client';
import { useResource } from '../../shared/api/use-resource';
import { ROLES, roleLabel, type Role } from '../../shared/auth/permissions';
import { useUser } from '../../shared/auth/session';
import { formatTimestamp } from '../../shared/ui/format';
import { ErrorState, LoadingState } from '../../shared/ui/states';
import { useDocumentTitle } from '../../shared/ui/use-document-title';
import { createUser, listUsers, MIN_PASSWORD_LENGTH, setPassword, updateUser, type User } from './api';

export function UsersPage() {
  useDocumentTitle('Users');
  const api = useApi();
  const users = useResource('users', (signal) => listUsers(api, signal));
  const replace = (u: User) => users.data && users.set({ items: users.data.items.map((x) => (x.username === u.username ? u : x)) });

  return (
    <>
      {users.status === 'loading' && !users.data && <LoadingState label="Loading users…" />}
      {users.status === 'error' && <ErrorState title="The users could not be loaded" error={users.error} onRetry={users.reload} />}
      {users.data && (
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">Users</caption>
            <thead>
              <tr>
                <th scope="col">User name</th>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">State</th>
                <th scope="col">Changed</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {users.data.items.map((u) => (
                <UserRow key={u.username} user={u} onChange={replace} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <NewUserForm onCreated={users.reload} />
    </>
  );
}

function UserRow({ user: u, onChange }: { user: User; onChange: (u: User) => void }) {
  const api = useApi();
  const me = useUser();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  const [resetting, setResetting] = useState(false);
  const [password, setPasswordText] = useState('');

  const run = async (action: () => Promise<void>, done: string) => {
    setBusy(true);
    setMessage(null);
    try {
      await action();
      setMessage({ error: false, text: done });
    } catch (err) {
      setMessage({ error: true, text: isApiError(err, 'CONFLICT') ? errorMessage(err) : `Not changed: ${errorMessage(err)}` });
    } finally {
      setBusy(false);
    }
  };

  return (
    <tr>
      <td>
        <code>{u.username}</code>
        {u.username === me.username && <span className="muted"> (you)</span>}
      </td>
      <td>{u.displayName}</td>
      <td>
        <select
          aria-label={`Role of ${u.username}`}
          value={u.role}
          disabled={busy}
          onChange={(e) => {
            const role = e.target.value as Role;
            void run(async () => onChange(await updateUser(api, u.username, { role })), `${u.username} is now ${roleLabel(role)}.`);
          }}
        >
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {roleLabel(r)}
            </option>
          ))}
        </select>
      </td>
      <td>
        <span className={`pill pill--${u.disabled ? 'disabled' : 'active'}`}>{u.disabled ? 'Disabled' : 'Active'}</span>
      </td>
      <td>{formatTimestamp(u.updatedAt)}</td>
      <td>
        <div className="row-actions">
          <button
            type="button"
            className="button button--small"
            disabled={busy}
            onClick={() =>
              void run(async () => onChange(await updateUser(api, u.username, { disabled: !u.disabled })), u.disabled ? `${u.username} may log in again.` : `${u.username} is disabled and logged out.`)
            }
          >
            {u.disabled ? `Enable ${u.username}` : `Disable ${u.username}`}
          </button>
          {!resetting ? (
            <button type="button" className="button button--small" disabled={busy} onClick={() => setResetting(true)}>
              Reset password of {u.username}
            </button>
          ) : (
            <form
              className="inline-form"
              onSubmit={(e: FormEvent) => {
                e.preventDefault();
                if (password.length < MIN_PASSWORD_LENGTH) {
                  setMessage({ error: true, text: `A password has at least ${MIN_PASSWORD_LENGTH} characters.` });
                  return;
                }
                void run(async () => {
                  await setPassword(api, u.username, password);
                  setPasswordText('');
                  setResetting(false);
                }, `New password set for ${u.username}; their sessions have ended and their API tokens are revoked.`);
              }}
            >
              <label className="field">
                <span className="field__label">New password for {u.username}</span>
                <input type="password" autoComplete="new-password" value={password} onChange={(e) => setPasswordText(e.target.value)} disabled={busy} />
              </label>
              <button type="submit" className="button button--small" disabled={busy}>
                Set password
              </button>
              <button type="button" className="link-button" onClick={() => setResetting(false)}>
                Cancel
              </button>
            </form>
          )}
        </div>
        {message && (
          <p className={message.error ? 'field__error' : 'muted small'} role={message.error ? 'alert' : 'status'}>
            {message.text}
          </p>
        )}
      </td>
    </tr>
  );
}

const EMPTY = { username: '', displayName: '', role: 'examiner' as Role, password: '' };

function NewUserForm({ onCreated }: { onCreated: () => void }) {
  const api = useApi();
  const [draft, setDraft] = useState(EMPTY);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!draft.username.trim()) return setError('Enter a user name.');
    if (draft.password.length < MIN_PASSWORD_LENGTH) return setError(`A password has at least ${MIN_PASSWORD_LENGTH} characters.`);
    setBusy(true);
    setError(null);
    setCreated(null);
    try {
      const u = await createUser(api, { username: draft.username.trim(), role: draft.role, password: draft.password, ...(draft.displayName.trim() ? { displayName: draft.displayName.trim() } : {}) });
      setCreated(u.username);
      setDraft(EMPTY);
      onCreated();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel new-user" aria-labelledby="new-user-heading">
      <h2 id="new-user-heading">Add a user</h2>
      <form className="form-grid" onSubmit={submit} noValidate>
        <label className="field">
          <span className="field__label">User name</span>
          <input value={draft.username} onChange={(e) => setDraft((d) => ({ ...d, username: e.target.value }))} disabled={busy} autoCapitalize="none" spellCheck={false} />
        </label>
        <label className="field">
          <span className="field__label">Display name</span>
          <input value={draft.displayName} onChange={(e) => setDraft((d) => ({ ...d, displayName: e.target.value }))} disabled={busy} />
        </label>
        <label className="field">
          <span className="field__label">Role</span>
          <select value={draft.role} onChange={(e) => setDraft((d) => ({ ...d, role: e.target.value as Role }))} disabled={busy}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {roleLabel(r)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field__label">Initial password</span>
          <input type="password" autoComplete="new-password" value={draft.password} onChange={(e) => setDraft((d) => ({ ...d, password: e.target.value }))} disabled={busy} />
        </label>
        <div className="field--wide">
          {error && (
            <p className="field__error" role="alert">
              {error}
            </p>
          )}
          {created && (
            <p className="notice" role="status">
              {created} can now log in.
            </p>
          )}
          <button type="submit" className="button button--primary" disabled={busy}>
            Add user
          </button>
        </div>
      </form>
    </section>
  );
}

import { useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { roleLabel } from '../../shared/auth/permissions';
import { useSession, useUser } from '../../shared/auth/session';

/** The logged-in user's name and role, and logging out. */
export function UserMenu() {
  const user = useUser();
  const { logout } = useSession();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const close = (e: Event) => {
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !ref.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('pointerdown', close);
      document.removeEventListener('keydown', close);
    };
  }, [open]);

  return (
    <div className="user-menu" ref={ref}>
      <button
        type="button"
        className="user-menu__toggle"
        aria-expanded={open}
        aria-controls="user-menu-panel"
        aria-label={`User menu: ${user.displayName}, ${roleLabel(user.role)}`}
        onClick={() => setOpen((o) => !o)}
      >
        <span className="user-menu__name">{user.displayName}</span>
        <span className="user-menu__role">{roleLabel(user.role)}</span>
      </button>
      {open && (
        <div id="user-menu-panel" className="user-menu__panel">
          <p>
            <strong>{user.displayName}</strong>
            <br />
            <span className="muted">
              {user.username} · {roleLabel(user.role)}
            </span>
          </p>
          <button
            type="button"
            className="button"
            disabled={busy}
            onClick={async () => {
              setBusy(true);
              await logout();
              setBusy(false);
              navigate('/login', { replace: true });
            }}
          >
            {busy ? 'Logging out…' : 'Log out'}
          </button>
        </div>
      )}
    </div>
  );
}

import { Component, Suspense, type ErrorInfo, type ReactNode } from 'react';
import { Link, NavLink, Outlet, useLocation } from 'react-router-dom';
import { NewAlertsBadge } from '../features/alerts/new-alerts-badge';
import { UserMenu } from '../features/auth/user-menu';
import { userCan, type Permission } from '../shared/auth/permissions';
import { useUser } from '../shared/auth/session';
import { LoadingState } from '../shared/ui/states';

/** The main navigation; each entry is shown to the roles that may use it (any of its permissions). */
export interface NavItem {
  to: string;
  label: string;
  permissions: Permission[];
  end?: boolean;
  /** Shown after the label, except for roles holding `unless` (border officers see how many alerts are new; drafters do not). */
  badge?: { Component: () => ReactNode; unless: Permission };
}

export const NAV_ITEMS: NavItem[] = [
  { to: '/', label: 'Library', permissions: ['specimens:read'], end: true },
  { to: '/compare', label: 'Compare', permissions: ['comparisons:submit'] },
  { to: '/comparisons', label: 'Comparisons', permissions: ['comparisons:read-all', 'comparisons:submit'] },
  { to: '/specimens/new', label: 'New specimen', permissions: ['specimens:write'] },
  { to: '/alerts', label: 'Alerts', permissions: ['alerts:read'], badge: { Component: NewAlertsBadge, unless: 'alerts:draft' } },
  { to: '/verification', label: 'Verification', permissions: ['verification:submit', 'verification:answer'] },
  { to: '/register', label: 'Register', permissions: ['register:read'] },
  { to: '/cases', label: 'Cases', permissions: ['cases:read-all', 'cases:read-assigned'] },
  { to: '/exchange', label: 'Exchange', permissions: ['exchange:export', 'exchange:import'] },
  { to: '/admin', label: 'Admin', permissions: ['users:manage'] },
];

export function Layout() {
  const location = useLocation();
  const user = useUser();
  const items = NAV_ITEMS.filter((item) => item.permissions.some((p) => userCan(user, p)));
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app__header">
        <Link to="/" className="app__brand" aria-label="Exemplar — library home">
          <span aria-hidden="true" className="app__logo">
            ◈
          </span>{' '}
          Exemplar
        </Link>
        <nav aria-label="Main">
          <ul className="app__nav">
            {items.map((item) => (
              <li key={item.to}>
                <NavLink to={item.to} end={item.end ?? false}>
                  {item.label}
                  {item.badge && !userCan(user, item.badge.unless) && <item.badge.Component />}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <UserMenu />
      </header>
      <main id="main" className="app__main" tabIndex={-1}>
        {/* A page that fails to render does not take the header with it, and leaving the page clears the error. */}
        <PageErrorBoundary key={location.pathname}>
          <Suspense fallback={<LoadingState label="Loading the page…" />}>
            <Outlet />
          </Suspense>
        </PageErrorBoundary>
      </main>
    </div>
  );
}

export function NotFoundPage() {
  return (
    <div className="state state--empty">
      <h1>Page not found</h1>
      <p>
        <Link to="/">Go to the library</Link>
      </p>
    </div>
  );
}

class PageErrorBoundary extends Component<{ children: ReactNode }, { error: unknown }> {
  override state: { error: unknown } = { error: null };

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo) {
    console.error('page failed to render', error, info.componentStack);
  }

  override render() {
    if (this.state.error === null) return this.props.children;
    const message = this.state.error instanceof Error ? this.state.error.message : String(this.state.error);
    return (
      <div className="state state--error" role="alert">
        <strong>Something went wrong on this page</strong>
        <p>{message}</p>
        <p>
          <Link to="/">Back to the library</Link>
        </p>
      </div>
    );
  }
}

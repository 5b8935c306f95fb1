import { Component, type ErrorInfo, type ReactNode } from 'react';
import { Link, NavLink, Outlet, useLocation } from 'react-router-dom';

export function Layout() {
  const location = useLocation();
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
            <li>
              <NavLink to="/" end>
                Library
              </NavLink>
            </li>
            <li>
              <NavLink to="/compare">Compare</NavLink>
            </li>
            <li>
              <NavLink to="/specimens/new">New specimen</NavLink>
            </li>
          </ul>
        </nav>
      </header>
      <main id="main" className="app__main" tabIndex={-1}>
        {/* A page that fails to render does not take the header with it, and leaving the page clears the error. */}
        <PageErrorBoundary key={location.pathname}>
          <Outlet />
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

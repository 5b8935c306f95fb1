import { useMemo } from 'react';
import { BrowserRouter, useRoutes } from 'react-router-dom';
import { ApiProvider } from '../shared/api/api-context';
import { ApiClient } from '../shared/api/client';
import { SessionProvider } from '../shared/auth/session';
import { routes } from './routes';

function RoutedPages() {
  return useRoutes(routes);
}

/** The app's pages with the session they run in (needs an ApiProvider and a router above it). */
export function AppRoutes() {
  return (
    <SessionProvider>
      <RoutedPages />
    </SessionProvider>
  );
}

/** The app as the browser runs it: same-origin API, browser history. */
export function App() {
  const client = useMemo(() => new ApiClient(), []);
  return (
    <ApiProvider client={client}>
      <BrowserRouter>
        <AppRoutes />
      </BrowserRouter>
    </ApiProvider>
  );
}

import { useMemo } from 'react';
import { BrowserRouter, useRoutes } from 'react-router-dom';
import { ApiProvider } from '../shared/api/api-context';
import { ApiClient } from '../shared/api/client';
import { routes } from './routes';

export function AppRoutes() {
  return useRoutes(routes);
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

import { useMemo, useState } from 'react';
import { createBrowserRouter, Outlet, RouterProvider, type RouteObject } from 'react-router-dom';
import { ApiProvider } from '../shared/api/api-context';
import { ApiClient } from '../shared/api/client';
import { SessionProvider } from '../shared/auth/session';
import { routes } from './routes';

/**
 * The app's pages under the session they run in, as one route tree for a data
 * router (needs an ApiProvider above the router). A data router, not
 * `<BrowserRouter>`, because only it can hold an in-app navigation back
 * (useBlocker) while unsaved work waits for the user's answer.
 */
export const appRoutes: RouteObject[] = [
  {
    element: (
      <SessionProvider>
        <Outlet />
      </SessionProvider>
    ),
    children: routes,
  },
];

/** The app as the browser runs it: same-origin API, browser history. */
export function App() {
  const client = useMemo(() => new ApiClient(), []);
  const [router] = useState(() => createBrowserRouter(appRoutes));
  return (
    <ApiProvider client={client}>
      <RouterProvider router={router} />
    </ApiProvider>
  );
}

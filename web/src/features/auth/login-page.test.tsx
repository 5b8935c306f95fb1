/** @jest-environment jsdom */
import '../../test/dom-setup';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { makePage } from '../../test/fixtures';
import { createTestApi, loggedOut, ok, on, renderApp, sessionAnswer, sessionAs, testUser } from '../../test/test-api';

const emptyLibrary = on('GET', '/api/specimens', ok(makePage([])));

test('a logged-out visit goes to the login page, and logging in returns to the page asked for with the CSRF token in use', async () => {
  const api = createTestApi(
    loggedOut,
    on('POST', '/api/auth/login', (req) => {
      const { username, password } = req.body as { username: string; password: string };
      return username === 'erin' && password === 'correct horse'
        ? ok(sessionAnswer(testUser('examiner', { username: 'erin' }), { token: 't', csrfToken: 'csrf-123', expiresAt: '2030-01-01T00:00:00Z' }))
        : { status: 401, body: { code: 'UNAUTHENTICATED', message: 'wrong user name or password', details: {} } };
    }),
    on('POST', '/api/auth/logout', { status: 204 }),
    emptyLibrary,
  );
  const { location } = renderApp(api, '/compare?reference=abc');
  const user = userEvent.setup();

  await screen.findByRole('heading', { name: 'Log in' });
  expect(location.current.pathname).toBe('/login');
  expect(new URLSearchParams(location.current.search).get('next')).toBe('/compare?reference=abc');

  await user.type(screen.getByLabelText('User name'), 'erin');
  await user.type(screen.getByLabelText('Password'), 'wrong');
  await user.click(screen.getByRole('button', { name: 'Log in' }));
  expect(await screen.findByRole('alert')).toHaveTextContent('Wrong user name or password');
  expect(screen.getByLabelText('Password')).toHaveValue('');

  await user.type(screen.getByLabelText('Password'), 'correct horse');
  await user.click(screen.getByRole('button', { name: 'Log in' }));
  await waitFor(() => expect(location.current.pathname).toBe('/compare'));
  expect(location.current.search).toBe('?reference=abc');

  // The user menu names the user and role; logging out is a change, so it carries the session's CSRF token.
  await user.click(await screen.findByRole('button', { name: 'User menu: Erin Examiner, Examiner' }));
  await user.click(screen.getByRole('button', { name: 'Log out' }));
  await waitFor(() => expect(location.current.pathname).toBe('/login'));
  expect(api.calls('POST', '/api/auth/logout')[0]!.headers['x-csrf-token']).toBe('csrf-123');
  expect(api.calls('POST', '/api/auth/login')[0]!.headers['x-csrf-token']).toBeUndefined();
});

test('a locked account says how long to wait', async () => {
  const api = createTestApi(
    loggedOut,
    on('POST', '/api/auth/login', { status: 429, body: { code: 'RATE_LIMITED', message: 'too many failed logins; try again in 300 s', details: { retryAfterSeconds: 300 } } }),
  );
  renderApp(api, '/');
  const user = userEvent.setup();
  await user.type(await screen.findByLabelText('User name'), 'erin');
  await user.type(screen.getByLabelText('Password'), 'guess');
  await user.click(screen.getByRole('button', { name: 'Log in' }));
  expect(await screen.findByRole('alert')).toHaveTextContent(/locked.*Try again in 5 minutes/);
});

test('empty fields are refused without asking the server', async () => {
  const api = createTestApi(loggedOut);
  renderApp(api, '/');
  const user = userEvent.setup();
  await user.click(await screen.findByRole('button', { name: 'Log in' }));
  expect(screen.getByRole('alert')).toHaveTextContent('Enter your user name and password');
  expect(api.calls('POST', '/api/auth/login')).toHaveLength(0);
});

test('when the session ends mid-work (a 401), the app goes to the login page and keeps the page to return to', async () => {
  const api = createTestApi(on('GET', '/api/specimens', { status: 401, body: { code: 'UNAUTHENTICATED', message: 'the session has ended; log in again', details: {} } }));
  const { location } = renderApp(api, '/?q=utopia');
  await screen.findByRole('heading', { name: 'Log in' });
  expect(screen.getByRole('status')).toHaveTextContent('Your session has ended');
  expect(new URLSearchParams(location.current.search).get('next')).toBe('/?q=utopia');
});

test.each([
  ['examiner', ['Library', 'Compare', 'New specimen']],
  ['border-officer', ['Library', 'Compare']],
  ['prosecutor', ['Library']],
  ['viewer', ['Library']],
] as const)('the navigation of a %s shows only what the role may use', async (role, expected) => {
  const api = createTestApi(sessionAs(role), emptyLibrary);
  renderApp(api, '/');
  const nav = await screen.findByRole('navigation', { name: 'Main' });
  const labels = within(nav).getAllByRole('link').map((a) => a.textContent);
  for (const label of expected) expect(labels).toContain(label);
  for (const hidden of ['Compare', 'New specimen'].filter((l) => !(expected as readonly string[]).includes(l))) expect(labels).not.toContain(hidden);
});

test('a page the role may not use explains so instead of failing', async () => {
  const api = createTestApi(sessionAs('viewer'));
  renderApp(api, '/specimens/new');
  expect(await screen.findByText('This page is not available to your role')).toBeInTheDocument();
});

test('when the server cannot be reached the app says so and can try again', async () => {
  let calls = 0;
  const api = createTestApi(
    on('GET', '/api/auth/session', () => (++calls === 1 ? { status: 503, body: { code: 'UNAVAILABLE', message: 'the catalog is not reachable', details: {} } } : ok(sessionAnswer(testUser('viewer'), { csrfToken: 'x', via: 'session' })))),
    emptyLibrary,
  );
  renderApp(api, '/');
  expect(await screen.findByRole('alert')).toHaveTextContent('the catalog is not reachable');
  await userEvent.setup().click(screen.getByRole('button', { name: 'Try again' }));
  expect(await screen.findByRole('button', { name: /User menu: Vic Viewer/ })).toBeInTheDocument();
});

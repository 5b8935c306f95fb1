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

const ended = { status: 401, body: { code: 'UNAUTHENTICATED', message: 'the session has ended; log in again', details: {} } } as const;

/** An open case the examiner is writing a note on; the session ends before the note is sent, then the examiner logs in again (or someone else does). */
function caseWhoseSessionEnds(loginAs: string) {
  let sessionEnded = true;
  const openCase = {
    id: 'case000001',
    revision: 1,
    title: 'Forged passport at Port North',
    reference: 'PN-2026-17',
    status: 'open',
    examiners: ['erin'],
    prosecutors: [],
    comparisons: [],
    specimens: [],
    notes: [],
    createdBy: 'erin',
    createdAt: '2026-11-01T08:00:00Z',
    updatedBy: 'erin',
    updatedAt: '2026-11-01T08:00:00Z',
  };
  return createTestApi(
    sessionAs('examiner', { username: 'erin' }),
    on('GET', '/api/cases/case000001', ok(openCase)),
    on('POST', '/api/cases/case000001/notes', (req) =>
      sessionEnded ? ended : ok({ ...openCase, revision: 2, notes: [{ id: 'note000001', author: 'erin', at: '2026-11-01T09:00:00Z', text: (req.body as { text: string }).text }] }),
    ),
    on('POST', '/api/auth/login', (req) => {
      const { password } = req.body as { password: string };
      if (password !== 'correct horse') return { status: 401, body: { code: 'UNAUTHENTICATED', message: 'wrong user name or password', details: {} } };
      sessionEnded = false;
      return ok(
        sessionAnswer(testUser('examiner', { username: loginAs, displayName: loginAs === 'erin' ? 'Erin Examiner' : 'Eve Examiner' }), {
          token: 't',
          csrfToken: 'csrf-new',
          expiresAt: '2030-01-01T00:00:00Z',
        }),
      );
    }),
  );
}

test('when the session ends mid-work (a 401), a login over the page keeps what was typed, and the same action then goes through', async () => {
  const api = caseWhoseSessionEnds('erin');
  const { location } = renderApp(api, '/cases/case000001');
  const user = userEvent.setup();
  const note = await screen.findByRole('textbox', { name: 'Add a note' });
  await user.type(note, 'Microprint blurred under 10x magnification.');
  await user.click(screen.getByRole('button', { name: 'Add note' }));

  const dialog = await screen.findByRole('dialog', { name: 'Your session has ended' });
  expect(location.current.pathname).toBe('/cases/case000001');
  expect(screen.getByText(/^The note was not added:/)).toHaveTextContent('The note was not added: the session has ended; log in again');
  expect(within(dialog).getByLabelText('User name')).toHaveValue('erin');
  await user.type(within(dialog).getByLabelText('Password'), 'wrong');
  await user.click(within(dialog).getByRole('button', { name: 'Log in' }));
  expect(await within(dialog).findByRole('alert')).toHaveTextContent('Wrong user name or password');
  await user.type(within(dialog).getByLabelText('Password'), 'correct horse');
  await user.click(within(dialog).getByRole('button', { name: 'Log in' }));

  await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Your session has ended' })).toBeNull());
  expect(screen.getByRole('textbox', { name: 'Add a note' })).toHaveValue('Microprint blurred under 10x magnification.');
  // Logged in again, "log in" no longer holds: the failure is gone before the note is sent again.
  expect(screen.queryByText(/The note was not added/)).toBeNull();
  await user.click(screen.getByRole('button', { name: 'Add note' }));
  expect(await screen.findByText('Microprint blurred under 10x magnification.', { selector: 'p, li, blockquote, div' })).toBeInTheDocument();
  const sent = api.calls('POST', '/api/cases/case000001/notes');
  expect(sent).toHaveLength(2);
  expect(sent[1]!.headers['x-csrf-token']).toBe('csrf-new');
});

test('someone else logging in where a session ended does not get the page of the user before them', async () => {
  const api = caseWhoseSessionEnds('eve');
  renderApp(api, '/cases/case000001');
  const user = userEvent.setup();
  await user.type(await screen.findByRole('textbox', { name: 'Add a note' }), 'Draft of Erin');
  await user.click(screen.getByRole('button', { name: 'Add note' }));
  const dialog = await screen.findByRole('dialog', { name: 'Your session has ended' });
  await user.clear(within(dialog).getByLabelText('User name'));
  await user.type(within(dialog).getByLabelText('User name'), 'eve');
  await user.type(within(dialog).getByLabelText('Password'), 'correct horse');
  await user.click(within(dialog).getByRole('button', { name: 'Log in' }));
  await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Your session has ended' })).toBeNull());
  expect(await screen.findByRole('textbox', { name: 'Add a note' })).toHaveValue('');
  expect(await screen.findByRole('button', { name: 'User menu: Eve Examiner, Examiner' })).toBeInTheDocument();
});

test('a first visit without a session still goes to the login page, keeping the page to return to', async () => {
  const api = createTestApi(loggedOut);
  const { location } = renderApp(api, '/?q=utopia');
  await screen.findByRole('heading', { name: 'Log in' });
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
  const labels = within(nav)
    .getAllByRole('link')
    .map((a) => a.textContent);
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
    on('GET', '/api/auth/session', () =>
      ++calls === 1 ? { status: 503, body: { code: 'UNAVAILABLE', message: 'the catalog is not reachable', details: {} } } : ok(sessionAnswer(testUser('viewer'), { csrfToken: 'x', via: 'session' })),
    ),
    emptyLibrary,
  );
  renderApp(api, '/');
  expect(await screen.findByRole('alert')).toHaveTextContent('the catalog is not reachable');
  await userEvent.setup().click(screen.getByRole('button', { name: 'Try again' }));
  expect(await screen.findByRole('button', { name: /User menu: Vic Viewer/ })).toBeInTheDocument();
});

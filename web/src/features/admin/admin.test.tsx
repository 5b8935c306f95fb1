/** @jest-environment jsdom */
import '../../test/dom-setup';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createTestApi, ok, on, renderApp, sessionAs } from '../../test/test-api';
import type { User } from './api';

const user = (username: string, role: User['role'], disabled = false): User => ({
  username,
  role,
  displayName: username.toUpperCase(),
  disabled,
  createdAt: '2026-11-01T08:00:00Z',
  updatedAt: '2026-11-01T08:00:00Z',
});

test('an admin changes a role, disables a user, resets a password and adds a user', async () => {
  let users = [user('admin', 'admin'), user('bo', 'border-officer')];
  const api = createTestApi(
    sessionAs('admin', { username: 'admin' }),
    on('GET', '/api/users', () => ok({ items: users })),
    on('PATCH', '/api/users/bo', (req) => {
      users = users.map((u) => (u.username === 'bo' ? { ...u, ...(req.body as object) } : u));
      return ok(users[1]);
    }),
    on('POST', '/api/users/bo/password', { status: 204 }),
    on('POST', '/api/users', (req) => {
      const body = req.body as { username: string; role: User['role'] };
      if (body.username === 'admin') return { status: 409, body: { code: 'CONFLICT', message: 'user admin already exists', details: {} } };
      users = [...users, user(body.username, body.role)];
      return ok(users.at(-1), 201);
    }),
  );
  const { location } = renderApp(api, '/admin');
  const u = userEvent.setup();
  await waitFor(() => expect(location.current.pathname).toBe('/admin/users'));
  expect(within(screen.getByRole('navigation', { name: 'Main' })).getByRole('link', { name: 'Admin' })).toBeInTheDocument();

  await u.selectOptions(await screen.findByRole('combobox', { name: 'Role of bo' }), 'examiner');
  expect(await screen.findByText('bo is now Examiner.')).toBeInTheDocument();
  expect(api.calls('PATCH', '/api/users/bo')[0]!.body).toEqual({ role: 'examiner' });
  expect(api.calls('PATCH', '/api/users/bo')[0]!.headers['x-csrf-token']).toBe('csrf-admin');

  await u.click(screen.getByRole('button', { name: 'Disable bo' }));
  expect(await screen.findByRole('button', { name: 'Enable bo' })).toBeInTheDocument();
  expect(screen.getByText('bo is disabled and logged out.')).toBeInTheDocument();

  await u.click(screen.getByRole('button', { name: 'Reset password of bo' }));
  await u.type(screen.getByLabelText('New password for bo'), 'short');
  await u.click(screen.getByRole('button', { name: 'Set password' }));
  expect(screen.getByRole('alert')).toHaveTextContent('at least 10 characters');
  await u.clear(screen.getByLabelText('New password for bo'));
  await u.type(screen.getByLabelText('New password for bo'), 'a much longer password');
  await u.click(screen.getByRole('button', { name: 'Set password' }));
  expect(await screen.findByText(/New password set for bo/)).toBeInTheDocument();
  expect(api.calls('POST', '/api/users/bo/password')[0]!.body).toEqual({ password: 'a much longer password' });

  const form = screen.getByRole('region', { name: 'Add a user' });
  await u.type(within(form).getByRole('textbox', { name: 'User name' }), 'pat');
  await u.selectOptions(within(form).getByRole('combobox', { name: 'Role' }), 'prosecutor');
  await u.type(within(form).getByLabelText('Initial password'), 'prosecutor password');
  await u.click(within(form).getByRole('button', { name: 'Add user' }));
  expect(await within(form).findByRole('status')).toHaveTextContent('pat can now log in');
  expect(await screen.findByRole('combobox', { name: 'Role of pat' })).toHaveValue('prosecutor');
});

test('partner keys: add one, a duplicate is refused, revoke', async () => {
  let partners = [{ id: 'pk0001', revision: 1, name: 'Lab North', publicKey: 'pem', fingerprint: 'ab'.repeat(32), addedBy: 'admin', addedAt: '2026-11-01T08:00:00Z', revoked: false }];
  const api = createTestApi(
    sessionAs('admin'),
    on('GET', '/api/partners', () => ok({ items: partners })),
    on('POST', '/api/partners', (req) =>
      (req.body as { name: string }).name === 'Dup' ? { status: 409, body: { code: 'CONFLICT', message: 'listed', details: {} } } : ok({ ...partners[0], id: 'pk0002', name: 'Lab South' }, 201),
    ),
    on('POST', '/api/partners/pk0001/revoke', () => {
      partners = [{ ...partners[0]!, revoked: true }];
      return ok(partners[0]);
    }),
  );
  const confirm = jest.spyOn(window, 'confirm').mockReturnValue(true);
  renderApp(api, '/admin/partners');
  const u = userEvent.setup();
  expect(await screen.findByText('Lab North')).toBeInTheDocument();
  await u.type(screen.getByRole('textbox', { name: 'Lab name' }), 'Dup');
  await u.type(screen.getByRole('textbox', { name: 'Public key (PEM)' }), '-----BEGIN PUBLIC KEY-----x');
  await u.click(screen.getByRole('button', { name: 'Add partner key' }));
  expect(await screen.findByRole('alert')).toHaveTextContent('already listed');

  await u.click(screen.getByRole('button', { name: 'Revoke Lab North' }));
  expect(await screen.findByText(/^Revoked/)).toBeInTheDocument();
  expect(screen.queryByRole('button', { name: 'Revoke Lab North' })).not.toBeInTheDocument();
  confirm.mockRestore();
});

test('the audit log filters by actor and pages back with the cursor', async () => {
  const entry = (seq: number) => ({ seq, time: '2026-11-28T03:00:00Z', actor: 'pat', actorRole: 'prosecutor', action: 'exhibit.download', target: 'case:case000001', hashes: { report: 'f'.repeat(64) }, prevHash: '0'.repeat(64), hash: '1'.repeat(64) });
  const api = createTestApi(
    sessionAs('admin'),
    on('GET', '/api/audit', (req) => (req.url.searchParams.get('cursor') ? ok({ items: [entry(1)], nextCursor: null }) : ok({ items: [entry(3), entry(2)], nextCursor: '2' }))),
  );
  const { location } = renderApp(api, '/admin/audit');
  const u = userEvent.setup();
  await u.type(await screen.findByRole('textbox', { name: 'Actor' }), 'pat');
  await u.click(screen.getByRole('button', { name: 'Filter' }));
  await waitFor(() => expect(location.current.search).toBe('?actor=pat'));
  await waitFor(() => expect(api.calls('GET', '/api/audit').at(-1)!.url.searchParams.get('actor')).toBe('pat'));
  expect(await screen.findAllByText('exhibit.download')).toHaveLength(2);
  await u.click(screen.getByRole('button', { name: 'Older entries' }));
  expect(await screen.findAllByText('exhibit.download')).toHaveLength(3);
  expect(api.calls('GET', '/api/audit').at(-1)!.url.searchParams.get('cursor')).toBe('2');
  expect(screen.queryByRole('button', { name: 'Older entries' })).not.toBeInTheDocument();
});

test('examiners have no admin area but do have the exchange', async () => {
  const api = createTestApi(on('GET', '/api/exchange/key', ok({ labId: 'lab-a', publicKey: '-----BEGIN PUBLIC KEY-----', fingerprint: 'c'.repeat(64) })));
  renderApp(api, '/admin/users');
  expect(await screen.findByText('This page is not available to your role')).toBeInTheDocument();
  const nav = screen.getByRole('navigation', { name: 'Main' });
  expect(within(nav).queryByRole('link', { name: 'Admin' })).not.toBeInTheDocument();
  expect(within(nav).getByRole('link', { name: 'Exchange' })).toBeInTheDocument();
});

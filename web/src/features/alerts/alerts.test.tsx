/** @jest-environment jsdom */
import '../../test/dom-setup';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { makeAlert, makeCapture, makePage, makeSpecimen, makeZone } from '../../test/fixtures';
import { createTestApi, ok, on, renderApp, sessionAs } from '../../test/test-api';
import type { Alert } from './api';

const emblem = makeZone({ type: 'uv-fluorescent-ink', label: 'UV emblem', lightSources: ['uv-365'] });
const capture = makeCapture({ zones: [emblem] });
const fraud = makeSpecimen({ status: 'counterfeit', title: 'Counterfeit Utopia passport', captures: [capture] });

beforeEach(() => localStorage.clear());

test('a border officer sees published alerts, those since the last visit marked new, and the navigation counts them', async () => {
  localStorage.setItem('exemplar.alerts.seen.border.officer', '2026-11-22T00:00:00.000Z');
  const older = makeAlert({ title: 'Old alert', publishedAt: '2026-11-10T08:00:00Z' });
  const newer = makeAlert({ title: 'Fresh alert', severity: 'critical', publishedAt: '2026-11-25T08:00:00Z' });
  const api = createTestApi(
    sessionAs('border-officer'),
    on('GET', '/api/alerts', (req) => (req.url.searchParams.get('since') ? ok({ items: [newer], total: 1 }) : ok({ items: [newer, older], total: 2 }))),
    on('GET', '/api/specimens', ok(makePage([]))),
  );
  renderApp(api, '/');
  const nav = await screen.findByRole('navigation', { name: 'Main' });
  expect(await within(nav).findByLabelText('1 new')).toBeInTheDocument();
  expect(api.calls('GET', '/api/alerts')[0]!.url.searchParams.get('since')).toBe('2026-11-22T00:00:00.000Z');

  await userEvent.setup().click(within(nav).getByRole('link', { name: /Alerts/ }));
  const list = await screen.findByRole('list', { name: 'Alerts' });
  const fresh = within(list).getByRole('link', { name: 'Fresh alert' }).closest('li')!;
  expect(within(fresh).getByText('New')).toBeInTheDocument();
  expect(within(list).getByRole('link', { name: 'Old alert' }).closest('li')).not.toHaveTextContent('New');
  expect(screen.getByRole('status')).toHaveTextContent('1 new alert since your last visit');
  // This visit is remembered: next time only alerts published after now are new.
  expect(localStorage.getItem('exemplar.alerts.seen.border.officer')! > '2026-11-22').toBe(true);
  expect(screen.queryByRole('link', { name: 'New alert' })).not.toBeInTheDocument();
  expect(screen.queryByRole('group', { name: 'Alert status' })).not.toBeInTheDocument();
});

test('the alert page shows each check with its image and the zones it names', async () => {
  const alert = makeAlert({
    specimenId: fraud.id,
    checks: [{ text: 'The emblem must glow under UV 365.', image: { captureId: capture.id, lightSource: 'uv-365' }, zoneIds: [emblem.id] }, { text: 'Feel the intaglio.' }],
  });
  const api = createTestApi(sessionAs('viewer'), on('GET', `/api/alerts/${alert.id}`, ok(alert)), on('GET', `/api/specimens/${fraud.id}`, ok(fraud)));
  const { container } = renderApp(api, `/alerts/${alert.id}`);
  expect(await screen.findByRole('heading', { level: 1, name: alert.title })).toBeInTheDocument();
  const img = await screen.findByRole('img', { name: 'Reference image under UV 365 nm' });
  const uv = capture.images.find((i) => i.lightSource === 'uv-365')!;
  expect(img).toHaveAttribute('src', `/api/images/${uv.sha256}/preview`);
  expect(container.querySelector(`[data-zone-id="${emblem.id}"]`)).not.toBeNull();
  expect(screen.getByText('Feel the intaglio.')).toBeInTheDocument();
  // The status then when it took effect, each said once.
  const status = screen.getByText('Published', { selector: '.pill' }).parentElement!;
  expect(status).toHaveTextContent(/Published since \S/);
  expect(status).not.toHaveTextContent(/published\s+published/i);
  // Viewers neither approve nor edit.
  expect(screen.queryByRole('heading', { name: 'Four-eyes approval' })).not.toBeInTheDocument();
});

test('four eyes: the drafter cannot approve their own alert; a second examiner can', async () => {
  let pending: Alert = makeAlert({ status: 'pending-approval', draftedBy: 'examiner', approvedBy: undefined, publishedAt: undefined, revision: 4 });
  delete pending.approvedBy;
  delete pending.publishedAt;
  const alertApi = [
    on('GET', `/api/alerts/${pending.id}`, () => ok(pending)),
    on('POST', `/api/alerts/${pending.id}/approve`, () => {
      pending = { ...pending, status: 'published', approvedBy: 'otto', publishedAt: '2026-11-28T04:00:00Z', revision: 5 };
      return ok(pending);
    }),
    on('GET', `/api/specimens/spec000001`, ok(fraud)),
  ];

  const own = createTestApi(sessionAs('examiner'), ...alertApi);
  const first = renderApp(own, `/alerts/${pending.id}`);
  expect(await screen.findByText('You drafted or edited this alert, so another examiner must approve it.')).toBeInTheDocument();
  expect(screen.getByRole('button', { name: 'Approve and publish' })).toBeDisabled();
  // The history says what happened in words.
  expect(screen.getByRole('list', { name: 'Alert history' })).toHaveTextContent('Drafted');
  expect(screen.getByRole('list', { name: 'Alert history' })).not.toHaveTextContent('create');
  first.unmount();

  const second = createTestApi(sessionAs('examiner', { username: 'otto', displayName: 'Otto Second' }), ...alertApi);
  renderApp(second, `/alerts/${pending.id}`);
  const user = userEvent.setup();
  await user.click(await screen.findByRole('button', { name: 'Approve and publish' }));
  await waitFor(() => expect(within(screen.getByRole('list', { name: 'Approval steps' })).getByText(/Approved by a second examiner/).closest('li')).toHaveTextContent('otto'));
  expect(second.calls('POST', `/api/alerts/${pending.id}/approve`)[0]!.body).toEqual({ revision: 4 });
  expect(screen.getByText('Published', { selector: '.pill' })).toBeInTheDocument();
});

test('the server refusing an approval for four eyes is explained', async () => {
  const pending = makeAlert({ status: 'pending-approval', draftedBy: 'erin' });
  const api = createTestApi(
    on('GET', `/api/alerts/${pending.id}`, ok(pending)),
    on('POST', `/api/alerts/${pending.id}/approve`, { status: 403, body: { code: 'FOUR_EYES_REQUIRED', message: 'four eyes', details: {} } }),
    on('GET', '/api/specimens/spec000001', ok(fraud)),
  );
  renderApp(api, `/alerts/${pending.id}`);
  await userEvent.setup().click(await screen.findByRole('button', { name: 'Approve and publish' }));
  expect(await screen.findByRole('alert')).toHaveTextContent('A second examiner must approve');
});

test('an examiner drafts an alert from a fraudulent specimen with a check on one of its images', async () => {
  const api = createTestApi(
    on('GET', '/api/alerts', ok({ items: [], total: 0 })),
    on('GET', '/api/specimens', (req) => {
      expect(req.url.searchParams.getAll('status')).not.toContain('genuine');
      return ok(makePage([fraud]));
    }),
    on('GET', `/api/specimens/${fraud.id}`, ok(fraud)),
    on('POST', '/api/alerts', (req) => ok(makeAlert({ ...(req.body as object), id: 'al0099', status: 'draft' }), 201)),
    on('GET', '/api/alerts/al0099', ok(makeAlert({ id: 'al0099', status: 'draft', specimenId: fraud.id }))),
  );
  const { location } = renderApp(api, '/alerts');
  const user = userEvent.setup();
  expect(await screen.findByText('No alerts published')).toBeInTheDocument();
  await user.click(screen.getByRole('link', { name: 'New alert' }));

  await user.type(await screen.findByRole('textbox', { name: /^Title/ }), 'No UV emblem');
  await user.type(screen.getByRole('textbox', { name: /^Summary/ }), 'Counterfeits lack the UV emblem.');
  await user.type(screen.getByRole('searchbox', { name: /^Fraudulent specimen/ }), 'counterfeit');
  await user.click(await screen.findByRole('button', { name: /Counterfeit Utopia passport/ }));
  await waitFor(() => expect(screen.getByRole('textbox', { name: /^Issuing state/ })).toHaveValue('UTO'));
  await user.type(screen.getByRole('textbox', { name: /^Check 1/ }), 'Emblem under UV');
  const imageChoice = screen.getByRole('combobox', { name: 'Image for check 1' }) as HTMLSelectElement;
  // Its label names it alone: a label wrapping the select would make the browser read the chosen option into its name.
  expect(imageChoice.closest('label')).toBeNull();
  expect([...imageChoice.labels].map((l) => l.textContent)).toEqual(['Image for check 1']);
  await user.selectOptions(imageChoice, `${capture.id}|uv-365`);
  expect([...imageChoice.labels].map((l) => l.textContent)).toEqual(['Image for check 1']);
  await user.click(screen.getByRole('checkbox', { name: /UV emblem/ }));
  await user.selectOptions(screen.getByRole('combobox', { name: /^Severity/ }), 'critical');
  await user.click(screen.getByRole('button', { name: 'Create draft' }));

  await waitFor(() => expect(location.current.pathname).toBe('/alerts/al0099'));
  expect(api.calls('POST', '/api/alerts')[0]!.body).toEqual({
    title: 'No UV emblem',
    summary: 'Counterfeits lack the UV emblem.',
    specimenId: fraud.id,
    severity: 'critical',
    affected: { issuingState: 'UTO', documentCategory: 'passport', documentCode: 'P', series: '2019' },
    checks: [{ text: 'Emblem under UV', image: { captureId: capture.id, lightSource: 'uv-365' }, zoneIds: [emblem.id] }],
  });
});

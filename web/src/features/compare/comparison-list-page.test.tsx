/** @jest-environment jsdom */
import '../../test/dom-setup';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { makeApiComparison, makeComparisonWithFindings, makeSpecimen } from '../../test/fixtures';
import { createTestApi, ok, on, renderApp, sessionAs } from '../../test/test-api';

const reference = makeSpecimen({ id: 'spec000001', title: 'Utopia passport, 2019 series — holder A' });

test('a border officer finds their earlier comparisons again from the navigation, newest first, each named and linked', async () => {
  const done = makeComparisonWithFindings({ id: 'cmp0001', request: { reference: { specimenId: reference.id, captureId: 'cap000001' }, notes: 'Gate 4, flight UT123\nsecond line' } });
  const failed = makeApiComparison({
    id: 'cmp0002',
    status: 'failed',
    progress: null,
    reference: null,
    error: { code: 'NO_CANDIDATE', message: 'no genuine reference matched' },
    request: { reference: 'auto' },
  });
  const api = createTestApi(
    sessionAs('border-officer'),
    on('GET', '/api/specimens', ok({ items: [], facets: {}, total: 0, nextCursor: null })),
    on('GET', '/api/comparisons', ok({ items: [failed, done] })),
    on('GET', `/api/specimens/${reference.id}`, ok(reference)),
  );
  const { location } = renderApp(api, '/');
  const user = userEvent.setup();
  await user.click(await within(await screen.findByRole('navigation', { name: 'Main' })).findByRole('link', { name: 'Comparisons' }));
  expect(location.current.pathname).toBe('/comparisons');
  expect(await screen.findByRole('heading', { level: 1, name: 'My comparisons' })).toBeInTheDocument();

  const rows = within(await screen.findByRole('table'))
    .getAllByRole('row')
    .slice(1);
  expect(rows).toHaveLength(2);
  // The failed one first, as the API ordered them; it says what happened, and its reference was to be chosen automatically.
  expect(within(rows[0]!).getByRole('link', { name: 'Questioned (gate4-white.jpg)' })).toHaveAttribute('href', '/comparisons/cmp0002');
  expect(rows[0]).toHaveTextContent('Failed');
  expect(rows[0]).toHaveTextContent('chosen automatically');
  // The finished one: the notes' first line names it, its reference by title, and it says what it found.
  expect(within(rows[1]!).getByRole('link', { name: 'Gate 4, flight UT123' })).toHaveAttribute('href', '/comparisons/cmp0001');
  expect(await within(rows[1]!).findByText('Utopia passport, 2019 series — holder A')).toBeInTheDocument();
  expect(rows[1]).toHaveTextContent('2 findings');
  expect(rows[1]).toHaveTextContent('cmp0001');
  expect(api.calls('GET', '/api/comparisons')[0]!.url.searchParams.get('limit')).toBe('100');
});

test('an examiner sees who submitted each comparison, and can show only the failed ones', async () => {
  const done = makeApiComparison({ id: 'cmp0003', status: 'done', createdBy: 'bo.officer', reference: null, request: { reference: 'auto' } });
  const api = createTestApi(
    sessionAs('examiner'),
    on('GET', '/api/comparisons', (req) => ok({ items: req.url.searchParams.get('status') === 'failed' ? [] : [done] })),
  );
  renderApp(api, '/comparisons');
  expect(await screen.findByRole('heading', { level: 1, name: 'Comparisons' })).toBeInTheDocument();
  expect(await screen.findByRole('cell', { name: 'bo.officer' })).toBeInTheDocument();
  const user = userEvent.setup();
  await user.click(screen.getByRole('button', { name: 'Failed' }));
  expect(await screen.findByText('No failed comparisons')).toBeInTheDocument();
  expect(api.calls('GET', '/api/comparisons').at(-1)!.url.searchParams.get('status')).toBe('failed');
});

test('a prosecutor has no comparison list: none may be read', async () => {
  const api = createTestApi(sessionAs('prosecutor'), on('GET', '/api/specimens', ok({ items: [], facets: {}, total: 0, nextCursor: null })));
  renderApp(api, '/comparisons');
  expect(await screen.findByText('This page is not available to your role')).toBeInTheDocument();
  expect(within(screen.getByRole('navigation', { name: 'Main' })).queryByRole('link', { name: 'Comparisons' })).toBeNull();
});

/** @jest-environment jsdom */
import '../../test/dom-setup';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { makeApiComparison, makeComparisonWithFindings, makeSpecimen } from '../../test/fixtures';
import { createTestApi, ok, on, renderApp, sessionAs } from '../../test/test-api';
import { COMPARISON_PAGE_SIZE, type ApiComparison } from './api';

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
  expect(api.calls('GET', '/api/comparisons')[0]!.url.searchParams.get('limit')).toBe(String(COMPARISON_PAGE_SIZE));
});

test('older comparisons are appended page by page, following the cursor, under the status chosen', async () => {
  const comparison = (n: number, status: 'done' | 'failed' = 'done') =>
    makeApiComparison({ id: `cmp${String(n).padStart(4, '0')}`, status, createdBy: 'examiner', reference: null, request: { reference: 'auto', notes: `Seizure ${n}` } });
  // Newest first: 5, 4 on the first page, 3, 2 on the second, 1 on the last; failed ones are 4 and 2.
  const pages: Record<string, { items: ApiComparison[]; nextCursor: string | null }> = {
    '': { items: [comparison(5), comparison(4, 'failed')], nextCursor: 'cmp0004' },
    cmp0004: { items: [comparison(3), comparison(2, 'failed')], nextCursor: 'cmp0002' },
    cmp0002: { items: [comparison(1)], nextCursor: null },
  };
  let failNext = false;
  const api = createTestApi(
    sessionAs('examiner'),
    on('GET', '/api/comparisons', (req) => {
      const cursor = req.url.searchParams.get('cursor') ?? '';
      if (req.url.searchParams.get('status') === 'failed') {
        return ok(cursor ? { items: [comparison(2, 'failed')], nextCursor: null } : { items: [comparison(4, 'failed')], nextCursor: 'cmp0004' });
      }
      if (failNext) {
        failNext = false;
        return { status: 500, body: { code: 'INTERNAL', message: 'The catalog is not reachable', details: {} } };
      }
      return ok(pages[cursor]!);
    }),
  );
  renderApp(api, '/comparisons');
  const user = userEvent.setup();
  const names = () => within(screen.getByRole('table')).getAllByRole('link').map((a) => a.textContent);

  await user.click(await screen.findByRole('button', { name: 'Older comparisons (2 shown)' }));
  await screen.findByRole('link', { name: 'Seizure 2' });
  expect(names()).toEqual(['Seizure 5', 'Seizure 4', 'Seizure 3', 'Seizure 2']);
  expect(api.calls('GET', '/api/comparisons').at(-1)!.url.searchParams.get('cursor')).toBe('cmp0004');

  // A page that fails to load says so, keeps what is shown, and can be asked again.
  failNext = true;
  await user.click(screen.getByRole('button', { name: 'Older comparisons (4 shown)' }));
  expect(await screen.findByRole('alert')).toHaveTextContent('The catalog is not reachable');
  expect(names()).toHaveLength(4);
  await user.click(screen.getByRole('button', { name: 'Older comparisons (4 shown)' }));
  await screen.findByRole('link', { name: 'Seizure 1' });
  expect(names()).toEqual(['Seizure 5', 'Seizure 4', 'Seizure 3', 'Seizure 2', 'Seizure 1']);
  expect(api.calls('GET', '/api/comparisons').at(-1)!.url.searchParams.get('cursor')).toBe('cmp0002');
  expect(screen.queryByRole('alert')).toBeNull();
  // The last page: nothing older.
  expect(screen.queryByRole('button', { name: /Older comparisons/ })).toBeNull();

  // Another status starts again from its own first page, and pages with its own filter.
  await user.click(screen.getByRole('button', { name: 'Failed' }));
  await waitFor(() => expect(names()).toEqual(['Seizure 4']));
  await user.click(await screen.findByRole('button', { name: 'Older comparisons (1 shown)' }));
  await screen.findByRole('link', { name: 'Seizure 2' });
  expect(names()).toEqual(['Seizure 4', 'Seizure 2']);
  const last = api.calls('GET', '/api/comparisons').at(-1)!.url.searchParams;
  expect([last.get('status'), last.get('cursor'), last.get('limit')]).toEqual(['failed', 'cmp0004', String(COMPARISON_PAGE_SIZE)]);
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

test('the search asks the API, once typing pauses, and finds a comparison the first page does not hold; status and search stay in the address', async () => {
  const comparison = (n: number, notes: string) => makeApiComparison({ id: `cmp${String(n).padStart(4, '0')}`, createdBy: 'examiner', reference: null, request: { reference: 'auto', notes } });
  const newest = Array.from({ length: 3 }, (_, i) => comparison(90 - i, `Routine check ${i}`));
  const calais = comparison(7, 'Seized at Calais ferry terminal');
  const api = createTestApi(
    sessionAs('examiner'),
    // The API's own tests check what a search matches; here: the notes containing the text.
    on('GET', '/api/comparisons', (req) => {
      const q = req.url.searchParams.get('q')?.toLowerCase();
      return ok(q ? { items: [...newest, calais].filter((c) => c.request.notes!.toLowerCase().includes(q)), nextCursor: null } : { items: newest, nextCursor: 'cmp0088' });
    }),
  );
  const { location } = renderApp(api, '/comparisons?status=failed');
  const user = userEvent.setup();
  const names = () => within(screen.getByRole('table')).getAllByRole('link').map((a) => a.textContent);
  await user.click(await screen.findByRole('button', { name: 'All' }));
  await waitFor(() => expect(names()).toEqual(['Routine check 0', 'Routine check 1', 'Routine check 2']));

  const before = api.calls('GET', '/api/comparisons').length;
  await user.type(screen.getByRole('searchbox', { name: 'Search comparisons' }), 'Calais ferry');
  await screen.findByRole('link', { name: 'Seized at Calais ferry terminal' });
  expect(names()).toEqual(['Seized at Calais ferry terminal']);
  // One request for the words typed, not one per key.
  const searches = api.calls('GET', '/api/comparisons').slice(before);
  expect(searches.map((c) => c.url.searchParams.get('q'))).toEqual(['Calais ferry']);
  expect(searches[0]!.url.searchParams.get('cursor')).toBeNull();
  await waitFor(() => expect(location.current.search).toBe('?q=Calais+ferry'));

  // A status chosen keeps the search.
  await user.click(screen.getByRole('button', { name: 'Finished' }));
  await waitFor(() => expect(location.current.search).toBe('?status=done&q=Calais+ferry'));
  const last = api.calls('GET', '/api/comparisons').at(-1)!.url.searchParams;
  expect([last.get('status'), last.get('q')]).toEqual(['done', 'Calais ferry']);

  await user.clear(screen.getByRole('searchbox', { name: 'Search comparisons' }));
  await user.type(screen.getByRole('searchbox', { name: 'Search comparisons' }), 'nothing like it');
  expect(await screen.findByText('No comparison matches “nothing like it”')).toBeInTheDocument();
  await waitFor(() => expect(location.current.search).toBe('?status=done&q=nothing+like+it'));

  // The navigation's link to the list leaves the search: the box empties and the newest are listed again.
  await user.click(within(screen.getByRole('navigation', { name: 'Main' })).getByRole('link', { name: 'Comparisons' }));
  await waitFor(() => expect(names()).toEqual(['Routine check 0', 'Routine check 1', 'Routine check 2']));
  expect(screen.getByRole('searchbox', { name: 'Search comparisons' })).toHaveValue('');
  expect(location.current.search).toBe('');
});

test('a prosecutor has no comparison list: none may be read', async () => {
  const api = createTestApi(sessionAs('prosecutor'), on('GET', '/api/specimens', ok({ items: [], facets: {}, total: 0, nextCursor: null })));
  renderApp(api, '/comparisons');
  expect(await screen.findByText('This page is not available to your role')).toBeInTheDocument();
  expect(within(screen.getByRole('navigation', { name: 'Main' })).queryByRole('link', { name: 'Comparisons' })).toBeNull();
});

test('a page appended names its references asking only for the specimens it brings', async () => {
  const other = makeSpecimen({ id: 'spec000002', title: 'Utopia identity card, 2021 series' });
  const against = (n: number, specimenId: string): ApiComparison =>
    makeApiComparison({ id: `cmp${String(n).padStart(4, '0')}`, createdBy: 'examiner', reference: { specimenId, captureId: 'cap000001' }, request: { reference: { specimenId, captureId: 'cap000001' }, notes: `Seizure ${n}` } });
  const api = createTestApi(
    sessionAs('examiner'),
    on('GET', '/api/comparisons', (req) =>
      ok(req.url.searchParams.get('cursor') ? { items: [against(2, reference.id), against(1, other.id)], nextCursor: null } : { items: [against(3, reference.id)], nextCursor: 'cmp0003' }),
    ),
    on('GET', `/api/specimens/${reference.id}`, ok(reference)),
    on('GET', `/api/specimens/${other.id}`, ok(other)),
  );
  renderApp(api, '/comparisons');
  const user = userEvent.setup();
  expect(await screen.findByText(reference.title)).toBeInTheDocument();
  await user.click(screen.getByRole('button', { name: 'Older comparisons (1 shown)' }));
  expect(await screen.findByText(other.title)).toBeInTheDocument();
  expect(screen.getAllByText(reference.title)).toHaveLength(2);
  expect(api.calls('GET', `/api/specimens/${reference.id}`)).toHaveLength(1);
  expect(api.calls('GET', `/api/specimens/${other.id}`)).toHaveLength(1);
});

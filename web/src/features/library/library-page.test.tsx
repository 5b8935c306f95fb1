/** @jest-environment jsdom */
import '../../test/dom-setup';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { makePage, makeSpecimen } from '../../test/fixtures';
import { createTestApi, ok, on, renderApp } from '../../test/test-api';

const genuine = makeSpecimen({ title: 'Utopia passport, 2019 series' });
const fake = makeSpecimen({ title: 'Counterfeit Utopia passport', status: 'counterfeit', imitates: genuine.id, captures: [] });

const facets = {
  ...makePage([]).facets,
  status: [
    { value: 'genuine', count: 7 },
    { value: 'counterfeit', count: 3 },
  ],
  issuingState: [{ value: 'UTO', count: 10 }],
  lightSource: [{ value: 'uv-365', count: 6 }],
};

test('shows the facets with their counts and the results as a thumbnail grid', async () => {
  const api = createTestApi(on('GET', '/api/specimens', ok(makePage([genuine, fake], { facets, total: 10 }))));
  renderApp(api, '/');

  const results = await screen.findByRole('list', { name: 'Search results' });
  expect(within(results).getAllByRole('link')).toHaveLength(2);
  expect(screen.getByRole('heading', { name: '10 specimens' })).toBeInTheDocument();

  const status = screen.getByRole('group', { name: 'Status' });
  expect(within(status).getByRole('checkbox', { name: /Genuine/ })).not.toBeChecked();
  expect(within(status).getByLabelText('3 specimens')).toBeInTheDocument();
  expect(screen.getByRole('group', { name: 'Light source' })).toHaveTextContent(/UV.*365/);

  // The fraud carries its badge; the genuine card shows its thumbnail from the API.
  const fakeCard = screen.getByRole('link', { name: /Counterfeit Utopia passport/ });
  expect(within(fakeCard).getByText(/fraudulent document/)).toBeInTheDocument();
  expect(within(fakeCard).getByText('No images yet')).toBeInTheDocument();
  const thumb = screen.getByRole('link', { name: /Utopia passport, 2019 series/ }).querySelector('img');
  expect(thumb?.getAttribute('src')).toMatch(/^\/api\/images\/[0-9a-f]{64}\/thumbnail$/);
});

test('ticking a facet puts the filter in the URL and asks the API for it', async () => {
  const api = createTestApi(on('GET', '/api/specimens', ok(makePage([genuine], { facets }))));
  const { location } = renderApp(api, '/');
  const user = userEvent.setup();

  await user.click(await screen.findByRole('checkbox', { name: /Counterfeit/ }));

  await waitFor(() => expect(location.current.search).toBe('?status=counterfeit'));
  await waitFor(() => expect(api.calls('GET', '/api/specimens').at(-1)?.url.searchParams.getAll('status')).toEqual(['counterfeit']));
  expect(screen.getByRole('list', { name: 'Active filters' })).toHaveTextContent('Status: Counterfeit');

  await user.click(screen.getByRole('button', { name: 'Remove filter Status: Counterfeit' }));
  await waitFor(() => expect(location.current.search).toBe(''));
});

test('a ticked or unticked box shows its new state at once, before the URL and the results follow', async () => {
  const api = createTestApi(on('GET', '/api/specimens', ok(makePage([genuine], { facets }))));
  const { location } = renderApp(api, '/');
  const counterfeit = await screen.findByRole('checkbox', { name: /Counterfeit/ });
  const genuineBox = screen.getByRole('checkbox', { name: /Genuine/ });

  // Clicked as in a browser, outside act(): React then renders the router's navigation later, in a transition,
  // as it does on the real page, instead of before the click returns.
  const env = globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean };
  const actEnvironment = env.IS_REACT_ACT_ENVIRONMENT;
  env.IS_REACT_ACT_ENVIRONMENT = false;
  try {
    // Checked as the click returns (what a user and Playwright's check() see), not when the navigation lands.
    counterfeit.click();
    expect(counterfeit).toBeChecked();
    // A second tick before the URL has caught up keeps the first.
    genuineBox.click();
    expect(genuineBox).toBeChecked();
    expect(counterfeit).toBeChecked();
    await waitFor(() => expect(new URLSearchParams(location.current.search).getAll('status').sort()).toEqual(['counterfeit', 'genuine']));
    expect(screen.getByRole('checkbox', { name: /Counterfeit/ })).toBeChecked();

    screen.getByRole('checkbox', { name: /Counterfeit/ }).click();
    expect(screen.getByRole('checkbox', { name: /Counterfeit/ })).not.toBeChecked();
    await waitFor(() => expect(location.current.search).toBe('?status=genuine'));
    expect(screen.getByRole('checkbox', { name: /Counterfeit/ })).not.toBeChecked();
    expect(screen.getByRole('checkbox', { name: /Genuine/ })).toBeChecked();
    await waitFor(() => expect(api.calls('GET', '/api/specimens').at(-1)?.url.searchParams.getAll('status')).toEqual(['genuine']));
  } finally {
    env.IS_REACT_ACT_ENVIRONMENT = actEnvironment;
  }
});

test('a shared link reproduces the search: query, filters, years and sort reach the API', async () => {
  const api = createTestApi(on('GET', '/api/specimens', ok(makePage([fake], { facets }))));
  renderApp(api, '/?q=utopia&status=counterfeit&status=forgery&yearFrom=2010&sort=title&bogus=1');

  await screen.findByRole('list', { name: 'Search results' });
  const sent = api.calls('GET', '/api/specimens')[0]!.url.searchParams;
  expect(sent.get('q')).toBe('utopia');
  expect(sent.getAll('status')).toEqual(['counterfeit', 'forgery']);
  expect(sent.get('yearFrom')).toBe('2010');
  expect(sent.get('sort')).toBe('title');
  expect(sent.has('bogus')).toBe(false);
  expect(screen.getByRole('searchbox', { name: 'Search specimens' })).toHaveValue('utopia');
  // A selected value no longer in the counts stays listed, so it can be unticked.
  expect(screen.getByRole('checkbox', { name: /Forgery/ })).toBeChecked();
});

test('a link with a value no vocabulary knows (an old or mistyped link) searches with the rest instead of failing', async () => {
  const api = createTestApi(
    on('GET', '/api/specimens', (req) =>
      req.url.searchParams.getAll('status').includes('bogus') || req.url.searchParams.has('lightSource')
        ? { status: 400, body: { code: 'VALIDATION_FAILED', message: 'Invalid querystring: /status/0 is not a known specimen status', details: { in: 'querystring' } } }
        : ok(makePage([fake], { facets })),
    ),
  );
  renderApp(api, '/?status=bogus&status=counterfeit&lightSource=uv-999&documentCategory=passport');
  await screen.findByRole('list', { name: 'Search results' });
  const sent = api.calls('GET', '/api/specimens')[0]!.url.searchParams;
  expect(sent.getAll('status')).toEqual(['counterfeit']);
  expect(sent.has('lightSource')).toBe(false);
  expect(sent.getAll('documentCategory')).toEqual(['passport']);
  expect(screen.queryByText('The library could not be searched')).toBeNull();
});

test('typing searches after a pause and keeps the words in the URL', async () => {
  const api = createTestApi(on('GET', '/api/specimens', (req) => ({ status: 200, body: makePage(req.url.searchParams.get('q') ? [fake] : [genuine, fake]) })));
  const { location } = renderApp(api, '/');
  const user = userEvent.setup();
  await screen.findByRole('list', { name: 'Search results' });

  await user.type(screen.getByRole('searchbox', { name: 'Search specimens' }), 'counterfeit');
  await waitFor(() => expect(location.current.search).toBe('?q=counterfeit'));
  await waitFor(() => expect(within(screen.getByRole('list', { name: 'Search results' })).getAllByRole('link')).toHaveLength(1));
  // One request for the words, not one per keystroke.
  expect(api.calls('GET', '/api/specimens').filter((r) => r.url.searchParams.has('q'))).toHaveLength(1);
});

/** Runs a test on jest's clock, so that what happens during the typing pause happens before it ends, however slow the machine. */
async function onTestClock(run: () => Promise<void>) {
  jest.useFakeTimers();
  try {
    await run();
  } finally {
    jest.useRealTimers();
  }
}

/** Well past the typing pause. */
const PAUSE_OVER_MS = 1000;

test('a result chosen during the typing pause is where the user stays: the pending search does not follow them', () =>
  onTestClock(async () => {
    const api = createTestApi(on('GET', '/api/specimens', ok(makePage([genuine, fake]))), on('GET', `/api/specimens/${genuine.id}`, ok(genuine)));
    const { location, router } = renderApp(api, '/');
    const user = userEvent.setup({ advanceTimers: (ms) => jest.advanceTimersByTime(ms) });
    const specimenPath = `/specimens/${genuine.id}`;

    await user.type(await screen.findByRole('searchbox', { name: 'Search specimens' }), 'passport');
    // The pause ends in the instant after the app has taken the click and before it has drawn the specimen page, as
    // it may on a busy machine (the next page is drawn in a transition, the library meanwhile stays on screen).
    let libraryShownAtPauseEnd: boolean | undefined;
    const stopWatching = router.subscribe((state) => {
      if (state.location.pathname !== specimenPath || libraryShownAtPauseEnd !== undefined) return;
      libraryShownAtPauseEnd = screen.queryByRole('searchbox', { name: 'Search specimens' }) !== null;
      jest.advanceTimersByTime(PAUSE_OVER_MS);
    });
    await user.click(within(screen.getByRole('list', { name: 'Search results' })).getByRole('link', { name: /Utopia passport, 2019 series/ }));
    stopWatching();
    expect(libraryShownAtPauseEnd).toBe(true);

    expect(await screen.findByRole('heading', { level: 1, name: genuine.title })).toBeInTheDocument();
    expect(location.current.pathname).toBe(specimenPath);
    expect(location.current.search).toBe('');
    expect(api.calls('GET', '/api/specimens').filter((r) => r.url.searchParams.has('q'))).toHaveLength(0);
  }));

test('a filter ticked during the typing pause is kept when the typed words are searched', () =>
  onTestClock(async () => {
    const api = createTestApi(on('GET', '/api/specimens', ok(makePage([genuine, fake], { facets }))));
    const { location } = renderApp(api, '/');
    const user = userEvent.setup({ advanceTimers: (ms) => jest.advanceTimersByTime(ms) });

    await user.type(await screen.findByRole('searchbox', { name: 'Search specimens' }), 'utopia');
    await user.click(screen.getByRole('checkbox', { name: /Counterfeit/ }));
    expect(location.current.search).toBe('?status=counterfeit');
    await act(async () => jest.advanceTimersByTime(PAUSE_OVER_MS));

    await waitFor(() => expect(new URLSearchParams(location.current.search).get('q')).toBe('utopia'));
    expect(new URLSearchParams(location.current.search).getAll('status')).toEqual(['counterfeit']);
    expect(screen.getByRole('list', { name: 'Active filters' })).toHaveTextContent('Status: Counterfeit');
  }));

test('"load more" follows the cursor and appends the next page', async () => {
  const more = makeSpecimen({ title: 'Utopia identity card' });
  const api = createTestApi(
    on('GET', '/api/specimens', (req) =>
      req.url.searchParams.get('cursor') === 'c2'
        ? { status: 200, body: makePage([more], { total: 3 }) }
        : { status: 200, body: makePage([genuine, fake], { total: 3, nextCursor: 'c2' }) },
    ),
  );
  renderApp(api, '/?status=genuine');
  const user = userEvent.setup();

  await user.click(await screen.findByRole('button', { name: 'Load more (2 of 3)' }));

  const results = screen.getByRole('list', { name: 'Search results' });
  await waitFor(() => expect(within(results).getAllByRole('link')).toHaveLength(3));
  const second = api.calls('GET', '/api/specimens')[1]!.url.searchParams;
  expect(second.get('cursor')).toBe('c2');
  expect(second.getAll('status')).toEqual(['genuine']);
  expect(screen.queryByRole('button', { name: /Load more/ })).not.toBeInTheDocument();
});

test('empty and error states say what happened and offer a way on', async () => {
  let fail = true;
  const api = createTestApi(
    on('GET', '/api/specimens', (req) => {
      if (fail) return { status: 503, body: { code: 'QUEUE_FULL', message: 'The server is busy', details: {} } };
      return { status: 200, body: makePage([]) };
    }),
  );
  renderApp(api, '/?q=nothing');
  const user = userEvent.setup();

  const alert = await screen.findByRole('alert');
  expect(alert).toHaveTextContent('The library could not be searched');
  expect(alert).toHaveTextContent('The server is busy');

  fail = false;
  await user.click(within(alert).getByRole('button', { name: 'Try again' }));
  expect(await screen.findByText('No specimen matches this search')).toBeInTheDocument();
  // The filter panel beside it is not a blank box: it says there is nothing to filter.
  expect(within(screen.getByRole('complementary', { name: 'Filters' })).getByText('No filters for these results.')).toBeInTheDocument();
});

/** @jest-environment jsdom */
import '../../test/dom-setup';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { IdentificationCandidate, IdentificationResult } from '@exemplar/specimens-schema';
import { makeApiComparison, makeCapture, makeImage, makeLightResult, makeSpecimen } from '../../test/fixtures';
import { createTestApi, ok, on, renderApp, sessionAs } from '../../test/test-api';

const capture = makeCapture({ id: 'cap000001', images: [makeImage('white')] });
const reference = makeSpecimen({ id: 'spec000001', title: 'Utopia passport, 2019 series — holder A', captures: [capture] });

function candidate(specimenId: string, captureId: string, title: string, status: IdentificationCandidate['status'], inliers: number): IdentificationCandidate {
  return { specimenId, captureId, lightSource: 'white', score: Math.min(1, inliers / 300), inliers, similarity: 0.8, verified: true, title, status, issuingState: 'UTO', documentCode: 'P', page: 'data-page' };
}
const genuineA = candidate(reference.id, capture.id, reference.title, 'genuine', 76);
const forgery = candidate('spec000009', 'cap000009', 'Utopia passport, 2019 series — altered date of birth', 'forgery', 240);
const counterfeit = candidate('spec000008', 'cap000008', 'Utopia passport, 2019 series — wrong guilloche', 'counterfeit', 84);

function doneWith(identification: IdentificationResult | null, request: Parameters<typeof makeApiComparison>[0] = {}) {
  return makeApiComparison({
    status: 'done',
    progress: { fraction: 1, stage: 'store' },
    identification,
    startedAt: '2024-05-01T10:00:01Z',
    finishedAt: '2024-05-01T10:00:03Z',
    result: {
      anchorLight: 'white',
      alignment: { homography: [1, 0, 0, 0, 1, 0, 0, 0, 1], inliers: 420, rmse: 0.4, method: 'akaze', message: 'ok' },
      lights: [makeLightResult('white')],
      skipped: [],
      parameters: {},
      versions: {},
      elapsedMs: { total: 1800 },
    },
    ...request,
  });
}

test('a questioned document closer to a known fraud than to any genuine reference is flagged, and can be compared with that fraud', async () => {
  const job = doneWith({ method: 'orb-lsh-v2', searched: 9, verified: 3, candidates: [forgery, counterfeit, genuineA] });
  const api = createTestApi(
    on('GET', '/api/comparisons/cmp0001', ok(job)),
    on('GET', `/api/specimens/${reference.id}`, ok(reference)),
    on('POST', '/api/comparisons', ok(makeApiComparison({ id: 'cmp0002' }), 202)),
    on('GET', '/api/comparisons/cmp0002', ok(makeApiComparison({ id: 'cmp0002', status: 'queued' }))),
  );
  const { location } = renderApp(api, '/comparisons/cmp0001');
  const user = userEvent.setup();

  const banner = await screen.findByRole('alert', { name: 'Known fraud match' });
  expect(banner).toHaveTextContent('matches a known fraud in the library more closely than any genuine reference');
  expect(within(banner).getByRole('link', { name: forgery.title })).toHaveAttribute('href', `/specimens/${forgery.specimenId}`);
  expect(banner).toHaveTextContent('match 80% (240 points agree)');
  // The counterfeit is no closer than the genuine reference: only the forgery is named.
  expect(within(banner).queryByText(counterfeit.title)).toBeNull();

  const matches = screen.getByRole('list', { name: 'Library matches' });
  expect(within(matches).getAllByRole('listitem')).toHaveLength(3);
  expect(within(matches).getByText(/the reference of this comparison/)).toBeInTheDocument();
  // Every match but the current reference can be compared with; the banner offers its fraud too.
  expect(within(matches).getAllByRole('button', { name: /^Compare with/ })).toHaveLength(2);

  await user.click(within(banner).getByRole('button', { name: `Compare with ${forgery.title}` }));
  await waitFor(() => expect(location.current.pathname).toBe('/comparisons/cmp0002'));
  expect(api.calls('POST', '/api/comparisons')[0]!.body).toEqual({
    reference: { specimenId: forgery.specimenId, captureId: forgery.captureId },
    questioned: { images: { white: job.questioned['white']!.sha256 } },
  });
});

test('compared with the fraud sample itself, the banner names it as this comparison\'s reference rather than offering the same comparison again', async () => {
  const fraudRef = { specimenId: forgery.specimenId, captureId: forgery.captureId };
  const job = doneWith({ method: 'orb-lsh-v2', searched: 9, verified: 3, candidates: [forgery, counterfeit, genuineA] }, { reference: fraudRef, request: { reference: fraudRef } });
  const fraudSpecimen = makeSpecimen({ id: forgery.specimenId, title: forgery.title, status: 'forgery', forgeryMethods: ['mrz-alteration'], captures: [makeCapture({ id: forgery.captureId, images: [makeImage('white')] })] });
  renderApp(createTestApi(on('GET', '/api/comparisons/cmp0001', ok(job)), on('GET', `/api/specimens/${forgery.specimenId}`, ok(fraudSpecimen))), '/comparisons/cmp0001');
  const banner = await screen.findByRole('alert', { name: 'Known fraud match' });
  expect(within(banner).queryByRole('button', { name: `Compare with ${forgery.title}` })).toBeNull();
  expect(banner).toHaveTextContent('the reference of this comparison');
});

test('an automatic reference says why it was chosen; look-alike frauds of the design raise no alarm', async () => {
  // A genuine questioned document: the frauds of its design verify too, with far fewer points.
  const candidates = [candidate(reference.id, capture.id, reference.title, 'genuine', 228), { ...counterfeit, inliers: 91 }, { ...forgery, inliers: 73 }];
  const job = doneWith({ method: 'orb-lsh-v2', searched: 9, verified: 3, candidates }, { request: { reference: 'auto' } });
  renderApp(createTestApi(on('GET', '/api/comparisons/cmp0001', ok(job)), on('GET', `/api/specimens/${reference.id}`, ok(reference))), '/comparisons/cmp0001');
  expect(await screen.findByText('Reference chosen automatically: the closest genuine match among 9 library images — match 76% (228 points agree)')).toBeInTheDocument();
  expect(screen.queryByRole('alert', { name: 'Known fraud match' })).toBeNull();
});

test('an automatic reference that identification did not verify says it was confirmed by full alignment, and which candidate the alignment refused', async () => {
  // A close-up of the passport: no candidate verified; the full alignment refused the ID card ranked first and accepted the passport.
  const unverified = (c: IdentificationCandidate, inliers: number, fullAlignment: IdentificationCandidate['fullAlignment']): IdentificationCandidate => ({ ...c, verified: false, score: 0, inliers, ...(fullAlignment && { fullAlignment }) });
  const idCard = candidate('spec000007', 'cap000007', 'Utopia identity card, 2021 series', 'genuine', 0);
  const candidates = [unverified(idCard, 31, 'refused'), unverified(genuineA, 30, 'accepted'), unverified(counterfeit, 12, undefined)];
  const job = doneWith({ method: 'orb-lsh-v2', searched: 9, verified: 9, candidates }, { request: { reference: 'auto' } });
  renderApp(createTestApi(on('GET', '/api/comparisons/cmp0001', ok(job)), on('GET', `/api/specimens/${reference.id}`, ok(reference))), '/comparisons/cmp0001');
  expect(
    await screen.findByText('Reference chosen automatically: no genuine match among 9 library images was verified by identification; this one, among the best ranked, was confirmed by full alignment'),
  ).toBeInTheDocument();
  const items = within(screen.getByRole('list', { name: 'Library matches' })).getAllByRole('listitem');
  expect(items[0]).toHaveTextContent('not verified; the full alignment refused it');
  expect(items[1]).toHaveTextContent('not verified by identification; confirmed by full alignment · the reference of this comparison');
  expect(items[2]).toHaveTextContent('· not verified');
  expect(items[2]).not.toHaveTextContent('full alignment');
});

test('a comparison without identification (made before it, or without a visible-light image) shows no library matches', async () => {
  renderApp(createTestApi(on('GET', '/api/comparisons/cmp0001', ok(doneWith(null))), on('GET', `/api/specimens/${reference.id}`, ok(reference))), '/comparisons/cmp0001');
  expect(await screen.findByRole('link', { name: reference.title })).toBeInTheDocument();
  expect(screen.queryByRole('list', { name: 'Library matches' })).toBeNull();
  expect(screen.queryByRole('alert', { name: 'Known fraud match' })).toBeNull();
});

test('a user who may not submit comparisons sees the matches without the buttons', async () => {
  const job = doneWith({ method: 'orb-lsh-v2', searched: 9, verified: 3, candidates: [forgery, genuineA] });
  renderApp(createTestApi(sessionAs('prosecutor'), on('GET', '/api/comparisons/cmp0001', ok(job)), on('GET', `/api/specimens/${reference.id}`, ok(reference))), '/comparisons/cmp0001');
  expect(within(await screen.findByRole('alert', { name: 'Known fraud match' })).queryAllByRole('button')).toEqual([]);
  expect(within(screen.getByRole('list', { name: 'Library matches' })).queryAllByRole('button')).toEqual([]);
});

/** @jest-environment jsdom */
import '../../test/dom-setup';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { makeApiComparison, makeCapture, makeImage, makeSpecimen } from '../../test/fixtures';
import { createTestApi, ok, on, renderApp, sessionAs } from '../../test/test-api';

const back = makeCapture({ id: 'cap000009', page: 'back', images: [makeImage('white')] });
const dataPage = makeCapture({ id: 'cap000010', page: 'data-page', images: [makeImage('white'), makeImage('ir-870')] });
const chosen = makeSpecimen({ id: 'spec000010', title: 'Utopia passport, 2019 series — data page (holder A)', captures: [back, dataPage] });

test('an automatic reference that matched nothing lets the officer choose the reference for the same images, without uploading them again', async () => {
  const failed = makeApiComparison({
    status: 'failed',
    progress: null,
    error: { code: 'NO_CANDIDATE', message: 'identification found no genuine reference capture matching the questioned image (12 images searched)' },
    request: { reference: 'auto', notes: 'Gate 4' },
  });
  const api = createTestApi(
    sessionAs('border-officer'),
    on('GET', '/api/comparisons/cmp0001', ok(failed)),
    on('GET', '/api/specimens', ok({ items: [chosen], facets: {}, total: 1, nextCursor: null })),
    on('POST', '/api/comparisons', ok(makeApiComparison({ id: 'cmp0002' }), 202)),
    on('GET', '/api/comparisons/cmp0002', ok(makeApiComparison({ id: 'cmp0002', status: 'queued' }))),
  );
  const { location } = renderApp(api, '/comparisons/cmp0001');
  const user = userEvent.setup();
  const again = await screen.findByRole('region', { name: 'Compare these images with another reference' });
  await user.type(within(again).getByRole('searchbox', { name: 'Search the library for the reference' }), 'holder A');
  await user.click(await within(again).findByRole('button', { name: 'Compare with Utopia passport, 2019 series — data page (holder A)' }));

  await waitFor(() => expect(location.current.pathname).toBe('/comparisons/cmp0002'));
  // The stored questioned images, named by hash, against the chosen specimen's data page; the notes go along.
  expect(api.calls('POST', '/api/comparisons')[0]!.body).toEqual({
    reference: { specimenId: chosen.id, captureId: dataPage.id },
    notes: 'Gate 4',
    questioned: { images: { white: failed.questioned['white']!.sha256 } },
  });
});

test('a specimen without images is refused where it was picked, not sent', async () => {
  const failed = makeApiComparison({ status: 'failed', progress: null, error: { code: 'ALIGNMENT_FAILED', message: 'too few inliers' } });
  const empty = makeSpecimen({ id: 'spec000011', title: 'Utopia visa, 2022 series', captures: [] });
  const api = createTestApi(
    sessionAs('border-officer'),
    on('GET', '/api/comparisons/cmp0001', ok(failed)),
    on('GET', '/api/specimens', ok({ items: [empty], facets: {}, total: 1, nextCursor: null })),
  );
  renderApp(api, '/comparisons/cmp0001');
  const user = userEvent.setup();
  const again = await screen.findByRole('region', { name: 'Compare these images with another reference' });
  await user.type(within(again).getByRole('searchbox', { name: 'Search the library for the reference' }), 'visa');
  await user.click(await within(again).findByRole('button', { name: 'Compare with Utopia visa, 2022 series' }));
  expect(await within(again).findByText('Utopia visa, 2022 series has no images to compare with.')).toBeInTheDocument();
  expect(api.calls('POST', '/api/comparisons')).toEqual([]);
});

/** @jest-environment jsdom */
import '../../test/dom-setup';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { makeApiComparison, makeCapture, makePage, makeSpecimen } from '../../test/fixtures';
import { createTestApi, ok, on, renderApp } from '../../test/test-api';

const dataPage = makeCapture({ page: 'data-page' });
const back = makeCapture({ page: 'back' });
const reference = makeSpecimen({ title: 'Utopia passport, 2019 series — holder A', captures: [back, dataPage] });
const png = (name: string, size = 2000) => new File([new Uint8Array(size)], name, { type: 'image/png' });

function api() {
  return createTestApi(
    on('GET', `/api/specimens/${reference.id}`, ok(reference)),
    on('GET', '/api/specimens', (req) => ok(makePage(req.url.searchParams.get('q') ? [reference] : []))),
    on('POST', '/api/identify', ok({ method: 'orb-lsh-v1', searched: 9, verified: 3, candidates: [
      { specimenId: reference.id, captureId: dataPage.id, lightSource: 'white', score: 0.87, inliers: 312, similarity: 0.9, verified: true, title: reference.title, status: 'genuine', issuingState: 'UTO', page: 'data-page' },
    ] })),
    on('POST', '/api/comparisons', ok(makeApiComparison({ id: 'cmp0042' }), 202)),
    on('GET', '/api/comparisons/cmp0042', ok(makeApiComparison({ id: 'cmp0042' }))),
  );
}

test('from a specimen: questioned images per light source and the reference capture go up in one request', async () => {
  const testApi = api();
  const { location } = renderApp(testApi, `/compare?reference=${reference.id}`);
  const user = userEvent.setup();

  const card = await screen.findByLabelText('Chosen reference');
  expect(card).toHaveTextContent(reference.title);
  // The data page is the default capture to compare with.
  expect(within(card).getByRole('combobox', { name: 'Page' })).toHaveValue(dataPage.id);

  await user.upload(screen.getByLabelText('Add several questioned image files'), [png('gate4_uv-365.png'), png('gate4_white.png', 5000)]);
  await user.type(screen.getByRole('textbox', { name: 'Notes (optional)' }), 'Case 2024-117');
  await user.click(screen.getByRole('button', { name: 'Compare 2 images' }));

  await waitFor(() => expect(location.current.pathname).toBe('/comparisons/cmp0042'));
  const form = testApi.calls('POST', '/api/comparisons')[0]!.body as FormData;
  expect(JSON.parse(form.get('comparison') as string)).toEqual({ reference: { specimenId: reference.id, captureId: dataPage.id }, notes: 'Case 2024-117' });
  expect([...form.keys()]).toEqual(['comparison', 'white', 'uv-365']);
  expect((form.get('white') as File).name).toBe('gate4_white.png');
});

test('identification suggests references from the white image; choosing one makes it the reference', async () => {
  const testApi = api();
  renderApp(testApi, '/compare');
  const user = userEvent.setup();

  const suggest = await screen.findByRole('button', { name: 'Suggest references from the questioned image' });
  expect(suggest).toBeDisabled();
  expect(screen.getByRole('button', { name: 'Compare 0 images' })).toBeDisabled();
  await user.upload(screen.getByLabelText('Image for White light'), png('white.png'));
  await user.type(screen.getByRole('textbox', { name: 'Issuing state' }), 'uto');
  await user.click(suggest);

  const list = await screen.findByRole('list', { name: 'Suggested references' });
  expect(list).toHaveTextContent('match 87% (312 points agree)');
  const form = testApi.calls('POST', '/api/identify')[0]!.body as FormData;
  expect((form.get('image') as File).name).toBe('white.png');
  expect(form.get('issuingState')).toBe('UTO');

  await user.click(within(list).getByRole('button', { name: `Use ${reference.title} as reference` }));
  const card = await screen.findByLabelText('Chosen reference');
  expect(within(card).getByRole('combobox', { name: 'Page' })).toHaveValue(dataPage.id);
  expect(screen.getByRole('button', { name: 'Compare 1 image' })).toBeEnabled();
});

test('a refused questioned image is reported at its slot', async () => {
  const testApi = createTestApi(
    on('GET', `/api/specimens/${reference.id}`, ok(reference)),
    on('POST', '/api/comparisons', { status: 422, body: { code: 'IMAGE_CORRUPT', message: 'The uv-365 image is truncated', details: { lightSource: 'uv-365' } } }),
  );
  renderApp(testApi, `/compare?reference=${reference.id}`);
  const user = userEvent.setup();
  await screen.findByLabelText('Chosen reference');
  await user.upload(screen.getByLabelText('Image for UV 365 nm'), png('uv.png'));
  await user.click(screen.getByRole('button', { name: 'Compare 1 image' }));
  const slot = (await screen.findByText('uv.png')).closest('li') as HTMLElement;
  expect(await within(slot).findByRole('alert')).toHaveTextContent('truncated');
  expect(screen.getByText('The comparison could not be started')).toBeInTheDocument();
});

test('MRZ lines typed with the questioned images go with the comparison, for the register check', async () => {
  const testApi = api();
  renderApp(testApi, `/compare?reference=${reference.id}`);
  const user = userEvent.setup();
  await screen.findByLabelText('Chosen reference');
  await user.upload(screen.getByLabelText('Image for White light'), png('w.png'));
  const mrz = screen.getByRole('textbox', { name: 'MRZ lines (optional)' });
  await user.type(mrz, 'P<UTOERIKSSON<<ANNA');
  expect(screen.getByRole('button', { name: 'Compare 1 image' })).toBeDisabled();
  await user.type(mrz, '{enter}L898902C36UTO7408122F1204159ZE184226B<<<<<10');
  await user.click(screen.getByRole('button', { name: 'Compare 1 image' }));
  await waitFor(() => expect(testApi.calls('POST', '/api/comparisons')).toHaveLength(1));
  const form = testApi.calls('POST', '/api/comparisons')[0]!.body as FormData;
  expect(JSON.parse(form.get('comparison') as string).mrz).toEqual({ lines: ['P<UTOERIKSSON<<ANNA', 'L898902C36UTO7408122F1204159ZE184226B<<<<<10'] });
});

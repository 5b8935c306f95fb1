/** @jest-environment jsdom */
import '../../test/dom-setup';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { makeCapture, makeImage, makePage, makeSpecimen, makeZone } from '../../test/fixtures';
import { createTestApi, ok, on, renderApp, sessionAs } from '../../test/test-api';

// Previews rather than deep-zoom tiles: jsdom cannot fetch tiles, and the viewer opens either the same way.
const preview = { derivatives: { thumbnail: 'derivatives/aa/t.webp', preview: 'derivatives/aa/p.jpg' } };
const white = makeImage('white', { ...preview, originalName: 'utopia-white.png' });
const uv = makeImage('uv-365', preview);
const ir = makeImage('ir-870', preview);
const guilloche = makeZone({ type: 'guilloche', label: 'Background rosette', lightSources: ['white', 'ir-870'] });
const uvFibres = makeZone({ type: 'uv-fibres', lightSources: ['uv-365'] });
const photo = makeZone({ type: 'photo', personalised: true, lightSources: ['white', 'uv-365', 'ir-870'] });
const genuine = makeSpecimen({
  title: 'Utopia passport, 2019 series',
  issued: { from: 2019 },
  provenance: { source: 'Utopia Ministry of Interior', caseReference: 'REF-1' },
  tags: ['demo', 'td3'],
  captures: [makeCapture({ images: [white, uv, ir], zones: [guilloche, uvFibres, photo], device: 'VSC 8000', dpi: 600, capturedAt: '2024-05-06T09:30:00.000Z' })],
});
const counterfeit = makeSpecimen({
  title: 'Counterfeit Utopia passport (wrong guilloche)',
  status: 'counterfeit',
  imitates: genuine.id,
  modusOperandi: 'Offset print on ordinary paper',
  classification: 'restricted',
});

function api() {
  return createTestApi(
    on('GET', `/api/specimens/${genuine.id}`, ok(genuine)),
    on('GET', `/api/specimens/${counterfeit.id}`, ok(counterfeit)),
    on('GET', '/api/specimens', (req) =>
      ok(makePage(req.url.searchParams.get('imitates') === genuine.id ? [counterfeit] : [])),
    ),
  );
}

test('shows the metadata, the original with its SHA-256 and a download link', async () => {
  renderApp(api(), `/specimens/${genuine.id}`);

  expect(await screen.findByRole('heading', { level: 1, name: genuine.title })).toBeInTheDocument();
  expect(document.title).toBe(`${genuine.title} — Exemplar`);
  const details = screen.getByRole('region', { name: 'Details' });
  expect(details).toHaveTextContent('Utopia');
  expect(details).toHaveTextContent('since 2019');
  expect(details).toHaveTextContent('Utopia Ministry of Interior');
  expect(within(details).getByRole('list', { name: 'Tags' })).toHaveTextContent('td3');

  const original = screen.getByRole('region', { name: /Original image, White/ });
  expect(within(original).getByTestId('image-sha256')).toHaveTextContent(white.sha256);
  const download = within(original).getByRole('link', { name: 'Download original' });
  expect(download).toHaveAttribute('href', `/api/images/${white.sha256}`);
  expect(download).toHaveAttribute('download', 'utopia-white.png');
  // The capture's time reads like every other time on the page.
  expect(screen.getByRole('region', { name: 'Capture' })).toHaveTextContent('Captured6 May 2024, 09:30 UTC');
});

test('number keys and buttons switch the light source; zones not shown in that light are dimmed', async () => {
  const { location } = renderApp(api(), `/specimens/${genuine.id}`);
  const user = userEvent.setup();
  const switcher = await screen.findByRole('group', { name: 'Light source' });
  const buttons = within(switcher).getAllByRole('button');
  expect(buttons.map((b) => b.textContent)).toEqual([expect.stringMatching(/^1White/), expect.stringMatching(/^2UV.*365/), expect.stringMatching(/^3IR.*870/)]);
  expect(buttons[0]).toHaveAttribute('aria-pressed', 'true');

  const viewer = screen.getByRole('group', { name: /Data page under White/ });
  const zoneShapes = () => Object.fromEntries([...viewer.querySelectorAll('[data-zone-id]')].map((g) => [g.getAttribute('data-zone-id'), g.getAttribute('data-visible')]));
  await waitFor(() => expect(zoneShapes()).toEqual({ [guilloche.id]: 'true', [uvFibres.id]: 'false', [photo.id]: 'true' }));

  await user.keyboard('2');
  expect(within(switcher).getByRole('button', { name: /UV/ })).toHaveAttribute('aria-pressed', 'true');
  expect(location.current.search).toBe('?light=uv-365');
  // The same viewer (same zoom and pan) now shows the UV image.
  expect(screen.getByRole('group', { name: /Data page under UV/ })).toBe(viewer);
  expect(zoneShapes()).toEqual({ [guilloche.id]: 'false', [uvFibres.id]: 'true', [photo.id]: 'true' });
  expect(screen.getByRole('region', { name: /Original image, UV/ })).toHaveTextContent(uv.sha256);

  const zones = screen.getByRole('region', { name: /Feature zones/ });
  expect(within(zones).getByText(/not visible under UV/)).toBeInTheDocument();
  expect(within(zones).getByText('personalised')).toBeInTheDocument();

  await user.click(within(switcher).getByRole('button', { name: /IR/ }));
  expect(location.current.search).toBe('?light=ir-870');

  const toggle = screen.getByRole('checkbox', { name: 'Show feature zones' });
  await user.click(toggle);
  expect(viewer.querySelectorAll('[data-zone-id]')).toHaveLength(0);
});

test('a fraud links to the genuine it imitates, and the genuine lists the frauds imitating it', async () => {
  const testApi = api();
  renderApp(testApi, `/specimens/${counterfeit.id}`);
  const user = userEvent.setup();

  expect(await screen.findByRole('heading', { level: 1, name: counterfeit.title })).toBeInTheDocument();
  expect(screen.getAllByText(/fraudulent document/).length).toBeGreaterThan(0);
  expect(screen.getByText('Offset print on ordinary paper')).toBeInTheDocument();
  const related = screen.getByRole('region', { name: 'Related specimens' });
  await user.click(await within(related).findByRole('link', { name: genuine.title }));

  expect(await screen.findByRole('heading', { level: 1, name: genuine.title })).toBeInTheDocument();
  const back = screen.getByRole('region', { name: 'Related specimens' });
  expect(await within(back).findByRole('link', { name: counterfeit.title })).toHaveAttribute('href', `/specimens/${counterfeit.id}`);
  await waitFor(() => expect(testApi.calls('GET', '/api/specimens').some((r) => r.url.searchParams.get('imitates') === genuine.id)).toBe(true));
});

test('an unknown specimen says so and links back to the library', async () => {
  renderApp(createTestApi(on('GET', /^\/api\/specimens\/.+/, { status: 404, body: { code: 'SPECIMEN_NOT_FOUND', message: 'Specimen not found', details: {} } })), '/specimens/nosuch1');
  expect(await screen.findByText('No such specimen')).toBeInTheDocument();
  expect(screen.getByRole('link', { name: 'Search the library' })).toHaveAttribute('href', '/');
});

test('a specimen without captures offers the upload instead of an empty viewer', async () => {
  const bare = makeSpecimen({ captures: [] });
  renderApp(createTestApi(on('GET', `/api/specimens/${bare.id}`, ok(bare)), on('GET', '/api/specimens', ok(makePage([])))), `/specimens/${bare.id}`);
  expect(await screen.findByText('No images yet')).toBeInTheDocument();
  expect(screen.getByRole('link', { name: 'Upload a capture' })).toHaveAttribute('href', `/specimens/${bare.id}/edit#captures`);
});

test('a border officer may compare against a specimen but not edit it; a viewer may do neither', async () => {
  const specimen = makeSpecimen();
  for (const [role, compare, edit] of [
    ['border-officer', true, false],
    ['viewer', false, false],
  ] as const) {
    const api = createTestApi(sessionAs(role), on('GET', `/api/specimens/${specimen.id}`, ok(specimen)));
    const { unmount } = renderApp(api, `/specimens/${specimen.id}`);
    await screen.findByRole('heading', { level: 1, name: specimen.title });
    expect(screen.queryAllByRole('link', { name: 'Compare a document with this' })).toHaveLength(compare ? 1 : 0);
    expect(screen.queryAllByRole('link', { name: 'Edit' })).toHaveLength(edit ? 1 : 0);
    unmount();
  }
});

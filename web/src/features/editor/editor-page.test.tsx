/** @jest-environment jsdom */
import '../../test/dom-setup';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Capture, FeatureZone, Specimen } from '@exemplar/specimens-schema';
import { makeCapture, makeImage, makePage, makeSpecimen, makeZone } from '../../test/fixtures';
import { createTestApi, ok, on, renderApp, sessionAnswer, testUser, type Handler, type RecordedRequest } from '../../test/test-api';

const conflict = (current: number) => ({ status: 409, body: { code: 'REVISION_CONFLICT', message: 'stale revision', details: { currentRevision: current } } });

/**
 * The API behind the editor of one specimen: GET answers what is stored (`store.specimen`, which a test may
 * change as another user would), PATCH changes it and PUT replaces a capture's zones (new zones get an id), each at
 * its current revision, refusing a stale one (409). `more` are the test's own handlers, given the store; they come
 * before the PUT.
 */
function editorApi(initial: Specimen, more: (store: { specimen: Specimen }) => Handler[] = () => []) {
  const store = { specimen: initial };
  let zoneIds = 0;
  const api = createTestApi(
    on('GET', `/api/specimens/${initial.id}`, () => ok(store.specimen)),
    on('GET', '/api/specimens', ok(makePage([]))),
    on('PATCH', `/api/specimens/${initial.id}`, (req) => {
      const patch = req.body as { revision: number };
      if (patch.revision !== store.specimen.revision) return conflict(store.specimen.revision);
      store.specimen = { ...store.specimen, ...(req.body as object), revision: store.specimen.revision + 1 } as Specimen;
      return ok(store.specimen);
    }),
    ...more(store),
    on('PUT', new RegExp(`^/api/specimens/${initial.id}/captures/[^/]+/zones$`), (req) => {
      const { revision, zones } = req.body as { revision: number; zones: Omit<FeatureZone, 'id'>[] };
      if (revision !== store.specimen.revision) return conflict(store.specimen.revision);
      const captureId = req.url.pathname.split('/')[5];
      const captures = store.specimen.captures.map((c) => (c.id === captureId ? { ...c, zones: zones.map((z) => ({ id: `zput${++zoneIds}`, ...z })) } : c));
      store.specimen = { ...store.specimen, captures, revision: store.specimen.revision + 1 };
      return ok(store.specimen);
    }),
  );
  return { api, store };
}

test('creating: the schema reports missing and bad fields at the fields; a valid form is posted and leads to the upload', async () => {
  const api = createTestApi(
    on('POST', '/api/specimens', (req) => ok(makeSpecimen({ ...(req.body as object), id: 'newspec1' } as Partial<Specimen>), 201)),
    on('GET', '/api/specimens/newspec1', ok(makeSpecimen({ id: 'newspec1', captures: [] }))),
    on('GET', '/api/specimens', ok(makePage([]))),
  );
  const { location } = renderApp(api, '/specimens/new');
  const user = userEvent.setup();

  await user.click(await screen.findByRole('button', { name: 'Create specimen' }));
  const summary = await screen.findByRole('alert');
  expect(summary).toHaveTextContent('2 fields need attention');
  expect(summary).toHaveTextContent('Title is required');
  expect(summary).toHaveTextContent('Issuing state is required');
  const title = screen.getByRole('textbox', { name: /^Title/ });
  expect(title).toHaveAttribute('aria-invalid', 'true');
  expect(title).toHaveAccessibleDescription(/Title is required/);
  expect(api.calls('POST', '/api/specimens')).toHaveLength(0);

  // Errors follow the typing once a save was tried.
  await user.type(title, 'Utopia passport, 2019 series');
  expect(title).not.toHaveAttribute('aria-invalid');
  await user.type(screen.getByRole('combobox', { name: /^Issuing state/ }), 'UTO');
  await user.type(screen.getByRole('textbox', { name: /^Tags/ }), 'demo, Not-Lower');
  expect(screen.getByRole('textbox', { name: /^Tags/ })).toHaveAccessibleDescription(/“Not-Lower” must match pattern: Lowercase keyword/);
  await user.clear(screen.getByRole('textbox', { name: /^Tags/ }));
  await user.type(screen.getByRole('textbox', { name: /^Tags/ }), 'demo td3');
  await user.type(screen.getByRole('textbox', { name: /^Document code/ }), 'P');

  await user.click(screen.getByRole('button', { name: 'Create specimen' }));
  await waitFor(() => expect(location.current.pathname).toBe('/specimens/newspec1/edit'));
  expect(api.calls('POST', '/api/specimens')[0]!.body).toEqual({
    status: 'genuine',
    documentCategory: 'passport',
    classification: 'public',
    tags: ['demo', 'td3'],
    title: 'Utopia passport, 2019 series',
    issuingState: 'UTO',
    documentCode: 'P',
  });
  expect(await screen.findByText('Specimen created. Upload its images below.')).toBeInTheDocument();
});

test('a forgery needs its methods and can name the genuine it imitates', async () => {
  const genuine = makeSpecimen({ title: 'Utopia passport, 2019 series' });
  const api = createTestApi(
    on('GET', '/api/specimens', (req) => ok(makePage(req.url.searchParams.get('q') ? [genuine] : []))),
    on('GET', `/api/specimens/${genuine.id}`, ok(genuine)),
    on('POST', '/api/specimens', (req) => ok(makeSpecimen({ ...(req.body as object), id: 'forged01' } as Partial<Specimen>), 201)),
    on('GET', '/api/specimens/forged01', ok(makeSpecimen({ id: 'forged01', captures: [] }))),
  );
  renderApp(api, '/specimens/new');
  const user = userEvent.setup();
  await user.type(await screen.findByRole('textbox', { name: /^Title/ }), 'Forged Utopia passport');
  await user.type(screen.getByRole('combobox', { name: /^Issuing state/ }), 'UTO');
  await user.selectOptions(screen.getByRole('combobox', { name: /^Status/ }), 'forgery');

  await user.click(screen.getByRole('button', { name: 'Create specimen' }));
  expect(await screen.findByRole('alert')).toHaveTextContent('Forgery methods is required when status is forgery');

  await user.click(screen.getByRole('checkbox', { name: 'Photo substitution' }));
  await user.type(screen.getByRole('searchbox', { name: /^Imitates/ }), 'utopia');
  await user.click(await screen.findByRole('button', { name: /Utopia passport, 2019 series/ }));
  // Only genuine references are offered.
  const searched = api.calls('GET', '/api/specimens').at(-1)!.url.searchParams;
  expect([searched.get('q'), searched.getAll('status').flatMap((s) => s.split(','))]).toEqual(['utopia', ['genuine', 'specimen']]);
  expect(await screen.findByText('Utopia passport, 2019 series', { selector: 'strong' })).toBeInTheDocument();
  await user.click(screen.getByRole('button', { name: 'Create specimen' }));

  await waitFor(() => expect(api.calls('POST', '/api/specimens')).toHaveLength(1));
  expect(api.calls('POST', '/api/specimens')[0]!.body).toMatchObject({ status: 'forgery', forgeryMethods: ['photo-substitution'], imitates: genuine.id });
});

test('editing sends only the changes with the revision; a conflict offers a reload that brings the current version and keeps what was typed', async () => {
  const { api, store } = editorApi(makeSpecimen({ revision: 3, series: '2019' }));
  const { id } = store.specimen;
  renderApp(api, `/specimens/${id}/edit`);
  const user = userEvent.setup();

  const series = await screen.findByRole('textbox', { name: /^Series/ });
  await user.clear(series);
  await user.type(series, '2021');
  await user.click(screen.getByRole('button', { name: 'Save changes' }));
  expect(await screen.findByText('Saved (revision 4).')).toBeInTheDocument();
  expect(api.calls('PATCH', `/api/specimens/${id}`)[0]!.body).toEqual({ revision: 3, series: '2021' });

  // Meanwhile another examiner saves: our next save is refused.
  store.specimen = { ...store.specimen, title: 'Renamed elsewhere', revision: 5 };
  await user.type(screen.getByRole('textbox', { name: /^Description/ }), 'Security thread checked');
  await user.click(screen.getByRole('button', { name: 'Save changes' }));
  const dialog = await screen.findByRole('alertdialog', { name: 'Someone else changed this specimen' });
  expect(dialog).toHaveTextContent('now revision 5; your changes are based on revision 4');
  expect(dialog).toHaveTextContent('Your changes were not saved; they stay in the form.');

  await user.click(within(dialog).getByRole('button', { name: 'Reload the specimen' }));
  await waitFor(() => expect(screen.getByRole('textbox', { name: /^Title/ })).toHaveValue('Renamed elsewhere'));
  expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
  expect(screen.getByText('Revision 5')).toBeInTheDocument();
  expect(screen.getByRole('textbox', { name: /^Description/ })).toHaveValue('Security thread checked');
  expect(screen.queryByRole('region', { name: 'Also changed by someone else' })).toBeNull();

  // Saved again, on the revision it was merged with: only the typed field is sent.
  await user.click(screen.getByRole('button', { name: 'Save changes' }));
  expect(await screen.findByText('Saved (revision 6).')).toBeInTheDocument();
  expect(api.calls('PATCH', `/api/specimens/${id}`)[2]!.body).toEqual({ revision: 5, description: 'Security thread checked' });
  expect(store.specimen).toMatchObject({ title: 'Renamed elsewhere', description: 'Security thread checked' });
});

test('a new revision loaded under the form (after an upload) keeps what was typed; a field changed on both sides waits for the user to choose', async () => {
  const specimen = makeSpecimen({ revision: 3, captures: [], series: '2019', notes: 'Stored notes' });
  const { api } = editorApi(specimen, (store) => [
    on('POST', `/api/specimens/${specimen.id}/captures`, () => {
      const capture = makeCapture({ images: [makeImage('white')] });
      // Meanwhile another examiner changed the series and the notes: the upload's reload brings revision 5.
      store.specimen = { ...store.specimen, revision: 5, series: '2020', notes: 'Their notes', captures: [capture] };
      return ok(capture, 201);
    }),
  ]);
  renderApp(api, `/specimens/${specimen.id}/edit`);
  const user = userEvent.setup();
  await user.type(await screen.findByRole('textbox', { name: /^Description/ }), 'Typed before the upload');
  await user.clear(screen.getByRole('textbox', { name: /^Notes/ }));
  await user.type(screen.getByRole('textbox', { name: /^Notes/ }), 'My notes');

  await user.upload(screen.getByLabelText('Image for White light'), new File([new Uint8Array(10)], 'white.png', { type: 'image/png' }));
  await user.click(screen.getByRole('button', { name: 'Upload capture (1 image)' }));
  await screen.findByRole('region', { name: /Captures \(1\)/ });
  expect(screen.getByRole('textbox', { name: /^Description/ })).toHaveValue('Typed before the upload');
  expect(screen.getByRole('textbox', { name: /^Series/ })).toHaveValue('2020');
  expect(screen.getByRole('textbox', { name: /^Notes/ })).toHaveValue('My notes');
  const clashes = screen.getByRole('region', { name: 'Also changed by someone else' });
  expect(clashes).toHaveTextContent('Notes: yours “My notes”, stored “Their notes”');

  // Saving waits for the choice.
  await user.click(screen.getByRole('button', { name: 'Save changes' }));
  expect(await screen.findByText('Choose first which value to keep for the field changed on both sides.')).toBeInTheDocument();
  expect(api.calls('PATCH', `/api/specimens/${specimen.id}`)).toHaveLength(0);

  await user.click(within(clashes).getByRole('button', { name: 'Take the stored value: Notes' }));
  expect(screen.queryByRole('region', { name: 'Also changed by someone else' })).toBeNull();
  expect(screen.getByRole('textbox', { name: /^Notes/ })).toHaveValue('Their notes');
  await user.click(screen.getByRole('button', { name: 'Save changes' }));
  expect(await screen.findByText('Saved (revision 6).')).toBeInTheDocument();
  expect(api.calls('PATCH', `/api/specimens/${specimen.id}`)[0]!.body).toEqual({ revision: 5, description: 'Typed before the upload' });
});

test('a capture is uploaded as one multipart request: capture JSON plus one file part per light source, with progress', async () => {
  const specimen = makeSpecimen({ captures: [] });
  let release: () => void = () => undefined;
  const released = new Promise<void>((r) => (release = r));
  const { api } = editorApi(specimen, (store) => [
    on('POST', `/api/specimens/${specimen.id}/captures`, async (req) => {
      await released;
      const form = req.body as FormData;
      const files = ['white', 'uv-365'].map((l) => form.get(l)).filter((f): f is File => f instanceof File);
      const capture: Capture = makeCapture({ images: [makeImage('white', { originalName: files[0]!.name }), makeImage('uv-365')] });
      store.specimen = { ...specimen, revision: 2, captures: [capture] };
      return ok(capture, 201);
    }),
  ]);
  renderApp(api, `/specimens/${specimen.id}/edit`);
  const user = userEvent.setup();

  const slots = await screen.findByRole('list', { name: 'Images by light source' });
  expect(within(slots).getAllByRole('listitem').map((li) => li.getAttribute('data-light'))).toEqual(['white', 'uv-365', 'ir-870']);
  const white = new File([new Uint8Array(3000)], 'page1-white.png', { type: 'image/png' });
  const uv = new File([new Uint8Array(1000)], 'page1_uv-365.png', { type: 'image/png' });
  // Several files at once go to the slots their names point to.
  await user.upload(screen.getByLabelText('Add several image files'), [uv, white]);
  expect(within(slots).getByText('page1-white.png')).toBeInTheDocument();
  expect(within(slots.querySelector('[data-light="uv-365"]') as HTMLElement).getByText('page1_uv-365.png')).toBeInTheDocument();
  await user.type(screen.getByRole('textbox', { name: 'Resolution (dpi)' }), '600');
  await user.type(screen.getByRole('textbox', { name: 'Device' }), 'VSC 8000');

  // Half of the body sent: the white image (sent first) is part-way, the UV image not started.
  api.uploadSteps = [0.5];
  await user.click(screen.getByRole('button', { name: 'Upload capture (2 images)' }));
  const whiteBar = await screen.findByRole('progressbar', { name: 'Upload of the White light image' });
  expect(Number(whiteBar.getAttribute('value'))).toBeCloseTo((4500 * 0.5 - 500 / 3) / 3000, 2);
  expect(screen.getByRole('progressbar', { name: 'Upload of the UV 365 nm image' })).toHaveAttribute('value', '0');
  expect(screen.getByRole('button', { name: 'Cancel upload' })).toBeInTheDocument();
  release();
  expect(await screen.findByText(/Capture stored: 2 images/)).toBeInTheDocument();

  const sent = api.calls('POST', `/api/specimens/${specimen.id}/captures`)[0]!.body as FormData;
  expect(JSON.parse(sent.get('capture') as string)).toEqual({ page: 'data-page', dpi: 600, device: 'VSC 8000' });
  expect([...sent.keys()]).toEqual(['capture', 'white', 'uv-365']);
  expect((sent.get('white') as File).name).toBe('page1-white.png');
  // The specimen is reloaded and the capture listed.
  const list = await screen.findByRole('region', { name: /Captures \(1\)/ });
  expect(list).toHaveTextContent('White light');
});

test('a refused image is reported at its slot and nothing is lost from the form', async () => {
  const specimen = makeSpecimen({ captures: [] });
  const { api } = editorApi(specimen, () => [
    on('POST', `/api/specimens/${specimen.id}/captures`, {
      status: 415,
      body: { code: 'IMAGE_UNSUPPORTED', message: 'The ir-870 image is not JPEG, PNG, TIFF or WebP', details: { lightSource: 'ir-870' } },
    }),
  ]);
  renderApp(api, `/specimens/${specimen.id}/edit`);
  const user = userEvent.setup();
  await user.upload(await screen.findByLabelText('Image for IR 870 nm'), new File(['%PDF'], 'scan.pdf', { type: 'image/png' }));
  await user.click(screen.getByRole('button', { name: 'Upload capture (1 image)' }));
  const slot = (await screen.findByText('scan.pdf')).closest('li') as HTMLElement;
  expect(await within(slot).findByRole('alert')).toHaveTextContent('not JPEG, PNG, TIFF or WebP');
  expect(screen.getByRole('button', { name: 'Upload capture (1 image)' })).toBeEnabled();
});

test('zones are drawn on the image, given a type and light sources, and saved all at once with the revision', async () => {
  const rosette = makeZone({ type: 'guilloche', lightSources: ['white'] });
  const capture = makeCapture({ zones: [rosette] });
  const specimen = makeSpecimen({ revision: 7, captures: [capture] });
  const { api } = editorApi(specimen, () => [
    on('PUT', `/api/specimens/${specimen.id}/captures/${capture.id}/zones`, (req) => {
      const { zones } = req.body as { zones: object[] };
      return ok({ ...specimen, revision: 8, captures: [{ ...capture, zones: zones.map((z, i) => ({ id: `zsaved${i}`, ...z })) }] });
    }),
  ]);
  renderApp(api, `/specimens/${specimen.id}/edit`);
  const user = userEvent.setup();

  const canvas = await screen.findByRole('application', { name: /Zone drawing area/ });
  // jsdom does no layout: give the drawing area the box a browser would (1000×700 px for the 2000×1400 frame).
  canvas.getBoundingClientRect = () => ({ left: 0, top: 0, width: 1000, height: 700, right: 1000, bottom: 700, x: 0, y: 0, toJSON: () => ({}) });
  await user.selectOptions(screen.getByRole('combobox', { name: 'New zone type' }), 'uv-fibres');
  await user.click(screen.getByRole('button', { name: 'Draw a zone' }));
  const background = canvas.querySelector('rect') as SVGRectElement;
  for (const [x, y] of [
    [100, 100],
    [300, 100],
    [300, 250],
  ]) fireEvent.pointerDown(background, { button: 0, clientX: x, clientY: y, pointerId: 1 });
  expect(screen.getByRole('status')).toHaveTextContent('3 corners');
  fireEvent.keyDown(canvas, { key: 'Enter' });

  const props = await screen.findByLabelText('Selected zone');
  expect(within(props).getByRole('combobox', { name: 'Type' })).toHaveValue('uv-fibres');
  expect(within(props).getByRole('spinbutton', { name: 'Corner 3 y' })).toHaveValue(500);
  await user.click(within(props).getByRole('checkbox', { name: 'UV 365 nm' }));
  await user.type(within(props).getByRole('textbox', { name: 'Label' }), 'Fibres, lower band');
  await user.click(screen.getByRole('button', { name: 'Save zones' }));

  expect(await screen.findByText('Zones saved (revision 8).')).toBeInTheDocument();
  const body = api.calls('PUT', `/api/specimens/${specimen.id}/captures/${capture.id}/zones`)[0]!.body as { revision: number; zones: RecordedRequest['body'][] };
  expect(body.revision).toBe(7);
  expect(body.zones).toEqual([
    { id: rosette.id, type: 'guilloche', polygon: rosette.polygon, lightSources: ['white'], personalised: false },
    {
      type: 'uv-fibres',
      polygon: [
        [200, 200],
        [600, 200],
        [600, 500],
      ],
      lightSources: ['white', 'uv-365'],
      personalised: false,
      label: 'Fibres, lower band',
    },
  ]);
});

test('leaving by an in-app link with unsaved zones asks first: staying keeps them, leaving discards them', async () => {
  const capture = makeCapture({ zones: [makeZone({ type: 'guilloche', lightSources: ['white'] })] });
  const specimen = makeSpecimen({ revision: 2, captures: [capture] });
  const { api } = editorApi(specimen);
  const { location } = renderApp(api, `/specimens/${specimen.id}/edit`);
  const user = userEvent.setup();
  await drawUnsavedZone();

  const library = () => within(screen.getByRole('navigation', { name: 'Main' })).getByRole('link', { name: 'Library' });
  await user.click(library());
  const dialog = await screen.findByRole('alertdialog', { name: 'Leave without saving your zones?' });
  expect(dialog).toHaveTextContent('The zone changes you have not saved will be lost.');
  expect(location.current.pathname).toBe(`/specimens/${specimen.id}/edit`);
  // Staying is the safe answer and the one focused.
  expect(within(dialog).getByRole('button', { name: 'Stay and keep editing' })).toHaveFocus();
  await user.click(within(dialog).getByRole('button', { name: 'Stay and keep editing' }));
  expect(screen.queryByRole('alertdialog')).toBeNull();
  expect(location.current.pathname).toBe(`/specimens/${specimen.id}/edit`);
  expect(screen.getByText('new')).toBeInTheDocument();
  expect(screen.getByRole('button', { name: 'Save zones' })).toBeEnabled();

  // Escape also stays.
  await user.click(library());
  await screen.findByRole('alertdialog', { name: 'Leave without saving your zones?' });
  await user.keyboard('{Escape}');
  await waitFor(() => expect(screen.queryByRole('alertdialog')).toBeNull());
  expect(location.current.pathname).toBe(`/specimens/${specimen.id}/edit`);

  await user.click(library());
  await user.click(within(await screen.findByRole('alertdialog')).getByRole('button', { name: 'Leave and discard the changes' }));
  await waitFor(() => expect(location.current.pathname).toBe('/'));
  expect(api.calls('PUT', `/api/specimens/${specimen.id}/captures/${capture.id}/zones`)).toHaveLength(0);
});

test('with every zone saved, an in-app link leaves the editor without asking', async () => {
  const capture = makeCapture({ zones: [makeZone({ type: 'guilloche', lightSources: ['white'] })] });
  const specimen = makeSpecimen({ revision: 2, captures: [capture] });
  const { api } = editorApi(specimen);
  const { location } = renderApp(api, `/specimens/${specimen.id}/edit`);
  const user = userEvent.setup();
  await screen.findByRole('application', { name: /Zone drawing area/ });
  await user.click(within(screen.getByRole('navigation', { name: 'Main' })).getByRole('link', { name: 'Library' }));
  await waitFor(() => expect(location.current.pathname).toBe('/'));
  expect(screen.queryByRole('alertdialog')).toBeNull();
});

/** Draws a three-corner zone in the zone editor on screen (it shows as "new" until saved). */
async function drawUnsavedZone() {
  const canvas = await screen.findByRole('application', { name: /Zone drawing area/ });
  canvas.getBoundingClientRect = () => ({ left: 0, top: 0, width: 1000, height: 700, right: 1000, bottom: 700, x: 0, y: 0, toJSON: () => ({}) });
  fireEvent.click(screen.getByRole('button', { name: 'Draw a zone' }));
  const background = canvas.querySelector('rect') as SVGRectElement;
  for (const [x, y] of [
    [100, 100],
    [300, 100],
    [300, 250],
  ]) fireEvent.pointerDown(background, { button: 0, clientX: x, clientY: y, pointerId: 1 });
  fireEvent.keyDown(canvas, { key: 'Enter' });
  expect(await screen.findByText('new')).toBeInTheDocument();
}

test('zones whose save met an ended session stay after logging in again, without the stale "log in" failure, and then save', async () => {
  const capture = makeCapture({ zones: [makeZone({ type: 'guilloche', lightSources: ['white'] })] });
  const specimen = makeSpecimen({ revision: 2, captures: [capture] });
  let sessionEnded = true;
  const { api } = editorApi(specimen, () => [
    // While the session has ended the save is refused; then editorApi's PUT stores it.
    (req) => (sessionEnded && req.method === 'PUT' && req.url.pathname.endsWith('/zones') ? { status: 401, body: { code: 'UNAUTHENTICATED', message: 'log in first', details: {} } } : undefined),
    on('POST', '/api/auth/login', () => {
      sessionEnded = false;
      return ok(sessionAnswer(testUser('examiner'), { token: 't', csrfToken: 'csrf-new', expiresAt: '2030-01-01T00:00:00Z' }));
    }),
  ]);
  renderApp(api, `/specimens/${specimen.id}/edit`);
  const user = userEvent.setup();
  await drawUnsavedZone();
  await user.click(screen.getByRole('button', { name: 'Save zones' }));

  const dialog = await screen.findByRole('dialog', { name: 'Your session has ended' });
  expect(screen.getByText('The zones were not saved: log in first')).toBeInTheDocument();
  await user.type(within(dialog).getByLabelText('Password'), 'correct horse');
  await user.click(within(dialog).getByRole('button', { name: 'Log in' }));
  await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Your session has ended' })).toBeNull());
  expect(screen.queryByText(/The zones were not saved/)).toBeNull();
  expect(screen.getByText('new')).toBeInTheDocument();

  await user.click(screen.getByRole('button', { name: 'Save zones' }));
  expect(await screen.findByText('Zones saved (revision 3).')).toBeInTheDocument();
  const puts = api.calls('PUT', `/api/specimens/${specimen.id}/captures/${capture.id}/zones`);
  expect(puts).toHaveLength(2);
  expect((puts[1]!.body as { zones: unknown[] }).zones).toHaveLength(2);
});

/** The "Edit zones" button of the capture listed under this page label. */
const editZonesOf = (page: string) => {
  const item = within(screen.getByRole('region', { name: /^Captures/ })).getByText(page, { selector: 'strong' }).closest('li') as HTMLElement;
  return within(item).getByRole('button', { name: 'Edit zones' });
};

/** Whether the page asks the browser to confirm a reload or closing the tab. */
const reloadIsHeld = () => !window.dispatchEvent(new Event('beforeunload', { cancelable: true }));

test('opening another capture in the zone editor with unsaved zones asks first: staying keeps them, discarding opens the other capture', async () => {
  const dataPage = makeCapture({ page: 'data-page', zones: [makeZone({ type: 'guilloche', lightSources: ['white'] })] });
  const back = makeCapture({ page: 'back', zones: [] });
  const specimen = makeSpecimen({ revision: 2, captures: [dataPage, back] });
  const { api } = editorApi(specimen);
  const { location } = renderApp(api, `/specimens/${specimen.id}/edit`);
  const user = userEvent.setup();
  const zonesHeading = () => screen.getByRole('heading', { name: /^Feature zones:/ });

  // Nothing unsaved: another capture opens at once.
  await screen.findByRole('application', { name: /Zone drawing area/ });
  await user.click(editZonesOf('Back'));
  expect(zonesHeading()).toHaveTextContent('Feature zones: Back');
  await user.click(editZonesOf('Data page'));
  expect(zonesHeading()).toHaveTextContent('Feature zones: Data page');
  expect(screen.queryByRole('alertdialog')).toBeNull();

  await drawUnsavedZone();
  await user.click(editZonesOf('Back'));
  const dialog = await screen.findByRole('alertdialog', { name: 'Open another capture without saving your zones?' });
  expect(dialog).toHaveTextContent('The zone changes you have not saved on this capture (Data page) will be lost.');
  expect(within(dialog).getByRole('button', { name: 'Stay and keep editing' })).toHaveFocus();
  await user.click(within(dialog).getByRole('button', { name: 'Stay and keep editing' }));
  expect(screen.queryByRole('alertdialog')).toBeNull();
  expect(zonesHeading()).toHaveTextContent('Feature zones: Data page');
  expect(screen.getByText('new')).toBeInTheDocument();
  expect(screen.getByRole('button', { name: 'Save zones' })).toBeEnabled();

  // Escape also stays.
  await user.click(editZonesOf('Back'));
  await screen.findByRole('alertdialog', { name: 'Open another capture without saving your zones?' });
  await user.keyboard('{Escape}');
  await waitFor(() => expect(screen.queryByRole('alertdialog')).toBeNull());
  expect(zonesHeading()).toHaveTextContent('Feature zones: Data page');
  expect(screen.getByText('new')).toBeInTheDocument();

  await user.click(editZonesOf('Back'));
  await user.click(within(await screen.findByRole('alertdialog')).getByRole('button', { name: 'Open the other capture and discard the changes' }));
  expect(zonesHeading()).toHaveTextContent('Feature zones: Back');
  expect(screen.queryByText('new')).toBeNull();
  expect(editZonesOf('Back')).toHaveAttribute('aria-pressed', 'true');
  // The discarded zones are not saved, and nothing is left to hold a link back.
  expect(api.calls('PUT', `/api/specimens/${specimen.id}/captures/${dataPage.id}/zones`)).toHaveLength(0);
  await user.click(within(screen.getByRole('navigation', { name: 'Main' })).getByRole('link', { name: 'Library' }));
  await waitFor(() => expect(location.current.pathname).toBe('/'));
  expect(screen.queryByRole('alertdialog')).toBeNull();
});

test('unsaved changes in the specimen form hold a link, the back button and a reload until the user chooses; saved, they hold nothing', async () => {
  const specimen = makeSpecimen({
    revision: 3,
    series: '2019',
    tags: ['demo', 'td3'],
    issued: { from: 2019, to: 2029 },
    provenance: { source: 'Border police', seizedAt: '2024-02-01', caseReference: 'BP-17' },
    description: 'Stored text',
  });
  const { api } = editorApi(specimen);
  const { location, router } = renderApp(api, ['/', `/specimens/${specimen.id}/edit`]);
  const user = userEvent.setup();
  const editPath = `/specimens/${specimen.id}/edit`;
  const description = await screen.findByRole('textbox', { name: /^Description/ });
  // The form as loaded holds nothing.
  expect(reloadIsHeld()).toBe(false);

  await user.type(description, ', checked under UV');
  expect(reloadIsHeld()).toBe(true);
  await user.click(within(screen.getByRole('navigation', { name: 'Main' })).getByRole('link', { name: 'Library' }));
  const dialog = await screen.findByRole('alertdialog', { name: 'Leave without saving your changes to the specimen?' });
  expect(dialog).toHaveTextContent('The changes to the specimen you have not saved will be lost. Stay to save them with Save changes.');
  expect(within(dialog).getByRole('button', { name: 'Stay and keep editing' })).toHaveFocus();
  await user.click(within(dialog).getByRole('button', { name: 'Stay and keep editing' }));
  expect(location.current.pathname).toBe(editPath);
  expect(screen.getByRole('textbox', { name: /^Description/ })).toHaveValue('Stored text, checked under UV');

  // The back button is held the same way.
  await act(() => router.navigate(-1));
  await screen.findByRole('alertdialog', { name: 'Leave without saving your changes to the specimen?' });
  await user.keyboard('{Escape}');
  await waitFor(() => expect(screen.queryByRole('alertdialog')).toBeNull());
  expect(location.current.pathname).toBe(editPath);
  expect(screen.getByRole('textbox', { name: /^Description/ })).toHaveValue('Stored text, checked under UV');

  await user.click(screen.getByRole('button', { name: 'Save changes' }));
  expect(await screen.findByText('Saved (revision 4).')).toBeInTheDocument();
  await waitFor(() => expect(reloadIsHeld()).toBe(false));
  await act(() => router.navigate(-1));
  await waitFor(() => expect(location.current.pathname).toBe('/'));
  expect(screen.queryByRole('alertdialog')).toBeNull();
});

test('unsaved specimen changes and unsaved zones together: one question names both, and leaving discards both', async () => {
  const capture = makeCapture({ zones: [] });
  const specimen = makeSpecimen({ revision: 2, captures: [capture] });
  const { api } = editorApi(specimen);
  const { location } = renderApp(api, `/specimens/${specimen.id}/edit`);
  const user = userEvent.setup();
  await user.type(await screen.findByRole('textbox', { name: /^Notes/ }), 'Compare with BP-17');
  await drawUnsavedZone();

  await user.click(within(screen.getByRole('navigation', { name: 'Main' })).getByRole('link', { name: 'Library' }));
  const dialog = await screen.findByRole('alertdialog', { name: 'Leave without saving your changes?' });
  expect(dialog).toHaveTextContent('The changes to the specimen and the zone changes you have not saved will be lost. Stay to save them with Save changes and Save zones.');
  expect(screen.getAllByRole('alertdialog')).toHaveLength(1);
  await user.click(within(dialog).getByRole('button', { name: 'Leave and discard the changes' }));
  await waitFor(() => expect(location.current.pathname).toBe('/'));
  expect(api.calls('PATCH', `/api/specimens/${specimen.id}`)).toHaveLength(0);
  expect(api.calls('PUT', `/api/specimens/${specimen.id}/captures/${capture.id}/zones`)).toHaveLength(0);
});

test('a new specimen typed but not created holds a link and a reload until the user chooses; created, it leads to its upload without asking', async () => {
  const api = createTestApi(
    on('POST', '/api/specimens', (req) => ok(makeSpecimen({ ...(req.body as object), id: 'newspec2', captures: [] } as Partial<Specimen>), 201)),
    on('GET', '/api/specimens/newspec2', ok(makeSpecimen({ id: 'newspec2', captures: [] }))),
    on('GET', '/api/specimens', ok(makePage([]))),
  );
  const { location } = renderApp(api, '/specimens/new');
  const user = userEvent.setup();
  const title = await screen.findByRole('textbox', { name: /^Title/ });
  expect(reloadIsHeld()).toBe(false);

  await user.type(title, 'Utopia identity card');
  expect(reloadIsHeld()).toBe(true);
  await user.click(within(screen.getByRole('navigation', { name: 'Main' })).getByRole('link', { name: 'Library' }));
  const dialog = await screen.findByRole('alertdialog', { name: 'Leave without creating the specimen?' });
  expect(dialog).toHaveTextContent('What you have entered will be lost. Stay to keep it and create the specimen with Create specimen.');
  await user.click(within(dialog).getByRole('button', { name: 'Stay and keep editing' }));
  expect(location.current.pathname).toBe('/specimens/new');
  expect(screen.getByRole('textbox', { name: /^Title/ })).toHaveValue('Utopia identity card');

  await user.type(screen.getByRole('combobox', { name: /^Issuing state/ }), 'UTO');
  await user.click(screen.getByRole('button', { name: 'Create specimen' }));
  await waitFor(() => expect(location.current.pathname).toBe('/specimens/newspec2/edit'));
  expect(screen.queryByRole('alertdialog')).toBeNull();
  expect(await screen.findByText('Specimen created. Upload its images below.')).toBeInTheDocument();
  expect(reloadIsHeld()).toBe(false);
});

test('unsaved zones stay through a save of the specimen form and an upload, and are then saved on the latest revision', async () => {
  const rosette = makeZone({ type: 'guilloche', lightSources: ['white'] });
  const capture = makeCapture({ zones: [rosette] });
  const specimen = makeSpecimen({ revision: 2, captures: [capture] });
  const { api, store } = editorApi(specimen, (store) => [
    on('POST', `/api/specimens/${specimen.id}/captures`, () => {
      const back = makeCapture({ page: 'back', images: [makeImage('white')] });
      store.specimen = { ...store.specimen, revision: store.specimen.revision + 1, captures: [...store.specimen.captures, back] };
      return ok(back, 201);
    }),
  ]);
  renderApp(api, `/specimens/${specimen.id}/edit`);
  const user = userEvent.setup();
  await drawUnsavedZone();

  // The form is saved: the page takes the stored specimen (revision 3).
  await user.type(screen.getByRole('textbox', { name: /^Description/ }), 'Rosette checked under UV');
  await user.click(screen.getByRole('button', { name: 'Save changes' }));
  expect(await screen.findByText('Saved (revision 3).')).toBeInTheDocument();
  expect(screen.getByText('new')).toBeInTheDocument();
  expect(screen.getByRole('button', { name: 'Save zones' })).toBeEnabled();

  // Another capture is uploaded: the page reloads the specimen (revision 4).
  await user.upload(screen.getByLabelText('Image for White light'), new File([new Uint8Array(10)], 'back-white.png', { type: 'image/png' }));
  await user.click(screen.getByRole('button', { name: 'Upload capture (1 image)' }));
  await screen.findByRole('region', { name: /Captures \(2\)/ });
  expect(screen.getByRole('heading', { name: /^Feature zones:/ })).toHaveTextContent('Feature zones: Data page');
  expect(screen.getByText('new')).toBeInTheDocument();
  expect(reloadIsHeld()).toBe(true);

  await user.click(screen.getByRole('button', { name: 'Save zones' }));
  expect(await screen.findByText('Zones saved (revision 5).')).toBeInTheDocument();
  const body = api.calls('PUT', `/api/specimens/${specimen.id}/captures/${capture.id}/zones`)[0]!.body as { revision: number; zones: object[] };
  expect(body.revision).toBe(4);
  expect(body.zones).toEqual([
    { id: rosette.id, type: 'guilloche', polygon: rosette.polygon, lightSources: ['white'], personalised: false },
    {
      type: 'guilloche',
      polygon: [
        [200, 200],
        [600, 200],
        [600, 500],
      ],
      lightSources: ['white'],
      personalised: false,
    },
  ]);
  expect(store.specimen.captures[0]!.zones).toHaveLength(2);
  expect(store.specimen.description).toBe('Rosette checked under UV');
});

test("zones another examiner saved meanwhile: the refused save keeps the user's zones; the reload takes theirs where nothing was changed here and asks about the zone both changed", async () => {
  const rosette = makeZone({ type: 'guilloche', lightSources: ['white'], label: 'Rosette' });
  const photo = makeZone({ type: 'photo', lightSources: ['white'], personalised: true });
  const capture = makeCapture({ zones: [rosette, photo] });
  const specimen = makeSpecimen({ revision: 2, captures: [capture] });
  const { api, store } = editorApi(specimen);
  const zonesPath = `/api/specimens/${specimen.id}/captures/${capture.id}/zones`;
  renderApp(api, `/specimens/${specimen.id}/edit`);
  const user = userEvent.setup();


  // Here: the rosette gets another label and a zone is drawn.
  await user.click(await screen.findByRole('button', { name: /^1\. Guilloche/ }));
  const label = within(screen.getByLabelText('Selected zone')).getByRole('textbox', { name: 'Label' });
  await user.clear(label);
  await user.type(label, 'Rosette, fine lines');
  await drawUnsavedZone();

  // Meanwhile another examiner saves the zones (revision 3): the rosette's label too, the photo's corners, and an OVD.
  const theirPhoto = { ...photo, polygon: photo.polygon.map(([x, y]) => [x + 50, y] as [number, number]) };
  const ovd = makeZone({ type: 'ovd', lightSources: ['white'] });
  store.specimen = { ...store.specimen, revision: 3, captures: [{ ...capture, zones: [{ ...rosette, label: 'Rosette (theirs)' }, theirPhoto, ovd] }] };

  await user.click(screen.getByRole('button', { name: 'Save zones' }));
  const dialog = await screen.findByRole('alertdialog', { name: 'Someone else changed this specimen' });
  expect(dialog).toHaveTextContent('now revision 3; your zones are based on revision 2');
  expect(dialog).toHaveTextContent('They stay on screen.');
  expect(screen.getByText('new')).toBeInTheDocument();
  expect(screen.getByRole('button', { name: /^1\. Guilloche — Rosette, fine lines/ })).toBeInTheDocument();

  await user.click(within(dialog).getByRole('button', { name: 'Reload the specimen' }));
  const clashes = await screen.findByRole('region', { name: 'Zones also changed by someone else' });
  expect(screen.queryByRole('alertdialog')).toBeNull();
  expect(clashes).toHaveTextContent('Zone 1 (Guilloche): changed here and by someone else');
  expect(clashes).toHaveTextContent('label “Rosette (theirs)”');
  // The photo, not changed here, takes their corners; their OVD is added; the drawn zone and the typed label stay.
  const items = screen.getAllByRole('button', { name: /^\d+\. / }).map((b) => b.textContent);
  expect(items).toEqual(['1. Guilloche — Rosette, fine lines', "2. Holder's photograph", '3. Guillochenew', '4. Optically variable device (OVD)']);
  await user.click(screen.getByRole('button', { name: /^2\. Holder's photograph/ }));
  expect(within(screen.getByLabelText('Selected zone')).getByRole('spinbutton', { name: 'Corner 1 x' })).toHaveValue(theirPhoto.polygon[0]![0]);


  // Saving waits for the choice.
  await user.click(screen.getByRole('button', { name: 'Save zones' }));
  expect(await screen.findByText('Choose first which version to keep of the zone changed on both sides.')).toBeInTheDocument();
  expect(api.calls('PUT', zonesPath)).toHaveLength(1);

  await user.click(within(clashes).getByRole('button', { name: 'Keep mine: Zone 1 (Guilloche)' }));
  expect(screen.queryByRole('region', { name: 'Zones also changed by someone else' })).toBeNull();
  await user.click(screen.getByRole('button', { name: 'Save zones' }));
  expect(await screen.findByText('Zones saved (revision 4).')).toBeInTheDocument();
  const body = api.calls('PUT', zonesPath)[1]!.body as { revision: number; zones: Partial<FeatureZone>[] };
  expect(body.revision).toBe(3);
  expect(body.zones.map((z) => [z.id, z.type, z.label])).toEqual([
    [rosette.id, 'guilloche', 'Rosette, fine lines'],
    [photo.id, 'photo', undefined],
    [undefined, 'guilloche', undefined],
    [ovd.id, 'ovd', undefined],
  ]);
  expect(body.zones[1]!.polygon).toEqual(theirPhoto.polygon);
});

/**
 * Zones drawn and not yet saved survive a new revision of the specimen, end to
 * end in Debian Chromium (playwright-core) against the real server. The editor
 * page takes the stored specimen after a save of the specimen form and reloads
 * it after an upload, and a second examiner may save the same capture's zones
 * meanwhile: each time the zone editor keeps what was drawn and changed here,
 * takes the stored zones not touched here, and names a zone both changed for
 * the examiner to choose, so that nothing drawn is lost and the save that
 * follows is based on the revision the zones were merged with.
 *
 * Needs `npm run build` (web/dist). Its images are drawn by sharp (helpers.ts).
 * Screenshots go to artifacts/e2e/ (not committed). Waits are on what the
 * page shows, never on time.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { FeatureZone, Specimen } from '@exemplar/specimens-schema';
import type { RunningServer } from '../../server/src/server';
import {
  apiAuthorization,
  apiJson,
  ARTIFACTS,
  closeLab,
  createSpecimenByApi,
  drawZone,
  formAt,
  openEditor,
  startEditorTests,
  uploadCapture,
  zoneEditorAt,
} from './helpers';

jest.setTimeout(600_000);

const WAIT_MS = 120_000;
const EXAMINER = { username: 'e2e-zones-editor', role: 'examiner', password: 'e2e zones editor password', displayName: 'Zoe Zones' } as const;
/** The other examiner, who saves the same capture's zones through the API meanwhile. */
const SECOND_EXAMINER = { username: 'e2e-zones-second', role: 'examiner', password: 'e2e zones second password', displayName: 'Sam Second' } as const;

let dataDir: string;
let server: RunningServer;
let browser: Browser;
let page: Page;
/** Uncaught errors in the page. */
let pageErrors: string[];
let images: string[];
/** `Authorization` of each examiner, for what the test does outside the browser. */
let firstAuthorization: string;
let secondAuthorization: string;

/** The zones the drawing area shows (its data-zone-count). */
const zonesShown = async () => Number(await page.getByLabel(/^Zone drawing area/).getAttribute('data-zone-count'));

/** The zone list beside the drawing area, as the examiner reads it. */
const zoneList = () => page.getByRole('complementary').getByRole('button', { name: /^\d+\. / }).allTextContents();

const stored = (id: string) => apiJson<Specimen>(server, firstAuthorization, `/api/specimens/${id}`);

beforeAll(async () => {
  ({ dataDir, server, browser, page, pageErrors, images } = await startEditorTests('e2e-zones', [EXAMINER, SECOND_EXAMINER], WAIT_MS));
  firstAuthorization = await apiAuthorization(server, EXAMINER);
  secondAuthorization = await apiAuthorization(server, SECOND_EXAMINER);
});

afterAll(() => closeLab(browser, server, dataDir));

test('a zone drawn and not saved stays through a save of the specimen form and the upload of another capture, and is then saved', async () => {
  const specimen = await createSpecimenByApi(server, firstAuthorization, 'Utopia driving licence, zones through a form save');
  await openEditor(page, server, EXAMINER, specimen.id);
  await uploadCapture(page, images);
  await formAt(page, 2);
  await drawZone(page, [
    [0.6, 0.25],
    [0.8, 0.25],
    [0.8, 0.55],
  ]);
  expect(await zoneList()).toEqual(['1. Guillochenew']);

  // The form is saved (revision 3): the page takes the stored specimen.
  await page.getByRole('textbox', { name: /^Description/ }).fill('Rosette checked under UV');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByText('Saved (revision 3).').waitFor();
  await formAt(page, 3);
  expect(await zonesShown()).toBe(1);
  expect(await zoneList()).toEqual(['1. Guillochenew']);

  // Another capture, the back, is uploaded (revision 4): the page reloads the specimen; the editor stays on the first.
  await page.getByLabel('Page', { exact: true }).selectOption({ label: 'Back' });
  await uploadCapture(page, images);
  await page.getByRole('heading', { name: 'Captures (2)' }).waitFor();
  await zoneEditorAt(page, 4);
  expect(await page.getByRole('heading', { name: /^Feature zones:/ }).textContent()).toBe('Feature zones: Data page');
  expect(await zonesShown()).toBe(1);
  expect(await page.getByRole('button', { name: 'Save zones' }).isEnabled()).toBe(true);

  await page.getByRole('button', { name: 'Save zones' }).click();
  await page.getByText('Zones saved (revision 5).').waitFor();
  const saved = await stored(specimen.id);
  expect(saved).toMatchObject({ revision: 5, description: 'Rosette checked under UV' });
  expect(saved.captures.map((c) => [c.page, c.zones.map((z) => z.type)])).toEqual([
    ['data-page', ['guilloche']],
    ['back', []],
  ]);
  expect(pageErrors).toEqual([]);
});

test("another examiner saves the zones meanwhile: the refused save loses nothing, the reload takes their zones where nothing was changed here and asks about the zone both changed", async () => {
  const specimen = await createSpecimenByApi(server, firstAuthorization, 'Utopia driving licence, zones edited twice');
  await openEditor(page, server, EXAMINER, specimen.id);
  await uploadCapture(page, images);
  await page.getByLabel('New zone type').selectOption({ label: 'Guilloche' });
  await drawZone(page, [
    [0.6, 0.25],
    [0.8, 0.25],
    [0.8, 0.55],
  ]);
  await page.getByLabel('New zone type').selectOption({ label: "Holder's photograph" });
  await drawZone(page, [
    [0.06, 0.21],
    [0.3, 0.21],
    [0.3, 0.7],
  ]);
  await page.getByRole('button', { name: 'Save zones' }).click();
  await page.getByText('Zones saved (revision 3).').waitFor();
  const [rosette, photo] = (await stored(specimen.id)).captures[0]!.zones as [FeatureZone, FeatureZone];

  // Here: the rosette gets a label, and a microprint line is drawn.
  await page.getByRole('button', { name: /^1\. Guilloche/ }).click();
  await page.getByLabel('Selected zone').getByRole('textbox', { name: 'Label' }).fill('Rosette, fine lines');
  await page.getByLabel('New zone type').selectOption({ label: 'Microprinting' });
  await drawZone(page, [
    [0.35, 0.8],
    [0.7, 0.8],
    [0.7, 0.9],
  ]);

  // Meanwhile the second examiner saves the zones (revision 4): a label of their own on the rosette, the photo's
  // corners moved, and a hologram added.
  const capture = (await stored(specimen.id)).captures[0]!;
  const theirPhoto = photo.polygon.map(([x, y]) => [x + 10, y] as [number, number]);
  await apiJson(server, secondAuthorization, `/api/specimens/${specimen.id}/captures/${capture.id}/zones`, {
    method: 'PUT',
    body: {
      revision: 3,
      zones: [
        { ...rosette, label: 'Rosette, second opinion' },
        { ...photo, polygon: theirPhoto },
        { type: 'hologram', polygon: [[500, 400], [600, 400], [600, 500]], lightSources: ['white'], personalised: false },
      ],
    },
  });

  await page.getByRole('button', { name: 'Save zones' }).click();
  const refused = page.getByRole('alertdialog', { name: 'Someone else changed this specimen' });
  await refused.waitFor();
  expect(await refused.textContent()).toContain('now revision 4; your zones are based on revision 3');
  expect(await zonesShown()).toBe(3);

  await refused.getByRole('button', { name: 'Reload the specimen' }).click();
  await zoneEditorAt(page, 4);
  expect(await zoneList()).toEqual(['1. Guilloche — Rosette, fine lines', "2. Holder's photograph", '3. Microprintingnew', '4. Hologram']);
  const clashes = page.getByRole('region', { name: 'Zones also changed by someone else' });
  const clashText = await clashes.textContent();
  expect(clashText).toContain('Zone 1 (Guilloche): changed here and by someone else');
  expect(clashText).toContain('label “Rosette, second opinion”');
  await page.screenshot({ path: path.join(ARTIFACTS, 'editor-zone-clash.png') });

  // Saving waits for the choice; then the examiner keeps their label.
  await page.getByRole('button', { name: 'Save zones' }).click();
  await page.getByText('Choose first which version to keep of the zone changed on both sides.').waitFor();
  await clashes.getByRole('button', { name: 'Keep mine: Zone 1 (Guilloche)' }).click();
  await clashes.waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Save zones' }).click();
  await page.getByText('Zones saved (revision 5).').waitFor();

  const zones = (await stored(specimen.id)).captures[0]!.zones;
  expect(zones.map((z) => [z.type, z.label])).toEqual([
    ['guilloche', 'Rosette, fine lines'],
    ['photo', undefined],
    ['microprint', undefined],
    ['hologram', undefined],
  ]);
  expect(zones[0]!.id).toBe(rosette.id);
  expect(zones[1]).toMatchObject({ id: photo.id, polygon: theirPhoto });
  expect(pageErrors).toEqual([]);
});

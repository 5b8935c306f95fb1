/**
 * Unsaved edits in the specimen form survive a new revision of the specimen,
 * end to end in Debian Chromium (playwright-core) against the real server.
 * The editor page reloads the specimen after an upload and takes the stored
 * copy after a zone save, and a second examiner may save the specimen while
 * the first is typing: each time the form keeps what was typed, takes the
 * stored values of the fields not touched, and says so when a typed field
 * was changed by someone else too, so that nothing typed is lost and the
 * save that follows is based on the revision the edit was merged with.
 *
 * Needs `npm run build` (web/dist). Its images are drawn by sharp (helpers.ts).
 * Screenshots go to artifacts/e2e/ (not committed). Waits are on what the
 * page shows, never on time.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Specimen } from '@exemplar/specimens-schema';
import type { RunningServer } from '../../server/src/server';
import { apiAuthorization, apiJson, ARTIFACTS, closeLab, createSpecimenByApi, drawZone, formAt, openEditor, startEditorTests, uploadCapture } from './helpers';

jest.setTimeout(600_000);

const WAIT_MS = 120_000;
const EXAMINER = { username: 'e2e-form-editor', role: 'examiner', password: 'e2e form editor password', displayName: 'Fay Form' } as const;
/** The other examiner, who saves the same specimen through the API meanwhile. */
const SECOND_EXAMINER = { username: 'e2e-form-second', role: 'examiner', password: 'e2e form second password', displayName: 'Sam Second' } as const;

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

const createSpecimen = (title: string, fields: Record<string, unknown> = {}) => createSpecimenByApi(server, firstAuthorization, title, fields);

const textbox = (name: string) => page.getByRole('textbox', { name: new RegExp(`^${name}`) });

beforeAll(async () => {
  ({ dataDir, server, browser, page, pageErrors, images } = await startEditorTests('e2e-form', [EXAMINER, SECOND_EXAMINER], WAIT_MS));
  firstAuthorization = await apiAuthorization(server, EXAMINER);
  secondAuthorization = await apiAuthorization(server, SECOND_EXAMINER);
});

afterAll(() => closeLab(browser, server, dataDir));

test('what the examiner typed stays in the form through an upload and a zone save, and is then saved', async () => {
  const specimen = await createSpecimen('Utopia driving licence, typed through an upload', { series: '2019' });
  await openEditor(page, server, EXAMINER, specimen.id);
  await formAt(page, 1);

  await textbox('Description').fill('Typed before the upload: rosette checked under UV');
  await textbox('Series').fill('2024');

  // The upload stores a capture (revision 2) and the page reloads the specimen.
  await uploadCapture(page, images);
  await page.getByRole('heading', { name: 'Captures (1)' }).waitFor();
  await formAt(page, 2);
  expect(await textbox('Description').inputValue()).toBe('Typed before the upload: rosette checked under UV');
  expect(await textbox('Series').inputValue()).toBe('2024');
  // A field not touched keeps showing the stored value.
  expect(await textbox('Title').inputValue()).toBe(specimen.title);

  // A zone saved on the new capture (revision 3) hands the page the stored specimen.
  await drawZone(page, [
    [0.6, 0.25],
    [0.8, 0.25],
    [0.8, 0.55],
  ]);
  await page.getByRole('button', { name: 'Save zones' }).click();
  await page.getByText('Zones saved (revision 3).').waitFor();
  await formAt(page, 3);
  expect(await textbox('Description').inputValue()).toBe('Typed before the upload: rosette checked under UV');
  expect(await textbox('Series').inputValue()).toBe('2024');

  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByText('Saved (revision 4).').waitFor();
  const stored = await apiJson<Specimen>(server, firstAuthorization, `/api/specimens/${specimen.id}`);
  expect(stored).toMatchObject({ revision: 4, description: 'Typed before the upload: rosette checked under UV', series: '2024' });
  expect(stored.captures).toHaveLength(1);
  expect(stored.captures[0]!.zones).toHaveLength(1);
  // Saved, nothing is held any more.
  await page.getByRole('link', { name: 'View specimen' }).click();
  await page.getByRole('heading', { level: 1, name: specimen.title }).waitFor();
  expect(pageErrors).toEqual([]);
});

test('a second examiner saves meanwhile: the refused save loses nothing, the reload keeps what was typed and asks about the field both changed', async () => {
  const specimen = await createSpecimen('Utopia driving licence, edited twice', { series: '2019', notes: 'Stored notes' });
  await openEditor(page, server, EXAMINER, specimen.id);
  await formAt(page, 1);
  await textbox('Title').fill('Utopia driving licence, title typed here');
  await textbox('Notes').fill('Stored notes; compared with BP-17');

  // The other examiner changes the title (typed here too) and the series (not touched here).
  await apiJson(server, secondAuthorization, `/api/specimens/${specimen.id}`, {
    method: 'PATCH',
    body: { revision: specimen.revision, title: 'Utopia driving licence, title of the second examiner', series: '2020' },
  });

  await page.getByRole('button', { name: 'Save changes' }).click();
  const refused = page.getByRole('alertdialog', { name: 'Someone else changed this specimen' });
  await refused.waitFor();
  expect(await refused.textContent()).toContain('now revision 2');
  expect(await textbox('Notes').inputValue()).toBe('Stored notes; compared with BP-17');

  await refused.getByRole('button', { name: 'Reload the specimen' }).click();
  await formAt(page, 2);
  expect(await textbox('Series').inputValue()).toBe('2020');
  expect(await textbox('Notes').inputValue()).toBe('Stored notes; compared with BP-17');
  expect(await textbox('Title').inputValue()).toBe('Utopia driving licence, title typed here');

  // The title was changed on both sides: the form names it with both values and lets the examiner choose.
  const clash = page.getByRole('region', { name: 'Also changed by someone else' });
  await clash.waitFor();
  expect(await clash.textContent()).toContain('Utopia driving licence, title of the second examiner');
  await page.screenshot({ path: path.join(ARTIFACTS, 'editor-form-clash.png') });
  await clash.getByRole('button', { name: 'Keep mine: Title' }).click();
  await clash.waitFor({ state: 'detached' });

  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByText('Saved (revision 3).').waitFor();
  const stored = await apiJson<Specimen>(server, firstAuthorization, `/api/specimens/${specimen.id}`);
  expect(stored).toMatchObject({ revision: 3, title: 'Utopia driving licence, title typed here', series: '2020', notes: 'Stored notes; compared with BP-17' });
  expect(pageErrors).toEqual([]);
});

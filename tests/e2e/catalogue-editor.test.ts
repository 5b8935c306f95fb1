/**
 * The catalogue editor end to end in Debian Chromium (playwright-core), under
 * the Content-Security-Policy the server sends with the app: a lab examiner
 * creates a specimen through the form, uploads a capture under three light
 * sources, marks a security-feature zone and finds the specimen again by
 * search. The form, the capture upload and the zone editor validate with the
 * specimens-schema rules in the browser; the policy forbids eval, so Ajv
 * cannot compile validators there, and every step would do nothing.
 *
 * Needs `npm run build` (web/dist). Its images are drawn by sharp (helpers.ts).
 * Screenshots go to artifacts/e2e/ (not committed). Waits are on what the
 * page shows, never on time.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { RunningServer } from '../../server/src/server';
import { ARTIFACTS, closeLab, drawZone, logIn, startEditorTests, uploadCapture } from './helpers';

jest.setTimeout(600_000);

const WAIT_MS = 120_000;
const EXAMINER = { username: 'e2e-editor', role: 'examiner', password: 'e2e editor password', displayName: 'Eda Editor' } as const;
const TITLE = 'Utopia driving licence, 2024 series';

let dataDir: string;
let server: RunningServer;
let browser: Browser;
let page: Page;
/** Uncaught errors in the page (a refused eval is one). */
let pageErrors: string[];
let images: string[];

beforeAll(async () => {
  ({ dataDir, server, browser, page, pageErrors, images } = await startEditorTests('e2e-editor', [EXAMINER], WAIT_MS));
});

afterAll(() => closeLab(browser, server, dataDir));

test('an examiner creates a specimen, uploads white, UV and IR images, marks a zone and finds the specimen by search', async () => {
  await page.goto(`${server.url}/`);
  await logIn(page, EXAMINER);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New specimen' }).click();

  // An empty form is refused field by field, in the schema's words.
  await page.getByRole('button', { name: 'Create specimen' }).click();
  await page.getByText('Title is required').first().waitFor();

  await page.getByLabel('Title').fill(TITLE);
  await page.getByLabel('Issuing state').fill('UTO');
  await page.getByLabel('Category').selectOption({ label: 'Driving licence' });
  await page.getByLabel('Series').fill('2024');
  await page.getByRole('button', { name: 'Create specimen' }).click();
  await page.waitForURL(/\/specimens\/[A-Za-z0-9_-]+\/edit/);
  await page.getByText('Specimen created.').waitFor();

  // One capture: the files fill the slots their names name.
  await uploadCapture(page, images);

  // A guilloche zone, drawn corner by corner on the white-light image.
  await page.getByLabel('New zone type').selectOption({ label: 'Guilloche' });
  await drawZone(page, [
    [0.6, 0.25],
    [0.8, 0.25],
    [0.8, 0.55],
    [0.6, 0.55],
  ]);

  // Unsaved, the zone is not lost by an in-app link or the back button: the app asks, and staying keeps it.
  const editUrl = page.url();
  const leave = page.getByRole('alertdialog', { name: 'Leave without saving your zones?' });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Library' }).click();
  await leave.waitFor();
  await page.screenshot({ path: path.join(ARTIFACTS, 'editor-leave-unsaved.png') });
  await leave.getByRole('button', { name: 'Stay and keep editing' }).click();
  await leave.waitFor({ state: 'detached' });
  expect(page.url()).toBe(editUrl);
  await page.goBack();
  await leave.waitFor();
  await leave.getByRole('button', { name: 'Stay and keep editing' }).click();
  await leave.waitFor({ state: 'detached' });
  expect(page.url()).toBe(editUrl);
  expect(await page.getByRole('button', { name: 'Save zones' }).isEnabled()).toBe(true);

  await page.getByRole('button', { name: 'Save zones' }).click();
  await page.getByText(/^Zones saved/).waitFor();

  // Unsaved details of the specimen are held the same way, until they are saved.
  await page.getByRole('textbox', { name: /^Description/ }).fill('Guilloche rosette, fine-line check');
  const leaveForm = page.getByRole('alertdialog', { name: 'Leave without saving your changes to the specimen?' });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Library' }).click();
  await leaveForm.waitFor();
  await leaveForm.getByRole('button', { name: 'Stay and keep editing' }).click();
  await leaveForm.waitFor({ state: 'detached' });
  expect(page.url()).toBe(editUrl);
  expect(await page.getByRole('textbox', { name: /^Description/ }).inputValue()).toBe('Guilloche rosette, fine-line check');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByText(/^Saved \(revision \d+\)\./).waitFor();

  // Found again by search, with its three lights and the zone.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Library' }).click();
  await page.getByRole('searchbox', { name: 'Search specimens' }).fill('driving licence 2024');
  await page.getByRole('link', { name: TITLE }).click();
  await page.getByRole('heading', { level: 1, name: TITLE }).waitFor();
  expect(await page.getByRole('heading', { name: 'Feature zones (1)' }).count()).toBe(1);
  for (const light of ['White light', 'UV 365 nm', 'IR 870 nm']) await page.getByRole('button', { name: new RegExp(light) }).first().waitFor();
  await page.screenshot({ path: path.join(ARTIFACTS, 'editor-specimen.png') });
  expect(pageErrors).toEqual([]);
});

test("an examiner who imports the lab's own package is told so once, in words", async () => {
  // Logged in by the test above; the specimen it made is exported and the package given back to the same lab.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Exchange' }).click();
  await page.getByRole('searchbox', { name: 'Find specimens to export' }).fill('driving licence');
  await page.getByRole('button', { name: `Add ${TITLE}` }).click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download signed package' }).click()]);
  const pkg = path.join(dataDir, download.suggestedFilename());
  await download.saveAs(pkg);

  await page.getByLabel('Package (.zip)').setInputFiles(pkg);
  await page.getByRole('button', { name: 'Check the package' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'made by this lab' });
  await alert.waitFor();
  await page.screenshot({ path: path.join(ARTIFACTS, 'exchange-own-package.png') });
  const texts = await page.getByRole('alert').allTextContents();
  expect(texts).toHaveLength(1);
  expect(texts[0]!.match(/made by this lab/g)).toHaveLength(1);
  expect(texts[0]).not.toMatch(/trusted partner/);
  expect(pageErrors).toEqual([]);
});

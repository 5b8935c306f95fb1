/**
 * The catalogue editor end to end in Debian Chromium (playwright-core), under
 * the Content-Security-Policy the server sends with the app: a lab examiner
 * creates a specimen through the form, uploads a capture under three light
 * sources, marks a security-feature zone and finds the specimen again by
 * search. The form, the capture upload and the zone editor validate with the
 * specimens-schema rules in the browser; the policy forbids eval, so Ajv
 * cannot compile validators there, and every step would do nothing.
 *
 * Needs `npm run build` (web/dist). Its images are drawn here by sharp.
 * Screenshots go to artifacts/e2e/ (not committed). Waits are on what the
 * page shows, never on time.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { openContext } from '../../server/src/context';
import { loadConfig } from '../../server/src/config';
import { startServer, type RunningServer } from '../../server/src/server';
import { systemActor } from '../../server/src/services/actor';

jest.setTimeout(600_000);

const ROOT = path.resolve(__dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'artifacts', 'e2e');
const WAIT_MS = 120_000;
const EXAMINER = { username: 'e2e-editor', role: 'examiner', password: 'e2e editor password', displayName: 'Eda Editor' } as const;
const TITLE = 'Utopia driving licence, 2024 series';

let dataDir: string;
let server: RunningServer;
let browser: Browser;
let page: Page;
/** Uncaught errors in the page (a refused eval is one). */
const pageErrors: string[] = [];
let images: string[];

/** A card-like image per light source: the same layout, a different palette, named by light as a scanner would. */
async function drawCapture(dir: string): Promise<string[]> {
  const palettes = { white: ['#f3ead8', '#1d3557', '#2a9d8f'], 'uv-365': ['#1b1035', '#8ecae6', '#e9ff70'], 'ir-870': ['#8a8a8a', '#202020', '#9a9a9a'] };
  const files: string[] = [];
  for (const [light, [paper, ink, feature]] of Object.entries(palettes)) {
    const rings = Array.from({ length: 12 }, (_, i) => `<circle cx="620" cy="230" r="${20 + i * 11}" fill="none" stroke="${feature}" stroke-width="3"/>`).join('');
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="570">
      <rect width="900" height="570" rx="30" fill="${paper}"/>
      <rect x="50" y="120" width="220" height="280" fill="${ink}" opacity="0.35"/>
      <text x="50" y="80" font-size="40" font-family="DejaVu Sans" fill="${ink}">DRIVING LICENCE</text>
      <text x="300" y="200" font-size="28" font-family="DejaVu Sans" fill="${ink}">SAMPLE</text>
      <text x="300" y="260" font-size="28" font-family="DejaVu Sans" fill="${ink}">UTO 2024</text>${rings}</svg>`;
    const file = path.join(dir, `licence_${light}.png`);
    await sharp(Buffer.from(svg)).png().toFile(file);
    files.push(file);
  }
  return files;
}

beforeAll(async () => {
  if (!fs.existsSync(path.join(ROOT, 'web', 'dist', 'index.html'))) throw new Error('web/dist is missing: run `npm run build` first');
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (Debian package chromium; .ci/run installs it)`);
  await fsp.mkdir(ARTIFACTS, { recursive: true });
  dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'exemplar-e2e-editor-'));
  const config = loadConfig({ EXEMPLAR_DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', EXEMPLAR_SEED_DEMO: 'never' });
  const context = await openContext(config);
  server = await startServer(config, { context, handleSignals: false });
  await context.services.auth.createUser(EXAMINER, systemActor('test'));
  images = await drawCapture(dataDir);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(WAIT_MS);
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dataDir) await fsp.rm(dataDir, { recursive: true, force: true });
});

test('an examiner creates a specimen, uploads white, UV and IR images, marks a zone and finds the specimen by search', async () => {
  await page.goto(`${server.url}/`);
  await page.getByLabel('User name').fill(EXAMINER.username);
  await page.getByLabel('Password').fill(EXAMINER.password);
  await page.getByRole('button', { name: 'Log in' }).click();
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
  await page.getByLabel('Add several image files').setInputFiles(images);
  await page.getByRole('button', { name: 'Upload capture (3 images)' }).click();
  await page.getByText('Capture stored: 3 images').waitFor();

  // A guilloche zone, drawn corner by corner on the white-light image.
  const area = page.getByLabel(/^Zone drawing area/);
  await page.getByLabel('New zone type').selectOption({ label: 'Guilloche' });
  await page.getByRole('button', { name: 'Draw a zone' }).click();
  await area.scrollIntoViewIfNeeded();
  const box = (await area.boundingBox())!;
  for (const [x, y] of [
    [0.6, 0.25],
    [0.8, 0.25],
    [0.8, 0.55],
    [0.6, 0.55],
  ] as const) {
    await page.mouse.click(box.x + box.width * x, box.y + box.height * y);
  }
  await page.keyboard.press('Enter');

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

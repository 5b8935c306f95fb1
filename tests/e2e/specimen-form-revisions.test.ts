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
import type { Specimen } from '@exemplar/specimens-schema';
import { openContext } from '../../server/src/context';
import { loadConfig } from '../../server/src/config';
import { startServer, type RunningServer } from '../../server/src/server';
import { systemActor } from '../../server/src/services/actor';

jest.setTimeout(600_000);

const ROOT = path.resolve(__dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'artifacts', 'e2e');
const WAIT_MS = 120_000;
const EXAMINER = { username: 'e2e-form-editor', role: 'examiner', password: 'e2e form editor password', displayName: 'Fay Form' } as const;
/** The other examiner, who saves the same specimen through the API meanwhile. */
const SECOND_EXAMINER = { username: 'e2e-form-second', role: 'examiner', password: 'e2e form second password', displayName: 'Sam Second' } as const;

let dataDir: string;
let server: RunningServer;
let browser: Browser;
let page: Page;
/** Uncaught errors in the page. */
const pageErrors: string[] = [];
let images: string[];
/** `Authorization: Bearer …` of each examiner, for what the test does outside the browser. */
let firstAuthorization: string;
let secondAuthorization: string;

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

async function tokenOf(account: { username: string; password: string }): Promise<string> {
  const res = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: account.username, password: account.password }),
  });
  if (!res.ok) throw new Error(`login of ${account.username}: HTTP ${res.status}`);
  return `Bearer ${((await res.json()) as { token: string }).token}`;
}

async function apiJson<T>(authorization: string, url: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(`${server.url}${url}`, {
    method: init.method ?? 'GET',
    headers: { authorization, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const createSpecimen = (title: string, fields: Record<string, unknown> = {}) =>
  apiJson<Specimen>(firstAuthorization, '/api/specimens', {
    method: 'POST',
    body: { title, status: 'genuine', issuingState: 'UTO', documentCategory: 'driving-licence', classification: 'public', tags: [], ...fields },
  });

const textbox = (name: string) => page.getByRole('textbox', { name: new RegExp(`^${name}`) });

/** The form has taken in this revision of the specimen (its render signal): what it shows is based on it. */
const formAt = (revision: number) => page.locator(`form[aria-label="Edit specimen"][data-revision="${revision}"]`).waitFor();

/** Opens the editor of a specimen, logging in first when the browser has no session yet. */
async function openEditor(id: string) {
  await page.goto(`${server.url}/specimens/${id}/edit`);
  const login = page.getByRole('heading', { name: 'Log in' });
  const editor = page.getByRole('heading', { level: 1, name: /^Edit:/ });
  await Promise.race([login.waitFor(), editor.waitFor()]);
  if (await login.isVisible()) {
    await page.getByLabel('User name').fill(EXAMINER.username);
    await page.getByLabel('Password').fill(EXAMINER.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await editor.waitFor();
  }
}

beforeAll(async () => {
  if (!fs.existsSync(path.join(ROOT, 'web', 'dist', 'index.html'))) throw new Error('web/dist is missing: run `npm run build` first');
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (Debian package chromium; .ci/run installs it)`);
  await fsp.mkdir(ARTIFACTS, { recursive: true });
  dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'exemplar-e2e-form-'));
  const config = loadConfig({ EXEMPLAR_DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', EXEMPLAR_SEED_DEMO: 'never' });
  const context = await openContext(config);
  server = await startServer(config, { context, handleSignals: false });
  await context.services.auth.createUser(EXAMINER, systemActor('test'));
  await context.services.auth.createUser(SECOND_EXAMINER, systemActor('test'));
  firstAuthorization = await tokenOf(EXAMINER);
  secondAuthorization = await tokenOf(SECOND_EXAMINER);
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

test('what the examiner typed stays in the form through an upload and a zone save, and is then saved', async () => {
  const specimen = await createSpecimen('Utopia driving licence, typed through an upload', { series: '2019' });
  await openEditor(specimen.id);
  await formAt(1);

  await textbox('Description').fill('Typed before the upload: rosette checked under UV');
  await textbox('Series').fill('2024');

  // The upload stores a capture (revision 2) and the page reloads the specimen.
  await page.getByLabel('Add several image files').setInputFiles(images);
  await page.getByRole('button', { name: 'Upload capture (3 images)' }).click();
  await page.getByText('Capture stored: 3 images').waitFor();
  await page.getByRole('heading', { name: 'Captures (1)' }).waitFor();
  await formAt(2);
  expect(await textbox('Description').inputValue()).toBe('Typed before the upload: rosette checked under UV');
  expect(await textbox('Series').inputValue()).toBe('2024');
  // A field not touched keeps showing the stored value.
  expect(await textbox('Title').inputValue()).toBe(specimen.title);

  // A zone saved on the new capture (revision 3) hands the page the stored specimen.
  const area = page.getByLabel(/^Zone drawing area/);
  await page.getByRole('button', { name: 'Draw a zone' }).click();
  await area.scrollIntoViewIfNeeded();
  const box = (await area.boundingBox())!;
  for (const [x, y] of [
    [0.6, 0.25],
    [0.8, 0.25],
    [0.8, 0.55],
  ] as const) {
    await page.mouse.click(box.x + box.width * x, box.y + box.height * y);
  }
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Save zones' }).click();
  await page.getByText('Zones saved (revision 3).').waitFor();
  await formAt(3);
  expect(await textbox('Description').inputValue()).toBe('Typed before the upload: rosette checked under UV');
  expect(await textbox('Series').inputValue()).toBe('2024');

  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByText('Saved (revision 4).').waitFor();
  const stored = await apiJson<Specimen>(firstAuthorization, `/api/specimens/${specimen.id}`);
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
  await openEditor(specimen.id);
  await formAt(1);
  await textbox('Title').fill('Utopia driving licence, title typed here');
  await textbox('Notes').fill('Stored notes; compared with BP-17');

  // The other examiner changes the title (typed here too) and the series (not touched here).
  await apiJson(secondAuthorization, `/api/specimens/${specimen.id}`, {
    method: 'PATCH',
    body: { revision: specimen.revision, title: 'Utopia driving licence, title of the second examiner', series: '2020' },
  });

  await page.getByRole('button', { name: 'Save changes' }).click();
  const refused = page.getByRole('alertdialog', { name: 'Someone else changed this specimen' });
  await refused.waitFor();
  expect(await refused.textContent()).toContain('now revision 2');
  expect(await textbox('Notes').inputValue()).toBe('Stored notes; compared with BP-17');

  await refused.getByRole('button', { name: 'Reload the specimen' }).click();
  await formAt(2);
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
  const stored = await apiJson<Specimen>(firstAuthorization, `/api/specimens/${specimen.id}`);
  expect(stored).toMatchObject({ revision: 3, title: 'Utopia driving licence, title typed here', series: '2020', notes: 'Stored notes; compared with BP-17' });
  expect(pageErrors).toEqual([]);
});

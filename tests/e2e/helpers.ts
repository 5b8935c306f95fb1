/**
 * Shared by the browser tests: the real server on a loopback port over a
 * fresh data folder, Debian Chromium through playwright-core, logging in
 * through the login page or the API, and the catalogue editor's steps that
 * several tests take to reach what they check (an upload, a zone drawn).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import sharp from 'sharp';
import type { Specimen } from '@exemplar/specimens-schema';
import { loadConfig, type Config } from '../../server/src/config';
import { openContext, type AppContext } from '../../server/src/context';
import { startServer, type RunningServer } from '../../server/src/server';
import { systemActor } from '../../server/src/services/actor';

export const ROOT = path.resolve(__dirname, '../..');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots and downloads of the browser tests (not committed). */
export const ARTIFACTS = path.join(ROOT, 'artifacts', 'e2e');
export const VIEWPORT = { width: 1280, height: 800 } as const;

export interface Account {
  username: string;
  password: string;
}

/** A user as an admin creates one. */
export interface NewUser extends Account {
  role: string;
  displayName?: string;
}

export interface Lab {
  dataDir: string;
  config: Config;
  context: AppContext;
}

/**
 * A data folder of its own with the embedded stores opened, not yet served
 * (a test may seed it first). Refuses to start without the built app or
 * Chromium, saying which is missing.
 */
export async function openLab(prefix: string, env: Record<string, string> = {}): Promise<Lab> {
  if (!fs.existsSync(path.join(ROOT, 'web', 'dist', 'index.html'))) throw new Error('web/dist is missing: run `npm run build` first');
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (Debian package chromium; .ci/run installs it)`);
  await fsp.mkdir(ARTIFACTS, { recursive: true });
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), `exemplar-${prefix}-`));
  const config = loadConfig({
    EXEMPLAR_DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    EXEMPLAR_SEED_DEMO: 'never',
    ...env,
  });
  return { dataDir, config, context: await openContext(config) };
}

/** The real server of a lab (API and built app) on a free loopback port. */
export function serveLab(lab: Lab): Promise<RunningServer> {
  return startServer(lab.config, { context: lab.context, handleSignals: false });
}

/** Closes what a test file started, whichever of it did start. */
export async function closeLab(browser: Browser | undefined, server: RunningServer | undefined, dataDir: string | undefined): Promise<void> {
  await browser?.close();
  await server?.close();
  if (dataDir) await fsp.rm(dataDir, { recursive: true, force: true });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A page in a browser context of its own (its own cookies), waiting up to `timeoutMs` for what it is asked to find. */
export async function openPage(browser: Browser, timeoutMs: number, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORT, ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(timeoutMs);
  return page;
}

/** Fills in and sends the login page the browser shows. */
export async function logIn(page: Page, account: Account): Promise<void> {
  await page.getByLabel('User name').fill(account.username);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** `Authorization` header value of a fresh session of `account`, for what a test does outside the browser. */
export async function apiAuthorization(server: RunningServer, account: Account): Promise<string> {
  const res = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: account.username, password: account.password }),
  });
  if (!res.ok) throw new Error(`login of ${account.username}: HTTP ${res.status}`);
  return `Bearer ${((await res.json()) as { token: string }).token}`;
}

/** A JSON request to the API; anything but 2xx fails the test with the status and the answer. */
export async function apiJson<T>(server: RunningServer, authorization: string, url: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const method = init.method ?? 'GET';
  const res = await fetch(`${server.url}${url}`, {
    method,
    headers: { authorization, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** A card-like image per light source: the same layout, a different palette, named by light as a scanner would. */
export async function drawCapture(dir: string): Promise<string[]> {
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

export interface EditorTests {
  dataDir: string;
  server: RunningServer;
  browser: Browser;
  page: Page;
  /** Uncaught errors in the page (a refused eval is one). */
  pageErrors: string[];
  /** One capture's files, white, UV and IR (drawCapture). */
  images: string[];
}

/**
 * Where the catalogue editor's browser tests start: the served lab with these
 * users, the images of one capture, Chromium and a page whose uncaught errors
 * are collected. What did start is closed again if a later step fails.
 */
export async function startEditorTests(prefix: string, users: readonly NewUser[], timeoutMs: number): Promise<EditorTests> {
  const lab = await openLab(prefix);
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await serveLab(lab);
    for (const user of users) await lab.context.services.auth.createUser(user, systemActor('test'));
    const images = await drawCapture(lab.dataDir);
    browser = await launchChromium();
    const page = await openPage(browser, timeoutMs);
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    return { dataDir: lab.dataDir, server, browser, page, pageErrors, images };
  } catch (err) {
    await closeLab(browser, server, lab.dataDir);
    throw err;
  }
}

/** In the specimen editor: one capture of these files (each goes to the slot its name names), uploaded and stored. */
export async function uploadCapture(page: Page, files: string[]): Promise<void> {
  await page.getByLabel('Add several image files').setInputFiles(files);
  await page.getByRole('button', { name: `Upload capture (${files.length} images)` }).click();
  await page.getByText(`Capture stored: ${files.length} images`).waitFor();
}

/** In the zone editor: a zone drawn corner by corner, each corner a fraction of the drawing area's width and height, then closed. */
export async function drawZone(page: Page, corners: readonly (readonly [number, number])[]): Promise<void> {
  const area = page.getByLabel(/^Zone drawing area/);
  await page.getByRole('button', { name: 'Draw a zone' }).click();
  await area.scrollIntoViewIfNeeded();
  const box = await area.boundingBox();
  if (!box) throw new Error('the zone drawing area is not on the page');
  for (const [x, y] of corners) await page.mouse.click(box.x + box.width * x, box.y + box.height * y);
  await page.keyboard.press('Enter');
}

/** A specimen catalogued through the API: a public genuine UTO driving licence, unless `fields` say otherwise. */
export function createSpecimenByApi(server: RunningServer, authorization: string, title: string, fields: Record<string, unknown> = {}): Promise<Specimen> {
  return apiJson<Specimen>(server, authorization, '/api/specimens', {
    method: 'POST',
    body: { title, status: 'genuine', issuingState: 'UTO', documentCategory: 'driving-licence', classification: 'public', tags: [], ...fields },
  });
}

/** Opens the editor of a specimen, logging in as `account` first when the browser has no session yet. */
export async function openEditor(page: Page, server: RunningServer, account: Account, id: string): Promise<void> {
  await page.goto(`${server.url}/specimens/${id}/edit`);
  const login = page.getByRole('heading', { name: 'Log in' });
  const editor = page.getByRole('heading', { level: 1, name: /^Edit:/ });
  await Promise.race([login.waitFor(), editor.waitFor()]);
  if (await login.isVisible()) {
    await logIn(page, account);
    await editor.waitFor();
  }
}

/** The specimen form has taken in this revision of the specimen (its render signal): what it shows is based on it. */
export function formAt(page: Page, revision: number): Promise<void> {
  return page.locator(`form[aria-label="Edit specimen"][data-revision="${revision}"]`).waitFor();
}

/** The zone editor has taken in this revision of the specimen (its render signal): the zones it shows are based on it. */
export function zoneEditorAt(page: Page, revision: number): Promise<void> {
  return page.locator(`.zone-editor[data-revision="${revision}"]`).waitFor();
}

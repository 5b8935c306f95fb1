/**
 * Finding one comparison among many by what it is called, in Debian
 * Chromium against the real server and a real SQLite file: the case form's
 * comparison picker and the Comparisons page ask the API's search, so a
 * comparison far below the first page is found without paging to it.
 *
 * Needs `npm run build` (web/dist). Screenshots go to artifacts/e2e/.
 */
import path from 'node:path';
import type { Browser, Page, Request } from 'playwright-core';
import type { RunningServer } from '../../server/src/server';
import { systemActor } from '../../server/src/services/actor';
import { comparisonSearchText, COMPARISON_JOB_KIND, type ComparisonJobPayload } from '../../server/src/services/comparisons.service';
import { sha256 } from '../../server/src/test-helpers';
import { ARTIFACTS, closeLab, logIn, launchChromium, openLab, openPage, serveLab } from './helpers';

jest.setTimeout(180_000);

const EXAMINER = { username: 'search-examiner', role: 'examiner', password: 'search examiner password', displayName: 'Sam Examiner' } as const;
/** More than two pages of the lists (50 a page) came after the comparison looked for. */
const NEWER = 120;
const WANTED = 'Passport seized at Calais ferry';

let dataDir: string;
let server: RunningServer;
let browser: Browser;
let page: Page;
/** Every request the page sent to the API. */
const requests: Request[] = [];

beforeAll(async () => {
  const lab = await openLab('cmp-search', { EXEMPLAR_SERVER_COMPARISONS: '0' });
  dataDir = lab.dataDir;
  await lab.context.services.auth.createUser(EXAMINER, systemActor('test'));
  // Comparisons as the service records them, written straight to the job store (each would otherwise need a real
  // pipeline run); cancelled, so that they do not fill the queue. The one looked for is the oldest.
  const jobs = lab.context.catalog.jobs;
  const comparison = async (id: string, notes: string, originalName: string) => {
    const sha = sha256(Buffer.from(`seizure ${id}`));
    const key = `questioned/${sha}`;
    const payload: ComparisonJobPayload = {
      v: 1,
      request: { reference: 'auto', notes },
      questioned: { white: { sha256: sha, key, bytes: 1, width: 1, height: 1, format: 'jpeg', originalName } },
      createdBy: 'bo.officer',
    };
    await jobs.enqueue({ id, kind: COMPARISON_JOB_KIND, payload, createdBy: 'bo.officer', inputs: [key], searchText: comparisonSearchText(id, payload, undefined) });
    await jobs.cancel(id);
  };
  await comparison('calais-ferry-0001', `${WANTED}\nholder detained`, 'IMG_4471.jpg');
  for (let i = 0; i < NEWER; i++) await comparison(`routine-${String(i).padStart(4, '0')}`, `Routine border check ${i}`, `routine-${i}.jpg`);

  server = await serveLab(lab);
  browser = await launchChromium();
  page = await openPage(browser, 30_000);
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/')) requests.push(r);
  });
  await page.goto(`${server.url}/login`);
  await logIn(page, EXAMINER);
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
});

afterAll(() => closeLab(browser, server, dataDir));

const comparisonSearches = () => requests.filter((r) => r.method() === 'GET' && new URL(r.url()).pathname === '/api/comparisons').map((r) => new URL(r.url()).searchParams.get('q'));

test("the case form's comparison picker finds a comparison that is not on the first page, and Enter in its search box does not submit the form", async () => {
  await page.goto(`${server.url}/cases/new`);
  await page.getByRole('button', { name: 'Choose comparisons…' }).click();
  const finder = page.getByRole('group', { name: 'Choose comparisons' });
  // The first page is shown (its foot offers the next): the comparison looked for is not on it.
  await finder.getByRole('button', { name: 'Older comparisons (50 shown)' }).waitFor();
  await finder.getByRole('cell', { name: `Routine border check ${NEWER - 1}`, exact: true }).waitFor();
  expect(await finder.getByRole('cell', { name: WANTED }).count()).toBe(0);

  const search = finder.getByRole('searchbox', { name: 'Search the comparisons' });
  await search.fill('calais FERRY');
  await search.press('Enter');
  await finder.getByRole('cell', { name: WANTED, exact: true }).waitFor();
  expect(await finder.getByRole('row').count()).toBe(2);
  expect(comparisonSearches()).toContain('calais FERRY');
  // Enter searched; the case was not sent half-made.
  expect(new URL(page.url()).pathname).toBe('/cases/new');
  expect(requests.filter((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/cases')).toEqual([]);

  await page.screenshot({ path: path.join(ARTIFACTS, 'comparison-picker-search.png') });
  await finder.getByRole('button', { name: new RegExp(`^Link ${WANTED}`) }).click();
  await page.getByRole('list', { name: 'Linked comparisons' }).getByText(WANTED).waitFor();

  // Cleared, the picker lists the newest again.
  await search.fill('');
  await finder.getByRole('button', { name: 'Older comparisons (50 shown)' }).waitFor();
});

test('the Comparisons page finds one by the file name of its questioned image, and keeps the search in the address', async () => {
  await page.goto(`${server.url}/comparisons`);
  await page.getByRole('link', { name: `Routine border check ${NEWER - 1}`, exact: true }).waitFor();
  expect(await page.getByRole('link', { name: WANTED }).count()).toBe(0);
  await page.getByRole('searchbox', { name: 'Search comparisons' }).fill('img_4471');
  await page.getByRole('link', { name: WANTED, exact: true }).waitFor();
  await page.waitForURL((url) => url.searchParams.get('q') === 'img_4471');
  expect(await page.getByRole('table').getByRole('row').count()).toBe(2);
  await page.screenshot({ path: path.join(ARTIFACTS, 'comparison-list-search.png') });

  // Reloaded (or opened from a link), the address gives the same list.
  await page.reload();
  await page.getByRole('link', { name: WANTED, exact: true }).waitFor();
  expect(await page.getByRole('searchbox', { name: 'Search comparisons' }).inputValue()).toBe('img_4471');
});

/**
 * The web app end to end in Debian Chromium (playwright-core): the real
 * server on a loopback port with a real SQLite file and object folder,
 * seeded with demo specimens by the demo generator, the built app from
 * web/dist, real comparison jobs through the image pipeline's workers.
 *
 * A new user searches the library, opens the genuine demo passport, switches
 * light source (zoom and pan stay), uploads the images of a demo counterfeit as
 * the questioned document, runs the comparison, and sees the flagged regions
 * in every viewer mode under every light source; a forgery with an overtyped
 * MRZ date of birth shows its failing check digits in words and boxed.
 *
 * Needs `npm run build` (web/dist and the compiled pipeline workers).
 * Screenshots go to artifacts/e2e/ (not committed). Waits are on render
 * signals (the viewer's data-state and data-animating), never on time.
 */
import { createHash } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Specimen } from '@exemplar/specimens-schema';
import { seedDemoLibrary } from '../../server/src/demo/seed';
import type { RunningServer } from '../../server/src/server';
import { systemActor } from '../../server/src/services/actor';
import { apiAuthorization, apiJson as apiJsonAs, ARTIFACTS, closeLab, launchChromium, logIn, openLab, openPage, serveLab, type Account } from './helpers';

jest.setTimeout(1_800_000);

const GENUINE = 'uto-passport-2019-a';
/** A counterfeit faithful in white light and IR, but without the UV-only emblem. */
const COUNTERFEIT = 'uto-passport-2019-missing-uv-emblem';
/** A forgery whose MRZ date of birth was overtyped without recomputing the check digits: the comparison reports MRZ findings. */
const ALTERED_BIRTH_DATE = 'uto-passport-2019-altered-birth-date';
/** A comparison under load on two shared cores can take minutes; the test waits for the job, not a time. */
const JOB_WAIT_MS = 1_500_000;
const VIEW_WAIT_MS = 120_000;

let dataDir: string;
let server: RunningServer;
let browser: Browser;
let page: Page;
let genuine: Specimen;
let counterfeit: Specimen;
let altered: Specimen;
let questionedFiles: string[];
/** The examiner's session token, as `Authorization: Bearer`, for what the test fetches outside the browser. */
let authorization: string;

/** The examiner the test logs in as (created as an admin would, through the auth service). */
const EXAMINER = { username: 'e2e-examiner', role: 'examiner', password: 'e2e examiner password', displayName: 'Erin Examiner' } as const;
/** A second examiner: alerts need one who did not write them to approve them. */
const SECOND_EXAMINER = { username: 'e2e-examiner-2', role: 'examiner', password: 'e2e second examiner password', displayName: 'Otto Second' } as const;
/** A border officer asking the laboratory to verify a document. */
const OFFICER = { username: 'e2e-officer', role: 'border-officer', password: 'e2e officer password', displayName: 'Bo Officer' } as const;
/** A prosecutor assigned to one case (issue 5: they download its exhibit from the web app). */
const PROSECUTOR = { username: 'e2e-prosecutor', role: 'prosecutor', password: 'e2e prosecutor password', displayName: 'Pat Prosecutor' } as const;

/** A JSON request as the examiner. */
const apiJson = <T>(url: string, init: { method?: string; body?: unknown } = {}) => apiJsonAs<T>(server, authorization, url, init);

beforeAll(async () => {
  const lab = await openLab('e2e', {
    // This test is about the app, not pipeline speed: on a busy shared machine a light source can take minutes.
    EXEMPLAR_PIPELINE_TASK_TIMEOUT_MS: String(JOB_WAIT_MS),
  });
  dataDir = lab.dataDir;
  const { context } = lab;
  // The genuine passport and one counterfeit of it (seeding a key also seeds the genuine it imitates).
  const seeded = await seedDemoLibrary(context, { keys: [COUNTERFEIT, ALTERED_BIRTH_DATE] });
  server = await serveLab(lab);
  await context.services.auth.createUser(EXAMINER, systemActor('test'));
  await context.services.auth.createUser(PROSECUTOR, systemActor('test'));
  await context.services.auth.createUser(OFFICER, systemActor('test'));
  await context.services.auth.createUser(SECOND_EXAMINER, systemActor('test'));
  authorization = await apiAuthorization(server, EXAMINER);

  const ids = new Map(seeded.created.map((c) => [c.key, c.id]));
  genuine = await apiJson<Specimen>(`/api/specimens/${ids.get(GENUINE)}`);
  counterfeit = await apiJson<Specimen>(`/api/specimens/${ids.get(COUNTERFEIT)}`);
  altered = await apiJson<Specimen>(`/api/specimens/${ids.get(ALTERED_BIRTH_DATE)}`);
  // The questioned document: the counterfeit's originals, as a border officer's files named by light source.
  questionedFiles = [];
  for (const image of counterfeit.captures[0]!.images) {
    const res = await fetch(`${server.url}/api/images/${image.sha256}`, { headers: { authorization } });
    const file = path.join(dataDir, `questioned_${image.lightSource}.${image.format === 'jpeg' ? 'jpg' : image.format}`);
    await fsp.writeFile(file, Buffer.from(await res.arrayBuffer()));
    questionedFiles.push(file);
  }

  browser = await launchChromium();
  // The browser has no credential of its own: it logs in through the login page.
  page = await openPage(browser, VIEW_WAIT_MS);
});

afterAll(() => closeLab(browser, server, dataDir));

/** Every viewer in `scope` has drawn all its layers and stands still. */
async function viewersSettled(scope: string) {
  await page.waitForFunction(
    (sel) => {
      const viewers = [...document.querySelectorAll(`${sel} .viewer`)];
      return viewers.length > 0 && viewers.every((v) => v.getAttribute('data-state') === 'ready' && !v.hasAttribute('data-animating'));
    },
    scope,
  );
}

/** Waits for `done`, failing at once with the page's message when the page reports an error instead. */
async function settledOrFailed(done: Promise<unknown>) {
  return settledOrFailedOn(page, done);
}

async function settledOrFailedOn(page: Page, done: Promise<unknown>) {
  const alert = page.locator('.state--error, [role="alert"]').first();
  const failed = alert.waitFor().then(async () => {
    throw new Error(`the page reported an error: ${await alert.textContent()}`);
  });
  await Promise.race([done, failed]);
  failed.catch(() => undefined);
}

/** The overlay's transform mirrors the viewport: equal transforms, equal zoom and pan. */
const overlayTransform = (scope: string) => page.locator(`${scope} .viewer__overlay > g`).first().getAttribute('transform');

/**
 * The overlay's transform once a zoom has moved it from `before` and come to
 * rest: OpenSeadragon marks its animation only from the next frame, so right
 * after a click the viewer still reads as settled, and a busy machine caught
 * the view mid-way. Waits until the viewers are settled and the transform
 * has held for five frames.
 */
async function zoomedFrom(scope: string, before: string | null): Promise<string | null> {
  await page.waitForFunction(
    ([sel, prev]) => {
      const memo = window as unknown as { zoomedFromLast?: string | null; zoomedFromFrames?: number };
      const viewers = [...document.querySelectorAll(`${sel} .viewer`)];
      const transform = document.querySelector(`${sel} .viewer__overlay > g`)?.getAttribute('transform') ?? null;
      const settled = viewers.length > 0 && viewers.every((v) => v.getAttribute('data-state') === 'ready' && !v.hasAttribute('data-animating'));
      memo.zoomedFromFrames = settled && transform !== prev && transform === memo.zoomedFromLast ? (memo.zoomedFromFrames ?? 0) + 1 : 0;
      memo.zoomedFromLast = transform;
      return memo.zoomedFromFrames >= 5;
    },
    [scope, before] as const,
    { polling: 'raf' },
  );
  return overlayTransform(scope);
}

test('search → specimen → light switch keeps the view → upload questioned → compare → every mode shows the flagged regions', async () => {
  // 0. A logged-out visit lands on the login page; logging in leads to the library with the user's name and role shown.
  await page.goto(`${server.url}/`);
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await logIn(page, EXAMINER);
  await page.getByRole('button', { name: `User menu: ${EXAMINER.displayName}, Examiner` }).waitFor();

  // 1. Find the demo specimen in the library.
  await page.getByRole('searchbox', { name: 'Search specimens' }).fill('holder A');
  await page.getByRole('link', { name: genuine.title }).click();
  await page.waitForURL(`**/specimens/${genuine.id}`);
  await page.getByRole('heading', { level: 1, name: genuine.title }).waitFor();

  // 2. Zoom in, then switch light source with a number key: the new image shows the same part of the page.
  await viewersSettled('.specimen');
  const fitted = await overlayTransform('.specimen');
  await page.getByRole('button', { name: /^Zoom in/ }).click();
  await page.getByRole('button', { name: /^Zoom in/ }).click();
  const zoomed = await zoomedFrom('.specimen', fitted);
  await page.keyboard.press('2');
  await page.waitForURL(/light=uv-365/);
  await page.getByRole('group', { name: /under UV 365 nm/ }).waitFor();
  await viewersSettled('.specimen');
  expect(await overlayTransform('.specimen')).toBe(zoomed);
  expect(await page.getByRole('region', { name: /Original image, UV 365 nm/ }).textContent()).toContain(genuine.captures[0]!.images.find((i) => i.lightSource === 'uv-365')!.sha256);
  await page.screenshot({ path: path.join(ARTIFACTS, 'specimen-uv.png') });

  // 3. Upload the questioned images against this reference and run the comparison.
  await page.getByRole('link', { name: 'Compare a document with this' }).click();
  await page.getByLabel('Chosen reference').waitFor();
  await page.getByLabel('Add several questioned image files').setInputFiles(questionedFiles);
  await page.getByRole('textbox', { name: 'Notes (optional)' }).fill('E2E questioned passport');
  await page.getByRole('button', { name: `Compare ${questionedFiles.length} images` }).click();
  await settledOrFailed(page.waitForURL(/\/comparisons\/[A-Za-z0-9_-]+/));
  await page.locator('.compare, [role="alert"]').first().waitFor({ timeout: JOB_WAIT_MS });
  const failure = page.locator('.state--error');
  if (await failure.count()) throw new Error(`the comparison did not finish: ${await failure.textContent()}`);

  // 4. Every light source × every mode: the flagged regions are drawn in every viewer, on screen, and the questioned image is marked.
  const lights = await page.getByRole('group', { name: 'Light source' }).getByRole('button').allTextContents();
  const modes = await page.getByRole('group', { name: 'Comparison mode' }).getByRole('button').all();
  expect(lights.length).toBeGreaterThanOrEqual(3);
  expect(modes.length).toBe(5);
  const flaggedPerLight: Record<string, number> = {};
  for (let l = 0; l < lights.length; l++) {
    await page.keyboard.press(String(l + 1));
    const lightId = await page.locator('.compare').getAttribute('data-light');
    const heading = await page.getByRole('heading', { name: /^Flagged regions/ }).textContent();
    const flagged = Number(/\((\d+)\)/.exec(heading ?? '')?.[1] ?? 0);
    flaggedPerLight[lightId!] = flagged;
    for (const mode of modes) {
      const hotkey = (await mode.getAttribute('aria-keyshortcuts'))!.toLowerCase();
      const modeId = (await mode.getAttribute('data-mode-id'))!;
      await page.keyboard.press(hotkey);
      await page.locator(`.compare[data-mode="${modeId}"][data-light="${lightId}"]`).waitFor();
      await viewersSettled('.compare__stage');
      if (flagged > 0) {
        // Zoom every view to the first flagged region.
        await page.keyboard.press('n');
        await viewersSettled('.compare__stage');
      }
      const check = await page.evaluate(() => {
        const stage = document.querySelector('.compare__stage')!;
        const viewers = [...stage.querySelectorAll<HTMLElement>('.viewer')];
        const ids = (v: Element) => [...v.querySelectorAll('[data-region-id^="r"]')].map((e) => e.getAttribute('data-region-id'));
        const selected = [...stage.querySelectorAll('.region--selected polygon, .region--selected rect:not(.region__box)')];
        const onScreen = selected.some((el) => {
          const r = el.getBoundingClientRect();
          const s = stage.getBoundingClientRect();
          return r.width > 0 && r.height > 0 && r.right > s.left && r.left < s.right && r.bottom > s.top && r.top < s.bottom;
        });
        const questionedTag = [...stage.querySelectorAll<HTMLElement>('[data-side="questioned"]')].some((t) => t.offsetParent !== null && /questioned/i.test(t.textContent ?? ''));
        return { perViewer: viewers.map(ids), onScreen, questionedTag };
      });
      expect(check.questionedTag).toBe(true);
      for (const ids of check.perViewer) expect(ids).toHaveLength(flagged);
      if (flagged > 0) expect(check.onScreen).toBe(true);
      await page.screenshot({ path: path.join(ARTIFACTS, `compare-${lightId}-${modeId}.png`) });
    }
  }
  // The missing emblem is flagged under UV, where it should glow.
  expect(flaggedPerLight['uv-365']).toBeGreaterThan(0);
});

test('the altered date of birth: the comparison names the known forgery it matches, lists the failing MRZ check digits in words and boxes them in every viewer', async () => {
  // The forgery's white image against the genuine reference, named by its stored hash (no upload: the upload flow is covered above).
  const white = altered.captures[0]!.images.find((i) => i.lightSource === 'white')!;
  const { id } = await apiJson<{ id: string }>('/api/comparisons', {
    method: 'POST',
    body: { reference: { specimenId: genuine.id, captureId: genuine.captures[0]!.id }, questioned: { images: { white: white.sha256 } }, notes: 'E2E altered date of birth' },
  });
  await page.goto(`${server.url}/comparisons/${id}?light=white&mode=side-by-side`);
  await page.locator('.compare, .state--error').first().waitFor({ timeout: JOB_WAIT_MS });
  const failure = page.locator('.state--error');
  if (await failure.count()) throw new Error(`the comparison did not finish: ${await failure.textContent()}`);

  // The questioned image is the catalogued forgery's own: identification names that known fraud as the closer match.
  const fraudMatch = page.getByRole('alert', { name: 'Known fraud match' });
  await fraudMatch.waitFor();
  expect(await fraudMatch.getByRole('link').allTextContents()).toEqual([altered.title]);

  const checks = page.getByRole('region', { name: /^Document checks/ });
  await checks.waitFor();
  const first = checks.getByRole('button', { name: /^Zoom to finding M1: MRZ check digits? fails?: date of birth/ });
  await first.waitFor();
  expect(await checks.textContent()).toMatch(/Date of birth \d{6} \(YYMMDD\): check digit read as \d, but the data as read give \d\./);
  await viewersSettled('.compare__stage');
  // Keyboard: M zooms every view to the first finding, whose box is drawn, selected and on screen in both viewers.
  await page.keyboard.press('m');
  expect(await first.getAttribute('aria-pressed')).toBe('true');
  await viewersSettled('.compare__stage');
  const boxes = await page.evaluate(() => {
    const stage = document.querySelector('.compare__stage')!;
    const s = stage.getBoundingClientRect();
    return [...stage.querySelectorAll('.viewer')].map((v) => {
      const frame = v.querySelector('.finding--selected[data-finding-id="m1"] .finding__frame');
      const r = frame?.getBoundingClientRect();
      return Boolean(r && r.width > 0 && r.height > 0 && r.right > s.left && r.left < s.right && r.bottom > s.top && r.top < s.bottom);
    });
  });
  expect(boxes).toEqual([true, true]);
  await page.screenshot({ path: path.join(ARTIFACTS, 'compare-findings-white.png') });
});

test('a prosecutor logs in, opens an assigned case and downloads its exhibit report and bundle with their SHA-256 checked', async () => {
  // An examiner's case with the genuine passport as reference, concluded and assigned to the prosecutor.
  const created = await apiJson<{ id: string; revision: number }>('/api/cases', {
    method: 'POST',
    body: { title: 'E2E passport at Port North', reference: 'E2E-2026-1', prosecutors: [PROSECUTOR.username], specimens: [genuine.id] },
  });
  await apiJson(`/api/cases/${created.id}/conclusion`, {
    method: 'PUT',
    body: { revision: created.revision, opinion: 'identification', proposition: 'genuine', statement: 'The passport is a genuine Utopia passport of the 2019 series.' },
  });

  // A browser of their own (no session cookie from the examiner's run).
  const prosecutorPage = await openPage(browser, VIEW_WAIT_MS, { acceptDownloads: true });
  try {
    await prosecutorPage.goto(`${server.url}/cases`);
    await prosecutorPage.getByRole('heading', { name: 'Log in' }).waitFor();
    await logIn(prosecutorPage, PROSECUTOR);
    await prosecutorPage.waitForURL('**/cases');
    // Only what a prosecutor may use is offered.
    const nav = prosecutorPage.getByRole('navigation', { name: 'Main' });
    // The links render once the session is known: read them after the first shows (allTextContents does not wait).
    await nav.getByRole('link', { name: 'Cases' }).waitFor();
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Library', 'Cases']);

    await prosecutorPage.getByRole('link', { name: 'E2E-2026-1' }).click();
    await prosecutorPage.getByRole('heading', { level: 1, name: 'E2E passport at Port North' }).waitFor();
    expect(await prosecutorPage.getByRole('button', { name: 'Conclude' }).count()).toBe(0);
    // The conclusion states what the opinion answers, worded as in the report.
    await prosecutorPage.getByText("The examiner's opinion is that the questioned document was produced by the issuing authority's process (is genuine).").waitFor();

    for (const [label, ext] of [
      ['exhibit report (PDF)', 'pdf'],
      ['exhibit bundle (zip)', 'zip'],
    ] as const) {
      const [download] = await Promise.all([prosecutorPage.waitForEvent('download'), prosecutorPage.getByRole('button', { name: `Download ${label}` }).click()]);
      const file = path.join(ARTIFACTS, `prosecutor-exhibit.${ext}`);
      await download.saveAs(file);
      const digest = createHash('sha256').update(await fsp.readFile(file)).digest('hex');
      const result = prosecutorPage.getByRole('status', { name: `${label} downloaded` });
      await result.waitFor();
      expect(await result.textContent()).toContain(digest);
      expect(await result.textContent()).toContain('matches the server’s digest');
      expect(download.suggestedFilename()).toMatch(new RegExp(`\\.${ext}$`));
    }
    const pdf = await fsp.readFile(path.join(ARTIFACTS, 'prosecutor-exhibit.pdf'));
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    await prosecutorPage.screenshot({ path: path.join(ARTIFACTS, 'prosecutor-case.png') });
  } finally {
    await prosecutorPage.context().close();
  }
});

/** A page of its own (own cookies) logged in through the login page. */
async function loggedInPage(account: Account): Promise<Page> {
  const p = await openPage(browser, VIEW_WAIT_MS);
  await p.goto(`${server.url}/`);
  await logIn(p, account);
  await p.getByRole('button', { name: /^User menu/ }).waitFor();
  return p;
}

test('a border officer requests verification of a document reported stolen; an examiner claims and answers it; the officer reads the answer', async () => {
  // The ICAO specimen passport number, reported stolen.
  const mrz = ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO7408122F1204159ZE184226B<<<<<10'];
  await apiJson('/api/register', { method: 'POST', body: { issuingState: 'UTO', documentNumber: 'L898902C3', documentCode: 'P', status: 'stolen', source: 'E2E city police', date: '2026-11-01' } });

  const officer = await loggedInPage(OFFICER);
  const examiner = await loggedInPage(EXAMINER);
  try {
    await officer.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Verification' }).click();
    await officer.getByRole('link', { name: 'Request verification' }).click();
    await officer.getByLabel('Add several image files').setInputFiles(questionedFiles);
    await officer.getByRole('radio', { name: /Urgent/ }).check();
    await officer.getByRole('textbox', { name: 'Notes' }).fill('E2E passport with a dull UV emblem');
    await officer.getByRole('textbox', { name: 'MRZ lines (if readable)' }).fill(mrz.join('\n'));
    await officer.getByRole('button', { name: `Send request (${questionedFiles.length} images)` }).click();
    await settledOrFailedOn(officer, officer.waitForURL(/\/verification\/[A-Za-z0-9_-]{6,}$/));
    // The register hit is shown prominently on the request.
    const banner = officer.getByRole('alert', { name: 'Register hit' });
    await banner.waitFor();
    expect(await banner.textContent()).toContain('E2E city police');
    const requestUrl = officer.url();
    await officer.screenshot({ path: path.join(ARTIFACTS, 'verification-officer.png') });

    await examiner.goto(`${server.url}/verification`);
    await examiner.getByRole('link', { name: 'E2E passport with a dull UV emblem' }).click();
    await examiner.getByRole('button', { name: 'Claim this request' }).click();
    const answer = examiner.getByRole('form', { name: 'Answer' });
    await answer.getByRole('radio', { name: 'Fraudulent' }).check();
    await answer.getByRole('combobox', { name: 'Fraud type' }).selectOption('counterfeit');
    await answer.getByRole('textbox', { name: 'Message to the officer' }).fill('Counterfeit: the UV emblem is missing. Seize the document.');
    await answer.getByRole('button', { name: 'Send answer' }).click();
    await examiner.getByRole('heading', { level: 1, name: 'Answer: Fraudulent' }).waitFor();

    await officer.goto(requestUrl);
    await officer.getByRole('heading', { level: 1, name: 'Answer: Fraudulent' }).waitFor();
    expect(await officer.getByRole('region', { name: 'Answer of the laboratory' }).textContent()).toContain('Seize the document.');
    await officer.screenshot({ path: path.join(ARTIFACTS, 'verification-answered.png') });
  } finally {
    await officer.context().close();
    await examiner.context().close();
  }
});

test('four eyes: the drafter cannot approve an alert, a second examiner publishes it, a border officer sees it as new', async () => {
  const draft = await apiJson<{ id: string; revision: number }>('/api/alerts', {
    method: 'POST',
    body: {
      title: 'E2E: Utopia 2019 passports without the UV emblem',
      summary: 'Counterfeits of the 2019 series seen at Port North lack the UV 365 emblem on the data page.',
      checks: [{ text: 'Look at the data page under UV 365 nm: the emblem must glow.' }],
      specimenId: counterfeit.id,
      affected: { issuingState: 'UTO', documentCategory: 'passport', documentCode: 'P', series: '2019' },
      severity: 'high',
    },
  });
  await apiJson(`/api/alerts/${draft.id}/submit`, { method: 'POST', body: { revision: draft.revision } });

  const drafter = await loggedInPage(EXAMINER);
  const second = await loggedInPage(SECOND_EXAMINER);
  const officer = await loggedInPage(OFFICER);
  try {
    await drafter.goto(`${server.url}/alerts/${draft.id}`);
    await drafter.getByText('You drafted or edited this alert, so another examiner must approve it.').waitFor();
    expect(await drafter.getByRole('button', { name: 'Approve and publish' }).isDisabled()).toBe(true);

    await second.goto(`${server.url}/alerts/${draft.id}`);
    await second.getByRole('button', { name: 'Approve and publish' }).click();
    await second.getByText('Published', { exact: true }).first().waitFor();
    expect(await second.getByRole('list', { name: 'Approval steps' }).textContent()).toContain(SECOND_EXAMINER.username);

    // The officer's navigation counts the alert as new until the alerts have been opened.
    await officer.goto(`${server.url}/`);
    await officer.getByRole('navigation', { name: 'Main' }).getByLabel('1 new').waitFor();
    await officer.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Alerts/ }).click();
    const card = officer.getByRole('list', { name: 'Alerts' }).getByRole('listitem').filter({ hasText: 'E2E: Utopia 2019 passports' });
    await card.getByText('New', { exact: true }).waitFor();
    await card.getByRole('link').click();
    await officer.getByRole('heading', { level: 1, name: 'E2E: Utopia 2019 passports without the UV emblem' }).waitFor();
    expect(await officer.getByRole('button', { name: 'Approve and publish' }).count()).toBe(0);
    await officer.screenshot({ path: path.join(ARTIFACTS, 'alert-officer.png') });
  } finally {
    for (const p of [drafter, second, officer]) await p.context().close();
  }
});

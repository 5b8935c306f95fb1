/**
 * The border officer's pages on a phone (390 × 844, touch) in Debian
 * Chromium: nothing is wider than the screen, and every control of the
 * comparison viewer can be reached by touch (a phone has no keyboard for the
 * mode shortcuts). Layout only a real browser computes, so this is a browser
 * test.
 *
 * Needs `npm run build` (web/dist and the compiled pipeline workers).
 * Screenshots go to artifacts/e2e/ (not committed).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { addGlare } from '@exemplar/image-pipeline';
import type { Specimen } from '@exemplar/specimens-schema';
import type { RunningServer } from '../../server/src/server';
import { systemActor } from '../../server/src/services/actor';
import { apiAuthorization, apiJson, ARTIFACTS, closeLab, createSpecimenByApi, drawCapture, launchChromium, logIn, openLab, openPage, serveLab } from './helpers';

/** A comparison on two shared cores can take minutes; the test waits for the job, not a time. */
const JOB_WAIT_MS = 600_000;
jest.setTimeout(JOB_WAIT_MS + 120_000);

const OFFICER = { username: 'phone-officer', role: 'border-officer', password: 'phone officer password', displayName: 'Pho Officer' } as const;
const EXAMINER = { username: 'phone-examiner', role: 'examiner', password: 'phone examiner password', displayName: 'Pho Examiner' } as const;
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } as const;

let dataDir: string;
let server: RunningServer;
let browser: Browser;
let page: Page;
let comparisonId: string;
/** The same image with a glare over its rings: what differs only where it is blown out is listed apart. */
let glaredId: string;

beforeAll(async () => {
  const lab = await openLab('phone', { EXEMPLAR_PIPELINE_TASK_TIMEOUT_MS: String(JOB_WAIT_MS) });
  dataDir = lab.dataDir;
  server = await serveLab(lab);
  await lab.context.services.auth.createUser(OFFICER, systemActor('test'));
  await lab.context.services.auth.createUser(EXAMINER, systemActor('test'));
  const authorization = await apiAuthorization(server, EXAMINER);

  // A reference with a white-light image, and a comparison of that image with itself (the viewer needs a finished comparison).
  const specimen = await createSpecimenByApi(server, authorization, 'Phone layout licence');
  const [white] = await drawCapture(dataDir);
  const form = new FormData();
  form.append('capture', JSON.stringify({ page: 'data-page' }));
  form.append('white', new Blob([await fs.readFile(white!)], { type: 'image/png' }), path.basename(white!));
  const uploaded = await fetch(`${server.url}/api/specimens/${specimen.id}/captures`, { method: 'POST', headers: { authorization }, body: form });
  if (!uploaded.ok) throw new Error(`capture upload: HTTP ${uploaded.status} ${await uploaded.text()}`);
  const stored = await apiJson<Specimen>(server, authorization, `/api/specimens/${specimen.id}`);
  const capture = stored.captures[0]!;
  // The officer uploads the same image as the questioned one (a border officer sees only the comparisons they submitted).
  const questioned = new FormData();
  questioned.append('comparison', JSON.stringify({ reference: { specimenId: stored.id, captureId: capture.id } }));
  questioned.append('white', new Blob([await fs.readFile(white!)], { type: 'image/png' }), 'questioned.png');
  const submitted = await fetch(`${server.url}/api/comparisons`, { method: 'POST', headers: { authorization: await apiAuthorization(server, OFFICER) }, body: questioned });
  if (submitted.status !== 202) throw new Error(`comparison: HTTP ${submitted.status} ${await submitted.text()}`);
  ({ id: comparisonId } = (await submitted.json()) as { id: string });
  const { data, info } = await sharp(white!).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  addGlare({ data, width: info.width, height: info.height, channels: info.channels }, { cx: 620, cy: 230, rx: 110, ry: 90, peak: 400 });
  const glared = new FormData();
  glared.append('comparison', JSON.stringify({ reference: { specimenId: stored.id, captureId: capture.id } }));
  glared.append('white', new Blob([await sharp(data, { raw: info }).png().toBuffer()], { type: 'image/png' }), 'glared.png');
  const glaredSubmitted = await fetch(`${server.url}/api/comparisons`, { method: 'POST', headers: { authorization: await apiAuthorization(server, OFFICER) }, body: glared });
  if (glaredSubmitted.status !== 202) throw new Error(`glared comparison: HTTP ${glaredSubmitted.status} ${await glaredSubmitted.text()}`);
  ({ id: glaredId } = (await glaredSubmitted.json()) as { id: string });

  browser = await launchChromium();
  page = await openPage(browser, 60_000, PHONE);
  await page.goto(`${server.url}/login`);
  await logIn(page, OFFICER);
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
});

afterAll(() => closeLab(browser, server, dataDir));

/** How far the page is wider than the screen, and the innermost elements that stick out (to name them in a failure). */
function overflow(p: Page): Promise<{ excess: number; culprits: string[] }> {
  return p.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const culprits: string[] = [];
    for (const el of document.querySelectorAll('body *')) {
      const right = el.getBoundingClientRect().right;
      if (right > width + 0.5 && ![...el.children].some((c) => c.getBoundingClientRect().right >= right - 0.5)) {
        culprits.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')} "${(el.textContent ?? '').trim().slice(0, 30)}"`);
      }
    }
    return { excess: document.documentElement.scrollWidth - width, culprits: culprits.slice(0, 8) };
  });
}

test('the library and its search bar fit the phone screen', async () => {
  await page.goto(`${server.url}/`);
  await page.getByRole('button', { name: /^Filters/ }).waitFor();
  await page.screenshot({ path: path.join(ARTIFACTS, 'phone-library.png'), fullPage: true });
  expect(await overflow(page)).toEqual({ excess: 0, culprits: [] });
});

test('the compare page fits the phone screen, reference choice included', async () => {
  await page.goto(`${server.url}/compare`);
  await page.getByRole('button', { name: 'Suggest references from the questioned image' }).waitFor();
  await page.screenshot({ path: path.join(ARTIFACTS, 'phone-compare.png'), fullPage: true });
  expect(await overflow(page)).toEqual({ excess: 0, culprits: [] });
});

test("the officer's verification request, its MRZ printed in full, fits the phone screen", async () => {
  const [white] = await drawCapture(dataDir);
  const form = new FormData();
  const mrz = ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO7408122F1204159ZE184226B<<<<<10'];
  form.append('request', JSON.stringify({ urgency: 'immediate', notes: 'Laminate lifts at the corner', mrz: { lines: mrz } }));
  form.append('white', new Blob([await fs.readFile(white!)], { type: 'image/png' }), 'gate4_white.png');
  const sent = await fetch(`${server.url}/api/verification-requests`, { method: 'POST', headers: { authorization: await apiAuthorization(server, OFFICER) }, body: form });
  if (sent.status !== 201) throw new Error(`verification request: HTTP ${sent.status} ${await sent.text()}`);
  const { id } = (await sent.json()) as { id: string };
  await page.goto(`${server.url}/verification/${id}`);
  await page.getByText(mrz[1]!, { exact: false }).waitFor();
  await page.screenshot({ path: path.join(ARTIFACTS, 'phone-verification.png'), fullPage: true });
  expect(await overflow(page)).toEqual({ excess: 0, culprits: [] });
});

test('every comparison mode can be tapped on a phone', async () => {
  await page.goto(`${server.url}/comparisons/${comparisonId}`);
  await page.locator('.compare, .state--error, [role="alert"]').first().waitFor({ timeout: JOB_WAIT_MS });
  const failure = page.locator('.state--error, [role="alert"]');
  if (await failure.count()) throw new Error(`the comparison did not finish: ${await failure.textContent()}`);
  const group = page.getByRole('group', { name: 'Comparison mode' });
  await group.scrollIntoViewIfNeeded();
  const modes = group.getByRole('button');
  const visible = await modes.evaluateAll((buttons) =>
    buttons.map((b) => {
      const box = b.getBoundingClientRect();
      // The point a finger lands on must be this button, not clipped away nor off the screen.
      const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
      return { mode: b.getAttribute('data-mode-id'), tappable: box.right <= document.documentElement.clientWidth && hit !== null && b.contains(hit) };
    }),
  );
  expect(visible.length).toBeGreaterThanOrEqual(5);
  expect(visible.filter((v) => !v.tappable)).toEqual([]);
  // The caption (mode, light, flagged regions, the two documents) wraps on a phone instead of being cut to "S…".
  const caption = page.locator('.compare__caption p');
  expect(await caption.evaluate((p) => ({ cut: p.scrollWidth > p.clientWidth + 1, text: p.textContent?.includes('flagged region') }))).toEqual({ cut: false, text: true });
  await modes.filter({ hasText: 'Heatmap' }).tap();
  await page.locator('.compare[data-mode="heatmap"]').waitFor();
  await page.screenshot({ path: path.join(ARTIFACTS, 'phone-comparison.png'), fullPage: true });
});

test('the areas a glare blows out are listed apart from the differences, fit the phone screen and can be tapped', async () => {
  await page.goto(`${server.url}/comparisons/${glaredId}`);
  await page.locator('.compare, .state--error, [role="alert"]').first().waitFor({ timeout: JOB_WAIT_MS });
  const failure = page.locator('.state--error, [role="alert"]');
  if (await failure.count()) throw new Error(`the comparison did not finish: ${await failure.textContent()}`);
  const apart = page.getByRole('region', { name: /^Blown out — not judged \(\d+\)$/ });
  await apart.scrollIntoViewIfNeeded();
  const first = apart.getByRole('button', { name: /^Zoom to blown-out area B1, / });
  await first.tap();
  expect(await first.getAttribute('aria-pressed')).toBe('true');
  const box = (await first.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(390);
  await page.screenshot({ path: path.join(ARTIFACTS, 'phone-comparison-blown-out.png'), fullPage: true });
  expect(await overflow(page)).toEqual({ excess: 0, culprits: [] });
});

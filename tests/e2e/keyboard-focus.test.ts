/**
 * Keyboard-only use of the border officer's main flow in Debian Chromium:
 * wherever Tab lands, the user can see it. The image slots hide their file
 * inputs inside "Choose file…" / "Camera…" buttons, so the focus ring must
 * show on the button around the focused input. What is visible is computed
 * style, which only a real browser has.
 *
 * Needs `npm run build` (web/dist). Screenshots go to artifacts/e2e/.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { RunningServer } from '../../server/src/server';
import { systemActor } from '../../server/src/services/actor';
import { ARTIFACTS, closeLab, launchChromium, logIn, openLab, openPage, serveLab } from './helpers';

jest.setTimeout(180_000);

const OFFICER = { username: 'keys-officer', role: 'border-officer', password: 'keys officer password', displayName: 'Kay Officer' } as const;

let dataDir: string;
let server: RunningServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const lab = await openLab('keys');
  dataDir = lab.dataDir;
  server = await serveLab(lab);
  await lab.context.services.auth.createUser(OFFICER, systemActor('test'));
  browser = await launchChromium();
  page = await openPage(browser, 30_000);
  await page.goto(`${server.url}/login`);
  await logIn(page, OFFICER);
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
});

afterAll(() => closeLab(browser, server, dataDir));

/** What has the keyboard focus, and whether it, or the visible control it sits in (a hidden file input's button), shows a focus ring. */
function focusShown(p: Page): Promise<{ name: string; shown: boolean }> {
  return p.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { name: '(nothing)', shown: false };
    const name = el.getAttribute('aria-label') ?? el.textContent?.trim() ?? el.tagName;
    const ring = (e: Element) => {
      const style = getComputedStyle(e);
      return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
    };
    const box = el.getBoundingClientRect();
    // A 1-px clipped input is not what the user sees: its visible button must carry the ring.
    const seen = box.width > 2 && box.height > 2 ? el : el.closest('label');
    return { name, shown: seen !== null && ring(seen) };
  });
}

test('tabbing through the compare page shows where the focus is, on every image slot button too', async () => {
  await page.goto(`${server.url}/compare`);
  await page.getByLabel('Image for White light').waitFor({ state: 'attached' });
  const unseen: string[] = [];
  const visited: string[] = [];
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    const focus = await focusShown(page);
    // Past the last control the focus leaves the page.
    if (focus.name === '(nothing)') break;
    visited.push(focus.name);
    if (!focus.shown) unseen.push(focus.name);
    if (focus.name === 'Image for White light') await page.screenshot({ path: path.join(ARTIFACTS, 'keyboard-compare-file-focus.png') });
  }
  // The walk did reach the slots' hidden file inputs.
  expect(visited).toEqual(expect.arrayContaining(['Image for White light', 'Take the White light image with the camera', 'Add several questioned image files']));
  expect(unseen).toEqual([]);
});

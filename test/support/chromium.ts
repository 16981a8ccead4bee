import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterEach, expect } from 'vitest';
import { findBinary } from './require-binary.js';

/** What the pages threw and logged as errors, per browser: printed as it happens, and kept. */
const seen = new WeakMap<Browser, string[]>();
/** Every context a browser opened, for describing its open pages when a test fails. */
const opened = new WeakMap<Browser, Set<BrowserContext>>();

/**
 * Debian's Chromium, headless (playwright-core drives it; no browser is ever downloaded).
 * `--autoplay-policy` lets the board's alarm tone play without a click, as a kiosk-mode wall
 * screen is set up to.
 *
 * Every context it opens reports its pages' uncaught exceptions and console errors to the test's
 * output at once (a failure on a loaded CI machine then says what the page saw), and keeps the
 * uncaught ones for `takePageErrors(browser)`: a test asserts there were none.
 */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: findBinary('chromium') ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      ...extraArgs,
    ],
  });
  const errors: string[] = [];
  const contexts = new Set<BrowserContext>();
  seen.set(browser, errors);
  opened.set(browser, contexts);
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args: Parameters<Browser['newContext']>): Promise<BrowserContext> => {
    const context = await newContext(...args);
    contexts.add(context);
    context.on('close', () => contexts.delete(context));
    context.on('weberror', (e) => {
      const text = `${e.page()?.url() ?? '?'}: ${e.error().stack ?? e.error().message}`;
      errors.push(text);
      console.error(`[chromium] uncaught in page ${text}`);
    });
    context.on('console', (m) => {
      if (m.type() !== 'error') return;
      // A failed request names the page, not the resource: the location says which it was.
      const where = m.location().url || m.page()?.url() || '?';
      console.error(`[chromium] console.error ${where}: ${m.text()}`);
    });
    return context;
  };
  return browser;
}

/** The uncaught exceptions the browser's pages have thrown since the last call (URLs and stacks). */
export function takePageErrors(browser: Browser): string[] {
  const errors = seen.get(browser) ?? [];
  return errors.splice(0, errors.length);
}

/**
 * What each open page shows, for a failed test's output: its address and the start of its
 * visible text, and a screenshot of it to `dir` (the page's last state, not the test's).
 */
export async function describeOpenPages(browser: Browser, dir: string, name: string): Promise<string> {
  const lines: string[] = [];
  let n = 0;
  for (const context of opened.get(browser) ?? []) {
    for (const page of context.pages()) {
      n += 1;
      const file = `${dir}/failed-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}-${n}.png`;
      const text = await page
        .evaluate(() => document.body?.innerText ?? '')
        .catch((err: unknown) => `(unreadable: ${String(err)})`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
      lines.push(`page ${n} ${page.url()} (${file}):\n${text.replace(/\s+/g, ' ').slice(0, 1500)}`);
    }
  }
  return lines.join('\n');
}

/**
 * Registers, in the calling suite, the check every browser test ends with: an uncaught exception
 * in any page fails the test that caused it, and a failed test prints what its open pages showed
 * (screenshots to `shotsDir`).
 */
export function watchPages(browser: () => Browser | undefined, shotsDir: string): void {
  afterEach(async ({ task }) => {
    const b = browser();
    if (!b) return;
    if (task.result?.state === 'fail') console.error(await describeOpenPages(b, shotsDir, task.name));
    expect(takePageErrors(b)).toEqual([]);
  });
}

/**
 * A new context signed in as one of the test people (password `caretaker`) through the hub's
 * sign-in API: its pages and its `request` carry the session cookie.
 */
export async function signedInContext(
  browser: Browser,
  hubUrl: string,
  username: string,
  options: Parameters<Browser['newContext']>[0] = {},
): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  const login = await context.request.post(`${hubUrl}/api/auth/login`, {
    data: { username, password: 'caretaker' },
  });
  expect(login.status(), `sign-in as ${username}`).toBe(200);
  return context;
}

/** How wide the page's content is: a phone page fits when this is no wider than its screen. */
export const contentWidth = (page: Page): Promise<number> =>
  page.evaluate(() => document.documentElement.scrollWidth);

/** A phone: 390×844 CSS pixels at 2×, touch. */
export const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
} as const;

/** A signed-in context (see signedInContext) and a page in it, on a phone or a 1280×900 desk. */
export async function signedInPage(
  browser: Browser,
  hubUrl: string,
  username: string,
  phone: boolean,
  locale = 'en-GB',
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await signedInContext(browser, hubUrl, username, {
    locale,
    ...(phone ? PHONE : { viewport: { width: 1280, height: 900 } }),
  });
  return { context, page: await context.newPage() };
}

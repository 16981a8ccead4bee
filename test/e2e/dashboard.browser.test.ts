import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentWidth, launchChromium, watchPages } from '../support/chromium.js';
import { requireBinary } from '../support/require-binary.js';
import { REPO_ROOT, type Stack, startStack } from '../support/stack.js';

const installed = requireBinary('chromium', 'apt-get install chromium');
/** Screenshots of every view, to look at after a run (gitignored). */
const SHOTS = join(REPO_ROOT, 'test', 'screenshots');
const LONG = { timeout: 30_000 };

/**
 * The dashboard in Chromium against the whole system (simulators → gateway → hub): the live
 * board, languages, alarms from injected faults, the trapped-passenger banner, the device page,
 * signing in, a phone-sized screen and the keyboard.
 */
describe.runIf(installed)('dashboard in Chromium', () => {
  let stack: Stack;
  let browser: Browser;

  const tile = (page: Page, id: string) => page.locator(`[data-device="${id}"]`);
  const openBoard = async (page: Page) => {
    await page.goto(stack.hub.url);
    await expect.poll(() => page.getByTestId('connection').textContent(), LONG).toMatch(/Live|实时/);
  };

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    stack = await startStack({ assetsFile: join(import.meta.dirname, 'fixtures', 'dashboard-assets.yaml') });
    browser = await launchChromium(['--autoplay-policy=no-user-gesture-required']);
  });

  watchPages(() => browser, SHOTS);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('shows every device by site and building and updates values without a reload', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, locale: 'en-GB' });
    await openBoard(page);
    // Gone if the page were reloaded (client-side routing's own history entries are not reloads).
    await page.evaluate(() => Object.assign(window, { notReloaded: true }));

    for (const id of ['pump-1', 'meter-1', 'elevator-1']) {
      await tile(page, id).waitFor(LONG);
      await expect.poll(() => tile(page, id).getByTestId('status').textContent(), LONG).toContain('Normal');
    }
    // Site → building → tiles, from the hub's assets.
    const tower1 = page.getByRole('region', { name: 'Equipment of Tower 1' });
    await expect.poll(() => tower1.locator('[data-device]').count(), LONG).toBe(2);
    expect(
      await page.getByRole('region', { name: 'Equipment of Tower 2' }).locator('[data-device]').count(),
    ).toBe(1);
    expect(await page.getByRole('heading', { level: 2, name: 'Test estate' }).count()).toBe(1);
    // … → rooms → tiles.
    const pumpRoom = page.getByRole('region', { name: 'Equipment of Pump room, Tower 1' });
    expect(
      await pumpRoom.locator('[data-device]').evaluateAll((tiles) => tiles.map((t) => t.dataset.device)),
    ).toEqual(['pump-1']);
    expect(
      await page
        .getByRole('region', { name: 'Equipment of Lift machine room, Tower 2' })
        .locator('[data-device="elevator-1"]')
        .count(),
    ).toBe(1);

    // The simulated pump's flow follows demand plus noise: its text changes as readings stream in.
    const flow = tile(page, 'pump-1').getByTestId('value-flow');
    await flow.waitFor(LONG);
    const first = await flow.textContent();
    expect(first).toMatch(/\d.*m3\/h/);
    await expect.poll(() => flow.textContent(), LONG).not.toBe(first);
    const power = tile(page, 'meter-1').getByTestId('value-active_power');
    await expect.poll(() => power.textContent(), LONG).toMatch(/\d.*kW/);
    // The sparkline has drawn a line once two sampling steps have passed.
    await expect
      .poll(() => tile(page, 'pump-1').locator('svg.spark polyline').count(), { timeout: 20_000 })
      .toBeGreaterThan(0);
    expect(await page.evaluate(() => 'notReloaded' in window)).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'board.png'), fullPage: true });
    await page.close();
  });

  it('switches between English and Chinese and remembers the choice', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    const page = await context.newPage();
    await openBoard(page);
    const nav = page.getByRole('navigation');
    expect(await nav.getByRole('link').allTextContents()).toEqual([
      'Live board',
      'Devices',
      'Alarms',
      'Work orders',
      'Inspections',
      'Energy',
      'Failures & maintenance',
    ]);

    await page.getByTestId('language').selectOption('zh-CN');
    expect(await nav.getByRole('link').allTextContents()).toEqual([
      '实时看板',
      '设备',
      '报警',
      '工单',
      '巡检',
      '能耗',
      '故障与维修',
    ]);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    await expect.poll(() => tile(page, 'pump-1').getByTestId('status').textContent(), LONG).toContain('正常');
    expect(await tile(page, 'pump-1').locator('dt').first().textContent()).toBe('流量');

    // Remembered across a reload.
    await page.reload();
    await expect.poll(() => page.getByTestId('connection').textContent(), LONG).toBe('实时');
    expect(await nav.getByRole('link').first().textContent()).toBe('实时看板');
    await tile(page, 'pump-1').waitFor(LONG);
    await page.screenshot({ path: join(SHOTS, 'board-zh-CN.png'), fullPage: true });

    await page.getByTestId('language').selectOption('en');
    expect(await nav.getByRole('link').first().textContent()).toBe('Live board');
    await context.close();

    // A Chinese browser starts in Chinese.
    const zh = await browser.newContext({ locale: 'zh-CN' });
    const zhPage = await zh.newPage();
    await zhPage.goto(stack.hub.url);
    await expect.poll(() => zhPage.getByTestId('connection').textContent(), LONG).toBe('实时');
    await zh.close();
  });

  it('an injected fault turns the tile to alarm and lists the alarm', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await openBoard(page);
    await tile(page, 'pump-1').waitFor(LONG);
    expect(await page.getByTestId('alarm-list').locator('[data-rule="pump.motor_trip"]').count()).toBe(0);

    stack.simulators.estate.inject({ device: 'pump-1', kind: 'motor_trip' });
    await expect.poll(() => tile(page, 'pump-1').getAttribute('data-state'), LONG).toBe('alarm');
    expect(await tile(page, 'pump-1').getByTestId('status').textContent()).toContain('Alarm');
    expect(await tile(page, 'pump-1').getByTestId('tile-alarm').textContent()).toContain('Major');
    const item = page.getByTestId('alarm-list').locator('[data-rule="pump.motor_trip"]');
    await item.waitFor(LONG);
    expect(await item.textContent()).toContain('pump-1');
    expect(await item.textContent()).toContain('Tower 1');
    expect(await page.getByTestId('board-summary').textContent()).toContain('1 in alarm');
    await page.screenshot({ path: join(SHOTS, 'board-alarm.png'), fullPage: true });

    await page.getByRole('link', { name: 'Alarms' }).click();
    await page.getByTestId('alarms-table').waitFor(LONG);
    expect(await page.getByTestId('alarms-table').textContent()).toContain('pump-1');
    await page.screenshot({ path: join(SHOTS, 'alarms.png'), fullPage: true });
    await page.close();
  });

  it('a trapped passenger sounds and shows a banner on every page; acknowledged, it stays silent until it clears', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await openBoard(page);
    await tile(page, 'elevator-1').waitFor(LONG);
    expect(await page.getByTestId('trapped-banner').count()).toBe(0);

    stack.simulators.estate.inject({ device: 'elevator-1', kind: 'passenger_trapped' });
    const banner = page.getByTestId('trapped-banner');
    await banner.waitFor(LONG);
    expect(await banner.textContent()).toContain('Passenger trapped: elevator-1');
    await expect.poll(() => banner.getAttribute('data-sound'), LONG).toBe('playing');
    await expect.poll(() => tile(page, 'elevator-1').getAttribute('data-state'), LONG).toBe('alarm');
    await page.screenshot({ path: join(SHOTS, 'trapped-banner.png') });

    // Still there on another page.
    await page.getByRole('link', { name: 'Devices' }).click();
    expect(await banner.isVisible()).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'devices.png'), fullPage: true });

    await banner.getByRole('button', { name: 'Acknowledge' }).click();
    // The hub records who (the demo's anonymous administrator) and when; the sound stops, the
    // banner stays while the passenger is still trapped.
    await expect.poll(() => banner.getAttribute('data-sound'), LONG).toBe('off');
    expect(await banner.getByTestId('acknowledged').textContent()).toMatch(/^✓ Acknowledged by demo at /);
    expect(await banner.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    // Acknowledged for good, on the hub: a reload brings the banner back silent.
    await page.goto(`${stack.hub.url}/alarms`);
    const row = page.getByTestId('alarms-table').locator('tr', { hasText: 'elevator-1' }).first();
    await row.waitFor(LONG);
    expect(await row.getByTestId('acknowledged').textContent()).toContain('Acknowledged by demo');
    await banner.getByTestId('acknowledged').waitFor(LONG);
    expect(await banner.getAttribute('data-sound')).toBe('off');
    await page.close();
  });

  it('the device page charts every point from the store, over a chosen range, and opens by its address', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await openBoard(page);
    await tile(page, 'pump-1').getByRole('link', { name: 'Open pump-1' }).click();
    expect(new URL(page.url()).pathname).toBe('/devices/pump-1');
    const flowChart = page.locator('figure[data-chart="flow"]');
    await flowChart.locator('canvas').waitFor(LONG);
    await expect
      .poll(() => flowChart.locator('figcaption').textContent(), LONG)
      .toBe('Flow (m3/h) · limits 3, 5, 40, 42');
    expect(await page.locator('figure[data-chart]').count()).toBeGreaterThanOrEqual(10);
    // Every limit of the pump rules (GET /api/rules) with no alarm on the point: raise 80 with
    // its hysteresis 75, the escalation's 95 (hub/rules/default.yaml).
    expect(await page.locator('figure[data-chart="bearing_temp"]').getAttribute('data-limits')).toBe(
      '75 80 95',
    );
    // The pump's motor-trip alarm is listed with the device.
    expect(await page.getByTestId('alarm-list').textContent()).toContain('motor');

    await page.getByRole('button', { name: '24 h' }).click();
    expect(await page.getByRole('button', { name: '24 h' }).getAttribute('aria-pressed')).toBe('true');
    await expect
      .poll(() => flowChart.locator('figcaption').textContent(), LONG)
      .toMatch(/^Flow \(m3\/h\) · limits/);
    await page.getByRole('button', { name: '15 min' }).click();
    await expect
      .poll(() => flowChart.locator('figcaption').textContent(), LONG)
      .toMatch(/^Flow \(m3\/h\) · limits/);
    // Beside the charts: the trend rules' predictions, the motor trip's order, the QR code.
    const predictions = page.getByTestId('predictions-panel');
    await predictions.locator('[data-rule="pump.vibration_trend"]').waitFor(LONG);
    expect(await predictions.locator('[data-rule="pump.bearing_temp_trend"]').textContent()).toMatch(
      /Bearing temperature.*(Reaches 80|Not heading for its limit of 80|Not enough readings)/,
    );
    const orders = page.getByTestId('orders-panel');
    await orders.locator('a[href^="/orders/"]').first().waitFor(LONG);
    expect(await orders.textContent()).toMatch(/motor/i);
    const qr = page.getByTestId('qr-code');
    await expect
      .poll(() => qr.evaluate((img: HTMLImageElement) => img.naturalWidth), LONG)
      .toBeGreaterThan(0);
    expect(await page.getByRole('button', { name: 'Print the code' }).count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'device.png'), fullPage: true });

    // A shared link (or a reload) opens the page directly.
    await page.goto(`${stack.hub.url}/devices/elevator-1`);
    await page.locator('figure[data-chart="car_position"] canvas').waitFor(LONG);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('elevator-1');
    await page.close();
  });

  it('a page whose code cannot be fetched says so in place; the nav and the live board go on', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
    await openBoard(page);
    await tile(page, 'pump-1').waitFor(LONG);
    // As after a hub upgrade that replaced the files: the reports page's code is not there.
    const blocked = '**/assets/*.js';
    await page.route(blocked, (route) => route.fulfill({ status: 404, body: 'gone' }));
    await page.getByRole('link', { name: 'Failures & maintenance' }).click();
    const failed = page.getByTestId('page-failed');
    await failed.waitFor(LONG);
    expect(await failed.getByRole('heading').textContent()).toBe('This page stopped working');
    expect(await failed.locator('pre').textContent()).toMatch(/\S/);
    // Only the page failed: the nav and the live connection are still there.
    expect(await page.getByTestId('connection').textContent()).toBe('Live');
    await page.screenshot({ path: join(SHOTS, 'page-failed.png') });

    // Another page clears it; once the files are back, "Reload the page" brings the failed one.
    await page.getByRole('link', { name: 'Live board' }).click();
    await tile(page, 'pump-1').waitFor(LONG);
    expect(await failed.count()).toBe(0);
    await page.unroute(blocked);
    await page.getByRole('link', { name: 'Failures & maintenance' }).click();
    await failed.getByRole('button', { name: 'Reload the page' }).click();
    await page.getByRole('heading', { level: 1, name: 'Failures & maintenance' }).waitFor(LONG);
    expect(await failed.count()).toBe(0);
    await page.close();
  });

  it('signs in and out with the form (the demo people)', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
    const page = await context.newPage();
    // A session cookie from the API, then the page: it shows who is signed in.
    const login = await page.request.post(`${stack.hub.url}/api/auth/login`, {
      data: { username: 'ada', password: 'caretaker' },
    });
    expect(login.status()).toBe(200);
    await openBoard(page);
    const signOut = page.getByRole('button', { name: 'Sign out' });
    await signOut.waitFor(LONG);
    expect(await page.locator('.user').textContent()).toContain('Ada Lin (administrator)');
    await signOut.click();

    await page.getByRole('heading', { name: 'Sign in' }).waitFor(LONG);
    await page.getByLabel('User name').fill('ada');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), LONG).toBe('Wrong user name or password.');
    await page.screenshot({ path: join(SHOTS, 'login.png') });

    await page.getByLabel('Password').fill('caretaker');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await signOut.waitFor(LONG);
    await tile(page, 'pump-1').waitFor(LONG);
    await context.close();
  });

  it('fits a phone screen and works from the keyboard', async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    await openBoard(page);
    await tile(page, 'pump-1').waitFor(LONG);
    // Nothing wider than the screen (no sideways scrolling).
    expect(await contentWidth(page)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(SHOTS, 'board-phone.png'), fullPage: true });
    await context.close();

    const desk = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await openBoard(desk);
    await tile(desk, 'pump-1').waitFor(LONG);
    // The first Tab reaches the skip link; Enter moves to the content.
    await desk.keyboard.press('Tab');
    expect(await desk.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await desk.keyboard.press('Enter');
    expect(await desk.evaluate(() => document.activeElement?.id)).toBe('content');
    // Tab on to the first tile's link and open it with Enter.
    for (let i = 0; i < 20; i += 1) {
      await desk.keyboard.press('Tab');
      const label = await desk.evaluate(() => document.activeElement?.getAttribute('aria-label'));
      if (label?.startsWith('Open ')) break;
    }
    await desk.keyboard.press('Enter');
    await desk.waitForURL(/\/devices\//, LONG);
    await desk.close();
  });
});

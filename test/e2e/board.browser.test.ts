import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentWidth, launchChromium, signedInContext, watchPages } from '../support/chromium.js';
import { requireBinary } from '../support/require-binary.js';
import { PEOPLE_STACK, REPO_ROOT, type Stack, startStack } from '../support/stack.js';

const installed = requireBinary('chromium', 'apt-get install chromium');
const SHOTS = join(REPO_ROOT, 'test', 'screenshots');
const LONG = { timeout: 30_000 };
const _FIXTURES = join(import.meta.dirname, 'fixtures');

/**
 * The live board, alarm acknowledgement and the device page outside the demo mode, as the people
 * of the test estate (fixtures/dashboard-people.yaml) see them: rooms on the board, sparklines
 * that survive a reload, a trapped passenger acknowledged by a technician on a phone and shown
 * as such on a supervisor's wall screen, a manager (viewer) who may not acknowledge, a technician
 * of another estate who sees nothing, and the device page's predictions, orders and QR code.
 */
describe.runIf(installed)('board, acknowledgement and device page by role', () => {
  let stack: Stack;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  const tile = (page: Page, id: string) => page.locator(`[data-device="${id}"]`);

  /** A browser of its own for `username`, signed in, on the board once it is live. */
  const signIn = async (username: string, phone = false): Promise<Page> => {
    const context = await signedInContext(
      browser,
      stack.hub.url,
      username,
      phone
        ? {
            viewport: { width: 390, height: 844 },
            deviceScaleFactor: 2,
            isMobile: true,
            hasTouch: true,
            locale: 'en-GB',
          }
        : { viewport: { width: 1440, height: 900 }, locale: 'en-GB' },
    );
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(stack.hub.url);
    await expect.poll(() => page.getByTestId('connection').textContent(), LONG).toBe('Live');
    return page;
  };

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    stack = await startStack(PEOPLE_STACK);
    browser = await launchChromium(['--autoplay-policy=no-user-gesture-required']);
  });

  watchPages(() => browser, SHOTS);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await stack?.stop();
  });

  it('groups tiles by room, and the sparklines keep their history after a reload', async () => {
    const page = await signIn('sam');
    const pumpRoom = page.getByRole('region', { name: 'Equipment of Pump room, Tower 1' });
    await pumpRoom.locator('[data-device="pump-1"]').waitFor(LONG);
    expect(await pumpRoom.getByRole('heading', { level: 4 }).textContent()).toBe('Pump room');
    // Every device has its room (the lift reports over OPC UA, a moment after the pumps).
    const rooms = () =>
      page
        .locator('section.room')
        .evaluateAll((sections) =>
          sections.map((s) => [
            s.getAttribute('data-room'),
            [...s.querySelectorAll('[data-device]')].map((t) => t.getAttribute('data-device')),
          ]),
        );
    await expect.poll(rooms, LONG).toEqual([
      ['t1-pump-room', ['pump-1']],
      ['t1-power-room', ['meter-1']],
      ['t2-lift-machine-room', ['elevator-1']],
    ]);
    expect(await tile(page, 'pump-1').locator('p.muted').first().textContent()).toBe(
      'Pump · Tower 1 · Pump room',
    );

    // A few sparkline steps (5 s each) go by, then the page is reloaded: the line comes back
    // from the store, with samples from before the page was opened (live readings cannot be).
    const samples = (p: Page) =>
      p.evaluate(() => {
        const store = (
          window as unknown as {
            __caretakerStore?: { history: { series(d: string, p: string, now: number): { ts: number[] } } };
          }
        ).__caretakerStore;
        const ts = store?.history.series('pump-1', 'flow', Date.now()).ts ?? [];
        return { count: ts.length, beforeLoad: ts.filter((t) => t < performance.timeOrigin).length };
      });
    await expect.poll(async () => (await samples(page)).count, { timeout: 40_000 }).toBeGreaterThanOrEqual(4);
    await page.reload();
    await tile(page, 'pump-1').waitFor(LONG);
    await expect.poll(async () => (await samples(page)).beforeLoad, LONG).toBeGreaterThanOrEqual(3);
    await expect
      .poll(
        async () =>
          (await tile(page, 'pump-1').locator('svg.spark polyline').first().getAttribute('points'))
            ?.trim()
            .split(' ').length ?? 0,
        LONG,
      )
      .toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: join(SHOTS, 'board-after-reload.png'), fullPage: true });
  });

  it('a technician of another estate sees no tiles and no assets', async () => {
    const page = await signIn('otto');
    await expect.poll(() => page.getByTestId('board-summary').getAttribute('data-total'), LONG).toBe('0');
    expect(await page.getByText('Waiting for the first device to report…').count()).toBe(1);
    expect(await page.locator('[data-device]').count()).toBe(0);
    expect(await (await page.request.get(`${stack.hub.url}/api/assets`)).json()).toEqual({ sites: [] });
    expect(await (await page.request.get(`${stack.hub.url}/api/devices`)).json()).toEqual({ devices: [] });
  });

  it('a trapped passenger acknowledged by Tom on his phone shows as such on every screen, all silent', async () => {
    const sam = await signIn('sam');
    const mia = await signIn('mia');
    const tom = await signIn('tom', true);
    for (const page of [sam, mia, tom]) await tile(page, 'elevator-1').waitFor(LONG);

    stack.simulators.estate.inject({ device: 'elevator-1', kind: 'passenger_trapped' });
    const banner = (page: Page) => page.getByTestId('trapped-banner');
    for (const page of [sam, mia, tom]) {
      await banner(page).waitFor(LONG);
      await expect.poll(() => banner(page).getAttribute('data-sound'), LONG).toBe('playing');
    }
    // The manager (a viewer) is told, but is offered no button anywhere.
    expect(await banner(mia).getByTestId('unacknowledged').textContent()).toBe('Not acknowledged yet');
    expect(await mia.getByTestId('acknowledge').count()).toBe(0);
    expect(
      await banner(sam)
        .getByRole('button', { name: /^Acknowledge/ })
        .count(),
    ).toBe(1);
    // On a phone the banner fits the screen.
    expect(await contentWidth(tom)).toBeLessThanOrEqual(390);

    await banner(tom)
      .getByRole('button', { name: /^Acknowledge/ })
      .click();
    for (const page of [tom, sam, mia]) {
      await expect
        .poll(() => banner(page).getByTestId('acknowledged').textContent(), LONG)
        .toMatch(/^✓ Acknowledged by Tom Wang at \d{1,2}:\d{2}/);
      await expect.poll(() => banner(page).getAttribute('data-sound'), LONG).toBe('off');
    }
    // Nobody can acknowledge it twice: the button is gone everywhere, the banner stays while
    // the passenger is still trapped.
    expect(await banner(sam).getByTestId('acknowledge').count()).toBe(0);
    await sam.screenshot({ path: join(SHOTS, 'alarm-acknowledged.png') });

    // The alarms page says the same, without a button for the viewer.
    await mia.getByRole('link', { name: 'Alarms' }).click();
    const row = mia.getByTestId('alarms-table').locator('tr', { hasText: 'elevator-1' }).first();
    await row.waitFor(LONG);
    expect(await row.getByTestId('acknowledged').textContent()).toContain('Acknowledged by Tom Wang');
    expect(await mia.getByTestId('acknowledge').count()).toBe(0);
  });

  it('the device page shows the trend predictions, its work orders and its QR code by role', async () => {
    stack.simulators.estate.inject({ device: 'pump-1', kind: 'motor_trip' });
    const tom = await signIn('tom');
    await tile(tom, 'pump-1').getByRole('link', { name: 'Open pump-1' }).click();
    expect(new URL(tom.url()).pathname).toBe('/devices/pump-1');
    // The device page's code loads on first use.
    await expect.poll(() => tom.getByRole('heading', { level: 1 }).textContent(), LONG).toBe('pump-1');
    expect(await tom.locator('.device-page .page-head p.muted').first().textContent()).toContain(
      'Tower 1 · Pump room',
    );

    const predictions = tom.getByTestId('predictions-panel');
    await predictions.locator('[data-rule="pump.vibration_trend"]').waitFor(LONG);
    expect(await predictions.locator('[data-rule="pump.vibration_trend"]').textContent()).toMatch(
      /Vibration.*(Reaches 7\.1 mm\/s in about|Not heading for its limit of 7\.1 mm\/s|At or past its limit|Not enough readings)/,
    );
    // The motor trip's order appears (the panel follows the hub's changes) and links to its page.
    const order = tom.getByTestId('orders-panel').locator('a[href^="/orders/"]').first();
    await order.waitFor(LONG);
    expect(await order.textContent()).toMatch(/^WO-\d+ · Pump motor protection tripped$/);
    const qr = tom.getByTestId('qr-code');
    await expect
      .poll(() => qr.evaluate((img: HTMLImageElement) => img.naturalWidth), LONG)
      .toBeGreaterThan(0);
    expect(await tom.getByRole('button', { name: 'Print the code' }).isVisible()).toBe(true);
    // Its inspection history (the inspections feature's own list): none on this stack yet.
    await expect
      .poll(() => tom.getByTestId('inspection-history').textContent(), LONG)
      .toContain('No inspections of this device yet.');
    await tom.screenshot({ path: join(SHOTS, 'device-technician.png'), fullPage: true });

    // On Tom's phone the page fits the screen, QR code and all.
    const phone = await signIn('tom', true);
    await phone.goto(`${stack.hub.url}/devices/pump-1`);
    await phone.getByTestId('qr-code').waitFor(LONG);
    await phone.locator('figure[data-chart="flow"] canvas').waitFor(LONG);
    expect(await contentWidth(phone)).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: join(SHOTS, 'device-phone.png'), fullPage: true });

    // The manager reads the same page, but may not raise orders: no QR code to print.
    const mia = await signIn('mia');
    await mia.goto(`${stack.hub.url}/devices/pump-1`);
    await mia.getByTestId('orders-panel').locator('a[href^="/orders/"]').first().waitFor(LONG);
    expect(await mia.getByTestId('qr-panel').count()).toBe(0);
    expect(await mia.getByTestId('predictions-panel').count()).toBe(1);
  });
});

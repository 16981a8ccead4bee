import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentWidth, launchChromium, PHONE, signedInContext, watchPages } from '../support/chromium.js';
import { requireBinary } from '../support/require-binary.js';
import { PEOPLE_STACK, REPO_ROOT, type Stack, startStack } from '../support/stack.js';

const installed = requireBinary('chromium', 'apt-get install chromium');
const SHOTS = join(REPO_ROOT, 'test', 'screenshots');
const LONG = { timeout: 30_000 };
const DESK = { viewport: { width: 1440, height: 900 }, locale: 'en-GB' };
// A 1×1 PNG: the hub reads the type from the bytes, so the photo must be a real image.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/**
 * The work-order desk in Chromium against the whole system, outside the demo mode (everyone
 * signs in): a sensor order appears live; a technician works his order on a phone; a supervisor
 * creates and dispatches an order; roles and sites decide what each person sees and may do.
 */
describe.runIf(installed)('work-order desk in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  /** The pump's sensor order, found in the first test and worked in the second. */
  let sensorOrder: { id: number; code: string };

  const signedIn = (username: string, options: Parameters<Browser['newContext']>[0] = DESK) =>
    signedInContext(browser, stack.hub.url, username, options);
  const live = async (page: Page, path: string) => {
    await page.goto(`${stack.hub.url}${path}`);
    await expect.poll(() => page.getByTestId('connection').textContent(), LONG).toMatch(/Live|实时/);
  };
  const status = (page: Page) =>
    page.locator('.order-head').getByTestId('order-status').getAttribute('data-status');
  const act = async (page: Page, action: string) => {
    await page.locator(`[data-testid="order-actions"] button[data-action="${action}"]`).click();
  };
  const noSideways = async (page: Page) => expect(await contentWidth(page)).toBeLessThanOrEqual(390);

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    stack = await startStack(PEOPLE_STACK);
    browser = await launchChromium();
  });

  watchPages(() => browser, SHOTS);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('an injected fault turns the pump to alarm on the board and its order appears on the desk live', async () => {
    const context = await signedIn('sam');
    const board = await context.newPage();
    await live(board, '/');
    const desk = await context.newPage();
    await live(desk, '/orders');
    await desk.getByTestId('desk-count').waitFor(LONG);
    expect(await desk.locator('[data-order]').count()).toBe(0);
    await desk.evaluate(() => Object.assign(window, { notReloaded: true }));

    stack.simulators.estate.inject({ device: 'pump-1', kind: 'motor_trip' });
    await expect
      .poll(() => board.locator('[data-device="pump-1"]').getAttribute('data-state'), LONG)
      .toBe('alarm');
    const row = desk.getByTestId('orders-table').locator('tr[data-order]', { hasText: 'pump-1' });
    await row.waitFor(LONG);
    expect(await desk.evaluate(() => 'notReloaded' in window)).toBe(true);
    expect(await row.getByTestId('order-status').textContent()).toContain('Pending acceptance');
    // State by an icon and a word, not colour alone.
    expect(await row.getByTestId('order-sla').textContent()).toMatch(/[✓⚠✖] (On track|At risk|Overdue)/);
    const code = (await row.getAttribute('data-order')) as string;
    const href = (await row.getByRole('link', { name: `Open ${code}` }).getAttribute('href')) as string;
    sensorOrder = { code, id: Number(href.split('/').pop()) };
    await desk.screenshot({ path: join(SHOTS, 'orders-list.png'), fullPage: true });

    // The board view, and its filters in the address: a bookmark opens the same view.
    await desk.getByRole('button', { name: 'Board' }).click();
    await desk.getByLabel('Priority').selectOption('2');
    expect(new URL(desk.url()).search).toBe('?view=board&priority=2');
    const column = desk.locator('[data-column="pending_acceptance"]');
    await column.locator(`[data-order="${code}"]`).waitFor(LONG);
    await desk.getByLabel('Priority').selectOption('4');
    await expect.poll(() => desk.locator(`[data-order="${code}"]`).count(), LONG).toBe(0);
    await desk.goto(`${stack.hub.url}/orders?view=board&status=pending_acceptance`);
    await column.locator(`[data-order="${code}"]`).waitFor(LONG);
    expect(await desk.getByRole('button', { name: 'Board' }).getAttribute('aria-pressed')).toBe('true');
    expect(await desk.locator('[data-column="in_repair"] [data-order]').count()).toBe(0);

    // The order's page: the evidence chart of the pump's points, the countdown, the actions.
    await column.getByRole('link', { name: `Open ${code}` }).click();
    await desk.locator('[data-testid="evidence"] canvas').first().waitFor(LONG);
    expect(await desk.locator('.order-head').textContent()).toContain('pump-1');
    const countdown = desk.getByTestId('countdown-response');
    await expect.poll(() => countdown.textContent(), LONG).toMatch(/left$/);
    const before = await countdown.textContent();
    await expect.poll(() => countdown.textContent(), LONG).not.toBe(before);
    const actions = await desk
      .locator('[data-testid="order-actions"] button')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-action')));
    expect(actions).toEqual(['accept', 'cancel']);
    await desk.screenshot({ path: join(SHOTS, 'order-page.png'), fullPage: true });

    // Accepting puts it up for dispatch; the pump rule's dispatch is automatic: Tom holds the skill.
    await act(desk, 'accept');
    await expect.poll(() => status(desk), LONG).toBe('in_repair');
    await expect.poll(() => desk.getByTestId('order-assignees').textContent(), LONG).toBe('tom');
    expect(
      await desk.getByTestId('timeline').locator('[data-event="auto_dispatch"]').textContent(),
    ).toContain('tom');
    await context.close();
  });

  it('a technician works his order on a phone; the reviewer passes it and closes it', async () => {
    // The site's store holds bearings (set up by the supervisor through the API).
    const sam = await signedIn('sam');
    const post = async (path: string, data: unknown) =>
      expect((await sam.request.post(`${stack.hub.url}${path}`, { data })).status()).toBe(201);
    await post('/api/parts', {
      part_no: 'BRG-6205',
      name: 'Bearing 6205',
      unit: 'pcs',
      category: 'bearings',
    });
    await post('/api/stores', { code: 'T-MAIN', name: 'Main store', site: 'test-estate' });
    await post('/api/stock/movements', { kind: 'receive', part: 'BRG-6205', store: 'T-MAIN', quantity: 5 });
    await sam.close();

    const context = await browser.newContext({ ...PHONE, locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(`${stack.hub.url}/orders?assignee=me`);
    await page.getByLabel('User name').fill('tom');
    await page.getByLabel('Password').fill('caretaker');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const card = page.locator(`tr[data-order="${sensorOrder.code}"]`);
    await card.waitFor(LONG);
    await noSideways(page);
    await card.getByRole('link', { name: `Open ${sensorOrder.code}` }).click();
    await expect.poll(() => status(page), LONG).toBe('in_repair');
    await noSideways(page);

    // Only what a technician on his own order may do.
    const actions = await page
      .locator('[data-testid="order-actions"] button')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-action')));
    expect(actions).toEqual(['submit_for_check', 'request_assistance', 'request_defer']);
    // A big touch target.
    const box = await page.locator('button[data-action="submit_for_check"]').boundingBox();
    expect(box?.height).toBeGreaterThanOrEqual(44);

    await page.locator('input[type="file"][capture]').setInputFiles({
      name: 'pump.png',
      mimeType: 'image/png',
      buffer: PNG,
    });
    await page.getByTestId('order-photos').locator('img[alt="pump.png"]').waitFor(LONG);

    // Two bearings issued from the store, one returned: one used.
    const parts = page.getByTestId('order-parts');
    const choice = parts.getByLabel('Choose a part in stock');
    await expect.poll(() => choice.locator('option').count(), LONG).toBe(2);
    await choice.selectOption({ index: 1 });
    await parts.getByLabel('Quantity').fill('2');
    await parts.getByRole('button', { name: 'Record' }).click();
    await expect.poll(() => parts.locator('tbody tr').textContent(), LONG).toContain('2 pcs');
    await parts.getByRole('button', { name: 'Return parts' }).click();
    await parts.getByLabel('Quantity').fill('1');
    await parts.getByRole('button', { name: 'Record' }).click();
    await expect
      .poll(() => parts.locator('tbody tr td').allTextContents(), LONG)
      .toEqual(['2 pcs', '1 pcs', '1 pcs']);
    expect(await page.getByTestId('timeline').locator('[data-event="parts_issued"]').textContent()).toContain(
      'BRG-6205',
    );

    await act(page, 'submit_for_check');
    const form = page.locator('form[data-form="submit_for_check"]');
    // The hub's own words when something is missing: the browser's check is bypassed here.
    await form.evaluate((f) => f.setAttribute('novalidate', ''));
    await form.getByRole('button', { name: 'Confirm: Submit for check' }).click();
    await expect
      .poll(() => page.getByTestId('action-error').textContent(), LONG)
      .toMatch(/^submit_for_check: |resolution/);
    await form.getByLabel('What was done').fill('Reset the motor protection relay; the pump runs normally.');
    await form.getByLabel('Labour (minutes)').fill('35');
    await form.getByLabel('Fault category').selectOption('natural_wear');
    await form.getByRole('button', { name: 'Confirm: Submit for check' }).click();
    await expect.poll(() => status(page), LONG).toBe('awaiting_check');
    expect(await page.getByTestId('order-resolution').textContent()).toContain(
      'Reset the motor protection relay',
    );
    const submitted = page.getByTestId('timeline').locator('[data-event="submit_for_check"]');
    expect(await submitted.textContent()).toContain('In repair → Awaiting check');
    expect(await submitted.textContent()).toContain('tom');
    expect(await page.locator('[data-testid="order-actions"] button').count()).toBe(0);
    await noSideways(page);
    await page.screenshot({ path: join(SHOTS, 'order-phone.png'), fullPage: true });
    await context.close();

    const rita = await signedIn('rita');
    const review = await rita.newPage();
    await live(review, `/orders/${sensorOrder.id}`);
    await expect.poll(() => status(review), LONG).toBe('awaiting_check');
    await act(review, 'pass_check');
    await review
      .locator('form[data-form="pass_check"]')
      .getByRole('button', { name: /^Confirm/ })
      .click();
    await expect.poll(() => status(review), LONG).toBe('completed');
    await act(review, 'close');
    await review
      .locator('form[data-form="close"]')
      .getByRole('button', { name: /^Confirm/ })
      .click();
    await expect.poll(() => status(review), LONG).toBe('closed');
    const events = await review
      .getByTestId('timeline')
      .locator('li')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-event')));
    expect(
      events.filter((e) =>
        ['created', 'accept', 'submit_for_check', 'pass_check', 'close'].includes(e ?? ''),
      ),
    ).toEqual(['created', 'accept', 'submit_for_check', 'pass_check', 'close']);
    expect(await review.getByTestId('timeline').locator('[data-event="pass_check"]').textContent()).toContain(
      'rita',
    );
    await rita.close();
  });

  it('a supervisor creates and dispatches an order from the ranking; a requester and another site see less', async () => {
    const sam = await signedIn('sam');
    const page = await sam.newPage();
    await live(page, '/orders');
    await page.getByRole('link', { name: 'New work order' }).click();
    await page.getByLabel('Device').selectOption('meter-1');
    await page.getByLabel('Problem type').selectOption('general');
    await page.getByLabel('Title').fill('Meter cabinet door will not lock');
    await page.getByLabel('Description').fill('The lock of the meter cabinet in Tower 1 is broken.');
    await page.getByRole('button', { name: 'Create work order' }).click();
    await page.waitForURL(/\/orders\/\d+$/, LONG);
    const id = Number(new URL(page.url()).pathname.split('/').pop());
    await expect.poll(() => status(page), LONG).toBe('pending_acceptance');
    const code = (await page.locator('.order-code strong').textContent()) as string;
    await act(page, 'accept');
    await expect.poll(() => status(page), LONG).toBe('to_dispatch');

    // Rob, a requester of the site (reading Chinese), sees the order but may not dispatch it.
    const rob = await signedIn('rob', { ...DESK, locale: 'zh-CN' });
    const robPage = await rob.newPage();
    await live(robPage, `/orders/${id}`);
    await expect.poll(() => status(robPage), LONG).toBe('to_dispatch');
    expect(await robPage.locator('.order-head').getByTestId('order-status').textContent()).toContain(
      '待派工',
    );
    await robPage.getByTestId('order-actions').waitFor(LONG);
    expect(await robPage.locator('button[data-action="dispatch"]').count()).toBe(0);
    expect(await robPage.locator('[data-testid="order-actions"] button').count()).toBe(0);
    await rob.close();

    await act(page, 'dispatch');
    const candidates = page.getByTestId('candidates');
    const tom = candidates.locator('[data-candidate="tom"]');
    await tom.waitFor(LONG);
    // The ranking's reasons are shown with each technician.
    expect(await tom.textContent()).toContain('choice 1');
    expect(await tom.locator('.candidate-why').textContent()).toMatch(/^tom: /);
    // Otto works at another site: not a candidate here.
    expect(await candidates.locator('[data-candidate="otto"]').count()).toBe(0);
    await tom.getByRole('radio').check();
    await page.getByRole('button', { name: 'Confirm: Dispatch' }).click();
    await expect.poll(() => status(page), LONG).toBe('in_repair');
    expect(await page.getByTestId('order-assignees').textContent()).toBe('tom');
    expect(await page.getByTestId('timeline').locator('[data-event="dispatch"]').textContent()).toContain(
      'Technician: tom',
    );
    // The board of both orders: the sensor order closed, this one in repair.
    await page.goto(`${stack.hub.url}/orders?view=board`);
    await page.locator(`[data-column="in_repair"] [data-order="${code}"]`).waitFor(LONG);
    await page.locator(`[data-column="done"] [data-order="${sensorOrder.code}"]`).waitFor(LONG);
    await page.screenshot({ path: join(SHOTS, 'orders-board.png'), fullPage: true });
    await sam.close();

    // Otto, a technician of another estate, sees none of these orders, not even by address.
    const otto = await signedIn('otto');
    const ottoPage = await otto.newPage();
    await live(ottoPage, '/orders');
    await expect.poll(() => ottoPage.getByTestId('desk-count').textContent(), LONG).toBe('0 work orders');
    for (const c of [code, sensorOrder.code])
      expect(await ottoPage.locator(`[data-order="${c}"]`).count()).toBe(0);
    await ottoPage.goto(`${stack.hub.url}/orders/${id}`);
    await expect
      .poll(() => ottoPage.getByRole('alert').first().textContent(), LONG)
      .toContain("site: test-estate is not one of otto's sites");
    await otto.close();
  });
});

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentWidth, launchChromium, signedInContext, watchPages } from '../support/chromium.js';
import { requireBinary } from '../support/require-binary.js';
import { PEOPLE_STACK, REPO_ROOT, SITE, type Stack, startStack } from '../support/stack.js';

const installed = requireBinary('chromium', 'apt-get install chromium');
const SHOTS = join(REPO_ROOT, 'test', 'screenshots');
const LONG = { timeout: 30_000 };
const DESK = { viewport: { width: 1440, height: 900 }, locale: 'en-GB' };
const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  locale: 'en-GB',
  // The deferral's date is typed in local time: UTC here, so the test knows the instant it means.
  timezoneId: 'UTC',
};
const DAY = 24 * 3600_000;

/**
 * The order page's action forms in Chromium, each taken by the person the workflow lets take it
 * (hub/config/workflow.yaml), outside the demo mode: reject, cancel, request / decline / approve a
 * deferral and resume, reassign, request assistance, rate. Each form's required field is first
 * left out so that the hub's 400 shows as the hub words it; then the status, the timeline's who
 * and why, the SLA clock and the rating are read back from the page.
 */
describe.runIf(installed)('order action forms in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  /** Sam, the site's supervisor, signed in for the API calls that set the scene. */
  let sam: BrowserContext;
  const orders: Record<'reject' | 'cancel' | 'defer' | 'team' | 'rate', { id: number; code: string }> = {
    reject: { id: 0, code: '' },
    cancel: { id: 0, code: '' },
    defer: { id: 0, code: '' },
    team: { id: 0, code: '' },
    rate: { id: 0, code: '' },
  };

  const signedIn = (username: string, options: Parameters<Browser['newContext']>[0] = DESK) =>
    signedInContext(browser, stack.hub.url, username, options);
  const post = async (context: BrowserContext, path: string, data: unknown) => {
    const res = await context.request.post(`${stack.hub.url}${path}`, { data });
    expect(res.status(), `${path}: ${await res.text()}`).toBeLessThan(300);
    return res.json();
  };
  const orderApi = async (context: BrowserContext, id: number) => {
    const res = await context.request.get(`${stack.hub.url}/api/work-orders/${id}`);
    expect(res.status()).toBe(200);
    return (await res.json()).work_order;
  };
  const newOrder = async (context: BrowserContext, title: string, priority = 3) => {
    const { work_order } = await post(context, '/api/work-orders', {
      site: SITE,
      building: 't1',
      problem_type: 'general',
      priority,
      title,
      description: `${title} (set up by the browser test).`,
    });
    return { id: work_order.id as number, code: work_order.code as string };
  };
  const act = (context: BrowserContext, id: number, action: string, body: unknown = {}) =>
    post(context, `/api/work-orders/${id}/actions/${action}`, body);
  const open = async (page: Page, id: number) => {
    await page.goto(`${stack.hub.url}/orders/${id}`);
    await page.getByTestId('order-actions').waitFor(LONG);
  };
  const status = (page: Page) =>
    page.locator('.order-head').getByTestId('order-status').getAttribute('data-status');
  const actions = (page: Page) =>
    page
      .locator('[data-testid="order-actions"] .action-buttons button')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-action')));
  const button = (page: Page, action: string) =>
    page.locator(`[data-testid="order-actions"] button[data-action="${action}"]`);
  const form = (page: Page, action: string) => page.locator(`form[data-form="${action}"]`);
  /** Submits the form with its required fields empty, past the browser's own check: the hub answers. */
  const submitEmpty = async (page: Page, action: string, confirm: string | RegExp) => {
    const f = form(page, action);
    await f.evaluate((el) => el.setAttribute('novalidate', ''));
    await f.getByRole('button', { name: confirm }).click();
    return expect.poll(() => page.getByTestId('action-error').textContent(), LONG);
  };
  const lastEvent = (page: Page, type: string) =>
    page.getByTestId('timeline').locator(`[data-event="${type}"]`).last();
  const countdown = (page: Page, limit: 'response' | 'completion') =>
    page.locator(`[data-testid="sla-panel"] [data-limit="${limit}"]`);
  const noSideways = async (page: Page) => expect(await contentWidth(page)).toBeLessThanOrEqual(390);

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    stack = await startStack(PEOPLE_STACK);
    browser = await launchChromium();

    // A second technician at the site, so that an order can change hands (added by the admin).
    const ada = await signedIn('ada');
    await post(ada, '/api/users', {
      username: 'lee',
      display_name: 'Lee Ma',
      role: 'technician',
      password: 'caretaker',
      zone: 't2',
      sites: [SITE],
      skills: ['pumps'],
    });
    await ada.close();

    sam = await signedIn('sam');
    const tomOn = async (order: { id: number }) => {
      await act(sam, order.id, 'accept');
      await act(sam, order.id, 'dispatch', { assignee: 'tom' });
    };
    orders.reject = await newOrder(sam, 'Stairwell light flickers');
    await tomOn(orders.reject);
    await act(sam, orders.reject.id, 'submit_for_check', {
      resolution: 'Tightened the lamp holder.',
      labour_minutes: 10,
      fault_category: 'natural_wear',
    });
    orders.cancel = await newOrder(sam, 'Duplicate: stairwell light');
    // Urgent: a day to complete, so that its countdown shows seconds and is seen to tick.
    orders.defer = await newOrder(sam, 'Repaint the pump room floor', 2);
    await tomOn(orders.defer);
    orders.team = await newOrder(sam, 'Replace the lobby door closer');
    await tomOn(orders.team);
    // Rob asks for this one, so he is its requester and may rate it once it is done.
    const rob = await signedIn('rob');
    orders.rate = await newOrder(rob, 'Bike shed gate squeaks');
    await rob.close();
    await tomOn(orders.rate);
    await act(sam, orders.rate.id, 'submit_for_check', {
      resolution: 'Oiled the hinges.',
      labour_minutes: 15,
      fault_category: 'natural_wear',
    });
    await act(sam, orders.rate.id, 'pass_check');
  });

  watchPages(() => browser, SHOTS);

  afterAll(async () => {
    await sam?.close();
    await browser?.close();
    await stack?.stop();
  });

  it('a reviewer sends the work back with a reason; a supervisor cancels an order with a reason', async () => {
    const rita = await signedIn('rita');
    const page = await rita.newPage();
    await open(page, orders.reject.id);
    await expect.poll(() => status(page), LONG).toBe('awaiting_check');
    expect(await actions(page)).toEqual(['pass_check', 'reject']);

    await button(page, 'reject').click();
    const reject = form(page, 'reject');
    // The keyboard lands in the form that opened, on its one field.
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('TEXTAREA');
    await (await submitEmpty(page, 'reject', 'Confirm: Reject')).toMatch(/^reason: /);
    // The field the hub names is marked and has the keyboard again.
    const reason = reject.getByLabel('Reason');
    expect(await reason.getAttribute('aria-invalid')).toBe('true');
    expect(await reason.evaluate((el) => el === document.activeElement)).toBe(true);
    // The hub refused: nothing changed, the form stays open with what was typed.
    expect(await status(page)).toBe('awaiting_check');
    await reason.fill('The lamp still flickers when the lift starts.');
    await reject.getByRole('button', { name: 'Confirm: Reject' }).click();
    await expect.poll(() => status(page), LONG).toBe('in_repair');
    expect(await page.getByRole('status').filter({ hasText: 'Reject: done.' }).count()).toBe(1);
    // Focus does not fall back to the page's top once the form is gone.
    expect(
      await page.evaluate(() => document.activeElement?.closest('[data-testid="order-actions"]') !== null),
    ).toBe(true);
    expect(await page.getByTestId('order-rejects').textContent()).toContain('1');
    const rejected = lastEvent(page, 'reject');
    expect(await rejected.textContent()).toContain('Awaiting check → In repair');
    expect(await rejected.textContent()).toContain('rita');
    expect(await rejected.textContent()).toContain('Reason: The lamp still flickers when the lift starts.');
    expect(await actions(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'order-reject.png'), fullPage: true });
    await rita.close();

    // The supervisor cancels a duplicate: the reason is required and kept.
    const desk = await sam.newPage();
    await open(desk, orders.cancel.id);
    await expect.poll(() => actions(desk), LONG).toEqual(['accept', 'cancel']);
    await button(desk, 'cancel').click();
    await (await submitEmpty(desk, 'cancel', 'Confirm: Cancel order')).toMatch(/^reason: /);
    await form(desk, 'cancel').getByLabel('Reason').fill('Reported twice; see the stairwell order.');
    // The hub's answer is held back until the form has been seen busy: nothing to click twice.
    let answer = () => {};
    const held = new Promise<void>((resolve) => {
      answer = resolve;
    });
    await desk.route('**/actions/cancel', async (route) => {
      await held;
      await route.continue();
    });
    await form(desk, 'cancel').getByRole('button', { name: 'Confirm: Cancel order' }).click();
    const busy = form(desk, 'cancel');
    await expect.poll(() => busy.getAttribute('aria-busy'), LONG).toBe('true');
    expect(await busy.getByLabel('Reason').isDisabled()).toBe(true);
    expect(await busy.getByRole('button', { name: 'Working…' }).isDisabled()).toBe(true);
    expect(await busy.getByRole('button', { name: 'Back' }).isDisabled()).toBe(true);
    expect(await button(desk, 'accept').isDisabled()).toBe(true);
    answer();
    await expect.poll(() => status(desk), LONG).toBe('cancelled');
    expect(await desk.getByTestId('order-cancel-reason').textContent()).toContain(
      'Reported twice; see the stairwell order.',
    );
    const cancelled = lastEvent(desk, 'cancel');
    expect(await cancelled.textContent()).toContain('Pending acceptance → Cancelled');
    expect(await cancelled.textContent()).toContain('sam');
    expect(await actions(desk)).toEqual([]);
    await desk.close();
  });

  it('a technician asks on his phone to defer; the supervisor declines, then approves: the clock pauses until resumed', async () => {
    const tom = await signedIn('tom', PHONE);
    const phone = await tom.newPage();
    await open(phone, orders.defer.id);
    await expect
      .poll(() => actions(phone), LONG)
      .toEqual(['submit_for_check', 'request_assistance', 'request_defer']);
    const requestDefer = async (reason: string, until?: string) => {
      await button(phone, 'request_defer').click();
      const f = form(phone, 'request_defer');
      await f.getByLabel('Reason').fill(reason);
      if (until) await f.getByLabel('Deferred until (optional)').fill(until);
      await f.getByRole('button', { name: 'Confirm: Request deferral' }).click();
      await expect.poll(() => phone.getByTestId('defer-requested').textContent(), LONG).toContain(reason);
    };
    await button(phone, 'request_defer').click();
    await noSideways(phone);
    await (await submitEmpty(phone, 'request_defer', 'Confirm: Request deferral')).toMatch(/^reason: /);
    await form(phone, 'request_defer').getByRole('button', { name: 'Back' }).click();
    await requestDefer('The paint needs a dry week; do it in the spring plan.');
    await noSideways(phone);
    expect(await actions(phone)).toEqual(['submit_for_check', 'request_assistance']);

    const desk = await sam.newPage();
    await open(desk, orders.defer.id);
    await expect
      .poll(() => actions(desk), LONG)
      .toEqual([
        'submit_for_check',
        'reassign',
        'request_assistance',
        'approve_defer',
        'decline_defer',
        'cancel',
      ]);
    await button(desk, 'decline_defer').click();
    await form(desk, 'decline_defer')
      .getByLabel('Reason (optional)')
      .fill('Paint it this week; the room is free.');
    await form(desk, 'decline_defer').getByRole('button', { name: 'Confirm: Decline deferral' }).click();
    await expect.poll(() => desk.getByTestId('defer-requested').count(), LONG).toBe(0);
    expect(await lastEvent(desk, 'decline_defer').textContent()).toContain(
      'Reason: Paint it this week; the room is free.',
    );
    expect(await status(desk)).toBe('in_repair');

    // Asked again, with a date, on the phone.
    const until = new Date(Math.ceil((Date.now() + 14 * DAY) / 60_000) * 60_000);
    await expect.poll(() => actions(phone), LONG).toContain('request_defer');
    await requestDefer('It rains all week: the floor will not dry.', until.toISOString().slice(0, 16));
    await noSideways(phone);
    await phone.screenshot({ path: join(SHOTS, 'order-defer-phone.png'), fullPage: true });
    expect((await orderApi(sam, orders.defer.id)).deferred_until).toBe(until.getTime());

    const completion = countdown(desk, 'completion');
    await expect.poll(() => completion.getAttribute('data-phase'), LONG).toBe('running');
    await expect.poll(() => actions(desk), LONG).toContain('approve_defer');
    await button(desk, 'approve_defer').click();
    await form(desk, 'approve_defer').getByRole('button', { name: 'Confirm: Approve deferral' }).click();
    await expect.poll(() => status(desk), LONG).toBe('deferred');
    await expect.poll(() => completion.getAttribute('data-phase'), LONG).toBe('paused');
    expect(await completion.getByTestId('countdown-completion').textContent()).toMatch(
      /^paused: the order is deferred/,
    );
    expect(await desk.getByTestId('deferred-until').textContent()).toContain('Deferred until ');
    const approved = lastEvent(desk, 'approve_defer');
    expect(await approved.textContent()).toContain('In repair → Deferred');
    expect(await approved.textContent()).toContain('sam');
    expect(await approved.textContent()).toContain('It rains all week: the floor will not dry.');
    expect(await actions(desk)).toEqual(['resume', 'cancel']);
    await desk.screenshot({ path: join(SHOTS, 'order-deferred.png'), fullPage: true });
    // The technician's phone follows live: nothing left for him to do on a deferred order.
    await expect.poll(() => status(phone), LONG).toBe('deferred');
    await expect.poll(() => actions(phone), LONG).toEqual([]);
    await tom.close();

    // Resumed: back in the dispatch pool, the clock runs again.
    await button(desk, 'resume').click();
    await expect.poll(() => status(desk), LONG).toBe('to_dispatch');
    await expect.poll(() => completion.getAttribute('data-phase'), LONG).toMatch(/^(running|at_risk)$/);
    const text = completion.getByTestId('countdown-completion');
    const before = await text.textContent();
    expect(before).toMatch(/ left$/);
    await expect.poll(() => text.textContent(), LONG).not.toBe(before);
    const resumed = await lastEvent(desk, 'resume').textContent();
    expect(resumed).toContain('Deferred → To dispatch');
    expect(resumed).toMatch(/Clock paused for: \d+ sec/);
    expect(await desk.getByTestId('order-assignees').textContent()).toBe('Nobody yet');
    await desk.close();
  });

  it('a supervisor reassigns from the ranking; the new technician calls in a helper', async () => {
    const desk = await sam.newPage();
    await open(desk, orders.team.id);
    await expect.poll(() => actions(desk), LONG).toContain('reassign');
    await button(desk, 'reassign').click();
    const reassign = form(desk, 'reassign');
    const candidates = reassign.getByTestId('candidates');
    await candidates.locator('[data-candidate="lee"]').waitFor(LONG);
    // Tom holds the order already: shown, but not to be chosen again.
    expect(await candidates.locator('[data-candidate="tom"] input').isDisabled()).toBe(true);
    expect(await candidates.locator('[data-candidate="tom"]').textContent()).toContain(
      'already on this order',
    );
    await (await submitEmpty(desk, 'reassign', 'Confirm: Reassign')).toMatch(/^assignee: /);
    await candidates.locator('[data-candidate="lee"]').getByRole('radio').check();
    await reassign.getByLabel('Reason (optional)').fill('Tom is needed at the pumps today.');
    await reassign.getByRole('button', { name: 'Confirm: Reassign' }).click();
    await expect.poll(() => desk.getByTestId('order-assignees').textContent(), LONG).toBe('lee');
    const reassigned = lastEvent(desk, 'reassign');
    expect(await reassigned.textContent()).toContain('sam');
    expect(await reassigned.textContent()).toContain('Technician: lee');
    expect(await reassigned.textContent()).toContain('Previously: tom');
    expect(await reassigned.textContent()).toContain('Reason: Tom is needed at the pumps today.');
    expect(await status(desk)).toBe('in_repair');
    await desk.close();

    const lee = await signedIn('lee');
    const page = await lee.newPage();
    await open(page, orders.team.id);
    await expect.poll(() => actions(page), LONG).toContain('request_assistance');
    await button(page, 'request_assistance').click();
    const assist = form(page, 'request_assistance');
    await assist.locator('[data-candidate="tom"]').waitFor(LONG);
    expect(await assist.locator('[data-candidate="lee"] input').isDisabled()).toBe(true);
    await (await submitEmpty(page, 'request_assistance', 'Confirm: Request assistance')).toMatch(
      /^assignees: /,
    );
    await assist.locator('[data-candidate="tom"]').getByRole('checkbox').check();
    await assist.getByLabel('Reason (optional)').fill('The closer is heavy: two people to mount it.');
    await assist.getByRole('button', { name: 'Confirm: Request assistance' }).click();
    await expect
      .poll(() => page.getByTestId('order-assignees').textContent(), LONG)
      .toBe('lee, tom (assisting)');
    const helped = lastEvent(page, 'request_assistance');
    expect(await helped.textContent()).toContain('lee');
    expect(await helped.textContent()).toContain('Technicians to help: tom');
    expect(await helped.textContent()).toContain('Reason: The closer is heavy: two people to mount it.');
    await lee.close();
  });

  it('the requester rates the finished order in Chinese; the rating shows on the order', async () => {
    const rob = await signedIn('rob', { ...DESK, locale: 'zh-CN' });
    const page = await rob.newPage();
    await open(page, orders.rate.id);
    await expect.poll(() => status(page), LONG).toBe('completed');
    expect(await actions(page)).toEqual(['rate']);
    await button(page, 'rate').click();
    const rate = form(page, 'rate');
    expect(await rate.getByRole('group', { name: '评分' }).count()).toBe(1);
    await (await submitEmpty(page, 'rate', '确认：评价')).toMatch(/^rating: /);
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.type)).toBe(
      'radio',
    );
    await rate.getByRole('radio', { name: '4 星' }).check();
    await rate.getByLabel('评语（可选）').fill('修得很快，谢谢！');
    await rate.getByRole('button', { name: '确认：评价' }).click();
    await expect.poll(() => page.getByTestId('order-rating').textContent(), LONG).toContain('4 / 5');
    expect(await page.getByTestId('order-rating').textContent()).toContain('修得很快，谢谢！');
    const rated = lastEvent(page, 'rate');
    expect(await rated.textContent()).toContain('rob');
    expect(await rated.textContent()).toContain('评分：4');
    // Rated once: the action is gone.
    expect(await actions(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'order-rated.png'), fullPage: true });
    await rob.close();
    expect((await orderApi(sam, orders.rate.id)).rating).toBe(4);
  });
});

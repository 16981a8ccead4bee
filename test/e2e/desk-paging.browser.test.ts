import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { OrderBoard, WorkOrderPage } from '@caretaker/protocol';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentWidth, launchChromium, PHONE, signedInContext, watchPages } from '../support/chromium.js';
import { requireBinary } from '../support/require-binary.js';
import { PEOPLE_STACK, REPO_ROOT, SITE, type Stack, startStack } from '../support/stack.js';

const installed = requireBinary('chromium', 'apt-get install chromium');
const SHOTS = join(REPO_ROOT, 'test', 'screenshots');
const LONG = { timeout: 30_000 };
const DESK = { viewport: { width: 1440, height: 900 }, locale: 'en-GB' };
const ORDERS = 120;

/**
 * The work-order desk past one page, in Chromium against the whole system outside the demo
 * mode: 120 orders paged 50 at a time, every one shown exactly once, the page in the address
 * and kept through a live refresh; the board's column counts are the hub's, and a long column
 * opens as the list of its orders.
 */
describe.runIf(installed)('work-order desk paging in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let sam: BrowserContext;

  const hub = async <T>(path: string): Promise<T> => {
    const res = await sam.request.get(`${stack.hub.url}${path}`);
    expect(res.status(), path).toBe(200);
    return (await res.json()) as T;
  };
  const create = async (i: number) => {
    const res = await sam.request.post(`${stack.hub.url}/api/work-orders`, {
      data: {
        site: SITE,
        building: 't1',
        problem_type: 'pump_noise',
        priority: 1 + (i % 4),
        title: `Paging check ${i}`,
        description: 'created by the paging test',
      },
    });
    expect(res.status()).toBe(201);
  };
  const codesOn = (page: Page) =>
    page
      .getByTestId('orders-table')
      .locator('tr[data-order]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-order') as string));
  const count = (page: Page) => page.getByTestId('desk-count').textContent();
  const live = async (page: Page, path: string) => {
    await page.goto(`${stack.hub.url}${path}`);
    await expect.poll(() => page.getByTestId('connection').textContent(), LONG).toMatch(/Live|实时/);
  };

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    stack = await startStack(PEOPLE_STACK);
    browser = await launchChromium();
    sam = await signedInContext(browser, stack.hub.url, 'sam', DESK);
    // Twenty at a time: quick, and the hub still numbers them one by one.
    for (let i = 0; i < ORDERS; i += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, k) => create(i + k)));
    }
  }, 120_000);

  watchPages(() => browser, SHOTS);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('pages through every order exactly once by keyboard; the page is in the address and survives a live refresh', async () => {
    const all = await hub<WorkOrderPage>('/api/work-orders?limit=1000');
    expect(all.total).toBe(ORDERS);
    const desk = await sam.newPage();
    await live(desk, '/orders');
    await expect.poll(() => count(desk), LONG).toBe('Showing 1–50 of 120 work orders');
    const seen = await codesOn(desk);
    expect(seen).toHaveLength(50);
    expect(await desk.getByTestId('pager-previous').getAttribute('aria-disabled')).toBe('true');

    // Page 2 by the Next link, page 3 by typing its number: the keyboard alone.
    for (const [page, range] of [
      [2, 'Showing 51–100 of 120 work orders'],
      [3, 'Showing 101–120 of 120 work orders'],
    ] as const) {
      if (page === 2) {
        await desk.getByRole('link', { name: 'Next' }).focus();
        await desk.keyboard.press('Enter');
      } else {
        await desk.getByLabel('Page', { exact: true }).fill('3');
        await desk.keyboard.press('Enter');
      }
      await expect.poll(() => count(desk), LONG).toBe(range);
      expect(new URL(desk.url()).searchParams.get('page')).toBe(String(page));
      expect(await desk.getByLabel('Page', { exact: true }).inputValue()).toBe(String(page));
      expect(await desk.getByTestId('pager-jump').textContent()).toContain('of 3');
      // The keyboard goes on from the top of the new page.
      await expect
        .poll(() => desk.evaluate(() => document.activeElement?.getAttribute('data-testid')), LONG)
        .toBe('desk-count');
      seen.push(...(await codesOn(desk)));
    }
    expect(await desk.getByTestId('pager-next').getAttribute('aria-disabled')).toBe('true');
    expect(seen).toHaveLength(ORDERS);
    expect(new Set(seen).size).toBe(ORDERS);
    expect([...seen].sort()).toEqual(all.work_orders.map((o) => o.code).sort());
    // The desk's order is the hub's urgent order, page after page.
    const urgent = await hub<WorkOrderPage>('/api/work-orders?sort=urgent&limit=1000');
    expect(seen).toEqual(urgent.work_orders.map((o) => o.code));

    // A bookmark of page 2 opens page 2.
    await live(desk, '/orders?page=2');
    await expect.poll(() => count(desk), LONG).toBe('Showing 51–100 of 120 work orders');
    expect(await codesOn(desk)).toEqual(seen.slice(50, 100));
    await desk.screenshot({ path: join(SHOTS, 'desk-paging.png'), fullPage: true });

    // A new order elsewhere: the desk reloads in place and stays on page 2.
    await desk.evaluate(() => Object.assign(window, { notReloaded: true }));
    await create(ORDERS);
    await expect.poll(() => count(desk), LONG).toBe('Showing 51–100 of 121 work orders');
    expect(new URL(desk.url()).searchParams.get('page')).toBe('2');
    expect(await desk.evaluate(() => 'notReloaded' in window)).toBe(true);

    // Past the end (orders closed since the bookmark): said so, with the way back.
    await desk.goto(`${stack.hub.url}/orders?page=9`);
    await expect.poll(() => count(desk), LONG).toMatch(/^Page 9 is past the end of this list \(3 pages\)/);
    await desk.getByRole('link', { name: 'Go to the last page' }).click();
    await expect.poll(() => count(desk), LONG).toBe('Showing 101–121 of 121 work orders');
    await desk.close();
  });

  it("shows each board column's true count from the hub and opens a long column as its list", async () => {
    const desk = await sam.newPage();
    await live(desk, '/orders?view=board');
    const board = await hub<OrderBoard>('/api/work-orders/board');
    await desk.locator('[data-column="pending_acceptance"] [data-order]').first().waitFor(LONG);
    for (const column of board.columns) {
      const statuses = column.statuses.join(',');
      const list = await hub<WorkOrderPage>(`/api/work-orders?limit=1&status=${statuses}`);
      const shown = desk.locator(`[data-column="${column.key}"]`);
      expect(await shown.getAttribute('data-total'), column.key).toBe(String(list.total));
      expect(await shown.locator('[data-order]').count(), column.key).toBe(Math.min(list.total, 20));
    }
    const pending = desk.locator('[data-column="pending_acceptance"]');
    expect(await pending.locator('h2').textContent()).toContain('(121)');
    const more = pending.getByTestId('column-more-pending_acceptance');
    expect(await more.textContent()).toBe('101 more — open as list');
    await more.click();
    await expect.poll(() => count(desk), LONG).toBe('Showing 1–50 of 121 work orders');
    expect(new URL(desk.url()).search).toBe('?status=pending_acceptance');
    await desk.close();
  });

  it('fits a 390 px phone: the pager wraps instead of scrolling sideways, in Chinese too', async () => {
    const phone = await signedInContext(browser, stack.hub.url, 'sam', { ...PHONE, locale: 'zh-CN' });
    const page = await phone.newPage();
    await live(page, '/orders?page=2');
    await expect.poll(() => count(page), LONG).toBe('第 51–100 张，共 121 张工单');
    await page.getByTestId('desk-pager').scrollIntoViewIfNeeded();
    expect(await contentWidth(page)).toBeLessThanOrEqual(390);
    expect(await page.getByLabel('第', { exact: true }).inputValue()).toBe('2');
    expect(await page.getByTestId('pager-jump').textContent()).toContain('页，共 3 页');
    await page.screenshot({ path: join(SHOTS, 'desk-paging-phone.png'), fullPage: false });
    await phone.close();
  });
});

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentWidth, launchChromium, signedInPage, watchPages } from '../support/chromium.js';
import { requireBinary } from '../support/require-binary.js';
import { PEOPLE_STACK, REPO_ROOT, type Stack, startStack } from '../support/stack.js';

const installed = requireBinary('chromium', 'apt-get install chromium');
const SHOTS = join(REPO_ROOT, 'test', 'screenshots');
const FIXTURES = join(import.meta.dirname, 'fixtures');
const LONG = { timeout: 30_000 };
/** A 1×1 PNG: the photo item's "camera" picture. */
const PHOTO = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/**
 * Inspections in Chromium against the whole system (simulators → gateway → hub, people of every
 * role, plans from fixtures/inspection-plans.yaml): a technician fills a checklist on a phone
 * with one failed item and sees its repair order; the plan shows the occurrence done and its
 * report; a supervisor pauses and resumes the plan; a viewer only reads.
 */
describe.runIf(installed)('inspections in Chromium', () => {
  let stack: Stack;
  let browser: Browser;

  const signedIn = (username: string, phone: boolean, locale = 'en-GB') =>
    signedInPage(browser, stack.hub.url, username, phone, locale);
  const noSidewaysScroll = contentWidth;

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    stack = await startStack({ ...PEOPLE_STACK, plansFile: join(FIXTURES, 'inspection-plans.yaml') });
    browser = await launchChromium();
  });

  watchPages(() => browser, SHOTS);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("a technician fills today's checklist on a phone; the failed item opens a repair order; the plan shows it done", async () => {
    const { context, page } = await signedIn('tom', true);
    // The service plan fires at pump-1's first counter reading through the gateway.
    await expect
      .poll(async () => {
        const res = await page.request.get(`${stack.hub.url}/api/inspections?assignee=tom&status=open`);
        return ((await res.json()) as { inspections: unknown[] }).inspections.length;
      }, LONG)
      .toBe(1);

    await page.goto(`${stack.hub.url}/inspections`);
    const task = page.getByTestId('task');
    await task.waitFor(LONG);
    expect(await task.count()).toBe(1);
    expect(await task.textContent()).toContain('Pump 1 service');
    expect(await task.textContent()).toContain('0 of 5 items answered');
    expect(await task.getAttribute('href')).toMatch(/^\/inspections\/tasks\/\d+$/);
    expect(await noSidewaysScroll(page)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(SHOTS, 'inspections-today.png'), fullPage: true });

    await task.click();
    const item = (key: string) => page.locator(`[data-item="${key}"]`);
    await item('no_leaks').waitFor(LONG);
    await item('no_leaks').getByRole('button', { name: 'Pass' }).click();
    expect(await item('no_leaks').getByRole('button', { name: 'Pass' }).getAttribute('aria-pressed')).toBe(
      'true',
    );

    // Limits are shown; out of limits is flagged as it is typed.
    const vibration = item('vibration');
    expect(await vibration.getByTestId('item-hint').textContent()).toBe('Limits: 0 to 4.5 mm/s');
    await vibration.getByLabel('Bearing vibration (hand-held meter)').fill('3.9');
    expect(await vibration.getByTestId('item-verdict').textContent()).toContain('Within limits');
    await vibration.getByLabel('Bearing vibration (hand-held meter)').fill('7.1');
    expect(await vibration.getByTestId('item-verdict').textContent()).toContain(
      'Above the maximum of 4.5 mm/s: this item fails',
    );
    expect(await vibration.getAttribute('class')).toContain('insp-item-failing');
    await item('outlet_pressure').getByLabel('Outlet pressure gauge').fill('3.2');

    // The meter shows the device's live counter; a negative reading goes to the hub, which refuses
    // the whole submission in its own words (nothing is recorded).
    const meter = item('running_hours');
    await expect
      .poll(() => meter.getByTestId('item-hint').textContent(), LONG)
      .toMatch(/Counter on the device now: 13,1\d\d/);
    await meter.getByLabel('Running-hours counter').fill('-5');
    expect(await meter.getByTestId('item-verdict').textContent()).toContain('never negative');
    await page.getByRole('button', { name: 'Submit results' }).click();
    const problem = page.getByTestId('checklist-error');
    await problem.waitFor(LONG);
    expect(await problem.textContent()).toMatch(
      /results\.\d+\.value: a counter reading is never negative \("Running-hours counter"\)/,
    );
    expect(await page.getByTestId('checklist-progress').textContent()).toBe('0 of 5 answered');

    const devices = (await (await page.request.get(`${stack.hub.url}/api/devices`)).json()) as {
      devices: Array<{ id: string; latest: Record<string, { value: number }> }>;
    };
    const counter = devices.devices.find((d) => d.id === 'pump-1')?.latest.running_hours?.value ?? 0;
    await meter.getByLabel('Running-hours counter').fill(counter.toFixed(1));
    expect(await meter.getByTestId('item-verdict').textContent()).toContain('Matches the counter');

    // The photo from the camera, uploaded to the inspection's order.
    await item('photo').locator('input[type="file"]').setInputFiles({
      name: 'pump.png',
      mimeType: 'image/png',
      buffer: PHOTO,
    });
    // The thumbnail is the stored photo, downloaded back from the order (1×1 pixel).
    const thumb = item('photo').getByTestId('photo-thumb');
    await thumb.waitFor({ state: 'attached', ...LONG });
    await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.naturalWidth), LONG).toBe(1);
    await item('vibration').getByLabel('Remark (optional)').fill('rough bearing, noisy');

    await page.getByRole('button', { name: 'Submit results' }).click();
    const saved = page.getByTestId('checklist-saved');
    await saved.waitFor(LONG);
    expect(await saved.textContent()).toContain('Saved 5 items.');
    const repair = saved.getByTestId('repair-link');
    expect(await repair.count()).toBe(1);
    expect(await repair.textContent()).toMatch(/^WO-\d+$/);
    const repairHref = (await repair.getAttribute('href')) ?? '';
    expect(repairHref).toMatch(/^\/orders\/\d+$/);
    expect(await problem.count()).toBe(0);
    expect(await page.getByTestId('checklist-progress').textContent()).toBe('5 of 5 answered');
    expect(await vibration.locator('[data-item-status="fail"]').count()).toBe(1);
    expect(await vibration.getByTestId('item-repair-link').getAttribute('href')).toBe(repairHref);
    expect(await item('no_leaks').locator('[data-item-status="pass"]').count()).toBe(1);
    // The repair order is real and names the item.
    const order = (await (
      await page.request.get(`${stack.hub.url}/api${repairHref.replace('/orders/', '/work-orders/')}`)
    ).json()) as {
      work_order: { kind: string; title: string };
    };
    expect(order.work_order).toMatchObject({
      kind: 'corrective',
      title: expect.stringContaining('Bearing vibration'),
    });
    expect(await noSidewaysScroll(page)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(SHOTS, 'inspection-checklist.png'), fullPage: true });

    // The plans: schedules in words, usage progress, counts; the plan's occurrence is done.
    await page.getByRole('link', { name: 'Plans' }).click();
    const plan = (name: string) => page.locator('[data-plan]', { has: page.getByRole('link', { name }) });
    await plan('Pump 1 service').waitFor(LONG);
    expect(await plan('Pump 1 service').getByTestId('plan-schedule').textContent()).toBe(
      'Every 2,000 h of Running hours on pump-1',
    );
    expect(await plan('Pump 1 service').getByTestId('plan-counts').textContent()).toContain('1 done');
    expect(await plan('Pump 1 service').getByTestId('plan-last-done').textContent()).not.toBe('never');
    expect(await plan('Pump 1 overhaul').getByTestId('plan-progress').textContent()).toMatch(
      /^2,1\d\d(\.\d+)? of 4,000 h$/,
    );
    expect(await plan('Lift weekly round').getByTestId('plan-schedule').textContent()).toBe(
      'Every Monday at 07:30',
    );
    expect(await plan('Lift weekly round').getByTestId('plan-next-due').count()).toBe(1);
    expect(await noSidewaysScroll(page)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(SHOTS, 'inspection-plans.png'), fullPage: true });
    // A technician may not pause plans: no button.
    await plan('Pump 1 service').getByRole('link', { name: 'Pump 1 service' }).click();
    const occurrence = page.getByTestId('occurrences').locator('li[data-status]');
    await occurrence.first().waitFor(LONG);
    expect(await occurrence.count()).toBe(1);
    expect(await occurrence.getAttribute('data-status')).toBe('done');
    expect(await occurrence.textContent()).toContain('Done');
    expect(await page.getByRole('button', { name: /Pause plan|Resume plan/ }).count()).toBe(0);
    expect(await page.getByTestId('report-period').textContent()).toContain('(Asia/Shanghai)');
    const figures = page.getByTestId('report-figures');
    await figures.waitFor(LONG);
    expect(await figures.locator('[data-figure="due"] dd').textContent()).toBe('1');
    expect(await figures.locator('[data-figure="done_on_time"] dd').textContent()).toBe('1');
    expect(await figures.locator('[data-figure="compliance"] dd').textContent()).toBe('100%');
    expect(await page.getByTestId('report-failed').textContent()).toContain(
      'Bearing vibration (hand-held meter)',
    );
    expect(await page.getByTestId('report-failed').getByRole('link').getAttribute('href')).toBe(repairHref);
    const csv = await page.request.get(
      new URL((await page.getByTestId('report-csv').getAttribute('href')) ?? '', stack.hub.url).toString(),
    );
    expect(csv.status()).toBe(200);
    expect(await csv.text()).toContain('Bearing vibration');
    expect(await noSidewaysScroll(page)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(SHOTS, 'inspection-plan.png'), fullPage: true });

    // pump-1's inspection history (the component the device page mounts): its items, the failure.
    await page.goto(`${stack.hub.url}/inspections/devices/pump-1`);
    const history = page.getByTestId('inspection-history');
    await history.locator('[data-inspection]').first().waitFor(LONG);
    expect(await history.locator('[data-inspection]').count()).toBe(1);
    const failedItem = history.locator('li[data-item-status="fail"]');
    expect(await failedItem.textContent()).toContain('Bearing vibration (hand-held meter): 7.1');
    expect(await failedItem.getByRole('link').getAttribute('href')).toBe(repairHref);
    expect(await history.locator('li[data-item-status="pass"]').count()).toBe(4);
    await context.close();
  });

  it('a supervisor pauses and resumes a plan; a viewer reads a checklist but cannot fill it', async () => {
    const { context, page } = await signedIn('sam', false);
    await page.goto(`${stack.hub.url}/inspections/plans`);
    await page.getByRole('link', { name: 'Lift weekly round' }).click();
    // The plan's own page (the list shows a state badge per plan too).
    const state = page.getByTestId('inspection-plan').getByTestId('plan-state');
    await state.waitFor(LONG);
    expect(await state.textContent()).toContain('Active');
    await page.getByRole('button', { name: 'Pause plan' }).click();
    await expect.poll(() => state.textContent(), LONG).toContain('Paused');
    const stored = await page.request.get(`${stack.hub.url}/api/plans`);
    const lift = ((await stored.json()) as { plans: Array<{ name: string; active: boolean }> }).plans.find(
      (p) => p.name === 'Lift weekly round',
    );
    expect(lift?.active).toBe(false);
    await page.getByRole('button', { name: 'Resume plan' }).click();
    await expect.poll(() => state.textContent(), LONG).toContain('Active');
    await context.close();

    const viewer = await signedIn('mia', false, 'zh-CN');
    await viewer.page.goto(`${stack.hub.url}/inspections`);
    // The viewer sees every task of her sites (she has none of her own), read only.
    const done = await viewer.page.request.get(`${stack.hub.url}/api/inspections?status=done`);
    const [inspection] = ((await done.json()) as { inspections: Array<{ id: number }> }).inspections;
    await viewer.page.goto(`${stack.hub.url}/inspections/tasks/${inspection?.id}`);
    await viewer.page.getByTestId('read-only').waitFor(LONG);
    // In Chinese: her browser's language.
    expect(await viewer.page.getByTestId('read-only').textContent()).toBe('只读：您的角色不能填写巡检结果');
    expect(await viewer.page.getByRole('button', { name: '提交结果' }).count()).toBe(0);
    expect(await viewer.page.getByTestId('checklist').locator('input:enabled, button:enabled').count()).toBe(
      0,
    );
    const failed = viewer.page
      .getByTestId('checklist')
      .locator('[data-item="vibration"] [data-item-status="fail"]');
    expect(await failed.textContent()).toContain('不合格');
    await viewer.page.screenshot({ path: join(SHOTS, 'inspection-checklist-zh-CN.png'), fullPage: true });
    await viewer.context.close();
  });
});

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentWidth, launchChromium, signedInPage, watchPages } from '../support/chromium.js';
import { requireBinary } from '../support/require-binary.js';
import { PEOPLE_STACK, REPO_ROOT, type Stack, startStack } from '../support/stack.js';

const installed = requireBinary('chromium', 'apt-get install chromium');
const SHOTS = join(REPO_ROOT, 'test', 'screenshots');
const _FIXTURES = join(import.meta.dirname, 'fixtures');
const LONG = { timeout: 20_000 };

interface ApiPlan {
  id: number;
  name: string;
  template_id: number | null;
  object_ids: number[] | null;
  schedule: Record<string, unknown>;
  window_ms: number;
  priority: number;
  assign_to: unknown;
  active: boolean;
}

/**
 * The planners' editors in Chromium against the whole system: a supervisor makes an inspection
 * object with a checklist of three item types, a template and a calendar plan with controls, sees
 * the schedule in words in the Plans list, edits it, gets the hub's refusal beside the field it
 * names and retires the plan; what the API stores is what the form said. A technician gets no
 * editor; the plan form works in Chinese on a phone.
 */
describe.runIf(installed)('plan, template and object editors in Chromium', () => {
  let stack: Stack;
  let browser: Browser;

  const signedIn = (username: string, phone: boolean, locale = 'en-GB') =>
    signedInPage(browser, stack.hub.url, username, phone, locale);
  const apiGet = async <T>(page: Page, path: string): Promise<T> => {
    const res = await page.request.get(`${stack.hub.url}${path}`);
    expect(res.status(), path).toBe(200);
    return (await res.json()) as T;
  };
  const planId = (page: Page) =>
    Number(/\/inspections\/plans\/(\d+)$/.exec(new URL(page.url()).pathname)?.[1]);

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

  let created = 0;

  it('a supervisor makes an object, a template and a plan with controls, edits it and the API stores what the form said', async () => {
    const { context, page } = await signedIn('sam', false);

    // The object and its checklist: three item types, the photo moved up by its button.
    await page.goto(`${stack.hub.url}/inspections/objects/new`);
    const objectForm = page.getByTestId('object-form');
    await objectForm.waitFor(LONG);
    await objectForm.getByLabel('Name', { exact: true }).fill('Pump 1 weekly check');
    await expect
      .poll(
        () =>
          objectForm
            .getByRole('combobox', { name: /^Device/ })
            .locator('option')
            .count(),
        LONG,
      )
      .toBeGreaterThan(1);
    await objectForm.getByRole('combobox', { name: /^Device/ }).selectOption('pump-1');
    const items = objectForm.getByTestId('item-draft');
    await items.nth(0).getByLabel('What to check').fill('Seal is dry');
    await objectForm.getByRole('button', { name: 'Add item' }).click();
    await items.nth(1).getByLabel('What to check').fill('Discharge pressure');
    await items.nth(1).getByLabel('Answer type').selectOption('number');
    await items.nth(1).getByLabel('Unit (optional)').fill('bar');
    await items.nth(1).getByLabel('Lowest accepted (optional)').fill('2');
    await items.nth(1).getByLabel('Highest accepted (optional)').fill('6.5');
    await objectForm.getByRole('button', { name: 'Add item' }).click();
    await items.nth(2).getByLabel('What to check').fill('Photo of the gauge');
    await items.nth(2).getByLabel('Answer type').selectOption('photo');
    await objectForm.getByRole('button', { name: 'Move item 3 up' }).click();
    await expect.poll(() => items.nth(1).getByLabel('What to check').inputValue()).toBe('Photo of the gauge');
    // The keyboard stays on the moved item's button.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(
      'Move item 2 up',
    );
    await page.screenshot({ path: join(SHOTS, 'template-editor.png'), fullPage: true });
    // Limits the wrong way round: the hub's message beside the third item's upper limit.
    await items.nth(2).getByLabel('Highest accepted (optional)').fill('1');
    await objectForm.getByRole('button', { name: 'Save' }).click();
    const max = objectForm.locator('[data-field="items.2.max"]');
    await expect.poll(() => max.getAttribute('aria-invalid'), LONG).toBe('true');
    expect(
      await objectForm.locator(`[id="${await max.getAttribute('aria-describedby')}"]`).textContent(),
    ).toContain('items.2.max: must not be below min');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-field'))).toBe('items.2.max');
    await max.fill('6.5');
    await objectForm.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('inspection-objects').waitFor(LONG);
    const { inspection_objects: objects } = await apiGet<{
      inspection_objects: Array<{ id: number; name: string; device: string; items: unknown[] }>;
    }>(page, '/api/inspection-objects');
    expect(objects).toHaveLength(1);
    expect(objects[0]).toMatchObject({ name: 'Pump 1 weekly check', device: 'pump-1', site: 'test-estate' });
    expect(objects[0]?.items).toEqual([
      { key: 'seal-is-dry', label: 'Seal is dry', type: 'pass_fail' },
      { key: 'photo-of-the-gauge', label: 'Photo of the gauge', type: 'photo' },
      {
        key: 'discharge-pressure',
        label: 'Discharge pressure',
        type: 'number',
        min: 2,
        max: 6.5,
        unit: 'bar',
      },
    ]);

    // Changing the object: a new label keeps the item's key (results hang off it); the top item
    // moved down by keyboard.
    await page.getByTestId('inspection-objects').getByRole('link', { name: 'Pump 1 weekly check' }).click();
    await objectForm.waitFor(LONG);
    await items.nth(0).getByLabel('What to check').fill('Mechanical seal is dry');
    await items.nth(0).getByRole('button', { name: 'Move item 1 down' }).press('Enter');
    await expect
      .poll(() => items.nth(1).getByLabel('What to check').inputValue())
      .toBe('Mechanical seal is dry');
    await objectForm.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('inspection-objects').waitFor(LONG);
    const changed = await apiGet<{ items: Array<{ key: string; label: string }> }>(
      page,
      `/api/inspection-objects/${objects[0]?.id}`,
    );
    expect(changed.items.map((i) => [i.key, i.label])).toEqual([
      ['photo-of-the-gauge', 'Photo of the gauge'],
      ['seal-is-dry', 'Mechanical seal is dry'],
      ['discharge-pressure', 'Discharge pressure'],
    ]);

    // The template: the object ticked.
    await page.goto(`${stack.hub.url}/inspections/templates/new`);
    const templateForm = page.getByTestId('template-form');
    await templateForm.waitFor(LONG);
    await templateForm.getByLabel('Name', { exact: true }).fill('Pump checks');
    await templateForm.getByLabel('Pump 1 weekly check').check();
    await templateForm.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('inspection-templates').waitFor(LONG);
    const { inspection_templates: templates } = await apiGet<{
      inspection_templates: Array<{ id: number; name: string; object_ids: number[] }>;
    }>(page, '/api/inspection-templates');
    expect(templates).toMatchObject([{ name: 'Pump checks', object_ids: [objects[0]?.id] }]);

    // The plan: every 2 weeks on Tuesday and Friday at 07:30, 3 days to do it, for tom.
    await page.goto(`${stack.hub.url}/inspections/plans`);
    await page.getByRole('link', { name: 'New plan' }).click();
    const planForm = page.getByTestId('plan-form');
    await planForm.waitFor(LONG);
    await planForm.getByLabel('Name', { exact: true }).fill('Pump 1 fortnightly');
    await planForm.getByRole('combobox', { name: /^Template/ }).selectOption({ label: 'Pump checks' });
    await planForm.getByLabel('Repeats').selectOption('weekly');
    await planForm.getByLabel('Every how many weeks').fill('2');
    await planForm.getByLabel('Monday').uncheck();
    await planForm.getByLabel('Friday').check();
    await planForm.getByLabel('Tuesday').check();
    await planForm.getByLabel('Time of day').fill('07:30');
    await planForm.getByLabel('Time to do it (after each occurrence)').fill('3');
    await planForm.getByLabel('Assign to').selectOption('technician');
    await planForm.getByLabel('Technician (user name)').fill('tom');
    const preview = planForm.getByTestId('schedule-preview');
    expect(await preview.textContent()).toBe('Every 2 weeks on Tuesday and Friday at 07:30');
    await page.screenshot({ path: join(SHOTS, 'plan-editor.png'), fullPage: true });
    await planForm.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/inspections\/plans\/\d+$/, LONG);
    created = planId(page);

    const plan = await apiGet<ApiPlan>(page, `/api/plans/${created}`);
    expect(plan).toMatchObject({
      name: 'Pump 1 fortnightly',
      template_id: templates[0]?.id,
      object_ids: null,
      window_ms: 3 * 86_400_000,
      priority: 3,
      assign_to: { technician: 'tom' },
      active: true,
    });
    expect(plan.schedule).toEqual({
      type: 'calendar',
      frequency: 'weekly',
      interval: 2,
      weekdays: ['TU', 'FR'],
      time: '07:30',
      starts: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
    });

    // The Plans list says the schedule in the same words the form showed.
    await page.goto(`${stack.hub.url}/inspections/plans`);
    const card = page.locator(`[data-plan="${created}"]`);
    await card.waitFor(LONG);
    expect(await card.getByTestId('plan-schedule').textContent()).toBe(
      'Every 2 weeks on Tuesday and Friday at 07:30',
    );

    // Edit: the last Friday of every month at 16:00, priority 2.
    await card.getByRole('link', { name: 'Pump 1 fortnightly' }).click();
    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await planForm.waitFor(LONG);
    expect(await planForm.getByLabel('Every how many weeks').inputValue()).toBe('2');
    await planForm.getByLabel('Repeats').selectOption('monthly');
    await planForm.getByLabel('Every how many months').fill('1');
    await planForm.getByLabel('On a weekday of the month').check();
    await planForm.getByLabel('Which one').selectOption('-1');
    await planForm.getByLabel('Tuesday').uncheck();
    await planForm.getByLabel('Time of day').fill('16:00');
    await planForm.getByLabel('Priority').selectOption('2');
    expect(await preview.textContent()).toBe('The last Friday of every month at 16:00');
    await planForm.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/inspections\/plans\/\d+$/, LONG);
    const edited = await apiGet<ApiPlan>(page, `/api/plans/${created}`);
    expect(edited.schedule).toEqual({
      type: 'calendar',
      frequency: 'monthly',
      nth: -1,
      weekdays: ['FR'],
      time: '16:00',
      starts: plan.schedule.starts,
    });
    expect(edited).toMatchObject({
      priority: 2,
      template_id: templates[0]?.id,
      assign_to: { technician: 'tom' },
    });
    expect(await page.getByTestId('plan-schedule').textContent()).toBe(
      'The last Friday of every month at 16:00',
    );

    // A bad value: the hub's message beside the field it names, which gets the keyboard; nothing changes.
    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await planForm.waitFor(LONG);
    await planForm.getByLabel('Every how many months').fill('0');
    await planForm.getByRole('button', { name: 'Save' }).click();
    const interval = planForm.locator('[data-field="schedule.interval"]');
    await expect.poll(() => interval.getAttribute('aria-invalid'), LONG).toBe('true');
    const describedBy = (await interval.getAttribute('aria-describedby')) ?? '';
    expect(await page.locator(`[id="${describedBy}"]`).textContent()).toMatch(/schedule\.interval: .+/);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-field'))).toBe(
      'schedule.interval',
    );
    expect(await planForm.getByRole('button', { name: 'Save' }).isEnabled()).toBe(true);
    expect((await apiGet<ApiPlan>(page, `/api/plans/${created}`)).schedule).toEqual(edited.schedule);

    // Retire, after a confirmation naming what happens to open occurrences.
    await page.goto(`${stack.hub.url}/inspections/plans/${created}`);
    await page.getByRole('button', { name: 'Retire plan' }).click();
    expect(await page.locator('.insp-confirm').textContent()).toContain('open inspections stay open');
    await page.getByRole('button', { name: 'Yes: Retire plan' }).click();
    await page.getByTestId('inspection-plans').waitFor(LONG);
    expect((await page.request.get(`${stack.hub.url}/api/plans/${created}`)).status()).toBe(404);

    await context.close();
  });

  it('a technician gets no editor, and the hub refuses him anyway', async () => {
    const { context, page } = await signedIn('tom', false);
    await page.goto(`${stack.hub.url}/inspections/plans`);
    await page.getByTestId('inspection-plans').waitFor(LONG);
    expect(await page.getByRole('link', { name: 'New plan' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Templates' }).count()).toBe(0);
    await page.goto(`${stack.hub.url}/inspections/plans/new`);
    await page.locator('.insp-tabs').waitFor(LONG);
    expect(await page.getByTestId('plan-form').count()).toBe(0);
    await page.goto(`${stack.hub.url}/inspections/objects/new`);
    await page.locator('.insp').waitFor(LONG);
    expect(await page.getByTestId('object-form').count()).toBe(0);
    const res = await page.request.post(`${stack.hub.url}/api/inspection-objects`, {
      data: {
        site: 'test-estate',
        name: 'x',
        device: 'pump-1',
        items: [{ key: 'a', label: 'A', type: 'photo' }],
      },
    });
    expect(res.status()).toBe(403);
    await context.close();
  });

  it('the plan form in Chinese on a phone: a usage plan, no sideways scrolling', async () => {
    const { context, page } = await signedIn('sam', true, 'zh-CN');
    await page.goto(`${stack.hub.url}/inspections/plans/new`);
    const planForm = page.getByTestId('plan-form');
    await planForm.waitFor(LONG);
    expect(await page.locator('h1', { hasText: '新建计划' }).count()).toBe(1);
    await planForm.getByLabel('名称', { exact: true }).fill('1号泵运行小时保养');
    await planForm.getByLabel('选择对象').check();
    await planForm.getByLabel('Pump 1 weekly check').check();
    await planForm.getByLabel('按使用量（计数器）').check();
    await planForm.getByRole('combobox', { name: /^设备/ }).selectOption('pump-1');
    const counter = planForm.getByRole('combobox', { name: /^计数器/ });
    await expect.poll(() => counter.locator('option').count(), LONG).toBeGreaterThan(1);
    const point = await counter.locator('option').nth(1).getAttribute('value');
    await counter.selectOption(point ?? '');
    await planForm.getByLabel('每（计数器的量）').fill('500');
    await planForm.getByLabel('单位（可选）').fill('h');
    expect(await planForm.getByTestId('schedule-preview').textContent()).toContain('pump-1');
    expect(await contentWidth(page)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(SHOTS, 'plan-editor-zh-phone.png'), fullPage: true });
    await planForm.getByRole('button', { name: '保存' }).click();
    await page.waitForURL(/\/inspections\/plans\/\d+$/, LONG);
    const plan = await apiGet<ApiPlan>(page, `/api/plans/${planId(page)}`);
    expect(plan.schedule).toEqual({ type: 'usage', device: 'pump-1', point, every: 500, unit: 'h' });
    expect(plan.object_ids).toHaveLength(1);
    expect(await contentWidth(page)).toBeLessThanOrEqual(390);
    await context.close();
  });

  it("archives: an object in use is refused in the hub's words; once its template and plans are gone, it goes", async () => {
    const { context, page } = await signedIn('sam', false);
    const archive = async (path: string, label: string) => {
      await page.goto(`${stack.hub.url}/inspections/${path}`);
      await page.getByRole('button', { name: label, exact: true }).click();
      await page.getByRole('button', { name: `Yes: ${label}` }).click();
    };
    const { inspection_objects: objects } = await apiGet<{ inspection_objects: Array<{ id: number }> }>(
      page,
      '/api/inspection-objects',
    );
    const { inspection_templates: templates } = await apiGet<{ inspection_templates: Array<{ id: number }> }>(
      page,
      '/api/inspection-templates',
    );
    expect([objects.length, templates.length]).toEqual([1, 1]);
    const objectId = objects[0]?.id as number;
    await archive(`objects/${objectId}`, 'Archive object');
    const problem = page.locator('[data-form-problem]');
    await expect.poll(() => problem.textContent(), LONG).toMatch(/used by/);
    expect(await page.evaluate(() => document.activeElement?.hasAttribute('data-form-problem'))).toBe(true);
    expect(
      (await apiGet<{ inspection_objects: unknown[] }>(page, '/api/inspection-objects')).inspection_objects,
    ).toHaveLength(1);

    // The phone's usage plan still uses the object: retired through the API here (the page's
    // retire button is covered above), then the template and the object through their forms.
    const { plans } = await apiGet<{ plans: Array<{ id: number }> }>(page, '/api/plans');
    for (const plan of plans) {
      expect((await page.request.delete(`${stack.hub.url}/api/plans/${plan.id}`)).status()).toBeLessThan(300);
    }
    await archive(`templates/${templates[0]?.id}`, 'Archive template');
    await page.getByTestId('inspection-templates').waitFor(LONG);
    expect(
      (await apiGet<{ inspection_templates: unknown[] }>(page, '/api/inspection-templates'))
        .inspection_templates,
    ).toEqual([]);
    await archive(`objects/${objectId}`, 'Archive object');
    await page.getByTestId('inspection-objects').waitFor(LONG);
    expect(
      (await apiGet<{ inspection_objects: unknown[] }>(page, '/api/inspection-objects')).inspection_objects,
    ).toEqual([]);
    await context.close();
  });
});

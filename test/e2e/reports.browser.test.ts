import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { strFromU8, unzipSync } from 'fflate';
import type { APIRequestContext, Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentWidth, launchChromium, signedInContext, watchPages } from '../support/chromium.js';
import { requireBinary } from '../support/require-binary.js';
import { PEOPLE_STACK, REPO_ROOT, SITE, type Stack, startStack } from '../support/stack.js';

const installed = requireBinary('chromium', 'apt-get install chromium');
const SHOTS = join(REPO_ROOT, 'test', 'screenshots');
const _FIXTURES = join(import.meta.dirname, 'fixtures');
const LONG = { timeout: 30_000 };
const HOUR = 3_600_000;

interface Window {
  label: string;
  orders: { created: number };
  mttr: { mean_ms: number | null };
  first_time_fix: { rate: number | null; completed: number; first_time: number };
  failures: { total: number; by_device_type: Record<string, number> };
  on_time: Record<'response' | 'completion', { all: { on_time: number; late: number; rate: number | null } }>;
  mtbf: { by_device_type: Array<{ key: string; mean_ms: number | null }> };
  technicians: Array<{
    username: string;
    display_name: string;
    completed: number;
    mean_rating: number | null;
  }>;
}
interface Kpis {
  periods: Window[];
  total: Window;
}

/**
 * The managers' reports in Chromium against the whole system, outside the demo mode. History:
 * three past months of pump and lift failures are written through the hub's own order service
 * (create and transition take a past time; the REST API always stamps now), and this month's
 * orders go through the REST API as the people who do the work: rob reports, sam accepts and
 * dispatches, tom repairs, rita checks (once rejecting), rob rates.
 */
describe.runIf(installed)('reports in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  // Months as the hub counts them for these sites: Shanghai's calendar (UTC+8, no summer time).
  const SHANGHAI = 8 * HOUR;
  const wall = new Date(Date.now() + SHANGHAI);
  const [y, m] = [wall.getUTCFullYear(), wall.getUTCMonth()];
  /** An instant `back` months ago on `day` at `hour`, Shanghai time. */
  const month = (back: number, day: number, hour: number) => Date.UTC(y, m - back, day, hour) - SHANGHAI;
  const label = (back: number) => new Date(Date.UTC(y, m - back, 1)).toISOString().slice(0, 7);
  const daysIn = (back: number) => (Date.UTC(y, m - back + 1, 1) - Date.UTC(y, m - back, 1)) / (24 * HOUR);

  const signedIn = async (username: string, viewport = { width: 1440, height: 1000 }, locale = 'en-GB') => {
    const context = await signedInContext(browser, stack.hub.url, username, { viewport, locale });
    contexts.push(context);
    return context;
  };
  const act = async (who: APIRequestContext, id: number, action: string, data: object = {}) => {
    const res = await who.post(`${stack.hub.url}/api/work-orders/${id}/actions/${action}`, { data });
    expect({ action, status: res.status(), body: res.ok() ? null : await res.text() }).toMatchObject({
      status: 200,
    });
  };

  async function seedPast() {
    const orders = stack.hub.maintenance?.orders;
    if (!orders) throw new Error('the hub has no maintenance side');
    const failure = async (device: string, created: number, repaired: number) => {
      const order = await orders.create({
        source: 'manual',
        kind: 'corrective',
        site: SITE,
        device,
        title: `${device} fault`,
        problemType: 'general',
        priority: 3,
        actor: 'sam',
        ts: created,
      });
      await orders.transition(order.id, 'in_repair', 'sam', created + HOUR);
      await orders.transition(order.id, 'completed', 'sam', repaired);
    };
    // Pump: failed three months ago (4 h repair), again two and one month ago (repaired in 1 day).
    await failure('pump-1', month(3, 10, 8), month(3, 10, 12));
    await failure('pump-1', month(2, 10, 12), month(2, 11, 12));
    await failure('pump-1', month(1, 10, 12), month(1, 11, 12));
    // Lift: three months ago (a day's repair), then one month ago.
    await failure('elevator-1', month(3, 12, 0), month(3, 13, 0));
    await failure('elevator-1', month(1, 5, 0), month(1, 5, 6));
  }

  async function seedThisMonth() {
    const rob = (await signedIn('rob')).request;
    const sam = (await signedIn('sam')).request;
    const tom = (await signedIn('tom')).request;
    const rita = (await signedIn('rita')).request;
    const report = async (device: string, title: string) => {
      const res = await rob.post(`${stack.hub.url}/api/work-orders`, {
        data: { site: SITE, building: 't1', device, problem_type: 'general', priority: 2, title },
      });
      expect(res.status()).toBe(201);
      return ((await res.json()) as { work_order: { id: number } }).work_order.id;
    };
    const work = { resolution: 'replaced the worn part', labour_minutes: 40 };
    // Fixed right the first time, rated 5.
    const a = await report('pump-1', 'Pump rattles');
    await act(sam, a, 'accept');
    await act(sam, a, 'dispatch', { assignee: 'tom' });
    await act(tom, a, 'submit_for_check', { ...work, fault_category: 'natural_wear' });
    await act(rita, a, 'pass_check');
    await act(rob, a, 'rate', { rating: 5 });
    // Rejected once at the check: not a first-time fix; rated 2.
    const b = await report('elevator-1', 'Lift door slow');
    await act(sam, b, 'accept');
    await act(sam, b, 'dispatch', { assignee: 'tom' });
    await act(tom, b, 'submit_for_check', { ...work, fault_category: 'misuse' });
    await act(rita, b, 'reject', { reason: 'door still slow' });
    await act(tom, b, 'submit_for_check', { ...work, fault_category: 'misuse' });
    await act(rita, b, 'pass_check');
    await act(rob, b, 'rate', { rating: 2 });
    // Still open: tom's load and the backlog.
    const c = await report('pump-1', 'Pump leaks');
    await act(sam, c, 'accept');
    await act(sam, c, 'dispatch', { assignee: 'tom' });
  }

  beforeAll(async () => {
    stack = await startStack(PEOPLE_STACK);
    browser = await launchChromium();
    await seedPast();
    await seedThisMonth();
  });

  watchPages(() => browser, SHOTS);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await stack?.stop();
  });

  /** The JSON the page's figures came from: its own CSV link, without format=csv. */
  const apiOfPage = async (page: Page): Promise<Kpis> => {
    const href = (await page.locator('[data-csv="kpis"]').getAttribute('href')) as string;
    const url = new URL(href, stack.hub.url);
    url.searchParams.delete('format');
    const res = await page.request.get(url.toString());
    expect(res.status()).toBe(200);
    return (await res.json()) as Kpis;
  };
  const cell = (page: Page, table: string, month: string, key: string) =>
    page.locator(`[data-table="${table}"] tr[data-month="${month}"] td[data-key="${key}"]`).textContent();

  it('shows the manager the figures the API computes, by month, and exports them', async () => {
    const mia = await signedIn('mia');
    const page = await mia.newPage();
    // Any script error on the page (a chart given no data, say) fails the test.
    const crashes: string[] = [];
    page.on('pageerror', (err) => crashes.push(err.message));
    // The devices' types come from their readings: wait until the hub knows the pump's.
    await expect
      .poll(async () => {
        const res = await page.request.get(`${stack.hub.url}/api/devices`);
        const body = (await res.json()) as { devices: Array<{ id: string; type: string }> };
        return body.devices.map((d) => `${d.id}:${d.type}`).sort();
      }, LONG)
      .toEqual(expect.arrayContaining(['elevator-1:elevator', 'pump-1:pump']));
    await page.goto(`${stack.hub.url}/reports?range=6m`);
    await page.getByRole('heading', { level: 1, name: 'Failures & maintenance' }).waitFor(LONG);
    await page.locator('[data-table="failures-device_type"]').waitFor(LONG);
    expect(await page.getByRole('button', { name: 'Last 6 months' }).getAttribute('aria-pressed')).toBe(
      'true',
    );
    const api = await apiOfPage(page);
    expect(api.periods.map((p) => p.label)).toHaveLength(6);
    expect(api.periods.map((p) => p.label).slice(2, 5)).toEqual([label(3), label(2), label(1)]);

    // Failures by device type, by hand: 2 three months ago (pump, lift), 1 (pump), 2 (pump, lift).
    // This month's three reports (two pumps, a lift) are checked against the API: a sensor order
    // the live simulators might raise meanwhile would count too.
    const expected: Array<[string, number, number]> = [
      [label(3), 1, 1],
      [label(2), 1, 0],
      [label(1), 1, 1],
    ];
    for (const [m, pumps, lifts] of expected) {
      expect(await cell(page, 'failures-device_type', m, 'pump')).toBe(String(pumps));
      expect(await cell(page, 'failures-device_type', m, 'total')).toBe(String(pumps + lifts));
    }
    // And every month's total is the API's.
    for (const p of api.periods) {
      expect(await cell(page, 'failures-device_type', p.label, 'total')).toBe(String(p.failures.total));
    }
    expect(await cell(page, 'failures-cause', label(0), 'misuse')).toBe('1');
    expect(await cell(page, 'failures-site', label(1), SITE)).toBe('2');

    // MTBF per type: the pump's interval ending two months ago runs from its repair on the 10th,
    // 12:00, three months ago to its failure on the 10th, 12:00: a whole month of hours.
    expect(await cell(page, 'mtbf', label(2), 'pump')).toBe(`${daysIn(3) * 24} hrs`);
    const pumpMtbf = api.periods[3]?.mtbf.by_device_type.find((m) => m.key === 'pump')?.mean_ms;
    expect(pumpMtbf).toBe(daysIn(3) * 24 * HOUR);
    // MTTR three months ago: (4 h + 24 h) / 2 = 14 h.
    // The browser is en-GB: British abbreviations ("hrs"), as Intl writes them for the region.
    expect(await cell(page, 'mttr', label(3), 'mttr')).toBe('14 hrs');
    expect(api.periods[2]?.mttr.mean_ms).toBe(14 * HOUR);

    // Key figures: first-time fix over the range is 6 of 7 (one rejected), shown as the API's rate.
    expect(api.total.first_time_fix).toMatchObject({ completed: 7, first_time: 6 });
    const percent = new Intl.NumberFormat('en-GB', { style: 'percent', maximumFractionDigits: 1 });
    expect(await page.getByTestId('figure-ftf').textContent()).toBe(
      percent.format(api.total.first_time_fix.rate as number),
    );
    expect(await page.getByTestId('figure-created').textContent()).toBe(String(api.total.orders.created));
    // The six months before had no orders: nothing to compare with, said in words.
    expect(await page.getByTestId('change-ftf').getAttribute('data-direction')).toBe('none');
    expect(await page.getByTestId('change-ftf').textContent()).toContain('Nothing to compare with');

    // Technicians: tom completed both of this month's repairs (ratings 5 and 2) and holds one.
    const tom = page.locator('[data-table="technicians"] tr[data-technician="tom"]');
    // By the name people know him by, his user name beneath it.
    expect(await tom.locator('th .technician-name').textContent()).toBe('Tom Wang');
    // The user name is read out as such (a hidden word before it).
    expect(await tom.locator('th .technician-user').textContent()).toBe('user name tom');
    expect(await tom.locator('[data-key="completed"]').textContent()).toBe('2');
    expect(await tom.locator('[data-key="mean_rating"]').textContent()).toBe('3.50');
    expect(await tom.locator('[data-key="low_ratings"]').textContent()).toBe('1');
    expect(await tom.locator('[data-key="open_now"]').textContent()).toBe('1');
    expect(api.total.technicians.find((t) => t.username === 'tom')).toMatchObject({
      display_name: 'Tom Wang',
      completed: 2,
      mean_rating: 3.5,
    });
    await page.locator('[data-sort="open_now"]').click();
    expect(await page.locator('th[aria-sort="descending"]').textContent()).toContain('Open now');

    // On-time per priority, for either limit: every month's cell says the API's rate and counts.
    for (const limit of ['completion', 'response'] as const) {
      await page.locator(`[data-limit="${limit}"]`).click();
      expect(await page.locator(`[data-limit="${limit}"]`).getAttribute('aria-pressed')).toBe('true');
      await expect
        .poll(() => page.locator('[data-chart="on-time"] figcaption').textContent())
        .toContain(limit === 'response' ? 'Response' : 'Completion');
      for (const p of api.periods) {
        const o = p.on_time[limit].all;
        const judged = o.on_time + o.late;
        expect(await cell(page, 'on-time', p.label, 'all')).toBe(
          judged === 0 ? '—' : `${percent.format(o.rate as number)} (${o.on_time}/${judged})`,
        );
      }
    }

    // Charts drawn: the bars and the uPlot lines.
    expect(await page.locator('[data-chart="failures-device_type"] .seg').count()).toBeGreaterThan(0);
    await page.locator('[data-chart="mtbf"] canvas').waitFor(LONG);
    await page.screenshot({ path: join(SHOTS, 'reports.png'), fullPage: true });

    // One section's CSV: a download with the failures table, the same counts.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('[data-csv="failures"]').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^caretaker-failures-\d{4}-\d{2}_\d{4}-\d{2}\.csv$/);
    const rows = parse(await readFile((await download.path()) as string, 'utf8'), {
      bom: true,
      columns: true,
    }) as Array<Record<string, string>>;
    const pumpRow = rows.find(
      (r) => r.period === label(0) && r.dimension === 'device_type' && r.key === 'pump',
    );
    const thisMonth = api.periods[5] as Window;
    expect(thisMonth.failures.by_device_type.pump).toBeGreaterThanOrEqual(2);
    expect(pumpRow?.failures).toBe(String(thisMonth.failures.by_device_type.pump));
    expect(rows.find((r) => r.period === 'total' && r.dimension === 'site' && r.key === SITE)?.failures).toBe(
      String(api.total.failures.total),
    );
    expect(api.total.failures.total).toBeGreaterThanOrEqual(8);

    // Export all: one zip with every table.
    const [zip] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-all').click()]);
    expect(zip.suggestedFilename()).toMatch(/^caretaker-reports-.*\.zip$/);
    const files = unzipSync(new Uint8Array(await readFile((await zip.path()) as string)));
    const names = Object.keys(files).map((n) => n.replace(/-\d{4}-\d{2}_\d{4}-\d{2}\.csv$/, ''));
    expect(names.sort()).toEqual(
      ['backlog', 'failures', 'kpis', 'mtbf', 'on-time', 'technicians'].map((n) => `caretaker-${n}`),
    );
    const technicians = Object.entries(files).find(([n]) => n.startsWith('caretaker-technicians'))?.[1];
    const techRows = parse(strFromU8(technicians as Uint8Array), { bom: true, columns: true }) as Array<
      Record<string, string>
    >;
    expect(techRows.find((r) => r.period === 'total' && r.technician === 'tom')?.display_name).toBe(
      'Tom Wang',
    );
    const kpis = Object.entries(files).find(([n]) => n.startsWith('caretaker-kpis'))?.[1] as Uint8Array;
    const kpiRows = parse(strFromU8(kpis), { bom: true, columns: true }) as Array<Record<string, string>>;
    expect(kpiRows.at(-1)).toMatchObject({
      period: 'total',
      orders_created: String(api.total.orders.created),
      failures: String(api.total.failures.total),
      first_time_fix_rate: String(api.total.first_time_fix.rate),
    });

    // Another range is in the URL: three months, and the page follows a reload.
    await page.getByRole('button', { name: 'Last 3 months' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('range')).toBe('3m');
    await page.reload();
    await expect
      .poll(() => page.locator('[data-table="failures-device_type"] tbody tr').count(), LONG)
      .toBe(3);
    // Against the three months before (with their orders): the change has a direction and words.
    const change = page.getByTestId('change-created');
    await expect.poll(() => change.getAttribute('data-direction'), LONG).toBe('up');
    expect(await change.textContent()).toMatch(/Up \d+ · before: \d+/);

    // A site without orders, chosen from the keyboard: empty charts, zeros, no error.
    const sitePicker = page.getByRole('combobox', { name: 'Site' });
    await sitePicker.focus();
    await sitePicker.selectOption('other-estate');
    await expect.poll(() => new URL(page.url()).searchParams.get('site')).toBe('other-estate');
    await expect.poll(() => page.getByTestId('figure-created').textContent(), LONG).toBe('0');
    expect(await page.locator('[data-section="trends"]').textContent()).toContain('No device failed twice');
    expect(await page.locator('[data-csv="failures"]').getAttribute('href')).toContain('site=other-estate');
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(crashes).toEqual([]);
    await page.close();
  });

  it('fits a phone screen, in Chinese', async () => {
    const mia = await signedIn('mia', { width: 390, height: 844 }, 'zh-CN');
    const page = await mia.newPage();
    await page.goto(`${stack.hub.url}/reports?range=12m&site=${SITE}`);
    await page.getByRole('heading', { level: 1, name: '故障与维修' }).waitFor(LONG);
    await page.locator('[data-table="technicians"]').waitFor(LONG);
    expect(await page.getByTestId('report-site').inputValue()).toBe(SITE);
    expect(await page.getByRole('button', { name: '最近 12 个月' }).getAttribute('aria-pressed')).toBe(
      'true',
    );
    // Months and durations in Chinese (Intl): three months ago's MTTR is 14 hours.
    const [year, mon] = label(3).split('-').map(Number);
    const row = page.locator(`[data-table="mttr"] tr[data-month="${label(3)}"]`);
    expect(await row.locator('th').textContent()).toBe(`${year}年${mon}月`);
    expect(await row.locator('[data-key="mttr"]').textContent()).toMatch(/^14\s?小时$/);
    expect(await contentWidth(page)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(SHOTS, 'reports-phone.png'), fullPage: true });
    await page.close();
  });

  it('a technician has no reports entry and is told he may not see them', async () => {
    const tom = await signedIn('tom');
    const page = await tom.newPage();
    await page.goto(`${stack.hub.url}/reports`);
    await page.getByTestId('reports-denied').waitFor(LONG);
    expect(await page.getByTestId('reports-denied').textContent()).toContain('technician');
    const nav = await page.getByRole('navigation').getByRole('link').allTextContents();
    expect(nav).toContain('Work orders');
    expect(nav).not.toContain('Failures & maintenance');
    expect(await page.locator('[data-table]').count()).toBe(0);
    await page.close();
  });
});

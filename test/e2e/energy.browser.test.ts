import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { topics } from '@caretaker/protocol';
import { parse } from 'csv-parse/sync';
import mqtt from 'mqtt';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentWidth, launchChromium, signedInContext, watchPages } from '../support/chromium.js';
import { requireBinary } from '../support/require-binary.js';
import { PEOPLE_STACK, REPO_ROOT, SITE, type Stack, startStack } from '../support/stack.js';

const installed = requireBinary('chromium', 'apt-get install chromium');
const SHOTS = join(REPO_ROOT, 'test', 'screenshots');
const FIXTURES = join(import.meta.dirname, 'fixtures');
const LONG = { timeout: 30_000 };
const QUARTER = 15 * 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SEED_GATEWAY = 'gw-seed';

interface Report {
  tz: string;
  overall: { total: { value: number }; series: Array<{ value: number | null }> };
  groups: Array<{ key: string; total: { value: number } }>;
  movers: Array<{ meter: string; change: number; change_pct: number | null }>;
}

/**
 * The managers' energy page in Chromium against the whole system, outside the demo mode. Four
 * weeks of meter history arrive the way a gateway's backlog does: a second gateway (gw-seed,
 * published by ada, an administrator) announces three meters and sends their readings as
 * timestamped historical batches over MQTT; the stack's own power meter (meter-1) reports live.
 */
describe.runIf(installed)('energy in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  const signedIn = async (username: string, viewport = { width: 1440, height: 1000 }, locale = 'en-GB') => {
    const context = await signedInContext(browser, stack.hub.url, username, {
      viewport,
      locale,
      acceptDownloads: true,
    });
    contexts.push(context);
    return context;
  };

  /** 29 days of hourly counters (power, water, gas) and two days of 15-minute power. */
  const seed = async () => {
    const client = await mqtt.connectAsync(stack.hub.mqttUrl, { username: 'ada', password: 'caretaker' });
    const now = Date.now();
    await client.publishAsync(
      topics.gatewayStatus(SITE, SEED_GATEWAY),
      JSON.stringify({ v: 1, state: 'online', ts: now, devices: ['meter-t2', 'water-t1', 'gas-t2'] }),
      { qos: 1, retain: true },
    );
    let seq = 0;
    const publish = (device: string, deviceType: string, readings: object[]) =>
      client.publishAsync(
        topics.telemetry(SITE, SEED_GATEWAY, device),
        JSON.stringify({
          v: 1,
          device,
          device_type: deviceType,
          seq: seq++,
          ts: now,
          historical: true,
          readings,
        }),
        { qos: 1 },
      );
    const start = Math.floor((now - 29 * DAY) / HOUR) * HOUR;
    const hours = Array.from({ length: Math.floor((now - start) / HOUR) }, (_, i) => start + i * HOUR);
    // Daytime use is higher; meter-t2 uses half as much again in the last 7 days (a mover).
    const perHour = (ts: number, base: number, recentFactor: number) =>
      base * (new Date(ts).getUTCHours() < 12 ? 1.5 : 1) * (ts > now - 7 * DAY ? recentFactor : 1);
    const counter = (point: string, unit: string, base: number, recent: number) => {
      let total = 1000;
      return hours.map((ts) => {
        total += perHour(ts, base, recent);
        return { point, value: Number(total.toFixed(3)), ts, quality: 'good', unit };
      });
    };
    await publish('meter-t2', 'power_meter', counter('import_energy', 'kWh', 40, 1.5));
    await publish('water-t1', 'water_meter', counter('total_volume', 'm3', 0.8, 1));
    await publish('gas-t2', 'gas_meter', counter('total_volume', 'm3', 0.3, 0.9));
    const quarters = Array.from(
      { length: 2 * 96 },
      (_, i) => Math.floor((now - 2 * DAY) / QUARTER) * QUARTER + i * QUARTER,
    );
    await publish(
      'meter-t2',
      'power_meter',
      quarters
        .filter((ts) => ts <= now)
        .map((ts, i) => ({
          point: 'active_power',
          value: 50 + (i % 96 === 40 ? 80 : i % 7),
          ts,
          quality: 'good',
          unit: 'kW',
        })),
    );
    await client.endAsync();
  };

  beforeAll(async () => {
    stack = await startStack({ ...PEOPLE_STACK, assetsFile: join(FIXTURES, 'energy-assets.yaml') });
    browser = await launchChromium();
    await seed();
    await stack.hub.flush();
  }, 120_000);

  watchPages(() => browser, SHOTS);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await stack?.stop();
  });

  it('shows mia, the manager, the week against the week before, peak demand and the biggest movers', async () => {
    const context = await signedIn('mia');
    const page = await context.newPage();
    await page.goto(`${stack.hub.url}/energy?range=7d`);
    await page.getByRole('heading', { level: 1, name: 'Energy' }).waitFor(LONG);
    const total = page.getByTestId('energy-total');
    await total.waitFor(LONG);
    // 7 days of meter-t2 at 1.5 × (12 h × 60 + 12 h × 40) = 1,800 kWh a day, more than 10,000 kWh.
    await expect
      .poll(() => total.locator('.energy-figure').textContent(), LONG)
      .toMatch(/^\d{2},\d{3}(\.\d+)? kWh$/);
    expect(await total.getByText(/▲ Up \d/).count()).toBe(1);
    await page.locator('[data-testid="energy-chart"] canvas').waitFor(LONG);
    expect(await page.getByTestId('energy-chart').getAttribute('data-periods')).toBe('7');
    expect(await page.getByTestId('energy-peak').locator('.energy-figure').textContent()).toMatch(/kW$/);
    // One site; its groups table, and the movers led by meter-t2 with its 50 % rise.
    expect(await page.getByTestId('energy-groups').locator('tbody tr').allTextContents()).toEqual([
      expect.stringMatching(/^Test estate.*▲ up/),
    ]);
    const movers = page.getByTestId('energy-movers').locator('tbody tr');
    expect(await movers.first().getAttribute('data-meter')).toBe('meter-t2');
    expect(await movers.first().textContent()).toMatch(/▲ up \d+(\.\d)?%/);
    expect(await movers.evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.meter))).toContain(
      'meter-1',
    );
    await page.screenshot({ path: join(SHOTS, 'energy.png'), fullPage: true });

    // Export CSV: the same figures as the page's query, one row per day.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('energy-export').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(
      /^caretaker-energy-electricity-day-\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}\.csv$/,
    );
    const rows = parse(await readFile((await download.path()) as string, 'utf8'), {
      bom: true,
      columns: true,
    }) as Array<Record<string, string>>;
    const href = (await page.getByTestId('energy-export').getAttribute('href')) as string;
    const json = (await (
      await context.request.get(`${stack.hub.url}${href.replace('format=csv', 'format=json')}`)
    ).json()) as Report;
    expect(rows).toHaveLength(7);
    expect(rows.every((r) => r.group === SITE && r.unit === 'kWh')).toBe(true);
    expect(rows.map((r) => Number(r.consumption))).toEqual(json.overall.series.map((p) => p.value ?? 0));
    expect(rows.reduce((sum, r) => sum + Number(r.consumption), 0)).toBeCloseTo(json.overall.total.value, 6);
    expect(rows.every((r) => /T00:00:00\+08:00$/.test(r.period_start ?? ''))).toBe(true);
    // Half as much again, against the same stretch of the week before (which has one more
    // hour of readings than this week so far: a little under 50 %).
    const riser = json.movers[0] as { meter: string; change_pct: number };
    expect(riser.meter).toBe('meter-t2');
    expect(riser.change_pct).toBeGreaterThan(45);
    expect(riser.change_pct).toBeLessThanOrEqual(50);
  });

  it('narrows to a building and to water, and draws the usual for the hour on today’s hours', async () => {
    const context = await signedIn('mia');
    const page = await context.newPage();
    await page.goto(`${stack.hub.url}/energy?range=today`);
    await page.getByTestId('energy-total').waitFor(LONG);
    expect(await page.getByTestId('energy-interval').inputValue()).toBe('hour');
    await page.getByTestId('energy-site').selectOption(SITE);
    await page.getByTestId('energy-building').selectOption('t2');
    // The groups of the building, or (so that a failure says why) the page's error message.
    await expect
      .poll(
        async () =>
          (await page.getByRole('alert').allTextContents()).join(' ') ||
          (await page
            .getByTestId('energy-groups')
            .locator('tbody tr')
            .evaluateAll((r) => r.map((x) => (x as HTMLElement).dataset.group).join(' '))),
        LONG,
      )
      .toBe('meter-t2');
    // The usual band has a series of its own in the chart's legend.
    await expect.poll(() => page.locator('.u-legend').textContent(), LONG).toContain('Usual for the hour');
    await page.screenshot({ path: join(SHOTS, 'energy-hourly.png'), fullPage: true });
    await page.getByRole('button', { name: 'Water' }).click();
    await expect.poll(() => page.getByTestId('energy-none').count(), LONG).toBe(1);
    await page.getByTestId('energy-building').selectOption('t1');
    await expect
      .poll(() => page.getByTestId('energy-total').locator('.energy-figure').textContent(), LONG)
      .toMatch(/m³$/);
    expect(new URL(page.url()).searchParams.get('utility')).toBe('water');
  });

  it('fits a phone in Chinese, and tells a technician the page is not theirs', async () => {
    const context = await signedIn('mia', { width: 390, height: 844 }, 'zh-CN');
    const page = await context.newPage();
    await page.goto(`${stack.hub.url}/energy?range=30d`);
    await page.getByRole('heading', { level: 1, name: '能耗' }).waitFor(LONG);
    await expect
      .poll(() => page.getByTestId('energy-total').locator('.energy-figure').textContent(), LONG)
      .toMatch(/千瓦时$/);
    await page.locator('[data-testid="energy-chart"] canvas').waitFor(LONG);
    expect(await contentWidth(page)).toBeLessThanOrEqual(390);
    expect(await page.getByTestId('energy-export').textContent()).toBe('导出 CSV');
    await page.screenshot({ path: join(SHOTS, 'energy-phone.png'), fullPage: true });

    const tom = await (await signedIn('tom')).newPage();
    await tom.goto(`${stack.hub.url}/energy`);
    await tom.getByTestId('energy-denied').waitFor(LONG);
    expect((await tom.request.get(`${stack.hub.url}/api/energy`)).status()).toBe(403);
  });
});

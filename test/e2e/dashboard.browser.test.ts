import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary, requireBinary } from '../support/require-binary.js';
import { type Stack, startStack } from '../support/stack.js';

const installed = requireBinary('chromium', 'apt-get install chromium');

describe.runIf(installed)('dashboard in Chromium', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startStack();
    browser = await chromium.launch({
      executablePath: findBinary('chromium') ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('shows every simulated device and updates values without a reload', async () => {
    const page = await browser.newPage();
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations += 1;
    });
    await page.goto(stack.hub.url);
    await expect.poll(() => page.getByTestId('connection').textContent(), { timeout: 20_000 }).toBe('Live');

    for (const id of ['pump-1', 'meter-1', 'elevator-1']) {
      const card = page.locator(`[data-device="${id}"]`);
      await card.waitFor({ timeout: 30_000 });
      await expect
        .poll(() => card.getByTestId('status').textContent(), { timeout: 30_000 })
        .toContain('Online');
    }

    // The simulated pump's flow follows demand plus noise, so its text must change as
    // readings stream in, on the same page.
    const flow = page.locator('[data-device="pump-1"]').getByTestId('value-flow');
    await flow.waitFor({ timeout: 30_000 });
    const first = await flow.textContent();
    expect(first).toMatch(/\d/);
    await expect.poll(() => flow.textContent(), { timeout: 30_000 }).not.toBe(first);
    const power = page.locator('[data-device="meter-1"]').getByTestId('value-active_power');
    await expect.poll(() => power.textContent(), { timeout: 30_000 }).toMatch(/\d/);
    expect(navigations).toBe(1);
    await page.close();
  });
});

/**
 * `npm run bench:dashboard`: the live board under a wall screen's worst load, in Chromium.
 * A hub (production build of the dashboard, SQLite store) gets 1,000 pumps publishing a batch
 * every second over MQTT from a worker thread; the board is opened in Debian's Chromium and
 * measured: main-thread busy time per second (CDP Performance.getMetrics TaskDuration), long
 * tasks, frames per second, and the latency from a reading's timestamp to its value being in
 * the tile's DOM with the frame rendered. Also the production bundle (gzip) and the first load
 * on loopback. Prints one JSON document, each figure beside its target.
 * BENCH_DEVICES (1000), BENCH_SECONDS (30) and BENCH_WARMUP_SECONDS (15) change the run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { Hub } from '@caretaker/hub';
import { createLogger } from '@caretaker/protocol/log';
import type { CDPSession, Page } from 'playwright-core';
import { launchChromium } from '../../test/support/chromium.js';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 15);
const INTERVAL_MS = 1000;
const SITE = 'bench-estate';
const BUILDINGS = 20;
const DASHBOARD = join(import.meta.dirname, '..');

const progress = (what: string) => process.stderr.write(`bench:dashboard ${what}\n`);
const round = (n: number, digits = 1) => Number(n.toFixed(digits));
const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The production build, and what a first visit downloads (gzip), from dist/index.html's references. */
async function bundle() {
  progress('building the dashboard (vite build)');
  execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: DASHBOARD, stdio: 'inherit' });
  const dist = join(DASHBOARD, 'dist');
  const html = await readFile(join(dist, 'index.html'), 'utf8');
  const initial = new Set([...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1] as string));
  const files = (await readdir(join(dist, 'assets'))).filter((f) => /\.(js|css)$/.test(f));
  let initialGzip = gzipSync(html).length;
  let totalGzip = initialGzip;
  const sizes: Record<string, number> = {};
  for (const file of files) {
    const gz = gzipSync(await readFile(join(dist, 'assets', file))).length;
    sizes[file] = round(gz / 1024);
    totalGzip += gz;
    if (initial.has(`assets/${file}`)) initialGzip += gz;
  }
  return {
    first_visit_gzip_kb: round(initialGzip / 1024),
    all_chunks_gzip_kb: round(totalGzip / 1024),
    chunks_gzip_kb: sizes,
    target: 'first visit ≤ 200 kB gzip (our budget; the device page and its chart library load on demand)',
  };
}

function estate() {
  const gateways = Array.from({ length: BUILDINGS }, (_, b) => ({
    gateway: `gw-b${b + 1}`,
    building: `b${b + 1}`,
    devices: [] as string[],
  }));
  for (let i = 0; i < DEVICES; i += 1) {
    const g = gateways[i % BUILDINGS];
    g?.devices.push(`b${(i % BUILDINGS) + 1}-pump-${String(Math.floor(i / BUILDINGS) + 1).padStart(3, '0')}`);
  }
  const yaml = [
    'sites:',
    `  - id: ${SITE}`,
    '    name: Benchmark estate',
    '    buildings:',
    ...gateways.flatMap((g) => [
      `      - id: ${g.building}`,
      `        name: Building ${g.building.slice(1)}`,
      `        devices: [${g.devices.join(', ')}]`,
    ]),
  ].join('\n');
  return { gateways, yaml };
}

/** Page-side probes, installed before the app loads. */
const PROBES = `
  window.__bench = { latencies: [], longTasks: 0, longTaskMs: 0, frames: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) { window.__bench.longTasks += 1; window.__bench.longTaskMs += e.duration; }
  }).observe({ type: 'longtask', buffered: true });
  const frame = () => { window.__bench.frames += 1; requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
  // A value's data-ts changes when the tile shows a new reading. The message posted from the
  // observer runs after the current frame's rendering: that is when the reading is on screen.
  let pending = [];
  let posted = false;
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    posted = false;
    const now = Date.now();
    for (const ts of pending) window.__bench.latencies.push(now - ts);
    pending = [];
  };
  const observer = new MutationObserver((records) => {
    for (const r of records) {
      const ts = Number(r.target.getAttribute('data-ts'));
      if (ts) pending.push(ts);
    }
    if (!posted) { posted = true; channel.port2.postMessage(0); }
  });
  document.addEventListener('DOMContentLoaded', () =>
    observer.observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-ts'] }));
  // The page's own share: from a socket message being queued to its frame rendered.
  window.__bench.inPage = [];
  const hook = setInterval(() => {
    const store = window.__caretakerStore;
    if (!store) return;
    clearInterval(hook);
    store.onFlush = (changed, since) => {
      if (changed === 0) return;
      const ch = new MessageChannel();
      ch.port1.onmessage = () => window.__bench.inPage.push(Date.now() - since);
      ch.port2.postMessage(0);
    };
  }, 50);
`;

async function boardShown(page: Page): Promise<number> {
  const handle = await page.waitForFunction(
    (total) => {
      const summary = document.querySelector('[data-testid="board-summary"]');
      return summary?.getAttribute('data-total') === String(total) &&
        document.querySelector('[data-device] .value')
        ? performance.now()
        : false;
    },
    DEVICES,
    { polling: 'raf', timeout: 30_000 },
  );
  return (await handle.jsonValue()) as number;
}

/** BENCH_PROFILE=1: the page's hottest functions over 5 s (self time), to stderr. */
async function profile(cdp: CDPSession) {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.start');
  await sleep(5_000);
  const { profile: p } = await cdp.send('Profiler.stop');
  const self = new Map<string, number>();
  const dt = new Map<number, number>();
  for (const [i, id] of (p.samples ?? []).entries()) dt.set(id, (dt.get(id) ?? 0) + (p.timeDeltas?.[i] ?? 0));
  for (const node of p.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url.split('/').pop()}:${lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + (dt.get(node.id) ?? 0) / 1000);
  }
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25);
  for (const [name, ms] of top) progress(`profile ${ms.toFixed(0).padStart(6)} ms  ${name}`);
  // What the long tasks are made of: a 5 s timeline trace, the biggest events inside each.
  const events: Array<{ name: string; ph: string; ts: number; dur?: number; tid: number }> = [];
  cdp.on('Tracing.dataCollected', (d) => events.push(...(d.value as unknown as typeof events)));
  const done = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
  await cdp.send('Tracing.start', {
    categories: 'toplevel,devtools.timeline,disabled-by-default-devtools.timeline,v8.execute',
    transferMode: 'ReportEvents',
  });
  await sleep(5_000);
  await cdp.send('Tracing.end');
  await done;
  const tasks = events.filter((e) => e.name === 'RunTask' && (e.dur ?? 0) > 50_000);
  for (const task of tasks.slice(0, 8)) {
    const inside = events
      .filter(
        (e) =>
          e.tid === task.tid && e.ts >= task.ts && e.ts < task.ts + (task.dur ?? 0) && e.name !== 'RunTask',
      )
      .sort((a, b) => (b.dur ?? 0) - (a.dur ?? 0))
      .slice(0, 5)
      .map((e) => `${e.name} ${((e.dur ?? 0) / 1000).toFixed(0)}ms`);
    progress(`long task ${((task.dur ?? 0) / 1000).toFixed(0)} ms: ${inside.join(', ')}`);
  }
}

async function main() {
  const bundleFigures = await bundle();
  const dataDir = await mkdtemp(join(tmpdir(), 'caretaker-bench-dashboard-'));
  const { gateways, yaml } = estate();
  const assetsFile = join(dataDir, 'assets.yaml');
  await writeFile(assetsFile, yaml);
  process.env.LOG_LEVEL ??= 'warn';
  const hub = new Hub(
    {
      demo: true,
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { host: '127.0.0.1', port: 0 },
      dataDir,
      store: { kind: 'sqlite', path: join(dataDir, 'readings.db') },
      maintenance: { database: { kind: 'sqlite', path: join(dataDir, 'caretaker.db') }, assetsFile },
    },
    { log: createLogger('hub') },
  );
  await hub.start();
  progress(`hub at ${hub.url}; starting ${DEVICES} devices, one batch each per ${INTERVAL_MS} ms`);
  const worker = new Worker(new URL('./load.worker.mjs', import.meta.url), {
    workerData: {
      url: hub.mqttUrl,
      site: SITE,
      gateways: gateways.map(({ gateway, devices }) => ({ gateway, devices })),
      intervalMs: INTERVAL_MS,
      // 1 in 200 vibrates over the warning limit: the board shows some alarms too.
      vibrating: gateways.flatMap((g) => g.devices).filter((_, i) => i % 200 === 7),
    },
  });
  let publishedRate = 0;
  let lastPublished = 0;
  worker.on('message', (m: { published?: number; failed?: number }) => {
    if (m.published !== undefined) {
      publishedRate = m.published - lastPublished;
      lastPublished = m.published;
    }
  });
  await sleep(3_000);
  const browser = await launchChromium();
  try {
    // First loads: a fresh browser context each (nothing cached), under the full load.
    const loads: Array<{ fcp: number; load: number; snapshot: number; board: number }> = [];
    for (let i = 0; i < 3; i += 1) {
      const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
      const page = await context.newPage();
      await page.goto(hub.url, { waitUntil: 'load' });
      const board = await boardShown(page);
      const timing = await page.evaluate(() => ({
        load: (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventEnd,
        fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? 0,
        snapshot:
          (
            performance.getEntriesByType('resource').find((r) => r.name.endsWith('/api/devices')) as
              | PerformanceResourceTiming
              | undefined
          )?.responseEnd ?? 0,
      }));
      loads.push({ ...timing, board });
      await context.close();
    }
    const median = (key: 'fcp' | 'load' | 'snapshot' | 'board') =>
      round(
        percentile(
          loads.map((l) => l[key]).sort((a, b) => a - b),
          50,
        ),
        0,
      );
    progress(`first loads: ${JSON.stringify(loads.map((l) => Math.round(l.board)))} ms to the board shown`);

    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    await context.addInitScript(PROBES);
    const page = await context.newPage();
    await page.goto(hub.url);
    await boardShown(page);
    progress(`board open; warming up ${WARMUP} s`);
    await sleep(WARMUP * 1000);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const metric = async () => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      const get = (name: string) => metrics.find((m) => m.name === name)?.value ?? 0;
      return {
        task: get('TaskDuration'),
        script: get('ScriptDuration'),
        layout: get('LayoutDuration') + get('RecalcStyleDuration'),
        at: performance.now(),
      };
    };
    await page.evaluate(() => {
      const b = (
        window as unknown as {
          __bench: { latencies: number[]; longTasks: number; longTaskMs: number; frames: number };
        }
      ).__bench;
      b.latencies = [];
      b.longTasks = 0;
      b.longTaskMs = 0;
      b.frames = 0;
      (b as unknown as { inPage: number[] }).inPage = [];
    });
    progress(`measuring ${SECONDS} s`);
    const busy: number[] = [];
    const script: number[] = [];
    const layout: number[] = [];
    const rates: number[] = [];
    let previous = await metric();
    const startedAt = performance.now();
    for (let s = 0; s < SECONDS; s += 1) {
      await sleep(1000);
      const now = await metric();
      const seconds = (now.at - previous.at) / 1000;
      busy.push(((now.task - previous.task) * 1000) / seconds);
      script.push(((now.script - previous.script) * 1000) / seconds);
      layout.push(((now.layout - previous.layout) * 1000) / seconds);
      rates.push(publishedRate);
      previous = now;
    }
    const elapsed = (performance.now() - startedAt) / 1000;
    if (process.env.BENCH_PROFILE) await profile(cdp);
    const probe = await page.evaluate(() => {
      const b = (
        window as unknown as {
          __bench: { latencies: number[]; longTasks: number; longTaskMs: number; frames: number };
        }
      ).__bench;
      return {
        latencies: b.latencies,
        inPage: (b as unknown as { inPage: number[] }).inPage,
        longTasks: b.longTasks,
        longTaskMs: b.longTaskMs,
        frames: b.frames,
      };
    });
    // Tiles are created as their building nears the screen; the summary counts every device.
    const shownTiles = await page.evaluate(() => document.querySelectorAll('[data-device]').length);
    const boardDevices = await page.evaluate(() =>
      Number(document.querySelector('[data-testid="board-summary"]')?.getAttribute('data-total')),
    );
    const alarmTiles = await page.evaluate(
      () => document.querySelectorAll('[data-state="alarm"],[data-state="warning"]').length,
    );
    const latencies = probe.latencies.sort((a, b) => a - b);
    const inPage = probe.inPage.sort((a, b) => a - b);
    const sortedBusy = [...busy].sort((a, b) => a - b);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const result = {
      bench: 'dashboard',
      devices: DEVICES,
      devices_on_board: boardDevices,
      tiles_created: shownTiles,
      tiles_in_alarm_or_warning: alarmTiles,
      update_interval_ms: INTERVAL_MS,
      batches_published_per_s: round(mean(rates), 0),
      measured_s: round(elapsed, 1),
      main_thread_busy_ms_per_s: {
        mean: round(mean(busy)),
        p50: round(percentile(sortedBusy, 50)),
        max: round(sortedBusy[sortedBusy.length - 1] ?? 0),
        script_mean: round(mean(script)),
        style_and_layout_mean: round(mean(layout)),
        target: '≤ 500 ms/s (the main thread idle at least half of every second)',
      },
      long_tasks: {
        count: probe.longTasks,
        per_minute: round((probe.longTasks * 60) / elapsed),
        total_ms: round(probe.longTaskMs, 0),
        target: 'none routinely (a task over 50 ms is a visible hitch)',
      },
      frames_per_s: { mean: round(probe.frames / elapsed), target: '≥ 50 (smooth on a 60 Hz screen)' },
      reading_to_screen_ms: {
        samples: latencies.length,
        p50: round(percentile(latencies, 50), 0),
        p99: round(percentile(latencies, 99), 0),
        max: latencies[latencies.length - 1] ?? null,
        target_p99: 250,
        // How much of it is the page's: socket message queued → its frame rendered.
        in_page: {
          p50: round(percentile(inPage, 50), 0),
          p99: round(percentile(inPage, 99), 0),
          max: inPage[inPage.length - 1] ?? null,
        },
      },
      first_load_ms: {
        first_contentful_paint: median('fcp'),
        load_event: median('load'),
        devices_snapshot_received: median('snapshot'),
        board_shown: median('board'),
        runs: loads.length,
        target: 'board shown < 1000 (summary of every device, the tiles on screen with their values)',
      },
      bundle: bundleFigures,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => {
      worker.once('message', () => resolve());
      worker.postMessage('stop');
      setTimeout(resolve, 5_000);
    });
    await worker.terminate();
    await hub.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();

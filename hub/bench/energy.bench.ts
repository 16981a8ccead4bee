/**
 * `npx tsx hub/bench/energy.bench.ts`: how long GET /api/energy's computation takes for a month
 * by the hour over 20 power meters with a year of readings (import_energy and active_power) in
 * the embedded SQLite store. ENERGY_BENCH_STEP_S sets the reading interval (default 60 s; 300 for
 * a quick run), ENERGY_BENCH_METERS the meter count (20), ENERGY_BENCH_DIR keeps the store for
 * another run (it is filled only when empty; one filled before the store kept summaries has them
 * built at open, and the bench waits for that), ENERGY_BENCH_ROLLUPS=0 answers from the raw
 * samples only (the figures before summaries). Prints one JSON document.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DateTime } from 'luxon';
import { EnergyService, type MeterInfo } from '../src/energy/energy.service.js';
import { SqliteStore } from '../src/storage/sqlite.store.js';
import type { StoredReading } from '../src/storage/time-series-store.js';

const STEP_S = Number(process.env.ENERGY_BENCH_STEP_S ?? 60);
const METERS = Number(process.env.ENERGY_BENCH_METERS ?? 20);
const ZONE = 'Asia/Shanghai';
const keep = process.env.ENERGY_BENCH_DIR;
const dir = keep ?? join(tmpdir(), `caretaker-energy-bench-${process.pid}`);
mkdirSync(dir, { recursive: true });
const path = join(dir, `readings-${METERS}x${STEP_S}s.db`);
const fresh = !existsSync(path);
const progress = (what: string) => process.stderr.write(`bench:energy ${what}\n`);

// The year ends at the start of this month in Shanghai; the query is its last month.
const end = DateTime.now().setZone(ZONE).startOf('month');
const start = end.minus({ years: 1 });
const meters: MeterInfo[] = Array.from({ length: METERS }, (_, i) => ({
  id: `meter-${String(i + 1).padStart(2, '0')}`,
  type: 'power_meter',
  site: 'bench',
  building: `b${(i % 4) + 1}`,
}));

const useRollups = process.env.ENERGY_BENCH_ROLLUPS !== '0';
const store = new SqliteStore(path, 'normal', { rollups: useRollups });
const opened = performance.now();
await store.init();
let backfillMs: number | null = null;
if (useRollups && !(await store.rollupsReady())) {
  progress('building summaries of the existing samples');
  while (!(await store.rollupsReady())) await new Promise((resolve) => setTimeout(resolve, 200));
  backfillMs = performance.now() - opened;
}
let rows = 0;
if (fresh) {
  const began = performance.now();
  const stepMs = STEP_S * 1000;
  for (const meter of meters) {
    let counter = 10_000;
    let batch: StoredReading[] = [];
    for (let ts = start.toMillis(); ts < end.toMillis(); ts += stepMs) {
      // A daily shape plus noise, so the counter's increments differ hour by hour.
      const hour = ((ts / 3_600_000 + 8) % 24) | 0;
      const kw = 40 + (hour >= 8 && hour < 20 ? 30 : 0) + Math.random() * 10;
      counter += (kw * STEP_S) / 3600;
      const base = {
        site: 'bench',
        gateway: 'gw-bench',
        device: meter.id,
        device_type: 'power_meter' as const,
        ts,
        quality: 'good' as const,
      };
      batch.push(
        { ...base, point: 'import_energy', value: counter },
        { ...base, point: 'active_power', value: kw },
      );
      if (batch.length >= 50_000) {
        await store.write(batch);
        rows += batch.length;
        batch = [];
      }
    }
    await store.write(batch);
    rows += batch.length;
    progress(`${meter.id} written (${rows} readings, ${((performance.now() - began) / 1000).toFixed(0)} s)`);
  }
}

// A service per question: it keeps the figures of a question asked again within a minute.
const energyService = () =>
  new EnergyService({
    store,
    meters: () => meters,
    siteZone: async () => ZONE,
    now: () => end.toMillis() + 3_600_000,
  });
const actor = { username: 'bench', role: 'admin', sites: 'all' } as const;
const query = {
  utility: 'electricity',
  interval: 'hour',
  group_by: 'building',
  from: end.minus({ months: 1 }).toMillis(),
  to: end.toMillis(),
} as const;
// How long the event loop (ingest, socket.io in the hub) waits at most while a query runs.
const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
const times: number[] = [];
let report: Awaited<ReturnType<EnergyService['report']>> | undefined;
for (let i = 0; i < 5; i++) {
  const began = performance.now();
  report = await energyService().report(actor, query);
  times.push(performance.now() - began);
}
const daily = performance.now();
await energyService().report(actor, { ...query, interval: 'day' });
const dailyMs = performance.now() - daily;
const yearly = performance.now();
await energyService().report(actor, { ...query, interval: 'month', from: start.toMillis() });
const yearMs = performance.now() - yearly;
delay.disable();
times.sort((a, b) => a - b);
console.log(
  JSON.stringify(
    {
      meters: METERS,
      reading_interval_s: STEP_S,
      readings_in_store: fresh ? rows : 'reused',
      answered_from: useRollups ? 'summaries' : 'samples',
      summaries_built_at_open_s: backfillMs === null ? null : Math.round(backfillMs / 100) / 10,
      month_hourly_ms: {
        best: Math.round(times[0] ?? 0),
        median: Math.round(times[2] ?? 0),
        runs: times.length,
      },
      month_daily_ms: Math.round(dailyMs),
      year_monthly_ms: Math.round(yearMs),
      event_loop_max_delay_ms: Math.round(delay.max / 1e6),
      event_loop_p99_delay_ms: Math.round(delay.percentile(99) / 1e6),
      periods: report?.overall.series.length,
      groups: report?.groups.length,
      total_kwh: report?.overall.total.value,
    },
    null,
    2,
  ),
);
await store.close();
if (!keep) await rm(dir, { recursive: true, force: true });

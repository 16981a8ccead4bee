import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../people/actor.js';
import { SqliteStore } from '../storage/sqlite.store.js';
import type { PeaksQuery, StoredReading, TimeSeriesStore } from '../storage/time-series-store.js';
import { DEMAND_WINDOW, peakDemand } from './consumption.js';
import { EnergyService, type MeterInfo } from './energy.service.js';

/**
 * Peak demand from the SQLite store's own query (SQL over the 15-minute summaries) against the
 * way it was found before: every meter's 15-minute means read with `aggregate` and added window
 * by window (`peakDemand`). Random readings (a seeded generator: a failure names its seed) with
 * gaps, negative power, bad and missing values, and ranges that start at local midnights in
 * zones of whole, half and quarter hours and end inside a window.
 */
const SEED = 20_261_206;
const MIN = 60_000;
const DAY = 86_400_000;

/** mulberry32: small, fast, and the same sequence for the same seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const METERS: MeterInfo[] = Array.from({ length: 7 }, (_, i) => ({
  id: `pm-${i + 1}`,
  type: 'power_meter',
  site: i < 5 ? 'site-a' : 'site-b',
  building: `b${(i % 3) + 1}`,
}));
const START = DateTime.fromISO('2026-02-01T00:00', { zone: 'UTC' }).toMillis();
const DAYS = 9;

function readings(rand: () => number): StoredReading[] {
  const out: StoredReading[] = [];
  METERS.forEach((meter, m) => {
    // Each meter its own pace (a minute to seven), a day off the air, and its own scale.
    const step = (1 + Math.floor(rand() * 7)) * MIN;
    const silentDay = Math.floor(rand() * DAYS);
    const scale = 5 + rand() * 50;
    let energy = 1000;
    for (let ts = START + Math.floor(rand() * step); ts < START + DAYS * DAY; ts += step) {
      if (Math.floor((ts - START) / DAY) === silentDay) continue;
      // Exporting at times (negative power); a few bad or missing readings that must not count.
      const kw = scale * (Math.sin(ts / 7_200_000 + m) + rand() - 0.3);
      const roll = rand();
      const quality = roll < 0.01 ? 'bad' : roll < 0.03 ? 'uncertain' : 'good';
      const value = roll > 0.995 ? null : Math.round(kw * 1000) / 1000;
      energy += Math.max(0, kw) / 60;
      const base = { site: meter.site, gateway: 'gw', device: meter.id, device_type: meter.type, ts };
      out.push({ ...base, point: 'active_power', value, quality });
      out.push({ ...base, point: 'import_energy', value: energy, quality: 'good' });
    }
  });
  // Flat readings: two meters equal at every minute of one day (ties, and sums of equal means).
  for (const id of ['pm-6', 'pm-7']) {
    const meter = METERS.find((m) => m.id === id) as MeterInfo;
    for (let ts = START + 8 * DAY; ts < START + 8 * DAY + 6 * 3_600_000; ts += MIN) {
      out.push({
        site: meter.site,
        gateway: 'gw',
        device: id,
        device_type: meter.type,
        ts,
        point: 'active_power',
        value: 12.5,
        quality: 'good',
      });
    }
  }
  return out;
}

describe('peak demand from the store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'caretaker-peaks-'));
  const store = new SqliteStore(join(dir, 'readings.db'), 'normal');
  const rand = random(SEED);

  beforeAll(async () => {
    await store.init();
    await store.write(readings(rand));
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The peaks as they were found before: every meter's windows read, then added. */
  async function byReading(query: PeaksQuery) {
    const window = { from: query.from, to: query.to, bucketMs: query.bucketMs };
    const read = (list: PeaksQuery['all']) =>
      Promise.all(list.map((s) => store.aggregate({ ...s, ...window })));
    const plain = (p: ReturnType<typeof peakDemand>) => p;
    const exact = async (list: PeaksQuery['all']) => {
      const buckets = await read(list);
      // peakDemand rounds its answer; the store answers the unrounded sum: compare both ways.
      const sums = new Map<number, number>();
      for (const meter of buckets) for (const b of meter) sums.set(b.ts, (sums.get(b.ts) ?? 0) + b.mean);
      let best: { ts: number; value: number } | null = null;
      for (const [ts, value] of sums) {
        if (!best || value > best.value || (value === best.value && ts < best.ts)) best = { ts, value };
      }
      return { best, rounded: plain(peakDemand(buckets)) };
    };
    return { groups: await Promise.all(query.groups.map(exact)), all: await exact(query.all) };
  }

  it('is the very peak every meter’s windows added give, on random readings', async () => {
    const zones = ['Asia/Shanghai', 'Asia/Kolkata', 'Asia/Kathmandu', 'Europe/London', 'America/St_Johns'];
    let answered = 0;
    for (let round = 0; round < 40; round += 1) {
      const zone = zones[round % zones.length] as string;
      const firstDay = Math.floor(rand() * (DAYS - 1));
      const from = DateTime.fromMillis(START + firstDay * DAY, { zone })
        .startOf('day')
        .plus({ days: 1 })
        .toMillis();
      // Up to a week, ending at a whole day or now (inside a window, as a range going on does).
      const days = 1 + Math.floor(rand() * 6);
      const whole = DateTime.fromMillis(from, { zone }).plus({ days }).toMillis();
      const to = (rand() < 0.5 ? whole : from + Math.floor(rand() * (whole - from))) - 1;
      // Random groups of the meters, each in a random order; all of them in another.
      const shuffled = [...METERS].sort(() => rand() - 0.5);
      const cut = 1 + Math.floor(rand() * (shuffled.length - 1));
      const ref = (m: MeterInfo) => ({ device: m.id, point: 'active_power' });
      const query: PeaksQuery = {
        groups: [shuffled.slice(0, cut).map(ref), shuffled.slice(cut).map(ref)],
        all: [...METERS].sort(() => rand() - 0.5).map(ref),
        from,
        to,
        bucketMs: DEMAND_WINDOW,
      };
      const fromStore = await store.peaks(query);
      const expected = await byReading(query);
      const context = `seed ${SEED}, round ${round}, ${zone}, ${new Date(from).toISOString()} + ${to - from} ms`;
      expect(fromStore, context).toBeDefined();
      if (!fromStore) continue;
      answered += 1;
      expect(fromStore.groups, context).toEqual(expected.groups.map((g) => g.best));
      expect(fromStore.all, context).toEqual(expected.all.best);
      expect(
        fromStore.all && { value: Number(fromStore.all.value.toPrecision(12)), at: fromStore.all.ts },
        context,
      ).toEqual(expected.all.rounded);
    }
    expect(answered).toBe(40);
  });

  it('leaves to the caller what it cannot answer', async () => {
    const ref = { device: 'pm-1', point: 'active_power' };
    const base = { groups: [[ref]], all: [ref], from: START + DAY, to: START + 2 * DAY - 1 };
    // Windows other than the summaries', or not on their grid.
    expect(await store.peaks({ ...base, bucketMs: 30 * MIN })).toBeUndefined();
    expect(
      await store.peaks({ ...base, from: base.from + 5 * MIN, bucketMs: DEMAND_WINDOW }),
    ).toBeUndefined();
    // Groups that share a meter.
    expect(await store.peaks({ ...base, groups: [[ref], [ref]], bucketMs: DEMAND_WINDOW })).toBeUndefined();
    // A meter without readings: no peak.
    const none = { device: 'pm-none', point: 'active_power' };
    expect(await store.peaks({ ...base, groups: [[none]], all: [none], bucketMs: DEMAND_WINDOW })).toEqual({
      groups: [null],
      all: null,
    });
  });

  it('gives the energy page the same figures as reading every window did', async () => {
    const actor: Actor = { username: 'mia', role: 'viewer', sites: 'all' };
    const options = {
      meters: () => METERS,
      siteZone: async () => 'Asia/Shanghai',
      now: () => START + 8 * DAY + 10 * 3_600_000 + 7 * MIN,
    };
    // The same store without its own peaks: the service reads every meter's windows.
    const reading: TimeSeriesStore = {
      kind: store.kind,
      init: () => store.init(),
      write: (r) => store.write(r),
      history: (q) => store.history(q),
      aggregate: (q) => store.aggregate(q),
      counterBuckets: (q) => store.counterBuckets(q),
      latest: (d) => store.latest(d),
      latestAll: () => store.latestAll(),
      ping: () => store.ping(),
      close: async () => undefined,
    };
    for (const group_by of ['site', 'building', 'meter'] as const) {
      for (const interval of ['hour', 'day'] as const) {
        const query = {
          utility: 'electricity',
          interval,
          group_by,
          from: START + DAY,
          to: START + 9 * DAY,
        } as const;
        const withPeaks = await new EnergyService({ ...options, store }).report(actor, query);
        const before = await new EnergyService({ ...options, store: reading }).report(actor, query);
        expect(withPeaks.overall.peak).not.toBeNull();
        expect(withPeaks).toEqual(before);
      }
    }
  });
});

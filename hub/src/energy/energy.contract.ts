import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Actor } from '../people/actor.js';
import type { StoredReading, TimeSeriesStore } from '../storage/time-series-store.js';
import { CACHE_MS, EnergyService, type MeterInfo } from './energy.service.js';

/**
 * The energy figures over readings written into a real store (the same suite for every
 * TimeSeriesStore), every expected figure worked out by hand in the comments.
 *
 * site-a (Asia/Shanghai, UTC+8): building b1 has power meter m1 and water meter w1, b2 has
 * power meter m2. site-b (Europe/London) has m3; site-c (Asia/Shanghai) has m4 for the hourly
 * views and the usual for the hour.
 */
const SH = 'Asia/Shanghai';
const at = (iso: string, zone = SH) => DateTime.fromISO(iso, { zone }).toMillis();

export const METERS: MeterInfo[] = [
  {
    id: 'm1',
    type: 'power_meter',
    site: 'site-a',
    building: 'b1',
    site_name: 'Site A',
    building_name: 'Tower 1',
  },
  {
    id: 'w1',
    type: 'water_meter',
    site: 'site-a',
    building: 'b1',
    site_name: 'Site A',
    building_name: 'Tower 1',
  },
  { id: 'm2', type: 'power_meter', site: 'site-a', building: 'b2', site_name: 'Site A' },
  { id: 'm3', type: 'power_meter', site: 'site-b', building: null },
  { id: 'm4', type: 'power_meter', site: 'site-c', building: 'c1' },
  // A pump is no meter, whatever it counts.
  { id: 'p1', type: 'pump', site: 'site-a', building: 'b1' },
];
export const ZONES: Record<string, string> = { 'site-a': SH, 'site-b': 'Europe/London', 'site-c': SH };

export const ACTORS = {
  manager: { username: 'mia', role: 'viewer', sites: 'all' },
  siteB: { username: 'bob', role: 'viewer', sites: ['site-b'] },
  tech: { username: 'tom', role: 'technician', sites: 'all' },
} satisfies Record<string, Actor>;

/** The daily views: [2026-03-10, 2026-03-12) local, against [03-08, 03-10). */
export const DAYS = { from: at('2026-03-10T00:00'), to: at('2026-03-12T00:00') };
export const AFTER_DAYS = at('2026-03-20T00:00');
/** The hourly view of site-c: 09:00–12:00 on Wednesday 2026-03-18, seen at 10:15. */
export const HOURS = { from: at('2026-03-18T09:00'), to: at('2026-03-18T12:00') };
export const DURING_HOURS = at('2026-03-18T10:15');

function readings(
  device: string,
  point: string,
  values: Array<[string, number]>,
  zone = SH,
): StoredReading[] {
  const meter = METERS.find((m) => m.id === device) as MeterInfo;
  return values.map(([iso, value]) => ({
    site: meter.site,
    gateway: 'gw-1',
    device,
    device_type: meter.type,
    point,
    ts: at(iso, zone),
    value,
    quality: 'good',
  }));
}

export const FIXTURE: StoredReading[] = [
  ...readings('m1', 'import_energy', [
    ['2026-03-07T23:30', 1000], // the hour before the previous range: only the step into it
    ['2026-03-08T10:00', 1010], // previous day 1: 10
    ['2026-03-09T10:00', 1030], // previous day 2: 20 ...
    ['2026-03-09T23:30', 1040], // ... + 10 = 30
    ['2026-03-10T00:30', 1045], // 2026-03-09 16:30 UTC, but the 10th in Shanghai: day 1: 5 ...
    ['2026-03-10T12:00', 1065], // ... + 20 = 25
    ['2026-03-11T08:00', 3], // meter replaced: counted from 0, day 2: 3 ...
    ['2026-03-11T20:00', 13], // ... + 10 = 13
    ['2026-03-12T01:00', 20], // after the range
  ]),
  ...readings('m1', 'active_power', [
    ['2026-03-09T08:00', 55], // previous range's peak
    ['2026-03-10T18:00', 40], // window 18:00–18:15: mean 45
    ['2026-03-10T18:05', 50],
    ['2026-03-10T18:15', 30],
  ]),
  ...readings('m2', 'import_energy', [
    ['2026-03-08T00:00', 500], // first reading: nothing before it
    ['2026-03-09T12:00', 520], // previous day 2: 20
    ['2026-03-10T12:00', 600], // day 1: 80
    ['2026-03-11T12:00', 610], // day 2: 10
  ]),
  ...readings('m2', 'active_power', [
    ['2026-03-10T18:10', 20], // with m1's 45 in the same window: 65, the site's peak
    ['2026-03-11T09:00', 60], // m2's own peak, but the site's is higher at 18:00 the day before
  ]),
  ...readings('w1', 'total_volume', [
    ['2026-03-10T09:00', 50.5],
    ['2026-03-10T18:00', 52], // day 1: 1.5
    ['2026-03-11T09:00', 53.25], // day 2: 1.25
  ]),
  ...readings('m3', 'import_energy', [
    ['2026-03-08T12:00', 0],
    ['2026-03-09T12:00', 0], // previous: 0
    ['2026-03-10T12:00', 200], // current: 200 + 100 = 300
    ['2026-03-11T12:00', 300],
  ]),
  // m4: the 09:00 hour of the 4 Wednesdays before 2026-03-18 used 40, 14, 12 and 10 kWh (oldest
  // first), the 10:00 hour 8 and 6 kWh in the last two; the readings at 08:30 carry on the counter.
  ...readings('m4', 'import_energy', [
    ['2026-02-18T08:30', 1000],
    ['2026-02-18T09:30', 1040],
    ['2026-02-25T08:30', 1040],
    ['2026-02-25T09:30', 1054],
    ['2026-03-04T08:30', 1054],
    ['2026-03-04T09:30', 1066],
    ['2026-03-04T10:30', 1074],
    ['2026-03-11T08:30', 1074],
    ['2026-03-11T09:30', 1084],
    ['2026-03-11T10:30', 1090],
    ['2026-03-18T07:30', 1094], // the previous range's 07:00 hour: 4 ...
    ['2026-03-18T08:30', 1096], // ... and 08:00: 2
    ['2026-03-18T09:30', 1121], // 09:00: 25
    ['2026-03-18T10:10', 1126], // 10:00 so far: 5
  ]),
];

export function describeEnergyContract(
  name: string,
  create: () => Promise<TimeSeriesStore>,
  destroy: (store: TimeSeriesStore) => Promise<void> = (store) => store.close(),
  enabled = true,
): void {
  describe.runIf(enabled)(`energy figures on ${name}`, () => {
    let store: TimeSeriesStore;
    const clock = { now: AFTER_DAYS };
    let energy: EnergyService;

    beforeAll(async () => {
      store = await create();
      await store.init();
      await store.write(FIXTURE);
      energy = new EnergyService({
        store,
        meters: () => METERS,
        siteZone: async (site) => ZONES[site],
        now: () => clock.now,
      });
    });
    afterAll(async () => {
      if (store) await destroy(store);
    });

    const daily = { utility: 'electricity', interval: 'day', ...DAYS } as const;

    it('sums each local day from the counters, across a reset and a time-zone day boundary', async () => {
      clock.now = AFTER_DAYS;
      const report = await energy.report(ACTORS.manager, { ...daily, group_by: 'building', site: 'site-a' });
      expect(report.tz).toBe(SH);
      expect(report.unit).toBe('kWh');
      expect(report.groups.map((g) => [g.key, g.name, g.meters])).toEqual([
        ['site-a/b1', 'Tower 1', ['m1']],
        ['site-a/b2', 'b2', ['m2']],
      ]);
      const [b1, b2] = report.groups;
      expect(b1?.series.map((p) => p.value)).toEqual([25, 13]);
      expect(b2?.series.map((p) => p.value)).toEqual([80, 10]);
      // The site: 25 + 80 = 105 and 13 + 10 = 23.
      expect(report.overall.series.map((p) => p.value)).toEqual([105, 23]);
      expect(report.overall.series.map((p) => p.start)).toEqual([DAYS.from, at('2026-03-11T00:00')]);
    });

    it('compares with the previous range of the same length just before', async () => {
      const report = await energy.report(ACTORS.manager, { ...daily, group_by: 'site', site: 'site-a' });
      expect([report.previous_from, report.previous_to]).toEqual([at('2026-03-08T00:00'), DAYS.from]);
      const [site] = report.groups;
      // Previous days: m1 10 and 30, m2 0 and 20.
      expect(site?.series.map((p) => [p.previous_start, p.previous])).toEqual([
        [at('2026-03-08T00:00'), 10],
        [at('2026-03-09T00:00'), 50],
      ]);
      // 128 against 60: +68, +113.33 %.
      expect(site?.total).toEqual({
        value: 128,
        previous: 60,
        previous_same_time: 60,
        change: 68,
        change_pct: 113.333333333,
      });
      expect(site?.series[0]?.usual).toBeUndefined();
    });

    it('finds peak demand as the highest 15-minute mean of the meters together', async () => {
      const report = await energy.report(ACTORS.manager, { ...daily, group_by: 'meter', site: 'site-a' });
      // m1 45 at 18:00 plus m2 20 in the same window: 65, above m2's own 60 the next morning.
      expect(report.overall.peak).toEqual({ value: 65, at: at('2026-03-10T18:00') });
      expect(report.overall.previous_peak).toEqual({ value: 55, at: at('2026-03-09T08:00') });
      expect(report.groups.map((g) => [g.meter, g.peak])).toEqual([
        ['m1', { value: 45, at: at('2026-03-10T18:00') }],
        ['m2', { value: 60, at: at('2026-03-11T09:00') }],
      ]);
      expect(report.demand_unit).toBe('kW');
    });

    it('ranks the biggest movers by the size of their change', async () => {
      const report = await energy.report(ACTORS.manager, { ...daily, group_by: 'site' });
      expect(report.movers.find((m) => m.meter === 'm1')).toMatchObject({
        site_name: 'Site A',
        building_name: 'Tower 1',
      });
      // Two sites with different zones: the default zone.
      expect(report.tz).toBe(SH);
      expect(
        report.movers.map((m) => [m.meter, m.value, m.previous_same_time, m.change, m.change_pct]),
      ).toEqual([
        ['m3', 300, 0, 300, null],
        ['m2', 90, 20, 70, 350],
        // m4 used 10 + 6 on the 11th (its readings for the hourly views).
        ['m4', 16, 0, 16, null],
        ['m1', 38, 40, -2, -5],
      ]);
    });

    it('reads water meters in m3, without peak demand', async () => {
      const report = await energy.report(ACTORS.manager, { ...daily, utility: 'water', group_by: 'site' });
      expect(report.unit).toBe('m3');
      expect(report.groups.map((g) => [g.key, g.meters, g.series.map((p) => p.value)])).toEqual([
        ['site-a', ['w1'], [1.5, 1.25]],
      ]);
      expect(report.overall.peak).toBeNull();
    });

    it('gives hourly views the usual for the hour, and compares an unfinished range like for like', async () => {
      clock.now = DURING_HOURS;
      const report = await energy.report(ACTORS.manager, {
        utility: 'electricity',
        interval: 'hour',
        group_by: 'site',
        site: 'site-c',
        ...HOURS,
      });
      const series = report.overall.series;
      // 11:00 has not begun at 10:15.
      expect(series.map((p) => p.value)).toEqual([25, 5, null]);
      // 09:00: median of 10, 12, 14, 40 = 13; 10:00: of 6 and 8 = 7 (two weeks have that hour).
      expect(series.map((p) => p.usual)).toEqual([
        { median: 13, low: 10, high: 40, weeks: 4 },
        { median: 7, low: 6, high: 8, weeks: 2 },
        null,
      ]);
      // The previous range is 06:00–09:00; by 07:15 (as far into it as 10:15 is into this one) it
      // had used a quarter of its 07:00 hour's 4 kWh: 1.
      expect(series.map((p) => p.previous)).toEqual([0, 4, 2]);
      expect(report.overall.total).toEqual({
        value: 30,
        previous: 6,
        previous_same_time: 1,
        change: 29,
        change_pct: 2900,
      });
      expect(report.as_of).toBe(DURING_HOURS);
    });

    it('shows a person only the meters of their sites, and refuses what they may not read', async () => {
      clock.now = AFTER_DAYS;
      const report = await energy.report(ACTORS.siteB, { ...daily, group_by: 'meter' });
      expect(report.tz).toBe('Europe/London');
      expect(report.groups.map((g) => g.meter)).toEqual(['m3']);
      expect(report.movers.map((m) => [m.meter, m.site_name, m.building_name])).toEqual([
        ['m3', 'site-b', null],
      ]);
      await expect(
        energy.report(ACTORS.siteB, { ...daily, group_by: 'site', site: 'site-a' }),
      ).rejects.toMatchObject({
        status: 403,
        message: 'site: you do not work at site site-a',
      });
      await expect(
        energy.report(ACTORS.siteB, { ...daily, group_by: 'site', meter: 'm1' }),
      ).rejects.toMatchObject({
        status: 404,
      });
      await expect(energy.report(ACTORS.tech, { ...daily, group_by: 'site' })).rejects.toMatchObject({
        status: 403,
      });
      // A person of a site without meters sees nothing at all.
      const nobody = await energy.report(
        { username: 'otto', role: 'viewer', sites: ['other'] },
        { ...daily, group_by: 'site' },
      );
      expect(nobody.groups).toEqual([]);
      expect(nobody.movers).toEqual([]);
      expect(nobody.overall.total.value).toBe(0);
    });

    it('exports one CSV row per group and period, in local time', async () => {
      clock.now = AFTER_DAYS;
      const report = await energy.report(ACTORS.manager, { ...daily, group_by: 'site', site: 'site-a' });
      const rows = parse(energy.csv(report), { bom: true, columns: true }) as Array<Record<string, string>>;
      expect(rows).toEqual([
        {
          group: 'site-a',
          name: 'Site A',
          period_start: '2026-03-10T00:00:00+08:00',
          period_end: '2026-03-11T00:00:00+08:00',
          consumption: '105',
          previous_period_start: '2026-03-08T00:00:00+08:00',
          previous_consumption: '10',
          usual: '',
          unit: 'kWh',
        },
        {
          group: 'site-a',
          name: 'Site A',
          period_start: '2026-03-11T00:00:00+08:00',
          period_end: '2026-03-12T00:00:00+08:00',
          consumption: '23',
          previous_period_start: '2026-03-09T00:00:00+08:00',
          previous_consumption: '50',
          usual: '',
          unit: 'kWh',
        },
      ]);
    });

    it('answers the same question within a minute from the figures it just computed', async () => {
      clock.now = AFTER_DAYS;
      const reads = vi.spyOn(store, 'counterBuckets');
      try {
        const query = { ...daily, interval: 'week', group_by: 'meter', site: 'site-a' } as const;
        const first = await energy.report(ACTORS.manager, query);
        const once = reads.mock.calls.length;
        expect(once).toBe(2); // m1 and m2
        clock.now += CACHE_MS - 1;
        expect(await energy.report(ACTORS.manager, query)).toBe(first);
        expect(reads.mock.calls.length).toBe(once);
        // Another person's sites are another question.
        await energy.report(ACTORS.siteB, { ...query, site: undefined });
        expect(reads.mock.calls.length).toBe(once + 1);
        clock.now += 1;
        const later = await energy.report(ACTORS.manager, query);
        expect(later).not.toBe(first);
        expect(later).toEqual(first);
        expect(reads.mock.calls.length).toBe(once + 3);
      } finally {
        reads.mockRestore();
      }
    });

    it('refuses a bad zone and a range too long', async () => {
      await expect(
        energy.report(ACTORS.manager, { ...daily, group_by: 'site', tz: 'Mars/Olympus' }),
      ).rejects.toMatchObject({
        status: 400,
        message: 'tz: unknown time zone Mars/Olympus',
      });
      await expect(
        energy.report(ACTORS.manager, {
          ...daily,
          interval: 'hour',
          group_by: 'site',
          from: DAYS.from - 200 * 86_400_000,
        }),
      ).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/^from: at most 2000 periods/) });
    });
  });
}

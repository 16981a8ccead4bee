import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AggregateBucket, CounterBucket, StoredReading, TimeSeriesStore } from './time-series-store.js';

/**
 * What `aggregate` and `counterBuckets` must answer, worked out from the readings themselves: the
 * good ones in [from, to], by bucket of `width` from `from`. Readings with the same time: the
 * last one listed is the one kept.
 */
export function expectedBuckets(
  readings: ReadonlyArray<Pick<StoredReading, 'ts' | 'value' | 'quality'>>,
  from: number,
  to: number,
  width: number,
): { aggregate: AggregateBucket[]; counter: CounterBucket[] } {
  const kept = new Map<number, Pick<StoredReading, 'ts' | 'value' | 'quality'>>();
  for (const r of readings) kept.set(r.ts, r);
  const byBucket = new Map<number, number[]>();
  for (const r of [...kept.values()].sort((a, b) => a.ts - b.ts)) {
    if (r.ts < from || r.ts > to || r.quality === 'bad' || r.value === null) continue;
    const start = from + Math.floor((r.ts - from) / width) * width;
    byBucket.set(start, [...(byBucket.get(start) ?? []), r.value]);
  }
  const starts = [...byBucket.keys()].sort((a, b) => a - b);
  const values = (ts: number) => byBucket.get(ts) as number[];
  return {
    aggregate: starts.map((ts) => ({
      ts,
      mean: values(ts).reduce((a, b) => a + b, 0) / values(ts).length,
      min: Math.min(...values(ts)),
      max: Math.max(...values(ts)),
      count: values(ts).length,
    })),
    counter: starts.map((ts) => ({
      ts,
      first: values(ts)[0] as number,
      last: values(ts).at(-1) as number,
      min: Math.min(...values(ts)),
      max: Math.max(...values(ts)),
    })),
  };
}

/**
 * The contract every TimeSeriesStore passes (after aedes-persistence's abstract test suite).
 * `create` returns a fresh, empty, un-initialised store; `destroy` releases what it made.
 */
export function describeTimeSeriesStoreContract(
  name: string,
  create: () => Promise<TimeSeriesStore>,
  destroy: (store: TimeSeriesStore) => Promise<void> = (store) => store.close(),
  enabled = true,
): void {
  describe.runIf(enabled)(`TimeSeriesStore contract: ${name}`, () => {
    let store: TimeSeriesStore;
    const t0 = Date.UTC(2026, 0, 15, 8, 0, 0);
    const base: Omit<StoredReading, 'ts' | 'value'> = {
      site: 'estate-a',
      gateway: 'gw-1',
      device: 'pump-1',
      device_type: 'pump',
      point: 'flow',
      quality: 'good',
    };

    beforeAll(async () => {
      store = await create();
      await store.init();
      await store.write([
        { ...base, ts: t0 + 2000, value: 12.5 },
        { ...base, ts: t0, value: 10.25 },
        { ...base, ts: t0 + 1000, value: 11 },
        { ...base, ts: t0 + 3000, value: null, quality: 'bad' },
        { ...base, point: 'motor_current', ts: t0, value: 18.5 },
        { ...base, device: 'pump-2', ts: t0, value: 99 },
        ...[100, 105, 110, 2, 6, 9].map((value, i) => ({
          ...base,
          device: 'meter-1',
          device_type: 'power_meter' as const,
          point: 'import_energy',
          ts: t0 + i * 1000,
          value,
        })),
      ]);
    });

    afterAll(async () => {
      if (store) await destroy(store);
    });

    it('answers ping once initialised', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('returns one point of one device in time order, bad readings included', async () => {
      const rows = await store.history({
        device: 'pump-1',
        point: 'flow',
        from: t0,
        to: t0 + 10_000,
        limit: 100,
      });
      expect(rows).toEqual([
        { ts: t0, value: 10.25, quality: 'good' },
        { ts: t0 + 1000, value: 11, quality: 'good' },
        { ts: t0 + 2000, value: 12.5, quality: 'good' },
        { ts: t0 + 3000, value: null, quality: 'bad' },
      ]);
    });

    it('treats both bounds as inclusive', async () => {
      const rows = await store.history({
        device: 'pump-1',
        point: 'flow',
        from: t0 + 1000,
        to: t0 + 2000,
        limit: 100,
      });
      expect(rows.map((r) => r.ts)).toEqual([t0 + 1000, t0 + 2000]);
    });

    it('honours the limit, oldest first', async () => {
      const rows = await store.history({
        device: 'pump-1',
        point: 'flow',
        from: t0,
        to: t0 + 10_000,
        limit: 2,
      });
      expect(rows.map((r) => r.value)).toEqual([10.25, 11]);
    });

    it('keeps one reading when the same series and time are written twice', async () => {
      const ts = t0 + 5000;
      await store.write([{ ...base, point: 'pressure', ts, value: 3.1 }]);
      await store.write([{ ...base, point: 'pressure', ts, value: 3.2 }]);
      const rows = await store.history({ device: 'pump-1', point: 'pressure', from: ts, to: ts, limit: 10 });
      expect(rows).toEqual([{ ts, value: 3.2, quality: 'good' }]);
    });

    it('downsamples to buckets from `from`, leaving out bad readings and empty buckets', async () => {
      const buckets = await store.aggregate({
        device: 'pump-1',
        point: 'flow',
        from: t0,
        to: t0 + 9999,
        bucketMs: 2000,
      });
      expect(buckets).toEqual([
        { ts: t0, mean: 10.625, min: 10.25, max: 11, count: 2 },
        { ts: t0 + 2000, mean: 12.5, min: 12.5, max: 12.5, count: 1 },
      ]);
    });

    it('aligns buckets to `from` even when it is not a round time', async () => {
      const buckets = await store.aggregate({
        device: 'pump-1',
        point: 'flow',
        from: t0 + 500,
        to: t0 + 2500,
        bucketMs: 1000,
      });
      expect(buckets).toEqual([
        { ts: t0 + 500, mean: 11, min: 11, max: 11, count: 1 },
        { ts: t0 + 1500, mean: 12.5, min: 12.5, max: 12.5, count: 1 },
      ]);
    });

    it("gives a counter's first, last, min and max per bucket", async () => {
      const buckets = await store.counterBuckets({
        device: 'meter-1',
        point: 'import_energy',
        from: t0,
        to: t0 + 5999,
        bucketMs: 3000,
      });
      expect(buckets).toEqual([
        { ts: t0, first: 100, last: 110, min: 100, max: 110 },
        { ts: t0 + 3000, first: 2, last: 9, min: 2, max: 9 },
      ]);
    });

    it("returns each point's newest reading", async () => {
      const latest = await store.latest('pump-1');
      expect(latest.filter((r) => r.point === 'flow' || r.point === 'motor_current')).toEqual([
        { point: 'flow', ts: t0 + 3000, value: null, quality: 'bad' },
        { point: 'motor_current', ts: t0, value: 18.5, quality: 'good' },
      ]);
      expect(await store.latest('meter-1')).toEqual([
        { point: 'import_energy', ts: t0 + 5000, value: 9, quality: 'good' },
      ]);
      expect(await store.latest('nope')).toEqual([]);
    });

    it("lists every device with its points' newest readings, as its newest reading names it", async () => {
      // pump-2 moved to another gateway and site: its newest reading says where it is now.
      await store.write([
        { ...base, device: 'pump-2', site: 'estate-b', gateway: 'gw-2', ts: t0 + 7000, value: 7 },
      ]);
      const all = await store.latestAll();
      expect(all.map((d) => d.device)).toEqual(['meter-1', 'pump-1', 'pump-2']);
      expect(all.find((d) => d.device === 'meter-1')).toEqual({
        site: 'estate-a',
        gateway: 'gw-1',
        device: 'meter-1',
        device_type: 'power_meter',
        latest: [{ point: 'import_energy', ts: t0 + 5000, value: 9, quality: 'good' }],
      });
      const pump1 = all.find((d) => d.device === 'pump-1');
      expect(pump1?.latest.filter((r) => r.point === 'flow' || r.point === 'motor_current')).toEqual([
        { point: 'flow', ts: t0 + 3000, value: null, quality: 'bad' },
        { point: 'motor_current', ts: t0, value: 18.5, quality: 'good' },
      ]);
      expect(all.find((d) => d.device === 'pump-2')).toMatchObject({
        site: 'estate-b',
        gateway: 'gw-2',
        latest: [{ point: 'flow', ts: t0 + 7000, value: 7, quality: 'good' }],
      });
    });

    it('takes a large batch in one write (compressed on the wire where the store supports it)', async () => {
      const big = Array.from({ length: 3000 }, (_, i) => ({
        ...base,
        point: 'big',
        ts: t0 + i,
        value: i / 4,
      }));
      await store.write(big);
      const rows = await store.history({
        device: 'pump-1',
        point: 'big',
        from: t0,
        to: t0 + 5000,
        limit: 5000,
      });
      expect(rows).toHaveLength(3000);
      expect(rows[2999]).toEqual({ ts: t0 + 2999, value: 2999 / 4, quality: 'good' });
    });

    it('returns nothing for an unknown series', async () => {
      const rows = await store.history({
        device: 'nope',
        point: 'flow',
        from: t0,
        to: t0 + 10_000,
        limit: 10,
      });
      expect(rows).toEqual([]);
    });

    describe('buckets over two days of a meter (summarised by stores that keep summaries)', () => {
      const MIN = 60_000;
      const HOUR = 60 * MIN;
      const day = Date.UTC(2026, 1, 2);
      const meter = { ...base, device: 'meter-9', device_type: 'power_meter' as const };
      const readings: Array<Pick<StoredReading, 'ts' | 'value' | 'quality'>> = [];
      // Quarter-units keep every sum exact, so a mean is the same however it is added up.
      const counterAt = (i: number) => {
        const ts = day + i * 5 * MIN;
        // A reset inside a bucket (10:05) and one exactly on a bucket boundary (13:00).
        if (ts >= day + 13 * HOUR) return 0.25 * (i - 156);
        if (ts >= day + 10 * HOUR + 5 * MIN) return 0.5 + 0.25 * (i - 121);
        return 1000 + 1.5 * i;
      };

      beforeAll(async () => {
        const first: StoredReading[] = [];
        for (let i = 0; i < 576; i += 1) {
          // A gap from 20:00 to 22:00 the first day: buckets without readings are left out.
          if (i >= 240 && i < 264) continue;
          const quality = i % 37 === 0 ? ('bad' as const) : ('good' as const);
          const value = quality === 'bad' ? null : counterAt(i);
          first.push({ ...meter, point: 'energy', ts: day + i * 5 * MIN, value, quality });
          first.push({
            ...meter,
            point: 'power',
            ts: day + i * 5 * MIN,
            value: quality === 'bad' ? null : (i % 17) * 0.75,
            quality,
          });
        }
        await store.write(first);
        // Late, out of order and repeated: into buckets already written, then the same time again.
        const late: StoredReading[] = [
          { ...meter, point: 'energy', ts: day + 10 * HOUR + 2 * MIN, value: 1181.5, quality: 'good' },
          { ...meter, point: 'power', ts: day + 3 * HOUR + 7 * MIN, value: 99.25, quality: 'good' },
          { ...meter, point: 'power', ts: day + 3 * HOUR + 10 * MIN, value: 42.5, quality: 'good' },
          { ...meter, point: 'power', ts: day + 3 * HOUR + 10 * MIN, value: 43.5, quality: 'good' },
          { ...meter, point: 'power', ts: day + 30 * HOUR, value: -7.25, quality: 'good' },
        ];
        await store.write(late);
        for (const r of [...first, ...late]) {
          if (r.point === 'energy') readings.push(r);
        }
        powerReadings.push(...[...first, ...late].filter((r) => r.point === 'power'));
      });
      const powerReadings: Array<Pick<StoredReading, 'ts' | 'value' | 'quality'>> = [];

      const cases: Array<[string, number, number, number]> = [
        ['hourly, aligned', day, day + 48 * HOUR - 1, HOUR],
        ['15 minutes over both resets', day + 9 * HOUR, day + 14 * HOUR - 1, 15 * MIN],
        ['Asia/Kolkata days (+05:30)', day - 5.5 * HOUR, day + 42.5 * HOUR - 1, 24 * HOUR],
        ['hourly from mid-bucket', day + 7 * MIN, day + 30 * HOUR, HOUR],
        ['hourly to mid-bucket', day, day + 25 * HOUR + 7 * MIN, HOUR],
        ['37 minutes, unaligned', day + 3 * MIN, day + 47 * HOUR, 37 * MIN],
        ['four-hour buckets', day, day + 48 * HOUR - 1, 4 * HOUR],
      ];

      it.each(cases)("gives a counter's buckets: %s", async (_name, from, to, bucketMs) => {
        const got = await store.counterBuckets({ device: 'meter-9', point: 'energy', from, to, bucketMs });
        expect(got).toEqual(expectedBuckets(readings, from, to, bucketMs).counter);
      });

      it.each(cases)('downsamples: %s', async (_name, from, to, bucketMs) => {
        const got = await store.aggregate({ device: 'meter-9', point: 'power', from, to, bucketMs });
        expect(got).toEqual(expectedBuckets(powerReadings, from, to, bucketMs).aggregate);
      });
    });

    it('treats quotes in query values as data, not query text', async () => {
      for (const device of [`pump-1' OR '1'='1`, `pump-1" OR 1=1 --`, `pump-1\\`]) {
        const rows = await store.history({ device, point: 'flow', from: t0, to: t0 + 10_000, limit: 10 });
        expect(rows).toEqual([]);
      }
    });
  });
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredReading, TimeSeriesStore } from './time-series-store.js';

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

    it('treats quotes in query values as data, not query text', async () => {
      for (const device of [`pump-1' OR '1'='1`, `pump-1" OR 1=1 --`, `pump-1\\`]) {
        const rows = await store.history({ device, point: 'flow', from: t0, to: t0 + 10_000, limit: 10 });
        expect(rows).toEqual([]);
      }
    });
  });
}

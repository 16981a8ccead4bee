import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { LATEST_OF_DEVICE_SQL, SqliteStore } from './sqlite.store.js';
import { describeTimeSeriesStoreContract } from './time-series-store.contract.js';
import type { DeviceReadings } from './time-series-store.js';

const dirs = new Map<SqliteStore, string>();

describeTimeSeriesStoreContract(
  'sqlite',
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caretaker-sqlite-'));
    const store = new SqliteStore(join(dir, 'nested', 'readings.db'));
    dirs.set(store, dir);
    return store;
  },
  async (store) => {
    await store.close();
    await rm(dirs.get(store as SqliteStore) ?? '', { recursive: true, force: true });
  },
);

describe('SqliteStore', () => {
  it('keeps readings across a reopen of the same file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caretaker-sqlite-'));
    try {
      const path = join(dir, 'readings.db');
      const first = new SqliteStore(path);
      await first.init();
      await first.write([
        {
          site: 's',
          gateway: 'g',
          device: 'd',
          device_type: 'pump',
          point: 'p',
          ts: 5,
          value: 1,
          quality: 'good',
        },
      ]);
      await first.close();
      const second = new SqliteStore(path);
      await second.init();
      expect(await second.history({ device: 'd', point: 'p', from: 0, to: 10, limit: 10 })).toEqual([
        { ts: 5, value: 1, quality: 'good' },
      ]);
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes on its own thread: writes of one turn all land, and close waits for them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caretaker-sqlite-'));
    try {
      const path = join(dir, 'readings.db');
      const first = new SqliteStore(path);
      await first.init();
      const row = (device: string, ts: number) => ({
        site: 's',
        gateway: 'g',
        device,
        device_type: 'pump' as const,
        point: 'p',
        ts,
        value: ts === 3 ? null : ts / 2,
        quality: ts === 3 ? ('bad' as const) : ('good' as const),
      });
      const writes = [1, 2, 3, 4].map((ts) => first.writeDurably([row('d', ts), row(`e${ts}`, ts)]));
      await writes[0];
      // Writes of one turn share a transaction: once the first is durable, so are the others.
      expect((await first.history({ device: 'd', point: 'p', from: 0, to: 10, limit: 10 })).length).toBe(4);
      // Not awaited: close() must still land them.
      void first.writeDurably([row('d', 5)]);
      await first.close();
      await Promise.all(writes);
      const second = new SqliteStore(path);
      await second.init();
      expect(await second.history({ device: 'd', point: 'p', from: 0, to: 10, limit: 10 })).toEqual([
        { ts: 1, value: 0.5, quality: 'good' },
        { ts: 2, value: 1, quality: 'good' },
        { ts: 3, value: null, quality: 'bad' },
        { ts: 4, value: 2, quality: 'good' },
        { ts: 5, value: 2.5, quality: 'good' },
      ]);
      expect(await second.latest('e4')).toEqual([{ point: 'p', ts: 4, value: 2, quality: 'good' }]);
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stores a device batch as sent: many series interleaved, booleans as 1/0, a duplicate in one write replaced by the later reading', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caretaker-sqlite-'));
    const store = new SqliteStore(join(dir, 'readings.db'));
    try {
      await store.init();
      // 3 points x 40 times: 120 readings, more than one multi-row INSERT holds, not a multiple of it.
      const readings: Array<DeviceReadings['readings'][number]> = [];
      for (let t = 0; t < 40; t += 1) {
        readings.push({ point: 'flow', ts: t, value: t / 2, quality: 'good' });
        readings.push({ point: 'running', ts: t, value: t % 3 === 0, quality: 'good' });
        readings.push({
          point: 'current',
          ts: t,
          value: t === 7 ? null : t,
          quality: t === 7 ? 'bad' : 'uncertain',
        });
      }
      // The same series and time again, later in the same write: it replaces the first.
      readings.push({ point: 'flow', ts: 5, value: 99, quality: 'good' });
      const batch: DeviceReadings = { site: 's', gateway: 'g', device: 'd', device_type: 'pump', readings };
      await Promise.all([
        store.writeDurably(batch),
        // Loose readings in the same turn share the transaction.
        store.write([
          {
            site: 's',
            gateway: 'g',
            device: 'd',
            device_type: 'pump',
            point: 'other',
            ts: 0,
            value: 1,
            quality: 'good',
          },
        ]),
      ]);
      const history = (point: string) => store.history({ device: 'd', point, from: 0, to: 100, limit: 100 });
      const flow = await history('flow');
      expect(flow).toHaveLength(40);
      expect(flow[5]).toEqual({ ts: 5, value: 99, quality: 'good' });
      expect(flow[39]).toEqual({ ts: 39, value: 19.5, quality: 'good' });
      expect((await history('running')).map((r) => r.value)).toEqual(
        Array.from({ length: 40 }, (_, t) => (t % 3 === 0 ? 1 : 0)),
      );
      const current = await history('current');
      expect(current[7]).toEqual({ ts: 7, value: null, quality: 'bad' });
      expect(current[8]).toEqual({ ts: 8, value: 8, quality: 'uncertain' });
      expect(await history('other')).toEqual([{ ts: 0, value: 1, quality: 'good' }]);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("finds a device's latest readings through the (series, ts) key per point (regression: it grouped all of the device's samples)", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caretaker-sqlite-'));
    const path = join(dir, 'readings.db');
    const store = new SqliteStore(path);
    const db = new Database(path, { readonly: false });
    try {
      await store.init();
      const plan = (
        db.prepare(`EXPLAIN QUERY PLAN ${LATEST_OF_DEVICE_SQL}`).all('d') as Array<{ detail: string }>
      ).map((row) => row.detail);
      // Each sample read is looked up by its full key; nothing is grouped or sorted over samples.
      expect(plan).toContain('SEARCH x USING PRIMARY KEY (series=? AND ts=?)');
      expect(plan.filter((detail) => /^SCAN|TEMP B-TREE/.test(detail))).toEqual([]);
    } finally {
      db.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses to work before init', async () => {
    await expect(new SqliteStore(':memory:').ping()).rejects.toThrow(/not initialised/);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from './sqlite.store.js';
import { describeTimeSeriesStoreContract } from './time-series-store.contract.js';

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

  it('refuses to work before init', async () => {
    await expect(new SqliteStore(':memory:').ping()).rejects.toThrow(/not initialised/);
  });
});

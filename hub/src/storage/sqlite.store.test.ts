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

  it('refuses to work before init', async () => {
    await expect(new SqliteStore(':memory:').ping()).rejects.toThrow(/not initialised/);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { type RunningInfluxDb, startInfluxDb } from '../../../test/support/influxdb.js';
import { requireBinary } from '../../../test/support/require-binary.js';
import { InfluxStore } from '../storage/influx.store.js';
import { SqliteStore } from '../storage/sqlite.store.js';
import { describeEnergyContract } from './energy.contract.js';

// The embedded store, in a file of a temp dir (its writes go through its own thread).
const dir = mkdtempSync(join(tmpdir(), 'caretaker-energy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
describeEnergyContract('SQLite', async () => new SqliteStore(join(dir, 'readings.db'), 'normal'));

// A real InfluxDB 1.x (Debian's 1.6.7) on a free loopback port.
const influxInstalled = requireBinary('influxd', 'apt-get install influxdb');
let server: RunningInfluxDb | undefined;
describeEnergyContract(
  'InfluxDB 1.x',
  async () => {
    server = await startInfluxDb();
    return new InfluxStore({ api: 'v1', url: server.url, database: 'caretaker_energy' });
  },
  async (store) => {
    await store.close();
    await server?.stop();
  },
  influxInstalled,
);

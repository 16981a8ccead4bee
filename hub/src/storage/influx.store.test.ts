import { describe, expect, it } from 'vitest';
import { type RunningInfluxDb, startInfluxDb } from '../../../test/support/influxdb.js';
import { requireBinary } from '../../../test/support/require-binary.js';
import { InfluxStore, toLineProtocol } from './influx.store.js';
import { describeTimeSeriesStoreContract } from './time-series-store.contract.js';

const influxInstalled = requireBinary('influxd', 'apt-get install influxdb');
const servers = new Map<InfluxStore, RunningInfluxDb>();

// A real InfluxDB 1.x (Debian's 1.6.7) on a free loopback port, in a temp dir.
describeTimeSeriesStoreContract(
  'influxdb v1 (real influxd)',
  async () => {
    const server = await startInfluxDb();
    const store = new InfluxStore({ api: 'v1', url: server.url, database: 'caretaker_contract' });
    servers.set(store, server);
    return store;
  },
  async (store) => {
    await store.close();
    await servers.get(store as InfluxStore)?.stop();
  },
  influxInstalled,
);

describe('line protocol', () => {
  it('escapes tag values and writes millisecond timestamps', () => {
    const line = toLineProtocol({
      site: 'estate a',
      gateway: 'gw,1',
      device: 'pump=1',
      device_type: 'pump',
      point: 'flow',
      ts: 1_700_000_000_123,
      value: 12.5,
      quality: 'good',
    });
    expect(line).toBe(
      'telemetry,device=pump\\=1,device_type=pump,gateway=gw\\,1,point=flow,site=estate\\ a quality="good",value=12.5 1700000000123',
    );
  });

  it('omits the value field of a bad reading', () => {
    const line = toLineProtocol({
      site: 's',
      gateway: 'g',
      device: 'd',
      device_type: 'pump',
      point: 'p',
      ts: 1,
      value: null,
      quality: 'bad',
    });
    expect(line).toBe('telemetry,device=d,device_type=pump,gateway=g,point=p,site=s quality="bad" 1');
  });
});

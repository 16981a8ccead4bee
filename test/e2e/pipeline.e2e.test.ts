import {
  apiPaths,
  type ClientToServerEvents,
  type DevicesResponse,
  type EnergyResponse,
  type GatewaysResponse,
  type ReadingsReceivedEvent,
  type ReadingsResponse,
  type SeriesResponse,
  type ServerToClientEvents,
} from '@caretaker/protocol';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningInfluxDb, startInfluxDb } from '../support/influxdb.js';
import { requireBinary } from '../support/require-binary.js';
import { type Stack, startStack, waitFor } from '../support/stack.js';

const influxInstalled = requireBinary('influxd', 'apt-get install influxdb');

interface Variant {
  name: string;
  enabled: boolean;
  setup(): Promise<{ stack: Stack; influx?: RunningInfluxDb }>;
}

const variants: Variant[] = [
  {
    name: 'embedded SQLite store',
    enabled: true,
    setup: async () => ({ stack: await startStack() }),
  },
  {
    name: 'InfluxDB 1.x (real influxd)',
    enabled: influxInstalled,
    setup: async () => {
      const influx = await startInfluxDb();
      const stack = await startStack({ influx: { api: 'v1', url: influx.url, database: 'caretaker_e2e' } });
      return { stack, influx };
    },
  },
];

describe.each(variants)('simulated pump to dashboard stream, $name', (variant) => {
  let stack: Stack;
  let influx: RunningInfluxDb | undefined;
  let socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  const received: ReadingsReceivedEvent[] = [];

  beforeAll(async () => {
    if (!variant.enabled) return;
    ({ stack, influx } = await variant.setup());
    socket = io(stack.hub.url, { transports: ['websocket'] });
    socket.on('readings.updated', (event) => received.push(...event.devices));
  });

  afterAll(async () => {
    socket?.close();
    await stack?.stop();
    await influx?.stop();
  });

  it.runIf(variant.enabled)('streams pump readings to a socket.io client', async () => {
    const event = await waitFor('a pump-1 batch on socket.io', () =>
      received.find((e) => e.device_id === 'pump-1' && e.readings.some((r) => r.point === 'flow')),
    );
    const flow = event.readings.find((r) => r.point === 'flow');
    expect(flow?.quality).toBe('good');
    expect(typeof flow?.value).toBe('number');
    expect(flow?.unit).toBeTruthy();
  });

  it.runIf(variant.enabled)('lists every simulated device, online, with its latest values', async () => {
    const body = await waitFor('three online devices in GET /api/devices', async () => {
      const res = await fetch(`${stack.hub.url}${apiPaths.devices}`);
      const json = (await res.json()) as DevicesResponse;
      const online = json.devices.filter((d) => d.status === 'online' && Object.keys(d.latest).length > 0);
      return online.length === 3 ? json : undefined;
    });
    const byId = Object.fromEntries(body.devices.map((d) => [d.id, d]));
    expect(byId['pump-1']?.type).toBe('pump');
    expect(byId['meter-1']?.type).toBe('power_meter');
    expect(byId['elevator-1']?.type).toBe('elevator');
    const pump = byId['pump-1'];
    expect(pump?.site).toBe('test-estate');
    expect(pump?.latest.flow?.quality).toBe('good');
    expect(pump?.latest.motor_current?.value).toBeGreaterThan(0);
    expect(byId['meter-1']?.latest.import_energy?.value).toBeGreaterThan(0);
  });

  it.runIf(variant.enabled)('stores the readings the socket saw, and serves their history', async () => {
    const event = await waitFor('a pump-1 batch', () => received.find((e) => e.device_id === 'pump-1'));
    const flow = event.readings.find((r) => r.point === 'flow');
    if (!flow || typeof flow.value !== 'number') throw new Error('no numeric flow reading');

    const history = await waitFor('the flow reading in the history API', async () => {
      const res = await fetch(
        `${stack.hub.url}${apiPaths.readings('pump-1')}?point=flow&from=${flow.ts}&to=${flow.ts}`,
      );
      const json = (await res.json()) as ReadingsResponse;
      return json.readings.length > 0 ? json : undefined;
    });
    expect(history.readings[0]).toEqual({ ts: flow.ts, value: flow.value, quality: 'good' });

    if (influx) {
      // Straight from InfluxDB's own HTTP API, not through the hub.
      const result = await influx.query(
        `SELECT "value" FROM "telemetry" WHERE "device" = 'pump-1' AND "point" = 'flow' AND time = ${flow.ts}ms`,
        'caretaker_e2e',
      );
      const values = result.results[0]?.series?.[0]?.values;
      expect(values).toEqual([[flow.ts, flow.value]]);
    }
  });

  it.runIf(variant.enabled)(
    'downsamples history in the store and computes energy from the counter',
    async () => {
      const from = Date.now() - 60_000;
      const series = await waitFor('downsampled pump flow', async () => {
        const res = await fetch(
          `${stack.hub.url}${apiPaths.series('pump-1')}?point=flow&from=${from}&buckets=10`,
        );
        const body = (await res.json()) as SeriesResponse;
        return body.buckets.length > 0 ? body : undefined;
      });
      expect(series.bucket_ms).toBe(Math.ceil((series.to - series.from + 1) / 10));
      for (const bucket of series.buckets) {
        expect(bucket.min).toBeLessThanOrEqual(bucket.mean);
        expect(bucket.mean).toBeLessThanOrEqual(bucket.max);
        expect(bucket.count).toBeGreaterThan(0);
      }
      const energy = await waitFor('energy from the meter counter', async () => {
        const res = await fetch(
          `${stack.hub.url}${apiPaths.energy('meter-1')}?point=import_energy&interval=hour&tz=Asia/Shanghai`,
        );
        const body = (await res.json()) as EnergyResponse;
        const total = body.periods.reduce((sum, p) => sum + p.value, 0);
        return total > 0 ? body : undefined;
      });
      expect(energy.unit).toBe('kWh');
      expect(energy.periods.every((p) => p.value >= 0 && p.end - p.start === 3_600_000)).toBe(true);
      const bad = await fetch(
        `${stack.hub.url}${apiPaths.energy('meter-1')}?point=import_energy&interval=fortnight`,
      );
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(/^interval:/);
    },
  );

  it.runIf(variant.enabled)('lists the gateway with its sequence audit', async () => {
    const res = await fetch(`${stack.hub.url}${apiPaths.gateways}`);
    const body = (await res.json()) as GatewaysResponse;
    expect(body.gateways).toMatchObject([
      { site: 'test-estate', gateway: 'gw-test', status: 'online', missing_batches: 0 },
    ]);
    expect(body.gateways[0]?.last_seq).toBeGreaterThan(0);
  });

  it.runIf(variant.enabled)('rejects the history query of an unknown device and a bad range', async () => {
    const unknown = await fetch(`${stack.hub.url}${apiPaths.readings('nope')}?point=flow`);
    expect(unknown.status).toBe(404);
    const missingPoint = await fetch(`${stack.hub.url}${apiPaths.readings('pump-1')}`);
    expect(missingPoint.status).toBe(400);
    expect(((await missingPoint.json()) as { error: string }).error).toMatch(/^point:/);
    const badFrom = await fetch(`${stack.hub.url}${apiPaths.readings('pump-1')}?point=flow&from=yesterday`);
    expect(badFrom.status).toBe(400);
    expect(((await badFrom.json()) as { error: string }).error).toMatch(/^from:/);
  });

  it.runIf(variant.enabled)('reports itself healthy', async () => {
    const res = await fetch(`${stack.hub.url}${apiPaths.health}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      status: string;
      store: { kind: string };
      ingest: { accepted_readings: number };
    };
    expect(body.status).toBe('ok');
    expect(body.store.kind).toBe(influx ? 'influxdb-v1' : 'sqlite');
    expect(body.ingest.accepted_readings).toBeGreaterThan(0);
  });
});

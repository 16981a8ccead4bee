import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hub } from '@caretaker/hub';
import { createLogger } from '@caretaker/protocol/log';
import mqtt from 'mqtt';

const log = createLogger('x');
log.level = 'warn';
const dataDir = await mkdtemp(join(tmpdir(), 'q-'));
const hub = new Hub(
  {
    demo: true,
    http: { host: '127.0.0.1', port: 0 },
    mqtt: { host: '127.0.0.1', port: 0 },
    dataDir,
    journal: { maxReadings: 1e7, durability: 'full' },
    store: { kind: 'sqlite', path: join(dataDir, 'r.db') },
  },
  { log, dashboardDir: '/nonexistent' },
);
await hub.start();
const timer = setInterval(
  () => console.log('accepted', hub.stats.accepted_batches, JSON.stringify(hub.journalStats)),
  1000,
);
const count = 2000;
const clients = await Promise.all(Array.from({ length: 4 }, () => mqtt.connectAsync(hub.mqttUrl)));
let next = 0;
const pl = (i: number) =>
  JSON.stringify({
    v: 1,
    device: 'p',
    device_type: 'pump',
    seq: i,
    ts: 1e12 + i,
    readings: Array.from({ length: 10 }, (_, k) => ({
      point: 'p' + k,
      value: i,
      ts: 1e12 + i,
      quality: 'good',
      unit: 'bar',
    })),
  });
await Promise.all(
  clients.map(async (client) => {
    const inflight: Promise<unknown>[] = [];
    while (next < count) {
      const seq = next++;
      inflight.push(client.publishAsync('caretaker/v1/b/gw/device/p/telemetry', pl(seq), { qos: 0 }));
      if (inflight.length >= 200) await Promise.all(inflight.splice(0));
    }
    await Promise.all(inflight);
  }),
);
console.log('published');
await new Promise((r) => setTimeout(r, 4000));
clearInterval(timer);
process.exit(0);

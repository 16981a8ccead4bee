// The synthetic estate for bench:dashboard, on its own thread as real gateways are other
// processes: one MQTT client per gateway, each announcing its devices (retained online status)
// and publishing one telemetry batch per device per interval, spread evenly over the interval.
// Each reading carries the time it was made, so the page can tell how long it took to show.
import { parentPort, workerData } from 'node:worker_threads';
import mqtt from 'mqtt';

const { url, site, gateways, intervalMs, vibrating } = workerData;
const root = 'caretaker/v1';
const devices = gateways.flatMap((g) => g.devices.map((device) => ({ gateway: g.gateway, device })));
const state = new Map(devices.map(({ device }, i) => [device, { seq: 0, phase: i }]));
// Small deterministic noise around a healthy pump's values (no trend, no alarm), except a few
// devices that vibrate over the warning limit, so the board also shows alarms.
let seed = 42;
const noise = () => {
  seed = (seed * 1664525 + 1013904223) % 4294967296;
  return seed / 4294967296 - 0.5;
};

function batch(device, seq, ts) {
  const reading = (point, value, unit) => ({ point, value, ts, quality: 'good', ...(unit ? { unit } : {}) });
  return JSON.stringify({
    v: 1,
    device,
    device_type: 'pump',
    seq,
    ts,
    readings: [
      reading('running', 1),
      reading('fault', 0),
      reading('flow', 30 + 4 * noise(), 'm3/h'),
      reading('outlet_pressure', 3.2 + 0.2 * noise(), 'bar'),
      reading('motor_current', 12 + 0.6 * noise(), 'A'),
      reading('vibration', (vibrating.includes(device) ? 5.2 : 2) + 0.3 * noise(), 'mm/s'),
      reading('bearing_temp', 50 + noise(), '°C'),
    ],
  });
}

const clients = await Promise.all(
  gateways.map(async ({ gateway, devices: list }) => {
    const client = await mqtt.connectAsync(url, {
      clientId: `bench-${gateway}`,
      will: {
        topic: `${root}/${site}/${gateway}/status`,
        payload: JSON.stringify({ v: 1, state: 'offline', ts: Date.now() }),
        qos: 1,
        retain: true,
      },
    });
    await client.publishAsync(
      `${root}/${site}/${gateway}/status`,
      JSON.stringify({ v: 1, state: 'online', ts: Date.now(), devices: list }),
      { qos: 1, retain: true },
    );
    return [gateway, client];
  }),
);
const byGateway = new Map(clients);
let published = 0;
let failed = 0;
const start = Date.now();
const slot = intervalMs / devices.length;
let next = 0;
const timer = setInterval(() => {
  // Every device whose turn in the interval has come publishes its batch now.
  const due = Math.floor((Date.now() - start) / slot);
  for (; next <= due; next += 1) {
    const { gateway, device } = devices[next % devices.length];
    const s = state.get(device);
    s.seq += 1;
    const ts = Date.now();
    byGateway
      .get(gateway)
      .publishAsync(`${root}/${site}/${gateway}/device/${device}/telemetry`, batch(device, s.seq, ts), {
        qos: 1,
      })
      .then(
        () => {
          published += 1;
        },
        () => {
          failed += 1;
        },
      );
  }
}, 5);
const report = setInterval(() => parentPort.postMessage({ published, failed }), 1000);
parentPort.postMessage({ started: true });
parentPort.once('message', async () => {
  clearInterval(timer);
  clearInterval(report);
  await Promise.all(clients.map(([, c]) => c.endAsync()));
  parentPort.postMessage({ stopped: true, published, failed });
});

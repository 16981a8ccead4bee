// A publisher for bench:hub on its own thread, as gateways are other processes: the broker
// side of the benchmark then measures the broker's thread, not the load generator's.
import { parentPort, workerData } from 'node:worker_threads';
import mqtt from 'mqtt';

const { url, count, qos, publishers, topic, baseTs, readingsPerBatch } = workerData;

function payload(seq) {
  const ts = baseTs + seq;
  return JSON.stringify({
    v: 1,
    device: 'pump-b',
    device_type: 'pump',
    seq,
    ts,
    readings: Array.from({ length: readingsPerBatch }, (_, i) => ({
      point: `p${i}`,
      value: seq + i / 10,
      ts,
      quality: 'good',
      unit: 'bar',
    })),
  });
}

const clients = await Promise.all(Array.from({ length: publishers }, () => mqtt.connectAsync(url)));
let next = 0;
await Promise.all(
  clients.map(async (client) => {
    const inflight = [];
    while (next < count) {
      inflight.push(client.publishAsync(topic, payload(next++), { qos }));
      if (inflight.length >= 200) await Promise.all(inflight.splice(0));
    }
    await Promise.all(inflight);
  }),
);
parentPort.postMessage('published');
parentPort.once('message', async () => {
  await Promise.all(clients.map((c) => c.endAsync()));
  parentPort.postMessage('ended');
});

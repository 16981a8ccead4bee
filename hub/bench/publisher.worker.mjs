// Publishers for bench:hub on their own thread, as gateways are other processes: the broker
// side of the benchmark then measures the broker's thread, not the load generator's. Each
// client is one gateway with one device, numbering its batches in order as a gateway does.
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import mqtt from 'mqtt';

const { url, count, qos, gateways, baseTs, readingsPerBatch } = workerData;

function payload(device, seq) {
  const ts = baseTs + seq;
  return JSON.stringify({
    v: 1,
    device,
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

/** CPU time of this thread so far, ms, from Linux's /proc (null elsewhere). */
function threadCpuMs() {
  try {
    // Fields 14 and 15 after the command name: utime and stime, in clock ticks (100 a second).
    const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

const clients = await Promise.all(gateways.map(() => mqtt.connectAsync(url)));
parentPort.postMessage({ connected: true });
await new Promise((resolve) => parentPort.once('message', resolve));
const cpuBefore = threadCpuMs();
let sent = 0;
await Promise.all(
  clients.map(async (client, i) => {
    const { topic, device } = gateways[i];
    const inflight = [];
    for (let seq = 0; sent < count; seq += 1) {
      sent += 1;
      inflight.push(client.publishAsync(topic, payload(device, seq), { qos }));
      if (inflight.length >= 200) await Promise.all(inflight.splice(0));
    }
    await Promise.all(inflight);
  }),
);
const cpuAfter = threadCpuMs();
parentPort.postMessage({ cpuMs: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore });
parentPort.once('message', async () => {
  await Promise.all(clients.map((c) => c.endAsync()));
  parentPort.postMessage('ended');
});

// The embedded store's writer, on its own thread: SQLite's B-tree work for every reading (about a
// microsecond each) then costs the broker's thread nothing. Plain JavaScript so the worker starts
// the same under tsx, vitest and plain node. Its messages are declared in sqlite-writer.ts.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, durability } = workerData;
const db = new Database(path);
db.pragma('journal_mode = WAL');
db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
// The main thread's connection only reads; should it hold a lock a moment, wait rather than fail.
db.pragma('busy_timeout = 5000');

const insertSample = db.prepare(
  'INSERT OR REPLACE INTO samples (series, ts, value, quality) VALUES (?, ?, ?, ?)',
);
const upsertSeries = db.prepare(
  `INSERT INTO series (device, point, site, gateway, device_type) VALUES (?, ?, ?, ?, ?)
   ON CONFLICT (device, point) DO UPDATE SET site = excluded.site, gateway = excluded.gateway,
     device_type = excluded.device_type
   RETURNING id`,
);
/**
 * Series by `device \0 point`, of committed series only: their id and where their device was
 * (a device that moves to another gateway or site updates its series).
 */
const seriesIds = new Map();

/** Writes one batch (in the caller's transaction); adds the series it created or moved. */
function writeBatch(batch, created) {
  const ids = new Array(batch.series.length);
  for (let i = 0; i < batch.series.length; i += 1) {
    const [device, point, site, gateway, deviceType] = batch.series[i];
    const key = `${device}\u0000${point}`;
    const where = `${site}\u0000${gateway}\u0000${deviceType}`;
    let known = created.get(key) ?? seriesIds.get(key);
    if (known === undefined || known.where !== where) {
      known = { id: upsertSeries.get(device, point, site, gateway, deviceType).id, where };
      created.set(key, known);
    }
    ids[i] = known.id;
  }
  const { index, ts, value, quality } = batch;
  for (let i = 0; i < ts.length; i += 1) {
    const v = value[i];
    // NaN stands for null: a stored value is otherwise always finite.
    insertSample.run(ids[index[i]], ts[i], Number.isNaN(v) ? null : v, quality[i]);
  }
}

/** Several batches in one transaction: one disk flush for all of them. */
const writeBatches = db.transaction((batches) => {
  const created = new Map();
  for (const batch of batches) writeBatch(batch, created);
  return created;
});

function reply(requests, error) {
  for (const request of requests) {
    parentPort.postMessage(error ? { id: request.id, ok: false, error } : { id: request.id, ok: true });
  }
}

parentPort.on('message', (first) => {
  // Writes that queued up while the last transaction ran share the next one (group commit).
  const writes = [];
  let close = null;
  for (let message = first; message; message = receiveMessageOnPort(parentPort)?.message) {
    if (message.type === 'close') {
      close = message;
      break;
    }
    writes.push(message);
  }
  if (writes.length > 0) {
    try {
      const created = writeBatches(writes.map((w) => w.batch));
      // Cached only once committed: a failed transaction created nothing.
      for (const [key, known] of created) seriesIds.set(key, known);
      reply(writes);
    } catch (err) {
      reply(writes, err instanceof Error ? err.message : String(err));
    }
  }
  if (close) {
    db.close();
    reply([close]);
    parentPort.close();
  }
});
parentPort.postMessage({ id: 0, ok: true });

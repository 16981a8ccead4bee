// The embedded store's writer, on its own thread: SQLite's B-tree work for every reading (about a
// microsecond each) then costs the broker's thread nothing. Plain JavaScript so the worker starts
// the same under tsx, vitest and plain node. Its messages are declared in sqlite-writer.ts.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { createRollups } from './sqlite-rollups.worker.js';

const { path, durability, levels, backfillChunkRows, retryMs, maxRetryMs } = workerData;
const db = new Database(path);
db.pragma('journal_mode = WAL');
db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
// The main thread's connection only reads; should it hold a lock a moment, wait rather than fail.
db.pragma('busy_timeout = 5000');
// A multi-row INSERT keeps a statement journal of the pages it touches twice; in memory, not in a
// temporary file (which cost more system time than the inserts themselves).
db.pragma('temp_store = MEMORY');

/**
 * Rows per INSERT statement: one call into SQLite places 32 rows (fewer calls across the N-API
 * boundary, one statement step); more measured no better.
 */
const ROWS_PER_INSERT = 32;
const insertSql = (rows) =>
  `INSERT OR REPLACE INTO samples (series, ts, value, quality) VALUES ${Array(rows).fill('(?, ?, ?, ?)').join(', ')}`;
const insertSample = db.prepare(insertSql(1));
const insertSamples = db.prepare(insertSql(ROWS_PER_INSERT));
const params = new Array(ROWS_PER_INSERT * 4);
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
const rollups = createRollups(db, levels);

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
  const order = bySeries(index, ids.length);
  const n = order.length;
  let i = 0;
  for (; i + ROWS_PER_INSERT <= n; i += ROWS_PER_INSERT) {
    for (let j = 0; j < ROWS_PER_INSERT; j += 1) {
      const k = order[i + j];
      const v = value[k];
      params[j * 4] = ids[index[k]];
      params[j * 4 + 1] = ts[k];
      // NaN stands for null: a stored value is otherwise always finite.
      params[j * 4 + 2] = Number.isNaN(v) ? null : v;
      params[j * 4 + 3] = quality[k];
    }
    insertSamples.run(params);
  }
  for (; i < n; i += 1) {
    const k = order[i];
    const v = value[k];
    insertSample.run(ids[index[k]], ts[k], Number.isNaN(v) ? null : v, quality[k]);
  }
  // Each series' readings are neighbours in `order`: summarise them series by series.
  try {
    inSavepoint(() => {
      for (let a = 0; a < n; ) {
        const series = index[order[a]];
        const rows = [];
        for (; a < n && index[order[a]] === series; a += 1) {
          const k = order[a];
          rows.push([ts[k], value[k], quality[k]]);
        }
        rollups.written(ids[series], rows);
      }
      rollups.flush();
    });
  } catch (err) {
    // The readings are kept; the summaries are rebuilt from every series' samples (queries read
    // the samples meanwhile), and the operator is told.
    rollups.forget();
    rollups.rebuild();
    summaryFailure = `summaries: ${err instanceof Error ? err.message : err}`;
  }
}

/** Nested in the write's transaction: a savepoint, so failed summaries undo only themselves. */
const inSavepoint = db.transaction((work) => work());
/** Why the summaries of the last transaction failed, told once it has committed. */
let summaryFailure = null;

/**
 * Reading positions grouped by series, each series in arrival order (a stable counting sort): a
 * series' rows are then neighbours in the (series, ts) key, and a later duplicate still wins.
 */
function bySeries(index, seriesCount) {
  const start = new Int32Array(seriesCount + 1);
  for (let i = 0; i < index.length; i += 1) start[index[i] + 1] += 1;
  for (let s = 0; s < seriesCount; s += 1) start[s + 1] += start[s];
  const order = new Int32Array(index.length);
  for (let i = 0; i < index.length; i += 1) order[start[index[i]]++] = i;
  return order;
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
    summaryFailure = null;
    try {
      const created = writeBatches(writes.map((w) => w.batch));
      // Cached only once committed: a failed transaction created nothing.
      for (const [key, known] of created) seriesIds.set(key, known);
      reply(writes);
      if (summaryFailure) {
        parentPort.postMessage({ id: -1, ok: false, error: summaryFailure });
        startBackfill();
      }
    } catch (err) {
      rollups.forget();
      reply(writes, err instanceof Error ? err.message : String(err));
    }
  }
  if (close) {
    closing = true;
    if (retryTimer) clearTimeout(retryTimer);
    db.close();
    reply([close]);
    parentPort.close();
  }
});

let closing = false;
/** Whether a backfill runs or waits to be tried again (one at a time). */
let backfilling = false;
let nextRetryMs = retryMs;
let retryTimer = null;

function startBackfill() {
  if (backfilling || closing) return;
  backfilling = true;
  setImmediate(backfill);
}

/**
 * Summarises samples a chunk at a time (an existing data directory, or after the summaries
 * failed), each chunk a turn of its own so writes queued meanwhile are taken between chunks:
 * ingest goes on while it runs. A failed chunk is tried again later, each time twice as late
 * (queries read the samples meanwhile); the main thread hears of every failure and of the end.
 */
function backfill() {
  retryTimer = null;
  if (closing) return;
  try {
    if (rollups.backfillStep(backfillChunkRows)) {
      setImmediate(backfill);
      return;
    }
    backfilling = false;
    nextRetryMs = retryMs;
    parentPort.postMessage({ id: -1, ok: true });
  } catch (err) {
    rollups.forget();
    parentPort.postMessage({
      id: -1,
      ok: false,
      error: `summaries: building them failed: ${err instanceof Error ? err.message : err}`,
    });
    retryTimer = setTimeout(backfill, nextRetryMs);
    nextRetryMs = Math.min(nextRetryMs * 2, maxRetryMs);
  }
}
if (rollups.building()) startBackfill();
parentPort.postMessage({ id: 0, ok: true });

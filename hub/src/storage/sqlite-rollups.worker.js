// The embedded store's summaries (rollups), kept by the writer thread in the same transaction as
// the samples they summarise, so a query never sees the two out of step. Plain JavaScript, like
// the writer it serves. The main thread reads them (sqlite.store.ts); the table is created there.

/** Summaries per INSERT statement, as the writer does with samples: fewer calls into SQLite. */
const ROWS_PER_UPSERT = 32;

/** Good and uncertain samples count; bad ones and nulls do not (as in the store's raw queries). */
const GOOD = 'quality != 2 AND value IS NOT NULL';

/** A bucket's summary as it grows, samples added oldest first. */
function emptySummary() {
  return {
    count: 0,
    sum: 0,
    min: 0,
    max: 0,
    firstTs: 0,
    first: 0,
    lastTs: 0,
    last: 0,
    inc: 0,
    q: NO_QUARTERS,
  };
}

/**
 * A top-level (hourly) summary also keeps the mean of each of its finest (15-minute) buckets,
 * the very `sum / count` of their rows: a coincident peak over a year then reads a quarter of the
 * rows (sqlite.store.ts). Null where a quarter has no good samples; none on finer levels.
 */
const NO_QUARTERS = [null, null, null, null];

/** A counter's increment from one reading to the next: a drop is a reset, the new value is the increment. */
function step(before, after) {
  return after >= before ? after - before : after;
}

function addSample(summary, ts, value) {
  if (summary.count === 0) {
    summary.firstTs = ts;
    summary.first = value;
    summary.min = value;
    summary.max = value;
  } else {
    summary.inc += step(summary.last, value);
    if (value < summary.min) summary.min = value;
    if (value > summary.max) summary.max = value;
  }
  summary.count += 1;
  summary.sum += value;
  summary.lastTs = ts;
  summary.last = value;
}

/** `older` followed by `newer` (every sample of `newer` after every sample of `older`). */
function append(older, newer) {
  return {
    count: older.count + newer.count,
    sum: older.sum + newer.sum,
    min: Math.min(older.min, newer.min),
    max: Math.max(older.max, newer.max),
    firstTs: older.firstTs,
    first: older.first,
    lastTs: newer.lastTs,
    last: newer.last,
    inc: older.inc + step(older.last, newer.first) + newer.inc,
    q: older.q,
  };
}

/**
 * Keeps the summaries of `levels` (bucket widths in ms, ascending; each divides the next, buckets
 * aligned to the epoch) for the writer's connection `db`.
 */
export function createRollups(db, levels) {
  const top = levels[levels.length - 1];
  const finest = levels[0];
  if (top / finest !== NO_QUARTERS.length)
    throw new Error('summaries: the top level must hold four of the finest');
  const select = db.prepare(
    'SELECT count, sum, min, max, first_ts, first, last_ts, last, inc, q0, q1, q2, q3 FROM rollups WHERE series = ? AND width = ? AND bucket = ?',
  );
  const upsertSql = (rows) =>
    `INSERT OR REPLACE INTO rollups (series, width, bucket, count, sum, min, max, first_ts, first, last_ts, last, inc, q0, q1, q2, q3)
     VALUES ${Array(rows).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`;
  const upsertOne = db.prepare(upsertSql(1));
  const upsertMany = db.prepare(upsertSql(ROWS_PER_UPSERT));
  /** Summaries to store at the end of a batch, 16 parameters each (a batch saves a bucket once). */
  const pending = [];
  const remove = db.prepare('DELETE FROM rollups WHERE series = ? AND width = ? AND bucket = ?');
  const samplesIn = db
    .prepare(`SELECT ts, value FROM samples WHERE series = ? AND ts >= ? AND ts < ? AND ${GOOD} ORDER BY ts`)
    .raw();
  const samplesFrom = db
    .prepare(`SELECT ts, value FROM samples WHERE series = ? AND ts >= ? AND ${GOOD} ORDER BY ts LIMIT ?`)
    .raw();
  const nextSeries = db.prepare('SELECT MIN(id) AS id FROM series WHERE id > ?');
  const removeSeries = db.prepare('DELETE FROM rollups WHERE series = ?');
  const readMeta = db.prepare("SELECT value FROM store_meta WHERE key = 'rollups'").pluck();
  const writeMeta = db.prepare("UPDATE store_meta SET value = ? WHERE key = 'rollups'");

  /**
   * The newest bucket of each series and level as stored, so the common case (readings arriving
   * in order) costs one write per series and level, no read. Cleared when a transaction fails.
   */
  const open = new Map();
  const openKey = (series, width) => series * 64 + levels.indexOf(width);

  function stored(series, width, bucket) {
    const cached = open.get(openKey(series, width));
    if (cached && cached.bucket === bucket) return cached.summary;
    const row = select.get(series, width, bucket);
    if (!row) return null;
    return {
      count: row.count,
      sum: row.sum,
      min: row.min,
      max: row.max,
      firstTs: row.first_ts,
      first: row.first,
      lastTs: row.last_ts,
      last: row.last,
      inc: row.inc,
      q: width === top ? [row.q0, row.q1, row.q2, row.q3] : NO_QUARTERS,
    };
  }

  function save(series, width, bucket, summary) {
    const key = openKey(series, width);
    const cached = open.get(key);
    if (summary.count === 0) {
      remove.run(series, width, bucket);
      if (cached && cached.bucket === bucket) open.delete(key);
      return;
    }
    const s = summary;
    pending.push(
      series,
      width,
      bucket,
      s.count,
      s.sum,
      s.min,
      s.max,
      s.firstTs,
      s.first,
      s.lastTs,
      s.last,
      s.inc,
      s.q[0],
      s.q[1],
      s.q[2],
      s.q[3],
    );
    if (!cached || cached.bucket <= bucket) open.set(key, { bucket, summary });
  }

  /** Stores the summaries saved since the last flush; the writer calls it at the end of each batch. */
  function flush() {
    const per = 16;
    const n = pending.length / per;
    let i = 0;
    for (; i + ROWS_PER_UPSERT <= n; i += ROWS_PER_UPSERT) {
      upsertMany.run(pending.slice(i * per, (i + ROWS_PER_UPSERT) * per));
    }
    for (; i < n; i += 1) upsertOne.run(pending.slice(i * per, (i + 1) * per));
    pending.length = 0;
  }

  function recompute(series, width, bucket) {
    const summary = emptySummary();
    for (const [ts, value] of samplesIn.all(series, bucket, bucket + width)) addSample(summary, ts, value);
    return summary;
  }

  /**
   * The top-level summary's quarter means: those of the finest buckets this write summarised
   * (`finer`: bucket to summary), the rest as they were.
   */
  function withQuarters(summary, bucket, before, finer) {
    const q = NO_QUARTERS.map((_, i) => {
      const quarter = finer.get(bucket + i * finest);
      if (quarter === undefined) return before ? before.q[i] : null;
      return quarter.count > 0 ? quarter.sum / quarter.count : null;
    });
    return { ...summary, q };
  }

  /**
   * One series' readings of a write, already stored: `rows` are [ts, value (NaN for null), quality]
   * in arrival order. Buckets the readings only add to (the usual case: newer than the bucket's
   * newest good sample) are extended from the readings alone; any other touched bucket (a late
   * reading, a replaced one) is summarised again from its stored samples.
   */
  function written(series, rows) {
    // Stable: among readings of one timestamp the later one is stored (INSERT OR REPLACE), so
    // the last of each run of equal timestamps is the one kept.
    rows.sort((a, b) => a[0] - b[0]);
    const kept = [];
    for (let i = 0; i < rows.length; i += 1) {
      if (i + 1 < rows.length && rows[i + 1][0] === rows[i][0]) continue;
      kept.push(rows[i]);
    }
    /** The finest level's summaries as this write left them, for the top level's quarters. */
    const finer = new Map();
    for (const width of levels) {
      let i = 0;
      while (i < kept.length) {
        const bucket = Math.floor(kept[i][0] / width) * width;
        const firstTs = kept[i][0];
        const added = emptySummary();
        for (; i < kept.length && kept[i][0] < bucket + width; i += 1) {
          const [ts, value, quality] = kept[i];
          if (quality !== 2 && !Number.isNaN(value)) addSample(added, ts, value);
        }
        const before = stored(series, width, bucket);
        let summary = null;
        if (before && firstTs <= before.lastTs) summary = recompute(series, width, bucket);
        else if (added.count > 0) summary = before ? append(before, added) : added;
        if (summary === null) continue;
        if (width === finest) finer.set(bucket, summary);
        if (width === top) summary = withQuarters(summary, bucket, before, finer);
        save(series, width, bucket, summary);
      }
    }
  }

  function state() {
    const value = readMeta.get();
    return value ? JSON.parse(value) : null;
  }

  /**
   * Summarises a run of one series' existing samples (an existing data directory, at start):
   * about `chunkRows` good samples from the cursor, cut at a top-level bucket boundary so every
   * bucket is summarised whole. Runs in its own transaction; readings written meanwhile land
   * either before (and are read here) or after (and extend what was written here).
   * Returns false once every series is done.
   */
  const backfillStep = db.transaction((chunkRows) => {
    const current = state();
    if (current?.state !== 'building') return false;
    let { series, from } = current.cursor ?? { series: -1, from: null };
    if (series < 0) {
      const first = nextSeries.get(-1)?.id;
      if (first == null) {
        writeMeta.run(JSON.stringify({ state: 'ready', levels }));
        return false;
      }
      series = first;
    }
    // A series begun afresh loses what it had: a bucket summarised before may have no good
    // samples now (after failed summaries), and the rest is written again below.
    if (from === null) removeSeries.run(series);
    let rows = samplesFrom.all(series, from ?? Number.MIN_SAFE_INTEGER, chunkRows);
    let end = null;
    if (rows.length === chunkRows) {
      const startBucket = Math.floor(rows[0][0] / top) * top;
      end = Math.floor(rows[rows.length - 1][0] / top) * top;
      // One top-level bucket holds more than a chunk: take that bucket whole.
      if (end <= startBucket) {
        end = startBucket + top;
        rows = samplesIn.all(series, startBucket, end);
      }
    }
    if (rows.length > 0) {
      // Whole top-level buckets: the finest buckets of each are all among these rows.
      const finer = new Map();
      for (const width of levels) {
        let summary = null;
        let bucket = 0;
        const done = () => {
          if (width === finest) finer.set(bucket, summary);
          save(series, width, bucket, width === top ? withQuarters(summary, bucket, null, finer) : summary);
        };
        for (const [ts, value] of rows) {
          if (end !== null && ts >= end) break;
          const b = Math.floor(ts / width) * width;
          if (summary && b !== bucket) done();
          if (!summary || b !== bucket) {
            summary = emptySummary();
            bucket = b;
          }
          addSample(summary, ts, value);
        }
        if (summary) done();
      }
      flush();
    }
    for (const width of levels) open.delete(openKey(series, width));
    if (end !== null) {
      writeMeta.run(JSON.stringify({ state: 'building', levels, cursor: { series, from: end } }));
      return true;
    }
    const next = nextSeries.get(series)?.id;
    if (next == null) {
      writeMeta.run(JSON.stringify({ state: 'ready', levels }));
      return false;
    }
    writeMeta.run(JSON.stringify({ state: 'building', levels, cursor: { series: next, from: null } }));
    return true;
  });

  return {
    written,
    flush,
    backfillStep,
    building: () => state()?.state === 'building',
    /** Marks every summary to be built again from the samples (in the caller's transaction). */
    rebuild: () => writeMeta.run(JSON.stringify({ state: 'building', levels })),
    /** After a failed transaction: what the cache holds may not have been committed. */
    forget: () => {
      open.clear();
      pending.length = 0;
    },
  };
}

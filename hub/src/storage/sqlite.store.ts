import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { HealthCheck, HistoryPoint, Quality } from '@caretaker/protocol';
import Database from 'better-sqlite3';
import { QUALITY_CODES, ROLLUP_LEVELS, SqliteWriter } from './sqlite-writer.js';
import type {
  AggregateBucket,
  AggregateQuery,
  CounterBucket,
  HistoryQuery,
  LatestReading,
  Peak,
  PeaksAnswer,
  PeaksQuery,
  ReadingsToStore,
  StoredDevice,
  StoredReading,
  TimeSeriesStore,
} from './time-series-store.js';
import { devicesFromSeries, toStoredReadings } from './time-series-store.js';

const QUALITIES: Quality[] = ['good', 'uncertain', 'bad'];
/** Bucket number of a sample; better-sqlite3 binds JS numbers as REAL, so it is cast back. */
const BUCKET = 'CAST((ts - @from) / @width AS INTEGER)';
/** Good and uncertain samples of one series in [from, to]. */
const GOOD_SAMPLES_IN_RANGE =
  'series = @id AND ts >= @from AND ts <= @to AND quality != 2 AND value IS NOT NULL';
/**
 * Each point's newest sample of one device: per series, one descent of the (series, ts) key to
 * its largest ts (SQLite's min/max optimisation), so the cost grows with the device's points, not
 * with its history.
 */
export const LATEST_OF_DEVICE_SQL = `SELECT s.point AS point, x.ts AS ts, x.value AS value, x.quality AS quality
  FROM series s JOIN samples x ON x.series = s.id
    AND x.ts = (SELECT MAX(ts) FROM samples WHERE series = s.id)
  WHERE s.device = ? ORDER BY s.point`;

/**
 * Buckets a group may have within the rounding tolerance of its highest (re-added exactly one by
 * one); more (flat readings, all equal) and the caller reads the buckets instead.
 */
const MAX_PEAK_CANDIDATES = 64;
/**
 * SQLite adds a bucket's means in its own order, the caller in the groups'; the two sums differ
 * by a few units in the last place of the magnitudes added, far below this share of them.
 */
const PEAK_TOLERANCE = 1e-9;

/**
 * The hours holding each group's highest sum of 15-minute means, and every hour within the
 * tolerance of it, by SQLite from the hourly summaries' quarter means (a quarter of the rows the
 * 15-minute level has). Parameters: the groups as `(series, group)` rows in place of GROUPS, then
 * the hourly width and the range of hours. The peak of all groups together is group -1.
 */
const PEAK_CANDIDATES_SQL = `WITH g(series, grp) AS (VALUES GROUPS),
  sums AS MATERIALIZED (
    SELECT g.grp AS grp, r.bucket AS bucket,
      SUM(r.q0) AS d0, SUM(r.q1) AS d1, SUM(r.q2) AS d2, SUM(r.q3) AS d3,
      SUM(ABS(IFNULL(r.q0, 0)) + ABS(IFNULL(r.q1, 0)) + ABS(IFNULL(r.q2, 0)) + ABS(IFNULL(r.q3, 0))) AS mag
    FROM g JOIN rollups r ON r.series = g.series AND r.width = ? AND r.bucket >= ? AND r.bucket < ?
    GROUP BY g.grp, r.bucket),
  every AS MATERIALIZED (
    SELECT grp, bucket, d0, d1, d2, d3, mag FROM sums
    UNION ALL
    SELECT -1, bucket, SUM(d0), SUM(d1), SUM(d2), SUM(d3), SUM(mag) FROM sums GROUP BY bucket),
  highs AS MATERIALIZED (
    SELECT grp, bucket, mag,
      MAX(IFNULL(d0, -1e308), IFNULL(d1, -1e308), IFNULL(d2, -1e308), IFNULL(d3, -1e308)) AS demand
    FROM every),
  tops AS (SELECT grp, MAX(demand) AS top, MAX(mag) AS mag FROM highs GROUP BY grp)
SELECT h.grp, h.bucket FROM highs h JOIN tops t ON t.grp = h.grp
WHERE h.demand >= t.top - t.mag * ${PEAK_TOLERANCE}
ORDER BY h.grp, h.bucket`;

/** The few lines the store logs (pino's shape). */
export interface StoreLog {
  warn(detail: object, message: string): void;
  info(detail: object, message: string): void;
}

/** Good samples of one bucket, summarised (a stored rollup row or a single sample). */
interface Summary {
  count: number;
  sum: number;
  min: number;
  max: number;
  firstTs: number;
  first: number;
  lastTs: number;
  last: number;
}

function merge(into: Summary, s: Summary): void {
  into.count += s.count;
  into.sum += s.sum;
  if (s.min < into.min) into.min = s.min;
  if (s.max > into.max) into.max = s.max;
  if (s.firstTs < into.firstTs) {
    into.firstTs = s.firstTs;
    into.first = s.first;
  }
  if (s.lastTs > into.lastTs) {
    into.lastTs = s.lastTs;
    into.last = s.last;
  }
}

/**
 * The summary level that answers buckets of `width` from `from`: the coarsest whose buckets tile
 * the query's exactly (only the range's end can be ragged), else the coarsest of which a query
 * bucket spans at least four (the one it shares with its neighbour is read from the samples: a
 * device page's 500 buckets of any width), else none (the samples answer).
 */
export function rollupLevelFor(from: number, width: number): number | undefined {
  for (let i = ROLLUP_LEVELS.length - 1; i >= 0; i -= 1) {
    const level = ROLLUP_LEVELS[i] as number;
    if (width % level === 0 && ((from % level) + level) % level === 0) return level;
  }
  for (let i = ROLLUP_LEVELS.length - 1; i >= 0; i -= 1) {
    const level = ROLLUP_LEVELS[i] as number;
    if (width >= 4 * level) return level;
  }
  return undefined;
}

/**
 * The embedded store: SQLite through better-sqlite3, one file under the data directory, so
 * the hub runs with nothing else installed. Like a time-series engine it keeps each series
 * (device + point, with its site, gateway and type) once and samples as (series, ts, value,
 * quality) rows clustered by series and time (WITHOUT ROWID), so a year of readings stays
 * compact and a range query reads contiguous pages. Writes run on a thread of their own
 * (sqlite-writer.ts) with a second connection; WAL mode lets this one answer queries meanwhile.
 * Every statement is prepared once and parameterised. The writer also keeps per-series summaries
 * (sqlite-rollups.worker.js) from which the bucket queries answer at the cost of their buckets,
 * not of their readings.
 */
export class SqliteStore implements TimeSeriesStore {
  readonly kind = 'sqlite';
  private db: Database.Database | null = null;
  private statements: {
    insertSample: Database.Statement;
    insertSeries: Database.Statement;
    findSeries: Database.Statement;
    rollupState: Database.Statement;
  } | null = null;
  /** Series ids by device and point; a series, once created, keeps its id. */
  private readonly seriesIds = new Map<string, number>();
  private writer: SqliteWriter | null = null;
  /** Since when keeping or building the summaries fails, and its latest error. */
  private summaryProblem: { error: string; since: number } | null = null;
  private rollupQueries: {
    aggregates: Database.Statement;
    counters: Database.Statement;
    samples: Database.Statement;
    one: Database.Statement;
    quarters: Database.Statement;
  } | null = null;
  /** How queries were answered since the store opened (tests and the bench read it). */
  readonly answered = { fromRollups: 0, fromSamples: 0 };

  /** `full` syncs every commit to disk (survives power loss); `normal` survives a killed process. */
  constructor(
    private readonly path: string,
    private readonly durability: 'full' | 'normal' = 'full',
    private readonly options: {
      /** Good samples summarised per transaction when building summaries for existing samples. */
      backfillChunkRows?: number;
      /** false: queries read the samples only (the writer still keeps the summaries); to compare. */
      rollups?: boolean;
      /** How soon building the summaries is tried again after it failed (default 30 s, doubling). */
      summaryRetryMs?: number;
      /** Where a failure of the summaries is logged (once, and once when they are built again). */
      log?: StoreLog;
      now?: () => number;
    } = {},
  ) {}

  /**
   * The summaries' check for /healthz: failing (not ok) from the first failure until they are
   * built again, with the latest error and since when; building while a data directory from
   * before them is summarised (ok: queries read the samples meanwhile).
   */
  checks(): Record<string, HealthCheck> {
    if (!this.writer) return {};
    const problem = this.summaryProblem;
    return {
      store_summaries: {
        ok: problem === null,
        state: problem ? 'failing' : this.summariesReady() ? 'ready' : 'building',
        error: problem?.error ?? null,
        since: problem?.since ?? null,
      },
    };
  }

  private summariesChanged(error: string | null): void {
    const { log } = this.options;
    const problem = this.summaryProblem;
    if (error === null) {
      if (problem) log?.info({ failing_since: problem.since }, 'store summaries built again');
      this.summaryProblem = null;
    } else if (problem) {
      problem.error = error;
    } else {
      this.summaryProblem = { error, since: (this.options.now ?? Date.now)() };
      log?.warn({ error }, 'store summaries failed: queries read the samples until they are built again');
    }
  }

  /**
   * Marks the summaries to be built from the samples (by the writer thread, at its start) when
   * the data directory has samples but no summaries of today's levels: one made before them, or
   * by a version with other levels.
   */
  private prepareRollups(db: Database.Database): void {
    db.transaction(() => {
      const value = db.prepare("SELECT value FROM store_meta WHERE key = 'rollups'").pluck().get() as
        | string
        | undefined;
      const levels = value ? (JSON.parse(value) as { levels?: number[] }).levels : undefined;
      if (levels && levels.join() === ROLLUP_LEVELS.join()) return;
      db.prepare('DELETE FROM rollups').run();
      const empty = db.prepare('SELECT 1 FROM samples LIMIT 1').get() === undefined;
      db.prepare("INSERT OR REPLACE INTO store_meta (key, value) VALUES ('rollups', ?)").run(
        JSON.stringify({ state: empty ? 'ready' : 'building', levels: ROLLUP_LEVELS }),
      );
    }).immediate();
  }

  /**
   * Whether queries are answered from the summaries: once the writer thread has built them for an
   * existing data directory (until then, and for an in-memory store, from the samples).
   */
  async rollupsReady(): Promise<boolean> {
    return this.summariesReady();
  }

  /**
   * Read at every query, not remembered: the writer thread marks the summaries to be built again
   * when keeping them fails, and no query may read them from then on.
   */
  private summariesReady(): boolean {
    if (!this.writer || this.options.rollups === false) return false;
    const value = this.requireStatements().rollupState.get() as string | undefined;
    return value !== undefined && (JSON.parse(value) as { state: string }).state === 'ready';
  }

  async init(): Promise<void> {
    if (this.path !== ':memory:') mkdirSync(dirname(this.path), { recursive: true });
    const db = new Database(this.path);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${this.durability === 'full' ? 'FULL' : 'NORMAL'}`);
    db.exec(`
      CREATE TABLE IF NOT EXISTS series (
        id INTEGER PRIMARY KEY,
        device TEXT NOT NULL,
        point TEXT NOT NULL,
        site TEXT NOT NULL,
        gateway TEXT NOT NULL,
        device_type TEXT NOT NULL,
        UNIQUE (device, point)
      );
      CREATE TABLE IF NOT EXISTS samples (
        series INTEGER NOT NULL REFERENCES series (id),
        ts INTEGER NOT NULL,
        value REAL,
        quality INTEGER NOT NULL,
        PRIMARY KEY (series, ts)
      ) WITHOUT ROWID;
      -- Per series and bucket (width in ms, aligned to the epoch): the good samples' summary,
      -- kept by the writer thread in the samples' own transaction.
      CREATE TABLE IF NOT EXISTS rollups (
        series INTEGER NOT NULL,
        width INTEGER NOT NULL,
        bucket INTEGER NOT NULL,
        count INTEGER NOT NULL,
        sum REAL NOT NULL,
        min REAL NOT NULL,
        max REAL NOT NULL,
        first_ts INTEGER NOT NULL,
        first REAL NOT NULL,
        last_ts INTEGER NOT NULL,
        last REAL NOT NULL,
        -- Sum of the counter's increments between the bucket's samples (a drop is a reset).
        inc REAL NOT NULL,
        -- Hourly rows: the mean of each 15-minute quarter (its row's sum / count), for peaks.
        q0 REAL, q1 REAL, q2 REAL, q3 REAL,
        PRIMARY KEY (series, width, bucket)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    const columns = (db.prepare('PRAGMA table_info(rollups)').all() as Array<{ name: string }>).map(
      (c) => c.name,
    );
    if (!columns.includes('q0')) {
      // Summaries from before the quarter means: the columns added, the summaries built again.
      db.transaction(() => {
        for (const q of ['q0', 'q1', 'q2', 'q3']) db.exec(`ALTER TABLE rollups ADD COLUMN ${q} REAL`);
        db.prepare("DELETE FROM store_meta WHERE key = 'rollups'").run();
      }).immediate();
    }
    if (this.path !== ':memory:') this.prepareRollups(db);
    this.statements = {
      insertSample: db.prepare(
        'INSERT OR REPLACE INTO samples (series, ts, value, quality) VALUES (?, ?, ?, ?)',
      ),
      insertSeries: db.prepare(
        `INSERT INTO series (device, point, site, gateway, device_type) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (device, point) DO UPDATE SET site = excluded.site, gateway = excluded.gateway,
           device_type = excluded.device_type
         RETURNING id`,
      ),
      findSeries: db.prepare('SELECT id FROM series WHERE device = ? AND point = ?'),
      rollupState: db.prepare("SELECT value FROM store_meta WHERE key = 'rollups'").pluck(),
    };
    this.db = db;
    // An in-memory database cannot be shared with another thread: it is written here.
    if (this.path !== ':memory:') {
      this.writer = new SqliteWriter({
        path: this.path,
        durability: this.durability,
        ...(this.options.backfillChunkRows ? { backfillChunkRows: this.options.backfillChunkRows } : {}),
        ...(this.options.summaryRetryMs ? { summaryRetryMs: this.options.summaryRetryMs } : {}),
        onSummaries: (error) => this.summariesChanged(error),
      });
      await this.writer.start();
    }
  }

  write(readings: readonly StoredReading[]): Promise<void> {
    return this.writeRows(readings);
  }

  writeDurably(readings: ReadingsToStore): Promise<void> {
    return this.writeRows(readings);
  }

  private async writeRows(readings: ReadingsToStore): Promise<void> {
    this.open();
    if (this.writer) return this.writer.write(readings);
    this.writeHere(toStoredReadings(readings));
  }

  private writeHere(readings: readonly StoredReading[]): void {
    const db = this.open();
    const { insertSample, insertSeries } = this.requireStatements();
    db.transaction((rows: readonly StoredReading[]) => {
      for (const row of rows) {
        const key = `${row.device}\u0000${row.point}`;
        let id = this.seriesIds.get(key);
        if (id === undefined) {
          id = (
            insertSeries.get(row.device, row.point, row.site, row.gateway, row.device_type) as { id: number }
          ).id;
          this.seriesIds.set(key, id);
        }
        insertSample.run(id, row.ts, row.value, QUALITY_CODES[row.quality]);
      }
    })(readings);
  }

  async history(query: HistoryQuery): Promise<HistoryPoint[]> {
    const id = this.findSeries(query.device, query.point);
    if (id === undefined) return [];
    const rows = this.open()
      .prepare(
        'SELECT ts, value, quality FROM samples WHERE series = ? AND ts >= ? AND ts <= ? ORDER BY ts LIMIT ?',
      )
      .all(id, query.from, query.to, query.limit) as Array<{
      ts: number;
      value: number | null;
      quality: number;
    }>;
    return rows.map((row) => ({ ts: row.ts, value: row.value, quality: QUALITIES[row.quality] ?? 'bad' }));
  }

  async aggregate(query: AggregateQuery): Promise<AggregateBucket[]> {
    const summaries = this.fromRollups(query, 'aggregate', (ts, b) => ({
      ts,
      mean: b.sum / b.count,
      min: b.min,
      max: b.max,
      count: b.count,
    }));
    if (summaries) return summaries;
    return this.bucketed<Omit<AggregateBucket, 'ts'>>(
      query,
      `SELECT ${BUCKET} AS bucket, AVG(value) AS mean, MIN(value) AS min, MAX(value) AS max, COUNT(value) AS count
       FROM samples WHERE ${GOOD_SAMPLES_IN_RANGE}
       GROUP BY bucket ORDER BY bucket`,
    );
  }

  async counterBuckets(query: AggregateQuery): Promise<CounterBucket[]> {
    const summaries = this.fromRollups(query, 'counter', (ts, b) => ({
      ts,
      first: b.first,
      last: b.last,
      min: b.min,
      max: b.max,
    }));
    if (summaries) return summaries;
    return this.bucketed<Omit<CounterBucket, 'ts'>>(
      query,
      `SELECT bucket, MIN(first) AS first, MIN(last) AS last, MIN(min) AS min, MIN(max) AS max FROM (
         SELECT ${BUCKET} AS bucket,
                FIRST_VALUE(value) OVER w AS first, LAST_VALUE(value) OVER w AS last,
                MIN(value) OVER w AS min, MAX(value) OVER w AS max
         FROM samples WHERE ${GOOD_SAMPLES_IN_RANGE}
         WINDOW w AS (PARTITION BY ${BUCKET} ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
       ) GROUP BY bucket ORDER BY bucket`,
    );
  }

  /**
   * A query's buckets from the summaries of `rollupLevelFor`'s level: every summary bucket that
   * lies inside one of the query's buckets is taken whole; the samples of the rest (a range that
   * starts or ends inside a summary bucket, a summary bucket across two of the query's) are read
   * one by one. null when the summaries cannot answer (no level fits, not built yet).
   */
  private fromRollups<T>(
    query: AggregateQuery,
    kind: 'aggregate' | 'counter',
    shape: (ts: number, bucket: Summary) => T,
  ): T[] | null {
    const { from, to, bucketMs: width } = query;
    const level = rollupLevelFor(from, width);
    if (level === undefined || to < from || !this.summariesReady()) {
      this.answered.fromSamples += 1;
      return null;
    }
    this.answered.fromRollups += 1;
    const id = this.findSeries(query.device, query.point);
    if (id === undefined) return [];
    const db = this.open();
    const statements = this.rollupStatements(db);
    const { samples } = statements;
    const summaries = kind === 'aggregate' ? statements.aggregates : statements.counters;
    const lo = Math.ceil(from / level) * level;
    const hi = Math.floor((to + 1) / level) * level;
    // One read transaction: summaries and samples from the same snapshot of the writer's commits.
    return db.transaction(() => {
      const rows = (hi > lo ? summaries.all(id, level, lo, hi) : []) as number[][];
      // The samples of the ragged parts first (a few summary buckets' worth), by query bucket.
      const ragged = new Map<number, Summary>();
      const readSamples = (start: number, end: number) => {
        for (const [ts, value] of samples.all(id, start, end) as Array<[number, number]>) {
          const k = Math.floor((ts - from) / width);
          const into = ragged.get(k);
          const one = {
            count: 1,
            sum: value,
            min: value,
            max: value,
            firstTs: ts,
            first: value,
            lastTs: ts,
            last: value,
          };
          if (into) merge(into, one);
          else ragged.set(k, one);
        }
      };
      if (hi <= lo) readSamples(from, to);
      else {
        if (from < lo) readSamples(from, lo - 1);
        if (hi <= to) readSamples(hi, to);
      }
      const summaryOf = (row: number[], bucket: number): Summary => {
        // Only the columns the query needs are read (half the cost of a year of 15-minute rows);
        // the bucket's bounds stand in for its first and last times, as no sample merged with
        // it lies inside it.
        const [, a, b, min, max] = row as [number, number, number, number, number];
        return kind === 'aggregate'
          ? { count: a, sum: b, min, max, firstTs: bucket, first: 0, lastTs: bucket + level - 1, last: 0 }
          : { count: 0, sum: 0, min, max, firstTs: bucket, first: a, lastTs: bucket + level - 1, last: b };
      };
      // Summary rows come in bucket order, so each query bucket's rows are neighbours.
      const out: Array<{ k: number; summary: Summary }> = [];
      let current: { k: number; summary: Summary } | null = null;
      for (const row of rows) {
        const bucket = row[0] as number;
        const k = Math.floor((bucket - from) / width);
        if (k !== Math.floor((bucket + level - 1 - from) / width)) {
          readSamples(bucket, bucket + level - 1);
          continue;
        }
        const summary = summaryOf(row, bucket);
        if (current && current.k === k) merge(current.summary, summary);
        else {
          current = { k, summary };
          out.push(current);
        }
      }
      for (const entry of out) {
        const extra = ragged.get(entry.k);
        if (extra) {
          merge(entry.summary, extra);
          ragged.delete(entry.k);
        }
      }
      // Query buckets with samples only in ragged parts.
      if (ragged.size > 0) {
        for (const [k, summary] of ragged) out.push({ k, summary });
        out.sort((x, y) => x.k - y.k);
      }
      return out.map(({ k, summary }) => shape(from + k * width, summary));
    })();
  }

  /**
   * Coincident peaks from the 15-minute summaries: SQLite adds each group's means bucket by bucket
   * and keeps the buckets at (or within rounding of) the highest; those few are added again here
   * in the caller's order, so the answer is the very number adding `aggregate`'s means gives. The
   * ragged last bucket (a range that ends now) is read from its samples, as `aggregate` does.
   * Undefined where it cannot answer: buckets other than the summaries' or not aligned with them,
   * summaries not built, flat readings with too many equal buckets.
   */
  async peaks(query: PeaksQuery): Promise<PeaksAnswer | undefined> {
    const level = ROLLUP_LEVELS[0] as number;
    const hour = ROLLUP_LEVELS[ROLLUP_LEVELS.length - 1] as number;
    const { from, to, bucketMs } = query;
    if (bucketMs !== level || ((from % level) + level) % level !== 0 || to < from) return undefined;
    if (!this.summariesReady()) return undefined;
    const ids = (list: ReadonlyArray<{ device: string; point: string }>) =>
      list.map((s) => this.findSeries(s.device, s.point)).filter((id): id is number => id !== undefined);
    const groups = query.groups.map(ids);
    const all = ids(query.all);
    const members = groups.flat();
    if (new Set(members).size !== members.length || new Set(all).size !== members.length) return undefined;
    if (members.length === 0) return { groups: groups.map(() => null), all: null };
    const db = this.open();
    // Whole windows [from, end), of which whole hours [hourFrom, hourTo) are read from the hourly
    // summaries, the windows before and after them one by one; a window cut by `to` from its samples.
    const end = Math.floor((to + 1) / level) * level;
    const hourFrom = Math.ceil(from / hour) * hour;
    const hourTo = Math.max(hourFrom, Math.floor(end / hour) * hour);
    const edges: number[] = [];
    for (let w = from; w < Math.min(hourFrom, end); w += level) edges.push(w);
    for (let w = Math.max(hourTo, from); w < end; w += level) edges.push(w);
    const { one, quarters, samples } = this.rollupStatements(db);

    return db.transaction((): PeaksAnswer | undefined => {
      const candidates = new Map<number, number[]>();
      if (hourTo > hourFrom) {
        const pairs = groups.flatMap((list, g) => list.map((id) => [id, g]));
        const rows = db
          .prepare(PEAK_CANDIDATES_SQL.replace('GROUPS', pairs.map(() => '(?, ?)').join(', ')))
          .raw()
          .all(...pairs.flat(), hour, hourFrom, hourTo) as Array<[number, number]>;
        for (const [g, bucket] of rows) {
          const list = candidates.get(g) ?? [];
          list.push(bucket);
          candidates.set(g, list);
        }
      }
      if ([...candidates.values()].some((list) => list.length > MAX_PEAK_CANDIDATES)) return undefined;
      // The ragged last window: each series' mean of its samples, added as aggregate's would be.
      const ragged = new Map<number, number>();
      if (end <= to) {
        for (const id of members) {
          let sum = 0;
          let count = 0;
          for (const [, value] of samples.all(id, end, to) as Array<[number, number]>) {
            sum += value;
            count += 1;
          }
          if (count > 0) ragged.set(id, sum / count);
        }
      }
      // Each window's sum added again in the caller's order, as adding aggregate's means would.
      const peakOf = (series: readonly number[], hours: readonly number[]): Peak | null => {
        let best: Peak | null = null;
        const consider = (ts: number, value: number) => {
          if (!best || value > best.value || (value === best.value && ts < best.ts)) best = { ts, value };
        };
        const sums = new Map<number, number>();
        const add = (ts: number, mean: number | null) => {
          if (mean !== null) sums.set(ts, (sums.get(ts) ?? 0) + mean);
        };
        for (const id of series) {
          for (const bucket of hours) {
            const q = quarters.get(id, hour, bucket) as Array<number | null> | undefined;
            for (let i = 0; q && i < q.length; i += 1) add(bucket + i * level, q[i] ?? null);
          }
          for (const w of edges) {
            const row = one.get(id, level, w) as { sum: number; count: number } | undefined;
            if (row) add(w, row.sum / row.count);
          }
          add(end, ragged.get(id) ?? null);
        }
        for (const [ts, value] of sums) consider(ts, value);
        return best;
      };
      return {
        groups: groups.map((series, g) => peakOf(series, candidates.get(g) ?? [])),
        all: peakOf(all, candidates.get(-1) ?? []),
      };
    })();
  }

  private rollupStatements(db: Database.Database): NonNullable<SqliteStore['rollupQueries']> {
    const range = 'WHERE series = ? AND width = ? AND bucket >= ? AND bucket < ? ORDER BY bucket';
    this.rollupQueries ??= {
      aggregates: db.prepare(`SELECT bucket, count, sum, min, max FROM rollups ${range}`).raw(),
      counters: db.prepare(`SELECT bucket, first, last, min, max FROM rollups ${range}`).raw(),
      samples: db
        .prepare(
          'SELECT ts, value FROM samples WHERE series = ? AND ts >= ? AND ts <= ? AND quality != 2 AND value IS NOT NULL ORDER BY ts',
        )
        .raw(),
      one: db.prepare('SELECT sum, count FROM rollups WHERE series = ? AND width = ? AND bucket = ?'),
      quarters: db
        .prepare('SELECT q0, q1, q2, q3 FROM rollups WHERE series = ? AND width = ? AND bucket = ?')
        .raw(),
    };
    return this.rollupQueries;
  }

  /** Runs a per-bucket query (parameters @id, @from, @to, @width) and dates each bucket. */
  private async bucketed<T extends object>(
    query: AggregateQuery,
    sql: string,
  ): Promise<Array<T & { ts: number }>> {
    const id = this.findSeries(query.device, query.point);
    if (id === undefined) return [];
    const rows = this.open()
      .prepare(sql)
      .all({ id, from: query.from, to: query.to, width: query.bucketMs }) as Array<T & { bucket: number }>;
    return rows.map(({ bucket, ...stats }) => ({
      ...(stats as T),
      ts: query.from + bucket * query.bucketMs,
    }));
  }

  async latest(device: string): Promise<LatestReading[]> {
    const rows = this.open().prepare(LATEST_OF_DEVICE_SQL).all(device) as Array<{
      point: string;
      ts: number;
      value: number | null;
      quality: number;
    }>;
    return rows.map((r) => ({
      point: r.point,
      ts: r.ts,
      value: r.value,
      quality: QUALITIES[r.quality] ?? 'bad',
    }));
  }

  async latestAll(): Promise<StoredDevice[]> {
    // Per series, its newest sample through the (series, ts) key: no scan of the samples.
    const rows = this.open()
      .prepare(
        `SELECT s.site, s.gateway, s.device, s.device_type, s.point, x.ts, x.value, x.quality
         FROM series s JOIN samples x ON x.series = s.id
           AND x.ts = (SELECT MAX(ts) FROM samples WHERE series = s.id)`,
      )
      .all() as Array<
      Omit<StoredDevice, 'latest'> & { point: string; ts: number; value: number | null; quality: number }
    >;
    return devicesFromSeries(rows.map((r) => ({ ...r, quality: QUALITIES[r.quality] ?? 'bad' })));
  }

  async ping(): Promise<void> {
    this.open().prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    const writer = this.writer;
    this.writer = null;
    await writer?.close();
    this.db?.close();
    this.db = null;
    this.statements = null;
    this.rollupQueries = null;
    this.seriesIds.clear();
  }

  private findSeries(device: string, point: string): number | undefined {
    const cached = this.seriesIds.get(`${device}\u0000${point}`);
    if (cached !== undefined) return cached;
    const row = this.requireStatements().findSeries.get(device, point) as { id: number } | undefined;
    if (row) this.seriesIds.set(`${device}\u0000${point}`, row.id);
    return row?.id;
  }

  private requireStatements(): NonNullable<SqliteStore['statements']> {
    if (!this.statements) throw new Error('SQLite store is not initialised (call init() first)');
    return this.statements;
  }

  private open(): Database.Database {
    if (!this.db) throw new Error('SQLite store is not initialised (call init() first)');
    return this.db;
  }
}

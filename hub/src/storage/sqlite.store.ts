import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { HistoryPoint, Quality } from '@caretaker/protocol';
import Database from 'better-sqlite3';
import { QUALITY_CODES, SqliteWriter } from './sqlite-writer.js';
import type {
  AggregateBucket,
  AggregateQuery,
  CounterBucket,
  HistoryQuery,
  LatestReading,
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
 * The embedded store: SQLite through better-sqlite3, one file under the data directory, so
 * the hub runs with nothing else installed. Like a time-series engine it keeps each series
 * (device + point, with its site, gateway and type) once and samples as (series, ts, value,
 * quality) rows clustered by series and time (WITHOUT ROWID), so a year of readings stays
 * compact and a range query reads contiguous pages. Writes run on a thread of their own
 * (sqlite-writer.ts) with a second connection; WAL mode lets this one answer queries meanwhile.
 * Every statement is prepared once and parameterised.
 */
export class SqliteStore implements TimeSeriesStore {
  readonly kind = 'sqlite';
  private db: Database.Database | null = null;
  private statements: {
    insertSample: Database.Statement;
    insertSeries: Database.Statement;
    findSeries: Database.Statement;
  } | null = null;
  /** Series ids by device and point; a series, once created, keeps its id. */
  private readonly seriesIds = new Map<string, number>();
  private writer: SqliteWriter | null = null;

  /** `full` syncs every commit to disk (survives power loss); `normal` survives a killed process. */
  constructor(
    private readonly path: string,
    private readonly durability: 'full' | 'normal' = 'full',
  ) {}

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
    `);
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
    };
    this.db = db;
    // An in-memory database cannot be shared with another thread: it is written here.
    if (this.path !== ':memory:') {
      this.writer = new SqliteWriter({ path: this.path, durability: this.durability });
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

  aggregate(query: AggregateQuery): Promise<AggregateBucket[]> {
    return this.bucketed<Omit<AggregateBucket, 'ts'>>(
      query,
      `SELECT ${BUCKET} AS bucket, AVG(value) AS mean, MIN(value) AS min, MAX(value) AS max, COUNT(value) AS count
       FROM samples WHERE ${GOOD_SAMPLES_IN_RANGE}
       GROUP BY bucket ORDER BY bucket`,
    );
  }

  counterBuckets(query: AggregateQuery): Promise<CounterBucket[]> {
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

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { HistoryPoint, Quality } from '@caretaker/protocol';
import Database from 'better-sqlite3';
import type {
  AggregateBucket,
  AggregateQuery,
  CounterBucket,
  HistoryQuery,
  LatestReading,
  StoredReading,
  TimeSeriesStore,
} from './time-series-store.js';

/**
 * The embedded store: SQLite through better-sqlite3, one file under the data directory, so
 * the hub runs with nothing else installed. WAL mode lets the dashboard read while ingest
 * writes. Statements are prepared once and always parameterised.
 */
export class SqliteStore implements TimeSeriesStore {
  readonly kind = 'sqlite';
  private db: Database.Database | null = null;
  private insert: Database.Statement | null = null;
  private select: Database.Statement | null = null;

  constructor(private readonly path: string) {}

  async init(): Promise<void> {
    if (this.path !== ':memory:') mkdirSync(dirname(this.path), { recursive: true });
    const db = new Database(this.path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS readings (
        device TEXT NOT NULL,
        point TEXT NOT NULL,
        ts INTEGER NOT NULL,
        value REAL,
        quality TEXT NOT NULL,
        site TEXT NOT NULL,
        gateway TEXT NOT NULL,
        device_type TEXT NOT NULL,
        PRIMARY KEY (device, point, ts)
      ) WITHOUT ROWID;
    `);
    this.insert = db.prepare(
      `INSERT OR REPLACE INTO readings (device, point, ts, value, quality, site, gateway, device_type)
       VALUES (@device, @point, @ts, @value, @quality, @site, @gateway, @device_type)`,
    );
    this.select = db.prepare(
      `SELECT ts, value, quality FROM readings
       WHERE device = ? AND point = ? AND ts >= ? AND ts <= ?
       ORDER BY ts ASC LIMIT ?`,
    );
    this.db = db;
  }

  async write(readings: readonly StoredReading[]): Promise<void> {
    const db = this.open();
    const insert = this.insert as Database.Statement;
    db.transaction((rows: readonly StoredReading[]) => {
      for (const row of rows) insert.run(row);
    })(readings);
  }

  async history(query: HistoryQuery): Promise<HistoryPoint[]> {
    this.open();
    const rows = (this.select as Database.Statement).all(
      query.device,
      query.point,
      query.from,
      query.to,
      query.limit,
    ) as Array<{ ts: number; value: number | null; quality: Quality }>;
    return rows.map((row) => ({ ts: row.ts, value: row.value, quality: row.quality }));
  }

  // better-sqlite3 binds JS numbers as REAL, so bucket numbers are cast back to integers.
  async aggregate(query: AggregateQuery): Promise<AggregateBucket[]> {
    const rows = this.open()
      .prepare(
        `SELECT CAST((ts - @from) / @width AS INTEGER) AS bucket, AVG(value) AS mean, MIN(value) AS min, MAX(value) AS max,
                COUNT(value) AS count
         FROM readings
         WHERE device = @device AND point = @point AND ts >= @from AND ts <= @to AND quality != 'bad'
           AND value IS NOT NULL
         GROUP BY bucket ORDER BY bucket`,
      )
      .all({ ...query, width: query.bucketMs }) as Array<AggregateBucket & { bucket: number }>;
    return rows.map(({ bucket, mean, min, max, count }) => ({
      ts: query.from + bucket * query.bucketMs,
      mean,
      min,
      max,
      count,
    }));
  }

  async counterBuckets(query: AggregateQuery): Promise<CounterBucket[]> {
    const rows = this.open()
      .prepare(
        `SELECT bucket, MIN(first) AS first, MIN(last) AS last, MIN(min) AS min, MIN(max) AS max FROM (
           SELECT CAST((ts - @from) / @width AS INTEGER) AS bucket,
                  FIRST_VALUE(value) OVER w AS first, LAST_VALUE(value) OVER w AS last,
                  MIN(value) OVER w AS min, MAX(value) OVER w AS max
           FROM readings
           WHERE device = @device AND point = @point AND ts >= @from AND ts <= @to AND quality != 'bad'
             AND value IS NOT NULL
           WINDOW w AS (PARTITION BY CAST((ts - @from) / @width AS INTEGER) ORDER BY ts
                        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
         ) GROUP BY bucket ORDER BY bucket`,
      )
      .all({ ...query, width: query.bucketMs }) as Array<CounterBucket & { bucket: number }>;
    return rows.map(({ bucket, first, last, min, max }) => ({
      ts: query.from + bucket * query.bucketMs,
      first,
      last,
      min,
      max,
    }));
  }

  async latest(device: string): Promise<LatestReading[]> {
    // SQLite returns the other columns of the row that holds MAX(ts) (its bare-column rule).
    return this.open()
      .prepare(
        'SELECT point, MAX(ts) AS ts, value, quality FROM readings WHERE device = ? GROUP BY point ORDER BY point',
      )
      .all(device) as LatestReading[];
  }

  async ping(): Promise<void> {
    this.open().prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = null;
  }

  private open(): Database.Database {
    if (!this.db) throw new Error('SQLite store is not initialised (call init() first)');
    return this.db;
  }
}

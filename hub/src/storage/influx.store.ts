import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { HistoryPoint, Quality } from '@caretaker/protocol';
import {
  flux,
  fluxExpression,
  InfluxDB,
  Point,
  type QueryApi,
  type WriteApi,
} from '@influxdata/influxdb-client';
import type {
  AggregateBucket,
  AggregateQuery,
  CounterBucket,
  HistoryQuery,
  LatestReading,
  StoredDevice,
  StoredReading,
  TimeSeriesStore,
} from './time-series-store.js';
import { devicesFromSeries } from './time-series-store.js';

/**
 * InfluxDB, every major version, one schema:
 *   measurement `telemetry`, tags site/gateway/device/device_type/point,
 *   fields `value` (float, absent for a bad reading) and `quality` (string), time in ms.
 *
 * v1 (InfluxDB 1.x, e.g. Debian's 1.6.7): POST /write and InfluxQL on /query, database name.
 * v2 (InfluxDB 2.x): the official client's write API (/api/v2/write) and Flux queries.
 * v3 (InfluxDB 3.x): /api/v2/write through the same client, InfluxQL through its v1-compatible
 *     /query, with the database as bucket.
 * Every query is parameterised (InfluxQL bound parameters, Flux's `flux` template escaping).
 */
export type InfluxStoreConfig =
  | { api: 'v1'; url: string; database: string; username?: string; password?: string }
  | { api: 'v2'; url: string; token: string; org: string; bucket: string }
  | { api: 'v3'; url: string; token: string; database: string };

export const MEASUREMENT = 'telemetry';
/** Bodies above this many characters are sent gzip-compressed. */
const GZIP_THRESHOLD = 1024;
const gzipAsync = promisify(gzip);

/** Line protocol with millisecond timestamps, escaped by the official client's Point. */
export function toLineProtocol(reading: StoredReading): string {
  const point = new Point(MEASUREMENT)
    .tag('site', reading.site)
    .tag('gateway', reading.gateway)
    .tag('device', reading.device)
    .tag('device_type', reading.device_type)
    .tag('point', reading.point)
    .stringField('quality', reading.quality)
    .timestamp(reading.ts);
  if (reading.value !== null) point.floatField('value', reading.value);
  const line = point.toLineProtocol({ convertTime: (ts) => (ts === undefined ? undefined : String(ts)) });
  if (!line) throw new Error(`reading ${reading.device}.${reading.point} has no fields`);
  return line;
}

interface InfluxQlResponse {
  results?: Array<{
    error?: string;
    series?: Array<{ columns: string[]; values: unknown[][]; tags?: Record<string, string> }>;
  }>;
  error?: string;
}

export class InfluxStore implements TimeSeriesStore {
  readonly kind: string;
  private writeApi: WriteApi | null = null;
  private queryApi: QueryApi | null = null;

  constructor(private readonly config: InfluxStoreConfig) {
    this.kind = `influxdb-${config.api}`;
  }

  async init(): Promise<void> {
    const { config } = this;
    if (config.api === 'v1') {
      // Idempotent: CREATE DATABASE on an existing database is a no-op.
      await this.influxQl(`CREATE DATABASE "${config.database.replaceAll('"', '\\"')}"`, {}, 'POST');
      return;
    }
    const client = new InfluxDB({ url: config.url, token: config.token, timeout: 10_000 });
    const bucket = config.api === 'v2' ? config.bucket : config.database;
    const org = config.api === 'v2' ? config.org : '';
    // Batching and retries are ours to schedule (flush per write call), gzip above 1 KiB.
    this.writeApi = client.getWriteApi(org, bucket, 'ms', {
      batchSize: 5000,
      flushInterval: 0,
      gzipThreshold: GZIP_THRESHOLD,
      maxRetries: 3,
    });
    if (config.api === 'v2') this.queryApi = client.getQueryApi(config.org);
  }

  async write(readings: readonly StoredReading[]): Promise<void> {
    if (readings.length === 0) return;
    const lines = readings.map(toLineProtocol);
    if (this.config.api === 'v1') {
      const params = new URLSearchParams({ db: this.config.database, precision: 'ms' });
      const text = lines.join('\n');
      // InfluxDB 1.x accepts gzip bodies on /write; line protocol shrinks about tenfold.
      const gzip = text.length > GZIP_THRESHOLD;
      const res = await fetch(`${this.config.url}/write?${params}`, {
        method: 'POST',
        headers: { ...this.v1Headers(), ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) },
        // Fastest level: most of the size gain for a fraction of the CPU (line protocol repeats).
        body: gzip ? await gzipAsync(text, { level: 1 }) : text,
      });
      if (res.status !== 204) {
        throw new Error(`InfluxDB write failed: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
      }
      return;
    }
    const writeApi = this.requireWriteApi();
    writeApi.writeRecords(lines);
    await writeApi.flush();
  }

  async history(query: HistoryQuery): Promise<HistoryPoint[]> {
    if (this.config.api === 'v2') return this.fluxHistory(query);
    const body = await this.influxQl(
      `SELECT "value", "quality" FROM "${MEASUREMENT}"
       WHERE "device" = $device AND "point" = $point AND time >= $from AND time <= $to
       ORDER BY time ASC LIMIT ${Math.max(1, Math.floor(query.limit))}`,
      seriesParams(query),
      'GET',
    );
    const series = body.results?.[0]?.series?.[0];
    if (!series) return [];
    const col = (name: string) => series.columns.indexOf(name);
    const [t, v, q] = [col('time'), col('value'), col('quality')];
    return series.values.map((row) => ({
      ts: Number(row[t]),
      value: row[v] === null || row[v] === undefined ? null : Number(row[v]),
      quality: (row[q] ?? 'good') as Quality,
    }));
  }

  aggregate(query: AggregateQuery): Promise<AggregateBucket[]> {
    return this.bucketed(query, ['mean', 'min', 'max', 'count'] as const);
  }

  counterBuckets(query: AggregateQuery): Promise<CounterBucket[]> {
    return this.bucketed(query, ['first', 'last', 'min', 'max'] as const);
  }

  async latest(device: string): Promise<LatestReading[]> {
    if (this.config.api === 'v2') {
      const rows = await this.requireQueryApi().collectRows<{
        point: string;
        _time: string;
        value?: number | null;
        quality?: Quality;
      }>(
        flux`from(bucket: ${this.config.bucket})
          |> range(start: 0)
          |> filter(fn: (r) => r._measurement == ${MEASUREMENT} and r.device == ${device})
          |> last()
          |> pivot(rowKey: ["_time", "point"], columnKey: ["_field"], valueColumn: "_value")
          |> group()
          |> sort(columns: ["point"])`,
      );
      return rows.map((r) => ({
        point: r.point,
        ts: Date.parse(r._time),
        value: r.value ?? null,
        quality: r.quality ?? 'good',
      }));
    }
    const body = await this.influxQl(
      `SELECT "value", "quality" FROM "${MEASUREMENT}" WHERE "device" = $device GROUP BY "point" ORDER BY time DESC LIMIT 1`,
      { device },
      'GET',
    );
    const out: LatestReading[] = [];
    for (const series of body.results?.[0]?.series ?? []) {
      const row = series.values[0];
      if (!row) continue;
      const col = (name: string) => series.columns.indexOf(name);
      out.push({
        point: series.tags?.point ?? '',
        ts: Number(row[col('time')]),
        value: row[col('value')] === null ? null : Number(row[col('value')]),
        quality: (row[col('quality')] ?? 'good') as Quality,
      });
    }
    return out.sort((a, b) => a.point.localeCompare(b.point));
  }

  async latestAll(): Promise<StoredDevice[]> {
    if (this.config.api === 'v2') {
      // last() per field: a bad reading has no value field, so per series the newest time wins.
      const rows = await this.requireQueryApi().collectRows<
        Omit<StoredDevice, 'latest'> & {
          point: string;
          _time: string;
          value?: number | null;
          quality?: Quality;
        }
      >(
        flux`from(bucket: ${this.config.bucket})
          |> range(start: 0)
          |> filter(fn: (r) => r._measurement == ${MEASUREMENT})
          |> last()
          |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
          |> group()`,
      );
      return devicesFromSeries(
        rows.map((r) => ({
          site: r.site,
          gateway: r.gateway,
          device: r.device,
          device_type: r.device_type,
          point: r.point,
          ts: Date.parse(r._time),
          value: r.value ?? null,
          quality: r.quality ?? 'good',
        })),
      );
    }
    const body = await this.influxQl(
      `SELECT "value", "quality" FROM "${MEASUREMENT}" GROUP BY "site", "gateway", "device", "device_type", "point" ORDER BY time DESC LIMIT 1`,
      {},
      'GET',
    );
    const rows: Array<Omit<StoredDevice, 'latest'> & LatestReading> = [];
    for (const series of body.results?.[0]?.series ?? []) {
      const row = series.values[0];
      const tags = series.tags;
      if (!row || !tags?.device || !tags.point) continue;
      const col = (name: string) => series.columns.indexOf(name);
      rows.push({
        site: tags.site ?? '',
        gateway: tags.gateway ?? '',
        device: tags.device,
        device_type: (tags.device_type ?? 'other') as StoredDevice['device_type'],
        point: tags.point,
        ts: Number(row[col('time')]),
        value: row[col('value')] === null ? null : Number(row[col('value')]),
        quality: (row[col('quality')] ?? 'good') as Quality,
      });
    }
    return devicesFromSeries(rows);
  }

  /** Per-bucket statistics of the `value` field; buckets start at `from`, empty ones omitted. */
  private async bucketed<K extends string>(
    query: AggregateQuery,
    stats: readonly K[],
  ): Promise<Array<Record<K, number> & { ts: number }>> {
    const width = Math.max(1, Math.floor(query.bucketMs));
    // Buckets are aligned to the epoch plus an offset; this offset makes one start at `from`.
    const offset = ((query.from % width) + width) % width;
    if (this.config.api === 'v2') {
      const tables = stats.map(
        (stat) =>
          `data |> aggregateWindow(every: ${width}ms, offset: ${offset}ms, fn: ${stat}, createEmpty: false, timeSrc: "_start") |> set(key: "stat", value: "${stat}")`,
      );
      const rows = await this.requireQueryApi().collectRows<Record<string, string | number>>(
        flux`data = from(bucket: ${this.config.bucket})
          |> range(start: ${new Date(query.from)}, stop: ${new Date(query.to + 1)})
          |> filter(fn: (r) => r._measurement == ${MEASUREMENT} and r.device == ${query.device} and r.point == ${query.point} and r._field == "value")
          |> toFloat()
        union(tables: [${fluxExpression(tables.join(', '))}])
          |> pivot(rowKey: ["_time"], columnKey: ["stat"], valueColumn: "_value")
          |> group()
          |> sort(columns: ["_time"])`,
      );
      return rows.map((r) => {
        const out = { ts: Date.parse(String(r._time)) } as Record<K, number> & { ts: number };
        for (const stat of stats) (out as Record<K, number>)[stat] = Number(r[stat]);
        return out;
      });
    }
    const select = stats.map((stat) => `${stat}("value") AS "${stat}"`).join(', ');
    const body = await this.influxQl(
      `SELECT ${select} FROM "${MEASUREMENT}"
       WHERE "device" = $device AND "point" = $point AND time >= $from AND time <= $to
       GROUP BY time(${width}ms, ${offset}ms) fill(none)`,
      seriesParams(query),
      'GET',
    );
    const series = body.results?.[0]?.series?.[0];
    if (!series) return [];
    return series.values.map((row) => {
      const out = { ts: Number(row[0]) } as Record<K, number> & { ts: number };
      for (const stat of stats) (out as Record<K, number>)[stat] = Number(row[series.columns.indexOf(stat)]);
      return out;
    });
  }

  private requireQueryApi(): QueryApi {
    if (!this.queryApi) throw new Error('InfluxDB store is not initialised (call init() first)');
    return this.queryApi;
  }

  async ping(): Promise<void> {
    const res = await fetch(`${this.config.url}/ping`, { headers: this.v1Headers() });
    if (!res.ok) throw new Error(`InfluxDB /ping answered HTTP ${res.status}`);
  }

  async close(): Promise<void> {
    await this.writeApi?.close().catch(() => undefined);
    this.writeApi = null;
  }

  private requireWriteApi(): WriteApi {
    if (!this.writeApi) throw new Error('InfluxDB store is not initialised (call init() first)');
    return this.writeApi;
  }

  private v1Headers(): Record<string, string> {
    const { config } = this;
    if (config.api !== 'v1') return { Authorization: `Token ${config.token}` };
    if (config.username === undefined) return {};
    const basic = Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64');
    return { Authorization: `Basic ${basic}` };
  }

  /** InfluxQL through the 1.x-compatible /query endpoint, with bound parameters. */
  private async influxQl(
    q: string,
    params: Record<string, string>,
    method: 'GET' | 'POST',
  ): Promise<InfluxQlResponse> {
    const db =
      this.config.api === 'v1' ? this.config.database : this.config.api === 'v3' ? this.config.database : '';
    const search = new URLSearchParams({ q, epoch: 'ms', db });
    if (Object.keys(params).length > 0) search.set('params', JSON.stringify(params));
    const res = await fetch(`${this.config.url}/query?${search}`, { method, headers: this.v1Headers() });
    const body = (await res.json().catch(() => ({}))) as InfluxQlResponse;
    const error = body.error ?? body.results?.find((r) => r.error)?.error;
    if (!res.ok || error) throw new Error(`InfluxDB query failed: HTTP ${res.status} ${error ?? ''}`.trim());
    return body;
  }

  private async fluxHistory(query: HistoryQuery): Promise<HistoryPoint[]> {
    if (this.config.api !== 'v2' || !this.queryApi) throw new Error('InfluxDB store is not initialised');
    const rows = await this.queryApi.collectRows<{ _time: string; value?: number | null; quality?: Quality }>(
      flux`from(bucket: ${this.config.bucket})
        |> range(start: ${new Date(query.from)}, stop: ${new Date(query.to + 1)})
        |> filter(fn: (r) => r._measurement == ${MEASUREMENT} and r.device == ${query.device} and r.point == ${query.point})
        |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
        |> sort(columns: ["_time"])
        |> limit(n: ${Math.max(1, Math.floor(query.limit))})`,
    );
    return rows.map((row) => ({
      ts: Date.parse(row._time),
      value: row.value ?? null,
      quality: row.quality ?? 'good',
    }));
  }
}

/** Bound parameters of one point's series over a time range (InfluxQL `$device`...). */
function seriesParams(query: { device: string; point: string; from: number; to: number }) {
  return {
    device: query.device,
    point: query.point,
    from: new Date(query.from).toISOString(),
    to: new Date(query.to).toISOString(),
  };
}

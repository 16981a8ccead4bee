import { Worker } from 'node:worker_threads';
import type { Quality } from '@caretaker/protocol';
import {
  type DeviceReadings,
  isDeviceReadings,
  type ReadingsToStore,
  readingCount,
  type StoredReading,
} from './time-series-store.js';

/** Qualities stored as small integers: a sample row is then a few numbers. */
export const QUALITY_CODES: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };

/**
 * Widths (ms) of the summaries the writer keeps per series, finest first, each dividing the next,
 * buckets aligned to the epoch. 15 minutes lines up with every zone's hours and days (Asia/Kolkata
 * is +05:30, Asia/Kathmandu +05:45) and with energy's demand window; the hour level answers
 * hourly counter buckets over a year with a quarter of the rows.
 */
export const ROLLUP_LEVELS: readonly number[] = [15 * 60_000, 60 * 60_000];

export interface SqliteWriterOptions {
  path: string;
  durability: 'full' | 'normal';
  /** Good samples summarised per backfill transaction (an existing data directory, at start). */
  backfillChunkRows?: number;
  /** How soon building the summaries is tried again after it failed (doubling up to 5 minutes). */
  summaryRetryMs?: number;
  /**
   * Told of the summaries: `error` when keeping or building them failed (the readings are
   * stored; queries read the samples until they are built again), null once they are built.
   */
  onSummaries?: (error: string | null) => void;
}

/**
 * What the writer thread stores in one transaction: each series once, and each reading as
 * numbers in typed arrays, which move to the thread without a copy.
 */
export interface WriterBatch {
  series: Array<[device: string, point: string, site: string, gateway: string, deviceType: string]>;
  /** Per reading: its series, as an index into `series`. */
  index: Int32Array<ArrayBuffer>;
  ts: Float64Array<ArrayBuffer>;
  /** NaN for a null value (stored values are otherwise finite). */
  value: Float64Array<ArrayBuffer>;
  quality: Uint8Array<ArrayBuffer>;
}

type WriterRequest = { type: 'write'; id: number; batch: WriterBatch } | { type: 'close'; id: number };
type WriterReply = { id: number; ok: true } | { id: number; ok: false; error: string };

/** Transactions handed to the thread at once: it always has the next one in hand. */
const MAX_IN_FLIGHT = 2;
/** Readings a transaction is first sized for. */
const MIN_CAPACITY = 1024;

/**
 * Readings of one group commit, encoded as they arrive: the objects they came in can then die
 * young, instead of waiting for the disk in the heap (and being copied by every scavenge).
 */
class BatchBuilder {
  readonly series: WriterBatch['series'] = [];
  private readonly seriesByDevice = new Map<string, Map<string, number>>();
  private index: Int32Array<ArrayBuffer>;
  private ts: Float64Array<ArrayBuffer>;
  private value: Float64Array<ArrayBuffer>;
  private quality: Uint8Array<ArrayBuffer>;
  length = 0;
  readonly done: Promise<void>;
  resolve: () => void = () => undefined;
  reject: (err: Error) => void = () => undefined;

  /** `capacity`: readings expected, so a busy stream's transactions are not grown step by step. */
  constructor(capacity: number) {
    this.index = new Int32Array(capacity);
    this.ts = new Float64Array(capacity);
    this.value = new Float64Array(capacity);
    this.quality = new Uint8Array(capacity);
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  add(input: ReadingsToStore): void {
    if (isDeviceReadings(input)) this.addDevice(input);
    else this.addLoose(input);
  }

  /** One device's batch: its series looked up by point only. */
  private addDevice(batch: DeviceReadings): void {
    const { readings } = batch;
    this.reserve(readings.length);
    let points = this.seriesByDevice.get(batch.device);
    if (!points) {
      points = new Map<string, number>();
      this.seriesByDevice.set(batch.device, points);
    }
    for (let k = 0; k < readings.length; k += 1) {
      const r = readings[k] as DeviceReadings['readings'][number];
      let series = points.get(r.point);
      if (series === undefined) {
        series = this.series.length;
        this.series.push([batch.device, r.point, batch.site, batch.gateway, batch.device_type]);
        points.set(r.point, series);
      }
      const i = this.length++;
      this.index[i] = series;
      this.ts[i] = r.ts;
      const v = r.value;
      this.value[i] = v === null ? Number.NaN : typeof v === 'boolean' ? Number(v) : v;
      this.quality[i] = QUALITY_CODES[r.quality];
    }
  }

  private addLoose(readings: readonly StoredReading[]): void {
    this.reserve(readings.length);
    // Readings come grouped by device (a telemetry batch each): look the device up once per group.
    let device: string | undefined;
    let points = new Map<string, number>();
    for (const r of readings) {
      if (r.device !== device) {
        device = r.device;
        points = this.seriesByDevice.get(device) ?? new Map<string, number>();
        this.seriesByDevice.set(device, points);
      }
      let series = points.get(r.point);
      if (series === undefined) {
        series = this.series.length;
        this.series.push([r.device, r.point, r.site, r.gateway, r.device_type]);
        points.set(r.point, series);
      }
      const i = this.length++;
      this.index[i] = series;
      this.ts[i] = r.ts;
      this.value[i] = r.value ?? Number.NaN;
      this.quality[i] = QUALITY_CODES[r.quality];
    }
  }

  build(): WriterBatch {
    const n = this.length;
    // Views, not copies: their buffers are transferred to the thread and the builder is done.
    return {
      series: this.series,
      index: this.index.subarray(0, n),
      ts: this.ts.subarray(0, n),
      value: this.value.subarray(0, n),
      quality: this.quality.subarray(0, n),
    };
  }

  private reserve(more: number): void {
    if (this.length + more > this.ts.length) this.grow(this.length + more);
  }

  private grow(needed: number): void {
    let size = this.ts.length * 2;
    while (size < needed) size *= 2;
    const grown = <T extends Int32Array | Float64Array | Uint8Array>(old: T, next: T): T => {
      next.set(old);
      return next;
    };
    this.index = grown(this.index, new Int32Array(size));
    this.ts = grown(this.ts, new Float64Array(size));
    this.value = grown(this.value, new Float64Array(size));
    this.quality = grown(this.quality, new Uint8Array(size));
  }
}

/**
 * The embedded store's writes on a worker thread (sqlite-writer.worker.js) with its own SQLite
 * connection: WAL mode lets the main thread's connection read meanwhile. Writes that arrive
 * while the thread is busy are encoded into the next transaction (group commit), so one disk
 * flush serves many publishes; each write resolves once its transaction is committed (durable
 * per the store's `synchronous` setting). A thread that dies fails what it had, and the next
 * write starts a new one.
 */
export class SqliteWriter {
  private worker: Worker | null = null;
  private starting: Promise<Worker> | null = null;
  private readonly pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private nextId = 1;
  private next: BatchBuilder | null = null;
  private inFlight = 0;
  private scheduled = false;
  private capacity = MIN_CAPACITY;

  constructor(private readonly options: SqliteWriterOptions) {}

  /** Starts the thread; resolves once it has opened the database. */
  async start(): Promise<void> {
    await this.ready();
  }

  /** Resolves once the readings are committed. */
  write(readings: ReadingsToStore): Promise<void> {
    if (readingCount(readings) === 0) return Promise.resolve();
    this.next ??= new BatchBuilder(this.capacity);
    this.next.add(readings);
    if (!this.scheduled) {
      this.scheduled = true;
      // Everything written in this turn of the event loop joins one transaction.
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
    return this.next.done;
  }

  /** Waits for the writes under way, then closes the thread's connection. */
  async close(): Promise<void> {
    while (this.next || this.inFlight > 0) {
      this.flush();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const worker = this.worker ?? (this.starting ? await this.starting.catch(() => null) : null);
    if (!worker) return;
    await this.request(worker, { type: 'close', id: this.nextId++ }, []);
    this.worker = null;
    await worker.terminate();
  }

  private flush(): void {
    const builder = this.next;
    if (!builder || this.inFlight >= MAX_IN_FLIGHT) return;
    this.next = null;
    this.inFlight += 1;
    const batch = builder.build();
    // The next transaction is likely about as large as this one.
    this.capacity = Math.max(MIN_CAPACITY, 2 ** Math.ceil(Math.log2(builder.length)));
    const sent = (this.worker ? Promise.resolve(this.worker) : this.ready()).then((worker) =>
      this.request(worker, { type: 'write', id: this.nextId++, batch }, [
        batch.index.buffer,
        batch.ts.buffer,
        batch.value.buffer,
        batch.quality.buffer,
      ]),
    );
    sent.then(builder.resolve, builder.reject).finally(() => {
      this.inFlight -= 1;
      this.flush();
    });
  }

  private ready(): Promise<Worker> {
    if (this.worker) return Promise.resolve(this.worker);
    this.starting ??= new Promise<Worker>((resolve, reject) => {
      const worker = new Worker(new URL('./sqlite-writer.worker.js', import.meta.url), {
        workerData: {
          path: this.options.path,
          durability: this.options.durability,
          levels: ROLLUP_LEVELS,
          backfillChunkRows: this.options.backfillChunkRows ?? 50_000,
          retryMs: this.options.summaryRetryMs ?? 30_000,
          maxRetryMs: Math.max(this.options.summaryRetryMs ?? 30_000, 300_000),
        },
      });
      // The thread keeps the process alive only while a request waits on it.
      worker.unref();
      // The worker answers id 0 once its database is open.
      this.track(worker, 0, {
        resolve: () => {
          this.worker = worker;
          this.starting = null;
          resolve(worker);
        },
        reject: (err) => {
          this.starting = null;
          reject(err);
        },
      });
      worker.on('message', (reply: WriterReply) => this.settle(worker, reply));
      const fail = (err: Error) => {
        if (this.worker === worker) this.worker = null;
        for (const [id, waiter] of this.pending) {
          this.pending.delete(id);
          waiter.reject(err);
        }
        worker.unref();
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`the SQLite writer thread exited (code ${code})`)));
    });
    return this.starting;
  }

  private request(worker: Worker, message: WriterRequest, transfer: ArrayBuffer[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.track(worker, message.id, { resolve, reject });
      worker.postMessage(message, transfer);
    });
  }

  private track(
    worker: Worker,
    id: number,
    waiter: { resolve: () => void; reject: (err: Error) => void },
  ): void {
    if (this.pending.size === 0) worker.ref();
    this.pending.set(id, waiter);
  }

  private settle(worker: Worker, reply: WriterReply): void {
    if (reply.id === -1) {
      this.options.onSummaries?.(reply.ok ? null : reply.error);
      return;
    }
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) worker.unref();
    if (reply.ok) waiter.resolve();
    else waiter.reject(new Error(reply.error));
  }
}

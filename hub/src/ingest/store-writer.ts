import type { Logger } from '@caretaker/protocol/log';
import type { TimeSeriesStore } from '../storage/time-series-store.js';
import type { Journal } from './journal.js';

export interface StoreWriterOptions {
  journal: Journal;
  store: TimeSeriesStore;
  log: Logger;
  /** Readings per store write. */
  batchSize: number;
  /** A partial batch is written at the latest this long after its first reading arrived. */
  flushIntervalMs: number;
  /** Retry delays after a failed write: doubling from min to max, with jitter. */
  minBackoffMs: number;
  maxBackoffMs: number;
}

export interface StoreWriterStats {
  written_readings: number;
  write_errors: number;
  last_error: string | null;
  /** True while the store is failing and readings wait in the journal. */
  store_down: boolean;
}

/**
 * Moves readings from the journal to the time-series store in batches: full batches at once,
 * a partial one within flushIntervalMs. A failed write leaves the readings in the journal and
 * is retried with exponential backoff, so an InfluxDB outage only makes the journal grow.
 */
export class StoreWriter {
  readonly stats: StoreWriterStats = {
    written_readings: 0,
    write_errors: 0,
    last_error: null,
    store_down: false,
  };
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private writing: Promise<void> | null = null;
  private failures = 0;
  private stopped = false;

  constructor(private readonly options: StoreWriterOptions) {}

  start(): void {
    this.stopped = false;
    this.options.journal.onAppend = () => this.nudge();
    this.nudge();
  }

  /** Writes everything the store will take, then stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.writing;
    if (!this.stats.store_down) await this.drain();
  }

  /** Writes until the journal is empty, or until the store fails (tests, shutdown, benchmarks). */
  async drain(): Promise<void> {
    while (this.options.journal.statsSnapshot.pending_readings > 0) {
      if (this.writing) {
        // A scheduled write is under way; its own completion clears `writing`.
        await this.writing;
        continue;
      }
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      const write = this.writeBatch();
      this.writing = write;
      try {
        await write;
      } finally {
        if (this.writing === write) this.writing = null;
      }
      if (this.stats.store_down) return;
    }
  }

  private nudge(): void {
    if (this.stopped || this.running || this.timer) return;
    const pending = this.options.journal.statsSnapshot.pending_readings;
    if (pending === 0) return;
    const delay =
      this.failures > 0
        ? this.backoff()
        : pending >= this.options.batchSize
          ? 0
          : this.options.flushIntervalMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = true;
      this.writing = this.writeBatch().finally(() => {
        this.running = false;
        this.writing = null;
        this.nudge();
      });
    }, delay);
  }

  private backoff(): number {
    const { minBackoffMs, maxBackoffMs } = this.options;
    const base = Math.min(maxBackoffMs, minBackoffMs * 2 ** Math.min(this.failures - 1, 20));
    return base / 2 + Math.random() * (base / 2);
  }

  private async writeBatch(): Promise<void> {
    const { journal, store, log, batchSize } = this.options;
    const entries = journal.peek(batchSize);
    if (entries.length === 0) return;
    const readings = entries.flatMap((entry) => entry.readings);
    try {
      await store.write(readings);
    } catch (err) {
      this.failures += 1;
      this.stats.write_errors += 1;
      this.stats.last_error = (err as Error).message;
      if (!this.stats.store_down) {
        log.error(
          { err: (err as Error).message, pending: journal.statsSnapshot.pending_readings },
          'the store is failing; readings wait in the journal',
        );
      }
      this.stats.store_down = true;
      return;
    }
    journal.remove(entries);
    this.stats.written_readings += readings.length;
    if (this.stats.store_down) {
      log.info(
        { pending: journal.statsSnapshot.pending_readings },
        'the store is back; replaying the journal',
      );
    }
    this.stats.store_down = false;
    this.stats.last_error = null;
    this.failures = 0;
  }
}

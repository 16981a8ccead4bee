import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  type DeviceReadings,
  isDeviceReadings,
  type ReadingsToStore,
  readingCount,
  type StoredReading,
  storedValue,
} from '../storage/time-series-store.js';

/**
 * On disk an entry keeps what its readings share once, and each reading as a tuple: a batch of
 * ten readings takes a third of the space (and of the JSON work) of ten full objects.
 */
type CompactEntry = [
  site: string,
  gateway: string,
  device: string,
  type: string,
  readings: Array<[string, number, number | null, string]>,
];

/** The compact entry of readings that share `head`'s site, gateway and device. */
function entry(
  head: { site: string; gateway: string; device: string; device_type: string },
  readings: DeviceReadings['readings'],
): string {
  const e: CompactEntry = [
    head.site,
    head.gateway,
    head.device,
    head.device_type,
    readings.map((r) => [r.point, r.ts, storedValue(r.value), r.quality]),
  ];
  return JSON.stringify(e);
}

function compact(input: ReadingsToStore): string {
  if (isDeviceReadings(input)) return entry(input, input.readings);
  const first = input[0];
  const shared =
    first !== undefined &&
    input.every((r) => r.device === first.device && r.site === first.site && r.gateway === first.gateway);
  return first && shared ? entry(first, input) : JSON.stringify(input);
}

function expand(body: string): StoredReading[] {
  const parsed = JSON.parse(body) as CompactEntry | StoredReading[];
  if (parsed.length === 5 && typeof parsed[0] === 'string') {
    const [site, gateway, device, deviceType, readings] = parsed as CompactEntry;
    return readings.map(([point, ts, value, quality]) => ({
      site,
      gateway,
      device,
      device_type: deviceType as StoredReading['device_type'],
      point,
      ts,
      value,
      quality: quality as StoredReading['quality'],
    }));
  }
  return parsed as StoredReading[];
}

export interface JournalEntry {
  id: number;
  readings: StoredReading[];
}

export interface JournalOptions {
  path: string;
  /** Most readings kept waiting for the store; past it the oldest entries are dropped (counted). */
  maxReadings: number;
  /**
   * `full` survives power loss (an fsync per group commit); `normal` survives a killed process
   * but may lose the last commits on power loss. Both survive `kill -9`.
   */
  durability: 'full' | 'normal';
  /**
   * A store that is durable once the call returns or resolves (the embedded SQLite store, which
   * groups commits itself): appends go straight to it, and the journal keeps nothing. Its
   * failure fails the append, so nothing is acknowledged.
   */
  directSink?(readings: ReadingsToStore): void | Promise<void>;
  /**
   * Readings appended but not yet durable past which `backpressure()` asks publishers to wait;
   * default 10,000. Kept low: readings waiting for the disk outlive young-generation garbage
   * collections, and copying them costs more CPU than the short waits save.
   */
  highWaterMark?: number;
}

export interface JournalStats {
  pending_entries: number;
  pending_readings: number;
  appended_readings: number;
  dropped_readings: number;
  commits: number;
}

/**
 * The hub's write-ahead journal: a reading is acknowledged to its publisher only once it is
 * here, on disk, and leaves only once the time-series store has it. Appends that arrive
 * together are committed in one transaction (group commit), so durability costs one disk
 * flush per burst, not per message. SQLite (better-sqlite3) gives crash-safe, ordered storage
 * without a format of our own.
 */
export class Journal {
  private db: Database.Database | null = null;
  private insert: Database.Statement | null = null;
  private waiting: Array<{
    readings: ReadingsToStore;
    count: number;
    resolve: () => void;
    reject: (err: Error) => void;
  }> = [];
  private scheduled = false;
  /** Readings appended but not yet durable. */
  private unsettledReadings = 0;
  /** While behind: resolves once the backlog is down to half the high-water mark. */
  private drained: { promise: Promise<void>; resolve: () => void } | null = null;
  private pendingReadings = 0;
  private pendingEntries = 0;
  readonly stats = { appended_readings: 0, dropped_readings: 0, commits: 0 };
  /** Called after each commit, so the store writer can start a flush. */
  onAppend: () => void = () => undefined;

  constructor(private readonly options: JournalOptions) {}

  open(): void {
    if (this.options.path !== ':memory:') mkdirSync(dirname(this.options.path), { recursive: true });
    const db = new Database(this.options.path);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${this.options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
    db.exec(`CREATE TABLE IF NOT EXISTS pending (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      readings INTEGER NOT NULL,
      body TEXT NOT NULL
    )`);
    this.insert = db.prepare('INSERT INTO pending (readings, body) VALUES (?, ?)');
    const totals = db
      .prepare('SELECT COUNT(*) AS entries, COALESCE(SUM(readings), 0) AS readings FROM pending')
      .get() as {
      entries: number;
      readings: number;
    };
    this.pendingEntries = totals.entries;
    this.pendingReadings = totals.readings;
    this.db = db;
  }

  /** Resolves once the readings are durable. */
  append(readings: ReadingsToStore): Promise<void> {
    const count = readingCount(readings);
    if (this.options.directSink) return this.sink(readings, count);
    this.unsettledReadings += count;
    return new Promise((resolve, reject) => {
      this.waiting.push({ readings, count, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // Everything appended in this turn of the event loop shares one commit.
        setImmediate(() => this.commit());
      }
    });
  }

  /** The oldest entries, up to about `maxReadings` readings (at least one entry). */
  peek(maxReadings: number): JournalEntry[] {
    const db = this.requireDb();
    const rows = db
      .prepare('SELECT id, readings, body FROM pending ORDER BY id LIMIT ?')
      .iterate(10_000) as Iterable<{
      id: number;
      readings: number;
      body: string;
    }>;
    const entries: JournalEntry[] = [];
    let count = 0;
    for (const row of rows) {
      if (entries.length > 0 && count + row.readings > maxReadings) break;
      entries.push({ id: row.id, readings: expand(row.body) });
      count += row.readings;
    }
    return entries;
  }

  /** Removes entries the store has taken. */
  remove(entries: readonly JournalEntry[]): void {
    if (entries.length === 0) return;
    const db = this.requireDb();
    const last = entries[entries.length - 1] as JournalEntry;
    const removed = db
      .prepare('SELECT COUNT(*) AS n, COALESCE(SUM(readings), 0) AS r FROM pending WHERE id <= ?')
      .get(last.id) as {
      n: number;
      r: number;
    };
    db.prepare('DELETE FROM pending WHERE id <= ?').run(last.id);
    this.pendingEntries -= removed.n;
    this.pendingReadings -= removed.r;
  }

  get statsSnapshot(): JournalStats {
    return {
      pending_entries: this.pendingEntries,
      pending_readings: this.pendingReadings,
      ...this.stats,
    };
  }

  /**
   * While more readings wait to become durable than the high-water mark, a promise to wait on:
   * publishers that are not waiting for an acknowledgement (QoS 0) should, or memory grows.
   */
  backpressure(): Promise<void> | undefined {
    if (this.unsettledReadings <= this.highWaterMark) return undefined;
    if (!this.drained) {
      let resolve: () => void = () => undefined;
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.drained = { promise, resolve };
    }
    return this.drained.promise;
  }

  private get highWaterMark(): number {
    return this.options.highWaterMark ?? 10_000;
  }

  /**
   * Readings became durable (or failed). Waiting publishers go on at half the high-water mark, not
   * at once: the store then has work in hand while they refill it.
   */
  private settled(readings: number): void {
    this.unsettledReadings -= readings;
    if (this.drained && this.unsettledReadings <= this.highWaterMark / 2) {
      this.drained.resolve();
      this.drained = null;
    }
  }

  /** Commits what is waiting, then closes. */
  close(): void {
    if (this.waiting.length > 0) this.commit();
    this.db?.close();
    this.db = null;
  }

  private commit(): void {
    this.scheduled = false;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    this.settled(batch.reduce((n, item) => n + item.count, 0));
    try {
      const db = this.requireDb();
      const insert = this.insert as Database.Statement;
      let added = 0;
      db.transaction(() => {
        for (const item of batch) {
          insert.run(item.count, compact(item.readings));
          added += item.count;
        }
      })();
      this.pendingEntries += batch.length;
      this.pendingReadings += added;
      this.stats.appended_readings += added;
      this.stats.commits += 1;
      this.enforceBound();
    } catch (err) {
      for (const item of batch) item.reject(err as Error);
      return;
    }
    for (const item of batch) item.resolve();
    this.onAppend();
  }

  /** Not async: a suspended frame would keep `readings` alive until the disk has them. */
  private sink(readings: ReadingsToStore, n: number): Promise<void> {
    this.unsettledReadings += n;
    let result: void | Promise<void>;
    try {
      result = this.options.directSink?.(readings);
    } catch (err) {
      this.settled(n);
      return Promise.reject(err);
    }
    return Promise.resolve(result).then(
      () => {
        this.settled(n);
        this.stats.appended_readings += n;
      },
      (err: unknown) => {
        this.settled(n);
        throw err;
      },
    );
  }

  /** Drop-oldest past the bound: the newest data matters most for operations. */
  private enforceBound(): void {
    const excess = this.pendingReadings - this.options.maxReadings;
    if (excess <= 0) return;
    const db = this.requireDb();
    let dropped = 0;
    let lastId = 0;
    let entries = 0;
    for (const row of db.prepare('SELECT id, readings FROM pending ORDER BY id').iterate() as Iterable<{
      id: number;
      readings: number;
    }>) {
      if (dropped >= excess) break;
      dropped += row.readings;
      lastId = row.id;
      entries += 1;
    }
    db.prepare('DELETE FROM pending WHERE id <= ?').run(lastId);
    this.pendingEntries -= entries;
    this.pendingReadings -= dropped;
    this.stats.dropped_readings += dropped;
  }

  private requireDb(): Database.Database {
    if (!this.db) throw new Error('the journal is not open');
    return this.db;
  }
}

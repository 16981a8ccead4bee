import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  type DropReport,
  emptyDropReport,
  mergeDrop,
  type Spool,
  type SpoolCommit,
  type SpoolEntry,
  type SpoolLimits,
} from './spool.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS spool (
  seq INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  topic TEXT NOT NULL,
  payload TEXT NOT NULL,
  bytes INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS spool_ts ON spool (ts);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

// Rows removed per statement while enforcing the byte limit: bounded work per step.
const DROP_CHUNK = 512;

/**
 * The spool in one SQLite file (better-sqlite3: synchronous, so a commit is durable when the call
 * returns). WAL journal with synchronous=NORMAL: a committed transaction survives the process
 * being killed (`kill -9`, a crash); after a power cut the last commits may be lost, never the
 * file's consistency (SQLite "WAL mode" documentation, §Performance Considerations).
 *
 * The sequence counter and the drop counter live in the `meta` table, updated in the same
 * transaction as the rows.
 */
export class SqliteSpool implements Spool {
  readonly file: string;
  readonly #limits: SpoolLimits;
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #delete: Database.Statement;
  readonly #oldest: Database.Statement;
  readonly #oldestChunk: Database.Statement;
  readonly #expired: Database.Statement;
  readonly #readAfter: Database.Statement;
  readonly #setMeta: Database.Statement;
  readonly #commit: (commit: SpoolCommit) => { appended: SpoolEntry[]; dropped: DropReport };
  #nextSeq: number;
  #depth: number;
  #bytes: number;
  #dropped: number;

  constructor(file: string, limits: SpoolLimits) {
    this.file = file;
    this.#limits = limits;
    mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file, { timeout: 1000 });
    this.#db = db;
    try {
      // One process per spool: a second gateway on the same data_dir fails here, at once, instead
      // of both numbering and deleting batches (SQLite "PRAGMA locking_mode"; set before WAL so
      // that WAL works without shared memory).
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(SCHEMA);
      // The first write takes the exclusive lock, and keeps it until close().
      db.exec('BEGIN IMMEDIATE; COMMIT;');
    } catch (err) {
      db.close();
      const busy = (err as { code?: string }).code === 'SQLITE_BUSY';
      throw busy ? new Error(`spool ${file} is in use by another gateway process`) : err;
    }
    this.#insert = db.prepare('INSERT INTO spool (seq, ts, topic, payload, bytes) VALUES (?, ?, ?, ?, ?)');
    this.#delete = db.prepare('DELETE FROM spool WHERE seq = ? RETURNING bytes');
    this.#oldest = db.prepare('SELECT seq, ts FROM spool ORDER BY seq LIMIT 1');
    this.#oldestChunk = db.prepare('SELECT seq, bytes FROM spool ORDER BY seq LIMIT ?');
    this.#expired = db.prepare('SELECT seq, bytes FROM spool WHERE ts < ? ORDER BY seq LIMIT ?');
    this.#readAfter = db.prepare(
      'SELECT seq, ts, topic, payload, bytes FROM spool WHERE seq > ? ORDER BY seq LIMIT ?',
    );
    this.#setMeta = db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    const meta = new Map(
      (db.prepare('SELECT key, value FROM meta').all() as { key: string; value: number }[]).map((row) => [
        row.key,
        row.value,
      ]),
    );
    const totals = db
      .prepare('SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b, MAX(seq) AS top FROM spool')
      .get() as {
      n: number;
      b: number;
      top: number | null;
    };
    // The counter, or one above the highest row if the counter is somehow behind: a sequence
    // number is never used twice.
    this.#nextSeq = Math.max(meta.get('next_seq') ?? 0, (totals.top ?? -1) + 1);
    this.#depth = totals.n;
    this.#bytes = totals.b;
    this.#dropped = meta.get('dropped') ?? 0;
    this.#commit = db.transaction((commit: SpoolCommit) => this.#apply(commit));
  }

  get nextSeq(): number {
    return this.#nextSeq;
  }
  get depth(): number {
    return this.#depth;
  }
  get bytes(): number {
    return this.#bytes;
  }
  get dropped(): number {
    return this.#dropped;
  }

  oldestTs(): number | undefined {
    if (!this.#db.open) return undefined; // closed: statistics read after a stop
    return (this.#oldest.get() as { ts: number } | undefined)?.ts;
  }

  commit(commit: SpoolCommit): { appended: SpoolEntry[]; dropped: DropReport } {
    const before = { nextSeq: this.#nextSeq, depth: this.#depth, bytes: this.#bytes, dropped: this.#dropped };
    try {
      return this.#commit(commit);
    } catch (err) {
      // The transaction was rolled back: so are the counters.
      this.#nextSeq = before.nextSeq;
      this.#depth = before.depth;
      this.#bytes = before.bytes;
      this.#dropped = before.dropped;
      throw err;
    }
  }

  readAfter(afterSeq: number, limit: number): SpoolEntry[] {
    if (!this.#db.open) return [];
    return this.#readAfter.all(afterSeq, limit) as SpoolEntry[];
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #apply({ append, ack, now }: SpoolCommit): { appended: SpoolEntry[]; dropped: DropReport } {
    const appended: SpoolEntry[] = [];
    for (const entry of append) {
      const seq = this.#nextSeq;
      const payload = entry.payload(seq);
      const bytes = Buffer.byteLength(payload);
      this.#insert.run(seq, entry.ts, entry.topic, payload, bytes);
      this.#nextSeq = seq + 1;
      this.#depth += 1;
      this.#bytes += bytes;
      appended.push({ seq, ts: entry.ts, topic: entry.topic, payload, bytes });
    }
    for (const seq of ack) {
      const row = this.#delete.get(seq) as { bytes: number } | undefined;
      if (row === undefined) continue;
      this.#depth -= 1;
      this.#bytes -= row.bytes;
    }
    const dropped = emptyDropReport();
    // Age first (cheap, indexed), then bytes, oldest first in both cases.
    for (;;) {
      const rows = this.#expired.all(now - this.#limits.maxAgeMs, DROP_CHUNK) as {
        seq: number;
        bytes: number;
      }[];
      for (const row of rows) this.#drop(row, 'age', dropped);
      if (rows.length < DROP_CHUNK) break;
    }
    while (this.#bytes > this.#limits.maxBytes && this.#depth > 0) {
      const rows = this.#oldestChunk.all(DROP_CHUNK) as { seq: number; bytes: number }[];
      if (rows.length === 0) break;
      for (const row of rows) {
        if (this.#bytes <= this.#limits.maxBytes) break;
        this.#drop(row, 'bytes', dropped);
      }
    }
    if (append.length > 0) this.#setMeta.run('next_seq', this.#nextSeq);
    if (dropped.count > 0) {
      this.#dropped += dropped.count;
      this.#setMeta.run('dropped', this.#dropped);
    }
    return { appended, dropped };
  }

  #drop(row: { seq: number; bytes: number }, reason: 'bytes' | 'age', report: DropReport): void {
    this.#delete.get(row.seq);
    this.#depth -= 1;
    this.#bytes -= row.bytes;
    mergeDrop(report, row.seq, row.bytes, reason);
  }
}

/**
 * The store-and-forward spool: every telemetry batch is written here before it is published, and
 * removed only once the broker has acknowledged it (MQTT QoS 1 PUBACK). Two implementations pass
 * the same contract suite (`spool.contract.ts`): SQLite on disk (the default) and memory.
 *
 * Sequence numbers are assigned here, when a batch is committed, so they are contiguous over every
 * batch that can ever be published, and they continue across restarts (the SQLite spool keeps the
 * counter), which lets the hub detect a lost batch as a gap.
 */

export interface SpoolEntry {
  seq: number;
  /** When the batch was built, epoch ms (the age limit applies to it). */
  ts: number;
  topic: string;
  /** The MQTT payload, with `seq` filled in. */
  payload: string;
  /** Payload size in bytes (UTF-8), what the byte limit counts. */
  bytes: number;
}

export interface NewSpoolEntry {
  ts: number;
  topic: string;
  /** Builds the payload once the sequence number is known. */
  payload: (seq: number) => string;
}

export interface SpoolLimits {
  /** Upper bound of the payload bytes held; the oldest batches are dropped beyond it. */
  maxBytes: number;
  /** Batches older than this are dropped, ms. */
  maxAgeMs: number;
}

/** Batches the limits removed in one commit (drop-oldest). */
export interface DropReport {
  count: number;
  bytes: number;
  /** Lowest and highest sequence number dropped (the hub sees them as a gap). */
  firstSeq?: number;
  lastSeq?: number;
  reason?: 'bytes' | 'age';
}

export interface SpoolCommit {
  append: readonly NewSpoolEntry[];
  /** Sequence numbers the broker acknowledged (unknown ones are ignored). */
  ack: Iterable<number>;
  /** The clock, for the age limit. */
  now: number;
}

export interface Spool {
  /** The sequence number the next appended batch gets. */
  readonly nextSeq: number;
  /** Batches held. */
  readonly depth: number;
  /** Payload bytes held. */
  readonly bytes: number;
  /** Batches dropped by the limits since the spool was created (kept across restarts on disk). */
  readonly dropped: number;
  /** `ts` of the oldest batch held, undefined when empty. */
  oldestTs(): number | undefined;
  /**
   * Appends, removes acknowledged batches and enforces the limits, as one atomic step (one
   * SQLite transaction): after it returns, the appended batches survive a `kill -9`.
   */
  commit(commit: SpoolCommit): { appended: SpoolEntry[]; dropped: DropReport };
  /** Up to `limit` batches with a sequence number above `afterSeq`, oldest first. */
  readAfter(afterSeq: number, limit: number): SpoolEntry[];
  close(): void;
}

/** A report of nothing dropped. */
export function emptyDropReport(): DropReport {
  return { count: 0, bytes: 0 };
}

export function mergeDrop(report: DropReport, seq: number, bytes: number, reason: 'bytes' | 'age'): void {
  report.count += 1;
  report.bytes += bytes;
  report.firstSeq = report.firstSeq === undefined ? seq : Math.min(report.firstSeq, seq);
  report.lastSeq = report.lastSeq === undefined ? seq : Math.max(report.lastSeq, seq);
  // Bytes wins the label: it means the outage outgrew the disk budget.
  report.reason = report.reason === 'bytes' ? 'bytes' : reason;
}

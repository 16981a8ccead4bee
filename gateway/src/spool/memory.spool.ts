import {
  type DropReport,
  emptyDropReport,
  mergeDrop,
  type Spool,
  type SpoolCommit,
  type SpoolEntry,
  type SpoolLimits,
} from './spool.js';

/**
 * A spool in memory: the same contract as the SQLite one, without durability. For gateways on
 * storage that must not be written continuously (an SD card), at the price of losing the backlog
 * and restarting the sequence at 0 when the process restarts.
 */
export class MemorySpool implements Spool {
  readonly #limits: SpoolLimits;
  // Ordered by seq (appends only ever add higher numbers); acknowledged entries leave holes that
  // are compacted now and then.
  #entries: (SpoolEntry | undefined)[] = [];
  #head = 0;
  readonly #index = new Map<number, number>();
  #nextSeq = 0;
  #bytes = 0;
  #dropped = 0;

  constructor(limits: SpoolLimits) {
    this.#limits = limits;
  }

  get nextSeq(): number {
    return this.#nextSeq;
  }
  get depth(): number {
    return this.#index.size;
  }
  get bytes(): number {
    return this.#bytes;
  }
  get dropped(): number {
    return this.#dropped;
  }

  oldestTs(): number | undefined {
    return this.#first()?.ts;
  }

  commit({ append, ack, now }: SpoolCommit): { appended: SpoolEntry[]; dropped: DropReport } {
    const appended: SpoolEntry[] = [];
    for (const entry of append) {
      const seq = this.#nextSeq++;
      const payload = entry.payload(seq);
      const stored = { seq, ts: entry.ts, topic: entry.topic, payload, bytes: Buffer.byteLength(payload) };
      this.#index.set(seq, this.#entries.length);
      this.#entries.push(stored);
      this.#bytes += stored.bytes;
      appended.push(stored);
    }
    for (const seq of ack) this.#remove(seq);
    const dropped = emptyDropReport();
    for (let first = this.#first(); first !== undefined; first = this.#first()) {
      const reason =
        first.ts < now - this.#limits.maxAgeMs
          ? 'age'
          : this.#bytes > this.#limits.maxBytes
            ? 'bytes'
            : undefined;
      if (reason === undefined) break;
      mergeDrop(dropped, first.seq, first.bytes, reason);
      this.#remove(first.seq);
    }
    this.#dropped += dropped.count;
    this.#compact();
    return { appended, dropped };
  }

  readAfter(afterSeq: number, limit: number): SpoolEntry[] {
    const out: SpoolEntry[] = [];
    for (let i = this.#head; i < this.#entries.length && out.length < limit; i++) {
      const entry = this.#entries[i];
      if (entry !== undefined && entry.seq > afterSeq) out.push(entry);
    }
    return out;
  }

  close(): void {}

  #first(): SpoolEntry | undefined {
    while (this.#head < this.#entries.length && this.#entries[this.#head] === undefined) this.#head += 1;
    return this.#entries[this.#head];
  }

  #remove(seq: number): void {
    const at = this.#index.get(seq);
    if (at === undefined) return;
    const entry = this.#entries[at];
    this.#index.delete(seq);
    this.#entries[at] = undefined;
    if (entry !== undefined) this.#bytes -= entry.bytes;
  }

  #compact(): void {
    if (this.#head < 4096 && this.#entries.length - this.#index.size < 4096) return;
    this.#entries = this.#entries.filter((entry) => entry !== undefined);
    this.#head = 0;
    this.#index.clear();
    this.#entries.forEach((entry, i) => {
      if (entry !== undefined) this.#index.set(entry.seq, i);
    });
  }
}

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewSpoolEntry, Spool, SpoolLimits } from './spool.js';

/**
 * The spool contract as a test suite (the aedes-persistence habit): every implementation runs it.
 * `durable` implementations must also keep their content and sequence counter across a reopen.
 */
export interface SpoolUnderTest {
  name: string;
  durable: boolean;
  /** Opens (or reopens) the spool kept in `dir`. */
  open(dir: string, limits: SpoolLimits): Spool;
}

const LIMITS: SpoolLimits = { maxBytes: 1_000_000, maxAgeMs: 3_600_000 };

const entry = (n: number, ts = 1000 + n): NewSpoolEntry => ({
  ts,
  topic: `t/${n}`,
  payload: (seq) => JSON.stringify({ seq, n }),
});

export function describeSpoolContract(impl: SpoolUnderTest): void {
  describe(`spool contract: ${impl.name}`, () => {
    let dir: string;
    const open: Spool[] = [];
    const openSpool = (limits: SpoolLimits = LIMITS) => {
      const spool = impl.open(dir, limits);
      open.push(spool);
      return spool;
    };
    beforeEach(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'caretaker-spool-'));
    });
    afterEach(async () => {
      for (const spool of open.splice(0)) spool.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('numbers batches from 0, one by one, and fills the payload with its number', () => {
      const spool = openSpool();
      expect(spool.nextSeq).toBe(0);
      const { appended } = spool.commit({ append: [entry(1), entry(2)], ack: [], now: 2000 });
      expect(appended.map((e) => e.seq)).toEqual([0, 1]);
      expect(appended.map((e) => JSON.parse(e.payload))).toEqual([
        { seq: 0, n: 1 },
        { seq: 1, n: 2 },
      ]);
      expect(appended[0]).toMatchObject({ topic: 't/1', ts: 1001, bytes: appended[0]?.payload.length });
      expect(spool.nextSeq).toBe(2);
      expect(spool.depth).toBe(2);
      expect(spool.bytes).toBe(appended.reduce((sum, e) => sum + e.bytes, 0));
      expect(spool.oldestTs()).toBe(1001);
    });

    it('reads in sequence order after a cursor, and forgets acknowledged batches', () => {
      const spool = openSpool();
      spool.commit({ append: [1, 2, 3, 4, 5].map((n) => entry(n)), ack: [], now: 2000 });
      expect(spool.readAfter(-1, 2).map((e) => e.seq)).toEqual([0, 1]);
      expect(spool.readAfter(1, 10).map((e) => e.seq)).toEqual([2, 3, 4]);
      spool.commit({ append: [], ack: [0, 2, 99], now: 2000 });
      expect(spool.readAfter(-1, 10).map((e) => e.seq)).toEqual([1, 3, 4]);
      expect(spool.depth).toBe(3);
      expect(spool.oldestTs()).toBe(1002);
      // Acknowledging twice changes nothing.
      spool.commit({ append: [], ack: [0], now: 2000 });
      expect(spool.depth).toBe(3);
      spool.commit({ append: [], ack: [1, 3, 4], now: 2000 });
      expect(spool.depth).toBe(0);
      expect(spool.bytes).toBe(0);
      expect(spool.oldestTs()).toBeUndefined();
      // Numbers are never reused, even once the spool is empty.
      expect(spool.commit({ append: [entry(6)], ack: [], now: 2000 }).appended[0]?.seq).toBe(5);
    });

    it('drops the oldest batches beyond the byte limit, and counts them', () => {
      const probe = openSpool();
      const size = probe.commit({ append: [entry(1)], ack: [], now: 2000 }).appended[0]?.bytes ?? 0;
      probe.commit({ append: [], ack: [0], now: 2000 });
      probe.close();
      open.pop();
      const spool = openSpool({ ...LIMITS, maxBytes: size * 3 });
      const start = spool.nextSeq;
      const { dropped } = spool.commit({ append: [1, 2, 3, 4, 5].map((n) => entry(n)), ack: [], now: 2000 });
      expect(dropped).toMatchObject({
        count: 2,
        bytes: size * 2,
        firstSeq: start,
        lastSeq: start + 1,
        reason: 'bytes',
      });
      expect(spool.readAfter(-1, 10).map((e) => e.seq)).toEqual([start + 2, start + 3, start + 4]);
      expect(spool.dropped).toBe(2);
      expect(spool.bytes).toBeLessThanOrEqual(size * 3);
    });

    it('drops batches older than the age limit', () => {
      const spool = openSpool({ ...LIMITS, maxAgeMs: 1000 });
      spool.commit({ append: [entry(1, 100), entry(2, 700), entry(3, 1500)], ack: [], now: 1600 });
      expect(spool.depth).toBe(2); // ts 100 is 1500 ms old at 1600
      const { dropped } = spool.commit({ append: [], ack: [], now: 2400 });
      expect(dropped).toMatchObject({ count: 1, firstSeq: 1, lastSeq: 1, reason: 'age' });
      expect(spool.readAfter(-1, 10).map((e) => e.seq)).toEqual([2]);
      expect(spool.dropped).toBe(2);
    });

    // Only a durable spool survives a reopen; the memory one registers no such test at all.
    const durableIt = impl.durable ? it : () => undefined;

    durableIt('keeps its batches, counters and sequence across a reopen', () => {
      const first = openSpool({ ...LIMITS, maxAgeMs: 1000 });
      first.commit({ append: [entry(1, 100), entry(2, 1900), entry(3, 1950)], ack: [], now: 2000 });
      first.commit({ append: [], ack: [1], now: 2000 });
      first.close();
      const second = openSpool({ ...LIMITS, maxAgeMs: 1000 });
      expect(second.nextSeq).toBe(3);
      expect(second.depth).toBe(1);
      expect(second.dropped).toBe(1);
      expect(second.readAfter(-1, 10)).toEqual([
        { seq: 2, ts: 1950, topic: 't/3', payload: JSON.stringify({ seq: 2, n: 3 }), bytes: 15 },
      ]);
      expect(second.commit({ append: [entry(4)], ack: [], now: 2000 }).appended[0]?.seq).toBe(3);
    });

    durableIt('keeps the sequence when every batch was acknowledged before the restart', () => {
      const first = openSpool();
      first.commit({ append: [entry(1), entry(2)], ack: [], now: 2000 });
      first.commit({ append: [], ack: [0, 1], now: 2000 });
      first.close();
      expect(openSpool().nextSeq).toBe(2);
    });

    it('leaves nothing half-done when building a payload throws', () => {
      const spool = openSpool();
      spool.commit({ append: [entry(1)], ack: [], now: 2000 });
      const broken: NewSpoolEntry = {
        ts: 1,
        topic: 'x',
        payload: () => {
          throw new Error('boom');
        },
      };
      if (!impl.durable) return; // the memory spool has no transactions to roll back
      expect(() => spool.commit({ append: [entry(2), broken], ack: [0], now: 2000 })).toThrow('boom');
      expect(spool.nextSeq).toBe(1);
      expect(spool.depth).toBe(1);
      expect(spool.readAfter(-1, 10).map((e) => e.seq)).toEqual([0]);
    });
  });
}

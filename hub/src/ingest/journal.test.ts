import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredReading } from '../storage/time-series-store.js';
import { Journal } from './journal.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function journalPath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'caretaker-journal-'));
  dirs.push(dir);
  return join(dir, 'journal.db');
}

function readings(n: number, from = 0): StoredReading[] {
  return Array.from({ length: n }, (_, i) => ({
    site: 's',
    gateway: 'g',
    device: 'd',
    device_type: 'pump',
    point: 'p',
    ts: from + i,
    value: from + i,
    quality: 'good',
  }));
}

describe('Journal', () => {
  it('commits appends of one event-loop turn together and keeps their order', async () => {
    const journal = new Journal({ path: await journalPath(), maxReadings: 1000, durability: 'full' });
    journal.open();
    await Promise.all([
      journal.append(readings(2, 0)),
      journal.append(readings(3, 2)),
      journal.append(readings(1, 5)),
    ]);
    expect(journal.stats.commits).toBe(1);
    const entries = journal.peek(100);
    expect(entries.flatMap((e) => e.readings.map((r) => r.ts))).toEqual([0, 1, 2, 3, 4, 5]);
    journal.close();
  });

  it('keeps pending readings across a reopen until they are removed', async () => {
    const path = await journalPath();
    const first = new Journal({ path, maxReadings: 1000, durability: 'normal' });
    first.open();
    await first.append(readings(4));
    first.close();
    const second = new Journal({ path, maxReadings: 1000, durability: 'normal' });
    second.open();
    expect(second.statsSnapshot.pending_readings).toBe(4);
    const entries = second.peek(2);
    expect(entries).toHaveLength(1); // one entry of 4: never split, at least one returned
    second.remove(entries);
    expect(second.statsSnapshot).toMatchObject({ pending_readings: 0, pending_entries: 0 });
    second.close();
  });

  it('peeks whole entries up to the requested number of readings', async () => {
    const journal = new Journal({ path: await journalPath(), maxReadings: 1000, durability: 'normal' });
    journal.open();
    for (let i = 0; i < 5; i += 1) await journal.append(readings(10, i * 10));
    expect(journal.peek(25).map((e) => e.readings.length)).toEqual([10, 10]);
    journal.close();
  });

  it('drops the oldest readings past its bound and counts them', async () => {
    const journal = new Journal({ path: await journalPath(), maxReadings: 1000, durability: 'normal' });
    journal.open();
    for (let i = 0; i < 12; i += 1) await journal.append(readings(100, i * 100));
    const stats = journal.statsSnapshot;
    expect(stats.dropped_readings).toBe(200);
    expect(stats.pending_readings).toBe(1000);
    expect(journal.peek(100)[0]?.readings[0]?.ts).toBe(200);
    journal.close();
  });
});

describe('Journal with a direct sink', () => {
  /** A sink that holds every write until released, as a store on another thread does. */
  function heldSink() {
    const held: Array<{
      readings: readonly StoredReading[];
      release: () => void;
      fail: (err: Error) => void;
    }> = [];
    const sink = (readings: readonly StoredReading[]) =>
      new Promise<void>((release, fail) => {
        held.push({ readings, release, fail });
      });
    return { held, sink };
  }

  it('resolves an append only once the sink has it durably, and fails it with the sink', async () => {
    const { held, sink } = heldSink();
    const journal = new Journal({
      path: await journalPath(),
      maxReadings: 1000,
      durability: 'normal',
      directSink: sink,
    });
    journal.open();
    let done = false;
    const first = journal.append(readings(3)).then(() => {
      done = true;
    });
    const second = journal.append(readings(2, 3));
    expect(held.map((h) => h.readings.length)).toEqual([3, 2]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    held[0]?.release();
    held[1]?.fail(new Error('disk full'));
    await first;
    await expect(second).rejects.toThrow('disk full');
    expect(journal.statsSnapshot).toMatchObject({ appended_readings: 3, pending_readings: 0 });
    journal.close();
  });

  it('asks publishers to wait past its high-water mark, until half of it is left', async () => {
    const { held, sink } = heldSink();
    const journal = new Journal({
      path: await journalPath(),
      maxReadings: 1000,
      durability: 'normal',
      directSink: sink,
      highWaterMark: 20,
    });
    journal.open();
    const appends = [0, 1, 2, 3].map((i) => journal.append(readings(10, i * 10)));
    expect(journal.backpressure()).toBeDefined(); // 40 readings waiting, above 20
    let resumed = false;
    void journal.backpressure()?.then(() => {
      resumed = true;
    });
    held[0]?.release();
    held[1]?.release();
    await Promise.all(appends.slice(0, 2));
    expect(resumed).toBe(false); // 20 left: at the mark, not yet at half of it
    held[2]?.release();
    await appends[2];
    await new Promise((resolve) => setImmediate(resolve));
    expect(resumed).toBe(true); // 10 left
    expect(journal.backpressure()).toBeUndefined();
    held[3]?.release();
    await appends[3];
    journal.close();
  });
});

describe('StoreWriter.drain', () => {
  it('writes everything pending in batches and returns (regression: it once spun forever)', async () => {
    const { StoreWriter } = await import('./store-writer.js');
    const { createLogger } = await import('@caretaker/protocol/log');
    const journal = new Journal({ path: await journalPath(), maxReadings: 100_000, durability: 'normal' });
    journal.open();
    for (let i = 0; i < 30; i += 1) await journal.append(readings(100, i * 100));
    const written: number[] = [];
    const store = {
      kind: 'fake',
      write: async (rows: readonly StoredReading[]) => {
        written.push(rows.length);
      },
    } as unknown as import('../storage/time-series-store.js').TimeSeriesStore;
    const log = createLogger('test');
    log.level = 'silent';
    const writer = new StoreWriter({
      journal,
      store,
      log,
      batchSize: 1000,
      flushIntervalMs: 50,
      minBackoffMs: 10,
      maxBackoffMs: 20,
    });
    writer.start();
    await writer.drain();
    await writer.drain();
    expect(written.reduce((a, b) => a + b, 0)).toBe(3000);
    expect(Math.max(...written)).toBeLessThanOrEqual(1000);
    expect(journal.statsSnapshot.pending_readings).toBe(0);
    await writer.stop();
    journal.close();
  });
});

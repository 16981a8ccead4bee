import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { LATEST_OF_DEVICE_SQL, rollupLevelFor, SqliteStore } from './sqlite.store.js';
import { ROLLUP_LEVELS } from './sqlite-writer.js';
import { describeTimeSeriesStoreContract, expectedBuckets } from './time-series-store.contract.js';
import type { AggregateQuery, DeviceReadings, StoredReading } from './time-series-store.js';

const dirs = new Map<SqliteStore, string>();

describeTimeSeriesStoreContract(
  'sqlite',
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caretaker-sqlite-'));
    const store = new SqliteStore(join(dir, 'nested', 'readings.db'));
    dirs.set(store, dir);
    return store;
  },
  async (store) => {
    await store.close();
    await rm(dirs.get(store as SqliteStore) ?? '', { recursive: true, force: true });
  },
);

describe('SqliteStore', () => {
  it('keeps readings across a reopen of the same file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caretaker-sqlite-'));
    try {
      const path = join(dir, 'readings.db');
      const first = new SqliteStore(path);
      await first.init();
      await first.write([
        {
          site: 's',
          gateway: 'g',
          device: 'd',
          device_type: 'pump',
          point: 'p',
          ts: 5,
          value: 1,
          quality: 'good',
        },
      ]);
      await first.close();
      const second = new SqliteStore(path);
      await second.init();
      expect(await second.history({ device: 'd', point: 'p', from: 0, to: 10, limit: 10 })).toEqual([
        { ts: 5, value: 1, quality: 'good' },
      ]);
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes on its own thread: writes of one turn all land, and close waits for them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caretaker-sqlite-'));
    try {
      const path = join(dir, 'readings.db');
      const first = new SqliteStore(path);
      await first.init();
      const row = (device: string, ts: number) => ({
        site: 's',
        gateway: 'g',
        device,
        device_type: 'pump' as const,
        point: 'p',
        ts,
        value: ts === 3 ? null : ts / 2,
        quality: ts === 3 ? ('bad' as const) : ('good' as const),
      });
      const writes = [1, 2, 3, 4].map((ts) => first.writeDurably([row('d', ts), row(`e${ts}`, ts)]));
      await writes[0];
      // Writes of one turn share a transaction: once the first is durable, so are the others.
      expect((await first.history({ device: 'd', point: 'p', from: 0, to: 10, limit: 10 })).length).toBe(4);
      // Not awaited: close() must still land them.
      void first.writeDurably([row('d', 5)]);
      await first.close();
      await Promise.all(writes);
      const second = new SqliteStore(path);
      await second.init();
      expect(await second.history({ device: 'd', point: 'p', from: 0, to: 10, limit: 10 })).toEqual([
        { ts: 1, value: 0.5, quality: 'good' },
        { ts: 2, value: 1, quality: 'good' },
        { ts: 3, value: null, quality: 'bad' },
        { ts: 4, value: 2, quality: 'good' },
        { ts: 5, value: 2.5, quality: 'good' },
      ]);
      expect(await second.latest('e4')).toEqual([{ point: 'p', ts: 4, value: 2, quality: 'good' }]);
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stores a device batch as sent: many series interleaved, booleans as 1/0, a duplicate in one write replaced by the later reading', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caretaker-sqlite-'));
    const store = new SqliteStore(join(dir, 'readings.db'));
    try {
      await store.init();
      // 3 points x 40 times: 120 readings, more than one multi-row INSERT holds, not a multiple of it.
      const readings: Array<DeviceReadings['readings'][number]> = [];
      for (let t = 0; t < 40; t += 1) {
        readings.push({ point: 'flow', ts: t, value: t / 2, quality: 'good' });
        readings.push({ point: 'running', ts: t, value: t % 3 === 0, quality: 'good' });
        readings.push({
          point: 'current',
          ts: t,
          value: t === 7 ? null : t,
          quality: t === 7 ? 'bad' : 'uncertain',
        });
      }
      // The same series and time again, later in the same write: it replaces the first.
      readings.push({ point: 'flow', ts: 5, value: 99, quality: 'good' });
      const batch: DeviceReadings = { site: 's', gateway: 'g', device: 'd', device_type: 'pump', readings };
      await Promise.all([
        store.writeDurably(batch),
        // Loose readings in the same turn share the transaction.
        store.write([
          {
            site: 's',
            gateway: 'g',
            device: 'd',
            device_type: 'pump',
            point: 'other',
            ts: 0,
            value: 1,
            quality: 'good',
          },
        ]),
      ]);
      const history = (point: string) => store.history({ device: 'd', point, from: 0, to: 100, limit: 100 });
      const flow = await history('flow');
      expect(flow).toHaveLength(40);
      expect(flow[5]).toEqual({ ts: 5, value: 99, quality: 'good' });
      expect(flow[39]).toEqual({ ts: 39, value: 19.5, quality: 'good' });
      expect((await history('running')).map((r) => r.value)).toEqual(
        Array.from({ length: 40 }, (_, t) => (t % 3 === 0 ? 1 : 0)),
      );
      const current = await history('current');
      expect(current[7]).toEqual({ ts: 7, value: null, quality: 'bad' });
      expect(current[8]).toEqual({ ts: 8, value: 8, quality: 'uncertain' });
      expect(await history('other')).toEqual([{ ts: 0, value: 1, quality: 'good' }]);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("finds a device's latest readings through the (series, ts) key per point (regression: it grouped all of the device's samples)", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caretaker-sqlite-'));
    const path = join(dir, 'readings.db');
    const store = new SqliteStore(path);
    const db = new Database(path, { readonly: false });
    try {
      await store.init();
      const plan = (
        db.prepare(`EXPLAIN QUERY PLAN ${LATEST_OF_DEVICE_SQL}`).all('d') as Array<{ detail: string }>
      ).map((row) => row.detail);
      // Each sample read is looked up by its full key; nothing is grouped or sorted over samples.
      expect(plan).toContain('SEARCH x USING PRIMARY KEY (series=? AND ts=?)');
      expect(plan.filter((detail) => /^SCAN|TEMP B-TREE/.test(detail))).toEqual([]);
    } finally {
      db.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses to work before init', async () => {
    await expect(new SqliteStore(':memory:').ping()).rejects.toThrow(/not initialised/);
  });
});

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 2, 1);

/** Deterministic pseudo-random numbers (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const meterReading = (
  point: string,
  ts: number,
  value: number | null,
  quality: StoredReading['quality'],
) => ({
  site: 's',
  gateway: 'g',
  device: 'meter',
  device_type: 'power_meter' as const,
  point,
  ts,
  value,
  quality,
});

/**
 * Three days of a counter (`energy`, resets now and then) and a gauge (`power`) every 40 s on
 * average, irregular, in writes of a few minutes each, as a gateway sends them, then late,
 * repeated and replaced readings into buckets already summarised.
 */
function meterWrites(seed: number): StoredReading[][] {
  const next = random(seed);
  const writes: StoredReading[][] = [];
  let counter = 5000;
  let batch: StoredReading[] = [];
  for (let ts = T0; ts < T0 + 3 * DAY; ts += Math.round(10_000 + next() * 60_000)) {
    counter = next() < 0.003 ? next() * 3 : counter + next() * 2;
    const bad = next() < 0.02;
    batch.push(meterReading('energy', ts, bad ? null : counter, bad ? 'bad' : 'good'));
    batch.push(meterReading('power', ts, next() * 100 - 20, next() < 0.1 ? 'uncertain' : 'good'));
    // The same time twice in one write: the later reading is the one kept.
    if (next() < 0.01) batch.push(meterReading('power', ts, next() * 100, 'good'));
    if (next() < 0.15) {
      writes.push(batch);
      batch = [];
    }
  }
  writes.push(batch);
  const stored = writes.flat();
  const late: StoredReading[] = [];
  for (let i = 0; i < 300; i += 1) {
    const ts = T0 + Math.floor(next() * 3 * DAY);
    const point = next() < 0.5 ? 'energy' : 'power';
    const roll = next();
    // New readings between others, readings replaced by new values or by bad ones, bad ones by good.
    if (roll < 0.4) late.push(meterReading(point, ts, next() * 50, 'good'));
    else {
      const old = stored[Math.floor(next() * stored.length)] as StoredReading;
      late.push(
        roll < 0.7
          ? { ...old, value: next() * 50, quality: 'good' }
          : { ...old, value: roll < 0.85 ? null : old.value, quality: 'bad' },
      );
    }
    if (late.length % 40 === 0) writes.push(late.splice(0));
  }
  writes.push(late);
  return writes;
}

/** Queries over the three days: aligned, ragged at either end, unaligned widths, other zones. */
function meterQueries(): AggregateQuery[] {
  const shapes: Array<[number, number, number]> = [
    [T0, T0 + 3 * DAY - 1, HOUR],
    [T0, T0 + 3 * DAY - 1, 15 * MIN],
    [T0 - 5.5 * HOUR, T0 + 2.5 * DAY - 1, DAY], // Asia/Kolkata days
    [T0 - 8 * HOUR, T0 + 3 * DAY, DAY], // Asia/Shanghai days, a reading past the end
    [T0 - 5.75 * HOUR, T0 + 2 * DAY, 6 * HOUR], // Asia/Kathmandu (+05:45)
    [T0 + 7 * MIN + 13_000, T0 + 2 * DAY + 3 * MIN, HOUR], // starts and ends mid-bucket
    [T0 + 30 * MIN, T0 + 3 * DAY - 1, HOUR], // on the 15-minute grid, not the hourly one
    [T0 + 11 * MIN, T0 + 3 * DAY, 97 * MIN], // no level lines up
    [T0 + 11 * MIN + 1234, T0 + 3 * DAY - 5 * MIN, 301 * MIN], // nor here, and hours span it
    [T0 + 2 * HOUR, T0 + 2 * HOUR + 10 * MIN, 15 * MIN], // inside one summary bucket
    [T0, T0 + 3 * DAY, 5 * MIN], // finer than any level
  ];
  return shapes.flatMap(([from, to, bucketMs]) =>
    ['energy', 'power'].map((point) => ({ device: 'meter', point, from, to, bucketMs })),
  );
}

/** Readings as the store keeps them: the last written of each series and time. */
function keptReadings(writes: StoredReading[][], point: string): StoredReading[] {
  return writes.flat().filter((r) => r.point === point);
}

/**
 * Every stored summary against the samples it summarises (count, sum, min, max, first, last and
 * the counter increments with resets), and every bucket with good samples has one.
 */
function summaryMismatches(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    const problems: string[] = [];
    const seriesIds = db.prepare('SELECT id FROM series').pluck().all() as number[];
    for (const series of seriesIds) {
      const samples = db
        .prepare(
          'SELECT ts, value FROM samples WHERE series = ? AND quality != 2 AND value IS NOT NULL ORDER BY ts',
        )
        .all(series) as Array<{ ts: number; value: number }>;
      for (const width of ROLLUP_LEVELS) {
        const expected = new Map<number, Array<{ ts: number; value: number }>>();
        for (const sample of samples) {
          const bucket = Math.floor(sample.ts / width) * width;
          expected.set(bucket, [...(expected.get(bucket) ?? []), sample]);
        }
        const rows = db
          .prepare('SELECT * FROM rollups WHERE series = ? AND width = ? ORDER BY bucket')
          .all(series, width) as Array<Record<string, number>>;
        if (rows.length !== expected.size)
          problems.push(
            `series ${series} width ${width}: ${rows.length} summaries for ${expected.size} buckets`,
          );
        for (const row of rows) {
          const inBucket = expected.get(row.bucket as number) ?? [];
          const values = inBucket.map((x) => x.value);
          let inc = 0;
          for (let i = 1; i < values.length; i += 1) {
            const [before, after] = [values[i - 1] as number, values[i] as number];
            inc += after >= before ? after - before : after;
          }
          const want = {
            count: values.length,
            sum: values.reduce((a, b) => a + b, 0),
            min: Math.min(...values),
            max: Math.max(...values),
            first_ts: inBucket[0]?.ts,
            first: values[0],
            last_ts: inBucket.at(-1)?.ts,
            last: values.at(-1),
            inc,
          };
          for (const [key, value] of Object.entries(want)) {
            const got = row[key] as number;
            if (value === undefined || Math.abs(got - value) > 1e-6 * Math.max(1, Math.abs(value)))
              problems.push(
                `series ${series} width ${width} bucket ${row.bucket}: ${key} ${got}, not ${value}`,
              );
          }
          // An hourly row's quarters are its 15-minute rows' means, to the last bit.
          const [finest, top] = [ROLLUP_LEVELS[0] as number, ROLLUP_LEVELS.at(-1) as number];
          for (let q = 0; q < top / finest; q += 1) {
            const quarter =
              width === top
                ? (db
                    .prepare('SELECT sum, count FROM rollups WHERE series = ? AND width = ? AND bucket = ?')
                    .get(series, finest, (row.bucket as number) + q * finest) as
                    | { sum: number; count: number }
                    | undefined)
                : undefined;
            const want = quarter ? quarter.sum / quarter.count : null;
            if (row[`q${q}`] !== want)
              problems.push(
                `series ${series} width ${width} bucket ${row.bucket}: q${q} ${row[`q${q}`]}, not ${want}`,
              );
          }
        }
      }
    }
    return problems;
  } finally {
    db.close();
  }
}

/** The store's answer equals the one worked out from the readings (means to rounding). */
async function expectSameAsReadings(store: SqliteStore, writes: StoredReading[][], query: AggregateQuery) {
  const expected = expectedBuckets(keptReadings(writes, query.point), query.from, query.to, query.bucketMs);
  const label = `${query.point} from ${query.from} to ${query.to} by ${query.bucketMs}`;
  expect(await store.counterBuckets(query), label).toEqual(expected.counter);
  expect(await store.aggregate(query), label).toEqual(
    expected.aggregate.map((b) => ({ ...b, mean: expect.closeTo(b.mean, 9) })),
  );
}

describe('SqliteStore summaries', () => {
  it('picks the coarsest summary level that tiles the query, the finest when one spans several, else none', () => {
    const cases: Array<[string, number, number, number | undefined]> = [
      ['hours from an hour', T0, HOUR, HOUR],
      ['days from midnight UTC+8', T0 - 8 * HOUR, DAY, HOUR],
      ['days from midnight UTC+05:30', T0 - 5.5 * HOUR, DAY, 15 * MIN],
      ['15 minutes', T0 + 45 * MIN, 15 * MIN, 15 * MIN],
      ['hours from a ragged start', T0 + 7 * MIN, HOUR, 15 * MIN],
      ['97 minutes', T0, 97 * MIN, 15 * MIN],
      ['a year in 500 buckets, from now', T0 + 7 * MIN + 13_373, Math.ceil((365 * DAY + 1) / 500), HOUR],
      ['half an hour from a ragged start', T0 + 7 * MIN, 30 * MIN, undefined],
      ['5 minutes', T0, 5 * MIN, undefined],
    ];
    for (const [name, from, width, level] of cases) expect(rollupLevelFor(from, width), name).toBe(level);
  });

  it('answers from the summaries what the readings say, with late, repeated, replaced and bad readings', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caretaker-sqlite-'));
    const path = join(dir, 'readings.db');
    const store = new SqliteStore(path);
    try {
      await store.init();
      const writes = meterWrites(7);
      for (const write of writes) await store.write(write);
      expect(await store.rollupsReady()).toBe(true);
      expect(summaryMismatches(path)).toEqual([]);
      const queries = meterQueries();
      for (const query of queries) await expectSameAsReadings(store, writes, query);
      // Only the 5-minute ones (each asked as a counter and as a gauge) read the samples alone.
      expect(store.answered).toEqual({ fromRollups: queries.length * 2 - 4, fromSamples: 4 });
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('builds the summaries of a data directory that has none, a chunk at a time, while readings keep arriving', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caretaker-sqlite-'));
    const path = join(dir, 'readings.db');
    const writes = meterWrites(11);
    const [earlier, later] = [writes.slice(0, -4), writes.slice(-4)];
    try {
      const first = new SqliteStore(path);
      await first.init();
      for (const write of earlier) await first.write(write);
      await first.close();
      // As a data directory from before summaries: no summaries, no record of them.
      const db = new Database(path);
      db.exec("DROP TABLE rollups; DELETE FROM store_meta WHERE key = 'rollups'");
      db.close();

      // About 15 minutes of readings per transaction: a few hundred of them over three days.
      const store = new SqliteStore(path, 'full', { backfillChunkRows: 20 });
      try {
        await store.init();
        expect(await store.rollupsReady()).toBe(false);
        const query = { device: 'meter', point: 'energy', from: T0, to: T0 + 3 * DAY - 1, bucketMs: HOUR };
        // Until they are built, the samples answer.
        await expectSameAsReadings(store, earlier, query);
        expect(store.answered.fromSamples).toBe(2);
        // Late and replaced readings keep arriving meanwhile, into summarised buckets and not yet
        // summarised ones.
        for (const write of later) await store.write(write);
        await expect.poll(() => store.rollupsReady(), { timeout: 20_000 }).toBe(true);
        expect(summaryMismatches(path)).toEqual([]);
        for (const q of meterQueries()) await expectSameAsReadings(store, writes, q);
        expect(store.answered.fromRollups).toBeGreaterThan(0);
      } finally {
        await store.close();
      }
      // Built once: the next start finds them ready.
      const again = new SqliteStore(path);
      await again.init();
      expect(await again.rollupsReady()).toBe(true);
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers an in-memory store (no writer thread) from the samples', async () => {
    const store = new SqliteStore(':memory:');
    await store.init();
    const writes = meterWrites(3).slice(0, 20);
    for (const write of writes) await store.write(write);
    const query = { device: 'meter', point: 'power', from: T0, to: T0 + DAY - 1, bucketMs: HOUR };
    await expectSameAsReadings(store, writes, query);
    expect(store.answered).toEqual({ fromRollups: 0, fromSamples: 2 });
    await store.close();
  });
});

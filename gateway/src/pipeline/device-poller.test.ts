import type { Reading } from '@caretaker/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { Driver } from '../drivers/driver.js';
import { testLogger } from '../testing/test-logger.js';
import type { Accumulator } from './accumulator.js';
import { DevicePoller, nextPollDelay } from './device-poller.js';

describe('nextPollDelay', () => {
  it.each([
    // [interval, elapsed, failures, cap, expected]
    [1000, 0, 0, 30_000, 1000],
    [1000, 300, 0, 30_000, 700], // fixed rate: the poll's own duration is subtracted
    [1000, 1500, 0, 30_000, 0], // a slow poll is followed at once, never overlapped
    [1000, 0, 1, 30_000, 1000],
    [1000, 0, 2, 30_000, 2000],
    [1000, 0, 3, 30_000, 4000],
    [1000, 0, 6, 30_000, 30_000], // capped
    [1000, 0, 500, 30_000, 30_000],
    [60_000, 0, 3, 30_000, 60_000], // never faster than the interval
  ])(
    'interval %i, elapsed %i, failures %i, cap %i -> %i',
    (intervalMs, elapsedMs, failures, maxBackoffMs, expected) => {
      expect(nextPollDelay({ intervalMs, elapsedMs, failures, maxBackoffMs })).toBe(expected);
    },
  );
});

/** A scripted driver: each gather takes the next outcome (a value to report, or an error). */
class ScriptedDriver implements Driver {
  readonly id = 'dev-1';
  gathers = 0;
  concurrent = 0;
  maxConcurrent = 0;
  stopped = false;
  readonly #script: Array<number | Error>;

  constructor(script: Array<number | Error>) {
    this.#script = script;
  }

  init(): void {}
  async start(): Promise<void> {}
  async gather(acc: Accumulator): Promise<void> {
    this.concurrent += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    try {
      const step = this.#script[Math.min(this.gathers, this.#script.length - 1)];
      this.gathers += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (step instanceof Error) throw step;
      acc.addValue({ name: 'x' }, step ?? 0, acc.now());
    } finally {
      this.concurrent -= 1;
    }
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
}

const pollers: DevicePoller[] = [];
afterEach(async () => {
  await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
});

function run(driver: ScriptedDriver, offlineAfterFailures = 2) {
  const events: string[] = [];
  const batches: Reading[][] = [];
  let changed: () => void = () => {};
  const poller = new DevicePoller({
    driver,
    pollIntervalMs: 10,
    timeoutMs: 100,
    now: () => 42,
    logger: testLogger('test:poller'),
    offlineAfterFailures,
    maxBackoffMs: 20,
    onReadings: (readings) => {
      batches.push(readings);
      changed();
    },
    onStateChange: (state, error) => {
      events.push(error === undefined ? state : `${state}: ${error}`);
      changed();
    },
  });
  pollers.push(poller);
  poller.start();
  const until = (what: string, condition: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 5_000);
      changed = () => {
        if (condition()) {
          clearTimeout(timer);
          resolve();
        }
      };
      changed();
    });
  return { poller, events, batches, until };
}

describe('DevicePoller', () => {
  it('reports online once, then only changes; one failure alone does not flap the state', async () => {
    const boom = new Error('timeout');
    const driver = new ScriptedDriver([1, 2, boom, 3, boom, boom, boom, 4]);
    const { events, batches, until } = run(driver);
    await until('back online', () => events.length >= 3);
    expect(events).toEqual(['online', 'offline: timeout', 'online']);
    expect(batches.map((batch) => batch[0]?.value)).toEqual([1, 2, 3, 4]);
    expect(batches[0]?.[0]).toEqual({ point: 'x', value: 1, quality: 'good', ts: 42 });
  });

  it('reports a device that fails its first poll offline at once', async () => {
    const driver = new ScriptedDriver([new Error('connect ECONNREFUSED')]);
    const { events, until } = run(driver);
    await until('offline', () => events.length >= 1);
    expect(events).toEqual(['offline: connect ECONNREFUSED']);
  });

  it('never overlaps a poll with the previous one, and stops the driver on stop', async () => {
    const driver = new ScriptedDriver([1]);
    const { poller, batches, until } = run(driver);
    await until('several polls', () => batches.length >= 5);
    await poller.stop();
    expect(driver.maxConcurrent).toBe(1);
    expect(driver.stopped).toBe(true);
    const after = driver.gathers;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(driver.gathers).toBe(after);
  });
});

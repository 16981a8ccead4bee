import type { Reading } from '@caretaker/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Acquisition } from '../config/resolved-config.js';
import type { Driver } from '../drivers/driver.js';
import { acquisition } from '../testing/fixtures.js';
import { testLogger } from '../testing/test-logger.js';
import type { Accumulator } from './accumulator.js';
import { backoffDelay, DeviceRunner, type RunnerStatus } from './device-runner.js';

describe('backoffDelay', () => {
  it.each([
    // [period, failures, cap, random, expected]
    [1000, 0, 30_000, 0.5, 0],
    [1000, 1, 30_000, 0.5, 0], // one failure: retried on the next tick
    [1000, 2, 30_000, 0, 1000], // 2000 with equal jitter: 1000..2000
    [1000, 2, 30_000, 1, 2000],
    [1000, 3, 30_000, 0.5, 3000], // 4000: 2000..4000
    [1000, 10, 30_000, 1, 30_000], // capped
    [1000, 10, 30_000, 0, 15_000],
    [1000, 500, 4_000, 0, 2_000],
    [60_000, 3, 4_000, 0, 60_000], // never faster than the period
  ])(
    'period %i, failures %i, cap %i, random %d -> %i',
    (periodMs, failures, maxBackoffMs, random, expected) => {
      expect(backoffDelay({ periodMs, failures, maxBackoffMs, random })).toBe(expected);
    },
  );
});

type Step = number | Error | 'bad' | 'hang' | { text: string } | { timeoutAfter: number };

/** A scripted driver: each gather takes the next step (a value, an error, a bad point, a hang). */
class ScriptedDriver implements Driver {
  readonly id = 'dev-1';
  readonly scanPeriods: number[];
  gathers: number[] = [];
  concurrent = 0;
  maxConcurrent = 0;
  stopped = false;
  /** How long each gather takes (a slow device), ms. */
  delayMs = 0;
  release: () => void = () => {};
  readonly #script: Step[];

  constructor(script: Step[], periods = [100]) {
    this.#script = script;
    this.scanPeriods = periods;
  }

  init(): void {}
  async start(): Promise<void> {}
  async gather(acc: Accumulator, scanClass: number): Promise<void> {
    this.concurrent += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    try {
      const step = this.#script[Math.min(this.gathers.length, this.#script.length - 1)] ?? 0;
      this.gathers.push(scanClass);
      if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      if (typeof step === 'object' && 'timeoutAfter' in step) {
        await new Promise((resolve) => setTimeout(resolve, step.timeoutAfter));
        throw new Error('timeout');
      }
      if (step === 'hang') await new Promise<void>((resolve) => (this.release = resolve));
      if (step instanceof Error) throw step;
      if (step === 'bad') {
        acc.addValue({ name: 'x' }, 1, acc.now());
        acc.addBad({ name: 'y' }, 'Modbus exception 2 (illegal data address)', acc.now());
      } else if (typeof step === 'object') {
        acc.addText({ name: 'serial' }, step.text, acc.now());
      } else if (typeof step === 'number') {
        acc.addValue({ name: 'x' }, step, acc.now());
      }
    } finally {
      this.concurrent -= 1;
    }
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
}

const runners: DeviceRunner[] = [];
beforeEach(() => {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'],
  });
});
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(runners.splice(0).map((runner) => runner.stop()));
});

function run(
  driver: ScriptedDriver,
  options: { points?: Record<string, Acquisition>; offlineAfter?: number } = {},
) {
  const statuses: string[] = [];
  const full: RunnerStatus[] = [];
  const batches: Reading[][] = [];
  const overruns: number[] = [];
  const healths: string[] = [];
  const runner = new DeviceRunner({
    driver,
    points: new Map(Object.entries(options.points ?? {})),
    timeoutMs: 50,
    offlineAfterFailures: options.offlineAfter ?? 2,
    maxBackoffMs: 1000,
    now: () => Date.now(),
    logger: testLogger('test:runner'),
    random: () => 0.5,
    metrics: {
      overrun: (_p, n) => overruns.push(n),
      polled: () => {},
      health: (health, reason) => healths.push(reason === undefined ? health : `${health}: ${reason}`),
      lastGood: () => {},
    },
    onReadings: (readings) => batches.push(readings),
    onStatus: (status) => {
      full.push(status);
      statuses.push(status.error === undefined ? status.health : `${status.health}: ${status.error}`);
    },
  });
  runners.push(runner);
  runner.start();
  return { runner, statuses, full, batches, overruns, healths };
}

const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

describe('DeviceRunner', () => {
  it('goes online, degraded on a failure, offline after two, and back; one failure does not flap', async () => {
    const boom = new Error('timeout');
    const driver = new ScriptedDriver([1, 2, boom, 3, boom, boom, boom, 4]);
    const { statuses, batches, runner } = run(driver);
    await advance(5_000);
    expect(statuses).toEqual([
      'online',
      'degraded: 1 failed poll(s): timeout',
      'online',
      'degraded: 1 failed poll(s): timeout',
      'offline: timeout',
      'online',
    ]);
    expect(batches.slice(0, 4).map((batch) => batch[0]?.value)).toEqual([1, 2, 3, 4]);
    expect(runner.state).toBe('online');
  });

  it('reports a device that fails its first poll offline at once', async () => {
    const { statuses } = run(new ScriptedDriver([new Error('connect ECONNREFUSED')]));
    await advance(10);
    expect(statuses).toEqual(['offline: connect ECONNREFUSED']);
  });

  it('backs off a failing device: far fewer polls than its period allows', async () => {
    const driver = new ScriptedDriver([new Error('timeout')]);
    run(driver);
    await advance(10_000);
    // Every 100 ms would be 100 polls; backoff (150, 300, 600, then 750 ms with this jitter) gives ~15.
    expect(driver.gathers.length).toBeGreaterThan(8);
    expect(driver.gathers.length).toBeLessThan(20);
  });

  it('counts overruns instead of queueing polls behind a slow one, and never overlaps polls', async () => {
    const driver = new ScriptedDriver([1, 'hang', 2]);
    const { overruns, runner } = run(driver);
    await advance(1_050); // first poll at 0, the second hangs from 100 on; ticks 200..1000 overrun
    expect(runner.overruns).toBe(9);
    expect(overruns.reduce((a, b) => a + b, 0)).toBe(9);
    driver.release();
    await advance(200);
    expect(driver.maxConcurrent).toBe(1);
    expect(driver.gathers.length).toBe(4); // 0, 100 (hung), 1100, 1200
  });

  it('is degraded while a scan class persistently overruns, says why, and recovers when it stops', async () => {
    const driver = new ScriptedDriver([1]);
    driver.delayMs = 150; // 1.5 periods: every other poll is skipped
    const { statuses, healths, runner } = run(driver);
    await advance(5_000);
    expect(runner.overruns).toBe(25); // counted at once...
    expect(runner.health).toBe('online'); // ...but not yet persistent (a 10 s window of 100 polls)
    await advance(5_000);
    const reason = '100 ms scan class overrunning: 50 of 100 polls skipped';
    expect(runner.health).toBe('degraded');
    expect(runner.state).toBe('online');
    expect(runner.reason).toBe(reason);
    expect(statuses).toEqual(['online', `degraded: ${reason}`]);
    expect(healths.at(-1)).toBe(`degraded: ${reason}`); // the stats' state and reason
    driver.delayMs = 0; // the device keeps up again
    await advance(20_000);
    expect(statuses).toEqual(['online', `degraded: ${reason}`, 'online']);
    expect(healths.at(-1)).toBe('online');
    expect(runner.reason).toBeUndefined();
  });

  it('counts a single slow poll as overruns without degrading the device', async () => {
    const driver = new ScriptedDriver([1]);
    driver.delayMs = 450;
    const { statuses, runner } = run(driver);
    await advance(50);
    driver.delayMs = 0;
    await advance(25_000);
    expect(runner.overruns).toBe(4);
    expect(statuses).toEqual(['online']);
  });

  it('reports polls that time out as failures, not as the overruns the waiting caused', async () => {
    // Each failed poll waits 1 s (10 periods) for its timeout: 9 ticks skipped per poll.
    const failures = Array.from({ length: 12 }, () => ({ timeoutAfter: 1_000 }));
    const driver = new ScriptedDriver([1, ...failures, 1]);
    const { statuses, runner } = run(driver, { offlineAfter: 1_000 });
    await advance(40_000);
    expect(driver.gathers.length).toBeGreaterThan(13);
    expect(runner.overruns).toBeGreaterThan(100);
    expect(statuses).toEqual(['online', 'degraded: 1 failed poll(s): timeout', 'online']);
  });

  it('runs each scan class on its own period, one device poll at a time', async () => {
    const driver = new ScriptedDriver([1], [100, 1000]);
    run(driver);
    await advance(2_050);
    const fast = driver.gathers.filter((c) => c === 0).length;
    const slow = driver.gathers.filter((c) => c === 1).length;
    expect(fast).toBe(21); // 0, 100, ..., 2000
    expect(slow).toBe(3); // 0, 1000, 2000
    expect(driver.maxConcurrent).toBe(1);
  });

  it('is degraded while some points read bad, and says why', async () => {
    const { statuses } = run(new ScriptedDriver([1, 'bad', 'bad', 1]));
    await advance(350);
    expect(statuses).toEqual([
      'online',
      'degraded: 1 of 2 points bad: Modbus exception 2 (illegal data address)',
      'online',
    ]);
  });

  it('publishes text values as attributes of the status, again only when they change', async () => {
    const { full } = run(new ScriptedDriver([{ text: 'SN-1' }, { text: 'SN-1' }, { text: 'SN-2' }]));
    await advance(250);
    expect(full.map((s) => s.attributes)).toEqual([{ serial: 'SN-1' }, { serial: 'SN-2' }]);
  });

  it('applies the report filter to what it publishes', async () => {
    const driver = new ScriptedDriver([1, 1, 1.2, 2, 2]);
    const { batches } = run(driver, {
      points: { x: acquisition({ report_on_change: true, deadband: 0.5 }) },
    });
    await advance(450);
    expect(batches.map((batch) => batch.map((r) => r.value))).toEqual([[1], [2]]);
  });

  it('runs an exclusive operation between polls', async () => {
    const driver = new ScriptedDriver([1, 'hang', 2]);
    const { runner } = run(driver);
    await advance(150); // the second poll hangs
    let done = false;
    const op = runner.exclusive(async () => {
      expect(driver.concurrent).toBe(0);
      done = true;
      return 7;
    });
    await advance(10);
    expect(done).toBe(false);
    driver.release();
    expect(await op).toBe(7);
  });
});

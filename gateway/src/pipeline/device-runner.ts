import type { DeviceHealth, DeviceState, Reading } from '@caretaker/protocol';
import type { Logger } from '@caretaker/protocol/log';
import type { Acquisition } from '../config/resolved-config.js';
import type { Driver } from '../drivers/driver.js';
import { ReadingAccumulator } from './accumulator.js';
import { ReportFilter } from './report-filter.js';
import { TimeoutError, withTimeout } from './with-timeout.js';

/** What the runner publishes about the device (the output turns it into the retained status). */
export interface RunnerStatus {
  state: 'online' | 'offline';
  health: DeviceHealth;
  error?: string;
  attributes?: Record<string, string>;
}

/** Where the runner reports its own numbers (the gateway's metrics). */
export interface RunnerMetrics {
  overrun(periodMs: number, count: number): void;
  polled(ok: boolean): void;
  health(health: DeviceHealth): void;
  lastGood(ts: number): void;
}

export interface DeviceRunnerOptions {
  driver: Driver;
  /** Acquisition settings by point name (report filter). */
  points: ReadonlyMap<string, Acquisition>;
  /** Per-request timeout of the device; bounds a whole poll together with the period. */
  timeoutMs: number;
  /** Consecutive failed polls before the device is reported offline (an unknown device: the first). */
  offlineAfterFailures: number;
  /** Longest wait between retries of a failing device. */
  maxBackoffMs: number;
  now: () => number;
  logger: Logger;
  /** Readings of one successful poll that passed the report filter (never empty). */
  onReadings: (readings: Reading[]) => void;
  /** The device's state, health or attributes changed (also once after the first poll). */
  onStatus: (status: RunnerStatus) => void;
  metrics?: RunnerMetrics;
  /** Random numbers in [0, 1) for the backoff jitter (injected by tests). */
  random?: () => number;
}

/**
 * Delay before retrying a device whose last `failures` polls failed in a row: the scan period,
 * doubling per further failure up to the cap, with "equal jitter" (a random point in the upper
 * half) so that devices that failed together (a switch rebooted) do not retry in lockstep. Never
 * shorter than the period: a failing device is not polled faster than a healthy one.
 */
export function backoffDelay(options: {
  periodMs: number;
  failures: number;
  maxBackoffMs: number;
  random: number;
}): number {
  const { periodMs, failures, maxBackoffMs, random } = options;
  if (failures <= 1) return 0; // one failure alone (a lost packet) is retried on the next tick
  const base = Math.min(maxBackoffMs, periodMs * 2 ** Math.min(failures - 1, 30));
  return Math.max(periodMs, base / 2 + (random * base) / 2);
}

interface ScanClassState {
  index: number;
  periodMs: number;
  /** performance.now() of the next tick. */
  due: number;
  timer: NodeJS.Timeout | undefined;
  busy: boolean;
  /** Why this class's last poll was not entirely good, if it was not. */
  problem: string | undefined;
}

/**
 * Runs one device: one timer per scan class (fixed rate, anchored, so periods do not drift), all
 * gathers of the device one after another (they share its connection), and nothing here ever
 * waits on another device.
 *
 * - A tick that comes while the class's previous poll is still running is an overrun: counted,
 *   skipped (never queued, so a slow device does not build a backlog of stale polls).
 * - Failures back off with jitter; the device is `degraded` after a failed poll and `offline`
 *   after `offlineAfterFailures` in a row; `degraded` also when some points read bad.
 * - Readings pass the report filter (deadband, report on change, heartbeat).
 */
export class DeviceRunner {
  readonly #opts: DeviceRunnerOptions;
  readonly #filter: ReportFilter;
  readonly #random: () => number;
  #classes: ScanClassState[] = [];
  #state: DeviceState = 'unknown';
  #health: DeviceHealth | 'unknown' = 'unknown';
  #lastStatus = '';
  #error: string | undefined;
  #attributes: Record<string, string> | undefined;
  #failures = 0;
  /** performance.now() before which the device is not polled (backoff). */
  #retryAt = 0;
  #driverStarted = false;
  #running = false;
  #chain: Promise<unknown> = Promise.resolve();
  #overruns = 0;

  constructor(options: DeviceRunnerOptions) {
    this.#opts = options;
    this.#filter = new ReportFilter(options.points);
    this.#random = options.random ?? Math.random;
  }

  get id(): string {
    return this.#opts.driver.id;
  }

  /** online/offline/unknown, as the device status topic says it. */
  get state(): DeviceState {
    return this.#state;
  }

  /** online/degraded/offline/unknown. */
  get health(): DeviceHealth | 'unknown' {
    return this.#health;
  }

  get overruns(): number {
    return this.#overruns;
  }

  get suppressed(): number {
    return this.#filter.suppressed;
  }

  /** Starts every scan class; the first polls run right away. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const now = performance.now();
    this.#classes = this.#opts.driver.scanPeriods.map((periodMs, index) => ({
      index,
      periodMs,
      due: now,
      timer: undefined,
      busy: false,
      problem: undefined,
    }));
    for (const scan of this.#classes) this.#arm(scan);
  }

  /** Stops the timers, waits for a poll in progress, then stops the driver. */
  async stop(): Promise<void> {
    this.#running = false;
    for (const scan of this.#classes) clearTimeout(scan.timer);
    await this.#chain;
    await this.#opts.driver
      .stop()
      .catch((err: unknown) => this.#opts.logger.warn({ err }, 'driver stop failed'));
  }

  /**
   * Runs `op` on the driver between polls (a command's write and read-back), so nothing else
   * talks to the device meanwhile.
   */
  exclusive<T>(op: (driver: Driver) => Promise<T>): Promise<T> {
    const run = async () => {
      if (!this.#driverStarted) {
        await this.#opts.driver.start();
        this.#driverStarted = true;
      }
      return op(this.#opts.driver);
    };
    const result = this.#chain.then(run, run);
    this.#chain = result.catch(() => {});
    return result;
  }

  #arm(scan: ScanClassState): void {
    if (!this.#running) return;
    const delay = Math.max(0, scan.due - performance.now());
    scan.timer = setTimeout(() => this.#tick(scan), delay);
  }

  #tick(scan: ScanClassState): void {
    if (!this.#running) return;
    // Next tick on the fixed grid; ticks the process could not even schedule (a blocked event
    // loop) are overruns too.
    const now = performance.now();
    scan.due += scan.periodMs;
    if (scan.due <= now) {
      const missed = Math.floor((now - scan.due) / scan.periodMs) + 1;
      scan.due += missed * scan.periodMs;
      this.#overrun(scan, missed);
    }
    this.#arm(scan);
    if (scan.busy) {
      this.#overrun(scan, 1);
      return;
    }
    if (performance.now() < this.#retryAt) return; // backing off
    scan.busy = true;
    const run = () =>
      this.#poll(scan).finally(() => {
        scan.busy = false;
      });
    this.#chain = this.#chain.then(run, run);
  }

  #overrun(scan: ScanClassState, count: number): void {
    this.#overruns += count;
    this.#opts.metrics?.overrun(scan.periodMs, count);
    this.#opts.logger.debug({ period_ms: scan.periodMs, count }, 'scan overrun');
  }

  async #poll(scan: ScanClassState): Promise<void> {
    if (!this.#running || performance.now() < this.#retryAt) return;
    const { driver, now, logger } = this.#opts;
    const watchdogMs = Math.max(scan.periodMs, this.#opts.timeoutMs) * 10 + 5_000;
    const hung = new TimeoutError(`poll did not finish within ${watchdogMs} ms`);
    try {
      if (!this.#driverStarted) {
        await withTimeout(driver.start(), watchdogMs, hung);
        this.#driverStarted = true;
      }
      const acc = new ReadingAccumulator(now);
      // Drivers bound each request; this is the backstop for a driver that hangs anyway.
      await withTimeout(driver.gather(acc, scan.index), watchdogMs, hung);
      if (!this.#running) return;
      this.#succeeded(scan, acc);
    } catch (err) {
      if (!this.#running) return;
      const message = err instanceof Error ? err.message : String(err);
      if (err === hung) {
        // Reset the driver so the next poll starts from a fresh connection.
        this.#driverStarted = false;
        await driver.stop().catch(() => {});
      }
      this.#failed(scan, message);
      logger.debug({ failures: this.#failures, err: message }, 'poll failed');
    }
  }

  #succeeded(scan: ScanClassState, acc: ReadingAccumulator): void {
    const { metrics } = this.#opts;
    const recovered = this.#failures > 0 || this.#state === 'offline';
    this.#failures = 0;
    this.#retryAt = 0;
    metrics?.polled(true);
    metrics?.lastGood(this.#opts.now());
    const bad = acc.readings.filter((reading) => reading.quality === 'bad');
    scan.problem =
      bad.length === 0
        ? undefined
        : `${bad.length} of ${acc.readings.length + acc.texts.size} points bad: ${bad[0]?.reason ?? 'bad'}`;
    let attributesChanged = false;
    if (acc.texts.size > 0) {
      const next = { ...(this.#attributes ?? {}), ...Object.fromEntries(acc.texts) };
      attributesChanged = JSON.stringify(next) !== JSON.stringify(this.#attributes ?? {});
      this.#attributes = next;
    }
    // After an outage, send every value again rather than only those that changed meanwhile.
    if (recovered) this.#filter.reset();
    const problem = this.#classes.find((c) => c.problem !== undefined)?.problem;
    this.#setStatus('online', problem === undefined ? 'online' : 'degraded', problem, attributesChanged);
    const readings = this.#filter.apply(acc.readings);
    if (readings.length > 0) this.#opts.onReadings(readings);
  }

  #failed(scan: ScanClassState, error: string): void {
    this.#failures += 1;
    this.#opts.metrics?.polled(false);
    this.#retryAt =
      performance.now() +
      backoffDelay({
        periodMs: scan.periodMs,
        failures: this.#failures,
        maxBackoffMs: this.#opts.maxBackoffMs,
        random: this.#random(),
      });
    // The first poll decides at once (so the hub learns the state promptly); after that an online
    // device has to fail several polls in a row, so one lost packet does not flap its status.
    if (
      this.#state === 'unknown' ||
      this.#failures >= this.#opts.offlineAfterFailures ||
      this.#state === 'offline'
    ) {
      this.#setStatus('offline', 'offline', error, false);
    } else {
      this.#setStatus('online', 'degraded', `${this.#failures} failed poll(s): ${error}`, false);
    }
  }

  #setStatus(
    state: 'online' | 'offline',
    health: DeviceHealth,
    error: string | undefined,
    force: boolean,
  ): void {
    const key = `${state}/${health}`;
    this.#error = error;
    if (key === this.#lastStatus && !force) return;
    const { logger } = this.#opts;
    if (state !== this.#state) {
      if (state === 'offline') logger.warn({ err: error }, 'device offline');
      else logger.info(this.#state === 'offline' ? 'device back online' : 'device online');
    } else if (health === 'degraded') {
      logger.info({ reason: error }, 'device degraded');
    }
    this.#lastStatus = key;
    this.#state = state;
    this.#health = health;
    this.#opts.metrics?.health(health);
    this.#opts.onStatus({
      state,
      health,
      ...(this.#error === undefined ? {} : { error: this.#error }),
      ...(this.#attributes === undefined ? {} : { attributes: this.#attributes }),
    });
  }
}

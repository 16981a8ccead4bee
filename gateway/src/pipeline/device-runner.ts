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
  /** The device's health changed, or the reason for it (`reason`: why not online). */
  health(health: DeviceHealth, reason?: string): void;
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

/**
 * Overruns that make a device `degraded`: in a window of a scan class's due polls (10 s of them,
 * at least 10 polls), a quarter or more skipped because the previous poll was still running. One
 * slow answer or a collection pause skips a few polls and is only counted; a device whose polls
 * keep taking longer than their period (at 1.1 periods every other poll is skipped) is degraded
 * until a window with fewer than a tenth skipped (hysteresis, so a borderline device does not
 * flap).
 */
export const OVERRUN_WINDOW_MS = 10_000;
export const OVERRUN_WINDOW_MIN_POLLS = 10;
export const OVERRUN_DEGRADED_SHARE = 0.25;
export const OVERRUN_RECOVERED_SHARE = 0.1;

/** How many due polls an overrun window of a scan class spans. */
export function overrunWindowPolls(periodMs: number): number {
  return Math.max(OVERRUN_WINDOW_MIN_POLLS, Math.ceil(OVERRUN_WINDOW_MS / periodMs));
}

// The status `error` limit of the protocol (deviceStatusSchema).
const MAX_REASON_LENGTH = 500;

interface ScanClassState {
  index: number;
  periodMs: number;
  /** performance.now() of the next tick. */
  due: number;
  timer: NodeJS.Timeout | undefined;
  busy: boolean;
  /** Why this class's last poll was not entirely good, if it was not. */
  problem: string | undefined;
  /** Due polls and skipped (overrun) polls in the current overrun window. */
  windowDue: number;
  windowSkipped: number;
  /** Why this class is persistently overrunning, if it is. */
  overrunning: string | undefined;
}

/**
 * Runs one device: one timer per scan class (fixed rate, anchored, so periods do not drift), all
 * gathers of the device one after another (they share its connection), and nothing here ever
 * waits on another device.
 *
 * - A tick that comes while the class's previous poll is still running is an overrun: counted,
 *   skipped (never queued, so a slow device does not build a backlog of stale polls).
 * - Failures back off with jitter; the device is `degraded` after a failed poll and `offline`
 *   after `offlineAfterFailures` in a row; `degraded` also when some points read bad, and while a
 *   scan class persistently overruns (see OVERRUN_DEGRADED_SHARE).
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

  /** Why the device is not `online` (the status' `error`), if it is not. */
  get reason(): string | undefined {
    return this.#error;
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
      windowDue: 0,
      windowSkipped: 0,
      overrunning: undefined,
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
    this.#countDue(scan, 1, 0);
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
    this.#countDue(scan, count, count);
  }

  /**
   * Adds due polls (and how many of them were skipped) to the class's overrun window; at the
   * window's end decides whether the class is persistently overrunning, and updates the status
   * when that changed.
   */
  #countDue(scan: ScanClassState, due: number, skipped: number): void {
    scan.windowDue += due;
    scan.windowSkipped += skipped;
    if (scan.windowDue < overrunWindowPolls(scan.periodMs)) return;
    const share = scan.windowSkipped / scan.windowDue;
    const was = scan.overrunning;
    if (share >= OVERRUN_DEGRADED_SHARE || (was !== undefined && share >= OVERRUN_RECOVERED_SHARE)) {
      scan.overrunning = `${scan.periodMs} ms scan class overrunning: ${scan.windowSkipped} of ${scan.windowDue} polls skipped`;
    } else {
      scan.overrunning = undefined;
    }
    scan.windowDue = 0;
    scan.windowSkipped = 0;
    if (was === undefined && scan.overrunning !== undefined) {
      this.#opts.logger.warn({ period_ms: scan.periodMs }, scan.overrunning);
    }
    // A failing device's status says so already; its next good poll recomputes the status.
    const changed = (was === undefined) !== (scan.overrunning === undefined);
    if (changed && this.#failures === 0 && this.#state === 'online') this.#setHealthyStatus(false);
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
    this.#setHealthyStatus(attributesChanged);
    const readings = this.#filter.apply(acc.readings);
    if (readings.length > 0) this.#opts.onReadings(readings);
  }

  /** The status of a device that answers: online, or degraded by bad points or overruns. */
  #setHealthyStatus(force: boolean): void {
    const badPoints = this.#classes.find((c) => c.problem !== undefined)?.problem;
    const overrunning = this.#classes.find((c) => c.overrunning !== undefined)?.overrunning;
    const problems = [badPoints, overrunning].filter((p) => p !== undefined);
    const reason = problems.length === 0 ? undefined : problems.join('; ').slice(0, MAX_REASON_LENGTH);
    // The kinds of problem are part of the status key: a new kind is published at once, while a
    // changing count within a kind (2 then 3 points bad) is not worth a retained message each.
    const kinds = `${badPoints === undefined ? '' : 'points'}${overrunning === undefined ? '' : '+overrun'}`;
    this.#setStatus('online', reason === undefined ? 'online' : 'degraded', reason, force, kinds);
  }

  #failed(scan: ScanClassState, error: string): void {
    this.#failures += 1;
    this.#opts.metrics?.polled(false);
    // Polls skipped while a failing poll waited for its timeouts are the failure's doing, and it
    // is reported as such: start the overrun windows afresh.
    for (const c of this.#classes) {
      c.windowDue = 0;
      c.windowSkipped = 0;
      c.overrunning = undefined;
    }
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
      this.#setStatus('offline', 'offline', error.slice(0, MAX_REASON_LENGTH), false, 'failed');
    } else {
      const reason = `${this.#failures} failed poll(s): ${error}`.slice(0, MAX_REASON_LENGTH);
      this.#setStatus('online', 'degraded', reason, false, 'failed');
    }
  }

  #setStatus(
    state: 'online' | 'offline',
    health: DeviceHealth,
    error: string | undefined,
    force: boolean,
    kinds: string,
  ): void {
    const key = `${state}/${health}/${kinds}`;
    const reasonChanged = error !== this.#error;
    this.#error = error;
    if (key === this.#lastStatus && !force) {
      // Not worth a status message, but the stats show the current reason.
      if (reasonChanged) this.#opts.metrics?.health(health, error);
      return;
    }
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
    this.#opts.metrics?.health(health, error);
    this.#opts.onStatus({
      state,
      health,
      ...(this.#error === undefined ? {} : { error: this.#error }),
      ...(this.#attributes === undefined ? {} : { attributes: this.#attributes }),
    });
  }
}

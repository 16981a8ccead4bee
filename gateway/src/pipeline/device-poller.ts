import type { DeviceState, Reading } from '@caretaker/protocol';
import type { Logger } from '@caretaker/protocol/log';
import type { Driver } from '../drivers/driver.js';
import { ReadingAccumulator } from './accumulator.js';
import { TimeoutError, withTimeout } from './with-timeout.js';

export interface DevicePollerOptions {
  driver: Driver;
  pollIntervalMs: number;
  /** Per-request timeout of the device; bounds a whole poll together with the interval. */
  timeoutMs: number;
  now: () => number;
  logger: Logger;
  /** Readings of one successful gather (never empty). */
  onReadings: (readings: Reading[]) => void;
  /** The device went online or offline (also called once after the first poll). */
  onStateChange: (state: 'online' | 'offline', error: string | undefined) => void;
  /** Consecutive failed polls before an online device is reported offline. */
  offlineAfterFailures?: number;
  /** Longest wait between retries of a failing device. */
  maxBackoffMs?: number;
}

export const DEFAULT_OFFLINE_AFTER_FAILURES = 2;
export const DEFAULT_MAX_BACKOFF_MS = 30_000;

/**
 * Delay before the next poll. A healthy device is polled at a fixed rate (the time a poll took is
 * subtracted); a failing one is retried after its interval, doubling per consecutive failure up to
 * the cap, so a dead device costs little and a recovered one is noticed within the cap.
 */
export function nextPollDelay(options: {
  intervalMs: number;
  elapsedMs: number;
  failures: number;
  maxBackoffMs: number;
}): number {
  const { intervalMs, elapsedMs, failures, maxBackoffMs } = options;
  if (failures === 0) return Math.max(0, intervalMs - elapsedMs);
  const backoff = intervalMs * 2 ** Math.min(failures - 1, 30);
  return Math.max(intervalMs, Math.min(backoff, maxBackoffMs));
}

/**
 * Polls one device on its own timer. A poll never overlaps the previous one (the next is only
 * scheduled when the current one has finished), and nothing here waits on another device.
 */
export class DevicePoller {
  readonly #opts: DevicePollerOptions;
  readonly #offlineAfter: number;
  readonly #maxBackoff: number;
  #state: DeviceState = 'unknown';
  #failures = 0;
  #started = false;
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<void> | undefined;

  constructor(options: DevicePollerOptions) {
    this.#opts = options;
    this.#offlineAfter = Math.max(1, options.offlineAfterFailures ?? DEFAULT_OFFLINE_AFTER_FAILURES);
    this.#maxBackoff = options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
  }

  get state(): DeviceState {
    return this.#state;
  }

  /** Starts polling; the first poll runs right away. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  /** Stops polling, waits for a poll in progress, then stops the driver. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#current;
    await this.#opts.driver
      .stop()
      .catch((err: unknown) => this.#opts.logger.warn({ err }, 'driver stop failed'));
  }

  #schedule(delayMs: number): void {
    if (!this.#running) return;
    this.#timer = setTimeout(() => {
      this.#current = this.#poll().finally(() => {
        this.#current = undefined;
      });
    }, delayMs);
  }

  async #poll(): Promise<void> {
    const { driver, now, logger } = this.#opts;
    const startedAt = Date.now();
    let hung: Error | undefined;
    try {
      if (!this.#started) {
        await driver.start();
        this.#started = true;
      }
      const acc = new ReadingAccumulator(now);
      // Drivers bound each request; this is the backstop for a driver that hangs anyway.
      const watchdog = new TimeoutError(`poll did not finish within ${this.#watchdogMs()} ms`);
      hung = watchdog;
      await withTimeout(driver.gather(acc), this.#watchdogMs(), watchdog);
      if (!this.#running) return;
      if (acc.readings.length > 0) this.#opts.onReadings(acc.readings);
      this.#succeeded();
    } catch (err) {
      if (!this.#running) return;
      const message = err instanceof Error ? err.message : String(err);
      this.#failed(message);
      if (err === hung) {
        // Reset the driver so the next poll starts from a fresh connection.
        this.#started = false;
        await driver.stop().catch(() => {});
      }
      logger.debug({ failures: this.#failures, err: message }, 'poll failed');
    } finally {
      this.#schedule(
        nextPollDelay({
          intervalMs: this.#opts.pollIntervalMs,
          elapsedMs: Date.now() - startedAt,
          failures: this.#failures,
          maxBackoffMs: this.#maxBackoff,
        }),
      );
    }
  }

  #watchdogMs(): number {
    return Math.max(this.#opts.pollIntervalMs, this.#opts.timeoutMs) * 10 + 5_000;
  }

  #succeeded(): void {
    this.#failures = 0;
    if (this.#state !== 'online') {
      this.#opts.logger.info(this.#state === 'offline' ? 'device back online' : 'device online');
      this.#state = 'online';
      this.#opts.onStateChange('online', undefined);
    }
  }

  #failed(error: string): void {
    this.#failures += 1;
    // The first poll decides at once (so the hub learns the state promptly); after that an online
    // device has to fail several polls in a row, so one lost packet does not flap its status.
    const goOffline =
      this.#state === 'unknown' || (this.#state === 'online' && this.#failures >= this.#offlineAfter);
    if (goOffline) {
      this.#opts.logger.warn({ err: error }, 'device offline');
      this.#state = 'offline';
      this.#opts.onStateChange('offline', error);
    }
  }
}

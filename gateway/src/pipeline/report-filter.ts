import type { Reading } from '@caretaker/protocol';
import type { Acquisition } from '../config/resolved-config.js';

interface LastReport {
  value: Reading['value'];
  quality: Reading['quality'];
  reason: string | undefined;
  ts: number;
}

/**
 * Report by exception: for points with `report_on_change`, a reading is published only when it
 * differs from the last one published (a numeric change larger than the deadband, any change of a
 * boolean, of the quality or of the reason) or when the heartbeat is due. Everything else passes.
 *
 * The comparison is against the last *published* value, so slow drift within the deadband is
 * still reported once it adds up. A suppressed value is simply not sent: nothing is ever sent
 * again with a newer time than when it was read.
 */
export class ReportFilter {
  readonly #points: ReadonlyMap<string, Acquisition>;
  readonly #last = new Map<string, LastReport>();
  /** Readings suppressed so far (for statistics). */
  suppressed = 0;

  constructor(points: ReadonlyMap<string, Acquisition>) {
    this.#points = points;
  }

  apply(readings: readonly Reading[]): Reading[] {
    const out: Reading[] = [];
    for (const reading of readings) {
      const options = this.#points.get(reading.point);
      if (options?.report_on_change !== true) {
        out.push(reading);
        continue;
      }
      const last = this.#last.get(reading.point);
      if (last !== undefined && !this.#changed(last, reading, options)) {
        this.suppressed += 1;
        continue;
      }
      this.#last.set(reading.point, {
        value: reading.value,
        quality: reading.quality,
        reason: reading.reason,
        ts: reading.ts,
      });
      out.push(reading);
    }
    return out;
  }

  /** Forgets what was published: the next reading of every point goes out (after a reconnect). */
  reset(): void {
    this.#last.clear();
  }

  #changed(last: LastReport, reading: Reading, options: Acquisition): boolean {
    if (options.heartbeat_ms > 0 && reading.ts - last.ts >= options.heartbeat_ms) return true;
    if (reading.quality !== last.quality || reading.reason !== last.reason) return true;
    const { value } = reading;
    if (typeof value === 'number' && typeof last.value === 'number') {
      return (
        Math.abs(value - last.value) > options.deadband || (options.deadband === 0 && value !== last.value)
      );
    }
    return value !== last.value;
  }
}

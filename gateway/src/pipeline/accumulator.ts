import type { Reading } from '@caretaker/protocol';

/** What a driver knows about a point when it reports it. */
export interface PointRef {
  name: string;
  unit?: string;
}

/**
 * The only way a driver hands data to the rest of the gateway (Telegraf's Accumulator): a driver
 * never knows where readings go. One accumulator collects the readings of one gather.
 */
export interface Accumulator {
  /** The injected clock, epoch ms. Drivers stamp a value with it when its response arrives. */
  now(): number;
  /** A value read from the device, with its source timestamp. */
  addValue(point: PointRef, value: number | boolean, ts: number, quality?: 'good' | 'uncertain'): void;
  /** A point that yielded no usable value this time, and why (`timeout`, `Modbus exception 2 ...`). */
  addBad(point: PointRef, reason: string, ts: number): void;
  /**
   * A text value (a Modbus string, an OPC UA String): published as a device attribute on the
   * device status, not as telemetry (a reading's value is a number or a boolean).
   */
  addText(point: PointRef, text: string, ts: number): void;
}

// Limits of the wire contract (protocol/src/payloads.ts): a reason is at most 200 characters.
const MAX_REASON = 200;

// Limit of the wire contract for an attribute value.
const MAX_TEXT = 256;

export class ReadingAccumulator implements Accumulator {
  readonly readings: Reading[] = [];
  readonly texts = new Map<string, string>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  now(): number {
    return this.#now();
  }

  addValue(
    point: PointRef,
    value: number | boolean,
    ts: number,
    quality: 'good' | 'uncertain' = 'good',
  ): void {
    // JSON has no NaN or Infinity and the hub rejects them (readingValueSchema): a float register
    // holding NaN is a bad reading, not a broken batch.
    if (typeof value === 'number' && !Number.isFinite(value)) {
      this.addBad(point, `not a finite number (${value})`, ts);
      return;
    }
    // The hot path (every value of every poll): one object literal per reading, no intermediate
    // object and no spread, and the same key order as the wire payload.
    const stamp = this.#stamp(ts);
    this.readings.push(
      point.unit === undefined
        ? { point: point.name, ts: stamp, value, quality }
        : { point: point.name, ts: stamp, unit: point.unit, value, quality },
    );
  }

  addBad(point: PointRef, reason: string, ts: number): void {
    const stamp = this.#stamp(ts);
    const why = reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason;
    this.readings.push(
      point.unit === undefined
        ? { point: point.name, ts: stamp, value: null, quality: 'bad', reason: why }
        : { point: point.name, ts: stamp, unit: point.unit, value: null, quality: 'bad', reason: why },
    );
  }

  addText(point: PointRef, text: string, _ts: number): void {
    this.texts.set(point.name, text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text);
  }

  #stamp(ts: number): number {
    // Timestamps on the wire are non-negative integer epoch ms; a device clock far off (an OPC UA
    // DateTime before 1970) falls back to the gateway's clock rather than invalidating the batch.
    return Number.isFinite(ts) && ts >= 0 ? Math.round(ts) : Math.round(this.#now());
  }
}

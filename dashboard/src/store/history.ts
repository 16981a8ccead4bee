/**
 * The last few minutes of a point, for a tile's sparkline: a fixed-size ring per point, so a
 * board of a thousand devices keeps a bounded, allocation-free history. One sample per `stepMs`
 * step: a reading in the newest sample's step replaces it, which keeps the line's end live.
 */
export interface SparkSeries {
  ts: number[];
  values: number[];
}

class Ring {
  readonly ts: Float64Array;
  readonly values: Float32Array;
  start = 0;
  length = 0;

  constructor(capacity: number) {
    this.ts = new Float64Array(capacity);
    this.values = new Float32Array(capacity);
  }

  lastTs(): number {
    return this.length === 0 ? Number.NEGATIVE_INFINITY : (this.ts[this.index(this.length - 1)] ?? 0);
  }

  index(i: number): number {
    return (this.start + i) % this.ts.length;
  }
}

export class SparkHistory {
  private readonly rings = new Map<string, Ring>();
  private readonly capacity: number;

  constructor(
    readonly windowMs = 10 * 60_000,
    readonly stepMs = 5_000,
  ) {
    this.capacity = Math.ceil(windowMs / stepMs) + 2;
  }

  add(device: string, point: string, ts: number, value: number): void {
    const key = `${device}\u0000${point}`;
    let ring = this.rings.get(key);
    if (!ring) {
      ring = new Ring(this.capacity);
      this.rings.set(key, ring);
    }
    this.push(ring, ts, value);
  }

  /**
   * Older samples (the store's history, loaded after a reload) merged with what arrived live:
   * still one sample per step, the latest of each step kept, the newest `windowMs` at most.
   */
  merge(device: string, point: string, older: SparkSeries): void {
    const key = `${device}\u0000${point}`;
    const samples: Array<[number, number]> = older.ts.map((ts, i) => [ts, older.values[i] ?? 0]);
    const ring = this.rings.get(key);
    for (let k = 0; ring && k < ring.length; k += 1) {
      const i = ring.index(k);
      samples.push([ring.ts[i] ?? 0, ring.values[i] ?? 0]);
    }
    samples.sort((a, b) => a[0] - b[0]);
    const merged = new Ring(this.capacity);
    for (const [ts, value] of samples) this.push(merged, ts, value);
    this.rings.set(key, merged);
  }

  private push(ring: Ring, ts: number, value: number): void {
    const last = ring.lastTs();
    if (ts < last) return;
    if (Math.floor(ts / this.stepMs) === Math.floor(last / this.stepMs)) {
      // Same step as the newest sample: replace it, so the line's end follows every reading.
      const i = ring.index(ring.length - 1);
      ring.ts[i] = ts;
      ring.values[i] = value;
      return;
    }
    if (ring.length < this.capacity) {
      const i = ring.index(ring.length);
      ring.ts[i] = ts;
      ring.values[i] = value;
      ring.length += 1;
    } else {
      ring.ts[ring.start] = ts;
      ring.values[ring.start] = value;
      ring.start = (ring.start + 1) % this.capacity;
    }
  }

  /** The samples of the last `windowMs` before `now`, oldest first. */
  series(device: string, point: string, now: number): SparkSeries {
    const ring = this.rings.get(`${device}\u0000${point}`);
    const out: SparkSeries = { ts: [], values: [] };
    if (!ring) return out;
    const from = now - this.windowMs;
    for (let k = 0; k < ring.length; k += 1) {
      const i = ring.index(k);
      const ts = ring.ts[i] ?? 0;
      if (ts < from) continue;
      out.ts.push(ts);
      out.values.push(ring.values[i] ?? 0);
    }
    return out;
  }

  forget(device: string): void {
    const prefix = `${device}\u0000`;
    for (const key of this.rings.keys()) if (key.startsWith(prefix)) this.rings.delete(key);
  }
}

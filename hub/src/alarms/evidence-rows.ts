/**
 * A device's latest readings for a work order's evidence: its last `capacity` reading times,
 * one row each holding every point's value at that time (the latest known reading; NaN: never
 * seen). A row is one copy of the device's values per reading time, in fixed typed arrays:
 * nothing is allocated and nothing is done per reading.
 */
export class EvidenceRows {
  private width = 0;
  private values = new Float64Array(0);
  private readonly times: Float64Array;
  private row = -1;
  private count = 0;

  constructor(private readonly capacity: number) {
    this.times = new Float64Array(capacity);
  }

  /** Records the device's values (by point slot) at a reading time; the oldest row makes room. */
  record(ts: number, values: readonly number[]): void {
    if (values.length > this.width) this.widen(values.length);
    this.row = this.row + 1 === this.capacity ? 0 : this.row + 1;
    if (this.count < this.capacity) this.count += 1;
    this.times[this.row] = ts;
    const base = this.row * this.width;
    const row = this.values;
    const n = values.length;
    // A plain loop: TypedArray#set from an array goes through the runtime, dearer for ~20 values.
    for (let i = 0; i < n; i += 1) row[base + i] = values[i] as number;
    for (let i = n; i < this.width; i += 1) row[base + i] = Number.NaN;
  }

  /** A slot's values, oldest first, as [time, value]. */
  series(slot: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    if (slot >= this.width) return out;
    for (let k = this.count - 1; k >= 0; k -= 1) {
      const r = (this.row - k + this.capacity) % this.capacity;
      const v = this.values[r * this.width + slot] as number;
      if (!Number.isNaN(v)) out.push([this.times[r] as number, v]);
    }
    return out;
  }

  /** More point slots: rows are copied into the wider layout. */
  private widen(needed: number): void {
    const width = Math.max(needed, this.width * 2, 8);
    const values = new Float64Array(this.capacity * width).fill(Number.NaN);
    for (let r = 0; r < this.capacity; r += 1)
      values.set(this.values.subarray(r * this.width, (r + 1) * this.width), r * width);
    this.values = values;
    this.width = width;
  }
}

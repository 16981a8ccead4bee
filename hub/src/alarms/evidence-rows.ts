/**
 * A device's latest readings for a work order's evidence: the last `capacity` reading times,
 * one row each with a value per point slot (NaN: that point had no reading then). Fixed typed
 * arrays: keeping a reading is one store, and nothing is allocated per reading.
 */
export class EvidenceRows {
  private width = 0;
  private values = new Float64Array(0);
  private readonly times: Float64Array;
  /** Offset of the current row's slot 0 in `values`. */
  private base = 0;
  private row = -1;
  private count = 0;

  constructor(private readonly capacity: number) {
    this.times = new Float64Array(capacity);
  }

  /** Starts the row of a new reading time (the oldest row makes room). */
  begin(ts: number): void {
    this.row = this.row + 1 === this.capacity ? 0 : this.row + 1;
    if (this.count < this.capacity) this.count += 1;
    this.times[this.row] = ts;
    this.base = this.row * this.width;
    this.values.fill(Number.NaN, this.base, this.base + this.width);
  }

  /** The current row's reading of a slot. */
  set(slot: number, value: number): void {
    if (slot >= this.width) this.widen(slot + 1);
    this.values[this.base + slot] = value;
  }

  /** A slot's readings, oldest first, as [time, value]. */
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
    this.base = Math.max(0, this.row) * width;
  }
}

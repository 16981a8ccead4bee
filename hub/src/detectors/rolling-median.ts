/**
 * Median and MAD of the last `capacity` values. Kept sorted by insertion (O(window) per push),
 * which for the windows used here (tens to a few hundred readings) is cheaper than a heap pair.
 */
export class RollingMedian {
  private readonly ring: number[] = [];
  private readonly sorted: number[] = [];
  private next = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('window must be a positive integer');
  }

  get size(): number {
    return this.sorted.length;
  }

  push(value: number): void {
    if (this.ring.length === this.capacity) {
      const old = this.ring[this.next] as number;
      this.sorted.splice(lowerBound(this.sorted, old), 1);
      this.ring[this.next] = value;
    } else this.ring.push(value);
    this.next = (this.next + 1) % this.capacity;
    this.sorted.splice(lowerBound(this.sorted, value), 0, value);
  }

  median(): number {
    return medianOfSorted(this.sorted);
  }

  /**
   * Median absolute deviation about `center` (the median unless given), in O(window) without
   * sorting: the distances below and above `center` are each already ordered in the sorted
   * window, so the k-th smallest is found by merging the two runs outward from `center`.
   */
  mad(center = this.median()): number {
    const s = this.sorted;
    const n = s.length;
    if (n === 0) return Number.NaN;
    let lo = lowerBound(s, center) - 1;
    let hi = lo + 1;
    const take = (): number => {
      const dl = lo >= 0 ? center - (s[lo] as number) : Number.POSITIVE_INFINITY;
      const dh = hi < n ? (s[hi] as number) - center : Number.POSITIVE_INFINITY;
      if (dl <= dh) {
        lo -= 1;
        return dl;
      }
      hi += 1;
      return dh;
    };
    const mid = n >> 1;
    let prev = 0;
    for (let k = 0; k < mid; k += 1) prev = take();
    const cur = take();
    return n % 2 ? cur : (prev + cur) / 2;
  }
}

function medianOfSorted(s: readonly number[]): number {
  const n = s.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function lowerBound(s: readonly number[], x: number): number {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((s[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

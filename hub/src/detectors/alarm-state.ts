/**
 * Raise/clear logic shared by the detectors: a condition must hold for `raiseAfterMs` before
 * the alarm raises, and its clear condition must hold for `clearAfterMs` before it clears.
 * Hysteresis (separate raise and clear thresholds) lives in the caller, which passes both
 * booleans; a reading that is neither keeps the pending timers as they are.
 */
export interface HoldTimes {
  /** How long the raise condition must hold before the alarm raises (0 = at once). */
  readonly raiseAfterMs: number;
  /** How long the clear condition must hold before the alarm clears (0 = at once). */
  readonly clearAfterMs: number;
}

/** An AlarmState as plain data, to persist it and resume it later. */
export interface AlarmStateSnapshot {
  active: boolean;
  raiseSince: number | null;
  clearSince: number | null;
}

export class AlarmState {
  private active = false;
  private raiseSince: number | undefined;
  private clearSince: number | undefined;

  constructor(private readonly hold: HoldTimes) {}

  snapshot(): AlarmStateSnapshot {
    return { active: this.active, raiseSince: this.raiseSince ?? null, clearSince: this.clearSince ?? null };
  }

  restore(s: AlarmStateSnapshot): void {
    this.active = s.active;
    this.raiseSince = s.raiseSince ?? undefined;
    this.clearSince = s.clearSince ?? undefined;
  }

  get isActive(): boolean {
    return this.active;
  }

  /** Feeds one reading's conditions; returns whether the alarm is active after it. */
  step(ts: number, raiseCondition: boolean, clearCondition: boolean): boolean {
    if (!this.active) {
      this.clearSince = undefined;
      if (!raiseCondition) {
        if (clearCondition) this.raiseSince = undefined;
        return false;
      }
      this.raiseSince ??= ts;
      if (ts - this.raiseSince >= this.hold.raiseAfterMs) {
        this.active = true;
        this.raiseSince = undefined;
      }
      return this.active;
    }
    this.raiseSince = undefined;
    if (!clearCondition) {
      if (raiseCondition) this.clearSince = undefined;
      return true;
    }
    this.clearSince ??= ts;
    if (ts - this.clearSince >= this.hold.clearAfterMs) {
      this.active = false;
      this.clearSince = undefined;
    }
    return this.active;
  }

  reset(): void {
    this.active = false;
    this.raiseSince = undefined;
    this.clearSince = undefined;
  }
}

/**
 * N-of-M persistence: true when at least `n` of the last `m` inputs were true. O(1) per step
 * (ring buffer plus a running count).
 */
export class NOfM {
  private readonly ring: Uint8Array;
  private next = 0;
  private count = 0;

  constructor(
    readonly n: number,
    readonly m: number,
  ) {
    if (!Number.isInteger(m) || m < 1 || !Number.isInteger(n) || n < 1 || n > m) {
      throw new RangeError(`N-of-M needs integers 1 <= n <= m, got n=${n} m=${m}`);
    }
    this.ring = new Uint8Array(m);
  }

  /** No true input in the window: a false one changes nothing. */
  get idle(): boolean {
    return this.count === 0;
  }

  step(condition: boolean): boolean {
    const bit = condition ? 1 : 0;
    const next = this.next;
    this.count += bit - (this.ring[next] as number);
    this.ring[next] = bit;
    this.next = next + 1 === this.m ? 0 : next + 1;
    return this.count >= this.n;
  }
}

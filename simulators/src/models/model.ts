/**
 * What every device model offers the exposers. A model is physics only: no I/O, no timers, no
 * wall clock. Time comes in through `step(nowMs)`, so tests can drive a simulated day in
 * milliseconds and a demo can drive it from the real clock.
 */
export type PointValue = number | boolean;

export interface DeviceModel {
  /** Advances the state to `nowMs` (epoch ms). A time at or before the last step is ignored. */
  step(nowMs: number): void;
  /** The current values, keyed by the point names of the device's profile. */
  values(): Record<string, PointValue>;
}

/** Electrical demand of a device, as the power-room meter sees it. */
export interface ElectricalLoad {
  activeKw: number;
  reactiveKvar: number;
}

export interface ElectricalConsumer {
  electricalLoad(): ElectricalLoad;
}

/** Options shared by all models. */
export interface ModelOptions {
  /** Epoch ms at which the model starts (its first `step` is measured from here). */
  startMs: number;
  /** Seed of the model's random source: the same seed and clock give the same values. */
  seed?: number;
  /**
   * Real milliseconds per simulated day for the daily demand curves. The default compresses a
   * day into ten minutes so that morning and evening peaks show up in a demo; pass 86_400_000
   * for real time. Counters (energy, running hours, door cycles) always count real time, so a
   * kWh counter stays consistent with the instantaneous power.
   */
  dayMs?: number;
}

export const DEFAULT_DAY_MS = 10 * 60_000;

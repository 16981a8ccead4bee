import { residentialGasDemand, residentialWaterDemand, simulatedHour } from './demand.js';
import { DEFAULT_DAY_MS, type DeviceModel, type ModelOptions, type PointValue } from './model.js';
import { createRandom, firstOrderLag, OrnsteinUhlenbeck, type Random } from './random.js';

/**
 * A building's incoming water or gas meter: a cumulative volume counter, the flow rate and the
 * medium's temperature. Flow follows the residential day (water: morning and evening peaks;
 * gas: cooking at breakfast, lunch and dinner). The counter integrates real elapsed time, like
 * the power meter's kWh, so it always matches the flow shown.
 */
export type UtilityMedium = 'water' | 'gas';

/** How far each fault has developed, 0 to 1; written by the fault library before each step. */
export interface UtilityMeterCondition {
  /** A leak or something left running: flow that does not stop at night. */
  leak: number;
}

interface MediumSpec {
  demand: (hour: number) => number;
  /** Flow at the daily peak, m3/h, for a tower of about 150 flats. */
  peakFlowM3h: number;
  /** Leak flow at full severity, m3/h. */
  leakM3h: number;
  /** Temperature of the medium in the main, degrees C, and its daily swing. */
  temperatureC: number;
  initialVolumeM3: number;
}

const MEDIA: Record<UtilityMedium, MediumSpec> = {
  water: {
    demand: residentialWaterDemand,
    peakFlowM3h: 18,
    leakM3h: 1.5,
    temperatureC: 16,
    initialVolumeM3: 182_400,
  },
  gas: {
    demand: residentialGasDemand,
    peakFlowM3h: 30,
    leakM3h: 3,
    temperatureC: 12,
    initialVolumeM3: 96_300,
  },
};

/** Demand from the meter's own flow measurement noise: small, fast. */
const FLOW_NOISE = 0.02;
const TEMPERATURE_TAU_SIM_MS = 3 * 3_600_000;

export interface UtilityMeterModelOptions extends ModelOptions {
  medium: UtilityMedium;
  /** Scales the flow (1 = a tower of about 150 flats). */
  sizeFactor?: number;
  initialVolumeM3?: number;
}

export class UtilityMeterModel implements DeviceModel {
  readonly medium: UtilityMedium;
  /** Written by the fault library before each step; healthy unless a fault is active. */
  readonly condition: UtilityMeterCondition = { leak: 0 };
  private readonly spec: MediumSpec;
  private readonly sizeFactor: number;
  private readonly random: Random;
  private readonly dayMs: number;
  private readonly demandWalk: OrnsteinUhlenbeck;
  private lastMs: number;
  private volume: number;
  private flow: number;
  private temperature: number;

  constructor(options: UtilityMeterModelOptions) {
    this.medium = options.medium;
    this.spec = MEDIA[options.medium];
    this.sizeFactor = options.sizeFactor ?? 1;
    this.random = createRandom(options.seed ?? 4);
    this.dayMs = options.dayMs ?? DEFAULT_DAY_MS;
    this.demandWalk = new OrnsteinUhlenbeck(this.random, 0.1, 30_000);
    this.lastMs = options.startMs;
    this.volume = options.initialVolumeM3 ?? this.spec.initialVolumeM3;
    this.flow = this.targetFlow(options.startMs);
    this.temperature = this.spec.temperatureC;
  }

  step(nowMs: number): void {
    const dtMs = nowMs - this.lastMs;
    if (dtMs <= 0) return;
    this.lastMs = nowMs;
    this.demandWalk.step(dtMs);
    const previous = this.flow;
    this.flow = this.targetFlow(nowMs);
    // Trapezoidal integration over real time; a volume register never runs backwards.
    this.volume += (((previous + this.flow) / 2) * dtMs) / 3_600_000;
    const dtSimMs = dtMs * (86_400_000 / this.dayMs);
    // The main warms a little in the afternoon, as the ground above it does.
    const hour = simulatedHour(nowMs, this.dayMs);
    const daily = this.spec.temperatureC + 1.5 * Math.sin(((hour - 9) / 24) * 2 * Math.PI);
    this.temperature = firstOrderLag(this.temperature, daily, dtSimMs, TEMPERATURE_TAU_SIM_MS);
  }

  values(): Record<string, PointValue> {
    return { total_volume: this.volume, flow_rate: this.flow, temperature: this.temperature };
  }

  private targetFlow(nowMs: number): number {
    const hour = simulatedHour(nowMs, this.dayMs);
    const demand =
      this.spec.peakFlowM3h * this.sizeFactor * this.spec.demand(hour) * (1 + this.demandWalk.value);
    const noise = FLOW_NOISE * this.spec.peakFlowM3h * this.random.normal();
    return Math.max(0, demand + noise) + this.spec.leakM3h * this.sizeFactor * this.condition.leak;
  }
}

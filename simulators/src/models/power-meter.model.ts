import { buildingBaseLoadKw, simulatedHour } from './demand.js';
import {
  DEFAULT_DAY_MS,
  type DeviceModel,
  type ElectricalConsumer,
  type ModelOptions,
  type PointValue,
} from './model.js';
import { clamp, createRandom, firstOrderLag, OrnsteinUhlenbeck, type Random } from './random.js';

/**
 * The incoming three-phase meter of a power room (400/230 V, 50 Hz) behind a 250 kVA
 * distribution transformer. Its load is the community's common-area base load plus whatever
 * the feeders (pumps, lifts) draw at the moment, so the meter moves with the pump.
 */
const PHASES = 3;
/** Secondary no-load voltage: transformers are tapped a little high to offset the load drop. */
const NO_LOAD_PHASE_VOLTAGE = 236;
/** Load-dependent drop through a 4 % impedance 250 kVA transformer, V per A of phase current. */
const DROP_V_PER_A = 0.025;
const BASE_LOAD_POWER_FACTOR = 0.93;
const AMBIENT_C = 30;
/** Oil and winding temperature follow the load over hours (simulated time). */
const TRANSFORMER_TAU_SIM_MS = 90 * 60_000;

/** How far each fault has developed, 0 to 1; written by the fault library before each step. */
export interface PowerMeterCondition {
  /** Single-phase loads piled onto L1 (a rewired distribution board): unequal currents. */
  phaseImbalance: number;
  /** Upstream network fault: every phase voltage dips (IEC 61000-4-30 calls < 90 % a dip). */
  voltageSag: number;
  /** A large load added beyond the transformer's rating. */
  overload: number;
  /** Something left running day and night (lights, a ventilation fan, a stuck pump). */
  nightLoad: number;
}

export function healthyPowerMeterCondition(): PowerMeterCondition {
  return { phaseImbalance: 0, voltageSag: 0, overload: 0, nightLoad: 0 };
}

/** Load that `nightLoad` adds at full severity, kW. */
const NIGHT_LOAD_KW = 35;

export interface PowerMeterModelOptions extends ModelOptions {
  /** Scales the building's common-area load profile (1 = a tower of about 150 flats). */
  baseLoadFactor?: number;
  /** Devices whose electrical load adds to the base load (stepped before the meter). */
  feeders?: ElectricalConsumer[];
  /** Reading of the import energy register when the simulation starts, kWh. */
  initialEnergyKwh?: number;
  transformerKva?: number;
}

export class PowerMeterModel implements DeviceModel {
  /** Written by the fault library before each step; healthy unless a fault is active. */
  readonly condition: PowerMeterCondition = healthyPowerMeterCondition();
  private readonly baseLoadFactor: number;
  private readonly random: Random;
  private readonly dayMs: number;
  private readonly feeders: readonly ElectricalConsumer[];
  private readonly transformerKva: number;
  private readonly baseWalk: OrnsteinUhlenbeck;
  private readonly gridVoltageWalk: OrnsteinUhlenbeck;
  private readonly phaseVoltageWalks: OrnsteinUhlenbeck[];
  /** Single-phase loads are never spread evenly: each phase's share wanders around a third. */
  private readonly phaseShareWalks: OrnsteinUhlenbeck[];
  private readonly frequencyWalk: OrnsteinUhlenbeck;

  private lastMs: number;
  private energyKwh: number;
  private activeKw = 0;
  private reactiveKvar = 0;
  private voltages = [230, 230, 230];
  private currents = [0, 0, 0];
  private frequency = 50;
  private transformerTemp = AMBIENT_C;

  constructor(options: PowerMeterModelOptions) {
    this.random = createRandom(options.seed ?? 2);
    this.dayMs = options.dayMs ?? DEFAULT_DAY_MS;
    this.feeders = options.feeders ?? [];
    this.transformerKva = options.transformerKva ?? 250;
    this.baseLoadFactor = options.baseLoadFactor ?? 1;
    this.energyKwh = options.initialEnergyKwh ?? 48_000;
    this.baseWalk = new OrnsteinUhlenbeck(this.random, 0.05, 30_000);
    this.gridVoltageWalk = new OrnsteinUhlenbeck(this.random, 1.5, 60_000);
    this.phaseVoltageWalks = Array.from(
      { length: PHASES },
      () => new OrnsteinUhlenbeck(this.random, 0.6, 20_000),
    );
    this.phaseShareWalks = Array.from(
      { length: PHASES },
      () => new OrnsteinUhlenbeck(this.random, 0.03, 60_000),
    );
    this.frequencyWalk = new OrnsteinUhlenbeck(this.random, 0.015, 20_000);
    this.lastMs = options.startMs;
    this.update(options.startMs);
    this.transformerTemp = this.transformerSetpoint();
  }

  step(nowMs: number): void {
    const dtMs = nowMs - this.lastMs;
    if (dtMs <= 0) return;
    this.lastMs = nowMs;
    const previousKw = this.activeKw;
    this.baseWalk.step(dtMs);
    this.gridVoltageWalk.step(dtMs);
    for (const walk of this.phaseVoltageWalks) walk.step(dtMs);
    for (const walk of this.phaseShareWalks) walk.step(dtMs);
    this.frequencyWalk.step(dtMs);
    this.update(nowMs);
    // Trapezoidal integration over real elapsed time; an import register never runs backwards.
    this.energyKwh += (Math.max(0, (previousKw + this.activeKw) / 2) * dtMs) / 3_600_000;
    const dtSimMs = dtMs * (86_400_000 / this.dayMs);
    this.transformerTemp = firstOrderLag(
      this.transformerTemp,
      this.transformerSetpoint(),
      dtSimMs,
      TRANSFORMER_TAU_SIM_MS,
    );
  }

  values(): Record<string, PointValue> {
    const apparentKva = Math.hypot(this.activeKw, this.reactiveKvar);
    return {
      voltage_l1: this.voltages[0] ?? 0,
      voltage_l2: this.voltages[1] ?? 0,
      voltage_l3: this.voltages[2] ?? 0,
      current_l1: this.currents[0] ?? 0,
      current_l2: this.currents[1] ?? 0,
      current_l3: this.currents[2] ?? 0,
      active_power: this.activeKw,
      reactive_power: this.reactiveKvar,
      apparent_power: apparentKva,
      power_factor: apparentKva > 0 ? this.activeKw / apparentKva : 1,
      frequency: this.frequency,
      import_energy: this.energyKwh,
      transformer_temp: this.transformerTemp,
    };
  }

  private update(nowMs: number): void {
    const hour = simulatedHour(nowMs, this.dayMs);
    const c = this.condition;
    const baseKw =
      Math.max(
        1,
        this.baseLoadFactor * buildingBaseLoadKw(hour) * (1 + this.baseWalk.value) +
          0.3 * this.random.normal(),
      ) +
      NIGHT_LOAD_KW * c.nightLoad +
      0.9 * this.transformerKva * c.overload;
    const baseKvar = baseKw * Math.tan(Math.acos(BASE_LOAD_POWER_FACTOR));
    let feederKw = 0;
    let feederKvar = 0;
    for (const feeder of this.feeders) {
      const load = feeder.electricalLoad();
      feederKw += load.activeKw;
      feederKvar += load.reactiveKvar;
    }
    this.activeKw = baseKw + feederKw;
    this.reactiveKvar = baseKvar + feederKvar;

    // Phase imbalance moves single-phase load from L2 and L3 onto L1.
    const imbalance = [0.35, -0.175, -0.175].map((shift) => shift * c.phaseImbalance);
    const shares = this.phaseShareWalks.map((walk, phase) =>
      Math.max(0.05, 1 / PHASES + walk.value + (imbalance[phase] ?? 0)),
    );
    const shareSum = shares.reduce((sum, share) => sum + share, 0);
    for (let phase = 0; phase < PHASES; phase++) {
      const share = (shares[phase] ?? 1 / PHASES) / shareSum;
      // Three-phase motors (pump, lift) load the phases evenly; the base load does not.
      const phaseKw = baseKw * share + feederKw / PHASES;
      const phaseKvar = baseKvar * share + feederKvar / PHASES;
      const previousCurrent = this.currents[phase] ?? 0;
      const voltage =
        (NO_LOAD_PHASE_VOLTAGE + this.gridVoltageWalk.value + (this.phaseVoltageWalks[phase]?.value ?? 0)) *
          (1 - 0.3 * c.voltageSag) -
        DROP_V_PER_A * previousCurrent;
      this.voltages[phase] = voltage;
      this.currents[phase] = (Math.hypot(phaseKw, phaseKvar) * 1000) / voltage;
    }
    this.frequency = clamp(50 + this.frequencyWalk.value, 49.8, 50.2);
  }

  /** Winding temperature rise grows with copper losses, i.e. with the square of the load. */
  private transformerSetpoint(): number {
    const loading = Math.hypot(this.activeKw, this.reactiveKvar) / this.transformerKva;
    return AMBIENT_C + 12 + 55 * loading ** 2;
  }
}

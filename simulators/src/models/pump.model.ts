import { residentialWaterDemand, simulatedHour } from './demand.js';
import {
  DEFAULT_DAY_MS,
  type DeviceModel,
  type ElectricalConsumer,
  type ElectricalLoad,
  type ModelOptions,
  type PointValue,
} from './model.js';
import { clamp, createRandom, firstOrderLag, OrnsteinUhlenbeck, type Random } from './random.js';

/**
 * A fixed-speed centrifugal booster pump (11 kW, 2-pole, 400 V) feeding a residential
 * community from a break tank, with a pressure tank that lets it stop at night.
 *
 * Hydraulics: the pump curve is a parabola, dp(Q) = dp0 * (1 - (Q / Qmax)^2), and the pump
 * efficiency a parabola through the origin peaking at the best-efficiency point (BEP). Shaft
 * power is hydraulic power over efficiency, which rises with flow as on any radial pump's power
 * curve; motor current follows from the electrical power and a part-load power factor.
 */
const SHUTOFF_DP_BAR = 5.5;
const RUNOUT_FLOW_M3H = 110;
const BEP_FLOW_M3H = 55;
const PUMP_EFFICIENCY_MAX = 0.75;
const MOTOR_EFFICIENCY = 0.9;
const MOTOR_RATED_KW = 11;
const SUPPLY_VOLTAGE_LL = 400;
const SYNC_SPEED_RPM = 3000;
/** Below this demand the pressure tank covers consumption and the controller stops the pump. */
const STOP_FLOW_M3H = 7;
const START_FLOW_M3H = 9;
/** Anti-short-cycling: a motor must not start or stop more often than this (real time). */
const MIN_STATE_DWELL_MS = 20_000;
/** Static head of the building that the network holds while the pump is stopped. */
const STANDSTILL_DP_BAR = 1.8;
const AMBIENT_C = 28;
/** Bearing housings warm up over tens of minutes (simulated time). */
const BEARING_TAU_SIM_MS = 25 * 60_000;
const STANDSTILL_PRESSURE_TAU_SIM_MS = 60_000;
/** Magnetising current of the motor running without hydraulic load (dry running), A. */
const NO_LOAD_CURRENT_A = 6.5;
/** Sewage duty: a submersible pump empties a sump between two level switches. */
const SUMP_AREA_M2 = 4;
const SUMP_START_LEVEL_M = 1.2;
const SUMP_STOP_LEVEL_M = 0.3;
const SEWAGE_DUTY_FLOW_M3H = 45;
/** Seal leak at full severity, m3/h: enough to keep the pump from ever resting at night. */
const SEAL_LEAK_MAX_M3H = 4;

/**
 * How far each fault has developed, 0 (healthy) to 1 (fully developed). The fault library
 * writes these before every step; the model turns them into physics, so a fault shows up in
 * every quantity it really affects (a clogged impeller raises the current the meter sees).
 */
export interface PumpCondition {
  /** Rolling-element bearing wear: vibration and friction heat. */
  bearingWear: number;
  /** Suction pressure too low for the NPSH required: vapour bubbles collapse on the impeller. */
  cavitation: number;
  /** Rags or debris in the impeller: less head and flow for more torque. */
  clogging: number;
  /** No water at the suction: the pump churns air. */
  dryRunning: number;
  /** Mechanical seal leak: water lost at the shaft, the moisture probe trips when it is bad. */
  sealLeak: number;
  /** The controller's stop signal is stuck (a pressure switch welded): the pump never rests. */
  stuckRunning: number;
  /** Motor protection relay tripped. */
  tripped: number;
}

export function healthyPumpCondition(): PumpCondition {
  return {
    bearingWear: 0,
    cavitation: 0,
    clogging: 0,
    dryRunning: 0,
    sealLeak: 0,
    stuckRunning: 0,
    tripped: 0,
  };
}

export interface OperatingPoint {
  /** Pressure rise across the pump, bar. */
  differentialBar: number;
  shaftKw: number;
  electricalKw: number;
  powerFactor: number;
  currentA: number;
  speedRpm: number;
}

/** Steady-state operating point of the pump at a flow. Pure, so the curve itself is testable. */
export function pumpOperatingPoint(flowM3h: number): OperatingPoint {
  const q = Math.max(0, flowM3h);
  const differentialBar = Math.max(0, SHUTOFF_DP_BAR * (1 - (q / RUNOUT_FLOW_M3H) ** 2));
  // Hydraulic power: Q [m3/s] * dp [Pa], in kW.
  const hydraulicKw = ((q / 3600) * differentialBar * 1e5) / 1000;
  // The efficiency parabola through the origin makes shaft power finite at shut-off:
  // P(0) = Qbep * dp0 / (2 * eta_max), the typical 50-60 % of BEP power of a radial pump.
  const ratio = q / BEP_FLOW_M3H;
  const efficiency = PUMP_EFFICIENCY_MAX * (2 * ratio - ratio ** 2);
  const shutoffKw = ((BEP_FLOW_M3H / 3600) * SHUTOFF_DP_BAR * 1e5) / 1000 / (2 * PUMP_EFFICIENCY_MAX);
  const shaftKw = efficiency > 0.05 ? hydraulicKw / efficiency : shutoffKw;
  const electricalKw = shaftKw / MOTOR_EFFICIENCY;
  const load = clamp(electricalKw / MOTOR_RATED_KW, 0, 1.2);
  // Induction motors lose power factor at part load (magnetising current stays).
  const powerFactor = 0.86 - 0.3 * (1 - Math.min(1, load)) ** 2;
  const currentA = (electricalKw * 1000) / (Math.sqrt(3) * SUPPLY_VOLTAGE_LL * powerFactor);
  // Slip grows with load: about 2 % at rated load for a motor of this size.
  const speedRpm = SYNC_SPEED_RPM - 25 - 60 * load;
  return { differentialBar, shaftKw, electricalKw, powerFactor, currentA, speedRpm };
}

export interface PumpModelOptions extends ModelOptions {
  /**
   * `booster` (default) follows the residential water demand behind a pressure tank;
   * `sewage` empties a sump that the building's waste water fills, between two level switches.
   */
  application?: 'booster' | 'sewage';
  /** Flow at the morning peak, m3/h (for a sewage pump: the peak inflow to its sump). */
  peakFlowM3h?: number;
  /** Running hours already on the counter when the simulation starts. */
  initialRunningHours?: number;
  initialStarts?: number;
}

export class PumpModel implements DeviceModel, ElectricalConsumer {
  /** Written by the fault library before each step; healthy unless a fault is active. */
  readonly condition: PumpCondition = healthyPumpCondition();
  readonly application: 'booster' | 'sewage';
  private readonly random: Random;
  private readonly dayMs: number;
  private readonly peakFlow: number;
  /** Slow, smooth deviation of demand from the daily curve (people are not a clock). */
  private readonly demandWalk: OrnsteinUhlenbeck;
  /** Mains pressure at the break tank drifts with the municipal network. */
  private readonly suctionWalk: OrnsteinUhlenbeck;
  private readonly vibrationWalk: OrnsteinUhlenbeck;
  private readonly ambientWalk: OrnsteinUhlenbeck;

  private lastMs: number;
  private lastStateChangeMs: number;
  private running: boolean;
  private fault = false;
  private runningHours: number;
  private starts: number;
  private sumpLevel = (SUMP_START_LEVEL_M + SUMP_STOP_LEVEL_M) / 2;
  private flow = 0;
  private inletPressure = 0;
  private outletPressure = 0;
  private point: OperatingPoint = pumpOperatingPoint(0);
  private vibration = 0;
  private bearingTemp = AMBIENT_C;

  constructor(options: PumpModelOptions) {
    this.random = createRandom(options.seed ?? 1);
    this.dayMs = options.dayMs ?? DEFAULT_DAY_MS;
    this.application = options.application ?? 'booster';
    this.peakFlow = options.peakFlowM3h ?? (this.application === 'sewage' ? 25 : 60);
    this.runningHours = options.initialRunningHours ?? 13_140;
    this.starts = options.initialStarts ?? 41_200;
    this.demandWalk = new OrnsteinUhlenbeck(this.random, 0.08, 20_000);
    this.suctionWalk = new OrnsteinUhlenbeck(this.random, 0.04, 60_000);
    this.vibrationWalk = new OrnsteinUhlenbeck(this.random, 0.12, 10_000);
    this.ambientWalk = new OrnsteinUhlenbeck(this.random, 1.5, 120_000);
    this.lastMs = options.startMs;
    this.lastStateChangeMs = options.startMs - MIN_STATE_DWELL_MS;
    this.running = this.application === 'booster' && this.demandFlow(options.startMs) > STOP_FLOW_M3H;
    this.update(options.startMs, 0);
    if (!this.running) this.outletPressure = this.inletPressure + STANDSTILL_DP_BAR;
    // Start warm: a pump that has been in service does not begin at ambient temperature.
    this.bearingTemp = this.bearingSetpoint();
  }

  /** Trips the pump (as a motor protection relay would) or clears the trip. */
  setFault(active: boolean): void {
    this.fault = active;
  }

  /** Whether the motor is running now (the fault library and the meters ask). */
  get isRunning(): boolean {
    return this.running;
  }

  /** Water delivered now, m3/h. */
  get flowM3h(): number {
    return this.flow;
  }

  step(nowMs: number): void {
    const dtMs = nowMs - this.lastMs;
    if (dtMs <= 0) return;
    this.lastMs = nowMs;
    this.update(nowMs, dtMs);
  }

  values(): Record<string, PointValue> {
    const values: Record<string, PointValue> = {
      running: this.running,
      fault: this.tripped(),
      leak_alarm: this.condition.sealLeak >= 0.5,
      flow: this.flow,
      inlet_pressure: this.inletPressure,
      outlet_pressure: this.outletPressure,
      motor_current: this.running ? this.point.currentA : 0,
      motor_power: this.running ? this.point.electricalKw : 0,
      speed: this.running ? this.point.speedRpm : 0,
      vibration: this.vibration,
      bearing_temp: this.bearingTemp,
      running_hours: this.runningHours,
      start_count: this.starts,
    };
    if (this.application === 'sewage') values.sump_level = this.sumpLevel;
    return values;
  }

  electricalLoad(): ElectricalLoad {
    if (!this.running) return { activeKw: 0, reactiveKvar: 0 };
    const { electricalKw, powerFactor } = this.point;
    return { activeKw: electricalKw, reactiveKvar: electricalKw * Math.tan(Math.acos(powerFactor)) };
  }

  private demandFlow(nowMs: number): number {
    const curve = residentialWaterDemand(simulatedHour(nowMs, this.dayMs));
    // A leaking seal loses water that the pump has to make up.
    const leak = SEAL_LEAK_MAX_M3H * this.condition.sealLeak;
    return Math.max(0, this.peakFlow * curve * (1 + this.demandWalk.value)) + leak;
  }

  private tripped(): boolean {
    return this.fault || this.condition.tripped > 0;
  }

  private update(nowMs: number, dtMs: number): void {
    // Process dynamics run on the compressed simulated day; counters on real time.
    const dtSimMs = dtMs * (86_400_000 / this.dayMs);
    const c = this.condition;
    this.demandWalk.step(dtMs);
    this.suctionWalk.step(dtMs);
    this.vibrationWalk.step(dtMs);
    this.ambientWalk.step(dtSimMs);

    if (this.running) this.runningHours += dtMs / 3_600_000;
    const demand = this.demandFlow(nowMs);
    if (this.application === 'sewage') this.updateSump(demand, dtSimMs);
    this.updateRunState(nowMs, demand);

    // What the pump delivers: the demand (booster) or its duty point (sewage), reduced by a
    // clogged impeller, by vapour blocking the eye (cavitation) and to nothing when dry.
    const delivered = this.application === 'sewage' ? SEWAGE_DUTY_FLOW_M3H : demand;
    const hydraulicFactor = (1 - 0.4 * c.clogging) * (1 - 0.25 * c.cavitation) * (1 - 0.97 * c.dryRunning);
    this.flow = this.running ? Math.max(0, delivered * hydraulicFactor + 0.25 * this.random.normal()) : 0;
    // Friction in the suction line grows with the square of the flow. Cavitation comes from
    // suction pressure falling below what the pump needs (a blocked strainer, a low tank).
    const suctionBase = this.application === 'sewage' ? 0.098 * this.sumpLevel : 1.5 + this.suctionWalk.value;
    this.inletPressure = Math.max(0, suctionBase - 0.00008 * this.flow ** 2 - 1.2 * c.cavitation);
    this.point = this.faultyOperatingPoint(pumpOperatingPoint(this.flow));
    if (this.running) {
      // Collapsing vapour bubbles make the delivery pressure ripple.
      const ripple = 0.35 * c.cavitation * this.random.normal();
      this.outletPressure = Math.max(
        0,
        this.inletPressure + this.point.differentialBar + 0.015 * this.random.normal() + ripple,
      );
    } else {
      const standstill = this.inletPressure + (this.application === 'sewage' ? 0.6 : STANDSTILL_DP_BAR);
      this.outletPressure = firstOrderLag(
        this.outletPressure,
        standstill,
        dtSimMs,
        STANDSTILL_PRESSURE_TAU_SIM_MS,
      );
    }

    // Vibration is lowest at the BEP and rises with part-load recirculation and overload.
    // Worn bearings add broadband vibration (ISO 10816-1 puts > 7.1 mm/s in zone D);
    // cavitation adds a crackle; a clogged impeller is out of balance.
    const offDesign = (this.flow - BEP_FLOW_M3H) / BEP_FLOW_M3H;
    const faultVibration =
      6.5 * c.bearingWear +
      3.5 * c.cavitation +
      1.5 * c.clogging +
      2.5 * c.dryRunning +
      (0.3 * c.bearingWear + 0.8 * c.cavitation) * Math.abs(this.random.normal());
    this.vibration = this.running
      ? Math.max(
          0.1,
          1.4 +
            1.2 * offDesign ** 2 +
            this.vibrationWalk.value +
            0.03 * this.random.normal() +
            faultVibration,
        )
      : Math.max(0, 0.05 + 0.01 * this.random.normal());

    this.bearingTemp = firstOrderLag(this.bearingTemp, this.bearingSetpoint(), dtSimMs, BEARING_TAU_SIM_MS);
  }

  /** The operating point as the faults change it: more torque when clogged, none when dry. */
  private faultyOperatingPoint(point: OperatingPoint): OperatingPoint {
    const c = this.condition;
    const headFactor = (1 - 0.3 * c.clogging) * (1 - 0.15 * c.cavitation) * (1 - 0.9 * c.dryRunning);
    // Debris drags on the impeller and worn bearings add friction: more shaft power.
    const torqueFactor = (1 + 0.3 * c.clogging) * (1 + 0.04 * c.bearingWear);
    const currentA = point.currentA * torqueFactor * (1 - c.dryRunning) + NO_LOAD_CURRENT_A * c.dryRunning;
    const electricalKw = (point.electricalKw * currentA) / point.currentA;
    return { ...point, differentialBar: point.differentialBar * headFactor, currentA, electricalKw };
  }

  /** Waste water fills the sump on the simulated day; the pump empties it while running. */
  private updateSump(inflowM3h: number, dtSimMs: number): void {
    const outflow = this.running ? this.flow : 0;
    const hours = dtSimMs / 3_600_000;
    this.sumpLevel = clamp(this.sumpLevel + ((inflowM3h - outflow) * hours) / SUMP_AREA_M2, 0, 3);
  }

  private updateRunState(nowMs: number, demand: number): void {
    const canChange = nowMs - this.lastStateChangeMs >= MIN_STATE_DWELL_MS;
    const stuck = this.condition.stuckRunning > 0;
    let wantsToRun: boolean;
    if (this.application === 'sewage') {
      // Level switches: start at the high level, stop at the low one.
      wantsToRun = this.running ? this.sumpLevel > SUMP_STOP_LEVEL_M : this.sumpLevel >= SUMP_START_LEVEL_M;
    } else {
      wantsToRun = this.running ? demand >= STOP_FLOW_M3H : demand > START_FLOW_M3H;
    }
    let next = this.running;
    if (this.tripped()) next = false;
    else if (stuck) next = true;
    // The level switch of a sewage sump overrides the dwell timer: a full sump must not wait.
    else if (canChange || this.application === 'sewage') next = wantsToRun;
    if (next !== this.running) {
      this.running = next;
      this.lastStateChangeMs = nowMs;
      if (next) this.starts += 1;
    }
  }

  /** Bearing temperature the housing settles at for the current load (friction ~ load^2). */
  private bearingSetpoint(): number {
    const ambient = AMBIENT_C + this.ambientWalk.value;
    if (!this.running) return ambient;
    const load = this.point.electricalKw / MOTOR_RATED_KW;
    // Worn bearings run hotter; a dry pump loses the cooling of the water.
    const c = this.condition;
    return ambient + 12 + 18 * load ** 2 + 28 * c.bearingWear + 35 * c.dryRunning;
  }
}

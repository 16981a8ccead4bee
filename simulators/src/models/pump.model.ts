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
  /** Flow at the morning peak, m3/h. */
  peakFlowM3h?: number;
  /** Running hours already on the counter when the simulation starts. */
  initialRunningHours?: number;
}

export class PumpModel implements DeviceModel, ElectricalConsumer {
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
  private flow = 0;
  private inletPressure = 0;
  private outletPressure = 0;
  private point: OperatingPoint = pumpOperatingPoint(0);
  private vibration = 0;
  private bearingTemp = AMBIENT_C;

  constructor(options: PumpModelOptions) {
    this.random = createRandom(options.seed ?? 1);
    this.dayMs = options.dayMs ?? DEFAULT_DAY_MS;
    this.peakFlow = options.peakFlowM3h ?? 60;
    this.runningHours = options.initialRunningHours ?? 13_140;
    this.demandWalk = new OrnsteinUhlenbeck(this.random, 0.08, 20_000);
    this.suctionWalk = new OrnsteinUhlenbeck(this.random, 0.04, 60_000);
    this.vibrationWalk = new OrnsteinUhlenbeck(this.random, 0.12, 10_000);
    this.ambientWalk = new OrnsteinUhlenbeck(this.random, 1.5, 120_000);
    this.lastMs = options.startMs;
    this.lastStateChangeMs = options.startMs - MIN_STATE_DWELL_MS;
    this.running = this.demandFlow(options.startMs) > STOP_FLOW_M3H;
    this.update(options.startMs, 0);
    if (!this.running) this.outletPressure = this.inletPressure + STANDSTILL_DP_BAR;
    // Start warm: a pump that has been in service does not begin at ambient temperature.
    this.bearingTemp = this.bearingSetpoint();
  }

  /** Trips the pump (as a motor protection relay would) or clears the trip. */
  setFault(active: boolean): void {
    this.fault = active;
  }

  step(nowMs: number): void {
    const dtMs = nowMs - this.lastMs;
    if (dtMs <= 0) return;
    this.lastMs = nowMs;
    this.update(nowMs, dtMs);
  }

  values(): Record<string, PointValue> {
    return {
      running: this.running,
      fault: this.fault,
      flow: this.flow,
      inlet_pressure: this.inletPressure,
      outlet_pressure: this.outletPressure,
      motor_current: this.running ? this.point.currentA : 0,
      motor_power: this.running ? this.point.electricalKw : 0,
      speed: this.running ? this.point.speedRpm : 0,
      vibration: this.vibration,
      bearing_temp: this.bearingTemp,
      running_hours: this.runningHours,
    };
  }

  electricalLoad(): ElectricalLoad {
    if (!this.running) return { activeKw: 0, reactiveKvar: 0 };
    const { electricalKw, powerFactor } = this.point;
    return { activeKw: electricalKw, reactiveKvar: electricalKw * Math.tan(Math.acos(powerFactor)) };
  }

  private demandFlow(nowMs: number): number {
    const curve = residentialWaterDemand(simulatedHour(nowMs, this.dayMs));
    return Math.max(0, this.peakFlow * curve * (1 + this.demandWalk.value));
  }

  private update(nowMs: number, dtMs: number): void {
    // Process dynamics run on the compressed simulated day; counters on real time.
    const dtSimMs = dtMs * (86_400_000 / this.dayMs);
    this.demandWalk.step(dtMs);
    this.suctionWalk.step(dtMs);
    this.vibrationWalk.step(dtMs);
    this.ambientWalk.step(dtSimMs);

    if (this.running) this.runningHours += dtMs / 3_600_000;
    const demand = this.demandFlow(nowMs);
    this.updateRunState(nowMs, demand);

    this.flow = this.running ? Math.max(0, demand + 0.25 * this.random.normal()) : 0;
    // Friction in the suction line grows with the square of the flow.
    this.inletPressure = Math.max(0, 1.5 + this.suctionWalk.value - 0.00008 * this.flow ** 2);
    this.point = pumpOperatingPoint(this.flow);
    if (this.running) {
      this.outletPressure = this.inletPressure + this.point.differentialBar + 0.015 * this.random.normal();
    } else {
      const standstill = this.inletPressure + STANDSTILL_DP_BAR;
      this.outletPressure = firstOrderLag(
        this.outletPressure,
        standstill,
        dtSimMs,
        STANDSTILL_PRESSURE_TAU_SIM_MS,
      );
    }

    // Vibration is lowest at the BEP and rises with part-load recirculation and overload.
    const offDesign = (this.flow - BEP_FLOW_M3H) / BEP_FLOW_M3H;
    this.vibration = this.running
      ? Math.max(0.1, 1.4 + 1.2 * offDesign ** 2 + this.vibrationWalk.value + 0.03 * this.random.normal())
      : Math.max(0, 0.05 + 0.01 * this.random.normal());

    this.bearingTemp = firstOrderLag(this.bearingTemp, this.bearingSetpoint(), dtSimMs, BEARING_TAU_SIM_MS);
  }

  private updateRunState(nowMs: number, demand: number): void {
    const canChange = nowMs - this.lastStateChangeMs >= MIN_STATE_DWELL_MS;
    let next = this.running;
    if (this.fault) next = false;
    else if (canChange && this.running && demand < STOP_FLOW_M3H) next = false;
    else if (canChange && !this.running && demand > START_FLOW_M3H) next = true;
    if (next !== this.running) {
      this.running = next;
      this.lastStateChangeMs = nowMs;
    }
  }

  /** Bearing temperature the housing settles at for the current load (friction ~ load^2). */
  private bearingSetpoint(): number {
    const ambient = AMBIENT_C + this.ambientWalk.value;
    if (!this.running) return ambient;
    const load = this.point.electricalKw / MOTOR_RATED_KW;
    return ambient + 12 + 18 * load ** 2;
  }
}

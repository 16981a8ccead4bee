import { liftTrafficPerMinute, liftUpPeakShare, simulatedHour } from './demand.js';
import {
  DEFAULT_DAY_MS,
  type DeviceModel,
  type ElectricalConsumer,
  type ElectricalLoad,
  type ModelOptions,
  type PointValue,
} from './model.js';
import { clamp, createRandom, type Random } from './random.js';

/**
 * A traction lift in a residential tower (1000 kg, 1.75 m/s, VVVF drive) under simple
 * collective control: passengers appear at random with the daily traffic curve, press a hall
 * button, board, and press their destination; the car serves the stops ahead of it before
 * turning round. Motion and doors run on real time (a trip takes seconds); only the traffic
 * intensity follows the compressed day.
 */
export const DOOR_STATE = { closed: 0, opening: 1, open: 2, closing: 3 } as const;
type DoorState = (typeof DOOR_STATE)[keyof typeof DOOR_STATE];

const FLOOR_HEIGHT_M = 3;
const RATED_SPEED_MS = 1.75;
const ACCELERATION_MS2 = 0.8;
const RATED_LOAD_KG = 1000;
/** The counterweight balances the car plus 45 % of the rated load. */
const BALANCE_LOAD_KG = 0.45 * RATED_LOAD_KG;
/** Car, counterweight and rotating parts reduced to the car, for the inertial force. */
const MOVING_MASS_KG = 3000;
const GRAVITY = 9.81;
/** Drive current per newton of force at the sheave, and its magnetising current, A. */
const CURRENT_PER_NEWTON = 0.004;
const DRIVE_BASE_CURRENT_A = 6;
const DOOR_OPERATOR_CURRENT_A = 1.2;
const STANDBY_CURRENT_A = 0.4;
const SUPPLY_VOLTAGE_LL = 400;
const DRIVE_POWER_FACTOR = 0.85;
/** Car lighting, ventilation and controller, drawn whether the car moves or not. */
const AUXILIARY_KW = 0.4;
const DOOR_OPENING_MS = 2_000;
const NOMINAL_DOOR_CLOSE_S = 3;
/** Motion is integrated in steps no longer than this, whatever the caller's step. */
const MAX_SUBSTEP_MS = 100;

/** How far each fault has developed, 0 to 1; written by the fault library before each step. */
export interface ElevatorCondition {
  /** Worn door operator (belt, rollers, motor): closing takes longer and draws more current. */
  doorWear: number;
  /** Brake wear or rope slip: the car stops further from floor level. */
  levellingDrift: number;
  /** Safety circuit opened mid-run: the car stops between floors with passengers inside. */
  trapped: number;
  /** More people board than the rated load: the load weighing holds the doors open. */
  overload: number;
}

export function healthyElevatorCondition(): ElevatorCondition {
  return { doorWear: 0, levellingDrift: 0, trapped: 0, overload: 0 };
}

/** Extra door closing time of a fully worn operator, s. */
const DOOR_WEAR_EXTRA_S = 3.5;
/** Mean stopping error of a fully drifted car, mm (EN 81-20 asks for +-10 mm). */
const LEVELLING_DRIFT_MM = 14;
/** A trapped car stops where the safety circuit opened; nobody is trapped at a landing. */
const MIN_TRAP_OFFSET_M = 0.6;

interface Passenger {
  destination: number;
  kg: number;
}

export interface ElevatorModelOptions extends ModelOptions {
  /** Floors are numbered 1..floors; the lobby is floor 1. */
  floors?: number;
  initialDoorCycles?: number;
  initialTrips?: number;
}

export class ElevatorModel implements DeviceModel, ElectricalConsumer {
  readonly floors: number;
  /** Written by the fault library before each step; healthy unless a fault is active. */
  readonly condition: ElevatorCondition = healthyElevatorCondition();
  private readonly random: Random;
  private readonly dayMs: number;

  private lastMs: number;
  private positionM = 0;
  private speed = 0;
  /** Acceleration along the direction of travel, m/s2 (negative while braking). */
  private acceleration = 0;
  private direction: -1 | 0 | 1 = 0;
  /** Direction of the last trip, which collective control keeps while stops remain ahead. */
  private sweep: -1 | 1 = 1;
  private target: number | null = null;
  private door: DoorState = DOOR_STATE.closed;
  private doorRemainingMs = 0;
  private doorCloseDurationS = NOMINAL_DOOR_CLOSE_S;
  private lastDoorCloseS = NOMINAL_DOOR_CLOSE_S;
  private doorCycles: number;
  private trips: number;
  private levellingErrorMm = 0;
  private alarm = false;
  private trapped = false;
  /** Passengers who squeezed in beyond the rated load while the overload fault is active. */
  private extraKg = 0;
  private motorCurrent = STANDBY_CURRENT_A;
  private readonly stops = new Set<number>();
  private readonly waiting = new Map<number, Passenger[]>();
  private inCar: Passenger[] = [];

  constructor(options: ElevatorModelOptions) {
    this.floors = options.floors ?? 18;
    if (!Number.isInteger(this.floors) || this.floors < 2) {
      throw new RangeError(`floors must be an integer of at least 2, got ${this.floors}`);
    }
    this.random = createRandom(options.seed ?? 3);
    this.dayMs = options.dayMs ?? DEFAULT_DAY_MS;
    this.doorCycles = options.initialDoorCycles ?? 412_000;
    this.trips = options.initialTrips ?? 268_000;
    this.lastMs = options.startMs;
  }

  /** Raises or clears the controller's alarm (for example the car's alarm button). */
  setAlarm(active: boolean): void {
    this.alarm = active;
  }

  step(nowMs: number): void {
    let remaining = nowMs - this.lastMs;
    if (remaining <= 0) return;
    let t = this.lastMs;
    while (remaining > 0) {
      const dtMs = Math.min(MAX_SUBSTEP_MS, remaining);
      t += dtMs;
      remaining -= dtMs;
      this.substep(t, dtMs);
    }
    this.lastMs = nowMs;
  }

  values(): Record<string, PointValue> {
    return {
      car_position: 1 + this.positionM / FLOOR_HEIGHT_M,
      direction: this.direction,
      speed: this.speed,
      door_state: this.door,
      door_cycles: this.doorCycles,
      door_close_time: this.lastDoorCloseS,
      motor_current: this.motorCurrent,
      load: this.loadKg(),
      alarm: this.alarm || this.trapped || this.loadKg() > RATED_LOAD_KG,
      trip_count: this.trips,
      levelling_error: this.levellingErrorMm,
    };
  }

  electricalLoad(): ElectricalLoad {
    const driveKw =
      this.direction === 0
        ? 0
        : (Math.sqrt(3) * SUPPLY_VOLTAGE_LL * this.motorCurrent * DRIVE_POWER_FACTOR) / 1000;
    const activeKw = AUXILIARY_KW + driveKw;
    return { activeKw, reactiveKvar: driveKw * Math.tan(Math.acos(DRIVE_POWER_FACTOR)) };
  }

  private loadKg(): number {
    return this.inCar.reduce((sum, passenger) => sum + passenger.kg, this.extraKg);
  }

  private currentFloor(): number {
    return 1 + Math.round(this.positionM / FLOOR_HEIGHT_M);
  }

  private substep(nowMs: number, dtMs: number): void {
    this.arrivals(nowMs, dtMs);
    if (this.updateTrap()) {
      this.updateCurrent();
      return;
    }
    if (this.direction !== 0) this.move(dtMs / 1000);
    else if (this.door !== DOOR_STATE.closed) this.runDoor(dtMs);
    else this.dispatch();
    this.updateCurrent();
  }

  /**
   * Passenger trapped: the next time the car is between floors it stops dead, doors shut,
   * alarm on, until the fault clears; then it creeps to the nearest landing and opens (the
   * rescue). An idle car gets a call to a neighbouring floor so that it soon is between floors.
   * Returns true while the car is held.
   */
  private updateTrap(): boolean {
    const wanted = this.condition.trapped > 0;
    if (this.trapped && !wanted) {
      this.trapped = false;
      const nearest = this.currentFloor();
      this.target = nearest;
      this.direction = (nearest - 1) * FLOOR_HEIGHT_M >= this.positionM ? 1 : -1;
      return false;
    }
    if (!wanted || this.trapped) return this.trapped;
    const offset = Math.abs(this.positionM - (this.currentFloor() - 1) * FLOOR_HEIGHT_M);
    if (this.direction !== 0 && offset >= MIN_TRAP_OFFSET_M && this.inCar.length > 0) {
      this.trapped = true;
      this.direction = 0;
      this.speed = 0;
      this.acceleration = 0;
      this.target = null;
      return true;
    }
    if (this.direction === 0 && this.door === DOOR_STATE.closed && this.stops.size === 0) {
      // Someone on this floor takes the lift one floor: that trip is the one that stops.
      const here = this.currentFloor();
      const destination = here < this.floors ? here + 1 : here - 1;
      const queue = this.waiting.get(here) ?? [];
      queue.push({ destination, kg: 75 });
      this.waiting.set(here, queue);
      this.stops.add(here);
    }
    return false;
  }

  /** New journeys: a Poisson process whose rate follows the traffic curve. */
  private arrivals(nowMs: number, dtMs: number): void {
    const hour = simulatedHour(nowMs, this.dayMs);
    const probability = (liftTrafficPerMinute(hour) / 60_000) * dtMs;
    if (this.random.next() >= probability) return;
    let origin: number;
    let destination: number;
    if (this.random.next() < liftUpPeakShare(hour)) {
      origin = 1;
      destination = this.random.int(2, this.floors);
    } else {
      origin = this.random.int(2, this.floors);
      // Most journeys from a flat go down to the lobby; some visit a neighbour.
      destination = this.random.next() < 0.85 ? 1 : this.otherFloor(origin);
    }
    const queue = this.waiting.get(origin) ?? [];
    queue.push({ destination, kg: clamp(75 + 15 * this.random.normal(), 20, 150) });
    this.waiting.set(origin, queue);
    this.stops.add(origin);
  }

  private otherFloor(floor: number): number {
    const other = this.random.int(1, this.floors - 1);
    return other >= floor ? other + 1 : other;
  }

  /** Idle car with closed doors: open here if called here, or start towards the next stop. */
  private dispatch(): void {
    const here = this.currentFloor();
    if (this.stops.has(here)) {
      this.stops.delete(here);
      this.door = DOOR_STATE.opening;
      this.doorRemainingMs = DOOR_OPENING_MS;
      return;
    }
    if (this.stops.size === 0) return;
    const ahead = [...this.stops].filter((floor) => Math.sign(floor - here) === this.sweep);
    if (ahead.length === 0) this.sweep = this.sweep === 1 ? -1 : 1;
    const candidates = ahead.length > 0 ? ahead : [...this.stops];
    const next = candidates.reduce((best, floor) =>
      Math.abs(floor - here) < Math.abs(best - here) ? floor : best,
    );
    this.target = next;
    this.direction = next > here ? 1 : -1;
    this.sweep = this.direction;
    this.trips += 1;
    // Whoever could not board a full car presses the hall button again once it has left.
    for (const floor of this.waiting.keys()) this.stops.add(floor);
  }

  /** Trapezoidal speed profile: accelerate to rated speed, brake to stop level at the target. */
  private move(dtS: number): void {
    const target = this.retarget();
    const targetM = (target - 1) * FLOOR_HEIGHT_M;
    const distance = Math.abs(targetM - this.positionM);
    const accelerated = Math.min(RATED_SPEED_MS, this.speed + ACCELERATION_MS2 * dtS);
    // The highest speed from which the car, after this step's travel, can still stop at the
    // target with rated deceleration: v^2 = 2a(d - v dt), solved for v. Taking the distance
    // after the step keeps the braking at the rated rate down to the landing.
    const aDt = ACCELERATION_MS2 * dtS;
    const stoppable = -aDt + Math.sqrt(aDt * aDt + 2 * ACCELERATION_MS2 * distance);
    const speed = Math.min(accelerated, stoppable);
    this.acceleration = (speed - this.speed) / dtS;
    this.speed = speed;
    const travel = Math.min(speed * dtS, distance);
    this.positionM += this.direction * travel;
    if (distance - travel < 1e-3) this.arrive(target);
  }

  /** Collective control: stop for a floor ahead if the car can still brake for it. */
  private retarget(): number {
    const target = this.target ?? this.currentFloor();
    const brakingM = this.speed ** 2 / (2 * ACCELERATION_MS2);
    let best = target;
    for (const floor of this.stops) {
      const floorAheadM = ((floor - 1) * FLOOR_HEIGHT_M - this.positionM) * this.direction;
      const bestAheadM = ((best - 1) * FLOOR_HEIGHT_M - this.positionM) * this.direction;
      if (floorAheadM > 1e-3 && floorAheadM >= brakingM && floorAheadM < bestAheadM) best = floor;
    }
    this.target = best;
    return best;
  }

  private arrive(floor: number): void {
    this.positionM = (floor - 1) * FLOOR_HEIGHT_M;
    this.speed = 0;
    this.acceleration = 0;
    this.direction = 0;
    this.target = null;
    // Levelling accuracy of a VVVF drive: a couple of millimetres either way; a worn brake or
    // slipping ropes make the car stop consistently high, and less evenly.
    const drift = this.condition.levellingDrift;
    this.levellingErrorMm = clamp(
      LEVELLING_DRIFT_MM * drift + (1.5 + 2 * drift) * this.random.normal(),
      -8 - 2 * LEVELLING_DRIFT_MM * drift,
      8 + 2 * LEVELLING_DRIFT_MM * drift,
    );
    this.stops.delete(floor);
    this.door = DOOR_STATE.opening;
    this.doorRemainingMs = DOOR_OPENING_MS;
  }

  private runDoor(dtMs: number): void {
    this.doorRemainingMs -= dtMs;
    if (this.doorRemainingMs > 0) return;
    switch (this.door) {
      case DOOR_STATE.opening: {
        this.door = DOOR_STATE.open;
        const moved = this.exchangePassengers();
        this.doorRemainingMs = Math.min(10_000, 3_000 + 1_000 * moved);
        break;
      }
      case DOOR_STATE.open: {
        // Overload: extra people squeeze in; the load weighing device holds the doors open
        // (and sounds the buzzer) until enough of them step out.
        const overload = this.condition.overload;
        if (overload > 0) {
          const passengersKg = this.loadKg() - this.extraKg;
          this.extraKg = Math.max(0, RATED_LOAD_KG * (1.05 + 0.2 * overload) - passengersKg);
        } else {
          this.extraKg = 0;
        }
        if (this.loadKg() > RATED_LOAD_KG) {
          this.doorRemainingMs = 1_000;
          break;
        }
        this.door = DOOR_STATE.closing;
        // Door operators vary a little from cycle to cycle; a worn one is slower and less even.
        const wear = this.condition.doorWear;
        this.doorCloseDurationS = clamp(
          NOMINAL_DOOR_CLOSE_S + DOOR_WEAR_EXTRA_S * wear + (0.08 + 0.3 * wear) * this.random.normal(),
          2.6,
          3.6 + DOOR_WEAR_EXTRA_S * 1.5,
        );
        this.doorRemainingMs = this.doorCloseDurationS * 1000;
        break;
      }
      case DOOR_STATE.closing:
        this.door = DOOR_STATE.closed;
        this.doorCycles += 1;
        this.lastDoorCloseS = this.doorCloseDurationS;
        break;
    }
  }

  /** Passengers for this floor leave; those waiting board while the rated load allows. */
  private exchangePassengers(): number {
    const floor = this.currentFloor();
    const leaving = this.inCar.filter((p) => p.destination === floor);
    this.inCar = this.inCar.filter((p) => p.destination !== floor);
    const queue = this.waiting.get(floor) ?? [];
    let boarded = 0;
    while (queue.length > 0) {
      const next = queue[0];
      if (next === undefined || this.loadKg() + next.kg > RATED_LOAD_KG) break;
      queue.shift();
      this.inCar.push(next);
      this.stops.add(next.destination);
      boarded += 1;
    }
    if (queue.length > 0) this.waiting.set(floor, queue);
    else this.waiting.delete(floor);
    return leaving.length + boarded;
  }

  private updateCurrent(): void {
    const noise = 0.05 * this.random.normal();
    if (this.direction !== 0) {
      // Force at the sheave: the out-of-balance weight, signed by travel direction, plus inertia.
      const force =
        this.direction * (this.loadKg() - BALANCE_LOAD_KG) * GRAVITY + MOVING_MASS_KG * this.acceleration;
      this.motorCurrent = DRIVE_BASE_CURRENT_A + CURRENT_PER_NEWTON * Math.abs(force) + noise;
    } else if (this.door === DOOR_STATE.opening || this.door === DOOR_STATE.closing) {
      this.motorCurrent = DOOR_OPERATOR_CURRENT_A * (1 + 0.8 * this.condition.doorWear) + noise;
    } else {
      this.motorCurrent = Math.max(0, STANDBY_CURRENT_A + noise);
    }
  }
}

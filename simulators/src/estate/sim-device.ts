import type { DeviceType } from '@caretaker/protocol';
import { type CommBehaviour, DeviceFaults } from '../faults/device-faults.js';
import { ElevatorModel } from '../models/elevator.model.js';
import type { DeviceModel, ElectricalConsumer, PointValue } from '../models/model.js';
import { PowerMeterModel } from '../models/power-meter.model.js';
import { PumpModel } from '../models/pump.model.js';
import { createRandom } from '../models/random.js';
import { UtilityMeterModel } from '../models/utility-meter.model.js';
import { type DevicePlan, KIND_PROFILES } from './plan.js';

export type AnyModel = PumpModel | ElevatorModel | PowerMeterModel | UtilityMeterModel;

export interface SimDeviceOptions {
  /** Model clock at the start (epoch ms, shifted to the scenario's start hour). */
  startMs: number;
  dayMs: number;
  /** Power meters: the devices whose load they measure. */
  feeders?: ElectricalConsumer[];
}

function createModel(plan: DevicePlan, options: SimDeviceOptions): AnyModel {
  const common = { startMs: options.startMs, dayMs: options.dayMs, seed: plan.seed };
  const size = plan.size ?? 1;
  switch (plan.kind) {
    case 'booster_pump':
      return new PumpModel({ ...common, application: 'booster', peakFlowM3h: 60 * size });
    case 'sewage_pump':
      return new PumpModel({ ...common, application: 'sewage', peakFlowM3h: 25 * size });
    case 'elevator':
      return new ElevatorModel({ ...common, ...(plan.floors !== undefined ? { floors: plan.floors } : {}) });
    case 'power_meter':
      return new PowerMeterModel({ ...common, baseLoadFactor: size, feeders: options.feeders ?? [] });
    case 'water_meter':
      return new UtilityMeterModel({ ...common, medium: 'water', sizeFactor: size });
    case 'gas_meter':
      return new UtilityMeterModel({ ...common, medium: 'gas', sizeFactor: size });
  }
}

/**
 * One simulated device: its model, its faults, and the readings its sensors report. Exposers
 * read `values()` (a snapshot taken at each step, so every client sees one consistent step)
 * and ask `comm()` how to answer.
 */
export class SimDevice implements DeviceModel {
  readonly id: string;
  readonly type: DeviceType;
  readonly profile: string;
  readonly model: AnyModel;
  readonly faults: DeviceFaults;
  private output: Record<string, PointValue>;
  private lastRealMs = Number.NEGATIVE_INFINITY;

  constructor(
    readonly plan: DevicePlan,
    options: SimDeviceOptions,
  ) {
    this.id = plan.id;
    const { profile, type } = KIND_PROFILES[plan.kind];
    this.type = type;
    this.profile = profile;
    this.model = createModel(plan, options);
    // Fault randomness (spikes, flaky links) has its own stream, so that a fault does not
    // change the healthy signal's noise: the same seed gives the same process either way.
    this.faults = new DeviceFaults(type, createRandom(plan.seed ^ 0x5f3759df));
    this.output = this.model.values();
  }

  get protocol(): 'modbus' | 'opcua' {
    return this.plan.transport.protocol === 'opcua' ? 'opcua' : 'modbus';
  }

  /** Applies the faults in force, advances the model and takes the readings. */
  advance(modelNowMs: number, realNowMs: number): void {
    this.faults.applyConditions(this.model.condition, realNowMs);
    this.model.step(modelNowMs);
    if (realNowMs > this.lastRealMs) {
      this.lastRealMs = realNowMs;
      this.output = this.faults.transform(this.model.values(), realNowMs);
    }
  }

  /** DeviceModel: the estate advances devices itself (it knows both clocks). */
  step(): void {}

  values(): Record<string, PointValue> {
    return this.output;
  }

  comm(realNowMs: number): CommBehaviour {
    return this.faults.comm(realNowMs);
  }

  /** Points whose value is a number (sensor faults pick one of these). */
  numericPoints(): string[] {
    return Object.entries(this.model.values())
      .filter(([, value]) => typeof value === 'number')
      .map(([name]) => name);
  }
}

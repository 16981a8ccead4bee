import type { DeviceType } from '@caretaker/protocol';
import type { PointValue } from '../models/model.js';
import type { Random } from '../models/random.js';
import { type FaultKind, faultDefinition, type ProcessEffects } from './catalogue.js';
import { type FaultTiming, faultIntensity, isActive } from './onset.js';

/** One fault on one device, with its timing in real epoch ms. */
export interface FaultInstance extends FaultTiming {
  id: string;
  device: string;
  kind: FaultKind;
  /** The point a sensor fault affects. */
  point?: string;
  /** slow_response: how late the answer comes, ms. */
  delayMs?: number;
  /** modbus_exception: the exception code returned. */
  exceptionCode?: number;
  /** Who asked for it: the scenario file or the control API / CLI. */
  source: 'scenario' | 'control';
}

/** How the device answers one request right now. */
export interface CommBehaviour {
  respond: boolean;
  delayMs: number;
  exceptionCode: number | null;
}

export const HEALTHY_COMM: Readonly<CommBehaviour> = { respond: true, delayMs: 0, exceptionCode: null };

/** Modbus exception 04, server device failure (MODBUS Application Protocol v1.1b3 §7). */
export const DEFAULT_EXCEPTION_CODE = 4;
export const DEFAULT_DELAY_MS = 1_500;

interface Entry {
  fault: FaultInstance;
  /** sensor_stuck: the reading frozen when the fault began. */
  frozen?: PointValue;
}

/**
 * The faults of one device and what they do to it: conditions of its model (process faults),
 * its readings (sensor faults) and its answers (communication faults). Pure: time comes in as
 * arguments, randomness from the seeded source given.
 */
export class DeviceFaults {
  private entries: Entry[] = [];

  constructor(
    private readonly type: DeviceType,
    private readonly random: Random,
  ) {}

  add(fault: FaultInstance): void {
    this.entries.push({ fault });
  }

  /** Forgets a fault (ended or cancelled). */
  remove(id: string): void {
    this.entries = this.entries.filter(({ fault }) => fault.id !== id);
  }

  list(): FaultInstance[] {
    return this.entries.map((entry) => entry.fault);
  }

  /**
   * Resets the model's condition to healthy, then lets every process fault in force set the
   * field it drives. Two faults on one field take the larger intensity, not the sum.
   */
  applyConditions(condition: object, nowMs: number): void {
    const fields = condition as Record<string, number>;
    for (const key of Object.keys(fields)) fields[key] = 0;
    for (const { fault } of this.entries) {
      const definition = faultDefinition(fault.kind);
      if (definition.layer !== 'process') continue;
      const field = definition.effects[this.type as keyof ProcessEffects];
      if (field === undefined || !(field in fields)) continue;
      fields[field] = Math.max(fields[field] ?? 0, faultIntensity(fault, nowMs));
    }
  }

  /** The readings as the device's sensors report them. NaN stands for an invalid reading. */
  transform(values: Record<string, PointValue>, nowMs: number): Record<string, PointValue> {
    let out = values;
    for (const entry of this.entries) {
      const { fault } = entry;
      const definition = faultDefinition(fault.kind);
      if (definition.layer !== 'sensor' || fault.point === undefined) continue;
      if (!isActive(fault, nowMs)) {
        entry.frozen = undefined;
        continue;
      }
      const value = out[fault.point];
      if (typeof value !== 'number') continue;
      const x = faultIntensity(fault, nowMs);
      const next = this.sensorValue(entry, value, x);
      if (next !== value) out = { ...out, [fault.point]: next };
    }
    return out;
  }

  /** How the device answers a request now; the worst fault in force wins. */
  comm(nowMs: number): CommBehaviour {
    let behaviour: CommBehaviour = HEALTHY_COMM;
    for (const { fault } of this.entries) {
      const definition = faultDefinition(fault.kind);
      if (definition.layer !== 'comm' || !isActive(fault, nowMs)) continue;
      // Severity is the share of requests affected, so a flaky link is severity 0.2.
      if (this.random.next() >= faultIntensity(fault, nowMs)) continue;
      switch (fault.kind) {
        case 'no_response':
          return { respond: false, delayMs: 0, exceptionCode: null };
        case 'modbus_exception':
          behaviour = { ...behaviour, exceptionCode: fault.exceptionCode ?? DEFAULT_EXCEPTION_CODE };
          break;
        case 'slow_response': {
          // A little jitter, as a busy device has.
          const delay = (fault.delayMs ?? DEFAULT_DELAY_MS) * (0.9 + 0.2 * this.random.next());
          behaviour = { ...behaviour, delayMs: Math.max(behaviour.delayMs, delay) };
          break;
        }
      }
    }
    return behaviour;
  }

  private sensorValue(entry: Entry, value: number, x: number): number {
    switch (entry.fault.kind) {
      case 'sensor_stuck':
        entry.frozen ??= value;
        return entry.frozen as number;
      case 'sensor_spikes': {
        // Spikes are rare at low severity and frequent at high; each is several times the
        // signal's own size, in either direction.
        if (this.random.next() >= 0.03 + 0.2 * x) return value;
        const sign = this.random.next() < 0.5 ? -1 : 1;
        return value + sign * (1 + 3 * x) * (0.5 + this.random.next()) * Math.max(Math.abs(value), 1);
      }
      case 'sensor_dropout':
        // Severity 1 is a dead sensor; below it the connection is intermittent.
        return this.random.next() < x ? Number.NaN : value;
      default:
        return value;
    }
  }
}

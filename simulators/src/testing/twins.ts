import { Estate } from '../estate/estate.js';
import type { DeviceKind, DevicePlan, EstatePlan } from '../estate/plan.js';
import type { SimDevice } from '../estate/sim-device.js';
import type { PointValue } from '../models/model.js';

/**
 * Two identical devices (same model, same seed) on one injected clock: a fault injected into
 * `faulty` must move its readings away from `healthy`'s, and only after it starts. Fault
 * randomness has its own stream, so before the start the twins read exactly the same.
 */
export interface Twins {
  estate: Estate;
  healthy: SimDevice;
  faulty: SimDevice;
  now(): number;
  /** Advances the clock by `ms` in ticks of `tickMs`, calling `sample` after each tick. */
  run(
    ms: number,
    sample?: (healthy: Record<string, PointValue>, faulty: Record<string, PointValue>) => void,
  ): void;
}

export const T0 = Date.UTC(2026, 0, 5);

export interface TwinOptions {
  timeFactor?: number;
  startHour?: number;
  dayMs?: number;
  tickMs?: number;
  /** Devices beside the twin in each building (a power meter's feeders). */
  withKinds?: DeviceKind[];
}

export function twins(kind: DeviceKind, options: TwinOptions = {}): Twins {
  let t = T0;
  const tickMs = options.tickMs ?? 500;
  const building = (name: 'healthy' | 'faulty'): DevicePlan[] => {
    const extras = (options.withKinds ?? []).map(
      (extra, i): DevicePlan => ({
        id: `${name}-${extra}-${i}`,
        kind: extra,
        site: 'test',
        building: name,
        seed: 100 + i,
        transport: { protocol: extra === 'elevator' ? 'opcua' : 'modbus-tcp', port: 0, unitId: 10 + i },
      }),
    );
    return [
      ...extras,
      {
        id: name,
        kind,
        site: 'test',
        building: name,
        seed: 7,
        floors: 12,
        transport:
          kind === 'elevator' ? { protocol: 'opcua' } : { protocol: 'modbus-tcp', port: 0, unitId: 1 },
      },
    ];
  };
  const plan: EstatePlan = {
    name: 'twins',
    seed: 1,
    timeFactor: options.timeFactor ?? 1,
    dayMs: options.dayMs ?? 10 * 60_000,
    startHour: options.startHour ?? 8,
    devices: [...building('healthy'), ...building('faulty')],
    tcpPorts: 1,
    serialLines: [],
    faults: [],
  };
  const estate = new Estate(plan, { now: () => t });
  const healthy = estate.device('healthy') as SimDevice;
  const faulty = estate.device('faulty') as SimDevice;
  return {
    estate,
    healthy,
    faulty,
    now: () => t,
    run(ms, sample) {
      const end = t + ms;
      while (t < end) {
        t = Math.min(end, t + tickMs);
        estate.tick();
        sample?.(healthy.values(), faulty.values());
      }
    },
  };
}

export function num(values: Record<string, PointValue>, name: string): number {
  return Number(values[name]);
}

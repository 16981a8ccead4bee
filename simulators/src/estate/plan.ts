import type { DeviceType } from '@caretaker/protocol';
import type { FaultKind } from '../faults/catalogue.js';
import type { Onset } from '../faults/onset.js';

/**
 * An estate ready to run: every device with its id, place, model and transport, and the faults
 * to schedule. Scenario files compile to this; so does the walking-skeleton default of
 * `startSimulators()`. Times of faults are scenario time (see `timeFactor`).
 */
export const DEVICE_KINDS = [
  'booster_pump',
  'sewage_pump',
  'elevator',
  'power_meter',
  'water_meter',
  'gas_meter',
] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** The profile (register map or node ids) and reported device type of each kind. */
export const KIND_PROFILES: Record<DeviceKind, { profile: string; type: DeviceType }> = {
  booster_pump: { profile: 'pump-controller', type: 'pump' },
  sewage_pump: { profile: 'sewage-pump-controller', type: 'pump' },
  elevator: { profile: 'elevator-controller', type: 'elevator' },
  power_meter: { profile: 'power-meter-3p', type: 'power_meter' },
  water_meter: { profile: 'water-meter', type: 'water_meter' },
  gas_meter: { profile: 'gas-meter', type: 'gas_meter' },
};

export type TransportPlan =
  /** `port` indexes the estate's Modbus TCP ports (the first is the base port). */
  | { protocol: 'modbus-tcp'; port: number; unitId: number }
  /** `line` indexes the estate's serial lines. */
  | { protocol: 'modbus-rtu'; line: number; unitId: number }
  | { protocol: 'opcua' };

export interface DevicePlan {
  id: string;
  kind: DeviceKind;
  site: string;
  building: string;
  seed: number;
  transport: TransportPlan;
  /** Lifts: floors of the building. */
  floors?: number;
  /** Scales loads and flows (1 = a tower of about 150 flats). */
  size?: number;
}

export interface SerialLinePlan {
  path: string;
  baudRate: number;
}

export interface FaultPlan {
  device: string;
  kind: FaultKind;
  /** Scenario ms after the start. */
  startMs: number;
  /** Scenario ms; null = until cleared. */
  durationMs: number | null;
  onset: Onset;
  /** Scenario ms to full severity. */
  onsetMs: number;
  severity: number;
  point?: string;
  delayMs?: number;
  exceptionCode?: number;
}

export interface EstatePlan {
  name: string;
  seed: number;
  /** How much faster scenario time (fault start, duration, onset) runs than real time. */
  timeFactor: number;
  /** Real ms per simulated day of the demand curves. */
  dayMs: number;
  /** Hour of the simulated day at start. */
  startHour: number;
  devices: DevicePlan[];
  /** How many Modbus TCP ports the devices use (indexes 0..n-1). */
  tcpPorts: number;
  serialLines: SerialLinePlan[];
  faults: FaultPlan[];
}

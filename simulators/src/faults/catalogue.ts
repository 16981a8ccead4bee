import type { DeviceType } from '@caretaker/protocol';
import type { ElevatorCondition } from '../models/elevator.model.js';
import type { PowerMeterCondition } from '../models/power-meter.model.js';
import type { PumpCondition } from '../models/pump.model.js';
import type { UtilityMeterCondition } from '../models/utility-meter.model.js';
import type { Onset } from './onset.js';

/**
 * The fault library: every kind of fault the simulators can play, what it does and to which
 * devices. Three layers:
 *  - process faults change the physics: they set a condition of the model (a worn bearing,
 *    a clogged impeller), and every quantity that really depends on it moves;
 *  - sensor faults change one point's reading, not the process (stuck, spikes, dropouts);
 *  - communication faults change how the device answers (not at all, late, with an exception).
 * Adding a fault is adding an entry here (and, for a process fault, its physics in the model).
 */
export const FAULT_KINDS = [
  'bearing_wear',
  'cavitation',
  'clogging',
  'dry_running',
  'seal_leak',
  'stuck_running',
  'motor_trip',
  'door_operator_wear',
  'levelling_drift',
  'passenger_trapped',
  'overload',
  'phase_imbalance',
  'voltage_sag',
  'abnormal_night_consumption',
  'sensor_stuck',
  'sensor_spikes',
  'sensor_dropout',
  'no_response',
  'slow_response',
  'modbus_exception',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Which condition field of each device type's model a process fault drives. */
export interface ProcessEffects {
  pump?: keyof PumpCondition;
  elevator?: keyof ElevatorCondition;
  power_meter?: keyof PowerMeterCondition;
  water_meter?: keyof UtilityMeterCondition;
  gas_meter?: keyof UtilityMeterCondition;
}

interface DefinitionBase {
  kind: FaultKind;
  summary: string;
  /** What a detector should see. */
  signature: string;
  defaultOnset: Onset;
}

export interface ProcessFaultDefinition extends DefinitionBase {
  layer: 'process';
  effects: ProcessEffects;
}

export interface SensorFaultDefinition extends DefinitionBase {
  layer: 'sensor';
}

export interface CommFaultDefinition extends DefinitionBase {
  layer: 'comm';
  /** Protocols on which the fault can be played. */
  protocols: ReadonlyArray<'modbus' | 'opcua'>;
}

export type FaultDefinition = ProcessFaultDefinition | SensorFaultDefinition | CommFaultDefinition;

const definitions: FaultDefinition[] = [
  {
    kind: 'bearing_wear',
    layer: 'process',
    effects: { pump: 'bearingWear' },
    defaultOnset: 'accelerating',
    summary: 'Rolling-element bearing wear',
    signature: 'vibration and bearing temperature creep up over days, then accelerate; current +4 %',
  },
  {
    kind: 'cavitation',
    layer: 'process',
    effects: { pump: 'cavitation' },
    defaultOnset: 'ramp',
    summary: 'Suction pressure below the NPSH required (blocked strainer, low tank)',
    signature: 'inlet pressure falls, outlet pressure ripples, vibration rises, flow drops up to 25 %',
  },
  {
    kind: 'clogging',
    layer: 'process',
    effects: { pump: 'clogging' },
    defaultOnset: 'ramp',
    summary: 'Rags or debris in the impeller',
    signature: 'motor current up (up to +30 %) while flow (-40 %) and outlet pressure fall',
  },
  {
    kind: 'dry_running',
    layer: 'process',
    effects: { pump: 'dryRunning' },
    defaultOnset: 'step',
    summary: 'No water at the suction',
    signature: 'running with flow near 0, current down to no-load, pressure collapses, bearing heats',
  },
  {
    kind: 'seal_leak',
    layer: 'process',
    effects: { pump: 'sealLeak' },
    defaultOnset: 'ramp',
    summary: 'Mechanical seal leak',
    signature: 'extra flow that keeps the pump from resting at night; leak_alarm bit from severity 0.5',
  },
  {
    kind: 'stuck_running',
    layer: 'process',
    effects: { pump: 'stuckRunning' },
    defaultOnset: 'step',
    summary: "Controller's stop signal stuck (welded pressure switch)",
    signature: 'the pump runs through the night at low flow; the building meter shows the extra kW',
  },
  {
    kind: 'motor_trip',
    layer: 'process',
    effects: { pump: 'tripped' },
    defaultOnset: 'step',
    summary: 'Motor protection relay trip',
    signature: 'fault bit set, pump stopped, flow and current 0',
  },
  {
    kind: 'door_operator_wear',
    layer: 'process',
    effects: { elevator: 'doorWear' },
    defaultOnset: 'ramp',
    summary: 'Worn door operator (belt, rollers, motor)',
    signature: 'door_close_time lengthens from 3 s up to 6.5 s and varies more; door current up',
  },
  {
    kind: 'levelling_drift',
    layer: 'process',
    effects: { elevator: 'levellingDrift' },
    defaultOnset: 'ramp',
    summary: 'Brake wear or rope slip',
    signature: 'levelling_error drifts from about 0 to about +14 mm and scatters more',
  },
  {
    kind: 'passenger_trapped',
    layer: 'process',
    effects: { elevator: 'trapped' },
    defaultOnset: 'step',
    summary: 'Passenger trapped (safety circuit opened mid-run)',
    signature: 'car stopped between floors (fractional car_position), speed 0, doors closed, alarm true',
  },
  {
    kind: 'overload',
    layer: 'process',
    effects: { elevator: 'overload', power_meter: 'overload' },
    defaultOnset: 'step',
    summary: 'Lift: load beyond rated; power room: load beyond the transformer rating',
    signature:
      'lift: load > 1000 kg, doors held open, alarm true; meter: active power up by 0.9 x rating, transformer temperature climbs',
  },
  {
    kind: 'phase_imbalance',
    layer: 'process',
    effects: { power_meter: 'phaseImbalance' },
    defaultOnset: 'step',
    summary: 'Single-phase loads piled onto L1',
    signature: 'current_l1 up, current_l2 and current_l3 down, L1 voltage sags a little more',
  },
  {
    kind: 'voltage_sag',
    layer: 'process',
    effects: { power_meter: 'voltageSag' },
    defaultOnset: 'step',
    summary: 'Supply voltage dip from the network',
    signature: 'every phase voltage down by up to 30 %, currents up for the same power',
  },
  {
    kind: 'abnormal_night_consumption',
    layer: 'process',
    effects: { power_meter: 'nightLoad', water_meter: 'leak', gas_meter: 'leak' },
    defaultOnset: 'step',
    summary: 'Something left running day and night (lights, a fan, a leak)',
    signature:
      'consumption far above the usual for the hour, clearest at night (power +35 kW, water +1.5 m3/h, gas +3 m3/h)',
  },
  {
    kind: 'sensor_stuck',
    layer: 'sensor',
    defaultOnset: 'step',
    summary: 'A sensor reading frozen at its last value',
    signature: 'the point stops moving (status stays Good)',
  },
  {
    kind: 'sensor_spikes',
    layer: 'sensor',
    defaultOnset: 'step',
    summary: 'Interference on a sensor line',
    signature: 'isolated samples jump far from the trend, more often with severity',
  },
  {
    kind: 'sensor_dropout',
    layer: 'sensor',
    defaultOnset: 'step',
    summary: 'Broken wire or failed sensor (intermittent below severity 1)',
    signature:
      'the point reads invalid: float32 NaN, int16 0x8000, uint16/uint32 all ones; OPC UA BadSensorFailure',
  },
  {
    kind: 'no_response',
    layer: 'comm',
    protocols: ['modbus', 'opcua'],
    defaultOnset: 'step',
    summary: 'Device does not answer (the share of requests is the severity)',
    signature: 'Modbus: no reply (client timeout); OPC UA: BadNoCommunication',
  },
  {
    kind: 'slow_response',
    layer: 'comm',
    protocols: ['modbus', 'opcua'],
    defaultOnset: 'step',
    summary: 'Device answers late (delay_ms, default 1500; the share of requests is the severity)',
    signature: 'replies arrive after delay_ms',
  },
  {
    kind: 'modbus_exception',
    layer: 'comm',
    protocols: ['modbus'],
    defaultOnset: 'step',
    summary: 'Device answers with a Modbus exception (exception_code, default 4; share = severity)',
    signature: 'exception responses, e.g. 04 server device failure, 06 server device busy',
  },
];

export const FAULT_CATALOGUE: ReadonlyMap<FaultKind, FaultDefinition> = new Map(
  definitions.map((definition) => [definition.kind, definition]),
);

export function faultDefinition(kind: FaultKind): FaultDefinition {
  const definition = FAULT_CATALOGUE.get(kind);
  if (!definition) throw new Error(`unknown fault kind ${kind}`);
  return definition;
}

/** Device types a process fault applies to; sensor and communication faults apply to all. */
export function appliesTo(definition: FaultDefinition, type: DeviceType): boolean {
  if (definition.layer !== 'process') return true;
  return definition.effects[type as keyof ProcessEffects] !== undefined;
}

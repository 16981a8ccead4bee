import { createLogger } from '@caretaker/protocol/log';
import { ModbusTcpExposer } from './exposers/modbus-tcp.exposer.js';
import { OpcuaExposer, type OpcuaValueType } from './exposers/opcua.exposer.js';
import { ElevatorModel } from './models/elevator.model.js';
import { DEFAULT_DAY_MS } from './models/model.js';
import { PowerMeterModel } from './models/power-meter.model.js';
import { PumpModel } from './models/pump.model.js';
import { loadModbusProfile, loadOpcuaProfile } from './profiles.js';

export { MODBUS_EXCEPTION, ModbusTcpExposer, type ModbusUnit } from './exposers/modbus-tcp.exposer.js';
export {
  DEFAULT_PKI_DIR,
  OPCUA_NAMESPACE_URI,
  type OpcuaDevice,
  OpcuaExposer,
} from './exposers/opcua.exposer.js';
export { DOOR_STATE, ElevatorModel } from './models/elevator.model.js';
export type { DeviceModel, ElectricalLoad, PointValue } from './models/model.js';
export { PowerMeterModel } from './models/power-meter.model.js';
export { PumpModel, pumpOperatingPoint } from './models/pump.model.js';
export { loadModbusProfile, loadOpcuaProfile, loadProfile, PROFILES_DIR, profilePath } from './profiles.js';

export interface StartSimulatorsOptions {
  /** Address to bind both servers to (default 127.0.0.1; the CLI defaults to 0.0.0.0). */
  host?: string;
  /** Modbus TCP port (default 5020); 0 picks a free one. */
  modbusPort?: number;
  /** OPC UA port (default 4840); 0 picks a free one. */
  opcuaPort?: number;
  /** The clock, epoch ms (default Date.now). */
  now?: () => number;
  /** How often the models step, ms (default 500). */
  tickMs?: number;
  pumpUnitId?: number;
  meterUnitId?: number;
  /** Seed of the models' randomness (default 1): the same seed and clock give the same values. */
  seed?: number;
  /** Real ms per simulated day of the demand curves (default 10 minutes). */
  dayMs?: number;
  /**
   * Hour of the simulated day at start (default 7, the morning peak), so that a demo or a
   * test always starts with the pump running rather than at whatever hour the clock gives.
   */
  startHour?: number;
  /** Folder for the OPC UA server's self-signed certificate (default under the OS temp dir). */
  pkiDir?: string;
}

export interface SimulatedDevice {
  id: string;
  profile: string;
  protocol: 'modbus' | 'opcua';
  unitId?: number;
}

export interface RunningSimulators {
  modbus: { host: string; port: number };
  opcua: { endpoint: string; port: number };
  devices: SimulatedDevice[];
  stop(): Promise<void>;
}

const PUMP_ID = 'pump-1';
const METER_ID = 'meter-1';
const ELEVATOR_ID = 'elevator-1';

/** OPC UA types of the lift's points that are not plain Doubles. */
const ELEVATOR_VALUE_TYPES: Partial<Record<string, OpcuaValueType>> = {
  direction: 'Int32',
  door_state: 'UInt32',
  door_cycles: 'UInt32',
  trip_count: 'UInt32',
};

function checkPort(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new RangeError(`${name} must be an integer from 0 to 65535, got ${value}`);
  }
}

/**
 * Starts the simulated pump and power meter on one Modbus TCP port (unit ids 1 and 2 by
 * default) and the lift on an OPC UA server, then steps their models every tick.
 */
export async function startSimulators(opts: StartSimulatorsOptions = {}): Promise<RunningSimulators> {
  const host = opts.host ?? '127.0.0.1';
  const modbusPort = opts.modbusPort ?? 5020;
  const opcuaPort = opts.opcuaPort ?? 4840;
  const now = opts.now ?? Date.now;
  const tickMs = opts.tickMs ?? 500;
  const pumpUnitId = opts.pumpUnitId ?? 1;
  const meterUnitId = opts.meterUnitId ?? 2;
  const seed = opts.seed ?? 1;
  checkPort('modbusPort', modbusPort);
  checkPort('opcuaPort', opcuaPort);
  if (modbusPort !== 0 && modbusPort === opcuaPort) {
    throw new RangeError(`modbusPort and opcuaPort must differ, both are ${modbusPort}`);
  }
  if (!Number.isFinite(tickMs) || tickMs < 10) {
    throw new RangeError(`tickMs must be at least 10, got ${tickMs}`);
  }
  if (opts.dayMs !== undefined && !(Number.isFinite(opts.dayMs) && opts.dayMs >= 1000)) {
    throw new RangeError(`dayMs must be at least 1000, got ${opts.dayMs}`);
  }
  if (pumpUnitId === meterUnitId) {
    throw new RangeError(`pumpUnitId and meterUnitId must differ, both are ${pumpUnitId}`);
  }

  const log = createLogger('simulators');
  const [pumpProfile, meterProfile, elevatorProfile] = await Promise.all([
    loadModbusProfile('pump-controller'),
    loadModbusProfile('power-meter-3p'),
    loadOpcuaProfile('elevator-controller'),
  ]);

  if (opts.startHour !== undefined && !(opts.startHour >= 0 && opts.startHour < 24)) {
    throw new RangeError(`startHour must be from 0 to 24, got ${opts.startHour}`);
  }
  // The models see a clock shifted so that the simulated day is at startHour now; counters
  // only use differences of it, and the servers keep stamping values with the real clock.
  const dayMs = opts.dayMs ?? DEFAULT_DAY_MS;
  const realStartMs = now();
  const wanted = ((opts.startHour ?? 7) / 24) * dayMs;
  const shiftMs = (((wanted - (realStartMs % dayMs)) % dayMs) + dayMs) % dayMs;
  const modelNow = () => now() + shiftMs;
  const startMs = modelNow();
  const common = { startMs, dayMs };
  const pump = new PumpModel({ ...common, seed });
  const elevator = new ElevatorModel({ ...common, seed: seed + 1 });
  const meter = new PowerMeterModel({ ...common, seed: seed + 2, feeders: [pump, elevator] });

  const modbus = new ModbusTcpExposer({
    host,
    port: modbusPort,
    logger: createLogger('simulators:modbus'),
    units: [
      { unitId: pumpUnitId, deviceId: PUMP_ID, profile: pumpProfile, model: pump },
      { unitId: meterUnitId, deviceId: METER_ID, profile: meterProfile, model: meter },
    ],
  });
  const opcua = new OpcuaExposer({
    host,
    port: opcuaPort,
    pkiDir: opts.pkiDir,
    samplingIntervalMs: tickMs,
    logger: createLogger('simulators:opcua'),
    devices: [
      { deviceId: ELEVATOR_ID, profile: elevatorProfile, model: elevator, valueTypes: ELEVATOR_VALUE_TYPES },
    ],
  });
  modbus.init();
  opcua.init();

  let failures = 0;
  const tick = (): void => {
    try {
      const t = modelNow();
      // Feeders first: the meter reads their electrical load of this step.
      pump.step(t);
      elevator.step(t);
      meter.step(t);
      modbus.refresh();
      opcua.refresh(t - shiftMs);
    } catch (err) {
      // A broken step must not stop the servers; report the first few and keep going.
      failures += 1;
      if (failures <= 3) log.error({ err }, 'model step failed');
    }
  };
  tick();

  const started = await Promise.allSettled([modbus.start(), opcua.start()]);
  const [modbusStarted, opcuaStarted] = started;
  if (modbusStarted.status === 'rejected' || opcuaStarted.status === 'rejected') {
    await Promise.allSettled([modbus.stop(), opcua.stop()]);
    const failure = started.find((result) => result.status === 'rejected');
    throw failure?.reason instanceof Error ? failure.reason : new Error(String(failure?.reason));
  }

  const timer = setInterval(tick, tickMs);
  // The servers keep the process alive; the timer alone must not.
  timer.unref();

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(timer);
      await Promise.allSettled([modbus.stop(), opcua.stop()]);
    })();
    return stopping;
  };

  const devices: SimulatedDevice[] = [
    { id: PUMP_ID, profile: pumpProfile.profile, protocol: 'modbus', unitId: pumpUnitId },
    { id: METER_ID, profile: meterProfile.profile, protocol: 'modbus', unitId: meterUnitId },
    { id: ELEVATOR_ID, profile: elevatorProfile.profile, protocol: 'opcua' },
  ];
  log.debug({ devices }, 'simulators started');
  return {
    modbus: modbusStarted.value,
    opcua: opcuaStarted.value,
    devices,
    stop,
  };
}

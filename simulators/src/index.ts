import type { DeviceType, ModbusProfile, OpcuaProfile } from '@caretaker/protocol';
import { createLogger } from '@caretaker/protocol/log';
import { type ControlServer, startControlServer } from './control/control.server.js';
import { Estate } from './estate/estate.js';
import { GroundTruthLog } from './estate/ground-truth.js';
import { type DeviceKind, type EstatePlan, KIND_PROFILES } from './estate/plan.js';
import { compileScenario, loadScenario, parseScenario } from './estate/scenario.js';
import type { Scenario, ScenarioInput } from './estate/scenario.schema.js';
import type { SimDevice } from './estate/sim-device.js';
import { ModbusRtuExposer } from './exposers/modbus-rtu.exposer.js';
import { ModbusTcpExposer } from './exposers/modbus-tcp.exposer.js';
import { type OpcuaDevice, OpcuaExposer, type OpcuaValueType } from './exposers/opcua.exposer.js';
import { DEFAULT_DAY_MS } from './models/model.js';
import { loadModbusProfile, loadOpcuaProfile } from './profiles.js';

export { type ControlServer, startControlServer } from './control/control.server.js';
export { Estate, type FaultRecord, FaultRequestError, type FaultState } from './estate/estate.js';
export { type FaultRequest, type FaultRequestInput, faultRequestSchema } from './estate/fault-request.js';
export { GroundTruthLog } from './estate/ground-truth.js';
export {
  DEVICE_KINDS,
  type DeviceKind,
  type DevicePlan,
  type EstatePlan,
  KIND_PROFILES,
} from './estate/plan.js';
export {
  compileScenario,
  DEFAULT_SCENARIO,
  loadScenario,
  parseScenario,
  SCENARIOS_DIR,
  ScenarioError,
  scenarioPath,
} from './estate/scenario.js';
export {
  MAX_UNITS_PER_PORT,
  type Scenario,
  type ScenarioInput,
  scenarioSchema,
} from './estate/scenario.schema.js';
export { SimDevice } from './estate/sim-device.js';
export { ModbusRtuExposer } from './exposers/modbus-rtu.exposer.js';
export { MODBUS_EXCEPTION, ModbusTcpExposer, type ModbusUnit } from './exposers/modbus-tcp.exposer.js';
export {
  DEFAULT_PKI_DIR,
  OPCUA_NAMESPACE_URI,
  type OpcuaDevice,
  OpcuaExposer,
} from './exposers/opcua.exposer.js';
export { FAULT_CATALOGUE, FAULT_KINDS, type FaultDefinition, type FaultKind } from './faults/catalogue.js';
export { type CommBehaviour, DeviceFaults, type FaultInstance } from './faults/device-faults.js';
export { faultIntensity, ONSETS, type Onset, onsetShape } from './faults/onset.js';
export { DOOR_STATE, ElevatorModel } from './models/elevator.model.js';
export type { DeviceModel, ElectricalLoad, PointValue } from './models/model.js';
export { PowerMeterModel } from './models/power-meter.model.js';
export { PumpModel, pumpOperatingPoint } from './models/pump.model.js';
export { UtilityMeterModel } from './models/utility-meter.model.js';
export { loadModbusProfile, loadOpcuaProfile, loadProfile, PROFILES_DIR, profilePath } from './profiles.js';

export interface StartSimulatorsOptions {
  /** Address to bind the device servers to (default 127.0.0.1; the CLI defaults to 0.0.0.0). */
  host?: string;
  /**
   * First Modbus TCP port (default 5020); an estate's further ports follow it (5021, ...).
   * 0 picks free ports.
   */
  modbusPort?: number;
  /** OPC UA port (default 4840); 0 picks a free one. */
  opcuaPort?: number;
  /** The clock, epoch ms (default Date.now). */
  now?: () => number;
  /** How often the models step, ms (default 500). */
  tickMs?: number;
  /**
   * The estate: a shipped scenario's name (`default-estate`), a YAML file's path, or scenario
   * data. Without it: the walking skeleton's pump-1 and meter-1 on one Modbus port (unit ids
   * `pumpUnitId`, `meterUnitId`) and elevator-1 on OPC UA.
   */
  scenario?: string | ScenarioInput;
  pumpUnitId?: number;
  meterUnitId?: number;
  /** Seed of the models' randomness (default: the scenario's, else 1). */
  seed?: number;
  /** Real ms per simulated day of the demand curves (default: the scenario's, else 10 minutes). */
  dayMs?: number;
  /** How much faster fault times run than real time (default: the scenario's, else 1). */
  timeFactor?: number;
  /**
   * Hour of the simulated day at start (default: the scenario's, else 7, the morning peak), so
   * that a demo or a test always starts with the pumps running, whatever hour the clock gives.
   */
  startHour?: number;
  /** Append the ground truth (every fault's device, kind, start, end) to this JSONL file. */
  groundTruthFile?: string;
  /** Serve the HTTP control API on this port (0 = a free one); no API when absent. */
  controlPort?: number;
  /** Address of the control API (default 127.0.0.1: it changes the simulation, keep it local). */
  controlHost?: string;
  /** Folder for the OPC UA server's self-signed certificate (default under the OS temp dir). */
  pkiDir?: string;
}

export interface SimulatedDevice {
  id: string;
  kind: DeviceKind;
  type: DeviceType;
  profile: string;
  site: string;
  building: string;
  protocol: 'modbus-tcp' | 'modbus-rtu' | 'opcua';
  /** Modbus: the unit id. */
  unitId?: number;
  /** Modbus TCP: the port. */
  port?: number;
  /** Modbus RTU: the serial line. */
  path?: string;
  /** Where a client reaches it: host:port (Modbus TCP), opc.tcp://... (OPC UA), the tty (RTU). */
  endpoint: string;
}

export interface RunningSimulators {
  /** The first Modbus TCP port (the walking skeleton's only one); port 0 when none is served. */
  modbus: { host: string; port: number };
  /** Every Modbus TCP port and the devices behind it. */
  modbusPorts: Array<{ host: string; port: number; devices: string[] }>;
  serialLines: Array<{ path: string; baudRate: number; devices: string[] }>;
  opcua: { endpoint: string; port: number };
  /** The control API, when `controlPort` was given. */
  control?: { url: string; port: number };
  devices: SimulatedDevice[];
  /** Inject and clear faults from code (the control API calls the same methods). */
  estate: Estate;
  stop(): Promise<void>;
}

/** OPC UA types of the lift's points that are not plain Doubles. */
const ELEVATOR_VALUE_TYPES: Partial<Record<string, OpcuaValueType>> = {
  direction: 'Int32',
  door_state: 'UInt32',
  door_cycles: 'UInt32',
  trip_count: 'UInt32',
};

/**
 * Normal operating ranges of the lift's analog points (EURange): the instrument's scale, from
 * the ratings (1.75 m/s with the governor's 115 %, 1000 kg with the 125 % load test).
 */
function elevatorRanges(floors: number): OpcuaDevice['ranges'] {
  return {
    car_position: { low: 1, high: floors },
    speed: { low: 0, high: 2 },
    door_close_time: { low: 0, high: 10 },
    motor_current: { low: 0, high: 50 },
    load: { low: 0, high: 1250 },
    levelling_error: { low: -30, high: 30 },
  };
}

function checkPort(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new RangeError(`${name} must be an integer from 0 to 65535, got ${value}`);
  }
}

/** The walking skeleton: pump-1 and meter-1 behind one Modbus port, elevator-1 on OPC UA. */
function skeletonPlan(seed: number, pumpUnitId: number, meterUnitId: number): EstatePlan {
  const place = { site: 'demo-estate', building: 'main' };
  return {
    name: 'walking-skeleton',
    seed,
    timeFactor: 1,
    dayMs: DEFAULT_DAY_MS,
    startHour: 7,
    tcpPorts: 1,
    serialLines: [],
    faults: [],
    devices: [
      {
        id: 'pump-1',
        kind: 'booster_pump',
        ...place,
        seed,
        transport: { protocol: 'modbus-tcp', port: 0, unitId: pumpUnitId },
      },
      {
        id: 'meter-1',
        kind: 'power_meter',
        ...place,
        seed: seed + 2,
        transport: { protocol: 'modbus-tcp', port: 0, unitId: meterUnitId },
      },
      { id: 'elevator-1', kind: 'elevator', ...place, seed: seed + 1, transport: { protocol: 'opcua' } },
    ],
  };
}

async function resolvePlan(opts: StartSimulatorsOptions): Promise<EstatePlan> {
  const pumpUnitId = opts.pumpUnitId ?? 1;
  const meterUnitId = opts.meterUnitId ?? 2;
  let plan: EstatePlan;
  if (opts.scenario === undefined) {
    if (pumpUnitId === meterUnitId) {
      throw new RangeError(`pumpUnitId and meterUnitId must differ, both are ${pumpUnitId}`);
    }
    plan = skeletonPlan(opts.seed ?? 1, pumpUnitId, meterUnitId);
  } else {
    const scenario: Scenario =
      typeof opts.scenario === 'string' ? await loadScenario(opts.scenario) : parseScenario(opts.scenario);
    plan = compileScenario(scenario, `scenario ${scenario.name}`);
    if (opts.seed !== undefined) plan = { ...plan, seed: opts.seed };
  }
  if (opts.dayMs !== undefined) plan = { ...plan, dayMs: opts.dayMs };
  if (opts.timeFactor !== undefined) plan = { ...plan, timeFactor: opts.timeFactor };
  if (opts.startHour !== undefined) plan = { ...plan, startHour: opts.startHour };
  return plan;
}

/**
 * Starts an estate of simulated devices: Modbus TCP ports (several unit ids behind each),
 * Modbus RTU serial lines, one OPC UA server, optionally the control API; then steps every
 * model each tick on the injected clock.
 */
export async function startSimulators(opts: StartSimulatorsOptions = {}): Promise<RunningSimulators> {
  const host = opts.host ?? '127.0.0.1';
  const modbusPort = opts.modbusPort ?? 5020;
  const opcuaPort = opts.opcuaPort ?? 4840;
  const now = opts.now ?? Date.now;
  const tickMs = opts.tickMs ?? 500;
  checkPort('modbusPort', modbusPort);
  checkPort('opcuaPort', opcuaPort);
  if (opts.controlPort !== undefined) checkPort('controlPort', opts.controlPort);
  if (modbusPort !== 0 && modbusPort === opcuaPort) {
    throw new RangeError(`modbusPort and opcuaPort must differ, both are ${modbusPort}`);
  }
  if (!Number.isFinite(tickMs) || tickMs < 10) {
    throw new RangeError(`tickMs must be at least 10, got ${tickMs}`);
  }
  if (opts.dayMs !== undefined && !(Number.isFinite(opts.dayMs) && opts.dayMs >= 1000)) {
    throw new RangeError(`dayMs must be at least 1000, got ${opts.dayMs}`);
  }
  if (opts.timeFactor !== undefined && !(Number.isFinite(opts.timeFactor) && opts.timeFactor >= 1)) {
    throw new RangeError(`timeFactor must be at least 1, got ${opts.timeFactor}`);
  }
  if (opts.startHour !== undefined && !(opts.startHour >= 0 && opts.startHour < 24)) {
    throw new RangeError(`startHour must be from 0 to 24, got ${opts.startHour}`);
  }
  const plan = await resolvePlan(opts);
  if (modbusPort !== 0 && modbusPort + plan.tcpPorts - 1 > 65535) {
    throw new RangeError(`modbusPort ${modbusPort} leaves no room for ${plan.tcpPorts} ports`);
  }
  if (modbusPort !== 0 && opcuaPort >= modbusPort && opcuaPort < modbusPort + plan.tcpPorts) {
    throw new RangeError(
      `opcuaPort ${opcuaPort} is one of the Modbus ports ${modbusPort}-${modbusPort + plan.tcpPorts - 1}`,
    );
  }

  const log = createLogger('simulators');
  const profileNames = [...new Set(plan.devices.map((d) => d.kind))];
  const profiles = new Map<string, ModbusProfile | OpcuaProfile>();
  await Promise.all(
    profileNames.map(async (kind) => {
      const device = plan.devices.find((d) => d.kind === kind);
      const loaded =
        device?.transport.protocol === 'opcua'
          ? await loadOpcuaProfile(KIND_PROFILES[kind].profile)
          : await loadModbusProfile(KIND_PROFILES[kind].profile);
      profiles.set(kind, loaded);
    }),
  );

  const groundTruth = opts.groundTruthFile ? new GroundTruthLog(opts.groundTruthFile) : undefined;
  const estate = new Estate(plan, { now, groundTruth, logger: createLogger('simulators:faults') });

  const tcpUnits = Array.from({ length: plan.tcpPorts }, () => [] as SimDevice[]);
  const rtuUnits = plan.serialLines.map(() => [] as SimDevice[]);
  const opcuaDevices: SimDevice[] = [];
  for (const device of estate.devices) {
    const transport = device.plan.transport;
    if (transport.protocol === 'modbus-tcp') tcpUnits[transport.port]?.push(device);
    else if (transport.protocol === 'modbus-rtu') rtuUnits[transport.line]?.push(device);
    else opcuaDevices.push(device);
  }
  const unit = (device: SimDevice, unitId: number) => ({
    unitId,
    deviceId: device.id,
    profile: profiles.get(device.plan.kind) as ModbusProfile,
    model: device,
    comm: () => device.comm(now()),
  });
  const unitIdOf = (device: SimDevice) =>
    'unitId' in device.plan.transport ? device.plan.transport.unitId : 0;
  const tcp = tcpUnits.map(
    (devices, index) =>
      new ModbusTcpExposer({
        host,
        port: modbusPort === 0 ? 0 : modbusPort + index,
        logger: createLogger('simulators:modbus'),
        units: devices.map((device) => unit(device, unitIdOf(device))),
      }),
  );
  const rtu = rtuUnits.map(
    (devices, index) =>
      new ModbusRtuExposer({
        path: plan.serialLines[index]?.path ?? '',
        baudRate: plan.serialLines[index]?.baudRate ?? 19_200,
        logger: createLogger('simulators:rtu'),
        units: devices.map((device) => unit(device, unitIdOf(device))),
      }),
  );
  const opcua = new OpcuaExposer({
    host,
    port: opcuaPort,
    pkiDir: opts.pkiDir,
    samplingIntervalMs: tickMs,
    logger: createLogger('simulators:opcua'),
    devices: opcuaDevices.map((device) => ({
      deviceId: device.id,
      profile: profiles.get(device.plan.kind) as OpcuaProfile,
      model: device,
      folder: [device.plan.site, device.plan.building],
      comm: () => device.comm(now()),
      ...(device.plan.kind === 'elevator'
        ? { valueTypes: ELEVATOR_VALUE_TYPES, ranges: elevatorRanges(device.plan.floors ?? 18) }
        : {}),
    })),
  });
  for (const exposer of [...tcp, ...rtu, opcua]) exposer.init();

  let failures = 0;
  const tick = (): void => {
    try {
      estate.tick();
      for (const exposer of tcp) exposer.refresh();
      for (const exposer of rtu) exposer.refresh();
      opcua.refresh(now());
    } catch (err) {
      // A broken step must not stop the servers; report the first few and keep going.
      failures += 1;
      if (failures <= 3) log.error({ err }, 'model step failed');
    }
  };
  tick();

  const stopAll = async (control?: ControlServer) => {
    await Promise.allSettled([...tcp, ...rtu, opcua].map((exposer) => exposer.stop()));
    await control?.stop();
  };
  const started = await Promise.allSettled([
    Promise.all(tcp.map((exposer) => exposer.start())),
    Promise.all(rtu.map((exposer) => exposer.start())),
    opcua.start(),
  ]);
  const [tcpStarted, rtuStarted, opcuaStarted] = started;
  if (
    tcpStarted.status === 'rejected' ||
    rtuStarted.status === 'rejected' ||
    opcuaStarted.status === 'rejected'
  ) {
    await stopAll();
    const failure = started.find((result) => result.status === 'rejected');
    throw failure?.reason instanceof Error ? failure.reason : new Error(String(failure?.reason));
  }

  const tcpBound = tcpStarted.value;
  // A wildcard address is where we listen, not where a client connects.
  const connectHost = ['0.0.0.0', '::', ''].includes(host)
    ? '127.0.0.1'
    : host.includes(':')
      ? `[${host}]`
      : host;
  const devices: SimulatedDevice[] = estate.devices.map((device) => {
    const transport = device.plan.transport;
    const base = {
      id: device.id,
      kind: device.plan.kind,
      type: device.type,
      profile: device.profile,
      site: device.plan.site,
      building: device.plan.building,
    };
    if (transport.protocol === 'modbus-tcp') {
      const port = tcpBound[transport.port]?.port ?? 0;
      return {
        ...base,
        protocol: transport.protocol,
        unitId: transport.unitId,
        port,
        endpoint: `${connectHost}:${port}`,
      };
    }
    if (transport.protocol === 'modbus-rtu') {
      const path = plan.serialLines[transport.line]?.path ?? '';
      return { ...base, protocol: transport.protocol, unitId: transport.unitId, path, endpoint: path };
    }
    return { ...base, protocol: 'opcua', endpoint: opcuaStarted.value.endpoint };
  });

  let control: ControlServer | undefined;
  if (opts.controlPort !== undefined) {
    try {
      control = await startControlServer({
        host: opts.controlHost ?? '127.0.0.1',
        port: opts.controlPort,
        estate,
        devices,
        logger: createLogger('simulators:control'),
      });
    } catch (err) {
      await stopAll();
      throw err;
    }
  }

  const timer = setInterval(tick, tickMs);
  // The servers keep the process alive; the timer alone must not.
  timer.unref();

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(timer);
      await stopAll(control);
    })();
    return stopping;
  };

  log.debug({ devices: devices.length, scenario: plan.name }, 'simulators started');
  return {
    modbus: { host, port: tcpBound[0]?.port ?? 0 },
    modbusPorts: tcpBound.map((bound, index) => ({
      host,
      port: bound.port,
      devices: (tcpUnits[index] ?? []).map((d) => d.id),
    })),
    serialLines: plan.serialLines.map((line, index) => ({
      path: line.path,
      baudRate: line.baudRate,
      devices: (rtuUnits[index] ?? []).map((d) => d.id),
    })),
    opcua: opcuaStarted.value,
    ...(control ? { control: { url: control.url, port: control.port } } : {}),
    devices,
    estate,
    stop,
  };
}

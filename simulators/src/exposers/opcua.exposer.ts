import os from 'node:os';
import path from 'node:path';
import { type OpcuaProfile, resolveNodeId } from '@caretaker/protocol';
import type { Logger } from '@caretaker/protocol/log';
import {
  DataType,
  DataValue,
  MessageSecurityMode,
  makeEUInformation,
  type Namespace,
  OPCUACertificateManager,
  OPCUAServer,
  resolveNodeId as parseNodeId,
  SecurityPolicy,
  StatusCodes,
  type UAObject,
  Variant,
} from 'node-opcua';
import type { CommBehaviour } from '../faults/device-faults.js';
import type { DeviceModel, PointValue } from '../models/model.js';
import { checkProfile } from '../profiles.js';

/**
 * The namespace of every simulated node. It is also the server's applicationUri, which makes
 * it the server's own namespace: index 1 in the namespace array (OPC UA Part 5 §6.3.2, index
 * 0 is the OPC UA namespace), so the profiles can say `ns=1;s=...`.
 */
export const OPCUA_NAMESPACE_URI = 'urn:caretaker:simulators';

/** Where the server's self-signed certificate and trust lists live unless told otherwise. */
export const DEFAULT_PKI_DIR = path.join(os.tmpdir(), 'caretaker-simulators', 'pki');

export type OpcuaValueType = 'Double' | 'Int32' | 'UInt32' | 'Boolean';

export interface OpcuaDevice {
  deviceId: string;
  profile: OpcuaProfile;
  model: DeviceModel;
  /** OPC UA data type per point; booleans default to Boolean and numbers to Double. */
  valueTypes?: Partial<Record<string, OpcuaValueType>>;
  /**
   * Normal operating range per point (OPC UA Part 8 §5.3.2 EURange). A point with a unit and a
   * range becomes an AnalogItemType variable with EURange and EngineeringUnits properties.
   */
  ranges?: Partial<Record<string, { low: number; high: number }>>;
  /** Folders from Objects down to the device object, e.g. [site, building]. */
  folder?: string[];
  /** How the device answers now (communication faults); healthy when absent. */
  comm?: () => CommBehaviour;
}

export interface OpcuaExposerOptions {
  host: string;
  /** 0 picks a free port; `start()` reports the one bound. */
  port: number;
  devices: OpcuaDevice[];
  logger: Logger;
  pkiDir?: string;
  /** How often a client may usefully sample the values (the model tick), ms. */
  samplingIntervalMs?: number;
}

interface BoundPoint {
  name: string;
  nodeId: string;
  valueType: OpcuaValueType;
  unit: string | undefined;
  description: string | undefined;
  range: { low: number; high: number } | undefined;
}

interface Snapshot {
  values: Record<string, PointValue>;
  ts: Date;
  generation: number;
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

/** UN/CEFACT Recommendation 20 codes of the units the profiles use (OPC UA Part 8 §5.6.3). */
const UNECE_CODES: Record<string, string> = {
  A: 'AMP',
  kg: 'KGM',
  'm/s': 'MTS',
  mm: 'MMT',
  s: 'SEC',
  V: 'VLT',
  'm3/h': 'MQH',
  m3: 'MTQ',
  m: 'MTR',
  rpm: 'RPM',
  'mm/s': 'C16',
  h: 'HUR',
  kWh: 'KWH',
  kvar: 'KVR',
  kVA: 'KVA',
  bar: 'BAR',
  '°C': 'CEL',
  kW: 'KWT',
  Hz: 'HTZ',
};

const DATA_TYPES: Record<OpcuaValueType, DataType> = {
  Double: DataType.Double,
  Int32: DataType.Int32,
  UInt32: DataType.UInt32,
  Boolean: DataType.Boolean,
};

/**
 * Serves simulated devices from one OPC UA server: an object per device under Objects, a
 * read-only variable per profile point. Security mode None only, anonymous access: this is a
 * simulator on a trusted network, and it keeps clients simple.
 */
export class OpcuaExposer {
  private readonly devices: Array<{ device: OpcuaDevice; points: BoundPoint[] }> = [];
  private readonly byId = new Map<string, OpcuaDevice>();
  private readonly snapshots = new Map<string, Snapshot>();
  private generation = 0;
  private stampMs = 0;
  /** Late answers still to come; cleared on stop so no timer outlives the server. */
  private readonly pending = new Set<NodeJS.Timeout>();
  private server: OPCUAServer | null = null;
  private boundPort = 0;

  constructor(private readonly options: OpcuaExposerOptions) {}

  /** Checks the profiles against the models and resolves node ids. No I/O; call refresh() next. */
  init(): void {
    for (const device of this.options.devices) {
      const problems = checkProfile(device.profile);
      if (problems.length > 0) throw new Error(`${device.deviceId}: ${problems.join('; ')}`);
      const values = device.model.values();
      const points = device.profile.points.map((point): BoundPoint => {
        const value = values[point.name];
        if (value === undefined)
          throw new Error(`${device.deviceId}: the model has no value for ${point.name}`);
        return {
          name: point.name,
          nodeId: resolveNodeId(point, device.deviceId),
          valueType: device.valueTypes?.[point.name] ?? (typeof value === 'boolean' ? 'Boolean' : 'Double'),
          unit: point.unit,
          description: point.description,
          range: device.ranges?.[point.name],
        };
      });
      this.devices.push({ device, points });
      this.byId.set(device.deviceId, device);
    }
  }

  /**
   * The models have stepped at `nowMs`. Each device's values are copied at its next read, so a
   * read of several variables sees one step, and an estate of hundreds of devices only pays
   * for the ones being read.
   */
  refresh(nowMs: number): void {
    this.generation += 1;
    this.stampMs = nowMs;
  }

  private snapshot(deviceId: string): Snapshot | undefined {
    const current = this.snapshots.get(deviceId);
    if (current && current.generation === this.generation) return current;
    const device = this.byId.get(deviceId);
    if (!device) return undefined;
    const next = { values: device.model.values(), ts: new Date(this.stampMs), generation: this.generation };
    this.snapshots.set(deviceId, next);
    return next;
  }

  /** Builds the address space and starts listening; resolves once clients can connect. */
  async start(): Promise<{ endpoint: string; port: number }> {
    if (this.server) throw new Error('the OPC UA server is already started');
    const { host, port } = this.options;
    const pkiDir = this.options.pkiDir ?? DEFAULT_PKI_DIR;
    const wildcard = WILDCARD_HOSTS.has(host);
    const server = new OPCUAServer({
      host,
      port,
      // The advertised endpoint URL must name an address clients can reach.
      ...(wildcard ? {} : { hostname: host }),
      securityModes: [MessageSecurityMode.None],
      securityPolicies: [SecurityPolicy.None],
      allowAnonymous: true,
      // node-opcua still creates a self-signed certificate (GetEndpoints returns it even for
      // security None). Keep it and the trust lists out of the repository and out of
      // ~/.config, and skip the file watchers, which would keep handles open.
      serverCertificateManager: new OPCUACertificateManager({
        rootFolder: path.join(pkiDir, 'server'),
        automaticallyAcceptUnknownCertificate: true,
        disableFileWatchers: true,
      }),
      userCertificateManager: new OPCUACertificateManager({
        rootFolder: path.join(pkiDir, 'user'),
        disableFileWatchers: true,
      }),
      serverInfo: {
        applicationUri: OPCUA_NAMESPACE_URI,
        productUri: 'caretaker-simulators',
        applicationName: { text: 'Caretaker simulators', locale: 'en' },
      },
      buildInfo: { productName: 'Caretaker simulators', manufacturerName: 'Caretaker' },
      isAuditing: false,
    });
    this.server = server;
    try {
      await server.initialize();
      this.buildAddressSpace(server);
      await server.start();
    } catch (err) {
      // Release whatever did start; the original error is the one worth reporting.
      await this.stop().catch(() => undefined);
      throw new Error(`cannot start the OPC UA server on ${host}:${port}: ${(err as Error).message}`);
    }
    this.boundPort = server.endpoints[0]?.port ?? port;
    const connectHost = wildcard ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    const endpoint = `opc.tcp://${connectHost}:${this.boundPort}`;
    this.options.logger.debug({ endpoint, advertised: server.getEndpointUrl(), pkiDir }, 'listening');
    return { endpoint, port: this.boundPort };
  }

  get port(): number {
    return this.boundPort;
  }

  /** Closes sessions, channels and the listener. Safe to call twice. */
  async stop(): Promise<void> {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
    const server = this.server;
    if (!server) return;
    this.server = null;
    await server.shutdown(0);
  }

  private buildAddressSpace(server: OPCUAServer): void {
    const addressSpace = server.engine.addressSpace;
    if (!addressSpace) throw new Error('the address space was not created');
    const namespace = addressSpace.getOwnNamespace();
    if (namespace.namespaceUri !== OPCUA_NAMESPACE_URI) {
      throw new Error(`the server's own namespace is ${namespace.namespaceUri}, not ${OPCUA_NAMESPACE_URI}`);
    }
    // Sites and buildings as folders (browse paths only: node ids stay ns=1;s=<device>.<point>).
    const folders = new Map<string, UAObject>();
    const folderFor = (names: readonly string[]): UAObject => {
      let parent: UAObject = addressSpace.rootFolder.objects;
      names.forEach((name, depth) => {
        const key = names.slice(0, depth + 1).join('/');
        let folder = folders.get(key);
        if (!folder) {
          folder = namespace.addFolder(parent, { browseName: name, nodeId: `s=folder:${key}` });
          folders.set(key, folder);
        }
        parent = folder;
      });
      return parent;
    };
    for (const { device, points } of this.devices) {
      const object = namespace.addObject({
        organizedBy: folderFor(device.folder ?? []),
        browseName: device.deviceId,
        nodeId: `s=${device.deviceId}`,
        description: device.profile.description,
      });
      for (const point of points) this.addPoint(namespace, object, device.deviceId, point);
    }
  }

  private addPoint(namespace: Namespace, object: UAObject, deviceId: string, point: BoundPoint): void {
    const nodeId = parseNodeId(point.nodeId);
    if (nodeId.namespace !== namespace.index) {
      throw new Error(
        `${deviceId}.${point.name}: node id ${point.nodeId} is in namespace ${nodeId.namespace}, ` +
          `but ${OPCUA_NAMESPACE_URI} is namespace ${namespace.index}`,
      );
    }
    const dataType = DATA_TYPES[point.valueType];
    const code = point.unit === undefined ? undefined : UNECE_CODES[point.unit];
    const units =
      point.unit === undefined ? undefined : makeEUInformation(code ?? '', point.unit, point.unit);
    if (units && code === undefined) units.unitId = -1;
    const options = {
      componentOf: object,
      browseName: point.name,
      nodeId,
      dataType: point.valueType,
      description: point.description,
      // Values change once per model tick; sampling faster would only repeat them.
      minimumSamplingInterval: this.options.samplingIntervalMs ?? 500,
      value: { timestamped_get: () => this.answer(deviceId, point, dataType) },
    };
    if (units && point.range && point.valueType !== 'Boolean') {
      // AnalogItemType (Part 8 §5.3.2): EURange and EngineeringUnits as properties, so a
      // generic client can scale a gauge and label it.
      namespace.addAnalogDataItem({
        ...options,
        engineeringUnits: units,
        engineeringUnitsRange: point.range,
      });
      return;
    }
    const variable = namespace.addVariable(options);
    if (units) {
      // The EngineeringUnits property (Part 8 §5.6.3) lets a generic client show the unit.
      namespace.addVariable({
        propertyOf: variable,
        browseName: { namespaceIndex: 0, name: 'EngineeringUnits' },
        dataType: 'EUInformation',
        value: { dataType: DataType.ExtensionObject, value: units },
      });
    }
  }

  /**
   * A late answer (slow_response) is a promise: node-opcua's Read service refreshes variables
   * through their getter and waits for it (ua_variable_impl.js, async refresh).
   */
  private answer(deviceId: string, point: BoundPoint, dataType: DataType): DataValue | Promise<DataValue> {
    const comm = this.byId.get(deviceId)?.comm?.();
    if (!comm?.respond || comm.delayMs <= 0) return this.read(deviceId, point, dataType, comm);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        resolve(this.read(deviceId, point, dataType, comm));
      }, comm.delayMs);
      this.pending.add(timer);
    });
  }

  /**
   * One variable's DataValue. A device off the network reads BadNoCommunication (what an
   * aggregating server reports for a device it cannot reach); a failed sensor reads
   * BadSensorFailure (Part 8 §6.3.2 "Bad_SensorFailure"); both without a value.
   */
  private read(
    deviceId: string,
    point: BoundPoint,
    dataType: DataType,
    comm: CommBehaviour | undefined,
  ): DataValue {
    const snapshot = this.snapshot(deviceId);
    const raw = snapshot?.values[point.name];
    if (!snapshot || raw === undefined) {
      return new DataValue({ statusCode: StatusCodes.BadWaitingForInitialData });
    }
    if (comm && !comm.respond) {
      return new DataValue({ statusCode: StatusCodes.BadNoCommunication, sourceTimestamp: snapshot.ts });
    }
    if (typeof raw === 'number' && Number.isNaN(raw)) {
      return new DataValue({ statusCode: StatusCodes.BadSensorFailure, sourceTimestamp: snapshot.ts });
    }
    return new DataValue({
      value: new Variant({ dataType, value: toVariantValue(raw, point.valueType) }),
      sourceTimestamp: snapshot.ts,
      statusCode: StatusCodes.Good,
    });
  }
}

function toVariantValue(value: PointValue, type: OpcuaValueType): number | boolean {
  switch (type) {
    case 'Boolean':
      return value === true || value === 1;
    case 'Double':
      return Number(value);
    case 'Int32':
      return Math.round(Number(value));
    case 'UInt32':
      return Math.max(0, Math.round(Number(value)));
  }
}

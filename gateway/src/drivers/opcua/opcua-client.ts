import path from 'node:path';
import type { Logger } from '@caretaker/protocol/log';
import {
  AttributeIds,
  type ClientMonitoredItemBase,
  ClientMonitoredItemGroup,
  type ClientSession,
  type ClientSubscription,
  DataChangeFilter,
  DataChangeTrigger,
  DataType,
  type DataValue,
  DeadbandType,
  Int64ToBigInt,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  resolveNodeId,
  SecurityPolicy,
  StatusCodes,
  TimestampsToReturn,
  UInt64ToBigInt,
  VariableIds,
  type Variant,
  VariantArrayType,
} from 'node-opcua';
import type { ResolvedOpcuaDevice, ResolvedOpcuaPoint } from '../../config/resolved-config.js';
import type { Accumulator } from '../../pipeline/accumulator.js';
import { withTimeout } from '../../pipeline/with-timeout.js';
import { type DriverContext, noopRecorder, type RequestRecorder } from '../driver.js';

// Connecting is several round trips (Hello/Acknowledge, OpenSecureChannel, CreateSession,
// ActivateSession; OPC UA Part 6 §7.1, Part 4 §5.6) and, on the very first run, generating the
// client certificate: allow more than one request's timeout, but never wait forever.
const MIN_CONNECT_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 2_000;
// Publish responses carry a keep-alive at least every publishingInterval × maxKeepAliveCount
// (Part 4 §5.13.1.1); after twice that without one, the subscription is considered lost.
const MAX_KEEPALIVE_COUNT = 10;
// Notifications kept between two gathers at most (a gather that is late, a burst of changes).
const MAX_BUFFERED = 100_000;
// Status codes of a monitored item whose filter the server refuses: it is created again without
// one (the gateway's own report filter still applies the deadband).
const FILTER_REFUSED = new Set([
  StatusCodes.BadFilterNotAllowed.value,
  StatusCodes.BadMonitoredItemFilterUnsupported.value,
  StatusCodes.BadDeadbandFilterInvalid.value,
]);

interface Notification {
  point: ResolvedOpcuaPoint;
  dataValue: DataValue;
  receivedAt: number;
}

/** Operation limits the server announces (Part 5 §6.3.11, OperationLimitsType); 0 means none. */
export interface OperationLimits {
  maxNodesPerRead: number;
  maxMonitoredItemsPerCall: number;
}

/**
 * The OPC UA side of `OpcuaDriver` (which loads this module, and node-opcua with it, only when a
 * configuration has an OPC UA device). One client for one device, security mode None.
 *
 * - `subscription` mode (default): one subscription whose monitored items report changes at each
 *   point's sampling interval (its `poll_interval_ms`), with an absolute deadband when the point
 *   has one (Part 4 §7.22.2 DataChangeFilter). Each gather hands over what arrived since the last
 *   one. Monitored items are created in calls no larger than the server's MaxMonitoredItemsPerCall.
 * - `poll` mode: one Read per scan class and poll, in calls no larger than MaxNodesPerRead.
 *
 * After any loss (connection, session, subscription: a missing keep-alive, a status change) the
 * next gather rebuilds the session and the subscription. An unknown node id makes that point bad
 * (with the status name), never the device.
 *
 * Timestamps: the source timestamp, unless it is more than `max_clock_skew_ms` ahead of the
 * gateway's clock (then the server's or ours, and the reading is uncertain).
 */
export class OpcuaClient {
  readonly id: string;
  readonly #device: ResolvedOpcuaDevice;
  readonly #log: Logger;
  readonly #pkiDir: string;
  readonly #recorder: RequestRecorder;
  readonly #points: ResolvedOpcuaPoint[];
  readonly #classes: { periodMs: number; points: ResolvedOpcuaPoint[] }[];
  #certificates: OPCUACertificateManager | undefined;
  #client: OPCUAClient | undefined;
  #session: ClientSession | undefined;
  #subscription: ClientSubscription | undefined;
  #limits: OperationLimits = { maxNodesPerRead: 0, maxMonitoredItemsPerCall: 0 };
  #buffer: Notification[] = [];
  #dropped = 0;
  #lastAlive = 0;
  #keepAliveTimeoutMs = 0;
  /** Points the server refused to monitor at the last (re)build, and why; reported once. */
  #refused: { point: ResolvedOpcuaPoint; reason: string }[] = [];
  #broken = false;
  #stopped = false;
  /** CreateMonitoredItems calls made (for tests: batching within the operation limits). */
  createCalls = 0;
  /** Sessions and subscriptions built (for tests: rebuilt after a loss). */
  builds = 0;

  constructor(
    device: ResolvedOpcuaDevice,
    context: DriverContext,
    classes: { periodMs: number; points: ResolvedOpcuaPoint[] }[],
  ) {
    this.id = device.id;
    this.#device = device;
    this.#points = [...device.points];
    this.#classes = classes;
    this.#log = context.logger;
    this.#recorder = context.recorder ?? noopRecorder;
    // The client's own certificate and trust lists live in the gateway's data folder, never in the
    // repository or node-opcua's per-user default.
    this.#pkiDir = path.join(context.dataDir, 'pki', 'opcua-client');
  }

  /** The server's operation limits as read at the last connect. */
  get limits(): OperationLimits {
    return this.#limits;
  }

  async start(): Promise<void> {
    this.#stopped = false;
    await this.#connect();
  }

  async gather(acc: Accumulator, scanClass = 0): Promise<void> {
    const scan = this.#classes[scanClass];
    if (scan === undefined) throw new RangeError(`no scan class ${scanClass}`);
    if (this.#device.mode === 'subscription' && this.#subscription !== undefined && !this.#broken) {
      const silentMs = performance.now() - this.#lastAlive;
      if (silentMs > this.#keepAliveTimeoutMs) {
        this.#log.info({ silent_ms: Math.round(silentMs) }, 'subscription silent; rebuilding it');
        this.#broken = true;
      }
    }
    if (this.#session === undefined || this.#broken) await this.#connect();
    if (this.#device.mode === 'subscription') this.#drain(acc);
    else await this.#read(acc, scan.points);
  }

  /**
   * Writes a point's value (commands), with the node's own data type (read first: a Variant must
   * carry the exact type, OPC UA Part 4 §5.10.4).
   */
  async write(pointName: string, value: number | boolean): Promise<void> {
    const point = this.#points.find((p) => p.name === pointName);
    if (point === undefined) throw new Error(`no point named "${pointName}"`);
    if (this.#session === undefined || this.#broken) await this.#connect();
    const session = this.#session;
    if (session === undefined) throw new Error('no session');
    const timeout = this.#device.timeout_ms + 500;
    const current = await withTimeout(
      session.read({ nodeId: point.node_id, attributeId: AttributeIds.Value }),
      timeout,
      'timeout',
    );
    if (current.statusCode.value >>> 30 >= 2) throw new Error(current.statusCode.name);
    const dataType = current.value.dataType;
    const written =
      dataType === DataType.Boolean ? Boolean(value) : typeof value === 'boolean' ? (value ? 1 : 0) : value;
    const status = await withTimeout(
      session.write({
        nodeId: point.node_id,
        attributeId: AttributeIds.Value,
        value: { value: { dataType, value: written } },
      }),
      timeout,
      'timeout',
    );
    if (!status.isGood()) throw new Error(status.name);
  }

  /** Reads one point's current value (the read-back after a write). */
  async read(pointName: string): Promise<number | boolean> {
    const point = this.#points.find((p) => p.name === pointName);
    if (point === undefined) throw new Error(`no point named "${pointName}"`);
    if (this.#session === undefined || this.#broken) await this.#connect();
    const session = this.#session;
    if (session === undefined) throw new Error('no session');
    const dataValue = await withTimeout(
      session.read({ nodeId: point.node_id, attributeId: AttributeIds.Value }),
      this.#device.timeout_ms + 500,
      'timeout',
    );
    if (dataValue.statusCode.value >>> 30 >= 2) throw new Error(dataValue.statusCode.name);
    const value = scalarValue(dataValue.value);
    if (value.error !== undefined) throw new Error(value.error);
    if (value.text !== undefined) throw new Error('a text value cannot be read back as a number');
    return value.value;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#teardown();
    const certificates = this.#certificates;
    this.#certificates = undefined;
    await certificates?.dispose().catch((err: unknown) => this.#log.debug({ err }, 'PKI dispose failed'));
  }

  #drain(acc: Accumulator): void {
    for (const { point, reason } of this.#refused) acc.addBad(point, reason, acc.now());
    this.#refused = [];
    if (this.#dropped > 0) {
      this.#log.warn({ dropped: this.#dropped }, 'notifications dropped between two gathers');
      this.#dropped = 0;
    }
    const buffer = this.#buffer;
    this.#buffer = [];
    for (const { point, dataValue, receivedAt } of buffer) this.#add(acc, point, dataValue, receivedAt);
  }

  async #read(acc: Accumulator, points: readonly ResolvedOpcuaPoint[]): Promise<void> {
    const session = this.#session;
    if (session === undefined) throw new Error('no session');
    const chunk = this.#limits.maxNodesPerRead > 0 ? this.#limits.maxNodesPerRead : points.length;
    for (let from = 0; from < points.length; from += chunk) {
      const part = points.slice(from, from + chunk);
      const started = performance.now();
      let values: DataValue[];
      try {
        values = await withTimeout(
          session.read(part.map((point) => ({ nodeId: point.node_id, attributeId: AttributeIds.Value }))),
          this.#device.timeout_ms + 500,
          'timeout',
        );
        this.#recorder.success(performance.now() - started);
      } catch (err) {
        this.#recorder.failure((err as Error).message === 'timeout' ? 'timeout' : 'connection');
        // The channel or session is gone (or hangs): rebuild both on the next poll.
        this.#broken = true;
        await this.#teardown();
        throw err;
      }
      const receivedAt = acc.now();
      part.forEach((point, index) => {
        const dataValue = values[index];
        if (dataValue === undefined) acc.addBad(point, 'missing from the Read response', receivedAt);
        else this.#add(acc, point, dataValue, receivedAt);
      });
    }
  }

  #add(acc: Accumulator, point: ResolvedOpcuaPoint, dataValue: DataValue, receivedAt: number): void {
    let ts = dataValue.sourceTimestamp?.getTime() ?? dataValue.serverTimestamp?.getTime() ?? receivedAt;
    let skew: string | undefined;
    if (ts > receivedAt + this.#device.max_clock_skew_ms) {
      // A device clock running ahead would stamp values in the future: not trusted.
      skew = `source timestamp ${ts - receivedAt} ms ahead of the gateway clock`;
      const server = dataValue.serverTimestamp?.getTime();
      ts =
        server !== undefined && server <= receivedAt + this.#device.max_clock_skew_ms ? server : receivedAt;
    }
    // Severity is the top two bits of a StatusCode: 00 Good, 01 Uncertain, 10 Bad (Part 4 §7.39).
    const severity = dataValue.statusCode.value >>> 30;
    if (severity >= 2) {
      this.#recorder.failure('bad_status');
      acc.addBad(point, dataValue.statusCode.name, ts);
      return;
    }
    const value = scalarValue(dataValue.value);
    if (value.text !== undefined) {
      acc.addText(point, value.text, ts);
      return;
    }
    if (value.error !== undefined) {
      acc.addBad(point, value.error, ts);
      return;
    }
    acc.addValue(point, value.value, ts, severity === 1 || skew !== undefined ? 'uncertain' : 'good');
  }

  async #connect(): Promise<void> {
    await this.#teardown();
    if (this.#stopped) throw new Error('driver stopped');
    this.#certificates ??= new OPCUACertificateManager({
      name: 'caretaker-gateway',
      rootFolder: this.#pkiDir,
      automaticallyAcceptUnknownCertificate: true,
      // No live trust-list changes with security None; watchers would only hold file handles.
      disableFileWatchers: true,
    });
    const { endpoint, timeout_ms } = this.#device;
    const client = OPCUAClient.create({
      applicationName: 'CaretakerGateway',
      clientName: `caretaker-${this.#device.id}`,
      securityMode: MessageSecurityMode.None,
      securityPolicy: SecurityPolicy.None,
      // Connect to the URL as configured even if the server advertises another host name.
      endpointMustExist: false,
      // One attempt: reconnection is the runner's job (next poll, with backoff), and a rebuild
      // creates session and subscription afresh, so node-opcua never retries in the background.
      connectionStrategy: { maxRetry: 0, initialDelay: 500, maxDelay: 2_000 },
      clientCertificateManager: this.#certificates,
      defaultTransactionTimeout: timeout_ms,
      requestedSessionTimeout: Math.max(60_000, this.#device.poll_interval_ms * 5),
    });
    const lost = (what: string) => () => {
      if (this.#client !== client || this.#broken) return;
      this.#broken = true;
      this.#log.info(`${what}; rebuilding on the next poll`);
    };
    client.on('connection_lost', lost('connection lost'));
    client.on('close', lost('connection closed'));
    this.#client = client;
    this.#broken = false;
    this.#buffer = [];
    const deadline = Math.max(MIN_CONNECT_TIMEOUT_MS, timeout_ms * 3);
    const started = performance.now();
    try {
      await withTimeout(client.connect(endpoint), deadline, `connect timeout after ${deadline} ms`);
      const session = await withTimeout(client.createSession(), deadline, 'session timeout');
      session.on('session_closed', lost('session closed'));
      session.on('keepalive_failure', lost('session keep-alive failed'));
      this.#session = session;
      this.#limits = await this.#readLimits(session);
      if (this.#device.mode === 'subscription') await this.#subscribe(session, deadline);
      this.#recorder.success(performance.now() - started);
    } catch (err) {
      this.#recorder.failure('connection');
      await this.#teardown();
      throw err;
    }
    this.builds += 1;
    this.#log.debug({ endpoint, limits: this.#limits }, 'session open');
  }

  async #readLimits(session: ClientSession): Promise<OperationLimits> {
    const ids = [
      VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead,
      VariableIds.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall,
    ];
    try {
      const values = await withTimeout(
        session.read(ids.map((id) => ({ nodeId: resolveNodeId(id), attributeId: AttributeIds.Value }))),
        this.#device.timeout_ms + 500,
        'timeout',
      );
      const limit = (dv: DataValue | undefined) =>
        dv?.statusCode.isGood() && typeof dv.value.value === 'number' ? dv.value.value : 0;
      return { maxNodesPerRead: limit(values[0]), maxMonitoredItemsPerCall: limit(values[1]) };
    } catch {
      // Servers without the OperationLimits object: no limit known.
      return { maxNodesPerRead: 0, maxMonitoredItemsPerCall: 0 };
    }
  }

  async #subscribe(session: ClientSession, deadline: number): Promise<void> {
    const publishingInterval = this.#classes[0]?.periodMs ?? this.#device.poll_interval_ms;
    const subscription = await withTimeout(
      session.createSubscription2({
        requestedPublishingInterval: publishingInterval,
        requestedMaxKeepAliveCount: MAX_KEEPALIVE_COUNT,
        requestedLifetimeCount: MAX_KEEPALIVE_COUNT * 6,
        maxNotificationsPerPublish: 0,
        publishingEnabled: true,
        priority: 1,
      }),
      deadline,
      'subscription timeout',
    );
    this.#subscription = subscription;
    const alive = () => {
      this.#lastAlive = performance.now();
    };
    alive();
    this.#keepAliveTimeoutMs = Math.max(
      5_000,
      subscription.publishingInterval * subscription.maxKeepAliveCount * 2 + this.#device.timeout_ms,
    );
    subscription.on('keepalive', alive);
    subscription.on('raw_notification', alive);
    const broken = (what: string) => () => {
      if (this.#subscription !== subscription || this.#broken) return;
      this.#broken = true;
      this.#log.info(`subscription ${what}; rebuilding on the next poll`);
    };
    subscription.on('terminated', broken('terminated'));
    subscription.on('status_changed', broken('status changed'));
    subscription.on('internal_error', broken('failed'));

    // Items with the same sampling interval and deadband share the monitoring parameters.
    const groups = new Map<string, ResolvedOpcuaPoint[]>();
    for (const point of this.#points) {
      const key = `${point.poll_interval_ms}/${point.deadband}`;
      groups.set(key, [...(groups.get(key) ?? []), point]);
    }
    const refusedFilter: ResolvedOpcuaPoint[] = [];
    this.#refused = [];
    for (const points of groups.values()) {
      const results = await this.#monitor(subscription, points, true, deadline);
      results.forEach((statusCode, index) => {
        const point = points[index];
        if (point === undefined || statusCode.isGood()) return;
        if (FILTER_REFUSED.has(statusCode.value)) refusedFilter.push(point);
        else this.#refused.push({ point, reason: statusCode.name });
      });
    }
    if (refusedFilter.length > 0) {
      const results = await this.#monitor(subscription, refusedFilter, false, deadline);
      results.forEach((statusCode, index) => {
        const point = refusedFilter[index];
        if (point !== undefined && !statusCode.isGood())
          this.#refused.push({ point, reason: statusCode.name });
      });
    }
    if (this.#refused.length > 0) {
      this.#log.warn(
        { points: this.#refused.map(({ point, reason }) => `${point.name} (${point.node_id}): ${reason}`) },
        'server refused to monitor some points',
      );
    }
  }

  /** Creates monitored items in calls within the server's limit; returns each item's status. */
  async #monitor(
    subscription: ClientSubscription,
    points: ResolvedOpcuaPoint[],
    withFilter: boolean,
    deadline: number,
  ): Promise<{ isGood(): boolean; value: number; name: string }[]> {
    const sample = points[0];
    if (sample === undefined) return [];
    const publishing = subscription.publishingInterval;
    const parameters = {
      samplingInterval: sample.poll_interval_ms,
      discardOldest: true,
      // Keep every sample taken between two publishes.
      queueSize: Math.max(1, Math.ceil(publishing / sample.poll_interval_ms) + 1),
      ...(withFilter && sample.deadband > 0
        ? {
            filter: new DataChangeFilter({
              trigger: DataChangeTrigger.StatusValue,
              deadbandType: DeadbandType.Absolute,
              deadbandValue: sample.deadband,
            }),
          }
        : {}),
    };
    const chunk =
      this.#limits.maxMonitoredItemsPerCall > 0 ? this.#limits.maxMonitoredItemsPerCall : points.length;
    const statuses: { isGood(): boolean; value: number; name: string }[] = [];
    for (let from = 0; from < points.length; from += chunk) {
      const part = points.slice(from, from + chunk);
      this.createCalls += 1;
      const group = ClientMonitoredItemGroup.create(
        subscription,
        part.map((point) => ({ nodeId: point.node_id, attributeId: AttributeIds.Value })),
        parameters,
        TimestampsToReturn.Both,
      );
      group.on('changed', (_item: ClientMonitoredItemBase, dataValue: DataValue, index: number) => {
        const point = part[index];
        if (point === undefined || this.#subscription !== subscription) return;
        this.#lastAlive = performance.now();
        if (this.#buffer.length >= MAX_BUFFERED) {
          this.#buffer.shift();
          this.#dropped += 1;
        }
        this.#buffer.push({ point, dataValue, receivedAt: Date.now() });
      });
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          group.once('initialized', () => resolve());
          group.once('terminated', (err: Error) => reject(err ?? new Error('monitored items terminated')));
        }),
        deadline,
        'monitored items timeout',
      );
      for (const item of group.monitoredItems) statuses.push(item.statusCode);
    }
    return statuses;
  }

  async #teardown(): Promise<void> {
    const client = this.#client;
    const session = this.#session;
    const subscription = this.#subscription;
    const broken = this.#broken;
    this.#client = undefined;
    this.#session = undefined;
    this.#subscription = undefined;
    if (subscription !== undefined && !broken) {
      await withTimeout(subscription.terminate(), CLOSE_TIMEOUT_MS, 'terminate timeout').catch(() => {});
    }
    if (session !== undefined && !broken) {
      await withTimeout(session.close(), CLOSE_TIMEOUT_MS, 'close timeout').catch(() => {});
    }
    if (client !== undefined) {
      // Also after a failed connect: disconnect releases the client's timers and its hold on the PKI.
      await withTimeout(client.disconnect(), CLOSE_TIMEOUT_MS, 'disconnect timeout').catch(() => {});
    }
  }
}

/** A scalar number or boolean from a Variant, a text, or an error saying why it cannot be published. */
function scalarValue(
  variant: Variant,
):
  | { value: number | boolean; text?: undefined; error?: undefined }
  | { text: string; error?: undefined }
  | { error: string; text?: undefined } {
  if (variant.arrayType !== VariantArrayType.Scalar) return { error: 'arrays are not supported' };
  const { dataType, value } = variant;
  switch (dataType) {
    case DataType.Boolean:
      return { value: Boolean(value) };
    case DataType.SByte:
    case DataType.Byte:
    case DataType.Int16:
    case DataType.UInt16:
    case DataType.Int32:
    case DataType.UInt32:
    case DataType.Float:
    case DataType.Double:
      return typeof value === 'number' ? { value } : { error: `unexpected ${DataType[dataType]} value` };
    // node-opcua carries 64-bit integers as [high, low] 32-bit words.
    case DataType.Int64:
      return { value: Number(Int64ToBigInt(value)) };
    case DataType.UInt64:
      return { value: Number(UInt64ToBigInt(value)) };
    case DataType.String:
      return typeof value === 'string' ? { text: value } : { error: 'no value' };
    case DataType.LocalizedText:
      return { text: String(value?.text ?? '') };
    case DataType.Null:
      return { error: 'no value' };
    default:
      return { error: `unsupported data type ${DataType[dataType] ?? dataType}` };
  }
}

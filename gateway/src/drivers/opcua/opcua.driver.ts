import path from 'node:path';
import { type OpcuaPoint, resolveNodeId } from '@caretaker/protocol';
import type { Logger } from '@caretaker/protocol/log';
import {
  AttributeIds,
  type ClientSession,
  coerceNodeId,
  DataType,
  type DataValue,
  Int64ToBigInt,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  UInt64ToBigInt,
  type Variant,
  VariantArrayType,
} from 'node-opcua';
import { ConfigError, type ConfigIssue } from '../../config/config-error.js';
import type { ResolvedOpcuaDevice } from '../../config/resolved-config.js';
import type { Accumulator } from '../../pipeline/accumulator.js';
import { withTimeout } from '../../pipeline/with-timeout.js';
import type { Driver, DriverContext, DriverFactory } from '../driver.js';

// Connecting is several round trips (Hello/Acknowledge, OpenSecureChannel, CreateSession,
// ActivateSession; OPC UA Part 6 §7.1, Part 4 §5.6) and, on the very first run, generating the
// client certificate: allow more than one request's timeout, but never wait forever.
const MIN_CONNECT_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 2_000;

/**
 * OPC UA client for one device: one session, polled with a single Read of all its nodes (OPC UA
 * Part 4 §5.10.2). Subscriptions come later. Security mode None for now.
 */
export class OpcuaDriver implements Driver {
  readonly id: string;
  readonly #device: ResolvedOpcuaDevice;
  readonly #log: Logger;
  readonly #pkiDir: string;
  #points: OpcuaPoint[] = [];
  #certificates: OPCUACertificateManager | undefined;
  #client: OPCUAClient | undefined;
  #session: ClientSession | undefined;
  #broken = false;
  #stopped = false;

  constructor(device: ResolvedOpcuaDevice, context: DriverContext) {
    this.id = device.id;
    this.#device = device;
    this.#log = context.logger;
    // The client's own certificate and trust lists live in the gateway's data folder, never in the
    // repository or node-opcua's per-user default.
    this.#pkiDir = path.join(context.dataDir, 'pki', 'opcua-client');
  }

  init(): void {
    const issues: ConfigIssue[] = [];
    this.#points = this.#device.points.map((point, index) => {
      const nodeId = resolveNodeId(point, this.#device.id);
      try {
        coerceNodeId(nodeId);
      } catch (err) {
        issues.push({ path: `points.${index}.node_id`, message: `${nodeId}: ${(err as Error).message}` });
      }
      return { ...point, node_id: nodeId };
    });
    if (issues.length > 0) throw new ConfigError(issues);
  }

  async start(): Promise<void> {
    this.#stopped = false;
    await this.#connect();
  }

  async gather(acc: Accumulator): Promise<void> {
    if (this.#session === undefined || this.#broken) await this.#connect();
    const session = this.#session;
    if (session === undefined) throw new Error('no session');
    let values: DataValue[];
    try {
      values = await withTimeout(
        session.read(
          this.#points.map((point) => ({ nodeId: point.node_id, attributeId: AttributeIds.Value })),
        ),
        this.#device.timeout_ms + 500,
        'timeout',
      );
    } catch (err) {
      // The channel or session is gone (or hangs): rebuild both on the next poll.
      this.#broken = true;
      await this.#teardown();
      throw err;
    }
    const receivedAt = acc.now();
    this.#points.forEach((point, index) => {
      const dataValue = values[index];
      if (dataValue === undefined) {
        acc.addBad(point, 'missing from the Read response', receivedAt);
        return;
      }
      // Source timestamp first (when the value was sampled), then the server's, then ours.
      const ts = dataValue.sourceTimestamp?.getTime() ?? dataValue.serverTimestamp?.getTime() ?? receivedAt;
      // Severity is the top two bits of a StatusCode: 00 Good, 01 Uncertain, 10 Bad (Part 4 §7.39).
      const severity = dataValue.statusCode.value >>> 30;
      if (severity >= 2) {
        acc.addBad(point, dataValue.statusCode.name, ts);
        return;
      }
      const value = scalarValue(dataValue.value);
      if (typeof value === 'string') {
        acc.addBad(point, value, ts);
        return;
      }
      acc.addValue(point, value, ts, severity === 1 ? 'uncertain' : 'good');
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#teardown();
    const certificates = this.#certificates;
    this.#certificates = undefined;
    await certificates?.dispose().catch((err: unknown) => this.#log.debug({ err }, 'PKI dispose failed'));
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
      // One attempt: reconnection is the poller's job (next poll, with backoff), so a dead endpoint
      // never keeps node-opcua retrying in the background.
      connectionStrategy: { maxRetry: 0, initialDelay: 500, maxDelay: 2_000 },
      clientCertificateManager: this.#certificates,
      defaultTransactionTimeout: timeout_ms,
      requestedSessionTimeout: Math.max(60_000, this.#device.poll_interval_ms * 5),
    });
    client.on('connection_lost', () => {
      this.#broken = true;
      this.#log.info('connection lost; reconnecting on the next poll');
    });
    this.#client = client;
    this.#broken = false;
    const deadline = Math.max(MIN_CONNECT_TIMEOUT_MS, timeout_ms * 3);
    try {
      await withTimeout(client.connect(endpoint), deadline, `connect timeout after ${deadline} ms`);
      const session = await withTimeout(client.createSession(), deadline, 'session timeout');
      session.on('session_closed', () => {
        this.#broken = true;
      });
      this.#session = session;
    } catch (err) {
      await this.#teardown();
      throw err;
    }
    this.#log.debug({ endpoint }, 'session open');
  }

  async #teardown(): Promise<void> {
    const client = this.#client;
    const session = this.#session;
    const broken = this.#broken;
    this.#client = undefined;
    this.#session = undefined;
    if (session !== undefined && !broken) {
      await withTimeout(session.close(), CLOSE_TIMEOUT_MS, 'close timeout').catch(() => {});
    }
    if (client !== undefined) {
      // Also after a failed connect: disconnect releases the client's timers and its hold on the PKI.
      await withTimeout(client.disconnect(), CLOSE_TIMEOUT_MS, 'disconnect timeout').catch(() => {});
    }
  }
}

/** A scalar number or boolean from a Variant, or a string saying why it cannot be published. */
function scalarValue(variant: Variant): number | boolean | string {
  if (variant.arrayType !== VariantArrayType.Scalar) return 'arrays are not supported';
  const { dataType, value } = variant;
  switch (dataType) {
    case DataType.Boolean:
      return Boolean(value);
    case DataType.SByte:
    case DataType.Byte:
    case DataType.Int16:
    case DataType.UInt16:
    case DataType.Int32:
    case DataType.UInt32:
    case DataType.Float:
    case DataType.Double:
      return typeof value === 'number' ? value : `unexpected ${DataType[dataType]} value`;
    // node-opcua carries 64-bit integers as [high, low] 32-bit words.
    case DataType.Int64:
      return Number(Int64ToBigInt(value));
    case DataType.UInt64:
      return Number(UInt64ToBigInt(value));
    case DataType.Null:
      return 'no value';
    default:
      return `unsupported data type ${DataType[dataType] ?? dataType}`;
  }
}

export const opcuaDriverFactory: DriverFactory<'opcua'> = {
  protocol: 'opcua',
  logName: 'opcua',
  create: (device, context) => new OpcuaDriver(device, context),
};

import { ConfigError, type ConfigIssue } from '../../config/config-error.js';
import type { ResolvedOpcuaDevice, ResolvedOpcuaPoint } from '../../config/resolved-config.js';
import type { Accumulator } from '../../pipeline/accumulator.js';
import { type Driver, type DriverContext, type DriverFactory, scanClasses } from '../driver.js';
import type { OpcuaClient, OperationLimits } from './opcua-client.js';

/**
 * A NodeId in its string form (OPC UA Part 6 §5.3.1.10): optional `ns=<index>;` or `nsu=<uri>;`,
 * then `i=<number>`, `s=<string>`, `g=<guid>` or `b=<base64>`.
 */
const NODE_ID =
  /^(?:(?:ns=\d{1,5}|nsu=[^;]+);)?(?:i=\d{1,10}|s=.+|g=[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|b=[A-Za-z0-9+/]+={0,2})$/s;

export function isNodeId(text: string): boolean {
  return NODE_ID.test(text);
}

/**
 * OPC UA driver for one device. This class checks the configuration and schedules; the client
 * itself (`opcua-client.ts`, with node-opcua, a large library) is loaded on the first `start()`,
 * so a gateway without OPC UA devices never loads it (about 90 MB less resident memory).
 *
 * Subscription mode (default): one scan class, the fastest point's period, which is the
 * subscription's publishing interval; each gather hands over the changes that arrived. Poll mode:
 * one scan class per point poll period, each a Read.
 */
export class OpcuaDriver implements Driver {
  readonly id: string;
  readonly #device: ResolvedOpcuaDevice;
  readonly #context: DriverContext;
  #classes: { periodMs: number; points: ResolvedOpcuaPoint[] }[] = [];
  #client: OpcuaClient | undefined;

  constructor(device: ResolvedOpcuaDevice, context: DriverContext) {
    this.id = device.id;
    this.#device = device;
    this.#context = context;
  }

  init(): void {
    const issues: ConfigIssue[] = [];
    this.#device.points.forEach((point, index) => {
      if (!isNodeId(point.node_id)) {
        issues.push({
          path: `points.${index}.node_id`,
          message: `${point.node_id}: not a NodeId (expected e.g. ns=2;s=Pump1.Speed or ns=1;i=1001)`,
        });
      }
    });
    if (issues.length > 0) throw new ConfigError(issues);
    const points = this.#device.points;
    this.#classes =
      this.#device.mode === 'poll'
        ? scanClasses(points)
        : [{ periodMs: Math.min(...points.map((p) => p.poll_interval_ms)), points: [...points] }];
  }

  get scanPeriods(): readonly number[] {
    return this.#classes.map((c) => c.periodMs);
  }

  /** The server's operation limits as read at the last connect. */
  get limits(): OperationLimits {
    return this.#client?.limits ?? { maxNodesPerRead: 0, maxMonitoredItemsPerCall: 0 };
  }

  /** CreateMonitoredItems calls made (tests: batching within the operation limits). */
  get createCalls(): number {
    return this.#client?.createCalls ?? 0;
  }

  /** Sessions and subscriptions built (tests: rebuilt after a loss). */
  get builds(): number {
    return this.#client?.builds ?? 0;
  }

  async start(): Promise<void> {
    await (await this.#load()).start();
  }

  async gather(acc: Accumulator, scanClass = 0): Promise<void> {
    await (await this.#load()).gather(acc, scanClass);
  }

  async write(point: string, value: number | boolean): Promise<void> {
    await (await this.#load()).write(point, value);
  }

  async read(point: string): Promise<number | boolean> {
    return (await this.#load()).read(point);
  }

  async stop(): Promise<void> {
    await this.#client?.stop();
  }

  async #load(): Promise<OpcuaClient> {
    if (this.#client === undefined) {
      const { OpcuaClient } = await import('./opcua-client.js');
      this.#client ??= new OpcuaClient(this.#device, this.#context, this.#classes);
    }
    return this.#client;
  }
}

export const opcuaDriverFactory: DriverFactory<'opcua'> = {
  protocol: 'opcua',
  logName: 'opcua',
  create: (device, context) => new OpcuaDriver(device, context),
};

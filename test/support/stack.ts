import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Gateway, resolveGatewayConfig, startGateway } from '@caretaker/gateway';
import { Hub, type HubConfig, type InfluxStoreConfig, loadUsersFile } from '@caretaker/hub';
import { createLogger } from '@caretaker/protocol/log';
import { type RunningSimulators, startSimulators } from '@caretaker/simulators';
import getPort from 'get-port';
import { waitFor } from './wait-for.js';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
export const SITE = 'test-estate';
export const GATEWAY = 'gw-test';

export interface Stack {
  hub: Hub;
  simulators: RunningSimulators;
  gateway: Gateway;
  dataDir: string;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** InfluxDB to store in; the embedded SQLite store when absent. */
  influx?: InfluxStoreConfig;
  pollIntervalMs?: number;
  /** An external broker for the hub and the gateway; the hub's embedded one when absent. */
  mqttUrl?: string;
  /** Sites and buildings of the devices (HUB_ASSETS_FILE); none when absent. */
  assetsFile?: string;
  /** People (HUB_USERS_FILE), e.g. fixtures/dashboard-people.yaml; the demo's people when absent. */
  usersFile?: string;
  /** false: a hub outside the demo mode (every request signs in); default true. */
  demo?: boolean;
  /** Preventive objects, templates and plans (HUB_PLANS_FILE); needs assetsFile. */
  plansFile?: string;
}

/**
 * The whole system on free loopback ports, as `npm start` runs it, but in one process and in a
 * temporary data directory: simulators, hub (embedded broker, demo mode), one gateway.
 */
/**
 * The test estate (three devices in two buildings) with people of every role
 * (test/e2e/fixtures/dashboard-people.yaml, password `caretaker`), outside the demo mode:
 * every request signs in.
 */
export const PEOPLE_STACK: StackOptions = {
  assetsFile: join(REPO_ROOT, 'test', 'e2e', 'fixtures', 'dashboard-assets.yaml'),
  usersFile: join(REPO_ROOT, 'test', 'e2e', 'fixtures', 'dashboard-people.yaml'),
  demo: false,
};

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'caretaker-e2e-'));
  process.env.LOG_LEVEL ??= 'warn';
  const config: HubConfig = {
    demo: options.demo ?? true,
    http: { host: '127.0.0.1', port: 0 },
    mqtt: { host: '127.0.0.1', port: 0, ...(options.mqttUrl ? { external: { url: options.mqttUrl } } : {}) },
    dataDir,
    store: options.influx
      ? { kind: 'influxdb', influx: options.influx }
      : { kind: 'sqlite', path: join(dataDir, 'readings.db') },
    ...(options.assetsFile
      ? {
          maintenance: {
            database: { kind: 'sqlite', path: join(dataDir, 'caretaker.db') },
            assetsFile: options.assetsFile,
            ...(options.plansFile ? { plansFile: options.plansFile } : {}),
          },
        }
      : {}),
  };
  const users = options.usersFile ? await loadUsersFile(options.usersFile) : undefined;
  const hub = new Hub(config, { log: createLogger('hub'), ...(users ? { users } : {}) });
  await hub.start();
  const simulators = await startSimulators({
    host: '127.0.0.1',
    modbusPort: await getPort({ host: '127.0.0.1' }),
    opcuaPort: await getPort({ host: '127.0.0.1' }),
  });
  const poll = options.pollIntervalMs ?? 250;
  const gatewayConfig = await resolveGatewayConfig(
    {
      site: SITE,
      gateway: GATEWAY,
      // Its own spool per stack: two stacks at once (helpers, a rerun) never share one file.
      data_dir: join(dataDir, 'gateway'),
      // Outside the demo mode the gateway signs in as itself (fixtures/dashboard-people.yaml).
      mqtt: {
        url: hub.mqttUrl,
        ...(options.demo === false ? { username: GATEWAY, password: 'caretaker' } : {}),
      },
      devices: [
        {
          id: 'pump-1',
          profile: 'pump-controller',
          protocol: 'modbus-tcp',
          endpoint: `127.0.0.1:${simulators.modbus.port}`,
          unit_id: 1,
          poll_interval_ms: poll,
        },
        {
          id: 'meter-1',
          profile: 'power-meter-3p',
          protocol: 'modbus-tcp',
          endpoint: `127.0.0.1:${simulators.modbus.port}`,
          unit_id: 2,
          poll_interval_ms: poll,
        },
        {
          id: 'elevator-1',
          profile: 'elevator-controller',
          protocol: 'opcua',
          endpoint: simulators.opcua.endpoint,
          poll_interval_ms: poll,
        },
      ],
    },
    join(REPO_ROOT, 'gateway', 'config'),
  );
  const gateway = await startGateway(gatewayConfig);
  // Every device has reported before a test begins: the lift's OPC UA session (a client
  // certificate made first, in this stack's own folder) can take many seconds on a loaded
  // machine, and a test's own 30 s wait for its first tile should not pay for that.
  const stop = async () => {
    await gateway.stop();
    await simulators.stop();
    await hub.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'every device of the stack to report (pump-1, meter-1 over Modbus; elevator-1 over OPC UA)',
      () =>
        gatewayConfig.devices.every((d) => Object.keys(hub.live.get(d.id)?.latest ?? {}).length > 0)
          ? true
          : undefined,
      90_000,
    );
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return {
    hub,
    simulators,
    gateway,
    dataDir,
    stop,
  };
}

export { waitFor };

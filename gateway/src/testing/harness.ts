import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { topics } from '@caretaker/protocol';
import { afterEach, beforeEach } from 'vitest';
import { resolveGatewayConfig } from '../config/load-config.js';
import type { ResolvedGatewayConfig } from '../config/resolved-config.js';
import { type Gateway, startGateway } from '../gateway.js';
import {
  type ModbusTestServer,
  type ModbusTestServerOptions,
  startModbusTestServer,
  type UnitImage,
} from './modbus-test-server.js';
import {
  MqttRecorder,
  startTestBroker,
  type TestBroker,
  type TestBrokerOptions,
} from './mqtt-test-broker.js';
import { testLogger } from './test-logger.js';

export const SITE = 'test-site';
export const GW = 'gw-test';

/**
 * Real servers for gateway-level tests, each stopped after the test (newest first), in a temporary
 * data_dir removed afterwards. Call `useHarness()` at the top of a test file.
 */
export function useHarness() {
  let cleanups: Array<() => Promise<void>> = [];
  const state = { dataDir: '' };
  beforeEach(async () => {
    state.dataDir = await mkdtemp(path.join(os.tmpdir(), 'caretaker-gw-test-'));
    const dir = state.dataDir;
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
  });
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    cleanups = [];
  });
  return {
    get dataDir() {
      return state.dataDir;
    },
    defer(cleanup: () => Promise<void>) {
      cleanups.push(cleanup);
    },
    async broker(options: TestBrokerOptions = {}): Promise<TestBroker> {
      const started = await startTestBroker(options);
      cleanups.push(() => started.close());
      return started;
    },
    async recorder(url: string, filter = topics.all()): Promise<MqttRecorder> {
      const started = await MqttRecorder.connect(url, filter);
      cleanups.push(() => started.close());
      return started;
    },
    async modbus(
      units: Record<number, UnitImage>,
      options: ModbusTestServerOptions = {},
    ): Promise<ModbusTestServer> {
      const started = await startModbusTestServer(units, options);
      cleanups.push(() => started.close());
      return started;
    },
    /** Resolves a configuration (site, gateway, data_dir filled in) as the file loader would. */
    config(raw: Record<string, unknown>): Promise<ResolvedGatewayConfig> {
      return resolveGatewayConfig(
        { site: SITE, gateway: GW, data_dir: state.dataDir, ...raw },
        state.dataDir,
        {
          env: {},
        },
      );
    },
    async gateway(config: ResolvedGatewayConfig, now?: () => number): Promise<Gateway> {
      const started = await startGateway(config, {
        logger: testLogger,
        ...(now === undefined ? {} : { now }),
      });
      cleanups.push(() => started.stop());
      return started;
    },
  };
}

export async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

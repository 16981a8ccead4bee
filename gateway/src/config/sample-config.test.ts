import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Gateway } from '../gateway.js';
import { testLogger } from '../testing/test-logger.js';
import { configSections, deviceConfigSchema, gatewayConfigSchema } from './config.schema.js';
import { loadGatewayConfig } from './load-config.js';

const SAMPLE = fileURLToPath(new URL('../../config/sample.yaml', import.meta.url));

describe('config/sample.yaml', () => {
  it('is valid against the schema and the simulator profiles it names', async () => {
    const config = await loadGatewayConfig(SAMPLE, { env: {} });
    expect(config.site).toBe('demo-estate');
    expect(config.gateway).toBe('gw-1');
    expect(config.mqtt.url).toBe('mqtt://localhost:1883');
    expect(config.spool).toMatchObject({ storage: 'sqlite', flush_interval_ms: 200 });
    expect(config.metrics.listen).toEqual({ host: '127.0.0.1', port: 9464 });
    // The device list is the simulators' estate (a simulators test checks it matches).
    expect(config.devices.length).toBeGreaterThan(0);
    expect(new Set(config.devices.map((device) => device.protocol))).toEqual(
      new Set(['modbus-tcp', 'opcua']),
    );
    for (const device of config.devices) expect(device.points.length).toBeGreaterThan(0);
  });

  it("passes every driver's own checks (init, no I/O)", async () => {
    const config = await loadGatewayConfig(SAMPLE, { env: {} });
    const gateway = new Gateway(config, { logger: testLogger });
    expect(() => gateway.init()).not.toThrow();
  });

  it('takes the broker URL from MQTT_URL', async () => {
    const config = await loadGatewayConfig(SAMPLE, { env: { MQTT_URL: 'mqtt://10.1.2.3:1883' } });
    expect(config.mqtt.url).toBe('mqtt://10.1.2.3:1883');
  });

  it('documents every configuration key', async () => {
    const text = await readFile(SAMPLE, 'utf8');
    const keys = new Set([
      ...Object.keys(gatewayConfigSchema.shape),
      ...deviceConfigSchema.options.flatMap((option) => Object.keys(option.shape)),
      ...Object.values(configSections).flatMap((section) => Object.keys(section.shape)),
    ]);
    const undocumented = [...keys].filter((key) => !new RegExp(`\\b${key}\\b`).test(text));
    expect(undocumented).toEqual([]);
  });
});

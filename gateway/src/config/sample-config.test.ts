import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Gateway } from '../gateway.js';
import { testLogger } from '../testing/test-logger.js';
import { deviceConfigSchema, gatewayConfigSchema } from './config.schema.js';
import { loadGatewayConfig } from './load-config.js';

const SAMPLE = fileURLToPath(new URL('../../config/sample.yaml', import.meta.url));

describe('config/sample.yaml', () => {
  it('is valid against the schema and the simulator profiles it names', async () => {
    const config = await loadGatewayConfig(SAMPLE, { env: {} });
    expect(config.site).toBe('demo-estate');
    expect(config.gateway).toBe('gw-1');
    expect(config.mqtt.url).toBe('mqtt://localhost:1883');
    expect(config.devices.map((device) => [device.id, device.protocol, device.device_type])).toEqual([
      ['pump-1', 'modbus-tcp', 'pump'],
      ['meter-1', 'modbus-tcp', 'power_meter'],
      ['elevator-1', 'opcua', 'elevator'],
    ]);
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
      ...Object.keys(gatewayConfigSchema.shape.mqtt.unwrap().shape),
      ...deviceConfigSchema.options.flatMap((option) => Object.keys(option.shape)),
    ]);
    const undocumented = [...keys].filter((key) => !new RegExp(`\\b${key}\\b`).test(text));
    expect(undocumented).toEqual([]);
  });
});

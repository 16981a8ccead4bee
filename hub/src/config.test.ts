import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HubConfigError, loadHubConfig } from './config.js';

describe('hub configuration', () => {
  it('defaults to the embedded broker and store', () => {
    const config = loadHubConfig({});
    expect(config.demo).toBe(false);
    expect(config.http).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(config.mqtt).toEqual({ host: '0.0.0.0', port: 1883 });
    expect(config.store.kind).toBe('sqlite');
  });

  it('lets flags override the environment and treats empty variables as unset', () => {
    const config = loadHubConfig({ PORT: '9000', MQTT_PORT: '' }, { PORT: '9100', CARETAKER_DEMO: '1' });
    expect(config.http.port).toBe(9100);
    expect(config.mqtt.port).toBe(1883);
    expect(config.demo).toBe(true);
  });

  it.each([
    [{ PORT: 'eighty' }, /^PORT:/],
    [{ PORT: '70000' }, /^PORT:/],
    [{ MQTT_URL: 'http://broker' }, /^MQTT_URL:/],
    [{ INFLUX_URL: 'not a url' }, /^INFLUX_URL:/],
    [{ INFLUX_URL: 'http://i:8086', INFLUX_API: 'v2', INFLUX_TOKEN: 't' }, /^INFLUX_ORG:/],
    [{ INFLUX_URL: 'http://i:8086', INFLUX_API: 'v3' }, /^INFLUX_TOKEN:/],
    [{ CARETAKER_DEMO: 'maybe' }, /^CARETAKER_DEMO:/],
  ])('rejects %o naming the variable', (env, message) => {
    expect(() => loadHubConfig(env)).toThrow(HubConfigError);
    expect(() => loadHubConfig(env)).toThrow(message);
  });

  it('picks the InfluxDB API from what is set', () => {
    expect(loadHubConfig({ INFLUX_URL: 'http://i:8086/' }).store).toEqual({
      kind: 'influxdb',
      influx: { api: 'v1', url: 'http://i:8086', database: 'caretaker' },
    });
    expect(
      loadHubConfig({ INFLUX_URL: 'http://i:8086', INFLUX_TOKEN: 't', INFLUX_ORG: 'o', INFLUX_BUCKET: 'b' })
        .store,
    ).toEqual({
      kind: 'influxdb',
      influx: { api: 'v2', url: 'http://i:8086', token: 't', org: 'o', bucket: 'b' },
    });
    expect(
      loadHubConfig({
        INFLUX_URL: 'http://i:8086',
        INFLUX_API: 'v3',
        INFLUX_TOKEN: 't',
        INFLUX_DATABASE: 'plant',
      }).store,
    ).toEqual({
      kind: 'influxdb',
      influx: { api: 'v3', url: 'http://i:8086', token: 't', database: 'plant' },
    });
  });

  it('reads secrets from *_FILE variables', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caretaker-config-'));
    try {
      await writeFile(join(dir, 'token'), 'from-a-file\n');
      const config = loadHubConfig({
        INFLUX_URL: 'http://i:8086',
        INFLUX_TOKEN_FILE: join(dir, 'token'),
        INFLUX_ORG: 'o',
        INFLUX_BUCKET: 'b',
      });
      expect(
        config.store.kind === 'influxdb' && config.store.influx.api === 'v2' && config.store.influx.token,
      ).toBe('from-a-file');
      expect(() => loadHubConfig({ MQTT_PASSWORD_FILE: join(dir, 'missing') })).toThrow(
        /^MQTT_PASSWORD_FILE: cannot read/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

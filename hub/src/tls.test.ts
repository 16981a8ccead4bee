import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type TelemetryBatch, topics } from '@caretaker/protocol';
import { createLogger } from '@caretaker/protocol/log';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../test/support/require-binary.js';
import { hashPassword } from './auth/passwords.js';
import { UserDirectory } from './auth/users.js';
import { loadHubConfig } from './config.js';
import { Hub } from './hub.js';

const installed = requireBinary('openssl', 'apt-get install openssl');

describe.runIf(installed)('TLS by configuration', () => {
  let dir: string;
  let hub: Hub;
  let ca: string;
  const log = createLogger('hub');
  log.level = 'silent';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'caretaker-tls-'));
    // A throwaway self-signed certificate for 127.0.0.1, made by the test.
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    ca = await readFile(join(dir, 'cert.pem'), 'utf8');
    const config = loadHubConfig({
      HOST: '127.0.0.1',
      PORT: '0',
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: '0',
      MQTT_TLS_PORT: '0',
      DATA_DIR: join(dir, 'data'),
      TLS_CERT_FILE: join(dir, 'cert.pem'),
      TLS_KEY_FILE: join(dir, 'key.pem'),
    });
    const users = new UserDirectory();
    users.add('gw-1', await hashPassword('gateway-secret'), 'gateway');
    // Outside the demo mode the hub needs an administrator.
    users.add('ada', await hashPassword('admin-secret'), 'admin');
    hub = new Hub(config, { log, users, dashboardDir: join(dir, 'none') });
    await hub.start();
  });

  afterAll(async () => {
    await hub?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const batch = (seq: number): string =>
    JSON.stringify({
      v: 1,
      device: 'pump-t',
      device_type: 'pump',
      seq,
      ts: Date.now() - 60_000 + seq,
      readings: [{ point: 'flow', value: seq, ts: Date.now() - 60_000 + seq, quality: 'good' }],
    } satisfies TelemetryBatch);

  it('serves the API over HTTPS', async () => {
    expect(hub.url).toMatch(/^https:/);
    const status = await new Promise<number>((resolve, reject) => {
      get(`${hub.url}/healthz`, { ca }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(status).toBe(200);
  });

  it('accepts MQTT over TLS, with credentials', async () => {
    const url = hub.mqttsUrl ?? '';
    expect(url).toMatch(/^mqtts:/);
    await expect(mqtt.connectAsync(url, { ca, reconnectPeriod: 0 })).rejects.toThrow(
      /Bad username or password|Not authorized/i,
    );
    const client = await mqtt.connectAsync(url, {
      ca,
      username: 'gw-1',
      password: 'gateway-secret',
      reconnectPeriod: 0,
    });
    await client.publishAsync(topics.telemetry('estate', 'gw-1', 'pump-t'), batch(1), { qos: 1 });
    await client.endAsync();
    expect(hub.live.get('pump-t')?.latest.flow?.value).toBe(1);
  });

  it('rejects a TLS client that does not trust the certificate', async () => {
    await expect(
      mqtt.connectAsync(hub.mqttsUrl ?? '', {
        username: 'gw-1',
        password: 'gateway-secret',
        reconnectPeriod: 0,
      }),
    ).rejects.toThrow(/self-signed|certificate/i);
  });

  it('accepts MQTT over secure WebSocket on the HTTPS port', async () => {
    const url = `${hub.url.replace('https', 'wss')}/mqtt`;
    const client = await mqtt.connectAsync(url, {
      ca,
      username: 'gw-1',
      password: 'gateway-secret',
      reconnectPeriod: 0,
    });
    await client.publishAsync(topics.telemetry('estate', 'gw-1', 'pump-t'), batch(2), { qos: 1 });
    await client.endAsync();
    expect(hub.live.get('pump-t')?.latest.flow?.value).toBe(2);
  });
});

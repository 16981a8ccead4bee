import { apiPaths, type DevicesResponse } from '@caretaker/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningMosquitto, startMosquitto } from '../support/mosquitto.js';
import { requireBinary } from '../support/require-binary.js';
import { type Stack, startStack, waitFor } from '../support/stack.js';

const installed = requireBinary('mosquitto', 'apt-get install mosquitto');

describe.runIf(installed)('with an external broker (MQTT_URL, real Mosquitto)', () => {
  let mosquitto: RunningMosquitto;
  let stack: Stack;

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    stack = await startStack({ mqttUrl: mosquitto.url });
  });

  afterAll(async () => {
    await stack?.stop();
    await mosquitto?.stop();
  });

  it('ingests telemetry relayed by Mosquitto and embeds no broker of its own', async () => {
    expect(stack.hub.mqttUrl).toBe(mosquitto.url);
    const devices = await waitFor('pump-1 readings through Mosquitto', async () => {
      const res = await fetch(`${stack.hub.url}${apiPaths.devices}`);
      const body = (await res.json()) as DevicesResponse;
      return body.devices.find((d) => d.id === 'pump-1' && d.latest.flow) ? body : undefined;
    });
    expect(devices.devices.find((d) => d.id === 'pump-1')?.status).toBe('online');
    const health = (await (await fetch(`${stack.hub.url}${apiPaths.health}`)).json()) as {
      broker: { mode: string; connected: boolean };
    };
    expect(health.broker).toEqual({ mode: 'external', connected: true });
  });
});

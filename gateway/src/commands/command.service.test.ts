import { type CommandResponse, commandResponseSchema, topics } from '@caretaker/protocol';
import { describe, expect, it } from 'vitest';
import { GW, SITE, until, useHarness } from '../testing/harness.js';

const h = useHarness();
const COMMAND = topics.command(SITE, GW, 'pump-1');
const RESPONSE = topics.commandResponse(SITE, GW, 'pump-1');

async function setup() {
  const broker = await h.broker();
  // holding 0: status word, 1: setpoint (x0.1), 2: a register the device refuses to write? no: absent.
  const units = { 1: { holding: { 0: 0b01, 1: 400 }, coil: { 0: false } } };
  const plc = await h.modbus(units);
  const config = await h.config({
    mqtt: { url: broker.url },
    metrics: { stats_interval_s: 0 },
    devices: [
      {
        id: 'pump-1',
        protocol: 'modbus-tcp',
        endpoint: plc.endpoint,
        device_type: 'pump',
        poll_interval_ms: 200,
        points: [
          { name: 'running', table: 'coil', address: 0, type: 'bool' },
          { name: 'reset_fault', address: 0, type: 'bool', bit: 3 },
          { name: 'setpoint', address: 1, type: 'uint16', scale: 0.1, unit: 'bar' },
          { name: 'ghost_setpoint', address: 9, type: 'uint16' },
          { name: 'status', address: 0, type: 'uint16' },
        ],
        writable: [
          { point: 'running' },
          { point: 'reset_fault' },
          { point: 'setpoint', min: 0, max: 10 },
          { point: 'ghost_setpoint' },
        ],
      },
    ],
  });
  const gateway = await h.gateway(config);
  const client = await h.recorder(broker.url, topics.all());
  await client.waitFor('the gateway online', (m) => m.topic === topics.gatewayStatus(SITE, GW));
  // The gateway subscribes right after connecting; a command sent before would be lost.
  await until('the command subscription', () =>
    broker.subscriptions.includes(topics.gatewayCommands(SITE, GW)),
  );
  const send = async (command: Record<string, unknown>): Promise<CommandResponse> => {
    const id = String(command.id);
    const from = client.messages.length;
    await client.publish(COMMAND, { v: 1, ts: Date.now(), ...command });
    const message = await client.waitFor(
      `response ${id}`,
      (m) => m.topic === RESPONSE && (m.json as { id?: string }).id === id,
      {
        from,
      },
    );
    return commandResponseSchema.parse(message.json);
  };
  return { units, plc, gateway, send, client };
}

describe('commands on the command topic', () => {
  it('writes an allowed point, reads it back, and answers with the request id', async () => {
    const { units, send, gateway } = await setup();
    expect(await send({ id: 'c-1', point: 'running', value: true })).toMatchObject({
      v: 1,
      id: 'c-1',
      device: 'pump-1',
      point: 'running',
      status: 'ok',
      value: true,
    });
    expect(units[1].coil[0]).toBe(true);
    expect(await send({ id: 'c-2', point: 'setpoint', value: 6.5 })).toMatchObject({
      status: 'ok',
      value: 6.5,
    });
    expect(units[1].holding[1]).toBe(65);
    // A bit in the status word: the other bits stay as they were.
    expect(await send({ id: 'c-3', point: 'reset_fault', value: true })).toMatchObject({
      status: 'ok',
      value: true,
    });
    expect(units[1].holding[0]).toBe(0b1001);
    expect(gateway.commands?.counts).toMatchObject({ ok: 3, rejected: 0, failed: 0 });
  });

  it('rejects what is not allowed, out of range, of the wrong kind, expired or malformed, and never writes it', async () => {
    const { units, send } = await setup();
    const rejected = async (command: Record<string, unknown>, error: RegExp) => {
      const response = await send(command);
      expect(response.status).toBe('rejected');
      expect(response.error).toMatch(error);
    };
    await rejected({ id: 'r-1', point: 'status', value: 1 }, /not writable/);
    await rejected({ id: 'r-2', point: 'setpoint', value: 10.5 }, /above the maximum 10/);
    await rejected({ id: 'r-3', point: 'setpoint', value: -1 }, /below the minimum 0/);
    await rejected({ id: 'r-4', point: 'running', value: 1 }, /takes true or false/);
    await rejected({ id: 'r-5', point: 'setpoint', value: 5, ts: Date.now() - 60_000 }, /expired/);
    await rejected({ id: 'r-6', point: 'setpoint', value: '5' }, /malformed command: value/);
    expect(units[1].holding[1]).toBe(400);
  });

  it('reports a write the device refuses as failed, and answers a redelivered request without writing again', async () => {
    const { plc, send, gateway } = await setup();
    const failed = await send({ id: 'f-1', point: 'ghost_setpoint', value: 3 });
    expect(failed).toMatchObject({ status: 'failed', error: expect.stringMatching(/Modbus exception 2/) });
    const first = await send({ id: 'd-1', point: 'setpoint', value: 2 });
    expect(first.status).toBe('ok');
    const writes = plc.writes.get(1) ?? 0;
    const again = await send({ id: 'd-1', point: 'setpoint', value: 2 });
    expect(again).toMatchObject({ id: 'd-1', status: 'ok', value: 2 });
    expect(plc.writes.get(1) ?? 0).toBe(writes);
    expect(gateway.commands?.counts.duplicate).toBe(1);
  });
});

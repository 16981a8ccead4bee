import type {
  ClientToServerEvents,
  MaintenanceChangedEvent,
  ServerToClientEvents,
} from '@caretaker/protocol';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack, waitFor } from '../support/stack.js';

/**
 * The loop the product exists for, on the real parts: a fault played by the simulators, read
 * by the gateway over Modbus / OPC UA, published over MQTT, detected by the hub, and exactly one
 * work order per incident, with its evidence, on the HTTP API.
 */

interface OrderJson {
  id: number;
  code: string;
  device: string;
  rule_id: string;
  status: string;
  priority: number;
  severity: string;
  evidence: {
    rule: { id: string };
    readings: Record<string, Array<[number, number]>>;
    values: Record<string, number>;
  };
}

describe('sensor-raised work orders from simulated faults', () => {
  let stack: Stack;
  let socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  const events: MaintenanceChangedEvent[] = [];

  const orders = async (): Promise<OrderJson[]> => {
    const res = await fetch(`${stack.hub.url}/api/work-orders`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { work_orders: OrderJson[] }).work_orders;
  };

  beforeAll(async () => {
    stack = await startStack();
    await waitFor('every device online', () => {
      const devices = stack.hub.live.list();
      return devices.length === 3 && devices.every((d) => d.status === 'online') ? true : undefined;
    });
    socket = io(stack.hub.url, { transports: ['websocket'] });
    socket.on('maintenance.changed', (event) => events.push(event));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  });

  afterAll(async () => {
    socket?.close();
    await stack?.stop();
  });

  it('a motor trip gives one order with its evidence, and the alarm is listed', async () => {
    stack.simulators.estate.inject({ device: 'pump-1', kind: 'motor_trip' });
    const order = await waitFor('the motor-trip order', async () =>
      (await orders()).find((o) => o.rule_id === 'pump.motor_trip'),
    );
    expect(order).toMatchObject({
      device: 'pump-1',
      status: 'pending_acceptance',
      severity: 'major',
      priority: 2,
    });
    expect(order.code).toMatch(/^WO-\d{6}$/);
    expect(order.evidence.rule.id).toBe('pump.motor_trip');
    expect(order.evidence.values.fault).toBe(1);
    // The readings leading up to it, of every point (what else moved), not only the rule's.
    expect(order.evidence.readings.fault?.length).toBeGreaterThan(0);
    expect(Object.keys(order.evidence.readings)).toEqual(
      expect.arrayContaining(['fault', 'motor_current', 'flow']),
    );

    const alarms = (await (await fetch(`${stack.hub.url}/api/alarms`)).json()) as {
      alarms: Array<{ rule_id: string; state: string; device: string }>;
    };
    expect(alarms.alarms).toContainEqual(
      expect.objectContaining({ rule_id: 'pump.motor_trip', state: 'active', device: 'pump-1' }),
    );

    // The trip persists for many more polls: still one order for the incident.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await orders()).filter((o) => o.rule_id === 'pump.motor_trip')).toHaveLength(1);

    const detail = (await (await fetch(`${stack.hub.url}/api/work-orders/${order.id}`)).json()) as {
      events: Array<{ type: string; to_status: string | null }>;
    };
    expect(detail.events[0]).toMatchObject({ type: 'created', to_status: 'pending_acceptance' });
    // The board hears of it live.
    expect(events).toContainEqual(
      expect.objectContaining({ kind: 'raised', device: 'pump-1', rule_id: 'pump.motor_trip' }),
    );
    expect(events).toContainEqual(expect.objectContaining({ kind: 'order', order_id: order.id }));
  });

  it('a passenger trapped in a lift raises a top-priority order at once', async () => {
    stack.simulators.estate.inject({ device: 'elevator-1', kind: 'passenger_trapped' });
    const order = await waitFor('the passenger-trapped order', async () =>
      (await orders()).find((o) => o.rule_id === 'elevator.passenger_trapped'),
    );
    expect(order).toMatchObject({ device: 'elevator-1', severity: 'critical', priority: 1 });
    // Nobody has to accept it first: the dispatch rules skip acceptance for a trapped passenger.
    await waitFor('the hub to accept the passenger-trapped order', async () => {
      const detail = (await (await fetch(`${stack.hub.url}/api/work-orders/${order.id}`)).json()) as {
        events: Array<{ type: string; actor: string }>;
      };
      return detail.events.find((e) => e.type === 'accept' && e.actor === 'system');
    });
  });

  it('a work-order action is validated, checked and recorded', async () => {
    const order = (await orders()).find((o) => o.rule_id === 'pump.motor_trip');
    const action = (name: string, body: unknown) =>
      fetch(`${stack.hub.url}/api/work-orders/${order?.id}/actions/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const bad = await action('accept', { note: 42 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^note:/);
    const unknown = await action('repaired', {});
    expect(unknown.status).toBe(404);
    events.length = 0;
    const ok = await action('accept', { note: 'seen on the board' });
    expect(ok.status).toBe(200);
    // A person's action reaches every board too.
    await expect
      .poll(() => events.filter((e) => e.kind === 'order' && e.order_id === order?.id).length)
      .toBeGreaterThan(0);
    expect(((await ok.json()) as { work_order: OrderJson }).work_order.status).toBe('to_dispatch');
    // The wrong status is refused, and the change is in the order's log.
    expect((await action('accept', {})).status).toBe(409);
    const detail = (await (await fetch(`${stack.hub.url}/api/work-orders/${order?.id}`)).json()) as {
      events: Array<{ type: string; actor: string; from_status: string; to_status: string; detail: unknown }>;
      actions_allowed: string[];
    };
    // (Automatic dispatch may add its own decision after it.)
    expect(detail.events.find((e) => e.type === 'accept')).toMatchObject({
      type: 'accept',
      actor: 'demo',
      from_status: 'pending_acceptance',
      to_status: 'to_dispatch',
      detail: { note: 'seen on the board' },
    });
    expect(detail.actions_allowed).toContain('dispatch');
  });
});

import type { DeviceChangedEvent, TelemetryBatch } from '@caretaker/protocol';
import { describe, expect, it } from 'vitest';
import { LiveStateService } from './live-state.service.js';

const ref = { site: 'estate', gateway: 'gw-1', device: 'pump-1' };

function batch(seq: number, ts: number, points: Record<string, number> = { flow: seq }): TelemetryBatch {
  return {
    v: 1,
    device: 'pump-1',
    device_type: 'pump',
    seq,
    ts,
    readings: Object.entries(points).map(([point, value]) => ({
      point,
      value,
      ts,
      quality: 'good' as const,
    })),
  };
}

function setup() {
  let now = 1_000_000;
  const live = new LiveStateService(() => now);
  const changes: DeviceChangedEvent[] = [];
  live.on('device.changed', (e) => changes.push(e));
  return { live, changes, advance: (ms: number) => (now += ms), at: () => now };
}

describe('LiveStateService', () => {
  it('learns the reporting interval and marks a silent device stale after three of them', () => {
    const { live, changes, advance, at } = setup();
    for (let i = 0; i < 5; i += 1) {
      live.applyTelemetry(ref, batch(i, at()));
      advance(1000);
    }
    expect(live.get('pump-1')?.interval_ms).toBe(1000);
    advance(1500); // 2.5 intervals of silence
    expect(live.sweep()).toBe(0);
    advance(1000); // 3.5
    expect(live.sweep()).toBe(1);
    expect(live.get('pump-1')?.status).toBe('stale');
    expect(live.get('pump-1')?.latest.flow?.stale).toBe(true);
    expect(changes.at(-1)?.device.status).toBe('stale');
    live.applyTelemetry(ref, batch(9, at()));
    expect(live.get('pump-1')?.status).toBe('online');
    expect(live.get('pump-1')?.latest.flow?.stale).toBe(false);
  });

  it('marks a single point stale when it stops while its device keeps reporting', () => {
    const { live, advance, at } = setup();
    for (let i = 0; i < 4; i += 1) {
      live.applyTelemetry(ref, batch(i, at(), { flow: i, vibration: 2 }));
      advance(1000);
    }
    for (let i = 4; i < 9; i += 1) {
      live.applyTelemetry(ref, batch(i, at(), { flow: i }));
      advance(1000);
    }
    const device = live.get('pump-1');
    expect(device?.status).toBe('online');
    expect(device?.latest.flow?.stale).toBe(false);
    expect(device?.latest.vibration?.stale).toBe(true);
  });

  it('does not call a point reported by exception stale while its device keeps reporting', () => {
    const { live, advance, at } = setup();
    live.applyTelemetry(ref, batch(0, at(), { flow: 1, door_state: 0 }));
    for (let i = 1; i < 10; i += 1) {
      advance(1000);
      live.applyTelemetry(ref, batch(i, at(), { flow: i }));
    }
    expect(live.get('pump-1')?.latest.door_state?.stale).toBe(false);
  });

  it('restores stored values after a restart as stale, in an unknown state, until fresh data', () => {
    const { live, changes, at } = setup();
    const stored = (device: string, points: Record<string, number>) => ({
      site: 'estate',
      gateway: 'gw-1',
      device,
      device_type: 'pump' as const,
      latest: Object.entries(points).map(([point, value]) => ({
        point,
        value,
        ts: at() - 60_000,
        quality: 'good' as const,
      })),
    });
    expect(live.restore([stored('pump-1', { flow: 5, vibration: 2 })])).toBe(1);
    expect(changes).toEqual([]); // nothing announced
    expect(live.get('pump-1')).toMatchObject({
      status: 'unknown',
      last_seen: null,
      latest: { flow: { value: 5, stale: true }, vibration: { value: 2, stale: true } },
    });
    live.applyTelemetry(ref, batch(1, at(), { flow: 7 }));
    expect(live.get('pump-1')).toMatchObject({
      status: 'online',
      latest: { flow: { value: 7, stale: false }, vibration: { value: 2, stale: true } },
    });
    // A late answer from the store never replaces what came live.
    expect(live.restore([stored('pump-1', { flow: 5, pressure: 3 })])).toBe(0);
    expect(live.get('pump-1')?.latest).toMatchObject({
      flow: { value: 7 },
      pressure: { value: 3, stale: true },
    });
  });

  it("tracks gateways and takes a gateway's devices offline with its Last Will", () => {
    const { live, at } = setup();
    live.applyTelemetry(ref, batch(0, at()));
    expect(live.listGateways()).toMatchObject([{ site: 'estate', gateway: 'gw-1', status: 'online' }]);
    live.applyGatewayStatus({ site: 'estate', gateway: 'gw-1' }, { v: 1, state: 'offline', ts: 1 });
    expect(live.listGateways()[0]?.status).toBe('offline');
    expect(live.get('pump-1')).toMatchObject({ status: 'offline', error: 'gateway gw-1 is offline' });
    // The Last Will's old ts is not the time the device went offline.
    expect(live.get('pump-1')?.status_since).toBe(at());
  });

  it('never lets an older reading replace a newer latest value', () => {
    const { live, at } = setup();
    live.applyTelemetry(ref, batch(2, at() + 10, { flow: 20 }));
    live.applyTelemetry(ref, batch(1, at(), { flow: 10 }));
    expect(live.get('pump-1')?.latest.flow?.value).toBe(20);
  });
});

import type { DeviceSummary } from '@caretaker/protocol';
import { describe, expect, it } from 'vitest';
import { pointLabel } from '../format.js';
import { applyDevice, applyReadings, fromList, sortedDevices } from './devices.js';

function device(id: string, overrides: Partial<DeviceSummary> = {}): DeviceSummary {
  return {
    id,
    site: 'estate',
    gateway: 'gw-1',
    type: 'pump',
    status: 'online',
    status_since: 0,
    last_seen: 0,
    interval_ms: null,
    latest: {},
    ...overrides,
  };
}

describe('board state', () => {
  it('applies live readings to a known device and ignores older ones', () => {
    let state = fromList([
      device('pump-1', { latest: { flow: { value: 10, ts: 100, quality: 'good', unit: 'm3/h' } } }),
    ]);
    state = applyReadings(
      state,
      {
        device_id: 'pump-1',
        readings: [
          { point: 'flow', value: 12, ts: 200, quality: 'good' },
          { point: 'vibration', value: 1.5, ts: 50, quality: 'good', unit: 'mm/s' },
        ],
      },
      999,
    );
    state = applyReadings(
      state,
      { device_id: 'pump-1', readings: [{ point: 'flow', value: 5, ts: 150, quality: 'good' }] },
      1000,
    );
    const pump = state.get('pump-1');
    expect(pump?.latest.flow).toEqual({ value: 12, ts: 200, quality: 'good', unit: 'm3/h' });
    expect(pump?.latest.vibration?.value).toBe(1.5);
    expect(pump?.last_seen).toBe(1000);
  });

  it('waits for the summary of a device it does not know', () => {
    const state = fromList([]);
    const next = applyReadings(
      state,
      { device_id: 'x', readings: [{ point: 'p', value: 1, ts: 1, quality: 'good' }] },
      1,
    );
    expect(next).toBe(state);
  });

  it('merges a status change without losing newer live values', () => {
    let state = fromList([device('pump-1', { latest: { flow: { value: 12, ts: 200, quality: 'good' } } })]);
    state = applyDevice(
      state,
      device('pump-1', { status: 'offline', latest: { flow: { value: 9, ts: 100, quality: 'good' } } }),
    );
    expect(state.get('pump-1')?.status).toBe('offline');
    expect(state.get('pump-1')?.latest.flow?.value).toBe(12);
  });

  it('orders the board by site, equipment type, then id', () => {
    const state = fromList([
      device('meter-1', { type: 'power_meter' }),
      device('pump-2'),
      device('lift-1', { type: 'elevator' }),
      device('pump-1'),
      device('a-pump', { site: 'zeta' }),
    ]);
    expect(sortedDevices(state).map((d) => d.id)).toEqual([
      'pump-1',
      'pump-2',
      'lift-1',
      'meter-1',
      'a-pump',
    ]);
  });

  it('labels points for people', () => {
    expect(pointLabel('outlet_pressure')).toBe('Outlet pressure');
    expect(pointLabel('current_l1')).toBe('Current L1');
  });
});

import type { AlarmSummary, DeviceSummary } from '@caretaker/protocol';
import { describe, expect, it } from 'vitest';
import { type FrameScheduler, LiveStore } from './live-store.js';

function device(id: string, overrides: Partial<DeviceSummary> = {}): DeviceSummary {
  return {
    id,
    site: 'estate',
    gateway: 'gw-1',
    type: 'pump',
    status: 'online',
    status_since: 0,
    last_seen: 0,
    interval_ms: 1000,
    latest: { flow: { value: 10, ts: 100, quality: 'good', unit: 'm3/h' } },
    ...overrides,
  };
}

function alarm(id: number, dev: string, overrides: Partial<AlarmSummary> = {}): AlarmSummary {
  return {
    id,
    incident_key: `estate/${dev}/r${id}`,
    site: 'estate',
    device: dev,
    gateway: 'gw-1',
    rule_id: `pump.rule_${id}`,
    title: `Rule ${id}`,
    state: 'active',
    severity: 'major',
    first_raised_at: 1000 + id,
    raised_at: 1000 + id,
    clearing_since: null,
    cleared_at: null,
    occurrences: 1,
    flapping: 0,
    root_alarm_id: null,
    silenced: null,
    detail: {},
    acknowledged: null,
    ...overrides,
  };
}

/** Frames under the test's control: nothing is applied until `frame()`. */
function manualFrames() {
  const queued: Array<() => void> = [];
  const frames: FrameScheduler = { request: (flush) => queued.push(flush) };
  const frame = () => {
    for (const flush of queued.splice(0)) flush();
  };
  return { frames, frame, pending: () => queued.length };
}

describe('LiveStore', () => {
  it('applies socket updates once per frame and tells only the changed devices', () => {
    const { frames, frame, pending } = manualFrames();
    const store = new LiveStore(frames, () => 5000);
    store.loadDevices([device('p1'), device('p2')]);
    const heard: string[] = [];
    store.subscribeDevice('p1', () => heard.push('p1'));
    store.subscribeDevice('p2', () => heard.push('p2'));
    const p2Before = store.device('p2');

    for (const value of [11, 12, 13]) {
      store.readingsUpdated({
        devices: [
          { device_id: 'p1', readings: [{ point: 'flow', value, ts: 100 + value, quality: 'good' }] },
        ],
      });
    }
    expect(pending()).toBe(1);
    expect(store.device('p1')?.summary.latest.flow?.value).toBe(10);
    frame();
    expect(heard).toEqual(['p1']);
    expect(store.device('p1')?.summary.latest.flow).toEqual({
      value: 13,
      ts: 113,
      quality: 'good',
      unit: 'm3/h',
    });
    expect(store.device('p1')?.summary.last_seen).toBe(5000);
    // Untouched devices keep the same snapshot object (their tiles do not re-render).
    expect(store.device('p2')).toBe(p2Before);
  });

  it('never goes back in time and keeps readings of a device it does not know until its summary', () => {
    const { frames, frame } = manualFrames();
    const store = new LiveStore(frames);
    store.loadDevices([device('p1')]);
    const before = store.device('p1');
    store.readingsUpdated({
      devices: [
        { device_id: 'p1', readings: [{ point: 'flow', value: 1, ts: 50, quality: 'good' }] },
        { device_id: 'ghost', readings: [{ point: 'flow', value: 1, ts: 500, quality: 'good' }] },
      ],
    });
    frame();
    expect(store.device('p1')).toBe(before);
    expect(store.device('ghost')).toBeUndefined();
    // Its summary arrives without the point (reported before, unchanged since): the early reading fills it.
    store.deviceChanged(device('ghost', { latest: {} }));
    frame();
    expect(store.device('ghost')?.summary.latest.flow?.value).toBe(1);
    // A later summary merges without losing newer live values.
    store.deviceChanged(
      device('p1', { status: 'offline', latest: { flow: { value: 9, ts: 90, quality: 'good' } } }),
    );
    frame();
    expect(store.device('p1')?.state).toBe('offline');
    expect(store.device('p1')?.summary.latest.flow?.value).toBe(10);
  });

  it('derives each tile state from the device and its worst open alarm', () => {
    const store = new LiveStore(manualFrames().frames);
    store.loadDevices([
      device('ok'),
      device('hot'),
      device('minor'),
      device('gone', { status: 'offline' }),
      device('quiet', { status: 'stale' }),
      device('unknown', { status: 'unknown' }),
      device('lost', { status: 'offline' }),
    ]);
    store.setAlarms([
      alarm(1, 'hot', { severity: 'critical' }),
      alarm(2, 'minor', { severity: 'warning' }),
      alarm(3, 'hot', { severity: 'warning' }),
      // A communication loss does not make an alarm tile: the device shows offline.
      alarm(4, 'lost', { rule_id: 'comm_loss' }),
      // Cleared alarms do not count.
      alarm(5, 'ok', { state: 'cleared', cleared_at: 2000 }),
    ]);
    const state = (id: string) => store.device(id)?.state;
    expect(['ok', 'hot', 'minor', 'gone', 'quiet', 'unknown', 'lost'].map(state)).toEqual([
      'normal',
      'alarm',
      'warning',
      'offline',
      'stale',
      'stale',
      'offline',
    ]);
    expect(store.device('hot')?.alarm?.id).toBe(1);
    // An alarm alone (no new reading) re-renders the tile: a tripped pump's values stop changing.
    const heard: string[] = [];
    store.subscribeDevice('ok', () => heard.push('ok'));
    store.subscribeDevice('minor', () => heard.push('minor'));
    store.setAlarms([alarm(6, 'ok', { severity: 'critical' }), alarm(2, 'minor', { severity: 'warning' })]);
    expect(heard).toEqual(['ok']);
    expect(state('ok')).toBe('alarm');
    expect(store.layout().counts).toMatchObject({
      total: 7,
      alarm: 1,
      warning: 1,
      offline: 2,
      stale: 2,
      normal: 1,
    });
  });

  it('lists alarms open first, then most severe, then newest', () => {
    const store = new LiveStore(manualFrames().frames);
    store.setAlarms([
      alarm(1, 'a', { severity: 'warning', raised_at: 50 }),
      alarm(2, 'b', { severity: 'critical', raised_at: 10 }),
      alarm(3, 'c', { severity: 'warning', raised_at: 90 }),
      alarm(4, 'd', { severity: 'critical', state: 'cleared', raised_at: 99 }),
      alarm(5, 'e', { severity: 'major', raised_at: 20 }),
    ]);
    expect(store.alarms().map((a) => a.id)).toEqual([2, 5, 3, 1, 4]);
  });

  it('groups devices by site and building in the assets order; unplaced ones last', () => {
    const store = new LiveStore(manualFrames().frames);
    store.setAssets({
      sites: [
        {
          id: 'estate',
          name: 'The estate',
          buildings: [
            { id: 'b2', name: 'Tower 2', devices: ['lift-2'], rooms: [] },
            { id: 'b1', name: 'Tower 1', devices: ['pump-1', 'meter-1', 'lift-1'], rooms: [] },
          ],
        },
      ],
    });
    store.loadDevices([
      device('meter-1', { type: 'power_meter' }),
      device('lift-1', { type: 'elevator' }),
      device('pump-1'),
      device('lift-2', { type: 'elevator' }),
      device('stray'),
      device('far', { site: 'other' }),
    ]);
    const { sites } = store.layout();
    expect(sites.map((s) => [s.id, s.name])).toEqual([
      ['estate', 'The estate'],
      ['other', 'other'],
    ]);
    expect(sites[0]?.buildings.map((b) => [b.name, b.devices])).toEqual([
      ['Tower 2', ['lift-2']],
      ['Tower 1', ['pump-1', 'lift-1', 'meter-1']],
      [null, ['stray']],
    ]);
    expect(store.device('pump-1')?.building).toEqual({ id: 'b1', name: 'Tower 1' });
  });

  it('keeps a sparkline history of the key points only', () => {
    const { frames, frame } = manualFrames();
    const store = new LiveStore(frames);
    store.loadDevices([
      device('p1', {
        latest: { flow: { value: 1, ts: 0, quality: 'good' }, running: { value: 1, ts: 0, quality: 'good' } },
      }),
    ]);
    for (let s = 1; s <= 30; s += 1) {
      store.readingsUpdated({
        devices: [
          {
            device_id: 'p1',
            readings: [
              { point: 'flow', value: s, ts: s * 1000, quality: 'good' },
              { point: 'running', value: 1, ts: s * 1000, quality: 'good' },
            ],
          },
        ],
      });
      frame();
    }
    const flow = store.history.series('p1', 'flow', 30_000);
    // One sample per 5 s step: the last reading of each step.
    expect(flow.ts).toEqual([4000, 9000, 14_000, 19_000, 24_000, 29_000, 30_000]);
    expect(flow.values[flow.values.length - 1]).toBe(30);
    expect(store.history.series('p1', 'running', 30_000).ts).toEqual([]);
  });

  it('groups a building’s devices by room in the assets order, those in no room first', () => {
    const store = new LiveStore(manualFrames().frames);
    store.setAssets({
      sites: [
        {
          id: 'estate',
          name: 'The estate',
          buildings: [
            {
              id: 'b1',
              name: 'Tower 1',
              devices: ['water-1'],
              rooms: [
                { id: 'power', name: 'Power room', devices: ['meter-1'] },
                { id: 'pumps', name: 'Pump room', devices: ['pump-2', 'pump-1'] },
                { id: 'empty', devices: [] },
              ],
            },
          ],
        },
      ],
    });
    store.loadDevices([
      device('pump-1'),
      device('pump-2'),
      device('meter-1', { type: 'power_meter' }),
      device('water-1', { type: 'water_meter' }),
    ]);
    const [building] = store.layout().sites[0]?.buildings ?? [];
    expect(building?.rooms).toEqual([
      { id: null, name: null, devices: ['water-1'] },
      { id: 'power', name: 'Power room', devices: ['meter-1'] },
      { id: 'pumps', name: 'Pump room', devices: ['pump-1', 'pump-2'] },
    ]);
    expect(building?.devices).toEqual(['water-1', 'meter-1', 'pump-1', 'pump-2']);
    expect(store.device('pump-2')?.room).toEqual({ id: 'pumps', name: 'Pump room' });
    expect(store.device('water-1')?.room).toBeUndefined();
  });

  it('shows an acknowledgement the hub answered at once, without touching the tiles', () => {
    const store = new LiveStore(manualFrames().frames);
    store.loadDevices([device('lift-1', { type: 'elevator' })]);
    store.setAlarms([alarm(7, 'lift-1', { rule_id: 'elevator.passenger_trapped' })]);
    const tile = store.device('lift-1');
    let alarmsHeard = 0;
    store.subscribeAlarms(() => {
      alarmsHeard += 1;
    });
    const acknowledged = { by: 'tom', by_name: 'Tom', at: 5000, occurrence: 1 };
    store.updateAlarm(alarm(7, 'lift-1', { rule_id: 'elevator.passenger_trapped', acknowledged }));
    expect(store.alarms()[0]?.acknowledged).toEqual(acknowledged);
    expect(alarmsHeard).toBe(1);
    expect(store.device('lift-1')).toBe(tile);
    // An alarm the list no longer holds is not brought back.
    store.updateAlarm(alarm(8, 'lift-1'));
    expect(store.alarms().map((a) => a.id)).toEqual([7]);
  });

  it('fills a tile’s sparklines from the store once per point, a few requests at a time', async () => {
    const store = new LiveStore(manualFrames().frames, () => 600_000);
    store.loadDevices([device('p1'), device('p2'), device('p3')]);
    const asked: string[] = [];
    const answers: Array<() => void> = [];
    store.historyLoader = (dev, point, from, to) => {
      asked.push(`${dev}/${point}/${from}-${to}`);
      return new Promise((resolve) =>
        answers.push(() => resolve({ ts: [from + 10_000, from + 20_000], values: [1, 2] })),
      );
    };
    let p1Heard = 0;
    store.subscribeDevice('p1', () => {
      p1Heard += 1;
    });
    store.prefillHistory('p1', ['flow', 'vibration']);
    store.prefillHistory('p1', ['flow']);
    store.prefillHistory('p2', ['flow', 'vibration']);
    store.prefillHistory('p3', ['flow']);
    // At most four in flight; a point is asked for once.
    expect(asked).toEqual([
      'p1/flow/0-600000',
      'p1/vibration/0-600000',
      'p2/flow/0-600000',
      'p2/vibration/0-600000',
    ]);
    answers.shift()?.();
    await new Promise((r) => setTimeout(r, 0));
    expect(asked).toHaveLength(5);
    // The store's samples go before the one the snapshot brought (flow 10 at ts 100).
    expect(store.history.series('p1', 'flow', 600_000)).toEqual({
      ts: [100, 10_000, 20_000],
      values: [10, 1, 2],
    });
    expect(p1Heard).toBe(1);
  });
});

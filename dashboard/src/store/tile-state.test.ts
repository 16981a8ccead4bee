import type { AlarmSummary } from '@caretaker/protocol';
import { describe, expect, it } from 'vitest';
import { trappedBanner } from './tile-state.js';

function trapped(id: number, overrides: Partial<AlarmSummary> = {}): AlarmSummary {
  return {
    id,
    incident_key: `estate/lift-${id}/elevator.passenger_trapped`,
    site: 'estate',
    device: `lift-${id}`,
    gateway: 'gw-1',
    rule_id: 'elevator.passenger_trapped',
    title: 'Passenger trapped',
    state: 'active',
    severity: 'critical',
    first_raised_at: 1000,
    raised_at: 1000,
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

const ack = { by: 'tom', by_name: 'Tom', at: 2000, occurrence: 1 };

describe('trappedBanner', () => {
  it.each([
    ['active, nobody acknowledged', [trapped(1)], [1], true],
    ['active, acknowledged: shown, silent', [trapped(1, { acknowledged: ack })], [1], false],
    ['cleared before anybody acknowledged: still ringing', [trapped(1, { state: 'cleared' })], [1], true],
    ['cleared and acknowledged: gone', [trapped(1, { state: 'cleared', acknowledged: ack })], [], false],
    [
      'another alarm of the lift: not the banner’s',
      [trapped(1, { rule_id: 'elevator.overload' })],
      [],
      false,
    ],
    [
      'one of two acknowledged: both shown, ringing for the other',
      [trapped(1, { acknowledged: ack }), trapped(2, { state: 'clearing' })],
      [1, 2],
      true,
    ],
  ])('%s', (_case, alarms, shown, ringing) => {
    const banner = trappedBanner(alarms);
    expect(banner.shown.map((a) => a.id)).toEqual(shown);
    expect(banner.ringing).toBe(ringing);
  });
});

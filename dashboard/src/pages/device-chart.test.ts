import type { AlarmSummary, RuleSummary } from '@caretaker/protocol';
import { describe, expect, it } from 'vitest';
import { supportedLanguage } from '../i18n/i18n.js';
import { alarmPeriods, appendLive, bucketsToColumns, thresholds } from './device-chart.js';

const base: AlarmSummary = {
  id: 1,
  incident_key: 'e/pump-1/pump.low_pressure_running',
  site: 'e',
  device: 'pump-1',
  gateway: 'gw',
  rule_id: 'pump.low_pressure_running',
  title: 'Low pressure',
  state: 'active',
  severity: 'major',
  first_raised_at: 1000,
  raised_at: 1000,
  clearing_since: null,
  cleared_at: null,
  occurrences: 1,
  flapping: 0,
  root_alarm_id: null,
  silenced: null,
  acknowledged: null,
  detail: {
    rule: {
      id: 'pump.low_pressure_running',
      title: 'Low pressure',
      severity: 'major',
      when: [
        { point: 'running', op: '==', value: 1 },
        { point: 'outlet_pressure', op: '<', value: 1.5, clear: 1.8 },
      ],
    },
  },
};

describe('device charts', () => {
  it('turns store buckets into uPlot columns in seconds, empty buckets as gaps', () => {
    expect(
      bucketsToColumns([
        { ts: 60_000, mean: 2, min: 1, max: 3, count: 4 },
        { ts: 120_000, mean: 0, min: 0, max: 0, count: 0 },
      ]),
    ).toEqual([
      [60, 120],
      [2, null],
      [1, null],
      [3, null],
    ]);
  });

  it('appends newer live readings and drops what left the range', () => {
    const columns = bucketsToColumns([
      { ts: 1000, mean: 1, min: 1, max: 1, count: 1 },
      { ts: 2000, mean: 2, min: 2, max: 2, count: 1 },
    ]);
    expect(appendLive(columns, 2000, 9, 0)).toBe(columns);
    expect(appendLive(columns, 3000, 3, 1500)).toEqual([
      [2, 3],
      [2, 3],
      [2, 3],
      [2, 3],
    ]);
  });

  it('shades each alarm of the device from its raise to its clear (or now)', () => {
    const alarms = [
      base,
      { ...base, id: 2, raised_at: 5000, state: 'cleared' as const, cleared_at: 7000 },
      { ...base, id: 3, device: 'pump-2' },
    ];
    expect(alarmPeriods(alarms, 'pump-1', 9000)).toEqual([
      [1000, 9000],
      [5000, 7000],
    ]);
  });

  it('draws the raise and clear limits a rule put on the point', () => {
    expect(thresholds([base], 'pump-1', 'outlet_pressure')).toEqual([1.5, 1.8]);
    // State bits (==) are not limits on a chart.
    expect(thresholds([base], 'pump-1', 'running')).toEqual([]);
    expect(thresholds([base], 'pump-2', 'outlet_pressure')).toEqual([]);
  });

  it('draws every limit the device type’s rules put on the point, with no alarm raised', () => {
    const rules: RuleSummary[] = [
      {
        id: 'pump.bearing_temp_high',
        device_type: 'pump',
        title: 'Bearing hot',
        severity: 'warning',
        problem_type: 'pump_bearing',
        when: [{ point: 'bearing_temp', op: '>', value: 80, clear: 75 }],
        escalate: [{ severity: 'critical', when: [{ point: 'bearing_temp', op: '>', value: 95 }] }],
      },
      {
        id: 'pump.bearing_temp_trend',
        device_type: 'pump',
        title: 'Bearing heating',
        severity: 'warning',
        problem_type: 'pump_bearing',
        trend: {
          point: 'bearing_temp',
          direction: 'rising',
          limit: 80,
          window_ms: 600_000,
          horizon_ms: 900_000,
        },
        escalate: [],
      },
      {
        id: 'pump.dry_run',
        device_type: 'pump',
        title: 'Dry run',
        severity: 'major',
        problem_type: 'pump_fault',
        when: [
          { point: 'running', op: '==', value: 1 },
          { expr: 'outlet_pressure - inlet_pressure', op: '<', value: 0.2 },
          { point: 'flow', op: '<', value: 1 },
        ],
        escalate: [],
      },
    ];
    // Raise 80, hysteresis 75, escalation 95; the trend's 80 once; in order.
    expect(thresholds([], 'pump-1', 'bearing_temp', rules)).toEqual([75, 80, 95]);
    expect(thresholds([], 'pump-1', 'flow', rules)).toEqual([1]);
    // A state bit and an expression draw nothing; a point no rule reads neither.
    expect(thresholds([], 'pump-1', 'running', rules)).toEqual([]);
    expect(thresholds([], 'pump-1', 'outlet_pressure', rules)).toEqual([]);
    // An alarm's limits join the rules'.
    expect(thresholds([base], 'pump-1', 'outlet_pressure', rules)).toEqual([1.5, 1.8]);
  });

  it('maps any Chinese browser language to zh-CN and anything else to English', () => {
    expect(['zh', 'zh-TW', 'zh-CN', 'en-GB', 'de'].map(supportedLanguage)).toEqual([
      'zh-CN',
      'zh-CN',
      'zh-CN',
      'en',
      'en',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import type { PointValue } from '../models/model.js';
import { mean, standardDeviation } from '../testing/series.js';
import { num, twins } from '../testing/twins.js';
import { FAULT_CATALOGUE, FAULT_KINDS } from './catalogue.js';
import { faultIntensity, onsetShape } from './onset.js';

type Values = Record<string, PointValue>;

/** Samples of both twins in a window, as numbers. */
function collect(
  twin: ReturnType<typeof twins>,
  ms: number,
  point: string,
  keep: (h: Values, f: Values) => boolean = () => true,
): { healthy: number[]; faulty: number[] } {
  const out = { healthy: [] as number[], faulty: [] as number[] };
  twin.run(ms, (h, f) => {
    if (!keep(h, f)) return;
    out.healthy.push(num(h, point));
    out.faulty.push(num(f, point));
  });
  return out;
}

const bothRunning = (h: Values, f: Values) => h.running === true && f.running === true;

describe('onset curves', () => {
  it('step is full at once, ramp is linear, accelerating creeps then climbs', () => {
    expect(onsetShape('step', 0)).toBe(1);
    expect(onsetShape('ramp', 0.5)).toBe(0.5);
    expect(onsetShape('accelerating', 0)).toBe(0);
    expect(onsetShape('accelerating', 0.5)).toBeLessThan(0.15);
    expect(onsetShape('accelerating', 0.75)).toBeLessThan(0.4);
    expect(onsetShape('accelerating', 1)).toBeCloseTo(1, 12);
  });

  it('is 0 before the start and after the end, and scaled by severity in between', () => {
    const timing = { startMs: 1000, endMs: 3000, onset: 'ramp' as const, onsetMs: 1000, severity: 0.5 };
    expect(faultIntensity(timing, 999)).toBe(0);
    expect(faultIntensity(timing, 1500)).toBeCloseTo(0.25, 12);
    expect(faultIntensity(timing, 2500)).toBe(0.5);
    expect(faultIntensity(timing, 3000)).toBe(0);
  });
});

describe('the catalogue', () => {
  it('defines every kind the issue lists, once', () => {
    expect([...FAULT_CATALOGUE.keys()].sort()).toEqual([...FAULT_KINDS].sort());
  });
});

describe('pump faults', () => {
  it('bearing_wear: vibration and bearing temperature creep, then accelerate', () => {
    // Two hours of scenario time in two real minutes.
    const twin = twins('booster_pump', { timeFactor: 60 });
    const before = collect(twin, 20_000, 'vibration', bothRunning);
    expect(before.faulty).toEqual(before.healthy);
    twin.estate.inject({ device: 'faulty', kind: 'bearing_wear', onset_time: '2h', onset: 'accelerating' });
    const vibrationRise: number[] = [];
    const tempRise: number[] = [];
    for (let quarter = 0; quarter < 4; quarter++) {
      const v = collect(twin, 30_000, 'vibration', bothRunning);
      vibrationRise.push(mean(v.faulty.slice(-10)) - mean(v.healthy.slice(-10)));
      const b = collect(twin, 500, 'bearing_temp');
      tempRise.push(mean(b.faulty) - mean(b.healthy));
    }
    // Creeping first: after half the onset time less than a fifth of the final rise.
    expect(vibrationRise[1]).toBeLessThan((vibrationRise[3] ?? 0) / 5);
    expect(vibrationRise[3]).toBeGreaterThan(5);
    for (let i = 1; i < 4; i++) expect(tempRise[i]).toBeGreaterThan((tempRise[i - 1] ?? 0) - 0.05);
    expect(tempRise[3]).toBeGreaterThan(10);
  });

  it('cavitation: inlet pressure falls, pressure ripples, vibration up, flow down', () => {
    const twin = twins('booster_pump');
    twin.estate.inject({ device: 'faulty', kind: 'cavitation', severity: 1 });
    const inlet = collect(twin, 20_000, 'inlet_pressure', bothRunning);
    expect(mean(inlet.faulty)).toBeLessThan(mean(inlet.healthy) - 0.8);
    const outlet = collect(twin, 20_000, 'outlet_pressure', bothRunning);
    expect(standardDeviation(outlet.faulty)).toBeGreaterThan(2 * standardDeviation(outlet.healthy));
    const vibration = collect(twin, 20_000, 'vibration', bothRunning);
    expect(mean(vibration.faulty)).toBeGreaterThan(mean(vibration.healthy) + 2.5);
    const flow = collect(twin, 20_000, 'flow', bothRunning);
    expect(mean(flow.faulty)).toBeLessThan(mean(flow.healthy) * 0.85);
  });

  it('clogging: current up while flow goes down', () => {
    const twin = twins('booster_pump');
    twin.estate.inject({ device: 'faulty', kind: 'clogging', severity: 0.8 });
    const current = collect(twin, 30_000, 'motor_current', bothRunning);
    expect(mean(current.faulty)).toBeGreaterThan(mean(current.healthy) * 1.05);
    const flow = collect(twin, 30_000, 'flow', bothRunning);
    expect(mean(flow.faulty)).toBeLessThan(mean(flow.healthy) * 0.8);
  });

  it('dry_running: running with no flow, current at no-load, bearing heating', () => {
    const twin = twins('booster_pump');
    twin.estate.inject({ device: 'faulty', kind: 'dry_running' });
    const flow = collect(twin, 20_000, 'flow', bothRunning);
    expect(Math.max(...flow.faulty)).toBeLessThan(5);
    const current = collect(twin, 5_000, 'motor_current', bothRunning);
    expect(mean(current.faulty)).toBeLessThan(mean(current.healthy) * 0.6);
    const temp = collect(twin, 5_000, 'bearing_temp');
    expect(mean(temp.faulty)).toBeGreaterThan(mean(temp.healthy) + 10);
  });

  it('seal_leak: extra flow, the leak alarm from severity 0.5, no rest at night', () => {
    // Start at 02:00: the healthy pump rests on its pressure tank, the leaking one cannot.
    const twin = twins('booster_pump', { startHour: 2 });
    twin.estate.inject({ device: 'faulty', kind: 'seal_leak', severity: 1 });
    const running = { healthy: 0, faulty: 0 };
    twin.run(30_000, (h, f) => {
      if (h.running) running.healthy += 1;
      if (f.running) running.faulty += 1;
      expect(f.leak_alarm).toBe(true);
      expect(h.leak_alarm).toBe(false);
    });
    expect(running.healthy).toBe(0);
    expect(running.faulty).toBeGreaterThan(40);
  });

  it('motor_trip: stopped, fault bit set; it runs again once cleared', () => {
    const twin = twins('booster_pump');
    const fault = twin.estate.inject({ device: 'faulty', kind: 'motor_trip' });
    twin.run(1_000);
    expect(twin.faulty.values()).toMatchObject({ running: false, fault: true, flow: 0, motor_current: 0 });
    twin.estate.clear(fault.id);
    twin.run(25_000);
    expect(twin.faulty.values()).toMatchObject({ running: true, fault: false });
  });

  it('stuck_running shows on the building meter at night', () => {
    const twin = twins('power_meter', { startHour: 2, withKinds: ['booster_pump'] });
    twin.estate.inject({ device: 'faulty-booster_pump-0', kind: 'stuck_running' });
    const power = collect(twin, 20_000, 'active_power');
    expect(twin.estate.device('faulty-booster_pump-0')?.values().running).toBe(true);
    expect(twin.estate.device('healthy-booster_pump-0')?.values().running).toBe(false);
    // The pump's few kW at night flow show in the building total.
    expect(mean(power.faulty) - mean(power.healthy)).toBeGreaterThan(4);
  });
});

describe('lift faults', () => {
  it('door_operator_wear: door closing time lengthens', () => {
    const twin = twins('elevator', { timeFactor: 60 });
    twin.estate.inject({ device: 'faulty', kind: 'door_operator_wear', onset: 'ramp', onset_time: '1h' });
    const first = collect(twin, 60_000, 'door_close_time');
    const second = collect(twin, 120_000, 'door_close_time');
    expect(mean(second.faulty.slice(-100))).toBeGreaterThan(5.5);
    expect(mean(second.healthy)).toBeLessThan(3.3);
    expect(mean(second.faulty)).toBeGreaterThan(mean(first.faulty));
  });

  it('levelling_drift: the car stops further from floor level', () => {
    const twin = twins('elevator');
    twin.estate.inject({ device: 'faulty', kind: 'levelling_drift' });
    twin.run(5_000);
    const error = collect(twin, 120_000, 'levelling_error');
    expect(mean(error.faulty)).toBeGreaterThan(8);
    expect(Math.abs(mean(error.healthy))).toBeLessThan(3);
  });

  it('passenger_trapped: stopped between floors, doors closed, alarm; rescued when cleared', () => {
    const twin = twins('elevator');
    twin.run(5_000);
    const fault = twin.estate.inject({ device: 'faulty', kind: 'passenger_trapped' });
    let trappedAt: Values | undefined;
    twin.run(60_000, (_, f) => {
      if (!trappedAt && f.alarm === true) trappedAt = f;
    });
    const now = twin.faulty.values();
    expect(trappedAt).toBeDefined();
    expect(now).toMatchObject({ alarm: true, speed: 0, direction: 0, door_state: 0 });
    const position = num(now, 'car_position');
    expect(Math.abs(position - Math.round(position))).toBeGreaterThan(0.15);
    expect(num(now, 'load')).toBeGreaterThan(0);
    // Still there a minute later.
    twin.run(60_000);
    expect(num(twin.faulty.values(), 'car_position')).toBe(position);
    twin.estate.clear(fault.id);
    twin.run(20_000);
    const after = twin.faulty.values();
    expect(after.alarm).toBe(false);
    expect(Number.isInteger(Math.round(num(after, 'car_position') * 1e6) / 1e6)).toBe(true);
  });

  it('overload: load above rated, doors held open, alarm', () => {
    const twin = twins('elevator');
    twin.estate.inject({ device: 'faulty', kind: 'overload' });
    let seen: Values | undefined;
    twin.run(120_000, (_, f) => {
      if (!seen && num(f, 'load') > 1000) seen = f;
    });
    expect(seen).toMatchObject({ alarm: true, door_state: 2 });
    const held = twin.faulty.values();
    expect(held).toMatchObject({ door_state: 2, alarm: true, direction: 0 });
  });
});

describe('power room faults', () => {
  it('phase_imbalance: L1 current up against L2 and L3', () => {
    const twin = twins('power_meter');
    twin.estate.inject({ device: 'faulty', kind: 'phase_imbalance' });
    const l1 = collect(twin, 10_000, 'current_l1');
    const l2 = collect(twin, 10_000, 'current_l2');
    expect(mean(l1.faulty) / mean(l2.faulty)).toBeGreaterThan(1.6);
    expect(mean(l1.healthy) / mean(l2.healthy)).toBeLessThan(1.3);
  });

  it('voltage_sag: every phase down by about the severity', () => {
    const twin = twins('power_meter');
    twin.estate.inject({ device: 'faulty', kind: 'voltage_sag', severity: 0.5 });
    for (const phase of ['voltage_l1', 'voltage_l2', 'voltage_l3']) {
      const v = collect(twin, 2_000, phase);
      expect(mean(v.faulty) / mean(v.healthy)).toBeGreaterThan(0.8);
      expect(mean(v.faulty) / mean(v.healthy)).toBeLessThan(0.9);
    }
  });

  it('overload: power beyond the transformer rating, transformer heating up', () => {
    const twin = twins('power_meter');
    twin.estate.inject({ device: 'faulty', kind: 'overload' });
    const power = collect(twin, 2_000, 'active_power');
    expect(mean(power.faulty) - mean(power.healthy)).toBeGreaterThan(200);
    const early = num(twin.faulty.values(), 'transformer_temp');
    twin.run(60_000);
    expect(num(twin.faulty.values(), 'transformer_temp')).toBeGreaterThan(early + 5);
  });

  it.each([
    ['power_meter', 'active_power', 30],
    ['water_meter', 'flow_rate', 1.2],
    ['gas_meter', 'flow_rate', 2.5],
  ] as const)('abnormal_night_consumption on a %s: %s far above the usual', (kind, point, extra) => {
    const twin = twins(kind, { startHour: 3 });
    twin.estate.inject({ device: 'faulty', kind: 'abnormal_night_consumption' });
    const values = collect(twin, 10_000, point);
    expect(mean(values.faulty) - mean(values.healthy)).toBeGreaterThan(extra);
  });
});

describe('sensor faults', () => {
  it('sensor_stuck: the point freezes while the process goes on', () => {
    const twin = twins('power_meter');
    twin.run(1_000);
    twin.estate.inject({ device: 'faulty', kind: 'sensor_stuck', point: 'active_power' });
    const power = collect(twin, 10_000, 'active_power');
    expect(new Set(power.faulty).size).toBe(1);
    expect(new Set(power.healthy).size).toBeGreaterThan(10);
    // Only that point: the others still move.
    expect(twin.faulty.values().current_l1).toBe(twin.healthy.values().current_l1);
  });

  it('sensor_spikes: isolated samples far from the twin', () => {
    const twin = twins('power_meter');
    twin.estate.inject({ device: 'faulty', kind: 'sensor_spikes', point: 'voltage_l1', severity: 0.5 });
    const v = collect(twin, 60_000, 'voltage_l1');
    const spikes = v.faulty.filter((x, i) => Math.abs(x - (v.healthy[i] ?? 0)) > 100).length;
    expect(spikes).toBeGreaterThan(5);
    expect(spikes).toBeLessThan(v.faulty.length / 2);
  });

  it('sensor_dropout: invalid readings (NaN), all of them at severity 1', () => {
    const twin = twins('booster_pump');
    const fault = twin.estate.inject({ device: 'faulty', kind: 'sensor_dropout', point: 'outlet_pressure' });
    const p = collect(twin, 5_000, 'outlet_pressure');
    expect(p.faulty.every(Number.isNaN)).toBe(true);
    expect(p.healthy.some(Number.isNaN)).toBe(false);
    twin.estate.clear(fault.id);
    twin.run(500);
    expect(Number.isNaN(num(twin.faulty.values(), 'outlet_pressure'))).toBe(false);
  });
});

describe('communication faults', () => {
  it('no_response, slow_response and modbus_exception change how the device answers', () => {
    const twin = twins('booster_pump');
    expect(twin.faulty.comm(twin.now())).toEqual({ respond: true, delayMs: 0, exceptionCode: null });
    const silent = twin.estate.inject({ device: 'faulty', kind: 'no_response' });
    expect(twin.faulty.comm(twin.now()).respond).toBe(false);
    twin.estate.clear(silent.id);
    twin.estate.inject({ device: 'faulty', kind: 'slow_response', delay_ms: 800 });
    const slow = twin.faulty.comm(twin.now());
    expect(slow.delayMs).toBeGreaterThan(700);
    expect(slow.delayMs).toBeLessThan(900);
    twin.estate.inject({ device: 'faulty', kind: 'modbus_exception', exception_code: 6 });
    expect(twin.faulty.comm(twin.now()).exceptionCode).toBe(6);
    expect(twin.healthy.comm(twin.now())).toEqual({ respond: true, delayMs: 0, exceptionCode: null });
  });

  it('severity is the share of requests affected', () => {
    const twin = twins('booster_pump');
    twin.estate.inject({ device: 'faulty', kind: 'no_response', severity: 0.3 });
    let silent = 0;
    for (let i = 0; i < 1000; i++) if (!twin.faulty.comm(twin.now()).respond) silent += 1;
    expect(silent).toBeGreaterThan(230);
    expect(silent).toBeLessThan(370);
  });
});

describe('fault requests', () => {
  it.each([
    [{ device: 'faulty', kind: 'bearing_wear', severity: 2 }, /^severity: /],
    [{ device: 'faulty', kind: 'melting' }, /^kind: /],
    [
      { device: 'faulty', kind: 'door_operator_wear' },
      /^kind: door_operator_wear does not apply to faulty, a pump/,
    ],
    [{ device: 'faulty', kind: 'sensor_stuck' }, /^point: sensor_stuck needs the point/],
    [
      { device: 'faulty', kind: 'sensor_stuck', point: 'running' },
      /^point: faulty has no numeric point running/,
    ],
    [{ device: 'faulty', kind: 'bearing_wear', duration: '10' }, /^duration: must be a duration/],
    [{ device: 'faulty', kind: 'bearing_wear', colour: 'red' }, /colour/],
    [{ device: 'nope', kind: 'bearing_wear' }, /^device: no device nope/],
  ])('rejects %o naming the field', (body, message) => {
    const twin = twins('booster_pump');
    expect(() => twin.estate.inject(body)).toThrow(message);
  });

  it('schedules a fault that starts later, and cancels it if cleared before it starts', () => {
    const twin = twins('booster_pump');
    const later = twin.estate.inject({ device: 'faulty', kind: 'motor_trip', start: '10s', duration: '5s' });
    expect(later.state).toBe('scheduled');
    twin.run(10_500);
    expect(twin.estate.fault(later.id)?.state).toBe('active');
    expect(twin.faulty.values().fault).toBe(true);
    twin.run(5_000);
    expect(twin.estate.fault(later.id)?.state).toBe('ended');
    expect(twin.faulty.values().fault).toBe(false);
    const cancelled = twin.estate.inject({ device: 'faulty', kind: 'motor_trip', start: '10s' });
    expect(twin.estate.clear(cancelled.id).state).toBe('ended');
    twin.run(15_000);
    expect(twin.faulty.values().fault).toBe(false);
  });

  it('refuses Modbus-only faults on an OPC UA device', () => {
    const twin = twins('elevator');
    expect(() => twin.estate.inject({ device: 'faulty', kind: 'modbus_exception' })).toThrow(
      /^kind: modbus_exception is not played over opcua/,
    );
  });
});

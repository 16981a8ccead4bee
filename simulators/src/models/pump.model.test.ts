import { describe, expect, it } from 'vitest';
import { lag1Autocorrelation, pearson, standardDeviation } from '../testing/series.js';
import { PumpModel, pumpOperatingPoint } from './pump.model.js';

const START = Date.UTC(2026, 0, 5);
const TICK_MS = 500;

/** Runs the model on the default compressed day and samples every tick. */
function run(minutes: number, seed = 1): Array<Record<string, number | boolean>> {
  const model = new PumpModel({ startMs: START, seed });
  const samples: Array<Record<string, number | boolean>> = [];
  for (let t = START + TICK_MS; t <= START + minutes * 60_000; t += TICK_MS) {
    model.step(t);
    samples.push(model.values());
  }
  return samples;
}

function series(samples: Array<Record<string, number | boolean>>, name: string): number[] {
  return samples.map((s) => Number(s[name]));
}

describe('pumpOperatingPoint', () => {
  const flows = [0, 10, 20, 30, 40, 50, 60, 70];
  const points = flows.map((flow) => pumpOperatingPoint(flow));

  it('draws more current and power as the flow rises', () => {
    for (let i = 1; i < points.length; i++) {
      expect(points[i]?.currentA).toBeGreaterThan(points[i - 1]?.currentA ?? Number.POSITIVE_INFINITY);
      expect(points[i]?.electricalKw).toBeGreaterThan(
        points[i - 1]?.electricalKw ?? Number.POSITIVE_INFINITY,
      );
    }
  });

  it('delivers less pressure as the flow rises, as on a pump curve', () => {
    for (let i = 1; i < points.length; i++) {
      expect(points[i]?.differentialBar).toBeLessThan(points[i - 1]?.differentialBar ?? 0);
    }
  });

  it('stays within the ratings of an 11 kW motor', () => {
    for (const point of points) {
      expect(point.currentA).toBeGreaterThan(8);
      expect(point.currentA).toBeLessThan(21);
      expect(point.powerFactor).toBeGreaterThan(0.7);
      expect(point.powerFactor).toBeLessThanOrEqual(0.86);
      expect(point.speedRpm).toBeGreaterThan(2900);
    }
  });
});

describe('PumpModel', () => {
  // Twenty minutes on the default ten-minute day: two full demand cycles.
  const samples = run(20);
  const running = samples.filter((s) => s.running === true);

  it('runs most of the day and stops in the night trough', () => {
    expect(running.length).toBeGreaterThan(samples.length * 0.5);
    expect(running.length).toBeLessThan(samples.length);
    for (const s of samples.filter((x) => x.running === false)) {
      expect(s.flow).toBe(0);
      expect(s.motor_current).toBe(0);
    }
  });

  it('moves its motor current with the flow', () => {
    expect(pearson(series(running, 'flow'), series(running, 'motor_current'))).toBeGreaterThan(0.95);
    expect(pearson(series(running, 'flow'), series(running, 'outlet_pressure'))).toBeLessThan(-0.9);
  });

  it.each(['flow', 'motor_current', 'outlet_pressure', 'vibration', 'bearing_temp'])(
    '%s varies smoothly, neither constant nor white noise',
    (name) => {
      const xs = series(running, name);
      expect(standardDeviation(xs)).toBeGreaterThan(0.01);
      expect(lag1Autocorrelation(xs)).toBeGreaterThan(0.8);
    },
  );

  it('keeps the values in plausible ranges', () => {
    for (const s of running) {
      expect(s.flow).toBeGreaterThan(5);
      expect(s.flow).toBeLessThan(90);
      expect(s.outlet_pressure).toBeGreaterThan(3);
      expect(s.outlet_pressure).toBeLessThan(8);
      expect(s.vibration).toBeLessThan(4.5);
      expect(s.bearing_temp).toBeGreaterThan(25);
      expect(s.bearing_temp).toBeLessThan(75);
    }
  });

  it('counts running hours only while running, in real time', () => {
    const hours = series(samples, 'running_hours');
    for (let i = 1; i < samples.length; i++) {
      const delta = (hours[i] ?? 0) - (hours[i - 1] ?? 0);
      // The interval counts if the pump was running when it began.
      if (samples[i - 1]?.running === true) expect(delta).toBeCloseTo(TICK_MS / 3_600_000, 9);
      else expect(delta).toBe(0);
    }
  });

  it('warms its bearing gradually after a start (thermal inertia)', () => {
    const startIndex = samples.findIndex(
      (s, i) => i > 0 && s.running === true && samples[i - 1]?.running === false,
    );
    expect(startIndex).toBeGreaterThan(0);
    const temps = series(samples.slice(startIndex, startIndex + 40), 'bearing_temp');
    const first = temps[0] ?? 0;
    const last = temps.at(-1) ?? 0;
    expect(last).toBeGreaterThan(first + 3);
    // No single tick jumps most of the way: the housing heats up over many ticks.
    for (let i = 1; i < temps.length; i++) {
      expect((temps[i] ?? 0) - (temps[i - 1] ?? 0)).toBeLessThan((last - first) / 2);
    }
  });

  it('trips on a fault: stopped, fault flag set', () => {
    const model = new PumpModel({ startMs: START, seed: 7 });
    model.step(START + 1_000);
    model.setFault(true);
    model.step(START + 2_000);
    expect(model.values()).toMatchObject({ running: false, fault: true, flow: 0, motor_current: 0 });
    expect(model.electricalLoad().activeKw).toBe(0);
  });

  it('gives the same values for the same seed and clock', () => {
    expect(run(1, 42)).toEqual(run(1, 42));
    expect(run(1, 42)).not.toEqual(run(1, 43));
  });

  it('ignores a clock that goes backwards', () => {
    const model = new PumpModel({ startMs: START });
    model.step(START + 10_000);
    const before = model.values();
    model.step(START + 5_000);
    expect(model.values()).toEqual(before);
  });
});

describe('PumpModel as a sewage pump', () => {
  it('cycles between the level switches, emptying the sump while it runs', () => {
    const model = new PumpModel({ startMs: START, seed: 4, application: 'sewage' });
    let starts = 0;
    let wasRunning = false;
    let emptying = 0;
    let previousLevel = Number(model.values().sump_level);
    for (let t = START + TICK_MS; t <= START + 10 * 60_000; t += TICK_MS) {
      model.step(t);
      const v = model.values();
      const level = Number(v.sump_level);
      // The switches act at tick granularity: a 500 ms tick is 72 s of sump time on the default
      // compressed day, so the level overshoots the 0.3 m / 1.2 m switches by up to ~0.2 m.
      expect(level).toBeGreaterThanOrEqual(0.05);
      expect(level).toBeLessThanOrEqual(1.45);
      if (v.running === true && !wasRunning) starts += 1;
      if (v.running === true && level < previousLevel) emptying += 1;
      wasRunning = v.running === true;
      previousLevel = level;
    }
    expect(starts).toBeGreaterThan(3);
    expect(emptying).toBeGreaterThan(10);
    expect(Number(model.values().start_count)).toBe(41_200 + starts);
  });
});

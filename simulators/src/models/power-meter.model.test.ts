import { describe, expect, it } from 'vitest';
import { lag1Autocorrelation, standardDeviation } from '../testing/series.js';
import { ElevatorModel } from './elevator.model.js';
import type { ElectricalConsumer } from './model.js';
import { PowerMeterModel } from './power-meter.model.js';
import { PumpModel } from './pump.model.js';

const START = Date.UTC(2026, 0, 5);
const DAY_MS = 86_400_000;

describe('PowerMeterModel over a simulated day', () => {
  // A real-time day (not compressed), stepped every 10 s, with the pump and the lift on it.
  const pump = new PumpModel({ startMs: START, dayMs: DAY_MS });
  const lift = new ElevatorModel({ startMs: START, dayMs: DAY_MS });
  const meter = new PowerMeterModel({ startMs: START, dayMs: DAY_MS, feeders: [pump, lift] });
  const STEP_MS = 10_000;
  const samples: Array<Record<string, number | boolean>> = [meter.values()];
  for (let t = START + STEP_MS; t <= START + DAY_MS; t += STEP_MS) {
    pump.step(t);
    lift.step(t);
    meter.step(t);
    samples.push(meter.values());
  }
  const energy = samples.map((s) => Number(s.import_energy));
  const power = samples.map((s) => Number(s.active_power));

  it('never lets the import energy counter go backwards, and it grows', () => {
    for (let i = 1; i < energy.length; i++) {
      expect(energy[i]).toBeGreaterThanOrEqual(energy[i - 1] ?? Number.POSITIVE_INFINITY);
    }
    expect((energy.at(-1) ?? 0) - (energy[0] ?? 0)).toBeGreaterThan(500);
  });

  it('integrates its own active power over elapsed time', () => {
    let expectedKwh = 0;
    for (let i = 1; i < power.length; i++) {
      expectedKwh += (((power[i] ?? 0) + (power[i - 1] ?? 0)) / 2) * (STEP_MS / 3_600_000);
    }
    expect((energy.at(-1) ?? 0) - (energy[0] ?? 0)).toBeCloseTo(expectedKwh, 6);
  });

  it('peaks in the evening and idles at night', () => {
    const hourly = (hour: number) =>
      power.slice((hour * 3600_000) / STEP_MS, ((hour + 1) * 3600_000) / STEP_MS);
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(avg(hourly(19))).toBeGreaterThan(avg(hourly(3)) * 1.8);
  });

  it('keeps voltages, frequency and power factor where a healthy supply has them', () => {
    for (const s of samples) {
      for (const phase of ['voltage_l1', 'voltage_l2', 'voltage_l3']) {
        expect(s[phase]).toBeGreaterThan(222);
        expect(s[phase]).toBeLessThan(242);
      }
      expect(s.frequency).toBeGreaterThanOrEqual(49.8);
      expect(s.frequency).toBeLessThanOrEqual(50.2);
      expect(s.power_factor).toBeGreaterThan(0.85);
      expect(s.power_factor).toBeLessThanOrEqual(1);
      expect(s.transformer_temp).toBeGreaterThan(30);
      expect(s.transformer_temp).toBeLessThan(80);
    }
  });

  it('splits the load across the phases consistently with the total', () => {
    for (const s of samples.slice(0, 500)) {
      const phaseKva =
        (Number(s.voltage_l1) * Number(s.current_l1) +
          Number(s.voltage_l2) * Number(s.current_l2) +
          Number(s.voltage_l3) * Number(s.current_l3)) /
        1000;
      // Per-phase apparent powers add up to at least the total (equal when in phase).
      expect(phaseKva).toBeGreaterThanOrEqual(Number(s.apparent_power) * 0.999);
      expect(phaseKva).toBeLessThan(Number(s.apparent_power) * 1.02);
    }
  });
});

describe('PowerMeterModel at tick rate', () => {
  it.each(['active_power', 'voltage_l1', 'current_l2', 'frequency'])(
    '%s varies smoothly, neither constant nor white noise',
    (name) => {
      const meter = new PowerMeterModel({ startMs: START });
      const xs: number[] = [];
      for (let t = START + 500; t <= START + 20 * 60_000; t += 500) {
        meter.step(t);
        xs.push(Number(meter.values()[name]));
      }
      expect(standardDeviation(xs)).toBeGreaterThan(0.001);
      expect(lag1Autocorrelation(xs)).toBeGreaterThan(0.8);
    },
  );

  it('adds the feeders to the base load', () => {
    const feeder: ElectricalConsumer = { electricalLoad: () => ({ activeKw: 50, reactiveKvar: 0 }) };
    const without = new PowerMeterModel({ startMs: START, seed: 9 });
    const withFeeder = new PowerMeterModel({ startMs: START, seed: 9, feeders: [feeder] });
    without.step(START + 1_000);
    withFeeder.step(START + 1_000);
    expect(Number(withFeeder.values().active_power) - Number(without.values().active_power)).toBeCloseTo(
      50,
      6,
    );
  });
});

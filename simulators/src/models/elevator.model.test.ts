import { describe, expect, it } from 'vitest';
import { DOOR_STATE, ElevatorModel } from './elevator.model.js';

const START = Date.UTC(2026, 0, 5);
const TICK_MS = 500;

describe('ElevatorModel', () => {
  // One real hour at tick rate on the default ten-minute day: six traffic cycles.
  const model = new ElevatorModel({ startMs: START, seed: 5 });
  const samples: Array<Record<string, number | boolean>> = [];
  for (let t = START + TICK_MS; t <= START + 3_600_000; t += TICK_MS) {
    model.step(t);
    samples.push(model.values());
  }
  const num = (s: Record<string, number | boolean> | undefined, name: string) => Number(s?.[name]);

  it('keeps the car between the lowest and the top floor', () => {
    for (const s of samples) {
      expect(s.car_position).toBeGreaterThanOrEqual(1);
      expect(s.car_position).toBeLessThanOrEqual(model.floors);
    }
    const visited = new Set(samples.map((s) => Math.round(num(s, 'car_position'))));
    expect(visited.size).toBeGreaterThan(model.floors / 2);
  });

  it('reports fractional positions while moving and whole floors at rest', () => {
    expect(samples.some((s) => !Number.isInteger(num(s, 'car_position')))).toBe(true);
    for (const s of samples.filter((x) => x.direction === 0)) {
      const position = num(s, 'car_position');
      expect(Math.abs(position - Math.round(position))).toBeLessThan(1e-9);
    }
  });

  it('counts door cycles and trips up, never down', () => {
    for (let i = 1; i < samples.length; i++) {
      expect(num(samples[i], 'door_cycles')).toBeGreaterThanOrEqual(num(samples[i - 1], 'door_cycles'));
      expect(num(samples[i], 'trip_count')).toBeGreaterThanOrEqual(num(samples[i - 1], 'trip_count'));
    }
    const cycles = num(samples.at(-1), 'door_cycles') - num(samples[0], 'door_cycles');
    expect(cycles).toBeGreaterThan(20);
    expect(num(samples.at(-1), 'trip_count')).toBeGreaterThan(num(samples[0], 'trip_count'));
  });

  it('never moves with the doors open', () => {
    for (const s of samples) {
      if (s.door_state !== DOOR_STATE.closed) {
        expect(s.speed).toBe(0);
        expect(s.direction).toBe(0);
      }
    }
  });

  it('ramps its speed up to at most the rated speed', () => {
    const speeds = samples.map((s) => num(s, 'speed'));
    expect(Math.max(...speeds)).toBeLessThanOrEqual(1.75);
    expect(Math.max(...speeds)).toBeGreaterThan(1.5);
    // Acceleration and deceleration of 0.8 m/s2 change the speed by 0.4 m/s per 500 ms tick.
    for (let i = 1; i < speeds.length; i++) {
      expect(Math.abs((speeds[i] ?? 0) - (speeds[i - 1] ?? 0))).toBeLessThanOrEqual(0.4 + 1e-9);
    }
  });

  it('uses only the documented codes for direction and door state', () => {
    for (const s of samples) {
      expect([-1, 0, 1]).toContain(s.direction);
      expect([0, 1, 2, 3]).toContain(s.door_state);
    }
    const states = new Set(samples.map((s) => s.door_state));
    expect(states).toEqual(new Set([0, 1, 2, 3]));
  });

  it('draws more motor current while travelling than while parked', () => {
    const moving = samples.filter((s) => s.direction !== 0).map((s) => num(s, 'motor_current'));
    const parked = samples
      .filter((s) => s.direction === 0 && s.door_state === DOOR_STATE.closed)
      .map((s) => num(s, 'motor_current'));
    expect(Math.min(...moving)).toBeGreaterThan(Math.max(...parked));
  });

  it('reports a plausible door closing time and load', () => {
    for (const s of samples) {
      expect(s.door_close_time).toBeGreaterThanOrEqual(2.6);
      expect(s.door_close_time).toBeLessThanOrEqual(3.6);
      expect(s.load).toBeGreaterThanOrEqual(0);
      expect(s.load).toBeLessThanOrEqual(1000);
      expect(s.alarm).toBe(false);
    }
    expect(samples.some((s) => num(s, 'load') > 0)).toBe(true);
  });

  it('rejects a building with fewer than two floors', () => {
    expect(() => new ElevatorModel({ startMs: START, floors: 1 })).toThrow(/floors/);
  });
});

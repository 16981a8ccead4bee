import { describe, expect, it } from 'vitest';
import { lag1Autocorrelation, PcaMonitor, pcaMonitorStateSchema } from './pca-monitor.detector.js';

/** Deterministic noise (LCG) in [-0.5, 0.5). */
function noise(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/**
 * A pump at 1 reading/s: current and flow follow one hidden load, pressure follows flow,
 * temperature drifts slowly. `fault` changes the relation from a given second.
 */
function pump(n: number, fault?: { from: number; apply: (row: number[]) => void }) {
  const r = noise(7);
  const rows: number[][] = [];
  for (let i = 0; i < n; i += 1) {
    const load = 0.05 * Math.sin(i / 97) + r() * 0.4;
    const row = [10 + load + r() * 0.3, 50 + 5 * load + r() * 0.5, 3 + 0.3 * load + r() * 0.05, 60 + i / 200];
    if (fault && i >= fault.from) fault.apply(row);
    rows.push(row);
  }
  return rows;
}

function firstAlarm(rows: number[][], trainRows: number): number {
  const m = new PcaMonitor({ trainRows });
  return rows.findIndex((row, i) => m.update(i * 1000, row).active);
}

describe('PcaMonitor', () => {
  it.each([
    { name: 'normal running, temperature drifting: no alarm', fault: undefined, expectAlarm: false },
    {
      name: 'flow drops 6 % while current stays (a closed valve): alarm within a minute',
      fault: { from: 700, apply: (row: number[]) => ((row[1] as number) -= 3) },
      expectAlarm: true,
    },
    {
      name: 'current rises without more flow (clogging): alarm',
      fault: { from: 700, apply: (row: number[]) => ((row[0] as number) += 1) },
      expectAlarm: true,
    },
  ])('$name', ({ fault, expectAlarm }) => {
    const at = firstAlarm(pump(1200, fault), 400);
    if (expectAlarm) {
      expect(at).toBeGreaterThanOrEqual(700);
      expect(at).toBeLessThan(760);
    } else expect(at).toBe(-1);
  });

  it('never alarms while learning, even on wild data', () => {
    const m = new PcaMonitor({ trainRows: 50 });
    for (let i = 0; i < 49; i += 1) expect(m.update(i * 1000, [i % 2 ? 1000 : -1000, i]).active).toBe(false);
    expect(m.fitted).toBe(false);
    m.update(49_000, [0, 0]);
    expect(m.fitted).toBe(true);
  });

  it('classifies slow channels by lag-1 autocorrelation', () => {
    const r = noise(3);
    expect(lag1Autocorrelation(Array.from({ length: 300 }, (_, i) => i / 100 + r() * 0.01))).toBeGreaterThan(
      0.9,
    );
    expect(Math.abs(lag1Autocorrelation(Array.from({ length: 300 }, () => r())))).toBeLessThan(0.2);
  });
});

describe('PcaMonitor state', () => {
  /** Verdicts of a monitor over rows, from row `from` on. */
  const verdicts = (m: PcaMonitor, rows: number[][], from: number) =>
    rows.slice(from).map((row, k) => {
      const v = m.update((from + k) * 1000, row);
      return [v.active, v.score];
    });
  const fault = { from: 700, apply: (row: number[]) => ((row[1] as number) -= 3) };

  it.each([
    ['fitted', 500],
    ['still learning', 250],
  ])('exported %s and restored through JSON, it goes on exactly as if never stopped', (_name, cut) => {
    const rows = pump(1200, fault);
    const whole = new PcaMonitor({ trainRows: 400 });
    const first = new PcaMonitor({ trainRows: 400 });
    for (let i = 0; i < cut; i += 1) {
      whole.update(i * 1000, rows[i] as number[]);
      first.update(i * 1000, rows[i] as number[]);
    }
    const saved = pcaMonitorStateSchema.parse(JSON.parse(JSON.stringify(first.exportState())));
    const resumed = new PcaMonitor({ trainRows: 400 });
    resumed.restoreState(saved, 4);
    const expected = verdicts(whole, rows, cut);
    expect(verdicts(resumed, rows, cut)).toEqual(expected);
    // And the fault is caught, by the resumed monitor as by the uninterrupted one.
    expect(expected.some(([active]) => active)).toBe(true);
  });

  it('refuses a state of another shape, so its owner learns again', () => {
    const m = new PcaMonitor({ trainRows: 50 });
    for (const [i, row] of pump(60).entries()) m.update(i * 1000, row);
    const state = m.exportState();
    expect(() => new PcaMonitor({ trainRows: 50 }).restoreState(state, 3)).toThrow('not 3');
    expect(() => new PcaMonitor({ trainRows: 60 }).restoreState(state, 4)).toThrow('training rows');
  });
});

import { describe, expect, it } from 'vitest';
import { lag1Autocorrelation, mean } from '../testing/series.js';
import { UtilityMeterModel } from './utility-meter.model.js';

const START = Date.UTC(2026, 0, 5);
const DAY_MS = 10 * 60_000;

describe.each(['water', 'gas'] as const)('UtilityMeterModel (%s) over a compressed day', (medium) => {
  const model = new UtilityMeterModel({ startMs: START, medium, seed: 3 });
  const samples: Array<Record<string, number>> = [];
  for (let t = START + 500; t <= START + DAY_MS; t += 500) {
    model.step(t);
    samples.push(model.values() as Record<string, number>);
  }
  const flows = samples.map((s) => s.flow_rate ?? 0);
  const hour = (h: number) => flows.slice((h / 24) * flows.length, ((h + 1) / 24) * flows.length);

  it('never runs its volume counter backwards, and integrates its flow', () => {
    let expected = 0;
    for (let i = 1; i < samples.length; i++) {
      expect(samples[i]?.total_volume).toBeGreaterThanOrEqual(samples[i - 1]?.total_volume ?? 0);
      expected += (((flows[i] ?? 0) + (flows[i - 1] ?? 0)) / 2) * (500 / 3_600_000);
    }
    expect((samples.at(-1)?.total_volume ?? 0) - (samples[0]?.total_volume ?? 0)).toBeCloseTo(expected, 6);
  });

  it('follows the residential day: the evening far above the small hours', () => {
    expect(mean(hour(19))).toBeGreaterThan(3 * mean(hour(3)));
    expect(lag1Autocorrelation(flows)).toBeGreaterThan(0.8);
  });

  it('keeps the temperature of the medium plausible', () => {
    for (const s of samples) {
      expect(s.temperature).toBeGreaterThan(5);
      expect(s.temperature).toBeLessThan(25);
    }
  });
});

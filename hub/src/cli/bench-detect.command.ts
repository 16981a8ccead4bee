import { parseArgs } from 'node:util';
import { createRandom } from '@caretaker/protocol';
import { measureDetectionCost } from '../alarms/detection-cost.js';
import type { PointDetector } from '../detectors/detector.js';
import { createDeviceDetector } from '../detectors/device-detector.js';
import { EwmaBaselineDetector } from '../detectors/ewma-baseline.detector.js';
import { MadBaselineDetector } from '../detectors/mad-baseline.detector.js';
import { RateOfChangeDetector } from '../detectors/rate-of-change.detector.js';
import { SpikeDetector } from '../detectors/spike.detector.js';
import { StuckDetector } from '../detectors/stuck.detector.js';
import { ThresholdDetector } from '../detectors/threshold.detector.js';
import { TrendDetector } from '../detectors/trend.detector.js';

function time(n: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(n, 2000); i += 1) fn(i); // warm the JIT
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i += 1) fn(i);
  return Number(process.hrtime.bigint() - t0) / n;
}

/** `caretaker bench-detect`: prints ns per reading for each detector as JSON. */
export async function benchDetectCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { readings: { type: 'string', default: '200000' } } });
  const n = Number(values.readings);
  // Seeded so runs are comparable.
  const rand = createRandom(42).next;
  const point = (d: PointDetector) =>
    time(n, (i) => d.update(i * 1000, 50 + rand() + (i % 5000 > 4500 ? 5 : 0)));
  const dim = 8;
  const device = createDeviceDetector({ trainRows: 400 });
  const row = new Array<number>(dim).fill(0);
  const deviceNs = time(n, (i) => {
    for (let c = 0; c < dim; c += 1) row[c] = c * 10 + rand();
    device.update(i * 1000, row);
  });
  const live = await measureDetectionCost();
  const result = {
    readings: n,
    /** The hub's live detection: the shipped rule pack on a pump's polls (what ingest calls). */
    live_rule_pack: { ns_per_reading: live.ns_per_reading, pump_rules: live.rules },
    ns_per_reading: {
      device_multivariate_per_point: Number((deviceNs / dim).toFixed(1)),
      device_multivariate_per_row_of_8: Number(deviceNs.toFixed(1)),
      threshold: Number(
        point(new ThresholdDetector({ direction: 'high', raise: 54, clear: 53, raiseAfterMs: 5000 })).toFixed(
          1,
        ),
      ),
      rate_of_change: Number(
        point(new RateOfChangeDetector({ maxPerSecond: 1, windowMs: 10_000 })).toFixed(1),
      ),
      stuck: Number(point(new StuckDetector({ minDurationMs: 60_000, tolerance: 0 })).toFixed(1)),
      spike: Number(point(new SpikeDetector({ window: 31, k: 6 })).toFixed(1)),
      ewma_baseline: Number(
        point(new EwmaBaselineDetector({ timeConstantMs: 600_000, k: 5, warmup: 60 })).toFixed(1),
      ),
      mad_baseline: Number(point(new MadBaselineDetector({ window: 101, k: 5 })).toFixed(1)),
      trend: Number(
        point(
          new TrendDetector({
            limit: 80,
            direction: 'rising',
            windowMs: 60_000,
            horizonMs: 3_600_000,
            minPoints: 10,
          }),
        ).toFixed(1),
      ),
    },
  };
  out(`${JSON.stringify(result, null, 2)}\n`);
  return 0;
}

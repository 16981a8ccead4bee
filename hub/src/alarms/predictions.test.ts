import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TelemetryBatch } from '@caretaker/protocol';
import { createLogger } from '@caretaker/protocol/log';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openDatabase } from '../db/database.js';
import { WorkOrderService } from '../workorders/work-order.service.js';
import { AlarmEngine } from './alarm-engine.js';
import { parseRules } from './rules.js';

const log = createLogger('predictions-test');
log.level = 'silent';
const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);

/** The device page's "time to the limit" is the trend rule's own prediction, read from the engine. */
describe('AlarmEngine.predictions', () => {
  it('gives each trend rule’s time to its limit, counting down as readings arrive', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caretaker-predictions-'));
    const database = await openDatabase({ kind: 'sqlite', path: join(dir, 'caretaker.db') });
    const clock = { now: T0 };
    const engine = new AlarmEngine({
      db: database.db,
      orders: new WorkOrderService(database.db, () => clock.now),
      log,
      now: () => clock.now,
      rules: parseRules({
        rules: [
          {
            id: 'temp.trend',
            device_type: 'pump',
            title: 'Bearing temperature rising',
            problem_type: 'pump_bearing',
            severity: 'warning',
            trend: {
              point: 'temp',
              direction: 'rising',
              limit: 100,
              window: '1h',
              horizon: '2h',
              min_points: 5,
            },
            work_order: { when: 'never' },
          },
        ],
      }),
    });
    onTestFinished(async () => {
      await engine.stop();
      await database.close();
      await rm(dir, { recursive: true, force: true });
    });
    await engine.start();
    expect(engine.predictions('pump-1')).toBeUndefined();

    // 60 °C rising 10 °C an hour: the limit of 100 °C is 4 h after the last reading.
    let seq = 0;
    const send = (ts: number, temp: number) => {
      seq += 1;
      clock.now = ts;
      const batch: TelemetryBatch = {
        v: 1,
        ts,
        device: 'pump-1',
        device_type: 'pump',
        seq,
        readings: [{ point: 'temp', ts, value: temp, quality: 'good' }],
      };
      engine.onTelemetry({ site: 'site-a', gateway: 'gw-1', device: 'pump-1' }, batch);
    };
    for (let minute = 0; minute <= 60; minute += 1) send(T0 + minute * 60_000, 50 + minute / 6);
    const judged = engine.predictions('pump-1');
    expect(judged?.site).toBe('site-a');
    const [prediction] = judged?.predictions ?? [];
    expect(prediction).toMatchObject({
      rule_id: 'temp.trend',
      title: 'Bearing temperature rising',
      point: 'temp',
      limit: 100,
      direction: 'rising',
      horizon_ms: 7_200_000,
      at: T0 + 3_600_000,
    });
    expect(prediction?.time_to_limit_ms).toBeGreaterThan(3.9 * 3_600_000);
    expect(prediction?.time_to_limit_ms).toBeLessThan(4.1 * 3_600_000);
    expect(prediction?.slope_per_hour).toBeCloseTo(10, 3);

    // Falling back: no limit ahead.
    for (let minute = 61; minute <= 200; minute += 1) send(T0 + minute * 60_000, 60 - (minute - 60) / 6);
    expect(engine.predictions('pump-1')?.predictions[0]?.time_to_limit_ms).toBeNull();
  });
});

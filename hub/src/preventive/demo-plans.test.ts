import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_PLANS_FILE } from '../config.js';
import { openDatabase } from '../db/database.js';
import { WorkOrderService } from '../workorders/work-order.service.js';
import { PreventiveService, readPlansFile } from './preventive.service.js';

const dir = mkdtempSync(join(tmpdir(), 'caretaker-demo-plans-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('plans file', () => {
  it('loads the demo plans once, and the usage plans fire from the simulated counters', async () => {
    const database = await openDatabase({ kind: 'sqlite', path: join(dir, 'demo.db') });
    const clock = { now: Date.UTC(2026, 0, 7, 2) };
    // The simulators' counters at start: 13,140 running hours, 412,000 door cycles.
    const counters = new Map([
      ['b1-pump-2/running_hours', 13_140],
      ['b1-lift-2/door_cycles', 412_000],
    ]);
    const service = new PreventiveService({
      db: database.db,
      orders: new WorkOrderService(database.db, () => clock.now),
      now: () => clock.now,
      readCounter: (device, point) => counters.get(`${device}/${point}`) ?? null,
    });
    const { data, source } = await readPlansFile(DEMO_PLANS_FILE);
    expect(await service.applyPlans(data, source)).toEqual({ objects: 11, templates: 3, plans: 6 });
    expect(await service.applyPlans(data, source)).toEqual({ objects: 0, templates: 0, plans: 0 });
    clock.now += 1000;
    await service.tick(clock.now);
    const orders = await database.db
      .selectFrom('work_orders')
      .select(['title', 'device', 'assignee'])
      .execute();
    expect(orders).toEqual([
      {
        title: 'Booster pump 2, Tower 1, bearings every 2,000 running hours (#1)',
        device: 'b1-pump-2',
        assignee: 'tom',
      },
    ]);
    counters.set('b1-lift-2/door_cycles', 412_003);
    clock.now += 1000;
    await service.tick(clock.now);
    expect(await database.db.selectFrom('work_orders').select('device').execute()).toHaveLength(2);
    await database.close();
  });

  it('names the file and field of a mistake', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'plans:\n  - key: x\n    site: s\n    name: n\n    objects: [a]\n    schedule: { type: calendar, frequency: fortnightly }\n',
    );
    await expect(readPlansFile(file)).rejects.toThrow(`plans file ${file}: plans.0.schedule.frequency`);
  });
});

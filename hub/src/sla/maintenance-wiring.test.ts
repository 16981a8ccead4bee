import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@caretaker/protocol/log';
import { afterAll, describe, expect, it } from 'vitest';
import { Maintenance } from '../alarms/maintenance.js';
import { LiveStateService } from '../services/live-state.service.js';

/**
 * The SLA and dispatch services as the hub wires them (Maintenance.open): configuration
 * checked before anything opens, limits set on every new order, the sweep run from tick().
 */

const dir = mkdtempSync(join(tmpdir(), 'caretaker-sla-wiring-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = createLogger('sla-wiring');
log.level = 'silent';
const T0 = Date.UTC(2026, 0, 5, 2, 0, 0);

describe('SLA and dispatch in the hub’s maintenance side', () => {
  it('refuses a bad service-levels or dispatch file at start, naming the file', async () => {
    const bad = join(dir, 'levels.yaml');
    writeFileSync(bad, 'priorities: {}\n');
    const live = new LiveStateService(() => T0);
    const database = { kind: 'sqlite' as const, path: join(dir, 'bad.db') };
    await expect(Maintenance.open({ database, serviceLevelsFile: bad }, live, log, () => T0)).rejects.toThrow(
      `service levels file ${bad}: priorities.1:`,
    );
    await expect(
      Maintenance.open({ database, dispatchFile: join(dir, 'missing.yaml') }, live, log, () => T0),
    ).rejects.toThrow(`dispatch file ${join(dir, 'missing.yaml')}: file not found`);
  });

  it('gives a new order its limits and warns from tick()', async () => {
    const clock = { now: T0 };
    const live = new LiveStateService(() => clock.now);
    const maintenance = await Maintenance.open(
      { database: { kind: 'sqlite', path: join(dir, 'hub.db') } },
      live,
      log,
      () => clock.now,
    );
    try {
      const order = await maintenance.orders.create({
        source: 'manual',
        kind: 'corrective',
        site: 'north',
        title: 'Lift stuck between floors, passenger inside',
        problemType: 'elevator_trapped',
        priority: 3,
        actor: 'sup-n',
      });
      await maintenance.sla.idle();
      await maintenance.dispatch.idle();
      const state = await maintenance.sla.state(order.id);
      // The shipped service levels: priority 1, 5 minutes to dispatch, 1 hour to complete.
      expect(state).toMatchObject({
        priority: 1,
        response: { limit_ms: 300_000 },
        completion: { limit_ms: 3_600_000 },
      });
      clock.now = T0 + 150_000;
      maintenance.tick();
      await maintenance.sla.idle();
      const types = (await maintenance.orders.events(order.id)).map((e) => e.type);
      expect(types).toContain('sla_warning');
      // Nobody on file to dispatch to: the decision is still recorded.
      expect(types).toContain('auto_dispatch');
    } finally {
      await maintenance.close();
    }
  });
});

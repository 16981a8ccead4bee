import type { DeviceType } from '@caretaker/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { OpenDatabase } from '../db/database.js';
import type { Actor } from '../people/actor.js';
import { LiveStateService } from '../services/live-state.service.js';
import { WorkOrderService } from '../workorders/work-order.service.js';
import { liveCounterReader, PreventiveService } from './preventive.service.js';

/**
 * The acceptance tests of preventive maintenance (issue 7) on the real service and a real
 * database: the same suite on SQLite and PostgreSQL. Time is a controlled clock; counters come
 * from the hub's live state, fed the way ingest feeds it.
 */

export type DatabaseFactory = (name: string) => Promise<OpenDatabase>;

const SITE = 'site-a';
const ADMIN: Actor = { username: 'sup', role: 'supervisor', sites: [SITE] };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const PUMP_ITEMS = [
  { key: 'no_leaks', label: 'Seal free of leaks', type: 'pass_fail' },
  { key: 'vibration', label: 'Bearing vibration', type: 'number', min: 0, max: 4.5, unit: 'mm/s' },
  { key: 'hours', label: 'Running hours', type: 'meter', unit: 'h', point: 'running_hours', tolerance: 5 },
];

interface Rig {
  database: OpenDatabase;
  clock: { now: number };
  live: LiveStateService;
  orders: WorkOrderService;
  service: PreventiveService;
  /** A new service on the same database: what a restarted hub has. */
  restart(): PreventiveService;
  /** Moves the clock on; returns the new time. */
  advance(ms: number): number;
  counter(device: string, point: string, value: number, type?: DeviceType): void;
  preventiveOrders(planId?: number): Promise<Array<{ id: number; incident_key: string; kind: string }>>;
}

export function describePreventiveContract(dialect: string, openDb: DatabaseFactory, enabled = true): void {
  describe.runIf(enabled)(`preventive maintenance contract: ${dialect}`, () => {
    const open: OpenDatabase[] = [];
    let databases = 0;
    afterEach(async () => {
      for (const db of open.splice(0)) await db.close();
    });

    async function rig(start: number): Promise<Rig> {
      databases += 1;
      const database = await openDb(`preventive_${databases}`);
      open.push(database);
      const clock = { now: start };
      const now = () => clock.now;
      const live = new LiveStateService(now);
      const orders = new WorkOrderService(database.db, now);
      const make = () =>
        new PreventiveService({ db: database.db, orders, now, readCounter: liveCounterReader(live) });
      let seq = 0;
      return {
        database,
        clock,
        live,
        orders,
        service: make(),
        restart: make,
        advance(ms) {
          clock.now += ms;
          return clock.now;
        },
        counter(device, point, value, type = 'pump') {
          seq += 1;
          live.applyTelemetry(
            { site: SITE, gateway: 'gw-1', device },
            {
              v: 1,
              device,
              device_type: type,
              seq,
              ts: clock.now,
              readings: [{ point, value, ts: clock.now, quality: 'good' }],
            },
          );
        },
        async preventiveOrders(planId) {
          let q = database.db
            .selectFrom('work_orders')
            .select(['id', 'incident_key', 'kind'])
            .where('source', '=', 'preventive')
            .orderBy('id');
          if (planId !== undefined) q = q.where('plan_id', '=', planId).where('kind', '=', 'preventive');
          return q.execute();
        },
      };
    }

    async function pumpObject(service: PreventiveService, device = 'p1') {
      return service.createObject(ADMIN, {
        site: SITE,
        name: `Pump ${device}`,
        device,
        building: 'b1',
        location: 'B1 pump room',
        problem_type: 'pump_inspection',
        items: PUMP_ITEMS,
      });
    }

    /** A usage plan on one pump, made due by the counter, and its inspection's detail. */
    async function dueInspection(r: Rig, runningHours: number) {
      const object = await pumpObject(r.service);
      const plan = await r.service.createPlan(ADMIN, {
        site: SITE,
        name: 'Pump bearings',
        object_ids: [object.id],
        schedule: { type: 'usage', device: 'p1', point: 'running_hours', every: 100, last_service_value: 0 },
      });
      r.counter('p1', 'running_hours', runningHours);
      await r.service.tick(r.advance(1000));
      const [inspection] = await r.service.inspections.list(ADMIN, { plan: plan.id, limit: 5 });
      const detail = await r.service.inspections.get(ADMIN, inspection?.id ?? 0);
      const item = (key: string) => detail.items.find((i) => i.item_key === key)?.id ?? 0;
      return { plan, detail, item };
    }

    it('a usage plan fires every 2,000 running hours, once at each threshold, across a counter reset and a restart', async () => {
      const r = await rig(Date.UTC(2026, 0, 5, 0, 0));
      const object = await pumpObject(r.service);
      const plan = await r.service.createPlan(ADMIN, {
        site: SITE,
        name: 'Pump bearings',
        object_ids: [object.id],
        schedule: { type: 'usage', device: 'p1', point: 'running_hours', every: 2000, unit: 'h' },
        window: '3d',
      });
      const step = async (value: number) => {
        r.clock.now += 60_000;
        r.counter('p1', 'running_hours', value);
        await r.service.tick(r.clock.now);
        return (await r.preventiveOrders(plan.id)).length;
      };
      // The first value is the baseline: nothing is due yet.
      expect(await step(10_000)).toBe(0);
      expect(await step(11_000)).toBe(0);
      expect(await step(11_999.99)).toBe(0);
      expect(await step(12_000)).toBe(1);
      // Ticks without news make nothing more.
      await r.service.tick(r.advance(1000));
      await r.service.tick(r.advance(1000));
      expect(await step(12_000)).toBe(1);
      expect(await step(13_999)).toBe(1);
      expect(await step(14_000)).toBe(2);
      // The controller is replaced: its counter restarts near zero. Counting resumes from there.
      expect(await step(3)).toBe(2);
      expect(await step(1_000)).toBe(2);
      // A restart in between: the new service finds the counter's progress in the database.
      r.service = r.restart();
      expect(await step(2_002)).toBe(2);
      expect(await step(2_003)).toBe(3);

      const orders = await r.database.db
        .selectFrom('work_orders')
        .selectAll()
        .where('plan_id', '=', plan.id)
        .orderBy('id')
        .execute();
      expect(orders.map((o) => o.incident_key)).toEqual([
        `plan/${plan.id}/u1`,
        `plan/${plan.id}/u2`,
        `plan/${plan.id}/u3`,
      ]);
      const first = orders[0];
      expect(first).toMatchObject({ source: 'preventive', kind: 'preventive', device: 'p1', site: SITE });
      expect(first?.completion_due_at).toBe((first?.created_at ?? 0) + 3 * DAY);
      expect(JSON.parse(first?.evidence ?? '{}')).toMatchObject({
        counter: { device: 'p1', point: 'running_hours', value: 12_000, every: 2000, used_since_last: 2000 },
      });
      // Each order carries its checklist: one result row per item.
      const inspections = await r.service.inspections.list(ADMIN, { plan: plan.id, limit: 10 });
      expect(inspections).toHaveLength(3);
      const detail = await r.service.inspections.get(ADMIN, inspections[2]?.id ?? 0);
      expect(detail.items.map((i) => i.item_key)).toEqual(['no_leaks', 'vibration', 'hours']);
      expect(detail.order?.id).toBe(first?.id);
      const view = await r.service.getPlan(ADMIN, plan.id);
      expect(view).toMatchObject({
        usage: { occurrences: 3, used_since_last: 0, remaining: 2000, last_value: 2_003 },
      });
      // Progress too small to be written yet still shows.
      expect(await step(2_010)).toBe(3);
      expect(await r.service.getPlan(ADMIN, plan.id)).toMatchObject({
        usage: { used_since_last: 7, remaining: 1993, last_value: 2_010 },
      });
    });

    it('a usage plan with the last service value fires as soon as the counter shows it is due', async () => {
      const r = await rig(Date.UTC(2026, 0, 5));
      const object = await pumpObject(r.service, 'lift-1');
      const plan = await r.service.createPlan(ADMIN, {
        site: SITE,
        name: 'Door operator',
        object_ids: [object.id],
        schedule: {
          type: 'usage',
          device: 'lift-1',
          point: 'door_cycles',
          every: 50_000,
          last_service_value: 362_000,
        },
      });
      r.counter('lift-1', 'door_cycles', 411_999, 'elevator');
      await r.service.tick(r.advance(1000));
      expect(await r.preventiveOrders(plan.id)).toHaveLength(0);
      r.counter('lift-1', 'door_cycles', 412_000, 'elevator');
      await r.service.tick(r.advance(1000));
      expect(await r.preventiveOrders(plan.id)).toHaveLength(1);
    });

    it('the first Monday of the month in Asia/Shanghai, across a month boundary, exactly once across a restart', async () => {
      // Tuesday 20 January 2026, noon in Shanghai.
      const r = await rig(Date.UTC(2026, 0, 20, 4));
      const object = await pumpObject(r.service);
      const plan = await r.service.createPlan(ADMIN, {
        site: SITE,
        name: 'Monthly pump room',
        object_ids: [object.id],
        schedule: { type: 'calendar', frequency: 'monthly', nth: 1, weekdays: ['MO'], time: '07:30' },
        window: '2d',
      });
      // Monday 2 February 07:30 in Shanghai is 23:30 UTC on Sunday 1 February.
      const feb = Date.UTC(2026, 1, 1, 23, 30);
      expect(plan).toMatchObject({
        timezone: 'Asia/Shanghai',
        next_due_at: feb,
        rrule: 'FREQ=MONTHLY;INTERVAL=1;BYDAY=+1MO',
      });
      expect('upcoming' in plan && plan.upcoming.slice(1)).toEqual([
        Date.UTC(2026, 2, 1, 23, 30),
        Date.UTC(2026, 3, 5, 23, 30),
      ]);
      await r.service.tick(feb - 1);
      expect(await r.preventiveOrders(plan.id)).toHaveLength(0);
      await r.service.tick(feb);
      await r.service.tick(feb + 1000);
      expect(await r.preventiveOrders(plan.id)).toHaveLength(1);
      // A restarted hub ticks again over the same moment: nothing new.
      const restarted = r.restart();
      await restarted.tick(feb + 2000);
      await restarted.tick(feb + HOUR);
      const orders = await r.database.db
        .selectFrom('work_orders')
        .selectAll()
        .where('plan_id', '=', plan.id)
        .execute();
      expect(orders).toHaveLength(1);
      expect(orders[0]).toMatchObject({
        incident_key: `plan/${plan.id}/2026-02-01T23:30:00.000Z`,
        completion_due_at: feb + 2 * DAY,
      });
      // March's first Monday is the 2nd (23:30 UTC on 1 March).
      await restarted.tick(Date.UTC(2026, 2, 1, 23, 29));
      expect(await r.preventiveOrders(plan.id)).toHaveLength(1);
      await restarted.tick(Date.UTC(2026, 2, 1, 23, 30));
      expect(await r.preventiveOrders(plan.id)).toHaveLength(2);
    });

    it('a weekly plan makes one order each Monday, the same with a restart half-way', async () => {
      const start = Date.UTC(2026, 0, 4, 4); // Sunday 4 January, noon in Shanghai
      const r = await rig(start);
      const object = await pumpObject(r.service);
      const plan = await r.service.createPlan(ADMIN, {
        site: SITE,
        name: 'Weekly round',
        object_ids: [object.id],
        schedule: { type: 'calendar', frequency: 'weekly', weekdays: ['MO'], time: '08:00' },
        window: '1d',
      });
      let service = r.service;
      for (let t = start; t <= start + 21 * DAY; t += HOUR) {
        if (t === start + 10 * DAY) service = r.restart();
        r.clock.now = t;
        await service.tick(t);
      }
      const keys = (await r.preventiveOrders(plan.id)).map((o) => o.incident_key);
      expect(keys).toEqual([
        `plan/${plan.id}/2026-01-05T00:00:00.000Z`,
        `plan/${plan.id}/2026-01-12T00:00:00.000Z`,
        `plan/${plan.id}/2026-01-19T00:00:00.000Z`,
      ]);
    });

    it('a plan edited behind the cached copy is read again before anything is generated from it', async () => {
      const start = Date.UTC(2026, 0, 4, 4);
      const r = await rig(start);
      const object = await pumpObject(r.service);
      const plan = await r.service.createPlan(ADMIN, {
        site: SITE,
        name: 'Weekly round',
        object_ids: [object.id],
        schedule: { type: 'calendar', frequency: 'weekly', weekdays: ['MO'], time: '08:00' },
      });
      await r.service.tick(start);
      // Another hub moved the plan to Tuesdays; this one still has Monday cached.
      const other = r.restart();
      r.clock.now = start + 1000;
      await other.updatePlan(ADMIN, plan.id, {
        schedule: { type: 'calendar', frequency: 'weekly', weekdays: ['TU'], time: '08:00' },
      });
      const monday = Date.UTC(2026, 0, 5, 0);
      await r.service.tick(monday);
      await r.service.tick(monday + 1000);
      expect(await r.preventiveOrders(plan.id)).toEqual([]);
      await r.service.tick(Date.UTC(2026, 0, 6, 0));
      expect((await r.preventiveOrders(plan.id)).map((o) => o.incident_key)).toEqual([
        `plan/${plan.id}/2026-01-06T00:00:00.000Z`,
      ]);
    });

    it('occurrences whose window passed while the hub was down are recorded as skipped, without orders', async () => {
      const start = Date.UTC(2026, 0, 4, 4);
      const r = await rig(start);
      const object = await pumpObject(r.service);
      const plan = await r.service.createPlan(ADMIN, {
        site: SITE,
        name: 'Weekly round',
        object_ids: [object.id],
        schedule: { type: 'calendar', frequency: 'weekly', weekdays: ['MO'], time: '08:00' },
        window: '1d',
      });
      // Back on Wednesday 14 January: the 5th's and 12th's windows are over.
      r.clock.now = Date.UTC(2026, 0, 14, 4);
      await r.service.tick(r.clock.now);
      expect(await r.preventiveOrders(plan.id)).toHaveLength(0);
      const skipped = await r.service.inspections.list(ADMIN, { status: 'skipped', limit: 10 });
      expect(skipped.map((i) => i.occurrence)).toEqual([
        '2026-01-12T00:00:00.000Z',
        '2026-01-05T00:00:00.000Z',
      ]);
      expect(skipped[0]).toMatchObject({
        order: null,
        missed_reason: 'the hub was not running during its window',
      });
      expect(skipped[0]?.skipped_items).toHaveLength(3);
      expect((await r.service.getPlan(ADMIN, plan.id)).next_due_at).toBe(Date.UTC(2026, 0, 19, 0));
    });

    it('a failed numeric item opens one repair order, linked to the inspection and item', async () => {
      const r = await rig(Date.UTC(2026, 0, 5));
      const { plan, detail, item } = await dueInspection(r, 13_140);

      r.clock.now += HOUR;
      const after = await r.service.inspections.record(ADMIN, detail.id, {
        results: [
          { item_id: item('vibration'), value: 7.1, note: 'rough' },
          { item_id: item('no_leaks'), passed: true },
          { item_id: item('hours'), value: 13_141 },
        ],
      });
      expect(after.status).toBe('done');
      expect(after.failed_count).toBe(1);
      const failed = after.items.find((i) => i.item_key === 'vibration');
      expect(failed).toMatchObject({ status: 'fail', value: 7.1, recorded_by: 'sup' });
      expect(after.items.find((i) => i.item_key === 'hours')).toMatchObject({
        status: 'pass',
        live_value: 13_140,
      });
      const repairs = await r.database.db
        .selectFrom('work_orders')
        .selectAll()
        .where('kind', '=', 'corrective')
        .where('source', '=', 'preventive')
        .execute();
      expect(repairs).toHaveLength(1);
      expect(repairs[0]).toMatchObject({ device: 'p1', plan_id: plan.id, id: failed?.repair_order_id });
      expect(JSON.parse(repairs[0]?.evidence ?? '{}')).toMatchObject({
        inspection: { id: detail.id, order_id: detail.order?.id },
        item: { id: failed?.id, key: 'vibration', max: 4.5, unit: 'mm/s' },
        value: 7.1,
        reason: '7.1 mm/s is above 4.5 mm/s',
      });
      // Recording the same failure again (a correction) does not open a second repair order.
      await r.service.inspections.record(ADMIN, detail.id, {
        results: [{ item_id: item('vibration'), value: 8 }],
      });
      const again = await r.database.db
        .selectFrom('work_orders')
        .select('id')
        .where('kind', '=', 'corrective')
        .execute();
      expect(again).toHaveLength(1);
      // The order's log shows the results and the repair.
      const events = (await r.orders.events(detail.order?.id ?? 0)).map((e) => e.type);
      expect(events).toEqual([
        'created',
        'plan_generated',
        'repair_opened',
        'inspection_results',
        'inspection_results',
      ]);
    });

    it('refuses results that do not fit their item, before writing anything', async () => {
      const r = await rig(Date.UTC(2026, 0, 5));
      const { detail, item } = await dueInspection(r, 500);
      await expect(
        r.service.inspections.record(ADMIN, detail.id, {
          results: [
            { item_id: item('no_leaks'), passed: true },
            { item_id: item('vibration'), passed: true },
          ],
        }),
      ).rejects.toMatchObject({
        status: 400,
        message: 'results.1.value: required for a number item ("Bearing vibration")',
      });
      const unchanged = await r.service.inspections.get(ADMIN, detail.id);
      expect(unchanged.answered_count).toBe(0);
      await expect(
        r.service.inspections.record({ username: 'tom', role: 'technician', sites: [SITE] }, detail.id, {
          results: [{ item_id: item('no_leaks'), passed: true }],
        }),
      ).rejects.toMatchObject({ status: 403 });
    });

    it('overdue and skipped inspections are visible', async () => {
      const start = Date.UTC(2026, 0, 4, 4);
      const r = await rig(start);
      const object = await pumpObject(r.service);
      await r.service.createPlan(ADMIN, {
        site: SITE,
        name: 'Weekly round',
        object_ids: [object.id],
        schedule: { type: 'calendar', frequency: 'weekly', weekdays: ['MO'], time: '08:00' },
        window: '1d',
      });
      const monday = Date.UTC(2026, 0, 5, 0);
      r.clock.now = monday;
      await r.service.tick(monday);
      expect((await r.service.inspections.list(ADMIN, { status: 'open', limit: 10 })).length).toBe(1);
      expect(await r.service.inspections.list(ADMIN, { status: 'overdue', limit: 10 })).toEqual([]);
      // A day and a second later, not done: overdue.
      r.clock.now = monday + DAY + 1000;
      const overdue = await r.service.inspections.list(ADMIN, { status: 'overdue', limit: 10 });
      expect(overdue).toHaveLength(1);
      const id = overdue[0]?.id ?? 0;
      // One item answered, then the order is completed: the other two are skipped.
      const detail = await r.service.inspections.get(ADMIN, id);
      await r.service.inspections.record(ADMIN, id, {
        results: [{ item_id: detail.items[0]?.id ?? 0, passed: true }],
      });
      await r.orders.transition(detail.order?.id ?? 0, 'completed', 'sup');
      expect(await r.service.inspections.list(ADMIN, { status: 'overdue', limit: 10 })).toEqual([]);
      const skipped = await r.service.inspections.list(ADMIN, { status: 'skipped', limit: 10 });
      expect(skipped.map((s) => [s.id, s.skipped_items.map((i) => i.label)])).toEqual([
        [id, ['Bearing vibration', 'Running hours']],
      ]);
      expect((await r.service.inspections.get(ADMIN, id)).items.map((i) => i.status)).toEqual([
        'pass',
        'skipped',
        'skipped',
      ]);
      // The next Monday's occurrence is cancelled by a supervisor: skipped as well.
      r.clock.now = monday + 7 * DAY;
      await r.service.tick(r.clock.now);
      const [next] = await r.service.inspections.list(ADMIN, { status: 'open', limit: 10 });
      const cancelled = await r.service.inspections.cancel(ADMIN, next?.id ?? 0, 'pump room flooded');
      expect(cancelled.status).toBe('skipped');
      expect(
        (await r.service.inspections.list(ADMIN, { status: 'skipped', limit: 10 })).map((s) => s.id),
      ).toEqual([next?.id, id]);
      const order = await r.orders.get(cancelled.order?.id ?? 0);
      expect(order).toMatchObject({ status: 'cancelled', cancel_reason: 'occurrence_cancelled' });
    });

    it("a plan's counts, a person's tasks and a device's history", async () => {
      const start = Date.UTC(2026, 0, 4, 4);
      const r = await rig(start);
      const p1 = await pumpObject(r.service, 'p1');
      const p2 = await pumpObject(r.service, 'p2');
      const plan = await r.service.createPlan(ADMIN, {
        site: SITE,
        name: 'Weekly round',
        object_ids: [p1.id, p2.id],
        schedule: { type: 'calendar', frequency: 'weekly', weekdays: ['MO'], time: '08:00' },
        window: '1d',
        assign_to: { technician: 'tom' },
      });
      const other = await r.service.createPlan(ADMIN, {
        site: SITE,
        name: 'Pump 2 alone',
        object_ids: [p2.id],
        schedule: { type: 'calendar', frequency: 'weekly', weekdays: ['MO'], time: '08:00' },
        window: '1d',
      });
      expect((await r.service.getPlan(ADMIN, plan.id)).stats).toEqual({
        open: 0,
        overdue: 0,
        done: 0,
        skipped: 0,
        last_done_at: null,
        last_occurrence_at: null,
      });
      const monday = Date.UTC(2026, 0, 5, 0);
      r.clock.now = monday;
      await r.service.tick(monday);
      // Only the plan assigned to tom is his task.
      const mine = await r.service.inspections.list(ADMIN, { assignee: 'tom', limit: 10 });
      expect(mine.map((i) => i.plan_id)).toEqual([plan.id]);
      expect(await r.service.inspections.list(ADMIN, { assignee: 'otto', limit: 10 })).toEqual([]);
      const [task] = mine;
      const detail = await r.service.inspections.get(ADMIN, task?.id ?? 0);
      // Every item answered an hour later, pump 1's vibration out of its limits.
      r.clock.now = monday + HOUR;
      await r.service.inspections.record(ADMIN, detail.id, {
        results: detail.items.map((item) => {
          if (item.type === 'pass_fail') return { item_id: item.id, passed: true };
          if (item.item_key === 'vibration')
            return { item_id: item.id, value: item.device === 'p1' ? 7.1 : 2 };
          return { item_id: item.id, value: 13_000 };
        }),
      });
      // A week on: the next occurrence of both plans, the other plan's first is overdue.
      r.clock.now = monday + 7 * DAY + HOUR;
      await r.service.tick(r.clock.now);
      const plans = await r.service.listPlans(ADMIN);
      expect(plans.find((p) => p.id === plan.id)?.stats).toEqual({
        open: 1,
        overdue: 0,
        done: 1,
        skipped: 0,
        last_done_at: monday + HOUR,
        last_occurrence_at: monday + 7 * DAY,
      });
      expect(plans.find((p) => p.id === other.id)?.stats).toMatchObject({ open: 1, overdue: 1, done: 0 });
      // Pump 1's history: only the plan that inspects it, only its own items.
      const history = await r.service.inspections.list(ADMIN, { device: 'p1', limit: 10 });
      expect(history.map((h) => [h.plan_id, h.status])).toEqual([
        [plan.id, 'open'],
        [plan.id, 'done'],
      ]);
      const done = history[1]?.device_items ?? [];
      expect(done.map((i) => [i.label, i.status, i.value])).toEqual([
        ['Seal free of leaks', 'pass', 1],
        ['Bearing vibration', 'fail', 7.1],
        ['Running hours', 'pass', 13_000],
      ]);
      expect(done[1]?.repair_order_id).toBeGreaterThan(0);
      expect(done[1]?.repair_order_code).toMatch(/./);
      expect(
        (await r.service.inspections.list(ADMIN, { device: 'p2', limit: 10 })).map((h) => h.plan_id).sort(),
      ).toEqual([plan.id, plan.id, other.id, other.id].sort());
      expect(await r.service.inspections.list(ADMIN, { device: 'p9', limit: 10 })).toEqual([]);
    });

    it('a paused calendar plan resumes from now: nothing from the pause is generated or counted as missed', async () => {
      const start = Date.UTC(2026, 0, 4, 4);
      const r = await rig(start);
      const object = await pumpObject(r.service);
      const plan = await r.service.createPlan(ADMIN, {
        site: SITE,
        name: 'Weekly round',
        object_ids: [object.id],
        schedule: { type: 'calendar', frequency: 'weekly', weekdays: ['MO'], time: '08:00' },
        window: '1d',
      });
      await r.service.updatePlan(ADMIN, plan.id, { active: false });
      for (let t = start; t <= start + 15 * DAY; t += 6 * HOUR) {
        r.clock.now = t;
        await r.service.tick(t);
      }
      expect(await r.preventiveOrders(plan.id)).toEqual([]);
      // Resumed on Tuesday 20 January: the next Monday is the first occurrence.
      const resumed = await r.service.updatePlan(ADMIN, plan.id, { active: true });
      expect(resumed.next_due_at).toBe(Date.UTC(2026, 0, 26, 0));
      r.clock.now = Date.UTC(2026, 0, 26, 1);
      await r.service.tick(r.clock.now);
      expect((await r.preventiveOrders(plan.id)).map((o) => o.incident_key)).toEqual([
        `plan/${plan.id}/2026-01-26T00:00:00.000Z`,
      ]);
      expect(await r.service.inspections.list(ADMIN, { status: 'skipped', limit: 10 })).toEqual([]);
    });

    it('the report of a plan over a fixed history', async () => {
      const start = Date.UTC(2026, 0, 4, 4);
      const r = await rig(start);
      const object = await pumpObject(r.service);
      const plan = await r.service.createPlan(ADMIN, {
        site: SITE,
        name: 'Weekly round',
        object_ids: [object.id],
        schedule: { type: 'calendar', frequency: 'weekly', weekdays: ['MO'], time: '08:00' },
        window: '1d',
      });
      const monday = (week: number) => Date.UTC(2026, 0, 5 + 7 * week, 0);
      const inspectionAt = async (week: number) => {
        const list = await r.service.inspections.list(ADMIN, { plan: plan.id, limit: 20 });
        const found = list.find((i) => i.occurrence_at === monday(week));
        return r.service.inspections.get(ADMIN, found?.id ?? 0);
      };
      const answerAll = async (week: number, at: number, vibration: number) => {
        r.clock.now = at;
        const d = await inspectionAt(week);
        await r.service.inspections.record(ADMIN, d.id, {
          results: [
            { item_id: d.items[0]?.id ?? 0, passed: true },
            { item_id: d.items[1]?.id ?? 0, value: vibration },
            { item_id: d.items[2]?.id ?? 0, value: 13_000 },
          ],
        });
      };
      // Week 0: done on time with a failed vibration. Week 1: done late. Week 2: left overdue.
      // Week 3: cancelled (skipped). Week 4: still within its window when the report is made.
      for (let week = 0; week <= 4; week += 1) {
        r.clock.now = monday(week);
        await r.service.tick(r.clock.now);
        if (week === 0) await answerAll(0, monday(0) + 2 * HOUR, 5.2);
        if (week === 1) await answerAll(1, monday(1) + DAY + HOUR, 2.0);
        if (week === 3) await r.service.inspections.cancel(ADMIN, (await inspectionAt(3)).id, 'holiday');
      }
      r.clock.now = monday(4) + 3 * HOUR;
      const report = await r.service.inspections.report(
        ADMIN,
        plan.id,
        Date.UTC(2026, 0, 1),
        Date.UTC(2026, 1, 9),
      );
      expect(report.figures).toEqual({
        due: 5,
        done_on_time: 1,
        done_late: 1,
        open: 1,
        overdue: 1,
        skipped: 1,
        failed_items: 1,
        compliance: 0.25,
      });
      expect(report.occurrences.map((o) => o.status)).toEqual([
        'done_on_time',
        'done_late',
        'overdue',
        'skipped',
        'open',
      ]);
      expect(report.failed_items).toEqual([
        expect.objectContaining({
          occurrence_at: monday(0),
          object: 'Pump p1',
          item: 'vibration',
          value: 5.2,
          unit: 'mm/s',
          min: 0,
          max: 4.5,
          recorded_by: 'sup',
          repair_order_id: expect.any(Number),
          repair_order_code: expect.stringMatching(/^WO-\d{6}$/),
        }),
      ]);
      // A period that only holds weeks 1 and 2.
      const part = await r.service.inspections.report(ADMIN, plan.id, monday(1), monday(3));
      expect(part.figures).toMatchObject({ due: 2, done_late: 1, overdue: 1, compliance: 0 });
    });

    it('checks references and sites, naming the field', async () => {
      const r = await rig(Date.UTC(2026, 0, 5));
      const object = await pumpObject(r.service);
      const other = await r.service.createObject(
        { username: 'root', role: 'admin', sites: 'all' },
        {
          site: 'site-b',
          name: 'Roof tank',
          location: 'B roof',
          items: [{ key: 'clean', label: 'Clean', type: 'pass_fail' }],
        },
      );
      const base = {
        site: SITE,
        name: 'P',
        schedule: { type: 'calendar', frequency: 'weekly' },
      };
      await expect(
        r.service.createPlan(ADMIN, { ...base, object_ids: [object.id, 999] }),
      ).rejects.toMatchObject({
        status: 400,
        message: 'object_ids.1: no inspection object 999',
      });
      await expect(
        r.service.createTemplate(ADMIN, { site: SITE, name: 'T', object_ids: [other.id] }),
      ).rejects.toMatchObject({
        status: 400,
        message: `object_ids.0: object ${other.id} is on site site-b, not ${SITE}`,
      });
      await expect(r.service.getObject(ADMIN, other.id)).rejects.toMatchObject({ status: 403 });
      await expect(r.service.createPlan(ADMIN, { ...base })).rejects.toMatchObject({
        status: 400,
        message: 'template_id: give either template_id or object_ids',
      });
      const template = await r.service.createTemplate(ADMIN, {
        site: SITE,
        name: 'T',
        object_ids: [object.id],
      });
      const plan = await r.service.createPlan(ADMIN, { ...base, template_id: template.id });
      await expect(r.service.archiveTemplate(ADMIN, template.id)).rejects.toMatchObject({ status: 409 });
      await expect(r.service.archiveObject(ADMIN, object.id)).rejects.toMatchObject({ status: 409 });
      // Moving the plan to its own object list frees the template.
      await r.service.updatePlan(ADMIN, plan.id, { object_ids: [object.id] });
      await r.service.archiveTemplate(ADMIN, template.id);
      expect((await r.service.listTemplates(ADMIN)).map((t) => t.id)).toEqual([]);
    });
  });
}

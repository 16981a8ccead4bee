import { afterEach, describe, expect, it } from 'vitest';
import type { OpenDatabase } from '../db/database.js';
import { WorkOrderService } from '../workorders/work-order.service.js';
import { ServiceLevels } from './service-levels.js';
import { SlaService } from './sla.service.js';
import { type DatabaseFactory, move, type PersonSeed, seedPeople } from './test-support.js';

/**
 * The acceptance tests of time limits and escalation (issue 7) on the real service and a real
 * database, SQLite and PostgreSQL alike. Time is a controlled clock: `at(m)` moves it to T0 + m
 * minutes and runs the sweep there, as the hub's 1 s sweeper would.
 */

const T0 = Date.UTC(2026, 0, 5, 2, 0, 0);
const MIN = 60_000;
const SITE = 'north';

export const TEST_LEVELS = {
  warn_at: [50, 75],
  priorities: {
    1: { name: 'emergency', response: '10m', completion: '1h', escalate_every: '10m', max_level: 3 },
    2: { name: 'urgent', response: '1h', completion: '8h', escalate_every: '1h' },
    3: { name: 'normal', response: '4h', completion: '3d', escalate_every: '4h' },
    4: { name: 'low', response: '1d', completion: '7d', escalate_every: '1d' },
  },
  problem_types: {
    elevator_trapped: { priority: 1, response: '10m', completion: '1h', escalate_every: '5m', max_level: 3 },
  },
};

/** t-1 reports to sup-1, who reports to mgr-1, who reports to dir-1; sup-2 and sup-3 run the site. */
const PEOPLE: PersonSeed[] = [
  { username: 't-1', role: 'technician', reports_to: 'sup-1', sites: [SITE] },
  { username: 't-2', role: 'technician', sites: [SITE] },
  { username: 'sup-1', role: 'supervisor', reports_to: 'mgr-1', sites: ['south'] },
  { username: 'sup-2', role: 'supervisor', reports_to: 'mgr-1', sites: [SITE] },
  { username: 'sup-3', role: 'supervisor', reports_to: 'mgr-x', sites: [SITE] },
  { username: 'sup-off', role: 'supervisor', active: false, sites: [SITE] },
  { username: 'mgr-1', role: 'supervisor', reports_to: 'dir-1' },
  { username: 'mgr-x', role: 'supervisor', reports_to: 'dir-1', active: false },
  { username: 'dir-1', role: 'admin' },
];

interface SlaEvent {
  type: string;
  ts: number;
  limit: string;
  percent?: number;
  level?: number;
  notified?: string[];
  why: string;
}

interface Rig {
  database: OpenDatabase;
  orders: WorkOrderService;
  sla: SlaService;
  clock: { now: number };
  /** Moves the clock to T0 + `minutes` and runs the sweep. */
  at(minutes: number): Promise<void>;
  create(problemType: string, priority: number, minutes?: number): Promise<number>;
  slaEvents(orderId: number): Promise<SlaEvent[]>;
  order(orderId: number): Promise<Record<string, unknown> & { escalation_level: number; priority: number }>;
  restart(): Promise<void>;
}

export function describeSlaContract(dialect: string, openDb: DatabaseFactory, enabled = true): void {
  describe.runIf(enabled)(`SLA contract: ${dialect}`, () => {
    const open: Array<() => Promise<void>> = [];
    let databases = 0;
    afterEach(async () => {
      for (const close of open.splice(0)) await close();
    });

    async function rig(): Promise<Rig> {
      databases += 1;
      const database = await openDb(`sla_${databases}`);
      const db = database.db;
      await seedPeople(db, PEOPLE, T0);
      const clock = { now: T0 };
      const orders = new WorkOrderService(db, () => clock.now);
      const levels = ServiceLevels.parse(TEST_LEVELS);
      const make = () =>
        new SlaService({ db, orders, levels, now: () => clock.now, lockRows: database.kind === 'postgres' });
      const r: Rig = {
        database,
        orders,
        sla: make(),
        clock,
        async at(minutes) {
          clock.now = T0 + minutes * MIN;
          await r.sla.tick(clock.now);
          await r.sla.idle();
        },
        async create(problemType, priority, minutes = 0) {
          clock.now = T0 + minutes * MIN;
          const order = await orders.create({
            source: 'manual',
            kind: 'corrective',
            site: SITE,
            title: `${problemType} test`,
            problemType,
            priority,
            actor: 'sup-2',
          });
          await r.sla.idle();
          return order.id;
        },
        async slaEvents(orderId) {
          const events = await orders.events(orderId);
          return events
            .filter(
              (e) => e.type.startsWith('sla_') && e.type !== 'sla_assigned' && e.type !== 'sla_tightened',
            )
            .map((e) => {
              const d = JSON.parse(e.detail) as Record<string, unknown>;
              return {
                type: e.type,
                ts: e.ts,
                limit: d.limit as string,
                ...(d.percent !== undefined ? { percent: d.percent as number } : {}),
                ...(d.level !== undefined ? { level: d.level as number } : {}),
                ...(d.notified !== undefined ? { notified: d.notified as string[] } : {}),
                why: d.why as string,
              };
            });
        },
        async order(orderId) {
          return (await db
            .selectFrom('work_orders')
            .selectAll()
            .where('id', '=', orderId)
            .executeTakeFirstOrThrow()) as never;
        },
        async restart() {
          await r.sla.stop();
          r.sla = make();
          await r.sla.start();
        },
      };
      await r.sla.start();
      open.push(async () => {
        await r.sla.stop();
        await database.close();
      });
      return r;
    }

    const minutesOf = (e: SlaEvent) => (e.ts - T0) / MIN;

    it('sets the limits of the problem type at creation, raising the priority it asks for', async () => {
      const r = await rig();
      const id = await r.create('elevator_trapped', 3);
      const order = await r.order(id);
      expect(order.priority).toBe(1);
      expect(order.response_due_at).toBe(T0 + 10 * MIN);
      expect(order.completion_due_at).toBe(T0 + 60 * MIN);
      // The sweep will look at it next when half the response limit is used.
      expect(order.sla_next_check_at).toBe(T0 + 5 * MIN);
      const types = (await r.orders.events(id)).map((e) => e.type);
      expect(types).toEqual(['created', 'priority_raised', 'sla_assigned']);
      // A type the file does not name: the defaults of the order's priority.
      const other = await r.order(await r.create('pump_leak', 2));
      expect(other.priority).toBe(2);
      expect(other.response_due_at).toBe(T0 + 60 * MIN);
      expect(other.completion_due_at).toBe(T0 + 8 * 60 * MIN);
    });

    it('warns at 50 and 75 % and records the breach at 100 % of each limit, each exactly once', async () => {
      const r = await rig();
      const id = await r.create('general', 1);
      for (let m = 0; m <= 80; m += 0.5) await r.at(m);
      // A restarted service (and its catch-up) sees everything recorded already.
      await r.restart();
      await r.at(80);
      const events = await r.slaEvents(id);
      const marks = events
        .filter((e) => e.type === 'sla_warning' || e.type === 'sla_breached')
        .map((e) => `${e.limit} ${e.percent}% at ${minutesOf(e)}m`);
      expect(marks).toEqual([
        'response 50% at 5m',
        'response 75% at 7.5m',
        'response 100% at 10m',
        'completion 50% at 30m',
        'completion 75% at 45m',
        'completion 100% at 60m',
      ]);
      // Not a minute early: the sweep just before the 50 % mark records nothing.
      const r2 = await rig();
      const id2 = await r2.create('general', 1);
      await r2.at(4.99);
      expect(await r2.slaEvents(id2)).toEqual([]);
      await r2.at(5);
      expect((await r2.slaEvents(id2)).map((e) => e.percent)).toEqual([50]);
    });

    it('escalates an overdue order to the assignee’s supervisor, then up the chain every interval', async () => {
      const r = await rig();
      const id = await r.create('elevator_trapped', 1);
      await r.at(1);
      await move(r.orders, id, T0 + 2 * MIN, 'dispatch', 'in_repair', {
        assignee: 't-1',
        dispatched_at: T0 + 2 * MIN,
      });
      await r.sla.idle();
      for (const m of [10, 30, 59, 60, 64, 65, 69, 70, 75, 80, 120]) await r.at(m);
      const escalations = (await r.slaEvents(id)).filter((e) => e.type.startsWith('sla_escalat'));
      expect(escalations.map((e) => [e.limit, e.level, minutesOf(e), e.notified])).toEqual([
        ['completion', 1, 60, ['sup-1']],
        ['completion', 2, 65, ['mgr-1']],
        ['completion', 3, 70, ['dir-1']],
      ]);
      expect(escalations[0]?.why).toContain('not completed within 1h');
      expect(escalations[0]?.why).toContain('supervisor of t-1');
      expect(escalations[1]?.why).toContain('above sup-1');
      expect((await r.order(id)).escalation_level).toBe(3);
      // Dispatched in time: the response limit never breached.
      expect((await r.slaEvents(id)).filter((e) => e.limit === 'response').map((e) => e.percent)).toEqual([]);
    });

    it('escalates an unassigned order to the site’s supervisors, skips disabled people, ends at the top', async () => {
      const r = await rig();
      const id = await r.create('general', 1);
      for (const m of [5, 10, 15, 19, 20, 25, 30, 35, 40, 50]) await r.at(m);
      const response = (await r.slaEvents(id)).filter(
        (e) => e.limit === 'response' && e.type.startsWith('sla_escalat'),
      );
      expect(response.map((e) => [e.type, e.level, minutesOf(e), e.notified ?? []])).toEqual([
        ['sla_escalated', 1, 10, ['sup-2', 'sup-3']],
        // sup-3 reports to mgr-x, who is disabled: dir-1 above them is told instead.
        ['sla_escalated', 2, 20, ['dir-1', 'mgr-1']],
        ['sla_escalation_ended', 3, 30, []],
      ]);
      expect(response[2]?.why).toBe('nobody further up the chain');
      expect((await r.order(id)).escalation_level).toBe(2);
    });

    it('stops the clock while deferred and keeps the limits right after the pause', async () => {
      const r = await rig();
      const id = await r.create('general', 1);
      await r.at(1);
      await move(r.orders, id, T0 + 2 * MIN, 'accept', 'to_dispatch');
      await move(r.orders, id, T0 + 2 * MIN, 'approve_defer', 'deferred');
      await r.sla.idle();
      expect((await r.order(id)).sla_next_check_at).toBeNull();
      for (const m of [5, 10, 30, 60, 120]) await r.at(m);
      expect(await r.slaEvents(id)).toEqual([]);
      const during = await r.sla.state(id, T0 + 30 * MIN);
      expect(during?.paused).toBe(true);
      expect(during?.response?.remaining_ms).toBe(8 * MIN);
      expect(during?.response?.running).toBe(false);
      expect((await r.sla.state(id, T0 + 100 * MIN))?.response?.remaining_ms).toBe(8 * MIN);
      // Resumed after 130 minutes: every deadline moves by them.
      await move(r.orders, id, T0 + 132 * MIN, 'resume', 'to_dispatch');
      await r.sla.idle();
      const resumed = await r.order(id);
      expect(resumed.sla_paused_ms).toBe(130 * MIN);
      expect(resumed.response_due_at).toBe(T0 + 140 * MIN);
      expect(resumed.completion_due_at).toBe(T0 + 190 * MIN);
      for (const m of [134.9, 135, 137.5, 140]) await r.at(m);
      const marks = (await r.slaEvents(id)).map(
        (e) => `${e.type} ${e.limit} ${e.percent ?? e.level} at ${minutesOf(e)}m`,
      );
      expect(marks).toEqual([
        'sla_warning response 50 at 135m',
        'sla_warning response 75 at 137.5m',
        'sla_breached response 100 at 140m',
        'sla_escalated response 1 at 140m',
      ]);
      const state = await r.sla.state(id, T0 + 141 * MIN);
      expect(state?.response?.breached).toBe(true);
      expect(state?.response?.remaining_ms).toBe(-1 * MIN);
      expect(state?.paused_ms).toBe(130 * MIN);
    });

    it('holds the escalation ladder during a deferral and resumes it shifted by the pause', async () => {
      const r = await rig();
      const id = await r.create('general', 1);
      await r.at(10); // response breached: level 1
      await move(r.orders, id, T0 + 12 * MIN, 'accept', 'to_dispatch');
      await move(r.orders, id, T0 + 12 * MIN, 'approve_defer', 'deferred');
      await r.sla.idle();
      for (const m of [20, 25, 29]) await r.at(m);
      await move(r.orders, id, T0 + 30 * MIN, 'resume', 'to_dispatch');
      await r.sla.idle();
      // Level 2 was due 10 minutes after level 1 on the running clock: 20m + 18m paused.
      for (const m of [31, 37.9, 38, 45]) await r.at(m);
      const ladder = (await r.slaEvents(id)).filter(
        (e) => e.limit === 'response' && e.type === 'sla_escalated',
      );
      expect(ladder.map((e) => [e.level, minutesOf(e)])).toEqual([
        [1, 10],
        [2, 38],
      ]);
    });

    it('tightens the limits when the priority is raised, never loosens them', async () => {
      const r = await rig();
      const id = await r.create('general', 3);
      expect((await r.order(id)).response_due_at).toBe(T0 + 4 * 60 * MIN);
      await r.at(3);
      await r.orders.inTransaction(async (trx) => {
        await trx.updateTable('work_orders').set({ priority: 1 }).where('id', '=', id).execute();
        await r.orders.event(trx, id, T0 + 3 * MIN, 'sensor', 'priority_raised', null, null, {
          from: 3,
          to: 1,
        });
      });
      await r.sla.idle();
      const raised = await r.order(id);
      expect(raised.response_due_at).toBe(T0 + 10 * MIN);
      expect(raised.completion_due_at).toBe(T0 + 60 * MIN);
      expect(raised.sla_next_check_at).toBe(T0 + 5 * MIN);
      await r.at(5);
      expect((await r.slaEvents(id)).map((e) => `${e.limit} ${e.percent}`)).toEqual(['response 50']);
      const tightened = (await r.orders.events(id)).find((e) => e.type === 'sla_tightened');
      expect(JSON.parse(tightened?.detail ?? '{}')).toMatchObject({
        response: { from_ms: 240 * MIN, to_ms: 10 * MIN },
      });
      // Lowered again: nothing loosens.
      await r.orders.inTransaction(async (trx) => {
        await trx.updateTable('work_orders').set({ priority: 3 }).where('id', '=', id).execute();
        await r.orders.event(trx, id, T0 + 6 * MIN, 'sup-2', 'priority_changed', null, null, {
          from: 1,
          to: 3,
        });
      });
      await r.sla.idle();
      expect((await r.order(id)).response_due_at).toBe(T0 + 10 * MIN);
    });

    it('catches up at start with orders raised while it was not running', async () => {
      const r = await rig();
      await r.sla.stop();
      const id = await r.create('elevator_trapped', 2, 0);
      expect((await r.order(id)).response_due_at).toBeNull();
      r.clock.now = T0 + 7 * MIN;
      await r.restart();
      const order = await r.order(id);
      expect(order.response_due_at).toBe(T0 + 10 * MIN);
      expect(order.priority).toBe(1);
      expect((await r.slaEvents(id)).map((e) => `${e.limit} ${e.percent}`)).toEqual(['response 50']);
    });

    it('keeps a deadline its creator set, and gives planned work no response limit', async () => {
      const r = await rig();
      // A preventive plan's order: created, then its window's end written in the same transaction.
      const order = await r.orders.inTransaction(async (trx) => {
        const created = await r.orders.create(
          {
            source: 'preventive',
            kind: 'preventive',
            site: SITE,
            title: 'Weekly pump-room round',
            problemType: 'inspection',
            priority: 1,
            actor: 'plan',
          },
          trx,
        );
        await trx
          .updateTable('work_orders')
          .set({ completion_due_at: T0 + 48 * 60 * MIN })
          .where('id', '=', created.id)
          .execute();
        return created;
      });
      await r.sla.idle();
      const row = await r.order(order.id);
      expect(row).toMatchObject({
        response_limit_ms: null,
        response_due_at: null,
        completion_due_at: T0 + 48 * 60 * MIN,
      });
      for (const m of [10, 60, 23 * 60, 24 * 60]) await r.at(m);
      expect((await r.slaEvents(order.id)).map((e) => `${e.limit} ${e.percent} at ${minutesOf(e)}m`)).toEqual(
        ['completion 50 at 1440m'],
      );
      expect((await r.sla.state(order.id))?.response).toBeNull();
    });

    it('stops at completion and reports the met limit', async () => {
      const r = await rig();
      const id = await r.create('general', 1);
      await move(r.orders, id, T0 + 4 * MIN, 'dispatch', 'in_repair', {
        assignee: 't-2',
        dispatched_at: T0 + 4 * MIN,
      });
      await move(r.orders, id, T0 + 20 * MIN, 'pass_check', 'completed', { completed_at: T0 + 20 * MIN });
      await r.sla.idle();
      for (const m of [30, 60, 90]) await r.at(m);
      expect(await r.slaEvents(id)).toEqual([]);
      expect((await r.order(id)).sla_next_check_at).toBeNull();
      const state = await r.sla.state(id, T0 + 90 * MIN);
      expect(state?.response).toMatchObject({
        met_at: T0 + 4 * MIN,
        elapsed_ms: 4 * MIN,
        percent: 40,
        breached: false,
      });
      expect(state?.completion).toMatchObject({
        met_at: T0 + 20 * MIN,
        remaining_ms: 40 * MIN,
        breached: false,
      });
    });
  });
}

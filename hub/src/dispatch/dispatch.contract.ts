import { afterEach, describe, expect, it } from 'vitest';
import type { OpenDatabase } from '../db/database.js';
import { ALL_SITES } from '../people/people.input.js';
import type { DatabaseFactory } from '../sla/test-support.js';
import { move, type PersonSeed, seedPeople, systemPerform } from '../sla/test-support.js';
import { WorkOrderService } from '../workorders/work-order.service.js';
import { type DispatchOutcome, DispatchService } from './dispatch.service.js';
import { DispatchRules } from './dispatch-rules.js';

/**
 * Automatic dispatch (issue 7) on the real service and a real database, SQLite and PostgreSQL
 * alike: a table of cases, each a small staff and one order, and the technician the rules must
 * pick (or nobody) with the reasons the others were passed over.
 *
 * The clock stands at Monday 5 January 2026, 10:00 in Shanghai (02:00 UTC).
 */

export const T0 = Date.UTC(2026, 0, 5, 2, 0, 0);
const DAY = 86_400_000;
const SITE = 'north';
const WEEK = [1, 2, 3, 4, 5, 6, 7];
const dayShift = WEEK.map((weekday) => ({ weekday, start: '08:00', end: '17:00' }));
const eveningShift = WEEK.map((weekday) => ({ weekday, start: '18:00', end: '24:00' }));
/** Sunday night into Monday morning. */
const nightShift = [{ weekday: 7, start: '22:00', end: '11:00' }];

export const TEST_RULES = {
  timezone: 'Asia/Shanghai',
  problem_types: {
    elevator_trapped: { skill: 'elevator', auto: true, skip_acceptance: true },
    elevator_fault: { skill: 'elevator', auto: true },
    pump_leak: { skill: 'plumbing', certificate: false, auto: true },
    general: { skill: null, auto: false },
  },
};

/** An elevator technician of the site, on the day shift, in zone b1. */
function tech(username: string, more: Partial<PersonSeed> = {}): PersonSeed {
  return {
    username,
    role: 'technician',
    zone: 'b1',
    sites: [SITE],
    skills: { elevator: {} },
    shifts: dayShift,
    ...more,
  };
}

interface Case {
  name: string;
  people: PersonSeed[];
  problemType?: string;
  building?: string | null;
  site?: string;
  /** Open orders already assigned to each person. */
  load?: Record<string, number>;
  /** Minutes before T0 each person was last dispatched (a completed order). */
  lastDispatched?: Record<string, number>;
  roster?: Array<{ username: string; day: string; on_duty: boolean; start?: number; end?: number }>;
  chosen: string | null;
  /** The eligible ones, best first. */
  ranking?: string[];
  /** Who was passed over, with a part of the reason. */
  passed?: Record<string, string>;
  why?: string;
}

const CASES: Case[] = [
  {
    name: 'skill missing',
    people: [tech('t-a', { skills: { plumbing: {} } }), tech('t-b')],
    chosen: 't-b',
    passed: { 't-a': 'no elevator skill' },
  },
  {
    name: 'certificate expired',
    people: [tech('t-a', { skills: { elevator: { expires_at: T0 - DAY } } }), tech('t-b')],
    load: { 't-b': 3 },
    chosen: 't-b',
    passed: { 't-a': 'elevator certificate expired on 2026-01-04' },
  },
  {
    name: 'certificate required but none on file',
    people: [tech('t-a', { skills: { elevator: { certificate: null } } }), tech('t-b')],
    chosen: 't-b',
    passed: { 't-a': 'no elevator certificate on file' },
  },
  {
    name: 'a skill without certificate is enough where the rules ask no certificate',
    people: [tech('t-a', { skills: { plumbing: { certificate: null } } }), tech('t-b', { skills: {} })],
    problemType: 'pump_leak',
    chosen: 't-a',
    passed: { 't-b': 'no plumbing skill' },
  },
  {
    name: 'off shift',
    people: [tech('t-a', { shifts: eveningShift }), tech('t-b')],
    load: { 't-b': 2 },
    chosen: 't-b',
    passed: { 't-a': 'off shift (Mon 10:00 Asia/Shanghai; today 18:00–24:00)' },
  },
  {
    name: 'a night shift from yesterday still running',
    people: [tech('t-a', { shifts: nightShift }), tech('t-b', { zone: 'b2' })],
    chosen: 't-a',
    ranking: ['t-a', 't-b'],
  },
  {
    name: 'a day off on the roster beats the weekly shift',
    people: [tech('t-a'), tech('t-b')],
    roster: [{ username: 't-a', day: '2026-01-05', on_duty: false }],
    load: { 't-b': 4 },
    chosen: 't-b',
    passed: { 't-a': 'day off' },
  },
  {
    name: 'an extra roster day without a weekly shift',
    people: [tech('t-a', { shifts: [] }), tech('t-b', { zone: 'b2' })],
    roster: [{ username: 't-a', day: '2026-01-05', on_duty: true, start: 9 * 60, end: 12 * 60 }],
    chosen: 't-a',
  },
  {
    name: 'technician of another site',
    people: [tech('t-a', { sites: ['south'] }), tech('t-b', { zone: 'b9' })],
    chosen: 't-b',
    ranking: ['t-b'],
  },
  {
    name: 'a technician of every site (the all-sites marker)',
    people: [tech('t-a', { sites: [ALL_SITES], zone: 'b9' }), tech('t-b', { sites: ['south'] })],
    chosen: 't-a',
    ranking: ['t-a'],
  },
  {
    name: 'zone preference over load',
    people: [tech('t-a', { zone: 'b2' }), tech('t-b')],
    load: { 't-b': 2 },
    chosen: 't-b',
    ranking: ['t-b', 't-a'],
    why: 't-b chosen: in zone b1 (t-a is not)',
  },
  {
    name: 'load balancing within the zone',
    people: [tech('t-a'), tech('t-b'), tech('t-c')],
    load: { 't-a': 2, 't-b': 1, 't-c': 3 },
    chosen: 't-b',
    ranking: ['t-b', 't-a', 't-c'],
    why: 't-b chosen: fewest open orders (1; t-a has 2)',
  },
  {
    name: 'tie broken by who was dispatched less recently',
    people: [tech('t-a'), tech('t-b')],
    lastDispatched: { 't-a': 30, 't-b': 300 },
    chosen: 't-b',
    ranking: ['t-b', 't-a'],
    why: 't-b chosen: tied with t-a on zone and load, dispatched less recently',
  },
  {
    name: 'full tie broken by name',
    people: [tech('t-b'), tech('t-a')],
    chosen: 't-a',
    ranking: ['t-a', 't-b'],
    why: 't-a chosen: tied with t-b on zone, load and last dispatch, first by name',
  },
  {
    name: 'a site without any shifts on file: shifts are not checked',
    people: [tech('t-a', { shifts: [], zone: 'b2' }), tech('t-b', { shifts: [] })],
    load: { 't-b': 1 },
    chosen: 't-b',
    ranking: ['t-b', 't-a'],
  },
  {
    name: 'inactive user',
    people: [tech('t-a', { active: false }), tech('t-b', { zone: 'b3' })],
    chosen: 't-b',
    passed: { 't-a': 'disabled' },
  },
  {
    name: 'nobody suitable',
    people: [
      tech('t-a', { shifts: eveningShift }),
      tech('t-b', { skills: {} }),
      { username: 'sup-n', role: 'supervisor', sites: [SITE] },
    ],
    chosen: null,
    passed: { 't-a': 'off shift', 't-b': 'no elevator skill' },
  },
  {
    name: 'the site’s own time zone',
    site: 'berlin',
    people: [tech('t-a', { sites: ['berlin'] })],
    chosen: null,
    passed: { 't-a': 'off shift (Mon 03:00 Europe/Berlin' },
  },
  {
    name: 'sensor order without a building: zone from the device',
    people: [tech('t-a', { zone: 'b2' }), tech('t-b', { zone: 'b7' })],
    building: null,
    load: { 't-b': 1 },
    chosen: 't-b',
    why: 't-b chosen: in zone b7 (t-a is not)',
  },
];

interface Rig {
  database: OpenDatabase;
  orders: WorkOrderService;
  dispatch: DispatchService;
  clock: { now: number };
  order(id: number): Promise<{ status: string; assignee: string | null; dispatched_at: number | null }>;
  events(id: number): Promise<Array<{ type: string; to: string | null; detail: Record<string, unknown> }>>;
  create(
    problemType: string,
    opts?: { building?: string | null; site?: string; device?: string },
  ): Promise<number>;
}

export function describeDispatchContract(dialect: string, openDb: DatabaseFactory, enabled = true): void {
  describe.runIf(enabled)(`dispatch contract: ${dialect}`, () => {
    const open: Array<() => Promise<void>> = [];
    let databases = 0;
    afterEach(async () => {
      for (const close of open.splice(0)) await close();
    });

    async function rig(people: PersonSeed[]): Promise<Rig> {
      databases += 1;
      const database = await openDb(`dispatch_${databases}`);
      const db = database.db;
      await seedPeople(db, people, T0);
      await db
        .insertInto('sites')
        .values([
          { id: SITE, name: 'North estate', timezone: 'Asia/Shanghai', created_at: T0 },
          { id: 'berlin', name: 'Berlin office', timezone: 'Europe/Berlin', created_at: T0 },
        ])
        .execute();
      const clock = { now: T0 };
      const now = () => clock.now;
      const orders = new WorkOrderService(db, now);
      const dispatch = new DispatchService({
        db,
        orders,
        rules: DispatchRules.parse(TEST_RULES),
        now,
        buildingOf: (device) => (device === 'b7-lift-1' ? 'b7' : undefined),
        // As in the hub: orders move through the shipped transition table, as the system actor,
        // with the lifecycle's own assignee check.
        perform: systemPerform(db, orders, now),
      });
      await dispatch.start();
      open.push(async () => {
        await dispatch.stop();
        await database.close();
      });
      return {
        database,
        orders,
        dispatch,
        clock,
        async order(id) {
          return db
            .selectFrom('work_orders')
            .select(['status', 'assignee', 'dispatched_at'])
            .where('id', '=', id)
            .executeTakeFirstOrThrow();
        },
        async events(id) {
          return (await orders.events(id)).map((e) => ({
            type: e.type,
            to: e.to_status,
            detail: JSON.parse(e.detail) as Record<string, unknown>,
          }));
        },
        async create(problemType, opts = {}) {
          const order = await orders.create({
            source: 'manual',
            kind: 'corrective',
            site: opts.site ?? SITE,
            building: opts.building === undefined ? 'b1' : opts.building,
            device: opts.device ?? null,
            title: `${problemType} order`,
            problemType,
            priority: 2,
            actor: 'sup-n',
          });
          await dispatch.idle();
          return order.id;
        },
      };
    }

    /** Gives each person `n` open orders, and a last dispatch `minutes` before T0. */
    async function workload(r: Rig, c: Case) {
      for (const [username, n] of Object.entries(c.load ?? {})) {
        for (let i = 0; i < n; i += 1) {
          const id = await r.create('general');
          await move(r.orders, id, T0 - 3_600_000, 'dispatch', 'in_repair', {
            assignee: username,
            dispatched_at: T0 - DAY,
          });
        }
      }
      for (const [username, minutes] of Object.entries(c.lastDispatched ?? {})) {
        const id = await r.create('general');
        await move(r.orders, id, T0 - minutes * 60_000, 'dispatch', 'completed', {
          assignee: username,
          dispatched_at: T0 - minutes * 60_000,
          completed_at: T0 - minutes * 60_000,
        });
      }
      for (const entry of c.roster ?? []) {
        await r.database.db
          .insertInto('roster_days')
          .values({
            username: entry.username,
            day: entry.day,
            on_duty: entry.on_duty ? 1 : 0,
            start_minute: entry.start ?? null,
            end_minute: entry.end ?? null,
            site: null,
            note: null,
          })
          .execute();
      }
    }

    for (const c of CASES) {
      it(`picks ${c.chosen ?? 'nobody'}: ${c.name}`, async () => {
        const r = await rig(c.people);
        await workload(r, c);
        const id = await r.create(c.problemType ?? 'elevator_fault', {
          ...(c.site ? { site: c.site } : {}),
          building: c.building === undefined ? 'b1' : c.building,
          ...(c.building === null ? { device: 'b7-lift-1' } : {}),
        });
        // Pending acceptance: auto-dispatch waits for the order to reach to_dispatch.
        expect((await r.order(id)).assignee).toBeNull();
        await move(r.orders, id, T0, 'accept', 'to_dispatch');
        await r.dispatch.idle();
        const order = await r.order(id);
        const decision = (await r.events(id)).filter((e) => e.type === 'auto_dispatch');
        expect(decision).toHaveLength(1);
        const detail = decision[0]?.detail ?? {};
        expect(order.assignee).toBe(c.chosen);
        expect(order.status).toBe(c.chosen ? 'in_repair' : 'to_dispatch');
        expect(detail.outcome).toBe(c.chosen ? 'dispatched' : 'no_candidate');
        const ranking = (detail.ranking as string[]).map((line) => line.split(':')[0]);
        if (c.ranking) expect(ranking).toEqual(c.ranking);
        if (c.chosen) expect(ranking[0]).toBe(c.chosen);
        for (const [username, reason] of Object.entries(c.passed ?? {})) {
          const line = (detail.passed_over as string[]).find((l) => l.startsWith(`${username}:`));
          expect(line, `${username} passed over`).toContain(reason);
        }
        if (c.why) expect(detail.why).toBe(c.why);
        if (!c.chosen) {
          expect(detail.why).toMatch(/^left for manual dispatch: no technician of site/);
          expect(detail.notify).toEqual(c.people.some((p) => p.role === 'supervisor') ? ['sup-n'] : []);
        }
        // The ranking for manual dispatch agrees with the decision.
        const ranked = await r.dispatch.rank(id);
        expect(ranked?.candidates.filter((x) => x.eligible).map((x) => x.username)).toEqual(ranking);
      });
    }

    it('explains a decision the way a dispatcher reads it', async () => {
      const r = await rig([
        tech('t-07', { skills: { elevator: { certificate: 'EL-2231', expires_at: Date.UTC(2027, 2, 1) } } }),
        tech('t-08', { zone: 'b2' }),
      ]);
      await workload(r, { name: '', people: [], chosen: null, load: { 't-07': 2 } });
      const id = await r.create('elevator_fault');
      await move(r.orders, id, T0, 'accept', 'to_dispatch');
      await r.dispatch.idle();
      const detail = (await r.events(id)).find((e) => e.type === 'auto_dispatch')?.detail ?? {};
      expect(detail.ranking).toEqual([
        't-07: holds the elevator certificate (EL-2231, valid until 2027-03-01), on shift (08:00–17:00), in zone b1, 2 open orders',
        't-08: holds the elevator certificate (ELEVATOR-t-08), on shift (08:00–17:00), zone b2, not b1, 0 open orders',
      ]);
    });

    it('dispatches a trapped passenger at once, skipping acceptance', async () => {
      const r = await rig([tech('t-a'), tech('t-b')]);
      const id = await r.create('elevator_trapped');
      const order = await r.order(id);
      expect(order).toMatchObject({ status: 'in_repair', assignee: 't-a', dispatched_at: T0 });
      const types = (await r.events(id)).map((e) => `${e.type}${e.to ? ` -> ${e.to}` : ''}`);
      expect(types).toEqual([
        'created -> pending_acceptance',
        'accept -> to_dispatch',
        'dispatch -> in_repair',
        'auto_dispatch',
      ]);
    });

    it('leaves manual problem types alone, and an order nobody could take stays for manual dispatch', async () => {
      const r = await rig([
        tech('t-a', { shifts: eveningShift }),
        { username: 'sup-n', role: 'supervisor', sites: [SITE] },
      ]);
      const manual = await r.create('general');
      await move(r.orders, manual, T0, 'accept', 'to_dispatch');
      await r.dispatch.idle();
      expect((await r.events(manual)).map((e) => e.type)).not.toContain('auto_dispatch');
      expect((await r.order(manual)).status).toBe('to_dispatch');
      // A trapped passenger with nobody on shift: accepted (in the pool), supervisors told, once.
      const trapped = await r.create('elevator_trapped');
      expect((await r.order(trapped)).status).toBe('to_dispatch');
      const decisions = (await r.events(trapped)).filter((e) => e.type === 'auto_dispatch');
      expect(decisions.map((e) => [e.detail.outcome, e.detail.notify])).toEqual([
        ['no_candidate', ['sup-n']],
      ]);
      // Evening: t-a comes on shift; a new try (a restart catches up only undecided orders).
      r.clock.now = T0 + 9 * 3_600_000;
      const outcome: DispatchOutcome = await r.dispatch.autoDispatch(trapped, { requestedBy: 'sup-n' });
      expect(outcome.outcome).toBe('dispatched');
      expect((await r.order(trapped)).assignee).toBe('t-a');
    });

    it('dispatches at start what reached to_dispatch while the hub was down, once', async () => {
      const r = await rig([tech('t-a')]);
      await r.dispatch.stop();
      const id = await r.create('elevator_fault');
      await move(r.orders, id, T0, 'accept', 'to_dispatch');
      expect((await r.order(id)).assignee).toBeNull();
      await r.dispatch.start();
      await r.dispatch.idle();
      expect((await r.order(id)).assignee).toBe('t-a');
      await r.dispatch.stop();
      await r.dispatch.start();
      await r.dispatch.idle();
      expect((await r.events(id)).filter((e) => e.type === 'auto_dispatch')).toHaveLength(1);
    });
  });
}

import type { KpiReport } from '@caretaker/protocol';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenDatabase } from '../db/database.js';
import type { Actor } from '../people/actor.js';
import { ReportsService } from './reports.service.js';

/**
 * The KPIs against numbers worked out by hand, on a fixed event log written by direct inserts
 * (known times, no service in between), on SQLite and PostgreSQL alike. Times are Shanghai
 * local (UTC+8, no daylight saving); the report runs on 2026-02-20 00:00 over January and
 * February 2026, by month. The arithmetic is in the comments.
 */
export type DatabaseFactory = (name: string) => Promise<OpenDatabase>;

const ZONE = 'Asia/Shanghai';
const H = 3_600_000;
const MIN = 60_000;
const at = (month: number, day: number, hour = 0, minute = 0) =>
  DateTime.fromObject({ year: 2026, month, day, hour, minute }, { zone: ZONE }).toMillis();
const jan = (day: number, hour = 0, minute = 0) => at(1, day, hour, minute);
const feb = (day: number, hour = 0, minute = 0) => at(2, day, hour, minute);
const NOW = feb(20);
const ADMIN: Actor = { username: 'ada', role: 'admin', sites: 'all' };

const DEVICE_TYPES: Record<string, string> = {
  'b1-pump-1': 'pump',
  'b1-pump-2': 'pump',
  'b2-lift-1': 'elevator',
  'b1-power-meter': 'power_meter',
};

interface Spec {
  n: number;
  site?: string;
  device: string | null;
  kind?: 'corrective' | 'preventive';
  source?: 'sensor' | 'manual' | 'preventive';
  priority: number;
  status: string;
  created: number;
  ack?: number;
  dispatched?: number;
  completed?: number;
  closed?: number;
  cancelled?: number;
  responseDue?: number;
  completionDue?: number;
  pausedSince?: number;
  assignee?: string;
  helpers?: string[];
  rating?: number;
  fault?: string;
  reopen?: number;
  reject?: number;
  /** Status changes after the creation: [ts, to_status, type]. */
  steps: Array<[number, string, string]>;
}

/*
 * The log. p1 = b1-pump-1, p2 = b1-pump-2, l1 = b2-lift-1 (site-b), m1 = b1-power-meter.
 *
 *  n  device  kind  P  created      ack       dispatched  completed   resp due   compl due  notes
 *  1  p1      corr  2  Jan 2 08:00  08:30     09:00       Jan 2 12:00 09:00      14:00      tom, ★5, natural_wear, closed Jan 3
 *  2  p1      corr  2  Jan 10 08:00 10:00     10:00       Jan 11 08:00 Jan10 09:00 Jan11 08:00 tom (+tia), ★2, misuse, rejected once
 *  3  p1      corr  1  Feb 3 08:00  08:15     08:20       Feb 3 10:00 08:30      12:00      tia, ★4, natural_wear
 *  4  p2      corr  3  Jan 15 08:00 -         -           open        Jan15 12:00 Jan17 08:00 nobody took it
 *  5  l1      corr  1  Jan 20 08:00 08:05     08:10       Jan 20 09:00 08:10     10:00      ann, ★5, human_damage (site-b)
 *  6  l1      corr  1  Jan 25 08:00 -         -           cancelled 08:30 08:10 12:00      self-recovered (site-b)
 *  7  m1      plan  4  Jan 5 00:00  Jan 6 09:00 Jan 6 09:00 Jan 11 15:00 -        Jan 12 00:00 tom
 *  8  p2      plan  4  Jan 20 00:00 Jan 26 09:00 Jan 26 09:00 Jan 28 10:00 -      Jan 27 00:00 tia (late)
 *  9  p1      plan  4  Feb 10 00:00 09:00     -           open        -          Feb 25 00:00 to_dispatch
 * 10  m1      corr  2  Feb 12 08:00 09:00     10:00       open        10:00      Feb 14 08:00 tom, deferred (paused) since Feb 13 08:00
 * 11  x-valve corr  3  Feb 15 08:00 09:00     09:00       open        -          -          tia (+tom), device type unknown
 * 12  (none)  corr  4  Jan 30 08:00 10:00     -           Feb 2 08:00 -          -          ann, ★3, other, reopened once
 * 13  p2      corr  3  Feb 18 08:00 -         -           open        -          -          while #4 is still open
 * 14  l1      corr  1  Feb 5 08:00  08:05     08:10       Feb 5 09:00 08:10      10:00      ann, natural_wear (site-b)
 */
const LOG: Spec[] = [
  {
    n: 1,
    device: 'b1-pump-1',
    priority: 2,
    status: 'closed',
    created: jan(2, 8),
    ack: jan(2, 8, 30),
    dispatched: jan(2, 9),
    completed: jan(2, 12),
    closed: jan(3, 10),
    responseDue: jan(2, 9),
    completionDue: jan(2, 14),
    assignee: 'tom',
    rating: 5,
    fault: 'natural_wear',
    steps: [
      [jan(2, 8, 30), 'to_dispatch', 'accept'],
      [jan(2, 9), 'in_repair', 'dispatch'],
      [jan(2, 11), 'awaiting_check', 'submit_for_check'],
      [jan(2, 12), 'completed', 'pass_check'],
      [jan(3, 10), 'closed', 'close'],
    ],
  },
  {
    n: 2,
    device: 'b1-pump-1',
    priority: 2,
    status: 'completed',
    created: jan(10, 8),
    ack: jan(10, 10),
    dispatched: jan(10, 10),
    completed: jan(11, 8),
    responseDue: jan(10, 9),
    completionDue: jan(11, 8),
    assignee: 'tom',
    helpers: ['tia'],
    rating: 2,
    fault: 'misuse',
    reject: 1,
    steps: [
      [jan(10, 10), 'to_dispatch', 'accept'],
      [jan(10, 10), 'in_repair', 'dispatch'],
      [jan(10, 16), 'awaiting_check', 'submit_for_check'],
      [jan(10, 17), 'in_repair', 'reject'],
      [jan(11, 7), 'awaiting_check', 'submit_for_check'],
      [jan(11, 8), 'completed', 'pass_check'],
    ],
  },
  {
    n: 3,
    device: 'b1-pump-1',
    priority: 1,
    status: 'completed',
    created: feb(3, 8),
    ack: feb(3, 8, 15),
    dispatched: feb(3, 8, 20),
    completed: feb(3, 10),
    responseDue: feb(3, 8, 30),
    completionDue: feb(3, 12),
    assignee: 'tia',
    rating: 4,
    fault: 'natural_wear',
    steps: [
      [feb(3, 8, 15), 'to_dispatch', 'accept'],
      [feb(3, 8, 20), 'in_repair', 'dispatch'],
      [feb(3, 10), 'completed', 'pass_check'],
    ],
  },
  {
    n: 4,
    device: 'b1-pump-2',
    priority: 3,
    status: 'pending_acceptance',
    created: jan(15, 8),
    responseDue: jan(15, 12),
    completionDue: jan(17, 8),
    steps: [],
  },
  {
    n: 5,
    site: 'site-b',
    device: 'b2-lift-1',
    priority: 1,
    status: 'completed',
    created: jan(20, 8),
    ack: jan(20, 8, 5),
    dispatched: jan(20, 8, 10),
    completed: jan(20, 9),
    responseDue: jan(20, 8, 10),
    completionDue: jan(20, 10),
    assignee: 'ann',
    rating: 5,
    fault: 'human_damage',
    steps: [
      [jan(20, 8, 5), 'to_dispatch', 'accept'],
      [jan(20, 8, 10), 'in_repair', 'dispatch'],
      [jan(20, 9), 'completed', 'pass_check'],
    ],
  },
  {
    n: 6,
    site: 'site-b',
    device: 'b2-lift-1',
    priority: 1,
    status: 'cancelled',
    created: jan(25, 8),
    cancelled: jan(25, 8, 30),
    responseDue: jan(25, 8, 10),
    completionDue: jan(25, 12),
    steps: [[jan(25, 8, 30), 'cancelled', 'cancelled']],
  },
  {
    n: 7,
    device: 'b1-power-meter',
    kind: 'preventive',
    source: 'preventive',
    priority: 4,
    status: 'completed',
    created: jan(5),
    ack: jan(6, 9),
    dispatched: jan(6, 9),
    completed: jan(11, 15),
    completionDue: jan(12),
    assignee: 'tom',
    steps: [
      [jan(6, 9), 'to_dispatch', 'accept'],
      [jan(6, 9), 'in_repair', 'dispatch'],
      [jan(11, 15), 'completed', 'pass_check'],
    ],
  },
  {
    n: 8,
    device: 'b1-pump-2',
    kind: 'preventive',
    source: 'preventive',
    priority: 4,
    status: 'completed',
    created: jan(20),
    ack: jan(26, 9),
    dispatched: jan(26, 9),
    completed: jan(28, 10),
    completionDue: jan(27),
    assignee: 'tia',
    steps: [
      [jan(26, 9), 'to_dispatch', 'accept'],
      [jan(26, 9), 'in_repair', 'dispatch'],
      [jan(28, 10), 'completed', 'pass_check'],
    ],
  },
  {
    n: 9,
    device: 'b1-pump-1',
    kind: 'preventive',
    source: 'preventive',
    priority: 4,
    status: 'to_dispatch',
    created: feb(10),
    ack: feb(10, 9),
    completionDue: feb(25),
    steps: [[feb(10, 9), 'to_dispatch', 'accept']],
  },
  {
    n: 10,
    device: 'b1-power-meter',
    source: 'manual',
    priority: 2,
    status: 'deferred',
    created: feb(12, 8),
    ack: feb(12, 9),
    dispatched: feb(12, 10),
    responseDue: feb(12, 10),
    completionDue: feb(14, 8),
    pausedSince: feb(13, 8),
    assignee: 'tom',
    steps: [
      [feb(12, 9), 'to_dispatch', 'accept'],
      [feb(12, 10), 'in_repair', 'dispatch'],
      [feb(13, 8), 'deferred', 'approve_defer'],
    ],
  },
  {
    n: 11,
    device: 'x-valve-9',
    source: 'manual',
    priority: 3,
    status: 'in_repair',
    created: feb(15, 8),
    ack: feb(15, 9),
    dispatched: feb(15, 9),
    assignee: 'tia',
    helpers: ['tom'],
    steps: [
      [feb(15, 9), 'to_dispatch', 'accept'],
      [feb(15, 9), 'in_repair', 'dispatch'],
    ],
  },
  {
    n: 12,
    device: null,
    source: 'manual',
    priority: 4,
    status: 'completed',
    created: jan(30, 8),
    ack: jan(30, 10),
    completed: feb(2, 8),
    assignee: 'ann',
    rating: 3,
    fault: 'other',
    reopen: 1,
    steps: [
      [jan(30, 10), 'to_dispatch', 'accept'],
      [feb(2, 8), 'completed', 'status'],
    ],
  },
  {
    n: 13,
    device: 'b1-pump-2',
    priority: 3,
    status: 'pending_acceptance',
    created: feb(18, 8),
    steps: [],
  },
  {
    n: 14,
    site: 'site-b',
    device: 'b2-lift-1',
    priority: 1,
    status: 'completed',
    created: feb(5, 8),
    ack: feb(5, 8, 5),
    dispatched: feb(5, 8, 10),
    completed: feb(5, 9),
    responseDue: feb(5, 8, 10),
    completionDue: feb(5, 10),
    assignee: 'ann',
    fault: 'natural_wear',
    steps: [
      [feb(5, 8, 5), 'to_dispatch', 'accept'],
      [feb(5, 8, 10), 'in_repair', 'dispatch'],
      [feb(5, 9), 'completed', 'pass_check'],
    ],
  },
];

/** Writes the log with plain inserts: orders, their events (creation first) and assistants. */
/** The people the log names, as the users table has them; ann has left (deleted since). */
const PEOPLE = [
  { username: 'tom', display_name: 'Tom Wang' },
  { username: 'tia', display_name: '李天爱' },
];

export async function writeFixedLog(database: OpenDatabase): Promise<void> {
  const db = database.db;
  for (const p of PEOPLE) {
    await db
      .insertInto('users')
      .values({ ...p, role: 'technician', created_at: jan(1), updated_at: jan(1) })
      .execute();
  }
  for (const s of LOG) {
    const inserted = await db
      .insertInto('work_orders')
      .values({
        code: `WO-FIX-${s.n}`,
        incident_key: `fixed/${s.n}`,
        status: s.status as 'completed',
        source: s.source ?? 'sensor',
        kind: s.kind ?? 'corrective',
        site: s.site ?? 'site-a',
        device: s.device,
        rule_id: null,
        title: `fixed order ${s.n}`,
        problem_type: 'fixture',
        priority: s.priority,
        severity: 'warning',
        occurrences: 1,
        reopen_count: s.reopen ?? 0,
        first_time_fix: (s.reopen ?? 0) > 0 ? 0 : 1,
        reject_count: s.reject ?? 0,
        evidence: '{}',
        created_at: s.created,
        acknowledged_at: s.ack ?? null,
        dispatched_at: s.dispatched ?? null,
        completed_at: s.completed ?? null,
        closed_at: s.closed ?? null,
        cancelled_at: s.cancelled ?? null,
        cancel_reason: s.cancelled ? 'self_recovered' : null,
        response_due_at: s.responseDue ?? null,
        completion_due_at: s.completionDue ?? null,
        response_limit_ms: s.responseDue ? s.responseDue - s.created : null,
        completion_limit_ms: null,
        sla_paused_since: s.pausedSince ?? null,
        assignee: s.assignee ?? null,
        rating: s.rating ?? null,
        fault_category: s.fault ?? null,
        updated_at: s.created,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = Number(inserted.id);
    const events: Array<[number, string, string]> = [
      [s.created, 'pending_acceptance', 'created'],
      ...s.steps,
    ];
    let from: string | null = null;
    for (const [ts, to, type] of events) {
      await db
        .insertInto('work_order_events')
        .values({ order_id: id, ts, actor: 'fixture', type, from_status: from, to_status: to, detail: '{}' })
        .execute();
      from = to;
    }
    // A note in between (no status change) must not disturb the status history.
    await db
      .insertInto('work_order_events')
      .values({
        order_id: id,
        ts: s.created + MIN,
        actor: 'fixture',
        type: 'note',
        from_status: null,
        to_status: null,
        detail: '{}',
      })
      .execute();
    if (s.assignee) {
      await db
        .insertInto('work_order_assignees')
        .values({
          order_id: id,
          username: s.assignee,
          role: 'primary',
          added_at: s.created,
          added_by: 'fixture',
        })
        .execute();
    }
    for (const helper of s.helpers ?? []) {
      await db
        .insertInto('work_order_assignees')
        .values({
          order_id: id,
          username: helper,
          role: 'assistant',
          added_at: s.created,
          added_by: 'fixture',
        })
        .execute();
    }
  }
}

export function fixedLogService(database: OpenDatabase): ReportsService {
  return new ReportsService({
    db: database.db,
    now: () => NOW,
    deviceType: (device) => DEVICE_TYPES[device],
    responseEnds: 'dispatched',
  });
}
export const FIXED_LOG_RANGE = { from: jan(1), to: NOW, now: NOW };

export function describeReportsContract(dialect: string, openDb: DatabaseFactory, enabled = true): void {
  describe.runIf(enabled)(`KPIs on a fixed event log: ${dialect}`, () => {
    let database: OpenDatabase;
    let report: KpiReport;
    beforeAll(async () => {
      database = await openDb('reports_fixed');
      await writeFixedLog(database);
      report = await fixedLogService(database).kpis(ADMIN, {
        from: jan(1),
        to: NOW,
        period: 'month',
        tz: ZONE,
      });
    });
    afterAll(async () => {
      await database?.close();
    });
    const janW = () => report.periods[0] as KpiReport['total'];
    const febW = () => report.periods[1] as KpiReport['total'];

    it('cuts whole calendar months in Shanghai time', () => {
      expect(report.periods.map((p) => [p.label, p.start, p.end])).toEqual([
        ['2026-01', jan(1), feb(1)],
        ['2026-02', feb(1), at(3, 1)],
      ]);
      expect([report.from, report.to, report.tz, report.as_of]).toEqual([jan(1), at(3, 1), ZONE, NOW]);
      // Shanghai's January starts at 16:00 UTC on 31 December.
      expect(new Date(report.from).toISOString()).toBe('2025-12-31T16:00:00.000Z');
    });

    it('counts orders created, completed and cancelled', () => {
      // Jan: created #1 #2 #4 #5 #6 #7 #8 #12; completed #1 #2 #5 #7 #8; cancelled #6.
      expect(janW().orders).toEqual({ created: 8, completed: 5, cancelled: 1 });
      // Feb: created #3 #9 #10 #11 #13 #14; completed #3 #12 #14.
      expect(febW().orders).toEqual({ created: 6, completed: 3, cancelled: 0 });
      expect(report.total.orders).toEqual({ created: 14, completed: 8, cancelled: 1 });
    });

    it('mean time to acknowledge: created to acknowledged_at, by the acknowledgement time', () => {
      // Jan: #1 30 min, #2 120, #5 5, #7 33 h = 1980, #8 6 d 9 h = 9180, #12 120
      //      = 11435 min / 6 = 1905.83 min = 114,350,000 ms.
      expect(janW().mtta).toEqual({ mean_ms: 114_350_000, count: 6 });
      // Feb: #3 15, #9 540, #10 60, #11 60, #14 5 = 680 min / 5 = 136 min.
      expect(febW().mtta).toEqual({ mean_ms: 136 * MIN, count: 5 });
      // All: 12115 min / 11 = 726,900,000 ms / 11 = 66,081,818.18 ms.
      expect(report.total.mtta).toEqual({ mean_ms: 66_081_818, count: 11 });
    });

    it('mean time to repair: corrective orders, created to completed (and dispatched to completed)', () => {
      // Jan: #1 4 h, #2 24 h, #5 1 h = 29 h / 3; from dispatch 3 h + 22 h + 50 min = 1550 min / 3.
      expect(janW().mttr).toEqual({
        mean_ms: (29 * H) / 3,
        count: 3,
        from_dispatch: { mean_ms: (1550 * MIN) / 3, count: 3 },
      });
      // Feb: #3 2 h, #12 72 h, #14 1 h = 75 h / 3 = 25 h; from dispatch #3 100 min, #14 50 min
      // (#12 was never dispatched) = 75 min. The plan orders #7 #8 are not repairs.
      expect(febW().mttr).toEqual({
        mean_ms: 25 * H,
        count: 3,
        from_dispatch: { mean_ms: 75 * MIN, count: 2 },
      });
      // All: 104 h / 6; from dispatch 1700 min / 5 = 340 min.
      expect(report.total.mttr).toEqual({
        mean_ms: (104 * H) / 6,
        count: 6,
        from_dispatch: { mean_ms: 340 * MIN, count: 5 },
      });
    });

    it('on-time response per priority, judged by the period of the due time', () => {
      const r = janW().on_time.response;
      // P1: #5 met at 08:10 = due (on time), #6 cancelled.
      expect(r['1']).toEqual({ on_time: 1, late: 0, pending: 0, no_due_time: 0, cancelled: 1, rate: 1 });
      // P2: #1 dispatched at the due time (on time), #2 an hour after it (late).
      expect(r['2']).toEqual({ on_time: 1, late: 1, pending: 0, no_due_time: 0, cancelled: 0, rate: 0.5 });
      // P3: #4 never dispatched, due Jan 15 12:00, long past.
      expect(r['3']).toEqual({ on_time: 0, late: 1, pending: 0, no_due_time: 0, cancelled: 0, rate: 0 });
      // P4: #7 #8 #12 have no response due time.
      expect(r['4']).toEqual({ on_time: 0, late: 0, pending: 0, no_due_time: 3, cancelled: 0, rate: null });
      expect(r.all).toEqual({ on_time: 2, late: 2, pending: 0, no_due_time: 3, cancelled: 1, rate: 0.5 });
      // Feb: #3 #14 (P1) and #10 (P2) on time; #9 #11 #13 without a due time.
      expect(febW().on_time.response.all).toEqual({
        on_time: 3,
        late: 0,
        pending: 0,
        no_due_time: 3,
        cancelled: 0,
        rate: 1,
      });
      // All: 5 on time of 7 judged = 0.714285...
      expect(report.total.on_time.response.all?.rate).toBe(0.7143);
      expect(report.total.on_time.response['2']?.rate).toBe(0.6667);
    });

    it('on-time completion: a paused clock moves the due time, an open order past it is late', () => {
      const c = janW().on_time.completion;
      // P4: plan #7 done 9 h early (on time), plan #8 done 34 h late; #12 has no due time.
      expect(c['4']).toEqual({ on_time: 1, late: 1, pending: 0, no_due_time: 1, cancelled: 0, rate: 0.5 });
      // P3: #4 is open two days past its due time.
      expect(c['3']).toEqual({ on_time: 0, late: 1, pending: 0, no_due_time: 0, cancelled: 0, rate: 0 });
      // #1 #2 #5 on time (#2 exactly at its due time), #7; late #4 #8; #6 cancelled: 4 / 6.
      expect(c.all).toEqual({ on_time: 4, late: 2, pending: 0, no_due_time: 1, cancelled: 1, rate: 0.6667 });
      // Feb: #10 is deferred since Feb 13 08:00: its due time Feb 14 08:00 moves by the 6 d 16 h
      // paused until now, to Feb 21 00:00, still ahead: pending, as is plan #9 (due Feb 25).
      expect(febW().on_time.completion['2']).toEqual({
        on_time: 0,
        late: 0,
        pending: 1,
        no_due_time: 0,
        cancelled: 0,
        rate: null,
      });
      expect(febW().on_time.completion.all).toEqual({
        on_time: 2,
        late: 0,
        pending: 2,
        no_due_time: 2,
        cancelled: 0,
        rate: 1,
      });
      // All: 6 on time of 8 judged.
      expect(report.total.on_time.completion.all?.rate).toBe(0.75);
    });

    it('backlog: orders open at the end of the period, by age, from the event log', () => {
      // At Feb 1 00:00: #4 (16 d 16 h old, overdue since Jan 17) and #12 (1 d 16 h, accepted).
      expect(janW().backlog).toEqual({
        at: feb(1),
        open: 2,
        overdue: 1,
        deferred: 0,
        by_age: { under_1d: 0, '1d_3d': 1, '3d_7d': 0, '7d_30d': 1, over_30d: 0 },
      });
      // February is still running: as of now (Feb 20 00:00). #4 35 d 16 h (overdue), #9 10 d,
      // #10 7 d 16 h (deferred: never overdue), #11 4 d 16 h, #13 1 d 16 h.
      const feb20 = {
        at: NOW,
        open: 5,
        overdue: 1,
        deferred: 1,
        by_age: { under_1d: 0, '1d_3d': 1, '3d_7d': 1, '7d_30d': 2, over_30d: 1 },
      };
      expect(febW().backlog).toEqual(feb20);
      expect(report.total.backlog).toEqual(feb20);
    });

    it('first-time-fix rate: corrective orders completed, neither rejected nor reopened', () => {
      // Jan: #1 yes, #2 rejected once, #5 yes: 2 / 3.
      expect(janW().first_time_fix).toEqual({ completed: 3, first_time: 2, rate: 0.6667 });
      // Feb: #3 yes, #12 reopened, #14 yes: 2 / 3.
      expect(febW().first_time_fix).toEqual({ completed: 3, first_time: 2, rate: 0.6667 });
      expect(report.total.first_time_fix).toEqual({ completed: 6, first_time: 4, rate: 0.6667 });
    });

    it('preventive-maintenance compliance: plan orders due in the period done by their due time', () => {
      // Jan: #7 on time, #8 late. Feb: #9 due Feb 25, not yet.
      expect(janW().pm_compliance).toEqual({
        due: 2,
        on_time: 1,
        late: 1,
        pending: 0,
        cancelled: 0,
        rate: 0.5,
      });
      expect(febW().pm_compliance).toEqual({
        due: 1,
        on_time: 0,
        late: 0,
        pending: 1,
        cancelled: 0,
        rate: null,
      });
      expect(report.total.pm_compliance.rate).toBe(0.5);
    });

    it('per technician: completed, assisted, ratings; load now', () => {
      // Jan: tom #1 ★5 #2 ★2 #7; tia #8 and assisted on #2; ann #5 ★5. Names from the users
      // table; ann is no longer in it and keeps her user name.
      const [ann, tia, tom] = [
        { username: 'ann', display_name: 'ann' },
        { username: 'tia', display_name: '李天爱' },
        { username: 'tom', display_name: 'Tom Wang' },
      ];
      expect(janW().technicians).toEqual([
        { ...ann, completed: 1, assisted: 0, ratings: 1, mean_rating: 5, low_ratings: 0 },
        { ...tia, completed: 1, assisted: 1, ratings: 0, mean_rating: null, low_ratings: 0 },
        { ...tom, completed: 3, assisted: 0, ratings: 2, mean_rating: 3.5, low_ratings: 1 },
      ]);
      // All: ann #5 ★5 #12 ★3 #14; tia #8 #3 ★4.
      expect(report.total.technicians).toEqual([
        { ...ann, completed: 3, assisted: 0, ratings: 2, mean_rating: 4, low_ratings: 0 },
        { ...tia, completed: 2, assisted: 1, ratings: 1, mean_rating: 4, low_ratings: 0 },
        { ...tom, completed: 3, assisted: 0, ratings: 2, mean_rating: 3.5, low_ratings: 1 },
      ]);
      // Ratings: (5 + 2 + 5 + 4 + 3) / 5 = 3.8, one of them low (★2).
      expect(report.total.ratings).toEqual({ count: 5, mean: 3.8, low: 1 });
      // Open now: #10 tom; #11 tia with tom assisting; #4 #9 #13 nobody's.
      expect(report.load).toEqual([
        { ...tia, open: 1 },
        { ...tom, open: 2 },
      ]);
    });

    it('failures by device type, site and cause: corrective orders created, cancelled ones not', () => {
      // Jan: #1 #2 #4 (pumps), #5 (lift, site-b), #12 (no device); #6 was cancelled.
      expect(janW().failures).toEqual({
        total: 5,
        by_device_type: { pump: 3, elevator: 1, none: 1 },
        by_site: { 'site-a': 4, 'site-b': 1 },
        by_cause: { natural_wear: 1, misuse: 1, unclassified: 1, human_damage: 1, other: 1 },
      });
      // Feb: #3 #13 pumps, #10 power meter, #11 a device nobody knows, #14 lift.
      expect(febW().failures).toEqual({
        total: 5,
        by_device_type: { pump: 2, power_meter: 1, unknown: 1, elevator: 1 },
        by_site: { 'site-a': 4, 'site-b': 1 },
        by_cause: { natural_wear: 2, unclassified: 3 },
      });
      expect(report.total.failures.total).toBe(10);
    });

    it('mean time between failures per device and device type: restoration to the next failure', () => {
      // p1: #1 restored Jan 2 12:00, #2 failed Jan 10 08:00: 188 h (ends in Jan).
      expect(janW().mtbf).toEqual({
        by_device_type: [{ key: 'pump', device_type: 'pump', intervals: 1, mean_ms: 188 * H }],
        by_device: [{ key: 'b1-pump-1', device_type: 'pump', intervals: 1, mean_ms: 188 * H }],
      });
      // p1: #2 restored Jan 11 08:00, #3 Feb 3 08:00: 552 h. l1: #5 restored Jan 20 09:00, #14
      // Feb 5 08:00: 383 h (#6 was cancelled: no failure). p2: #13 came while #4 is still open:
      // no interval.
      expect(febW().mtbf).toEqual({
        by_device_type: [
          { key: 'elevator', device_type: 'elevator', intervals: 1, mean_ms: 383 * H },
          { key: 'pump', device_type: 'pump', intervals: 1, mean_ms: 552 * H },
        ],
        by_device: [
          { key: 'b1-pump-1', device_type: 'pump', intervals: 1, mean_ms: 552 * H },
          { key: 'b2-lift-1', device_type: 'elevator', intervals: 1, mean_ms: 383 * H },
        ],
      });
      // Pumps over both months: (188 + 552) / 2 = 370 h.
      expect(report.total.mtbf.by_device_type).toEqual([
        { key: 'elevator', device_type: 'elevator', intervals: 1, mean_ms: 383 * H },
        { key: 'pump', device_type: 'pump', intervals: 2, mean_ms: 370 * H },
      ]);
    });

    it("shows an actor only their sites' figures", async () => {
      const siteB: Actor = { username: 'bea', role: 'supervisor', sites: ['site-b'] };
      const b = await fixedLogService(database).kpis(siteB, { from: jan(1), to: NOW, period: 'month' });
      // #5 #6 #14 only.
      expect(b.total.orders).toEqual({ created: 3, completed: 2, cancelled: 1 });
      expect(b.total.failures.by_site).toEqual({ 'site-b': 2 });
      expect(b.total.mtbf.by_device_type).toEqual([
        { key: 'elevator', device_type: 'elevator', intervals: 1, mean_ms: 383 * H },
      ]);
      await expect(
        fixedLogService(database).kpis(siteB, { from: jan(1), to: NOW, period: 'month', site: 'site-a' }),
      ).rejects.toThrow(/^site: /);
      const tech: Actor = { username: 'tom', role: 'technician', sites: ['site-a'] };
      await expect(fixedLogService(database).kpis(tech, { period: 'month' })).rejects.toThrow(/^role: /);
    });

    it('cuts days, ISO weeks and years in the zone too', async () => {
      const svc = fixedLogService(database);
      const days = await svc.kpis(ADMIN, { from: jan(20), to: jan(22), period: 'day', tz: ZONE });
      expect(days.periods.map((p) => [p.label, p.orders.created])).toEqual([
        ['2026-01-20', 2], // #5 08:00, #8 00:00
        ['2026-01-21', 0],
      ]);
      const weeks = await svc.kpis(ADMIN, { from: feb(2), to: feb(16), period: 'week', tz: ZONE });
      // ISO weeks start on Monday: Feb 2 and Feb 9, 2026.
      expect(weeks.periods.map((p) => [p.label, p.start])).toEqual([
        ['2026-W06', feb(2)],
        ['2026-W07', feb(9)],
      ]);
      const years = await svc.kpis(ADMIN, { from: jan(1), to: NOW, period: 'year', tz: ZONE });
      expect(years.periods.map((p) => p.label)).toEqual(['2026']);
      expect(years.periods[0]?.failures).toEqual(report.total.failures);
      // The same instant read in UTC: #8 (Jan 20 00:00 Shanghai) falls on Jan 19.
      const utc = await svc.kpis(ADMIN, {
        from: Date.UTC(2026, 0, 19),
        to: Date.UTC(2026, 0, 20),
        period: 'day',
        tz: 'UTC',
      });
      expect(utc.periods.map((p) => [p.label, p.orders.created])).toEqual([['2026-01-19', 1]]);
    });
  });
}
